//! The authorization matrix: every declared route, driven as every role, against an object
//! inside and one outside the role's scope. A route added to `routes::build` without a row
//! here makes `every_route_has_a_row_in_the_matrix` fail.

mod common;

use anpei_store::accounts;
use anpei_store::entity::{finding, person, subject};
use anpei_store::scope::{self, Role, Scope};
use anpei_web::routes::{specs, Perm};
use axum::http::StatusCode;
use common::{Harness, Reply, Session};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QuerySelect};

/// What the test expects of a request.
#[derive(Debug, PartialEq, Eq, Clone, Copy)]
enum Outcome {
    /// Reached the handler (success, redirect after success, or its own validation answer).
    Allowed,
    /// Refused by authorization: 403, 401 on the API, or a redirect to the login page.
    Denied,
    /// The object is outside the caller's scope: 404.
    Hidden,
}

/// The routes this matrix knows how to drive: (method, path, object kind in `{id}`).
const MATRIX: &[(&str, &str, &str)] = &[
    ("GET", "/healthz", ""),
    ("GET", "/metrics", ""),
    ("GET", "/assets/{file}", ""),
    ("GET", "/login", ""),
    ("POST", "/login", ""),
    ("GET", "/login/mfa", ""),
    ("POST", "/login/mfa", ""),
    ("POST", "/logout", ""),
    ("GET", "/", ""),
    ("GET", "/subjects", ""),
    ("POST", "/subjects", ""),
    ("GET", "/subjects/new", ""),
    ("GET", "/subjects/{id}", "subject"),
    ("GET", "/subjects/{id}/edit", "subject"),
    ("POST", "/subjects/{id}/edit", "subject"),
    ("GET", "/findings", ""),
    ("GET", "/findings/export", ""),
    ("POST", "/findings/scan", ""),
    ("GET", "/findings/{id}", "finding"),
    ("GET", "/rules", ""),
    ("POST", "/subjects/{id}/scan", "subject"),
    ("GET", "/persons", ""),
    ("GET", "/persons/{id}", "person"),
    ("POST", "/persons/{id}/unmask", "person"),
    ("GET", "/account/password", ""),
    ("POST", "/account/password", ""),
    ("GET", "/account/mfa", ""),
    ("POST", "/account/mfa", ""),
    ("GET", "/account/tokens", ""),
    ("POST", "/account/tokens", ""),
    ("GET", "/admin/users", ""),
    ("POST", "/admin/users", ""),
    ("GET", "/admin/reference", ""),
    ("POST", "/admin/reference", ""),
    ("GET", "/admin/security", ""),
    ("POST", "/admin/security", ""),
    ("GET", "/admin/grants", ""),
    ("POST", "/admin/grants/{id}", "user"),
    ("GET", "/admin/audit", ""),
    ("POST", "/admin/audit/verify", ""),
    ("POST", "/api/v1/auth/token", ""),
    ("GET", "/api/v1/openapi.json", ""),
    ("GET", "/api/v1/subjects", ""),
    ("GET", "/api/v1/subjects/{id}", "subject"),
    ("GET", "/api/v1/persons", ""),
    ("GET", "/imports", ""),
    ("POST", "/imports", ""),
    ("GET", "/imports/template.xlsx", ""),
    ("GET", "/imports/review", ""),
    ("GET", "/imports/progress", ""),
    ("GET", "/imports/errors.xlsx", ""),
    ("POST", "/imports/confirm", ""),
    ("POST", "/imports/cancel", ""),
    ("POST", "/api/v1/imports", ""),
    ("GET", "/api/v1/findings", ""),
    ("GET", "/api/v1/problems", ""),
    ("GET", "/evidence/{id}", "evidence"),
    ("GET", "/tipoff", ""),
    ("POST", "/tipoff", ""),
    ("GET", "/tipoff/status", ""),
    ("POST", "/tipoff/status", ""),
    ("GET", "/tipoffs", ""),
    ("GET", "/tipoffs/new", ""),
    ("POST", "/tipoffs/new", ""),
    ("GET", "/tipoffs/{id}", "tipoff"),
    ("GET", "/tipoffs/{id}/files/{file}", "tipoff"),
    ("POST", "/tipoffs/{id}/assign", "tipoff"),
    ("POST", "/tipoffs/{id}/extend", "tipoff"),
    ("POST", "/tipoffs/{id}/close", "tipoff"),
    ("POST", "/tipoffs/{id}/feedback", "tipoff"),
    ("GET", "/campaigns", ""),
    ("GET", "/campaigns/{id}", "campaign"),
    ("GET", "/campaigns/{id}/copy", "campaign"),
    ("POST", "/campaigns/{id}/copy", "campaign"),
    ("GET", "/api/v1/checklists", ""),
    ("GET", "/selfcheck", ""),
    ("GET", "/selfcheck/{id}", "self_inspection"),
    ("POST", "/selfcheck/{id}", "self_inspection"),
    ("POST", "/selfcheck/{id}/submit", "self_inspection"),
    ("POST", "/selfcheck/{id}/evidence", "self_inspection"),
    ("POST", "/selfcheck/{id}/evidence/delete", "self_inspection"),
    ("POST", "/selfcheck/{id}/return", "self_inspection"),
    ("GET", "/selfcheck/{id}/report", "self_inspection"),
    ("GET", "/selfcheck/{id}/report.docx", "self_inspection"),
    ("GET", "/problems", ""),
    ("POST", "/problems", ""),
    ("GET", "/problems/export.xlsx", ""),
    ("GET", "/problems/new", ""),
    ("GET", "/problems/{id}", "problem"),
    ("POST", "/problems/{id}/rectify", "problem"),
    ("POST", "/problems/{id}/verify", "problem"),
    ("POST", "/problems/{id}/reject", "problem"),
    ("GET", "/progress", ""),
    ("GET", "/progress/subjects", ""),
    ("GET", "/inbox", ""),
    ("POST", "/inbox/read", ""),
    ("GET", "/supervision", ""),
    ("GET", "/supervision/towns/{id}", "town"),
    ("POST", "/supervision/towns/{id}", "town"),
    ("POST", "/supervision/towns/{id}/findings", "town"),
    ("GET", "/supervision/departments/{id}", "department"),
    ("POST", "/supervision/departments/{id}", "department"),
    (
        "POST",
        "/supervision/departments/{id}/findings",
        "department",
    ),
    (
        "POST",
        "/supervision/problems/{id}/close",
        "supervision_problem",
    ),
    ("GET", "/summary", ""),
    ("POST", "/summary", ""),
    ("GET", "/summaries", ""),
    ("GET", "/bulletin", ""),
    ("GET", "/bulletin.docx", ""),
    ("GET", "/inspections", ""),
    ("POST", "/inspections", ""),
    ("GET", "/inspections/new", ""),
    ("GET", "/inspections/{id}", "inspection"),
    ("POST", "/inspections/{id}/actions", "inspection"),
    ("GET", "/enforcement/actions", ""),
    ("GET", "/enforcement/coverage", ""),
    ("GET", "/enforcement/cases", ""),
    ("GET", "/enforcement/cases/{id}", "case"),
    ("POST", "/enforcement/cases/{id}", "case"),
    ("POST", "/enforcement/cases/{id}/publish", "case"),
    ("GET", "/cases", ""),
    ("GET", "/cases/{id}", "public_case"),
    ("GET", "/exams", ""),
    ("GET", "/exams/template.xlsx", ""),
    ("GET", "/exams/subjects/{id}", "subject"),
    ("POST", "/exams/subjects/{id}/plans", "subject"),
    ("POST", "/exams/subjects/{id}/import", "subject"),
    ("GET", "/exams/subjects/{id}/export.xlsx", "subject"),
    ("GET", "/exams/sessions/{id}", "exam_session"),
    ("GET", "/training", ""),
    ("GET", "/training/template.xlsx", ""),
    ("GET", "/training/{id}", "subject"),
    ("POST", "/training/{id}/import", "subject"),
    ("GET", "/training/{id}/export.xlsx", "subject"),
    ("GET", "/training/classes/{id}", "training_class"),
    ("GET", "/relations/{id}", "subject"),
];

#[test]
fn every_row_of_the_matrix_is_a_declared_route() {
    let declared = specs();
    for (m, p, _) in MATRIX {
        assert!(
            declared.iter().any(|s| s.method == *m && s.path == *p),
            "matrix row {m} {p} is not a declared route"
        );
    }
}

#[test]
fn every_route_has_a_row_in_the_matrix() {
    for s in specs() {
        assert!(
            MATRIX
                .iter()
                .any(|(m, p, _)| *m == s.method && *p == s.path),
            "route {} {} has no row in the authorization matrix",
            s.method,
            s.path
        );
    }
}

/// Permissions a handler checks beyond its route's `Perm`, from the security policy in force
/// (issue 7): unmasking needs a role in `unmask_roles`, refused with 403 before the person
/// is looked up. (Bulk personal exports need `personal_export_roles` only above the
/// threshold, which the matrix's small district stays under: tests/security_admin.rs.)
fn policy_allows(h: &Harness, method: &str, pattern: &str, role: Option<Role>) -> bool {
    let policy = h.store().policy();
    match (method, pattern) {
        ("POST", "/persons/{id}/unmask") => role.is_some_and(|r| policy.may_unmask(r)),
        // The tip-off intake duty (granted to the demo district account by
        // `tipoff_fixtures`): recording, assigning, extending, answering the reporter.
        ("GET" | "POST", "/tipoffs/new")
        | ("POST", "/tipoffs/{id}/assign" | "/tipoffs/{id}/extend" | "/tipoffs/{id}/feedback") => {
            role == Some(Role::District)
        }
        // Uploading a class file: the institution's own account and the district
        // (pages::training::may_upload).
        ("POST", "/training/{id}/import") => {
            matches!(role, Some(Role::District | Role::Subject))
        }
        _ => true,
    }
}

fn classify(path: &str, r: &Reply) -> Outcome {
    // The metrics are read by programs: refused like the API, never redirected to sign in.
    let api = path.starts_with("/api/") || path == "/metrics";
    match r.status {
        StatusCode::FORBIDDEN => Outcome::Denied,
        StatusCode::UNAUTHORIZED if api && !path.ends_with("/auth/token") => Outcome::Denied,
        StatusCode::SEE_OTHER if r.location().starts_with("/login?next=") => Outcome::Denied,
        StatusCode::NOT_FOUND => Outcome::Hidden,
        _ => Outcome::Allowed,
    }
}

struct Objects {
    subject_in: i32,
    subject_out: Option<i32>,
    person_in: i32,
    person_out: Option<i32>,
    finding_in: i32,
    finding_out: Option<i32>,
    /// An account (the grants page acts on accounts, not on business data).
    user: i32,
    /// Other kinds of object by the subject they belong to: kind → (inside, outside).
    by_subject: std::collections::HashMap<&'static str, (i32, Option<i32>)>,
}

/// Ids of `(id, subject_id)` rows: one whose subject is visible, one whose subject is not.
fn pick_by_subject(rows: &[(i32, i32)], visible: &[i32]) -> (i32, Option<i32>) {
    let inside = rows
        .iter()
        .find(|(_, s)| visible.contains(s))
        .map_or(-1, |r| r.0);
    let outside = rows.iter().find(|(_, s)| !visible.contains(s)).map(|r| r.0);
    (inside, outside)
}

/// One problem per subject (the problem list's routes).
/// Two tip-offs, one assigned to the demo town and one to the demo department, each with an
/// attachment; the demo district account holds the intake duty.
async fn tipoff_fixtures(h: &Harness) {
    use anpei_store::audit::Actor;
    use anpei_store::entity::evidence_file;
    use anpei_store::tipoffs::{self, Assignee, NewTipoff, Viewer};
    use sea_orm::{ActiveModelTrait, Set};
    let system = Actor::system("test");
    let district = accounts::find_user(h.store(), "district")
        .await
        .unwrap()
        .unwrap();
    tipoffs::set_grant(h.store(), &system, district.id, tipoffs::INTAKE_GRANT, true)
        .await
        .unwrap();
    let town = accounts::find_user(h.store(), "town")
        .await
        .unwrap()
        .unwrap();
    let dept = accounts::find_user(h.store(), "department")
        .await
        .unwrap()
        .unwrap();
    let png = b"\x89PNG\r\n\x1a\n tip-off matrix fixture";
    let sha = anpei_store::crypto::sha256_hex(png);
    let dir = common::test_config().evidence_dir();
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join(&sha), png).unwrap();
    for to in [
        Assignee::Town(town.scope_town_id.unwrap()),
        Assignee::Department(dept.scope_department_id.unwrap()),
    ] {
        let r = tipoffs::submit(
            h.store(),
            None,
            NewTipoff {
                channel: "web".into(),
                category: "other".into(),
                description: "授权矩阵测试用举报，描述不少于十个字。".into(),
                anonymous: true,
                ..Default::default()
            },
        )
        .await
        .unwrap();
        tipoffs::assign(h.store(), &system, Viewer::Intake, r.id, to)
            .await
            .unwrap();
        evidence_file::ActiveModel {
            owner_kind: Set("tipoff".into()),
            owner_id: Set(r.id),
            subject_id: Set(None),
            file_name: Set("照片.png".into()),
            mime: Set("image/png".into()),
            size: Set(png.len() as i64),
            sha256: Set(sha.clone()),
            stored_name: Set(sha.clone()),
            uploaded_by: Set(None),
            uploaded_at: Set(0),
            ..Default::default()
        }
        .insert(h.store().db())
        .await
        .unwrap();
    }
}

/// The tip-offs a scope's role may open (assigned to it; the district all) and one it may
/// not; and the attachment of each.
async fn tipoff_objects(h: &Harness, scope: &Scope) -> ((i32, Option<i32>), Vec<(i32, i32)>) {
    use anpei_store::entity::{evidence_file, tipoff};
    let all = tipoff::Entity::find().all(h.store().db()).await.unwrap();
    let mine = |t: &tipoff::Model| match scope.reach() {
        anpei_store::Reach::Town(x) => t.assigned_town_id == Some(x),
        anpei_store::Reach::Department(x) => t.assigned_department_id == Some(x),
        anpei_store::Reach::All => true,
        _ => false,
    };
    let inside = all.iter().find(|t| mine(t)).map_or(all[0].id, |t| t.id);
    let outside = all.iter().find(|t| !mine(t)).map(|t| t.id);
    let files = evidence_file::Entity::find()
        .filter(evidence_file::Column::OwnerKind.eq("tipoff"))
        .all(h.store().db())
        .await
        .unwrap()
        .into_iter()
        .map(|f| (f.owner_id, f.id))
        .collect();
    ((inside, outside), files)
}

async fn problem_fixtures(h: &Harness) {
    use anpei_store::problems::{insert_new, NewProblem, Source};
    let due = h.store().today() + chrono::Days::new(30);
    let txn = h.store().write().await.unwrap();
    for s in subject::Entity::find().all(&*txn).await.unwrap() {
        insert_new(
            &*txn,
            &h.store().crypto,
            0,
            NewProblem {
                campaign_id: None,
                subject_id: s.id,
                source: Source::Enforcement,
                source_ref: None,
                item_code: None,
                description: "授权矩阵用问题".into(),
                measures: "整改".into(),
                deadline: due,
                responsible_name: "张三".into(),
                responsible_phone: None,
                created_by: None,
                by_name: "测试".into(),
            },
        )
        .await
        .unwrap();
    }
    txn.commit().await.unwrap();
}

/// A supervisors' finding on the first town (a supervision problem for its close route).
async fn supervision_fixtures(h: &Harness) {
    use anpei_store::supervision::{self as sv, FindingInput, Unit};
    let c = sv::campaign_or_current(h.store(), None).await.unwrap();
    let town = anpei_store::reference::towns(h.store()).await.unwrap()[0].id;
    let input = FindingInput {
        text: "授权矩阵用督查问题".into(),
        measures: "整改".into(),
        deadline: (h.store().today() + chrono::Days::new(30)).to_string(),
    };
    sv::add_finding(
        h.store(),
        &anpei_store::audit::Actor::system("test"),
        &c,
        Unit::Town(town),
        &input,
    )
    .await
    .unwrap();
}

/// One inspection per subject and one published typical case (the enforcement routes).
async fn enforcement_fixtures(h: &Harness) {
    use anpei_store::entity::{inspection, typical_case};
    use sea_orm::{ActiveModelTrait, Set};
    let today = h.store().today();
    let txn = h.store().write().await.unwrap();
    for s in subject::Entity::find().all(&*txn).await.unwrap() {
        inspection::ActiveModel {
            subject_id: Set(s.id),
            inspected_on: Set(today),
            inspectors: Set("[]".into()),
            catalogue_version: Set(1),
            notes: Set(String::new()),
            status: Set("completed".into()),
            created_at: Set(0),
            updated_at: Set(0),
            ..Default::default()
        }
        .insert(&*txn)
        .await
        .unwrap();
    }
    typical_case::ActiveModel {
        title: Set("授权矩阵用案例".into()),
        body: Set("正文".into()),
        published: Set(true),
        published_on: Set(Some(today)),
        created_at: Set(0),
        ..Default::default()
    }
    .insert(&*txn)
    .await
    .unwrap();
    txn.commit().await.unwrap();
}

/// One exam session per subject (the exam-records session page).
async fn exam_fixtures(h: &Harness) {
    use anpei_store::entity::exam_session;
    use sea_orm::{ActiveModelTrait, Set};
    let at = h.store().today().and_hms_opt(9, 0, 0).unwrap();
    let txn = h.store().write().await.unwrap();
    for s in subject::Entity::find().all(&*txn).await.unwrap() {
        exam_session::ActiveModel {
            subject_id: Set(s.id),
            plan_id: Set(None),
            site_id: Set(s.id),
            room: Set("第一考场".into()),
            started_at: Set(at),
            ended_at: Set(at + chrono::Duration::hours(2)),
            system: Set("national".into()),
            category: Set("电工作业".into()),
            high_risk_manager: Set(false),
            created_at: Set(0),
            ..Default::default()
        }
        .insert(&*txn)
        .await
        .unwrap();
    }
    txn.commit().await.unwrap();
}

/// One training class per subject (the class-file page of 培训档案).
async fn training_fixtures(h: &Harness) {
    use anpei_store::entity::training_class;
    use sea_orm::{ActiveModelTrait, Set};
    let today = h.store().today();
    let txn = h.store().write().await.unwrap();
    for s in subject::Entity::find().all(&*txn).await.unwrap() {
        training_class::ActiveModel {
            subject_id: Set(s.id),
            code: Set("MATRIX-01".into()),
            course_type: Set("主要负责人初次培训".into()),
            syllabus_hours: Set(32.0),
            start_on: Set(today),
            end_on: Set(today),
            venue_id: Set(None),
            capacity: Set(30),
            created_at: Set(0),
            ..Default::default()
        }
        .insert(&*txn)
        .await
        .unwrap();
    }
    txn.commit().await.unwrap();
}

/// One evidence file per subject, stored where the test app keeps evidence: a photo of a
/// rectification update (the first event of each subject's problem, `problem_fixtures`), so
/// it goes to whoever may open the problem.
async fn evidence_fixtures(h: &Harness) {
    use anpei_store::entity::{evidence_file, problem, problem_event};
    use sea_orm::{ActiveModelTrait, Set};
    let png = b"\x89PNG\r\n\x1a\n authorization matrix fixture";
    let sha = anpei_store::crypto::sha256_hex(png);
    let dir = common::test_config().evidence_dir();
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join(&sha), png).unwrap();
    let db = h.store().db();
    for p in problem::Entity::find().all(db).await.unwrap() {
        let event = problem_event::Entity::find()
            .filter(problem_event::Column::ProblemId.eq(p.id))
            .one(db)
            .await
            .unwrap()
            .expect("a new problem has its first event");
        evidence_file::ActiveModel {
            owner_kind: Set(anpei_store::problems::EVIDENCE_OWNER.into()),
            owner_id: Set(event.id),
            subject_id: Set(Some(p.subject_id)),
            file_name: Set("照片.png".into()),
            mime: Set("image/png".into()),
            size: Set(png.len() as i64),
            sha256: Set(sha.clone()),
            stored_name: Set(sha.clone()),
            uploaded_by: Set(None),
            uploaded_at: Set(0),
            ..Default::default()
        }
        .insert(db)
        .await
        .unwrap();
    }
}

async fn objects_for(h: &Harness, scope: &Scope) -> Objects {
    let db = h.store().db();
    let all_subjects: Vec<subject::Model> = subject::Entity::find().all(db).await.unwrap();
    let visible: Vec<i32> = scope::subjects(scope)
        .select_only()
        .column(subject::Column::Id)
        .into_tuple()
        .all(db)
        .await
        .unwrap();
    let pick_in = visible.first().copied().unwrap_or(all_subjects[0].id);
    let pick_out = all_subjects
        .iter()
        .map(|s| s.id)
        .find(|id| !visible.contains(id));
    let person_of = |sid: i32| async move {
        person::Entity::find()
            .filter(person::Column::SubjectId.eq(sid))
            .one(db)
            .await
            .unwrap()
            .map(|p| p.id)
    };
    let mut person_in = None;
    for sid in &visible {
        if let Some(p) = person_of(*sid).await {
            person_in = Some(p);
            break;
        }
    }
    let mut person_out = None;
    for s in all_subjects.iter().filter(|s| !visible.contains(&s.id)) {
        if let Some(p) = person_of(s.id).await {
            person_out = Some(p);
            break;
        }
    }
    let all_findings: Vec<finding::Model> = finding::Entity::find().all(db).await.unwrap();
    let finding_in = all_findings
        .iter()
        .find(|f| visible.contains(&f.subject_id))
        .map_or(1, |f| f.id);
    let finding_out = all_findings
        .iter()
        .find(|f| !visible.contains(&f.subject_id))
        .map(|f| f.id);
    let mut by_subject = std::collections::HashMap::new();
    let evidence: Vec<(i32, Option<i32>)> = anpei_store::entity::evidence_file::Entity::find()
        .select_only()
        .column(anpei_store::entity::evidence_file::Column::Id)
        .column(anpei_store::entity::evidence_file::Column::SubjectId)
        .into_tuple()
        .all(db)
        .await
        .unwrap();
    let evidence: Vec<(i32, i32)> = evidence
        .into_iter()
        .filter_map(|(id, s)| s.map(|s| (id, s)))
        .collect();
    by_subject.insert("evidence", pick_by_subject(&evidence, &visible));
    // Campaigns are the district's, not scoped: every business role sees them.
    let campaign: i32 = anpei_store::entity::campaign::Entity::find()
        .select_only()
        .column(anpei_store::entity::campaign::Column::Id)
        .into_tuple()
        .one(db)
        .await
        .unwrap()
        .expect("a migrated database has the notice's campaign");
    by_subject.insert("campaign", (campaign, None));
    let inspections: Vec<(i32, i32)> = anpei_store::entity::self_inspection::Entity::find()
        .select_only()
        .column(anpei_store::entity::self_inspection::Column::Id)
        .column(anpei_store::entity::self_inspection::Column::SubjectId)
        .into_tuple()
        .all(db)
        .await
        .unwrap();
    by_subject.insert("self_inspection", pick_by_subject(&inspections, &visible));
    let problems: Vec<(i32, i32)> = anpei_store::entity::problem::Entity::find()
        .select_only()
        .column(anpei_store::entity::problem::Column::Id)
        .column(anpei_store::entity::problem::Column::SubjectId)
        .into_tuple()
        .all(db)
        .await
        .unwrap();
    by_subject.insert("problem", pick_by_subject(&problems, &visible));
    let inspections: Vec<(i32, i32)> = anpei_store::entity::inspection::Entity::find()
        .select_only()
        .column(anpei_store::entity::inspection::Column::Id)
        .column(anpei_store::entity::inspection::Column::SubjectId)
        .into_tuple()
        .all(db)
        .await
        .unwrap();
    by_subject.insert("inspection", pick_by_subject(&inspections, &visible));
    let sessions: Vec<(i32, i32)> = anpei_store::entity::exam_session::Entity::find()
        .select_only()
        .column(anpei_store::entity::exam_session::Column::Id)
        .column(anpei_store::entity::exam_session::Column::SubjectId)
        .into_tuple()
        .all(db)
        .await
        .unwrap();
    by_subject.insert("exam_session", pick_by_subject(&sessions, &visible));
    let classes: Vec<(i32, i32)> = anpei_store::entity::training_class::Entity::find()
        .select_only()
        .column(anpei_store::entity::training_class::Column::Id)
        .column(anpei_store::entity::training_class::Column::SubjectId)
        .into_tuple()
        .all(db)
        .await
        .unwrap();
    by_subject.insert("training_class", pick_by_subject(&classes, &visible));
    // Typical cases are the district's (not scoped); a published one is public.
    let published: i32 = anpei_store::entity::typical_case::Entity::find()
        .filter(anpei_store::entity::typical_case::Column::Published.eq(true))
        .select_only()
        .column(anpei_store::entity::typical_case::Column::Id)
        .into_tuple()
        .one(db)
        .await
        .unwrap()
        .expect("enforcement_fixtures published one");
    by_subject.insert("case", (published, None));
    by_subject.insert("public_case", (published, None));
    // Towns, departments and their supervision problems are the district's pages only
    // (Perm::District): one of each, none outside.
    let first_town = anpei_store::reference::towns(h.store()).await.unwrap()[0].id;
    let first_department = anpei_store::reference::departments(h.store())
        .await
        .unwrap()[0]
        .0
        .id;
    by_subject.insert("town", (first_town, None));
    by_subject.insert("department", (first_department, None));
    let sp: i32 = anpei_store::entity::supervision_problem::Entity::find()
        .select_only()
        .column(anpei_store::entity::supervision_problem::Column::Id)
        .into_tuple()
        .one(db)
        .await
        .unwrap()
        .expect("supervision_fixtures made one");
    by_subject.insert("supervision_problem", (sp, None));
    Objects {
        by_subject,
        subject_in: pick_in,
        subject_out: pick_out,
        person_in: person_in.unwrap_or(1),
        person_out,
        finding_in,
        finding_out,
        user: accounts::find_user(h.store(), "district")
            .await
            .unwrap()
            .unwrap()
            .id,
    }
}

async fn request(
    h: &Harness,
    session: Option<&Session>,
    token: Option<&str>,
    method: &str,
    path: &str,
) -> Reply {
    if path.starts_with("/api/") && method == "GET" {
        return match token {
            Some(t) => h.api_get(t, path).await,
            None => h.get(None, path).await,
        };
    }
    if method == "POST" && path == "/login" {
        // Through the form with its CSRF cookie, and wrong credentials: the handler answers.
        return h
            .try_login("nobody", "wrong")
            .await
            .expect_err("wrong credentials are refused");
    }
    if method == "POST" && path == "/login/mfa" && session.is_none() {
        // With the sign-in form's CSRF cookie but no pending sign-in: back to the login page.
        let page = h.get(None, "/login").await;
        let pre = page.headers[axum::http::header::SET_COOKIE]
            .to_str()
            .unwrap()
            .split(';')
            .next()
            .unwrap()
            .to_string();
        let csrf = common::hidden_csrf(&page.body).unwrap();
        let req = axum::http::Request::post(path)
            .header(
                axum::http::header::CONTENT_TYPE,
                "application/x-www-form-urlencoded",
            )
            .header(axum::http::header::COOKIE, pre)
            .body(axum::body::Body::from(format!("code=000000&_csrf={csrf}")))
            .unwrap();
        return h.send(req).await;
    }
    if method == "POST" && (path == "/tipoff" || path == "/tipoff/status") {
        // Through the public form, as a browser has it: its CSRF token (the session's when
        // signed in, else the form's own cookie), empty fields: the handler answers.
        let page = h.get(session, path).await;
        let csrf = match page.body.find("/tipoff?_csrf=") {
            Some(i) => page.body[i + "/tipoff?_csrf=".len()..]
                .split('"')
                .next()
                .unwrap()
                .to_string(),
            None => common::hidden_csrf(&page.body).unwrap_or_default(),
        };
        let mut cookie = session.map(|s| s.cookie.clone()).unwrap_or_default();
        if let Some(c) = page.headers.get(axum::http::header::SET_COOKIE) {
            let c = c.to_str().unwrap().split(';').next().unwrap();
            cookie = if cookie.is_empty() {
                c.to_string()
            } else {
                format!("{cookie}; {c}")
            };
        }
        let s = Session { cookie, csrf };
        return if path == "/tipoff" {
            h.post_multipart(Some(&s), &format!("/tipoff?_csrf={}", s.csrf), &[], None)
                .await
        } else {
            h.post_form(Some(&s), path, &[]).await
        };
    }
    match method {
        "GET" => h.get(session, path).await,
        _ => h.post_form(session, path, &[]).await,
    }
}

#[tokio::test]
async fn every_route_answers_every_role_as_its_permission_and_scope_say() {
    let h = Harness::with_demo(40, 300).await;
    anpei_store::demo::campaign::load_demo(h.store(), &h.district)
        .await
        .unwrap();
    problem_fixtures(&h).await;
    evidence_fixtures(&h).await;
    enforcement_fixtures(&h).await;
    supervision_fixtures(&h).await;
    tipoff_fixtures(&h).await;
    training_fixtures(&h).await;
    exam_fixtures(&h).await;
    let roles: [(Option<&str>, Option<Role>); 8] = [
        (None, None),
        (Some("district"), Some(Role::District)),
        (Some("department"), Some(Role::Department)),
        (Some("town"), Some(Role::Town)),
        (Some("enterprise"), Some(Role::Subject)),
        (Some("sysadmin"), Some(Role::Sysadmin)),
        (Some("secadmin"), Some(Role::SecurityAdmin)),
        (Some("auditor"), Some(Role::Auditor)),
    ];
    let mut failures = Vec::new();
    for (username, role) in roles {
        let scope = match username {
            Some(u) => anpei_store::testing::scope_of(
                &accounts::find_user(h.store(), u).await.unwrap().unwrap(),
            ),
            None => anpei_store::testing::scope(anpei_store::Reach::Nothing),
        };
        let mut objs = objects_for(&h, &scope).await;
        let (tipoff_pick, tipoff_files) = tipoff_objects(&h, &scope).await;
        objs.by_subject.insert("tipoff", tipoff_pick);
        let mut session = match username {
            Some(u) => Some(h.login(u).await),
            None => None,
        };
        let token = match username {
            Some(u) => Some(h.api_token(u).await),
            None => None,
        };
        for &(method, pattern, kind) in MATRIX {
            let perm = specs()
                .into_iter()
                .find(|s| s.method == method && s.path == pattern)
                .map(|s| s.perm)
                .unwrap_or(Perm::Public);
            let targets: Vec<(String, bool)> = match kind {
                "subject" => {
                    let mut v = vec![(objs.subject_in.to_string(), true)];
                    if let Some(o) = objs.subject_out {
                        v.push((o.to_string(), false));
                    }
                    v
                }
                "finding" => {
                    let mut v = vec![(objs.finding_in.to_string(), true)];
                    if let Some(o) = objs.finding_out {
                        v.push((o.to_string(), false));
                    }
                    v
                }
                "user" => vec![(objs.user.to_string(), true)],
                "person" => {
                    let mut v = vec![(objs.person_in.to_string(), true)];
                    if let Some(o) = objs.person_out {
                        v.push((o.to_string(), false));
                    }
                    v
                }
                "" => vec![(String::new(), true)],
                other => {
                    let (inside, outside) = objs.by_subject[other];
                    let mut v = vec![(inside.to_string(), true)];
                    if let Some(o) = outside {
                        v.push((o.to_string(), false));
                    }
                    v
                }
            };
            for (id, inside) in targets {
                let file = match kind {
                    "tipoff" => tipoff_files
                        .iter()
                        .find(|(t, _)| t.to_string() == id)
                        .map_or_else(|| "0".to_string(), |(_, f)| f.to_string()),
                    _ => "app.css".to_string(),
                };
                let path = pattern.replace("{id}", &id).replace("{file}", &file);
                let r = request(&h, session.as_ref(), token.as_deref(), method, &path).await;
                let expected = if !perm.allows(role) || !policy_allows(&h, method, pattern, role) {
                    Outcome::Denied
                } else if !inside
                    || (role.is_some()
                        && scope.reach() == anpei_store::Reach::Nothing
                        && !matches!(kind, "" | "user" | "public_case"))
                {
                    Outcome::Hidden
                } else {
                    Outcome::Allowed
                };
                let got = classify(&path, &r);
                if got != expected {
                    failures.push(format!(
                        "{:?} {method} {path}: expected {expected:?}, got {:?} ({})",
                        username, got, r.status
                    ));
                }
                if pattern == "/logout" {
                    if let Some(u) = username {
                        session = Some(h.login(u).await);
                    }
                }
            }
        }
    }
    h.db.cleanup().await;
    assert!(
        failures.is_empty(),
        "authorization matrix mismatches:\n{}",
        failures.join("\n")
    );
}

/// 三员分立: each of the three administrators holds exactly one of the three powers, and none
/// of them reaches business data.
#[test]
fn the_three_administrators_hold_one_power_each_and_no_business_data() {
    let powers = [Perm::Administer, Perm::Audit, Perm::Security];
    for role in [Role::Sysadmin, Role::SecurityAdmin, Role::Auditor] {
        for p in [Perm::ViewBusiness, Perm::EditSubjects, Perm::District] {
            assert!(!p.allows(Some(role)), "{role:?} must not have {p:?}");
        }
        let held = powers.iter().filter(|p| p.allows(Some(role))).count();
        assert_eq!(held, 1, "{role:?} holds {held} administrator powers");
    }
    assert!(Perm::Audit.allows(Some(Role::Auditor)));
    assert!(!Perm::Audit.allows(Some(Role::Sysadmin)));
    assert!(!Perm::Administer.allows(Some(Role::Auditor)));
    assert!(Perm::Security.allows(Some(Role::SecurityAdmin)));
    for role in [Role::District, Role::Sysadmin, Role::Auditor, Role::Subject] {
        assert!(!Perm::Security.allows(Some(role)), "{role:?} grants roles");
    }
    for role in Role::ALL {
        if *role != Role::Auditor {
            assert!(
                !Perm::Audit.allows(Some(*role)),
                "{role:?} reads the audit log"
            );
        }
    }
}

/// The request metrics are not public: a scraper (or anyone) without credentials gets 401,
/// a business account without the permission 403; the system administrator and district
/// accounts read them, by session or by an API token (what a scraper sends).
#[tokio::test]
async fn the_metrics_are_read_by_the_system_administrator_and_the_district_only() {
    let h = Harness::with_demo(5, 20).await;
    let metrics =
        |r: &Reply| r.status == StatusCode::OK && r.body.contains("anpei_http_requests_total");
    let anonymous = h.get(None, "/metrics").await;
    assert_eq!(
        anonymous.status,
        StatusCode::UNAUTHORIZED,
        "{}",
        anonymous.body
    );
    assert!(!anonymous.body.contains("anpei_http"));
    let v: serde_json::Value = serde_json::from_str(&anonymous.body).expect("a JSON refusal");
    assert_eq!(v["error"], "unauthorized");
    assert_eq!(
        h.api_get("no-such-token", "/metrics").await.status,
        StatusCode::UNAUTHORIZED
    );
    for user in ["sysadmin", "district"] {
        let s = h.login(user).await;
        assert!(
            metrics(&h.get(Some(&s), "/metrics").await),
            "{user} by session"
        );
        let token = h.api_token(user).await;
        assert!(
            metrics(&h.api_get(&token, "/metrics").await),
            "{user} by token"
        );
    }
    for user in ["enterprise", "town", "department", "auditor", "secadmin"] {
        let s = h.login(user).await;
        let r = h.get(Some(&s), "/metrics").await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{user}: {}", r.body);
        let token = h.api_token(user).await;
        let r = h.api_get(&token, "/metrics").await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{user} by token");
    }
    assert!(Perm::Metrics.allows(Some(Role::Sysadmin)));
    assert!(!Perm::Metrics.allows(None));
    h.db.cleanup().await;
}
