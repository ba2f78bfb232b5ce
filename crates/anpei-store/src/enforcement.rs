//! 执法检查 (notice §三(二), §四(二)–(三)): inspections of subjects by departments, towns and
//! the district, with the checklist results (a 不符合 item becomes a problem, 来源 执法检查)
//! and the on-the-spot tests of certificate holders (逢查必考); enforcement actions
//! ([`actions`]); the coverage of the enforcement phase ([`coverage`]); typical cases
//! ([`cases`]); the public's tip-offs (举报, [`tipoffs`]).
//!
//! Every query starts from the scope filter: an inspection, action or person of a subject
//! outside the caller's scope is `None`/`NotFound` (404). Only supervisors (district,
//! department, town) write; the inspecting unit is the caller's own. Every write is one
//! transaction with its audit entry.
//!
//! For other modules (supervision, the bulletin, exam plans): [`stats`], [`coverage::coverage`],
//! [`exam_qualification`], [`cases::published`].

pub mod actions;
pub mod cases;
pub mod coverage;
pub mod demo;
pub mod tipoffs;

use crate::campaign::problems::{self, NewProblem, Source};
use crate::entity::{
    certificate, checklist_item, department, enforcement_action, exam_qualification, inspection,
    inspection_item, person, spot_test, subject, town, typical_case,
};
use crate::platform::audit::{self, Actor, Event};
use crate::platform::inbox::{self, NewMessage};
use crate::scope::{self, Scope};
use crate::Reach;
use crate::{campaign, Store, StoreError, StoreResult};
use anpei_core::enforcement::{self as core, Inspector};
use anpei_core::SubjectKind;
use chrono::NaiveDate;
use sea_orm::sea_query::{Expr, Query, SimpleExpr};
use sea_orm::{
    ActiveModelTrait, ActiveValue::NotSet, ColumnTrait, DeriveActiveEnum, EntityTrait, EnumIter,
    FromQueryResult, JoinType, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, QueryTrait,
    RelationTrait, Set,
};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

pub use actions::{ActionInput, ActionRow};

/// The status of an inspection (the `inspections.status` column, by its code). Inspections
/// are recorded completed; a draft does not count anywhere.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, EnumIter, DeriveActiveEnum,
)]
#[serde(rename_all = "snake_case")]
#[sea_orm(rs_type = "String", db_type = "Text")]
pub enum InspectionStatus {
    #[sea_orm(string_value = "draft")]
    Draft,
    #[sea_orm(string_value = "completed")]
    Completed,
}

impl InspectionStatus {
    pub const ALL: [InspectionStatus; 2] = [InspectionStatus::Draft, InspectionStatus::Completed];

    pub fn code(self) -> &'static str {
        match self {
            InspectionStatus::Draft => "draft",
            InspectionStatus::Completed => "completed",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            InspectionStatus::Draft => "草稿",
            InspectionStatus::Completed => "已完成",
        }
    }

    pub fn from_code(s: &str) -> Option<InspectionStatus> {
        Self::ALL.into_iter().find(|v| v.code() == s)
    }
}

/// Checklist results (the same codes as the self-inspection's).
pub const COMPLIANT: &str = "compliant";
pub const NONCOMPLIANT: &str = "noncompliant";
pub const NOT_APPLICABLE: &str = "not_applicable";
pub const RESULTS: [&str; 3] = [COMPLIANT, NONCOMPLIANT, NOT_APPLICABLE];

pub fn result_label(code: &str) -> &'static str {
    match code {
        COMPLIANT => "不存在",
        NONCOMPLIANT => "存在",
        NOT_APPLICABLE => "不适用",
        _ => "未检查",
    }
}

/// Days a finding's rectification deadline defaults to after the inspection.
pub const DEFAULT_RECTIFY_DAYS: u64 = 30;

/// The `evidence_files.owner_kind` of an action's documents.
pub const DOCUMENT_OWNER: &str = "enforcement_action";

/// Whether the holder of `scope` inspects and decides (district, department, town).
pub fn is_supervisor(scope: &Scope) -> bool {
    matches!(
        scope.reach(),
        Reach::All
            | Reach::District(_)
            | Reach::Department(_)
            | Reach::CityDepartment(_)
            | Reach::Town(_)
    )
}

/// The inspecting unit of a supervisor: (department_id, town_id); neither is the district.
pub fn unit_of(scope: &Scope) -> (Option<i32>, Option<i32>) {
    match scope.reach() {
        Reach::Department(d) => (Some(d), None),
        Reach::Town(t) => (None, Some(t)),
        _ => (None, None),
    }
}

/// A subject visible in `scope`, for a supervisor (a subject user is refused, a foreign
/// subject is `NotFound`).
pub(crate) async fn supervised_subject<C: sea_orm::ConnectionTrait>(
    db: &C,
    scope: &Scope,
    subject_id: i32,
) -> StoreResult<subject::Model> {
    if !is_supervisor(scope) {
        return Err(match scope.reach() {
            Reach::Subject(_) => StoreError::Forbidden,
            _ => StoreError::NotFound,
        });
    }
    scope::subjects(scope)
        .filter(subject::Column::Id.eq(subject_id))
        .one(db)
        .await?
        .ok_or(StoreError::NotFound)
}

/// A date as users type it (see `problems::parse_date`).
pub fn parse_date(raw: &str) -> Option<NaiveDate> {
    problems::parse_date(raw)
}

// ---- recording an inspection ----------------------------------------------------------------

/// One checklist item's result as typed.
#[derive(Debug, Clone, Default)]
pub struct ItemInput {
    pub code: String,
    pub result: String,
    /// For 不符合: what was found (the problem's description).
    pub note: String,
}

/// One on-the-spot test as typed.
#[derive(Debug, Clone, Default)]
pub struct SpotInput {
    pub person_id: String,
    pub score: String,
    pub note: String,
}

/// The raw fields of the inspection form.
#[derive(Debug, Clone, Default)]
pub struct InspectionInput {
    pub subject_id: String,
    pub inspected_on: String,
    /// One officer a line: `姓名 执法证号`.
    pub inspectors: String,
    pub notes: String,
    /// Deadline of the problems the 不符合 items become.
    pub rectify_deadline: String,
    pub items: Vec<ItemInput>,
    pub spot_tests: Vec<SpotInput>,
    /// 立案 from a 问题线索: the finding the inspection is opened for (it must be of the same
    /// subject and still to be handled); empty otherwise.
    pub finding_id: String,
}

fn item_index(items: &mut Vec<ItemInput>, code: &str) -> usize {
    match items.iter().position(|i| i.code == code) {
        Some(i) => i,
        None => {
            items.push(ItemInput {
                code: code.to_string(),
                ..Default::default()
            });
            items.len() - 1
        }
    }
}

impl InspectionInput {
    /// Reads the form's pairs: `result_<code>`, `note_<code>`, `spot_person`/`spot_score`/
    /// `spot_note` repeated in order, and the plain fields.
    pub fn from_pairs(pairs: &[(String, String)]) -> InspectionInput {
        let mut f = InspectionInput::default();
        let mut items: Vec<ItemInput> = Vec::new();
        let mut persons = Vec::new();
        let mut scores = Vec::new();
        let mut notes = Vec::new();
        for (k, v) in pairs {
            match k.as_str() {
                "subject_id" => f.subject_id = v.clone(),
                "inspected_on" => f.inspected_on = v.clone(),
                "inspectors" => f.inspectors = v.clone(),
                "notes" => f.notes = v.clone(),
                "rectify_deadline" => f.rectify_deadline = v.clone(),
                "finding_id" => f.finding_id = v.clone(),
                "spot_person" => persons.push(v.clone()),
                "spot_score" => scores.push(v.clone()),
                "spot_note" => notes.push(v.clone()),
                _ => {
                    if let Some(code) = k.strip_prefix("result_") {
                        let i = item_index(&mut items, code);
                        items[i].result = v.clone();
                    } else if let Some(code) = k.strip_prefix("note_") {
                        let i = item_index(&mut items, code);
                        items[i].note = v.clone();
                    }
                }
            }
        }
        f.items = items;
        for (i, p) in persons.into_iter().enumerate() {
            f.spot_tests.push(SpotInput {
                person_id: p,
                score: scores.get(i).cloned().unwrap_or_default(),
                note: notes.get(i).cloned().unwrap_or_default(),
            });
        }
        f
    }

    /// The result typed for an item (form redisplay).
    pub fn result_of(&self, code: &str) -> &str {
        self.items
            .iter()
            .find(|i| i.code == code)
            .map_or("", |i| i.result.as_str())
    }

    pub fn note_of(&self, code: &str) -> &str {
        self.items
            .iter()
            .find(|i| i.code == code)
            .map_or("", |i| i.note.as_str())
    }

    /// The score typed for a person (form redisplay).
    pub fn score_of(&self, person_id: i32) -> &str {
        let id = person_id.to_string();
        self.spot_tests
            .iter()
            .find(|s| s.person_id.trim() == id)
            .map_or("", |s| s.score.as_str())
    }
}

/// A certificate holder of a subject, who may be tested on the spot.
#[derive(Debug, Clone, FromQueryResult)]
pub struct Holder {
    pub person_id: i32,
    pub name: String,
    pub post: String,
    pub certificate_id: i32,
    pub cert_type: String,
    pub cert_no_masked: String,
}

impl Holder {
    pub fn post_label(&self) -> &'static str {
        anpei_core::Post::from_code(&self.post).map_or("未知", anpei_core::Post::label)
    }

    pub fn cert_label(&self) -> &'static str {
        anpei_core::CertType::from_code(&self.cert_type).map_or("证书", anpei_core::CertType::label)
    }
}

/// The certificate holders of a subject in scope (one row per person: the latest
/// certificate), for the form's 逢查必考 table.
pub async fn holders(store: &Store, scope: &Scope, subject_id: i32) -> StoreResult<Vec<Holder>> {
    let rows: Vec<Holder> = scope::persons(scope)
        .filter(person::Column::SubjectId.eq(subject_id))
        .join(JoinType::InnerJoin, holder_relation())
        .select_only()
        .column_as(person::Column::Id, "person_id")
        .column(person::Column::Name)
        .column(person::Column::Post)
        .column_as(certificate::Column::Id, "certificate_id")
        .column(certificate::Column::CertType)
        .column(certificate::Column::CertNoMasked)
        .order_by_asc(person::Column::Name)
        .order_by_desc(certificate::Column::Id)
        .into_model::<Holder>()
        .all(&store.db)
        .await?;
    let mut seen = std::collections::HashSet::new();
    Ok(rows
        .into_iter()
        .filter(|h| seen.insert(h.person_id))
        .take(200)
        .collect())
}

fn holder_relation() -> sea_orm::RelationDef {
    person::Entity::has_many(certificate::Entity)
        .from(person::Column::Id)
        .to(certificate::Column::PersonId)
        .into()
}

/// The checklist items an inspection of `kind` uses (the campaign's catalogue version, or the
/// newest in the database).
pub async fn checklist(
    store: &Store,
    kind: SubjectKind,
    version: Option<i32>,
) -> StoreResult<(i32, Vec<checklist_item::Model>)> {
    let version = match version {
        Some(v) => v,
        None => match campaign::current(store, store.today()).await? {
            Some(c) => c.campaign.catalogue_version,
            None => campaign::catalogue_versions(store)
                .await?
                .first()
                .copied()
                .unwrap_or(1),
        },
    };
    Ok((version, campaign::items(store, version, Some(kind)).await?))
}

/// What validation produced, ready to insert.
struct Checked {
    subject: subject::Model,
    inspected_on: NaiveDate,
    inspectors: Vec<Inspector>,
    version: i32,
    items: Vec<(checklist_item::Model, String, String)>,
    deadline: NaiveDate,
    spot: Vec<(person::Model, Option<i32>, i32, String)>,
}

async fn check_input(
    store: &Store,
    txn: &crate::WriteTxn,
    scope: &Scope,
    input: &InspectionInput,
) -> StoreResult<Checked> {
    let subject_id: i32 = input
        .subject_id
        .trim()
        .parse()
        .map_err(|_| StoreError::NotFound)?;
    let subject = supervised_subject(&**txn, scope, subject_id).await?;
    let kind = subject.kind;
    let mut errs: Vec<(&'static str, String)> = Vec::new();
    let today = store.today();
    let inspected_on = match parse_date(&input.inspected_on) {
        Some(d) if d > today => {
            errs.push(("inspected_on", format!("检查日期：不能晚于今天（{today}）")));
            None
        }
        Some(d) if chrono::Datelike::year(&d) < 2000 => {
            errs.push(("inspected_on", "检查日期：应在2000年以后".into()));
            None
        }
        Some(d) => Some(d),
        None => {
            errs.push(("inspected_on", "检查日期：请填写日期，如 2022-05-06".into()));
            None
        }
    };
    let inspectors = match core::parse_inspectors(&input.inspectors) {
        Ok(v) => v,
        Err(e) => {
            errs.push(("inspectors", e));
            Vec::new()
        }
    };
    let running = match inspected_on {
        Some(d) => campaign::running_in_town(&**txn, subject.town_id, d).await?,
        None => None,
    };
    let (version, catalogue) = checklist(
        store,
        kind,
        running.as_ref().map(|c| c.campaign.catalogue_version),
    )
    .await?;
    let mut items = Vec::new();
    for it in &input.items {
        let result = it.result.trim();
        if result.is_empty() {
            continue;
        }
        // The form posts the subject's own items; any other code is ignored.
        let Some(ci) = catalogue.iter().find(|c| c.code == it.code) else {
            continue;
        };
        if !RESULTS.contains(&result) {
            errs.push(("items", format!("检查项目第{}项：检查结果无效", ci.seq)));
            continue;
        }
        let note = anpei_core::ids::trim_cell(&it.note).to_string();
        if result == NONCOMPLIANT && note.is_empty() {
            errs.push((
                "items",
                format!(
                    "检查项目{}（第{}项）存在问题：请写明发现的问题",
                    ci.code, ci.seq
                ),
            ));
        }
        if note.chars().count() > 1000 {
            errs.push((
                "items",
                format!("检查项目{}：说明不超过1000个字符", ci.code),
            ));
        }
        items.push((ci.clone(), result.to_string(), note));
    }
    if items.is_empty() {
        errs.push(("items", "检查项目：请至少填写一项检查结果".into()));
    }
    let any_noncompliant = items.iter().any(|(_, r, _)| r == NONCOMPLIANT);
    let deadline = match parse_date(&input.rectify_deadline) {
        Some(d) if d < today && any_noncompliant => {
            errs.push((
                "rectify_deadline",
                format!("整改时限：不能早于今天（{today}）"),
            ));
            d
        }
        Some(d) => d,
        None if any_noncompliant => {
            errs.push((
                "rectify_deadline",
                "整改时限：有存在问题的项目时请填写整改时限，如 2022-06-30".into(),
            ));
            today
        }
        None => today + chrono::Days::new(DEFAULT_RECTIFY_DAYS),
    };
    let mut spot = Vec::new();
    for (i, s) in input.spot_tests.iter().enumerate() {
        let (pid, score) = (s.person_id.trim(), s.score.trim());
        if pid.is_empty() || score.is_empty() {
            continue;
        }
        let at = format!("逢查必考第{}人", i + 1);
        let person = match pid.parse::<i32>() {
            Ok(id) => {
                scope::persons(scope)
                    .filter(person::Column::Id.eq(id))
                    .filter(person::Column::SubjectId.eq(subject.id))
                    .one(&**txn)
                    .await?
            }
            Err(_) => None,
        };
        let Some(person) = person else {
            errs.push(("spot_tests", format!("{at}：不是该单位台账中的人员")));
            continue;
        };
        let score = match core::parse_score(score) {
            Ok(n) => n,
            Err(e) => {
                errs.push(("spot_tests", format!("{at}（{}）：{e}", person.name)));
                continue;
            }
        };
        let cert: Option<i32> = certificate::Entity::find()
            .filter(certificate::Column::PersonId.eq(person.id))
            .select_only()
            .column(certificate::Column::Id)
            .order_by_desc(certificate::Column::Id)
            .into_tuple()
            .one(&**txn)
            .await?;
        let note = anpei_core::ids::trim_cell(&s.note)
            .chars()
            .take(500)
            .collect();
        spot.push((person, cert, score, note));
    }
    if input.notes.chars().count() > 2000 {
        errs.push(("notes", "检查情况：不超过2000个字符".into()));
    }
    if !errs.is_empty() {
        return Err(StoreError::Fields(errs));
    }
    Ok(Checked {
        subject,
        inspected_on: inspected_on.expect("checked"),
        inspectors,
        version,
        items,
        deadline,
        spot,
    })
}

/// Records an inspection of a subject in the caller's scope, by the caller's unit: its
/// checklist results (each 不符合 item becomes a problem, 来源 执法检查, whose subject is
/// notified) and its on-the-spot tests. One transaction, audited. Returns the inspection's id.
#[tracing::instrument(skip_all)]
pub async fn record(
    store: &Store,
    scope: &Scope,
    actor: &Actor,
    by_name: &str,
    input: &InspectionInput,
) -> StoreResult<i32> {
    let txn = store.write().await?;
    let c = check_input(store, &txn, scope, input).await?;
    let now = store.now();
    let (department_id, town_id) = unit_of(scope);
    let campaign_id = campaign::running_in_town(&*txn, c.subject.town_id, c.inspected_on)
        .await?
        .map(|x| x.campaign.id);
    let ins = inspection::ActiveModel {
        id: NotSet,
        campaign_id: Set(campaign_id),
        subject_id: Set(c.subject.id),
        department_id: Set(department_id),
        town_id: Set(town_id),
        inspected_on: Set(c.inspected_on),
        inspectors: Set(serde_json::to_string(&c.inspectors).unwrap_or_default()),
        catalogue_version: Set(c.version),
        notes: Set(input.notes.trim().to_string()),
        status: Set(InspectionStatus::Completed),
        created_by: Set(actor.user_id),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(&*txn)
    .await?;
    if let Some(fid) = input
        .finding_id
        .trim()
        .parse::<i32>()
        .ok()
        .filter(|_| !input.finding_id.trim().is_empty())
    {
        crate::ledger::leads::link_case(
            &*txn,
            scope,
            now,
            actor,
            by_name,
            fid,
            c.subject.id,
            ins.id,
        )
        .await?;
    }
    let responsible = c
        .subject
        .contact_name
        .clone()
        .filter(|n| !n.trim().is_empty())
        .unwrap_or_else(|| "单位主要负责人".into());
    let mut problems_created = Vec::new();
    for (ci, result, note) in &c.items {
        let problem_id = if result == NONCOMPLIANT {
            let id = problems::insert_new(
                &*txn,
                &store.crypto,
                now,
                NewProblem {
                    campaign_id,
                    subject_id: c.subject.id,
                    source: Source::Enforcement,
                    source_ref: Some(format!("inspection:{}", ins.id)),
                    item_code: Some(ci.code.clone()),
                    description: note.clone(),
                    measures: format!(
                        "对照检查条目“{}”整改到位，整改情况报检查单位核验。",
                        ci.text.trim_end_matches('。')
                    ),
                    deadline: c.deadline,
                    responsible_name: responsible.clone(),
                    responsible_phone: None,
                    created_by: actor.user_id,
                    by_name: by_name.to_string(),
                },
            )
            .await?;
            problems_created.push(id);
            Some(id)
        } else {
            None
        };
        inspection_item::ActiveModel {
            id: NotSet,
            inspection_id: Set(ins.id),
            item_code: Set(ci.code.clone()),
            result: Set(result.clone()),
            note: Set(note.clone()),
            problem_id: Set(problem_id),
        }
        .insert(&*txn)
        .await?;
    }
    for (p, cert, score, note) in &c.spot {
        spot_test::ActiveModel {
            id: NotSet,
            inspection_id: Set(ins.id),
            person_id: Set(p.id),
            certificate_id: Set(*cert),
            score: Set(*score),
            passed: Set(core::spot_test_passed(&store.params, *score)),
            note: Set(note.clone()),
            tested_on: Set(c.inspected_on),
        }
        .insert(&*txn)
        .await?;
    }
    if !problems_created.is_empty() {
        let to = inbox::recipients_of_subject(&*txn, c.subject.id, c.subject.town_id, None, false)
            .await?;
        let msgs = to
            .into_iter()
            .map(|(uid, _)| NewMessage {
                user_id: uid,
                kind: "problem_created".into(),
                title: format!(
                    "执法检查发现{}个问题，请于{}前整改",
                    problems_created.len(),
                    c.deadline
                ),
                body: format!("{}执法检查", c.inspected_on),
                link: format!("/problems?subject_id={}&source=enforcement", c.subject.id),
                dedupe_key: format!("inspection:{}:problems:{uid}", ins.id),
            })
            .collect();
        inbox::send_many(&*txn, now, msgs).await?;
    }
    let failed = c
        .spot
        .iter()
        .filter(|s| !core::spot_test_passed(&store.params, s.2))
        .count();
    audit::append(
        &*txn,
        now,
        actor,
        &Event::ok(
            "enforcement.inspection.create",
            format!("inspection:{}", ins.id),
        )
        .with_detail(format!(
            "subject:{} items={} problems={} spot_tests={} failed={failed}",
            c.subject.id,
            c.items.len(),
            problems_created.len(),
            c.spot.len()
        )),
    )
    .await?;
    txn.commit().await?;
    Ok(ins.id)
}

// ---- reading ----------------------------------------------------------------------------------

/// Inspections whose subject is visible in `scope`.
pub fn inspections_in(scope: &Scope) -> sea_orm::Select<inspection::Entity> {
    inspection::Entity::find()
        .join(JoinType::InnerJoin, subject_rel_inspection())
        .filter(scope.subject_condition())
}

fn subject_rel_inspection() -> sea_orm::RelationDef {
    inspection::Entity::belongs_to(subject::Entity)
        .from(inspection::Column::SubjectId)
        .to(subject::Column::Id)
        .into()
}

/// One inspection in a list.
#[derive(Debug, Clone, FromQueryResult)]
pub struct InspectionRow {
    pub id: i32,
    pub subject_id: i32,
    pub subject_name: String,
    pub subject_kind: String,
    pub town: String,
    pub inspected_on: NaiveDate,
    pub department_id: Option<i32>,
    pub town_id: Option<i32>,
    pub findings: i64,
    pub spot_failed: i64,
}

impl InspectionRow {
    pub fn kind_label(&self) -> &'static str {
        SubjectKind::from_code(&self.subject_kind).map_or("未知", SubjectKind::label)
    }
}

/// Filters of the inspection list.
#[derive(Debug, Clone, Default)]
pub struct InspectionFilter {
    pub subject_id: Option<i32>,
    pub town_id: Option<i32>,
    pub kind: Option<SubjectKind>,
    pub from: Option<NaiveDate>,
    pub to: Option<NaiveDate>,
}

fn filtered(scope: &Scope, f: &InspectionFilter) -> sea_orm::Select<inspection::Entity> {
    let mut q = inspections_in(scope);
    if let Some(s) = f.subject_id {
        q = q.filter(inspection::Column::SubjectId.eq(s));
    }
    if let Some(t) = f.town_id {
        q = q.filter(subject::Column::TownId.eq(t));
    }
    if let Some(k) = f.kind {
        q = q.filter(subject::Column::Kind.eq(k.code()));
    }
    if let Some(d) = f.from {
        q = q.filter(inspection::Column::InspectedOn.gte(d));
    }
    if let Some(d) = f.to {
        q = q.filter(inspection::Column::InspectedOn.lte(d));
    }
    q
}

/// The inspections in scope, newest first, a page at a time; and the total.
pub async fn list(
    store: &Store,
    scope: &Scope,
    f: &InspectionFilter,
    page: u64,
    per_page: u64,
) -> StoreResult<(Vec<InspectionRow>, u64)> {
    let total = filtered(scope, f).count(&store.db).await?;
    let findings = Query::select()
        .expr(Expr::col(inspection_item::Column::Id).count())
        .from(inspection_item::Entity)
        .and_where(
            Expr::col((
                inspection_item::Entity,
                inspection_item::Column::InspectionId,
            ))
            .equals((inspection::Entity, inspection::Column::Id)),
        )
        .and_where(Expr::col(inspection_item::Column::Result).eq(NONCOMPLIANT))
        .to_owned();
    let failed = Query::select()
        .expr(Expr::col(spot_test::Column::Id).count())
        .from(spot_test::Entity)
        .and_where(
            Expr::col((spot_test::Entity, spot_test::Column::InspectionId))
                .equals((inspection::Entity, inspection::Column::Id)),
        )
        .and_where(Expr::col(spot_test::Column::Passed).eq(false))
        .to_owned();
    let rows = filtered(scope, f)
        .join(JoinType::InnerJoin, subject::Relation::Town.def())
        .select_only()
        .column(inspection::Column::Id)
        .column(inspection::Column::SubjectId)
        .column_as(subject::Column::Name, "subject_name")
        .column_as(subject::Column::Kind, "subject_kind")
        .column_as(town::Column::Name, "town")
        .column(inspection::Column::InspectedOn)
        .column(inspection::Column::DepartmentId)
        .column(inspection::Column::TownId)
        .column_as(
            SimpleExpr::SubQuery(None, Box::new(findings.into_sub_query_statement())),
            "findings",
        )
        .column_as(
            SimpleExpr::SubQuery(None, Box::new(failed.into_sub_query_statement())),
            "spot_failed",
        )
        .order_by_desc(inspection::Column::InspectedOn)
        .order_by_desc(inspection::Column::Id)
        .offset((page.max(1) - 1) * per_page)
        .limit(per_page)
        .into_model::<InspectionRow>()
        .all(&store.db)
        .await?;
    Ok((rows, total))
}

/// One checklist item of an inspection, with its text.
#[derive(Debug, Clone)]
pub struct ItemRow {
    pub code: String,
    pub seq: i32,
    pub text: String,
    pub result: String,
    pub note: String,
    pub problem_id: Option<i32>,
}

impl ItemRow {
    pub fn result_label(&self) -> &'static str {
        result_label(&self.result)
    }
}

/// One on-the-spot test, with the person's name.
#[derive(Debug, Clone, FromQueryResult)]
pub struct SpotRow {
    pub id: i32,
    pub inspection_id: i32,
    pub person_id: i32,
    pub person_name: String,
    pub score: i32,
    pub passed: bool,
    pub note: String,
    pub tested_on: NaiveDate,
}

/// An inspection with everything recorded in it.
#[derive(Debug, Clone)]
pub struct InspectionDetail {
    pub inspection: inspection::Model,
    pub subject: subject::Model,
    pub inspectors: Vec<Inspector>,
    /// 区应急管理局, 双凤桥街道, or the district office.
    pub unit_name: String,
    pub items: Vec<ItemRow>,
    pub spot_tests: Vec<SpotRow>,
    pub actions: Vec<ActionRow>,
}

impl InspectionDetail {
    pub fn kind(&self) -> SubjectKind {
        self.subject.kind
    }
}

/// The name of an inspecting or deciding unit.
pub async fn unit_name(
    store: &Store,
    department_id: Option<i32>,
    town_id: Option<i32>,
) -> StoreResult<String> {
    if let Some(d) = department_id {
        if let Some(m) = department::Entity::find_by_id(d).one(&store.db).await? {
            return Ok(m.name);
        }
    }
    if let Some(t) = town_id {
        if let Some(m) = town::Entity::find_by_id(t).one(&store.db).await? {
            return Ok(m.name);
        }
    }
    Ok("区安委会办公室".into())
}

/// One inspection in scope (`None` when outside it).
pub async fn get(store: &Store, scope: &Scope, id: i32) -> StoreResult<Option<InspectionDetail>> {
    let Some(ins) = inspections_in(scope)
        .filter(inspection::Column::Id.eq(id))
        .one(&store.db)
        .await?
    else {
        return Ok(None);
    };
    let subject = subject::Entity::find_by_id(ins.subject_id)
        .one(&store.db)
        .await?
        .ok_or(StoreError::NotFound)?;
    let kind = subject.kind;
    let catalogue: HashMap<String, checklist_item::Model> =
        campaign::items(store, ins.catalogue_version, Some(kind))
            .await?
            .into_iter()
            .map(|c| (c.code.clone(), c))
            .collect();
    let mut items: Vec<ItemRow> = inspection_item::Entity::find()
        .filter(inspection_item::Column::InspectionId.eq(id))
        .all(&store.db)
        .await?
        .into_iter()
        .map(|r| {
            let ci = catalogue.get(&r.item_code);
            ItemRow {
                seq: ci.map_or(0, |c| c.seq),
                text: ci.map_or_else(String::new, |c| c.text.clone()),
                code: r.item_code,
                result: r.result,
                note: r.note,
                problem_id: r.problem_id,
            }
        })
        .collect();
    items.sort_by_key(|i| i.seq);
    let spot_tests = spot_rows(store, |q| q.filter(spot_test::Column::InspectionId.eq(id))).await?;
    let actions = actions::list_for_inspection(store, scope, id).await?;
    Ok(Some(InspectionDetail {
        inspectors: serde_json::from_str(&ins.inspectors).unwrap_or_default(),
        unit_name: unit_name(store, ins.department_id, ins.town_id).await?,
        inspection: ins,
        subject,
        items,
        spot_tests,
        actions,
    }))
}

async fn spot_rows(
    store: &Store,
    f: impl FnOnce(sea_orm::Select<spot_test::Entity>) -> sea_orm::Select<spot_test::Entity>,
) -> StoreResult<Vec<SpotRow>> {
    let q = spot_test::Entity::find().join(
        JoinType::InnerJoin,
        spot_test::Entity::belongs_to(person::Entity)
            .from(spot_test::Column::PersonId)
            .to(person::Column::Id)
            .into(),
    );
    Ok(f(q)
        .select_only()
        .column(spot_test::Column::Id)
        .column(spot_test::Column::InspectionId)
        .column(spot_test::Column::PersonId)
        .column_as(person::Column::Name, "person_name")
        .column(spot_test::Column::Score)
        .column(spot_test::Column::Passed)
        .column(spot_test::Column::Note)
        .column(spot_test::Column::TestedOn)
        .order_by_asc(spot_test::Column::Id)
        .into_model::<SpotRow>()
        .all(&store.db)
        .await?)
}

/// The on-the-spot tests of a person in scope, newest first (his page flags a failure).
pub async fn person_spot_tests(
    store: &Store,
    scope: &Scope,
    person_id: i32,
) -> StoreResult<Vec<SpotRow>> {
    let visible = scope::persons(scope)
        .filter(person::Column::Id.eq(person_id))
        .count(&store.db)
        .await?
        > 0;
    if !visible {
        return Ok(Vec::new());
    }
    let mut v = spot_rows(store, |q| {
        q.filter(spot_test::Column::PersonId.eq(person_id))
    })
    .await?;
    v.sort_by_key(|s| std::cmp::Reverse((s.tested_on, s.id)));
    Ok(v)
}

// ---- exam qualification ---------------------------------------------------------------------

/// The exam qualification of an exam site or exam institution: the `exam_qualifications.status`
/// column and the subject's own `subjects.status` (by its code).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, EnumIter, DeriveActiveEnum,
)]
#[serde(rename_all = "snake_case")]
#[sea_orm(rs_type = "String", db_type = "Text")]
pub enum Qualification {
    #[sea_orm(string_value = "normal")]
    Normal,
    #[sea_orm(string_value = "suspended")]
    Suspended,
    #[sea_orm(string_value = "cancelled")]
    Cancelled,
}

impl Qualification {
    pub const ALL: [Qualification; 3] = [
        Qualification::Normal,
        Qualification::Suspended,
        Qualification::Cancelled,
    ];

    pub fn code(self) -> &'static str {
        match self {
            Qualification::Normal => "normal",
            Qualification::Suspended => "suspended",
            Qualification::Cancelled => "cancelled",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Qualification::Normal => "考试资格正常",
            Qualification::Suspended => "暂停考试资格",
            Qualification::Cancelled => "取消考试资格",
        }
    }

    pub fn from_code(s: &str) -> Option<Qualification> {
        Self::ALL.into_iter().find(|v| v.code() == s)
    }

    /// Whether exams may be planned (the exam-plans issue refuses new plans otherwise).
    pub fn may_hold_exams(self) -> bool {
        self == Qualification::Normal
    }
}

/// A subject's exam qualification and since when (no row: normal).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExamQualification {
    pub status: Qualification,
    pub since: Option<NaiveDate>,
    pub reason: String,
    pub action_id: Option<i32>,
}

/// The exam qualification of a subject (not scoped: the caller has found the subject in its
/// scope already). Exam plans refuse a subject whose status does not `may_hold_exams`.
pub async fn exam_qualification(store: &Store, subject_id: i32) -> StoreResult<ExamQualification> {
    let row = exam_qualification::Entity::find()
        .filter(exam_qualification::Column::SubjectId.eq(subject_id))
        .one(&store.db)
        .await?;
    Ok(match row {
        Some(r) => ExamQualification {
            status: r.status,
            since: Some(r.since),
            reason: r.reason,
            action_id: r.action_id,
        },
        None => ExamQualification {
            status: Qualification::Normal,
            since: None,
            reason: String::new(),
            action_id: None,
        },
    })
}

// ---- statistics for supervision and the bulletin ----------------------------------------------

/// Counts of enforcement over subjects in a scope and a period (both ends inclusive).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Stats {
    pub inspections: u64,
    /// Distinct subjects inspected.
    pub subjects_inspected: u64,
    /// 不符合 items found (each is a problem).
    pub findings: u64,
    pub spot_tests: u64,
    pub spot_tests_failed: u64,
    /// Actions by kind code (`ActionKind::code`).
    pub actions: HashMap<String, u64>,
    /// Fines on units and on persons together, yuan.
    pub fines_total: i64,
    /// Typical cases published (of subjects in scope).
    pub cases_published: u64,
}

impl Stats {
    pub fn actions_of(&self, k: core::ActionKind) -> u64 {
        self.actions.get(k.code()).copied().unwrap_or(0)
    }

    /// 移送 (market) and 移交 (judicial) together.
    pub fn referrals(&self) -> u64 {
        self.actions_of(core::ActionKind::ReferMarket)
            + self.actions_of(core::ActionKind::ReferJudicial)
    }
}

/// Enforcement counts over subjects in `scope`, inspections dated and actions decided in
/// `[from, to]` (the campaign's enforcement phase, or the whole campaign). Call it with
/// `Scope::Town(t)` / `Scope::Department(d)` for the tables by town and department.
pub async fn stats(
    store: &Store,
    scope: &Scope,
    from: NaiveDate,
    to: NaiveDate,
) -> StoreResult<Stats> {
    let ins = || {
        inspections_in(scope)
            .filter(inspection::Column::InspectedOn.gte(from))
            .filter(inspection::Column::InspectedOn.lte(to))
    };
    let inspections = ins().count(&store.db).await?;
    let subjects_inspected: Option<i64> = ins()
        .select_only()
        .column_as(
            Expr::col((inspection::Entity, inspection::Column::SubjectId)).count_distinct(),
            "n",
        )
        .into_tuple()
        .one(&store.db)
        .await?;
    let ids = ins()
        .select_only()
        .column(inspection::Column::Id)
        .into_query();
    let findings = inspection_item::Entity::find()
        .filter(inspection_item::Column::InspectionId.in_subquery(ids.clone()))
        .filter(inspection_item::Column::Result.eq(NONCOMPLIANT))
        .count(&store.db)
        .await?;
    let spot = || {
        spot_test::Entity::find().filter(spot_test::Column::InspectionId.in_subquery(ids.clone()))
    };
    let spot_tests = spot().count(&store.db).await?;
    let spot_tests_failed = spot()
        .filter(spot_test::Column::Passed.eq(false))
        .count(&store.db)
        .await?;
    let by_kind: Vec<(String, i64, Option<i64>, Option<i64>)> = actions::actions_in(scope)
        .filter(enforcement_action::Column::DecidedOn.gte(from))
        .filter(enforcement_action::Column::DecidedOn.lte(to))
        .select_only()
        .column(enforcement_action::Column::Kind)
        .column_as(
            Expr::col((enforcement_action::Entity, enforcement_action::Column::Id)).count(),
            "n",
        )
        // SUM of a BIGINT is NUMERIC on PostgreSQL: cast back.
        .column_as(
            Expr::cust("CAST(SUM(enforcement_actions.amount_unit) AS BIGINT)"),
            "unit",
        )
        .column_as(
            Expr::cust("CAST(SUM(enforcement_actions.amount_persons) AS BIGINT)"),
            "persons",
        )
        .group_by(enforcement_action::Column::Kind)
        .into_tuple()
        .all(&store.db)
        .await?;
    let mut s = Stats {
        inspections,
        subjects_inspected: subjects_inspected.unwrap_or(0).max(0) as u64,
        findings,
        spot_tests,
        spot_tests_failed,
        ..Default::default()
    };
    for (k, n, u, p) in by_kind {
        s.actions.insert(k, n.max(0) as u64);
        s.fines_total += u.unwrap_or(0) + p.unwrap_or(0);
    }
    s.cases_published = typical_case::Entity::find()
        .filter(typical_case::Column::Published.eq(true))
        .filter(
            typical_case::Column::SubjectId.in_subquery(
                scope::subjects(scope)
                    .select_only()
                    .column(subject::Column::Id)
                    .into_query(),
            ),
        )
        .count(&store.db)
        .await?;
    Ok(s)
}

/// Parses a form's `application/x-www-form-urlencoded` flat fields into a struct (for
/// `Deserialize` inputs read from pairs).
pub fn pairs_field<'a>(pairs: &'a [(String, String)], name: &str) -> &'a str {
    pairs
        .iter()
        .find(|(k, _)| k == name)
        .map_or("", |(_, v)| v.as_str())
}
