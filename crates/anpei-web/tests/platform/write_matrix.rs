//! The write matrix, beside the read matrix (tests/platform/authorization.rs): every state-changing
//! route is driven as every business role with a *valid* form against a target outside the
//! role's scope (or on a route the role may not use at all), and must be refused without
//! changing anything: the business tables' fingerprint (`anpei_store::testing::fingerprint`)
//! is the same before and after. The same forms sent in scope do write, so the refusals are
//! scope's and permission's, not validation's. Every import kind is driven the same way,
//! with rows naming another unit's subject and workers.
//!
//! A declared state-changing route with neither a row in `WRITES` nor one in `EXEMPT` makes
//! `every_state_changing_route_has_a_row_in_the_write_matrix` fail.

use crate::common;

use anpei_core::ids::{IdNumber, Uscc};
use anpei_core::ledger::{CertificateRecord, TrainingRecord};
use anpei_core::SubjectKind;
use anpei_store::campaign::selfcheck::SelfcheckStatus;
use anpei_store::model::Subject;
use anpei_store::platform::accounts;
use anpei_store::platform::audit::Actor;
use anpei_store::scope::{Role, Scope};
use anpei_store::testing::{access, fingerprint, fingerprint_changes};
use anpei_web::routes::{specs, Perm};
use axum::http::StatusCode;
use chrono::{Days, NaiveDate};
use common::{Harness, Reply, Session};

// ---- the tables -----------------------------------------------------------------------------

/// What a write acts on: where its object comes from, and whose it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Target {
    /// No object: the caller's own unit (its summary report) or the whole district (a scan).
    Own,
    /// The subject in the path.
    Subject,
    /// A new subject placed where the target subject is (its town and industry).
    NewSubject,
    /// A subject named in a form field (`subject_id`), not in the path.
    SubjectField,
    /// A worker of the subject.
    Person,
    /// A problem of the subject, still to rectify.
    ProblemPending,
    /// A problem of the subject awaiting verification (销号 or 退回).
    ProblemAwaiting,
    /// The subject's self-inspection of the current campaign, as a draft.
    SelfCheckDraft,
    /// The same draft with an evidence file on item E01 (`file_id`).
    SelfCheckWithEvidence,
    /// The same self-inspection, submitted.
    SelfCheckSubmitted,
    /// A tip-off assigned to the subject's town, open.
    TipoffOpen,
    /// A tip-off assigned to the subject's town, closed (feedback to the reporter).
    TipoffClosed,
    /// An inspection (执法检查) of the subject.
    Inspection,
    /// An exam site (path).
    ExamSite,
    /// A training institution (path).
    TrainingInstitution,
    /// The subject's town, as the district's supervision sheet has it.
    Town,
    /// The subject's department, as the district's supervision sheet has it.
    Department,
    /// The subject's district, as the city's supervision sheet has it: the city's alone.
    District,
    /// A supervision problem of the subject's town.
    SupervisionProblem,
    /// The notice's campaign (the district's, not scoped).
    Campaign,
    /// An unpublished typical case (the district's, not scoped).
    Case,
    /// An import file whose rows name the subject and its workers (every import kind).
    Import,
    /// A 问题线索 of the subject nobody has acted on yet.
    Finding,
    /// A 问题线索 of the subject, dismissed (误报 / 不予处理).
    FindingDismissed,
}

impl Target {
    /// Whether the object belongs to a subject, so that a scope can be outside it. The others
    /// are the district's or the caller's own: only the route's permission refuses them.
    fn scoped(self) -> bool {
        !matches!(
            self,
            Target::Own
                | Target::Town
                | Target::Department
                | Target::SupervisionProblem
                | Target::Campaign
                | Target::Case
        )
    }
}

/// What an in-scope write does to the business tables.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Effect {
    /// Changes them.
    Writes,
    /// May leave them as they were (a re-scan finds what the last one found).
    MayWrite,
    /// Never changes them: it only reads and audits (查看完整号码), or checks a file
    /// without importing it (the upload page's dry run).
    Reads,
}

/// A request body.
enum Req {
    Form(Vec<(String, String)>),
    /// A multipart form (its CSRF token goes in the query string).
    Multipart(Vec<(String, String)>, Option<(String, Vec<u8>)>),
    /// An import file (kind from the context) for the route of the row: the API, the upload
    /// page (a dry run), or the upload page then 确认导入.
    Import(String, Vec<u8>),
}

/// One state-changing route.
struct Write {
    path: &'static str,
    target: Target,
    /// The role whose in-scope write shows the form is valid: the district on the very object
    /// the others were refused, or the subject on its own object where only a subject may
    /// write, or a town for its own unit.
    writer: Role,
    effect: Effect,
    /// A create naming a place or subject outside the scope is refused by the form page with
    /// the field's message (200 or 422), not 403/404.
    form_refusal: bool,
    form: fn(&Ctx) -> Req,
}

const fn w(path: &'static str, target: Target, form: fn(&Ctx) -> Req) -> Write {
    Write {
        path,
        target,
        writer: Role::District,
        effect: Effect::Writes,
        form_refusal: false,
        form,
    }
}

const fn by(mut x: Write, writer: Role) -> Write {
    x.writer = writer;
    x
}

const fn effect(mut x: Write, e: Effect) -> Write {
    x.effect = e;
    x
}

const fn form_refusal(mut x: Write) -> Write {
    x.form_refusal = true;
    x
}

/// Every state-changing route that writes a scope's business data (all are POST).
const WRITES: &[Write] = &[
    form_refusal(w("/subjects", Target::NewSubject, subject_new)),
    w("/subjects/{id}/edit", Target::Subject, subject_edit),
    effect(w("/findings/scan", Target::Own, empty), Effect::MayWrite),
    effect(
        w("/subjects/{id}/scan", Target::Subject, empty),
        Effect::MayWrite,
    ),
    form_refusal(w("/problems", Target::SubjectField, problem_new)),
    by(
        w("/problems/{id}/rectify", Target::ProblemPending, rectify),
        Role::Subject,
    ),
    w("/problems/{id}/verify", Target::ProblemAwaiting, verify),
    w("/problems/{id}/reject", Target::ProblemAwaiting, reject),
    effect(
        w("/persons/{id}/unmask", Target::Person, unmask),
        Effect::Reads,
    ),
    w("/tipoffs/new", Target::Own, tipoff_new),
    w("/tipoffs/{id}/assign", Target::TipoffOpen, tipoff_assign),
    w("/tipoffs/{id}/extend", Target::TipoffOpen, tipoff_extend),
    w("/tipoffs/{id}/close", Target::TipoffOpen, tipoff_close),
    w(
        "/tipoffs/{id}/feedback",
        Target::TipoffClosed,
        tipoff_feedback,
    ),
    w("/exams/subjects/{id}/plans", Target::ExamSite, exam_plan),
    w(
        "/exams/subjects/{id}/import",
        Target::ExamSite,
        exam_workbook,
    ),
    w(
        "/training/{id}/import",
        Target::TrainingInstitution,
        class_workbook,
    ),
    effect(w("/imports", Target::Import, import_file), Effect::Reads),
    w("/imports/confirm", Target::Import, import_file),
    w("/api/v1/imports", Target::Import, import_file),
    w("/campaigns/{id}/copy", Target::Campaign, campaign_copy),
    by(
        w("/selfcheck/{id}", Target::SelfCheckDraft, selfcheck_answers),
        Role::Subject,
    ),
    by(
        w(
            "/selfcheck/{id}/submit",
            Target::SelfCheckDraft,
            selfcheck_answers,
        ),
        Role::Subject,
    ),
    by(
        w(
            "/selfcheck/{id}/evidence",
            Target::SelfCheckDraft,
            selfcheck_evidence,
        ),
        Role::Subject,
    ),
    by(
        w(
            "/selfcheck/{id}/evidence/delete",
            Target::SelfCheckWithEvidence,
            selfcheck_evidence_delete,
        ),
        Role::Subject,
    ),
    w(
        "/selfcheck/{id}/return",
        Target::SelfCheckSubmitted,
        selfcheck_return,
    ),
    w("/supervision/towns/{id}", Target::Town, supervision_sheet),
    w(
        "/supervision/towns/{id}/findings",
        Target::Town,
        supervision_finding,
    ),
    w(
        "/supervision/departments/{id}",
        Target::Department,
        supervision_sheet,
    ),
    w(
        "/supervision/departments/{id}/findings",
        Target::Department,
        supervision_finding,
    ),
    by(
        w(
            "/supervision/districts/{id}",
            Target::District,
            supervision_sheet,
        ),
        Role::City,
    ),
    by(
        w(
            "/supervision/districts/{id}/findings",
            Target::District,
            supervision_finding,
        ),
        Role::City,
    ),
    w(
        "/supervision/problems/{id}/close",
        Target::SupervisionProblem,
        supervision_close,
    ),
    by(w("/summary", Target::Own, summary), Role::Town),
    form_refusal(w("/inspections", Target::SubjectField, inspection_new)),
    w(
        "/inspections/{id}/actions",
        Target::Inspection,
        inspection_action,
    ),
    // A district of a city sets its own dates inside the city's campaign.
    w(
        "/campaigns/{id}/district-dates",
        Target::Campaign,
        district_dates,
    ),
    w("/enforcement/cases/{id}", Target::Case, case_save),
    w(
        "/enforcement/cases/{id}/publish",
        Target::Case,
        case_publish,
    ),
    w("/findings/{id}/assign", Target::Finding, finding_assign),
    w("/findings/{id}/to-problem", Target::Finding, no_fields),
    w("/findings/{id}/dismiss", Target::Finding, finding_dismiss),
    w("/findings/{id}/reopen", Target::FindingDismissed, no_fields),
    // The bulk form names its subject in the list's filter: outside the scope the filter
    // matches nothing, and the page says so.
    form_refusal(w("/findings/bulk", Target::Finding, findings_bulk)),
    // 催办 reaches the caller's own subjects that have not submitted (its scope decides).
    w("/progress/urge", Target::Own, no_fields),
    // The same for the subjects with overdue problems, and for the towns and departments with
    // overdue tip-offs (there may be none here: the urging tests have them).
    effect(
        w("/problems/urge", Target::Own, no_fields),
        Effect::MayWrite,
    ),
    effect(w("/tipoffs/urge", Target::Own, no_fields), Effect::MayWrite),
    // The units without a summary report: the district's alone.
    w("/summaries/urge", Target::Own, no_fields),
];

/// State-changing routes that change no business data of a scope, each with the reason.
const EXEMPT: &[(&str, &str)] = &[
    ("/login", "signs in: the caller's own session"),
    ("/login/mfa", "the second step of signing in"),
    ("/logout", "ends the caller's own session"),
    ("/inbox/read", "marks the caller's own messages read"),
    ("/account/password", "the caller's own password"),
    ("/account/mfa", "the caller's own second factor"),
    ("/account/tokens", "the caller's own API tokens"),
    ("/api/v1/auth/token", "issues the caller's own API token"),
    (
        "/tipoff",
        "the public's tip-off form: anyone may file one, it targets no scope",
    ),
    ("/tipoff/status", "the reporter's status query: reads only"),
    (
        "/imports/cancel",
        "drops the caller's own pending upload (a file, never stored rows)",
    ),
    ("/admin/users", "the system administrator's accounts page"),
    (
        "/admin/reference",
        "the system administrator's reference lists (towns, departments)",
    ),
    ("/admin/security", "the security administrator's policy"),
    (
        "/admin/grants/{id}",
        "the security administrator's role grants",
    ),
    (
        "/admin/audit/verify",
        "the audit administrator's chain check",
    ),
];

/// Every import kind, each a file whose rows name the target subject and its workers.
const IMPORT_KINDS: &[&str] = &[
    "subjects",
    "persons",
    "certificates",
    "training",
    "registry",
    "ledger",
];

/// The business roles and their demo accounts.
const ROLES: &[(&str, Role)] = &[
    ("district", Role::District),
    ("department", Role::Department),
    ("town", Role::Town),
    ("enterprise", Role::Subject),
];

/// Out-of-scope writes that today change something: the holes this matrix found, kept
/// visible here (route, role, import kind or "") until the product is fixed. Empty: none.
const EXPECTED_HOLES: &[(&str, Role, &str)] = &[];

#[test]
fn every_state_changing_route_has_a_row_in_the_write_matrix() {
    let declared = specs();
    for s in &declared {
        if matches!(s.method, "GET" | "HEAD") {
            continue;
        }
        let rows = WRITES.iter().filter(|w| w.path == s.path).count()
            + EXEMPT.iter().filter(|(p, _)| *p == s.path).count();
        assert_eq!(
            rows, 1,
            "route {} {} needs exactly one row in WRITES or EXEMPT (has {rows})",
            s.method, s.path
        );
    }
    for path in WRITES
        .iter()
        .map(|w| w.path)
        .chain(EXEMPT.iter().map(|(p, _)| *p))
    {
        assert!(
            declared
                .iter()
                .any(|s| s.path == path && !matches!(s.method, "GET" | "HEAD")),
            "write matrix row {path} is no declared state-changing route"
        );
    }
}

// ---- the forms ------------------------------------------------------------------------------

/// What a form is built from.
struct Ctx {
    /// The object in the path (0 when the path has none).
    id: i32,
    /// The subject the object belongs to.
    subject: Subject,
    town_name: String,
    today: NaiveDate,
    /// Different in every request: new codes, names and ID numbers never collide.
    uniq: u32,
    /// The evidence file to delete (SelfCheckWithEvidence).
    file_id: i32,
    /// A certificate and a training record of one of the subject's workers (imports).
    cert: Option<CertificateRecord>,
    training: Option<TrainingRecord>,
    import_kind: &'static str,
}

fn pairs(v: &[(&str, String)]) -> Vec<(String, String)> {
    v.iter().map(|(k, v)| (k.to_string(), v.clone())).collect()
}

fn form(v: &[(&str, String)]) -> Req {
    Req::Form(pairs(v))
}

fn s(x: &str) -> String {
    x.to_string()
}

/// A small valid PNG header (the evidence checks sniff the content).
const PNG: &[u8] = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x01\0\0\0\x01\x08\x06\0\0\0";

fn png() -> Option<(String, Vec<u8>)> {
    Some((s("照片.png"), PNG.to_vec()))
}

/// A valid 统一社会信用代码 not in the demo district.
fn new_uscc(n: u32) -> String {
    let first17 = format!("91500112MA6W{:05}", n % 100_000);
    format!("{first17}{}", Uscc::check_char(&first17).unwrap())
}

/// A valid ID number not in the demo district (born 1990, which the demo does not use
/// with these sequence numbers).
fn new_id(n: u32) -> String {
    let first17 = format!("50011219900101{:03}", n % 1000);
    format!("{first17}{}", IdNumber::check_char(&first17).unwrap())
}

fn empty(_: &Ctx) -> Req {
    Req::Form(Vec::new())
}

fn subject_new(c: &Ctx) -> Req {
    form(&[
        ("uscc", new_uscc(c.uniq)),
        ("name", format!("写入矩阵新建单位{}", c.uniq)),
        ("kind", s("enterprise")),
        ("industry", c.subject.industry.clone().unwrap_or_default()),
        ("town_id", c.subject.town_id.to_string()),
        ("address", s("重庆市渝北区写入矩阵路1号")),
        ("contact_name", s("张三")),
        ("contact_phone", s("13812345678")),
    ])
}

fn subject_edit(c: &Ctx) -> Req {
    form(&[
        ("uscc", c.subject.uscc.clone()),
        ("name", c.subject.name.clone()),
        ("kind", c.subject.kind.code().to_string()),
        ("industry", c.subject.industry.clone().unwrap_or_default()),
        ("town_id", c.subject.town_id.to_string()),
        ("address", format!("重庆市渝北区写入矩阵路{}号", c.uniq)),
        ("contact_name", s("李四")),
        ("contact_phone", s("")),
    ])
}

fn problem_new(c: &Ctx) -> Req {
    form(&[
        ("subject_id", c.subject.id.to_string()),
        ("source", s("enforcement")),
        (
            "description",
            format!("未按规定组织从业人员安全培训（写入矩阵{}）", c.uniq),
        ),
        ("measures", s("一个月内组织全员培训并建立培训档案")),
        ("deadline", (c.today + Days::new(30)).to_string()),
        ("responsible_name", s("张三")),
        ("responsible_phone", s("13812345678")),
        ("campaign_id", s("")),
    ])
}

fn rectify(_: &Ctx) -> Req {
    Req::Multipart(
        pairs(&[
            ("text", s("已组织全员安全培训，培训档案已建立并归档。")),
            ("complete", s("1")),
        ]),
        png(),
    )
}

fn finding_assign(_: &Ctx) -> Req {
    form(&[("to", s("town"))])
}

fn no_fields(_: &Ctx) -> Req {
    form(&[])
}

fn finding_dismiss(_: &Ctx) -> Req {
    form(&[("reason", s("经核实为台账录入错误，属误报，不予处理。"))])
}

fn findings_bulk(c: &Ctx) -> Req {
    form(&[
        ("subject_id", c.subject.id.to_string()),
        ("status", s("pending")),
        ("action", s("assign_town")),
        ("confirm", s("1")),
    ])
}

fn verify(_: &Ctx) -> Req {
    form(&[("text", s("经现场核查，整改到位，予以销号。"))])
}

fn reject(_: &Ctx) -> Req {
    form(&[("text", s("整改材料不全，请补充培训签到表和考核记录。"))])
}

fn unmask(_: &Ctx) -> Req {
    form(&[
        ("field", s("id_number")),
        ("reason", s("核对持证人员身份信息")),
    ])
}

fn tipoff_new(c: &Ctx) -> Req {
    form(&[
        ("channel", s("hotline")),
        ("category", s("no_certificate")),
        ("subject_text", c.subject.name.clone()),
        (
            "description",
            format!("举报该单位特种作业人员无证上岗（写入矩阵{}）", c.uniq),
        ),
        ("anonymous", s("1")),
        ("reporter_name", s("")),
        ("reporter_contact", s("")),
    ])
}

fn tipoff_assign(c: &Ctx) -> Req {
    form(&[("to", format!("department:{}", c.subject.department_id))])
}

fn tipoff_extend(_: &Ctx) -> Req {
    form(&[
        ("days", s("10")),
        ("approved_by", s("王局长")),
        ("reason", s("需要补充调查取证")),
    ])
}

fn tipoff_close(_: &Ctx) -> Req {
    form(&[
        (
            "result",
            s("经现场核查，举报情况属实，已责令该单位限期整改。"),
        ),
        ("substantiated", s("yes")),
    ])
}

fn tipoff_feedback(_: &Ctx) -> Req {
    form(&[("text", s("您举报的问题已核查处理，感谢您的监督。"))])
}

fn exam_plan(c: &Ctx) -> Req {
    let day = NaiveDate::from_ymd_opt(2027, 3, 1).unwrap() + Days::new(u64::from(c.uniq % 300));
    form(&[
        ("starts_at", format!("{day}T09:00")),
        ("ends_at", format!("{day}T11:00")),
        ("candidates", s("30")),
        ("category", s("电工作业")),
        ("site_id", s("")),
    ])
}

fn sheet(name: &str, rows: &[&[&str]]) -> anpei_import::sheets::Sheet {
    (
        name.to_string(),
        rows.iter()
            .map(|r| r.iter().map(|c| c.to_string()).collect())
            .collect(),
    )
}

/// An exam-record workbook with one plan, session, staff member, candidate, recording,
/// credential and piece of equipment, keyed anew by `uniq`.
fn exam_workbook(c: &Ctx) -> Req {
    let (plan, session) = (format!("P{}", c.uniq), format!("S{}", c.uniq));
    let sha = format!("{:064x}", c.uniq);
    let bytes = anpei_import::sheets::write_sheets(&[
        sheet(
            "考试计划",
            &[
                &["计划编号", "开始时间", "结束时间", "考试类别", "计划人数"],
                &[
                    &plan,
                    "2025-03-05 08:00",
                    "2025-03-05 18:00",
                    "电工作业",
                    "30",
                ],
            ],
        ),
        sheet(
            "考试场次",
            &[
                &[
                    "场次编号",
                    "计划编号",
                    "考场",
                    "开始时间",
                    "结束时间",
                    "考试系统",
                    "考试类别",
                ],
                &[
                    &session,
                    &plan,
                    "第一考场",
                    "2025-03-05 09:00",
                    "2025-03-05 11:00",
                    "国家考试系统",
                    "电工作业",
                ],
            ],
        ),
        sheet(
            "考务人员",
            &[
                &[
                    "场次编号",
                    "姓名",
                    "身份证号",
                    "角色",
                    "到岗时间",
                    "离岗时间",
                ],
                &[
                    &session,
                    "王监考",
                    "11010519491231002X",
                    "监考员",
                    "2025-03-05 08:50",
                    "2025-03-05 11:00",
                ],
            ],
        ),
        sheet(
            "考生成绩",
            &[
                &["场次编号", "姓名", "身份证号", "成绩", "是否合格"],
                &[&session, "李考生", "110105198001010016", "86", "合格"],
            ],
        ),
        sheet(
            "考试录像",
            &[
                &["场次编号", "文件名", "SHA-256", "时长（分钟）", "存储位置"],
                &[&session, "第一考场.mp4", &sha, "130", "录像服务器"],
            ],
        ),
        sheet(
            "考务证件",
            &[
                &[
                    "姓名",
                    "身份证号",
                    "证件类别",
                    "证件编号",
                    "有效期起",
                    "有效期至",
                ],
                &[
                    "王监考",
                    "11010519491231002X",
                    "监考员证",
                    &format!("JK{}", c.uniq),
                    "2024-01-01",
                    "2026-12-31",
                ],
            ],
        ),
        sheet(
            "考试设备",
            &[
                &["设备名称", "检验合格证编号", "有效期至"],
                &["低压电工实训台", &format!("JY-{}", c.uniq), "2026-06-30"],
            ],
        ),
    ])
    .unwrap();
    Req::Multipart(Vec::new(), Some((s("考试记录.xlsx"), bytes)))
}

fn row(cells: &[&str]) -> Vec<String> {
    cells.iter().map(|s| s.to_string()).collect()
}

/// A training institution's class file: one class (code from `uniq`) with its teacher,
/// venue, equipment, two sessions, a trainee and her attendance.
fn class_workbook(c: &Ctx) -> Req {
    let class = format!("WM-{}", c.uniq);
    let trainee = "11010519491231002X";
    let sheets: Vec<anpei_import::training::SheetData<'_>> = vec![
        (
            "师资",
            vec!["姓名", "身份证号", "专兼职", "资质"],
            vec![row(&[
                "孙老师",
                "110105197001010011",
                "专职",
                "注册安全工程师",
            ])],
        ),
        (
            "场地",
            vec!["场地名称", "容纳人数"],
            vec![row(&["二号教室", "50"])],
        ),
        (
            "设备",
            vec!["设备名称", "数量"],
            vec![row(&["模拟人", "2"])],
        ),
        (
            "培训班",
            vec![
                "班级编号",
                "培训类型",
                "大纲学时",
                "开班日期",
                "结业日期",
                "场地",
                "计划人数",
            ],
            vec![row(&[
                &class,
                "主要负责人初次培训",
                "32",
                "2026/3/2",
                "2026年3月9日",
                "二号教室",
                "30",
            ])],
        ),
        (
            "课次",
            vec![
                "班级编号",
                "课次",
                "开始时间",
                "结束时间",
                "授课教师",
                "形式",
                "录像文件名",
                "录像SHA256",
                "录像时长（分钟）",
            ],
            vec![
                row(&[
                    &class,
                    "1",
                    "2026-03-02 09:00",
                    "2026-03-02 12:00",
                    "孙老师",
                    "线下",
                    "WM-01.mp4",
                    &format!("{:064x}", c.uniq),
                    "180",
                ]),
                row(&[
                    &class,
                    "2",
                    "2026-03-03 09:00",
                    "2026-03-03 12:00",
                    "孙老师",
                    "线上",
                    "",
                    "",
                    "",
                ]),
            ],
        ),
        (
            "学员",
            vec!["班级编号", "姓名", "身份证号", "考核成绩"],
            vec![row(&[&class, "钱学员", trainee, "86"])],
        ),
        (
            "签到",
            vec!["班级编号", "课次", "身份证号", "签到时间", "签退时间"],
            vec![row(&[
                &class,
                "1",
                trainee,
                "2026-03-02 08:55",
                "2026-03-02 12:01",
            ])],
        ),
    ];
    let bytes = anpei_import::training::write_sheets(&sheets).unwrap();
    Req::Multipart(Vec::new(), Some((s("培训档案.xlsx"), bytes)))
}

const SUBJECT_HEADER: &str =
    "统一社会信用代码,单位名称,单位类型,行业,所属镇街,行业主管部门,地址,联系人,联系电话";
const PERSON_HEADER: &str = "统一社会信用代码,姓名,身份证号,手机号,岗位类别,作业类别,任职日期";
const CERT_HEADER: &str = "身份证号,姓名,证书类型,证书编号,作业类别,操作项目,初领日期,有效期起,有效期止,应复审日期,实际复审日期,发证机关";
const TRAINING_HEADER: &str = "统一社会信用代码,身份证号,姓名,培训类型,培训形式,开始时间,结束时间,理论学时,实操学时,培训机构,考核成绩,考核结果";

/// The subject's own row with a new address (an update of it).
fn subject_cells(c: &Ctx) -> Vec<String> {
    let kind = c.subject.kind.label();
    vec![
        c.subject.uscc.clone(),
        c.subject.name.clone(),
        s(kind),
        c.subject.industry.clone().unwrap_or_default(),
        c.town_name.clone(),
        s(""),
        format!("重庆市渝北区写入矩阵路{}号", c.uniq),
        s("张三"),
        s(""),
    ]
}

/// A new worker of the subject (an insert under its employer).
fn person_cells(c: &Ctx) -> Vec<String> {
    vec![
        c.subject.uscc.clone(),
        format!("写入矩阵{}", c.uniq % 1000),
        new_id(c.uniq),
        s(""),
        s("一般从业人员"),
        s(""),
        s("2021-03-05"),
    ]
}

fn date(d: Option<NaiveDate>) -> String {
    d.map(|d| d.to_string()).unwrap_or_default()
}

/// A certificate of the subject's worker, valid a little longer (an update of it).
fn cert_cells(c: &Ctx) -> Vec<String> {
    let r = c
        .cert
        .as_ref()
        .expect("the subject's worker has a certificate");
    let until = NaiveDate::from_ymd_opt(2031, 1, 1).unwrap() + Days::new(u64::from(c.uniq));
    vec![
        r.id_number.as_str().to_string(),
        r.name.clone(),
        s(r.cert_type.label()),
        r.cert_no.clone(),
        r.category.clone().unwrap_or_default(),
        r.operation_item.clone().unwrap_or_default(),
        date(r.first_issued),
        date(r.valid_from),
        until.to_string(),
        date(r.review_due),
        date(r.reviewed_on),
        r.issuer.clone().unwrap_or_default(),
    ]
}

/// A new training of the subject's worker (his record, a few days later).
fn training_cells(c: &Ctx) -> Vec<String> {
    let t = c
        .training
        .as_ref()
        .expect("the subject's worker has training");
    let shift = chrono::Duration::days(i64::from(c.uniq % 200) + 1);
    let (start, end) = (t.start + shift, t.end + shift);
    vec![
        t.employer.as_str().to_string(),
        t.id_number.as_str().to_string(),
        t.name.clone(),
        s(t.training_type.label()),
        s(t.form.label()),
        start.format("%Y-%m-%d %H:%M:%S").to_string(),
        end.format("%Y-%m-%d %H:%M:%S").to_string(),
        t.theory_hours.to_string(),
        t.practical_hours.to_string(),
        s(""),
        s(""),
        s(""),
    ]
}

fn csv(header: &str, cells: Vec<String>) -> Vec<u8> {
    format!("{header}\n{}\n", cells.join(",")).into_bytes()
}

fn split(header: &str) -> Vec<String> {
    header.split(',').map(String::from).collect()
}

fn import_file(c: &Ctx) -> Req {
    let (name, bytes) = match c.import_kind {
        "subjects" => ("单位.csv", csv(SUBJECT_HEADER, subject_cells(c))),
        "persons" => ("人员.csv", csv(PERSON_HEADER, person_cells(c))),
        "certificates" | "registry" => ("证书.csv", csv(CERT_HEADER, cert_cells(c))),
        "training" => ("培训.csv", csv(TRAINING_HEADER, training_cells(c))),
        "ledger" => (
            "台账.xlsx",
            anpei_import::sheets::write_sheets(&[
                (s("单位"), vec![split(SUBJECT_HEADER), subject_cells(c)]),
                (s("人员"), vec![split(PERSON_HEADER), person_cells(c)]),
                (s("证书"), vec![split(CERT_HEADER), cert_cells(c)]),
                (s("培训"), vec![split(TRAINING_HEADER), training_cells(c)]),
            ])
            .unwrap(),
        ),
        other => panic!("unknown import kind {other}"),
    };
    Req::Import(s(name), bytes)
}

fn campaign_copy(c: &Ctx) -> Req {
    // Years after the demo's campaign, one year apart per request: never overlapping.
    let y = 2030 + (c.uniq % 60) as i32;
    form(&[
        ("name", format!("{y}年安全培训专项整治（写入矩阵）")),
        ("doc_number", format!("渝北安委〔{y}〕1号")),
        ("starts_on_1", format!("{}-12-01", y - 1)),
        ("ends_on_1", format!("{y}-03-31")),
        ("starts_on_2", format!("{y}-04-01")),
        ("ends_on_2", format!("{y}-06-30")),
        ("starts_on_3", format!("{y}-07-01")),
        ("ends_on_3", format!("{y}-08-31")),
        ("starts_on_4", format!("{y}-09-01")),
        ("ends_on_4", format!("{y}-09-30")),
        ("summary_due", format!("{y}-09-15")),
    ])
}

/// Every enterprise item (E01–E10) answered 符合, with the reason an item with open findings
/// needs.
fn selfcheck_answers(_: &Ctx) -> Req {
    let mut v = Vec::new();
    for n in 1..=10 {
        let c = format!("E{n:02}");
        v.push((format!("answer_{c}"), s("compliant")));
        v.push((
            format!("explanation_{c}"),
            s("经逐项核查，相关线索所涉人员均已持证上岗、培训记录齐全"),
        ));
        for f in ["measures", "deadline", "name", "phone"] {
            v.push((format!("{f}_{c}"), String::new()));
        }
    }
    v.push((s("period_from"), String::new()));
    v.push((s("period_to"), String::new()));
    Req::Form(v)
}

fn selfcheck_evidence(_: &Ctx) -> Req {
    Req::Multipart(pairs(&[("item", s("E01"))]), png())
}

fn selfcheck_evidence_delete(c: &Ctx) -> Req {
    form(&[("file_id", c.file_id.to_string()), ("item", s("E01"))])
}

fn selfcheck_return(_: &Ctx) -> Req {
    form(&[("reason", s("请补充培训签到表等佐证材料后重新提交。"))])
}

fn supervision_sheet(c: &Ctx) -> Req {
    form(&[
        ("manual", format!("{}", 1 + c.uniq % 3)),
        ("reason", s("培训档案规范，予以加分")),
        ("finalise", s("")),
    ])
}

fn supervision_finding(c: &Ctx) -> Req {
    form(&[
        (
            "text",
            format!("部分企业培训台账不完整（写入矩阵{}）", c.uniq),
        ),
        ("measures", s("督促企业一个月内补齐培训台账")),
        ("deadline", (c.today + Days::new(30)).to_string()),
    ])
}

/// The notice's own dates (the city's, exactly at its bounds).
fn district_dates(_: &Ctx) -> Req {
    let n = anpei_core::campaign::notice_campaign();
    let mut f = vec![("summary_due".to_string(), n.summary_due.to_string())];
    for (i, p) in n.phases.iter().enumerate() {
        f.push((format!("starts_on_{}", i + 1), p.starts_on.to_string()));
        f.push((format!("ends_on_{}", i + 1), p.ends_on.to_string()));
    }
    Req::Form(f)
}

fn supervision_close(_: &Ctx) -> Req {
    form(&[("note", s("已督促整改到位，培训台账已补齐。"))])
}

fn summary(c: &Ctx) -> Req {
    Req::Multipart(
        pairs(&[
            ("title", format!("安全培训专项整治工作总结（{}）", c.uniq)),
            (
                "body",
                s("一、工作开展情况。组织辖区单位开展自查自改，完成执法检查。二、存在问题。三、下一步工作。"),
            ),
        ]),
        None,
    )
}

fn inspection_new(c: &Ctx) -> Req {
    form(&[
        ("subject_id", c.subject.id.to_string()),
        ("inspected_on", c.today.to_string()),
        ("inspectors", s("王明 50011201\n李强 50011202")),
        (
            "notes",
            format!("查阅培训档案和证书台账（写入矩阵{}）", c.uniq),
        ),
        ("result_E01", s("noncompliant")),
        ("note_E01", s("未制定年度安全培训计划")),
        ("result_E02", s("compliant")),
        ("result_S01", s("compliant")),
        ("result_T01", s("compliant")),
        ("result_X01", s("compliant")),
        ("rectify_deadline", (c.today + Days::new(30)).to_string()),
    ])
}

fn inspection_action(c: &Ctx) -> Req {
    Req::Multipart(
        pairs(&[
            ("decided_on", c.today.to_string()),
            ("decision_no", format!("渝北应急罚〔2026〕{}号", c.uniq)),
            ("kind", s("fine")),
            ("fine_stage", s("ordered")),
            ("amount_unit", s("50000")),
            ("text", s("未按规定开展安全生产教育和培训")),
        ]),
        None,
    )
}

fn case_save(c: &Ctx) -> Req {
    form(&[
        (
            "title",
            format!("某企业特种作业人员无证上岗案（{}）", c.uniq),
        ),
        (
            "body",
            s("2026年，执法人员检查发现该企业电工无证上岗，依法责令改正并处罚款。"),
        ),
    ])
}

fn case_publish(_: &Ctx) -> Req {
    form(&[("published", s("1"))])
}

// ---- the objects ------------------------------------------------------------------------------

/// The subjects every write is aimed at.
struct Fixtures {
    /// Out of the department's, the town's and the enterprise's scope, one of each kind.
    foreign_enterprise: Subject,
    foreign_exam_site: Subject,
    foreign_institution: Subject,
    /// The demo enterprise account's own subject.
    own: Subject,
    campaign_id: i32,
    cert: CertificateRecord,
    training: TrainingRecord,
}

/// Whether any of `scopes` sees subject `id`.
async fn seen_by_any(h: &Harness, scopes: &[Scope], id: i32) -> bool {
    for sc in scopes {
        if anpei_store::registry::subjects::get(h.store(), sc, id)
            .await
            .unwrap()
            .is_some()
        {
            return true;
        }
    }
    false
}

/// A subject of `kind` that none of `scopes` sees. Institutions are all supervised by the
/// demo department (应急局), so one in another town is handed to another department.
async fn foreign(
    h: &Harness,
    scopes: &[Scope],
    kind: SubjectKind,
    fit: impl Fn(&Subject) -> bool,
) -> Subject {
    let all: Vec<Subject> = access::subjects(h.store())
        .await
        .into_iter()
        .filter(|s| s.kind == kind)
        .collect();
    for s in all.iter().filter(|s| fit(s)) {
        if !seen_by_any(h, scopes, s.id).await {
            return s.clone();
        }
    }
    let town_of = |sc: &Scope| match sc.reach() {
        anpei_store::Reach::Town(t) => Some(t),
        _ => None,
    };
    let demo_town = scopes.iter().find_map(town_of).unwrap();
    let demo_department = scopes
        .iter()
        .find_map(|sc| match sc.reach() {
            anpei_store::Reach::Department(d) => Some(d),
            _ => None,
        })
        .unwrap();
    let s = all
        .iter()
        .find(|s| s.town_id != demo_town && fit(s))
        .unwrap_or_else(|| panic!("a {kind:?} outside the demo town"))
        .clone();
    let (dept, industries) = anpei_store::registry::reference::departments(
        h.store(),
        &anpei_store::Scope::district_wide(),
    )
    .await
    .unwrap()
    .into_iter()
    .find(|(d, i)| d.id != demo_department && !i.is_empty())
    .expect("another department with an industry");
    // The district hands it to that department's first industry.
    anpei_store::registry::subjects::update(
        h.store(),
        &Scope::district_wide(),
        &Actor::system("test"),
        s.id,
        &anpei_store::registry::subjects::SubjectInput {
            uscc: s.uscc.clone(),
            name: s.name.clone(),
            kind: s.kind.code().to_string(),
            industry: industries[0].clone(),
            town_id: s.town_id.to_string(),
            address: s.address.clone().unwrap_or_default(),
            contact_name: s.contact_name.clone().unwrap_or_default(),
            contact_phone: String::new(),
        },
    )
    .await
    .unwrap();
    let s = access::subjects(h.store())
        .await
        .into_iter()
        .find(|x| x.id == s.id)
        .unwrap();
    assert_eq!(
        (s.department_id, s.industry.as_deref()),
        (dept.id, Some(industries[0].as_str()))
    );
    assert!(!seen_by_any(h, scopes, s.id).await);
    s
}

async fn fixtures(h: &Harness, scopes: &[Scope]) -> Fixtures {
    let d = &h.district;
    // An enterprise with a worker who holds a certificate and has training (the imports).
    let with_records = |s: &Subject| {
        d.trainings.iter().any(|t| t.employer.as_str() == s.uscc)
            && d.certificates.iter().any(|c| {
                d.persons
                    .iter()
                    .any(|p| p.id_number == c.id_number && p.employer.as_str() == s.uscc)
            })
    };
    let foreign_enterprise = foreign(h, scopes, SubjectKind::Enterprise, with_records).await;
    let mut exam_sites = Vec::new();
    for s in access::subjects(h.store())
        .await
        .into_iter()
        .filter(|s| s.kind == SubjectKind::ExamSite)
    {
        let q = anpei_store::enforcement::exam_qualification(h.store(), s.id)
            .await
            .unwrap();
        if q.status.may_hold_exams() {
            exam_sites.push(s.id);
        }
    }
    let foreign_exam_site = foreign(h, scopes, SubjectKind::ExamSite, |s| {
        exam_sites.contains(&s.id)
    })
    .await;
    let foreign_institution = foreign(h, scopes, SubjectKind::TrainingInstitution, |_| true).await;
    let ent = accounts::find_user(h.store(), "enterprise")
        .await
        .unwrap()
        .unwrap();
    let own = access::subjects(h.store())
        .await
        .into_iter()
        .find(|s| Some(s.id) == ent.scope_subject_id)
        .unwrap();
    let mut campaign_id = None;
    for c in
        anpei_store::campaign::progress::campaigns(h.store(), &anpei_store::Scope::district_wide())
            .await
            .unwrap()
            .into_iter()
            .rev()
    {
        if let Some(si) = anpei_store::campaign::selfcheck::find(h.store(), c.id, own.id)
            .await
            .unwrap()
        {
            campaign_id = Some(si.campaign_id);
            break;
        }
    }
    let campaign_id =
        campaign_id.expect("the demo enterprise has a self-inspection of the demo campaign");
    let uscc = foreign_enterprise.uscc.as_str();
    let cert = d
        .certificates
        .iter()
        .find(|c| {
            d.persons
                .iter()
                .any(|p| p.id_number == c.id_number && p.employer.as_str() == uscc)
        })
        .unwrap()
        .clone();
    let training = d
        .trainings
        .iter()
        .find(|t| t.employer.as_str() == uscc)
        .unwrap()
        .clone();
    Fixtures {
        foreign_enterprise,
        foreign_exam_site,
        foreign_institution,
        own,
        campaign_id,
        cert,
        training,
    }
}

/// The subject a target belongs to: the foreign one of its kind, or (`own`) the enterprise's.
fn owner(fx: &Fixtures, t: Target, own: bool) -> Subject {
    match t {
        Target::ExamSite => fx.foreign_exam_site.clone(),
        Target::TrainingInstitution => fx.foreign_institution.clone(),
        _ if own => fx.own.clone(),
        _ => fx.foreign_enterprise.clone(),
    }
}

/// The subject's self-inspection of the demo campaign in `status` (created if it has none).
async fn self_inspection_in(
    h: &Harness,
    fx: &Fixtures,
    subject_id: i32,
    status: SelfcheckStatus,
) -> i32 {
    // The subject's own, as it opens it the first time; then in the state the write needs.
    let id = anpei_store::campaign::selfcheck::open_for_subject(
        h.store(),
        &anpei_store::testing::subject_scope(subject_id),
        &Actor::system("test"),
        fx.campaign_id,
    )
    .await
    .unwrap()
    .id;
    access::set_self_inspection_status(h.store(), id, status).await;
    id
}

/// Makes the target's object in the state the write needs, and the form's context.
async fn prepare(
    h: &Harness,
    fx: &Fixtures,
    t: Target,
    own: bool,
    import_kind: &'static str,
    uniq: u32,
) -> Ctx {
    use anpei_store::campaign::problems::{self, Action, ProblemInput};
    use anpei_store::enforcement::tipoffs::{self, Assignee, NewTipoff, Viewer};
    let subject = owner(fx, t, own);
    let today = h.store().today();
    let system = Actor::system("test");
    // Entered by the district.
    let problem = || async {
        problems::create(
            h.store(),
            &Scope::district_wide(),
            &system,
            "测试",
            &ProblemInput {
                subject_id: subject.id.to_string(),
                source: "enforcement".into(),
                description: format!("写入矩阵用问题{uniq}"),
                measures: "整改".into(),
                deadline: (today + Days::new(30)).to_string(),
                responsible_name: "张三".into(),
                ..Default::default()
            },
        )
        .await
        .unwrap()
    };
    let tipoff = || async {
        let r = tipoffs::submit(
            h.store(),
            None,
            NewTipoff {
                channel: "web".into(),
                category: "other".into(),
                description: "写入矩阵测试用举报，描述不少于十个字。".into(),
                anonymous: true,
                ..Default::default()
            },
        )
        .await
        .unwrap();
        tipoffs::assign(
            h.store(),
            &system,
            Viewer::Intake,
            r.id,
            Assignee::Town(subject.town_id),
        )
        .await
        .unwrap();
        r.id
    };
    let mut file_id = 0;
    let id = match t {
        Target::Own => 0,
        Target::Subject
        | Target::NewSubject
        | Target::SubjectField
        | Target::ExamSite
        | Target::TrainingInstitution
        | Target::Import => subject.id,
        Target::Person => {
            access::persons(h.store())
                .await
                .into_iter()
                .find(|p| p.subject_id == subject.id)
                .expect("the subject has workers")
                .id
        }
        Target::ProblemPending => problem().await,
        Target::ProblemAwaiting => {
            let id = problem().await;
            // The subject reports it rectified and asks for verification.
            problems::act(
                h.store(),
                &anpei_store::testing::subject_scope(subject.id),
                &system,
                "测试",
                id,
                Action::RequestVerification,
                "已整改完毕",
            )
            .await
            .unwrap();
            id
        }
        Target::SelfCheckDraft => {
            self_inspection_in(h, fx, subject.id, SelfcheckStatus::Draft).await
        }
        Target::SelfCheckSubmitted => {
            self_inspection_in(h, fx, subject.id, SelfcheckStatus::Submitted).await
        }
        Target::SelfCheckWithEvidence => {
            let id = self_inspection_in(h, fx, subject.id, SelfcheckStatus::Draft).await;
            let answer = access::self_inspection_answer(h.store(), id, "E01").await;
            let sha = anpei_store::crypto::sha256_hex(PNG);
            let dir = common::test_config().evidence_dir();
            std::fs::create_dir_all(&dir).unwrap();
            std::fs::write(dir.join(&sha), PNG).unwrap();
            file_id = anpei_store::platform::evidence::attach(
                h.store(),
                &system,
                &Scope::district_wide(),
                anpei_store::campaign::selfcheck::EVIDENCE_OWNER,
                answer,
                Some(subject.id),
                &anpei_store::platform::evidence::Attachment {
                    file_name: "照片.png".into(),
                    mime: "image/png".into(),
                    size: PNG.len() as i64,
                    sha256: sha,
                },
            )
            .await
            .unwrap()
            .id;
            id
        }
        Target::TipoffOpen => tipoff().await,
        Target::TipoffClosed => {
            let id = tipoff().await;
            tipoffs::close(
                h.store(),
                &system,
                Viewer::Intake,
                id,
                "经核查，举报情况属实，已责令整改。",
                true,
            )
            .await
            .unwrap();
            id
        }
        Target::Inspection => access::add_inspection(h.store(), subject.id, today).await,
        Target::Town => subject.town_id,
        Target::Department => subject.department_id,
        Target::District => {
            anpei_store::registry::reference::towns(h.store(), &Scope::district_wide())
                .await
                .unwrap()
                .into_iter()
                .find(|t| t.id == subject.town_id)
                .unwrap()
                .district_id
        }
        Target::SupervisionProblem => {
            use anpei_store::campaign::supervision::{self as sv, FindingInput, Unit};
            let c = sv::campaign_or_current(h.store(), None).await.unwrap();
            sv::add_finding(
                h.store(),
                &anpei_store::Scope::district_wide(),
                &system,
                &c,
                Unit::Town(subject.town_id),
                &FindingInput {
                    text: format!("写入矩阵用督查问题{uniq}"),
                    measures: "整改".into(),
                    deadline: (today + Days::new(30)).to_string(),
                },
            )
            .await
            .unwrap()
        }
        Target::Campaign => anpei_store::campaign::progress::campaigns(
            h.store(),
            &anpei_store::Scope::district_wide(),
        )
        .await
        .unwrap()
        .into_iter()
        .filter(|c| c.copied_from.is_none())
        .map(|c| c.id)
        .min()
        .expect("the notice's campaign"),
        Target::Case => {
            access::add_case(h.store(), &format!("写入矩阵用案例{uniq}"), "正文", None).await
        }
        Target::Finding => {
            anpei_store::testing::records::add_finding(h.store(), subject.id, uniq).await
        }
        Target::FindingDismissed => {
            let id = anpei_store::testing::records::add_finding(h.store(), subject.id, uniq).await;
            anpei_store::ledger::leads::dismiss(
                h.store(),
                &Scope::district_wide(),
                &system,
                "测试",
                &[id],
                "写入矩阵测试：核实为误报，不予处理。",
            )
            .await
            .unwrap();
            id
        }
    };
    let town_name =
        anpei_store::registry::reference::towns(h.store(), &anpei_store::Scope::district_wide())
            .await
            .unwrap()
            .into_iter()
            .find(|t| t.id == subject.town_id)
            .unwrap()
            .name;
    Ctx {
        id,
        subject,
        town_name,
        today,
        uniq,
        file_id,
        cert: Some(fx.cert.clone()),
        training: Some(fx.training.clone()),
        import_kind,
    }
}

// ---- sending --------------------------------------------------------------------------------

/// A signed-in business account: its browser session and its API token.
struct Who {
    user: &'static str,
    role: Role,
    session: Session,
    token: String,
    /// Whether its scope holds every target the matrix prepares (the district of the demo
    /// data, and the city): it is not driven out of scope.
    everywhere: bool,
}

impl Who {
    /// Whether the target lies outside this account's reach: for one that reaches
    /// everywhere, only a district's sheet (the city's alone).
    fn outside(&self, t: Target) -> bool {
        if self.everywhere {
            t == Target::District && self.role != Role::City
        } else {
            t.scoped() || t == Target::District
        }
    }
}

/// The tip-off routes of the intake duty (a city's is the city's).
const INTAKE_ROUTES: &[&str] = &[
    "/tipoffs/new",
    "/tipoffs/{id}/assign",
    "/tipoffs/{id}/extend",
    "/tipoffs/{id}/close",
    "/tipoffs/{id}/feedback",
];

/// Permissions a handler checks beyond its route's `Perm` (as in the read matrix): the
/// tip-off intake duty (the demo district account holds it), uploading a class file (the
/// institution's own account and the district), unmasking (the policy's roles).
fn policy_allows(h: &Harness, path: &str, role: Role, city: bool) -> bool {
    let intake = if city { Role::City } else { Role::District };
    match path {
        // A district's own dates: a district of a city only.
        "/campaigns/{id}/district-dates" => city && role == Role::District,
        // A city's district hands on what the city handed to it.
        "/tipoffs/{id}/assign" if city => matches!(role, Role::City | Role::District),
        "/tipoffs/new"
        | "/tipoffs/{id}/assign"
        | "/tipoffs/{id}/extend"
        | "/tipoffs/{id}/feedback" => role == intake,
        "/training/{id}/import" => matches!(role, Role::City | Role::District | Role::Subject),
        "/persons/{id}/unmask" => h.store().policy().may_unmask(role),
        _ => true,
    }
}

/// What an import answered: the status, and (API) the rows inserted or updated and rejected.
struct Answer {
    reply: Reply,
    stored: Option<u64>,
    rejected: Option<u64>,
}

fn import_counts(body: &str) -> (Option<u64>, Option<u64>) {
    let Ok(v) = serde_json::from_str::<serde_json::Value>(body) else {
        return (None, None);
    };
    let Some(counts) = v["counts"].as_object() else {
        return (None, None);
    };
    let sum = |what: &str| {
        counts
            .values()
            .map(|c| c[what].as_u64().unwrap_or(0))
            .sum::<u64>()
    };
    (
        Some(sum("inserted") + sum("updated")),
        Some(sum("rejected")),
    )
}

/// The review page's counts: rows inserted or updated (by the dry run: that would be), and
/// rows rejected, over every sheet.
fn review_counts(html: &str) -> (Option<u64>, Option<u64>) {
    let Some(at) = html.find("id=\"import-counts\"") else {
        return (None, None);
    };
    let table = &html[at..];
    let table = &table[..table.find("</table>").unwrap_or(table.len())];
    let (mut stored, mut rejected) = (0, 0);
    for row in table.split("<tr>").skip(2) {
        // 读取, 新增, 更新, 未变, 拒绝 after the sheet's name.
        let n: Vec<u64> = row
            .split("</td>")
            .filter_map(|cell| cell.rsplit('>').next()?.trim().parse().ok())
            .collect();
        if let [_, inserted, updated, _, r] = n[..] {
            stored += inserted + updated;
            rejected += r;
        }
    }
    (Some(stored), Some(rejected))
}

async fn send(h: &Harness, who: &Who, row: &Write, c: &Ctx) -> Answer {
    let path = row.path.replace("{id}", &c.id.to_string());
    let s = &who.session;
    let reply = match (row.form)(c) {
        Req::Form(fields) => {
            let refs: Vec<(&str, &str)> = fields
                .iter()
                .map(|(k, v)| (k.as_str(), v.as_str()))
                .collect();
            h.post_form(Some(s), &path, &refs).await
        }
        Req::Multipart(fields, file) => {
            let refs: Vec<(&str, &str)> = fields
                .iter()
                .map(|(k, v)| (k.as_str(), v.as_str()))
                .collect();
            h.post_multipart(
                Some(s),
                &format!("{path}?_csrf={}", s.csrf),
                &refs,
                file.as_ref().map(|(n, b)| (n.as_str(), b.as_slice())),
            )
            .await
        }
        Req::Import(name, bytes) => {
            let kind = [("kind", c.import_kind)];
            let file = Some((name.as_str(), bytes.as_slice()));
            if path == "/api/v1/imports" {
                let r = h.api_post_multipart(&who.token, &path, &kind, file).await;
                let (stored, rejected) = import_counts(&r.body);
                return Answer {
                    reply: r,
                    stored,
                    rejected,
                };
            }
            let up = h
                .post_multipart(Some(s), &format!("/imports?_csrf={}", s.csrf), &kind, file)
                .await;
            let r = if path == "/imports" || up.status != StatusCode::SEE_OTHER {
                up
            } else {
                let id = up
                    .location()
                    .split("id=")
                    .nth(1)
                    .unwrap_or_default()
                    .to_string();
                h.post_form(Some(s), "/imports/confirm", &[("id", &id)])
                    .await
            };
            // The review shows the counts: of the dry run, or once confirmed of the import.
            let (stored, rejected) = if r.status == StatusCode::SEE_OTHER
                && r.location().starts_with("/imports/review")
            {
                review_counts(&h.get(Some(s), r.location()).await.body)
            } else {
                (None, None)
            };
            return Answer {
                reply: r,
                stored,
                rejected,
            };
        }
    };
    Answer {
        reply,
        stored: None,
        rejected: None,
    }
}

// ---- the matrix -----------------------------------------------------------------------------

/// Why an out-of-scope answer is not a refusal, if it is not.
fn not_refused(row: &Write, a: &Answer) -> Option<String> {
    let st = a.reply.status;
    if matches!(st, StatusCode::FORBIDDEN | StatusCode::NOT_FOUND) {
        return None;
    }
    if row.target == Target::Import {
        // The API answers with the counts, the upload page (a dry run) and 确认导入 with
        // the review page's: every row rejected, none stored (or, dry, to be stored).
        return match (a.stored, a.rejected) {
            (Some(0), Some(r)) if r > 0 => None,
            _ => Some(format!(
                "{st} {}: stored {:?}, rejected {:?}: {}",
                a.reply.location(),
                a.stored,
                a.rejected,
                snippet(&a.reply.body)
            )),
        };
    }
    if row.form_refusal && matches!(st, StatusCode::OK | StatusCode::UNPROCESSABLE_ENTITY) {
        return None;
    }
    Some(format!(
        "{st} {} {}",
        a.reply.location(),
        snippet(&a.reply.body)
    ))
}

/// Why an in-scope answer is a refusal, if it is. (Whether it wrote is the fingerprint's
/// to say: a form shown again with a message changes nothing.)
fn refused(row: &Write, a: &Answer) -> Option<String> {
    let st = a.reply.status;
    let bad = matches!(
        st,
        StatusCode::FORBIDDEN | StatusCode::NOT_FOUND | StatusCode::UNAUTHORIZED
    ) || st.is_server_error()
        || (row.target == Target::Import && a.stored.unwrap_or(0) == 0)
        || (row.effect != Effect::Writes && !matches!(st, StatusCode::OK | StatusCode::SEE_OTHER));
    bad.then(|| {
        format!(
            "{st} {} stored {:?} rejected {:?}: {}",
            a.reply.location(),
            a.stored,
            a.rejected,
            snippet(&a.reply.body)
        )
    })
}

/// The message part of an HTML page or a JSON answer, short.
fn snippet(body: &str) -> String {
    let interesting = [
        "class=\"error",
        "class=\"flash",
        "rejections",
        "错误",
        "error",
    ];
    let at = interesting
        .iter()
        .filter_map(|k| body.find(k))
        .min()
        .unwrap_or(0);
    body[at..].chars().take(300).collect()
}

#[tokio::test]
async fn no_role_writes_outside_its_scope_and_every_form_writes_inside_it() {
    let (h, dir) = common::with_uploads(40, 300, |_| {}).await;
    common::matrix::load_fixtures(&h).await;
    let failures = write_everything(&h, ROLES, false).await;
    common::finish(h, dir).await;
    assert!(
        failures.is_empty(),
        "write matrix mismatches:\n{}",
        failures.join("\n")
    );
}

/// The same on a city of two districts: the other district's office writes nothing of
/// 渝北区's (subjects, workers, problems, self-inspections, tip-offs, supervision sheets,
/// imports naming its subjects), nor does 渝北区's write a district's sheet; the city writes
/// the districts' sheets and holds the tip-off intake.
#[tokio::test]
async fn in_a_city_no_district_writes_in_another_and_only_the_city_scores_districts() {
    let (h, dir) = common::with_uploads(30, 200, |_| {}).await;
    common::matrix::make_city(&h).await;
    common::matrix::load_fixtures(&h).await;
    common::matrix::city_fixtures(&h).await;
    let mut roles = ROLES.to_vec();
    roles.push(("district2", Role::District));
    roles.push(("city", Role::City));
    let failures = write_everything(&h, &roles, true).await;
    common::finish(h, dir).await;
    assert!(
        failures.is_empty(),
        "write matrix mismatches in a city:\n{}",
        failures.join("\n")
    );
}

/// Drives every row of `WRITES` as each of `roles` (the first account of the row's writer
/// role writes in scope; in a city the city holds the intake duty); the mismatches.
async fn write_everything(h: &Harness, roles: &[(&'static str, Role)], city: bool) -> Vec<String> {
    let mut scopes = Vec::new();
    let mut whos = Vec::new();
    for &(user, role) in roles {
        let u = accounts::find_user(h.store(), user).await.unwrap().unwrap();
        // 渝北区's office and the city reach every target; the subjects the others reach
        // are kept out of the targets.
        let everywhere = user == "district" || role == Role::City;
        if !everywhere {
            scopes.push(anpei_store::testing::scope_of(&u));
        }
        whos.push(Who {
            user,
            role,
            session: h.login(user).await,
            token: h.api_token(user).await,
            everywhere,
        });
    }
    let fx = fixtures(h, &scopes).await;
    let declared = specs();
    let mut uniq = 0u32;
    let mut failures = Vec::new();
    let mut holes = Vec::new();
    let mut attempts = 0;
    for row in WRITES {
        let perm = declared
            .iter()
            .find(|s| s.path == row.path && s.method == "POST")
            .map_or(Perm::Public, |s| s.perm);
        let kinds: &[&'static str] = if row.target == Target::Import {
            IMPORT_KINDS
        } else {
            &[""]
        };
        for &kind in kinds {
            let label = if kind.is_empty() {
                row.path.to_string()
            } else {
                format!("{} ({kind})", row.path)
            };
            // Out of scope, or a route the role may not use: refused, nothing changed.
            for who in &whos {
                let allowed =
                    perm.allows(Some(who.role)) && policy_allows(h, row.path, who.role, city);
                if allowed && !who.outside(row.target) {
                    continue;
                }
                uniq += 1;
                attempts += 1;
                let c = prepare(h, &fx, row.target, false, kind, uniq).await;
                let before = fingerprint(h.store()).await;
                let a = send(h, who, row, &c).await;
                let after = fingerprint(h.store()).await;
                let changed = fingerprint_changes(&before, &after);
                let hole = EXPECTED_HOLES
                    .iter()
                    .any(|(p, r, k)| *p == row.path && *r == who.role && *k == kind);
                if !changed.is_empty() {
                    let m = format!(
                        "{} {label} on {} {}: changed {}",
                        who.user,
                        c.subject.name,
                        c.id,
                        changed.join(", ")
                    );
                    if hole {
                        holes.push(m);
                    } else {
                        failures.push(m);
                    }
                } else if hole {
                    failures.push(format!(
                        "{} {label}: listed in EXPECTED_HOLES but changed nothing",
                        who.user
                    ));
                }
                if let Some(why) = not_refused(row, &a) {
                    failures.push(format!("{} {label}: not refused: {why}", who.user));
                }
            }
            // In scope, the same form writes.
            // In a city the intake duty and the certificate registry are the city's.
            let writer_role = if city && (INTAKE_ROUTES.contains(&row.path) || kind == "registry") {
                Role::City
            } else {
                row.writer
            };
            // A one-district installation has no city to score districts, nor districts
            // with dates of their own.
            let Some(writer) = whos.iter().find(|w| w.role == writer_role) else {
                continue;
            };
            if !policy_allows(h, row.path, writer.role, city) {
                continue;
            }
            uniq += 1;
            let c = prepare(h, &fx, row.target, row.writer == Role::Subject, kind, uniq).await;
            let before = fingerprint(h.store()).await;
            let a = send(h, writer, row, &c).await;
            let after = fingerprint(h.store()).await;
            if let Some(why) = refused(row, &a) {
                failures.push(format!("{} {label} in scope: refused: {why}", writer.user));
            }
            let changed = !fingerprint_changes(&before, &after).is_empty();
            match row.effect {
                Effect::Writes if !changed => failures.push(format!(
                    "{} {label} in scope: changed nothing ({} {})",
                    writer.user,
                    a.reply.status,
                    snippet(&a.reply.body)
                )),
                Effect::Reads if changed => failures.push(format!(
                    "{} {label} in scope: changed {}",
                    writer.user,
                    fingerprint_changes(&before, &after).join(", ")
                )),
                _ => {}
            }
        }
    }
    assert!(attempts > 100, "only {attempts} out-of-scope attempts");
    if !holes.is_empty() {
        eprintln!(
            "known holes (EXPECTED_HOLES), still open:\n{}",
            holes.join("\n")
        );
    }
    failures
}

/// The edit form of subject `s`, placed in `town_id` with `industry`.
fn edit_fields(s: &Subject, town_id: i32, industry: &str) -> Vec<(String, String)> {
    pairs(&[
        ("uscc", s.uscc.clone()),
        ("name", s.name.clone()),
        ("kind", s.kind.code().to_string()),
        ("industry", industry.to_string()),
        ("town_id", town_id.to_string()),
        ("address", s.address.clone().unwrap_or_default()),
        ("contact_name", s.contact_name.clone().unwrap_or_default()),
        ("contact_phone", String::new()),
    ])
}

async fn post_pairs(
    h: &Harness,
    w: &Who,
    (path, fields): &(String, Vec<(String, String)>),
) -> Reply {
    let refs: Vec<(&str, &str)> = fields
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    h.post_form(Some(&w.session), path, &refs).await
}

/// Writes whose path names the caller's own object while a form field names another unit's
/// (a town moving its subject to another town, a department handing its subject to another
/// department's industry, a subject deleting another subject's evidence through its own
/// self-inspection): the field cannot carry the write out of scope. The same forms sent by
/// the district, or on the subject's own file, write.
#[tokio::test]
async fn a_form_field_cannot_carry_a_write_out_of_scope() {
    let (h, dir) = common::with_uploads(40, 300, |_| {}).await;
    common::matrix::load_fixtures(&h).await;
    let mut scopes = Vec::new();
    let mut whos = Vec::new();
    for &(user, role) in ROLES {
        let u = accounts::find_user(h.store(), user).await.unwrap().unwrap();
        if role != Role::District {
            scopes.push(anpei_store::testing::scope_of(&u));
        }
        whos.push(Who {
            user,
            role,
            session: h.login(user).await,
            token: String::new(),
            everywhere: role == Role::District,
        });
    }
    let fx = fixtures(&h, &scopes).await;
    let foreign = fx.foreign_enterprise.clone();
    let who = |r: Role| whos.iter().find(|w| w.role == r).unwrap();
    // An enterprise of the town's and one of the department's.
    let mine = |sc: Scope| {
        let h = &h;
        async move {
            let oracle = access::Containment::load(h.store()).await;
            access::subjects(h.store())
                .await
                .into_iter()
                .find(|s| s.kind == SubjectKind::Enterprise && oracle.contains(&sc, s))
                .expect("the scope has an enterprise")
        }
    };
    let town_subject = mine(scopes[1]).await;
    let dept_subject = mine(scopes[0]).await;
    let foreign_evidence = prepare(&h, &fx, Target::SelfCheckWithEvidence, false, "", 1).await;
    let own_draft = prepare(&h, &fx, Target::SelfCheckDraft, true, "", 2).await;
    let town_moves = (
        format!("/subjects/{}/edit", town_subject.id),
        edit_fields(
            &town_subject,
            foreign.town_id,
            town_subject.industry.as_deref().unwrap_or_default(),
        ),
    );
    let dept_hands_over = (
        format!("/subjects/{}/edit", dept_subject.id),
        edit_fields(
            &dept_subject,
            dept_subject.town_id,
            foreign.industry.as_deref().unwrap_or_default(),
        ),
    );
    let delete_theirs = (
        format!("/selfcheck/{}/evidence/delete", own_draft.id),
        pairs(&[
            ("file_id", foreign_evidence.file_id.to_string()),
            ("item", s("E01")),
        ]),
    );
    assert_ne!(foreign.department_id, dept_subject.department_id);
    let mut failures = Vec::new();
    for (w, case) in [
        (who(Role::Town), &town_moves),
        (who(Role::Department), &dept_hands_over),
        (who(Role::Subject), &delete_theirs),
    ] {
        let before = fingerprint(h.store()).await;
        let r = post_pairs(&h, w, case).await;
        let changed = fingerprint_changes(&before, &fingerprint(h.store()).await);
        if !changed.is_empty() {
            failures.push(format!(
                "{} {}: changed {}",
                w.user,
                case.0,
                changed.join(", ")
            ));
        }
        if r.status == StatusCode::SEE_OTHER || r.status.is_server_error() {
            failures.push(format!(
                "{} {}: not refused: {} {}",
                w.user,
                case.0,
                r.status,
                r.location()
            ));
        }
    }
    // The same forms write where they may: the district moves and hands over; the subject
    // deletes its own file.
    let own_evidence = prepare(&h, &fx, Target::SelfCheckWithEvidence, true, "", 3).await;
    let delete_own = (
        format!("/selfcheck/{}/evidence/delete", own_evidence.id),
        pairs(&[
            ("file_id", own_evidence.file_id.to_string()),
            ("item", s("E01")),
        ]),
    );
    for (w, case) in [
        (who(Role::District), &town_moves),
        (who(Role::District), &dept_hands_over),
        (who(Role::Subject), &delete_own),
    ] {
        let before = fingerprint(h.store()).await;
        let r = post_pairs(&h, w, case).await;
        if fingerprint_changes(&before, &fingerprint(h.store()).await).is_empty() {
            failures.push(format!(
                "{} {} in scope: changed nothing ({} {})",
                w.user,
                case.0,
                r.status,
                snippet(&r.body)
            ));
        }
    }
    common::finish(h, dir).await;
    assert!(
        failures.is_empty(),
        "form-field mismatches:\n{}",
        failures.join("\n")
    );
}
