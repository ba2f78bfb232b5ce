//! Test support — Self-inspections, supervision, problems and the campaign.

use crate::entity::{
    audit, checklist_item, enforcement_action, evidence_file, finding, inspection, job_run,
    problem, self_inspection, summary_report, supervision_problem, tipoff, typical_case,
};
use crate::model;
use crate::Store;
use chrono::NaiveDate;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, Set,
};

// ---- readers ------------------------------------------------------------------------------

/// Every problem of the district, whatever its source or campaign, by id.
pub async fn problems(store: &Store) -> Vec<model::Problem> {
    problem::Entity::find()
        .order_by_asc(problem::Column::Id)
        .all(&store.db)
        .await
        .expect("read problems")
}

/// Every evidence file row, whatever owns it, by id.
pub async fn evidence_files(store: &Store) -> Vec<model::EvidenceFile> {
    evidence_file::Entity::find()
        .order_by_asc(evidence_file::Column::Id)
        .all(&store.db)
        .await
        .expect("read evidence files")
}

/// Every problem the supervisors found in a town or a department (督查发现问题), by id.
pub async fn supervision_problems(store: &Store) -> Vec<model::SupervisionProblem> {
    supervision_problem::Entity::find()
        .order_by_asc(supervision_problem::Column::Id)
        .all(&store.db)
        .await
        .expect("read supervision problems")
}

/// Every summary report (总结报告) of every unit and campaign, by id.
pub async fn summary_reports(store: &Store) -> Vec<model::SummaryReport> {
    summary_report::Entity::find()
        .order_by_asc(summary_report::Column::Id)
        .all(&store.db)
        .await
        .expect("read summary reports")
}

/// Every enforcement action (fines, referrals …) of the district, by id.
pub async fn enforcement_actions(store: &Store) -> Vec<model::EnforcementAction> {
    enforcement_action::Entity::find()
        .order_by_asc(enforcement_action::Column::Id)
        .all(&store.db)
        .await
        .expect("read enforcement actions")
}

/// Every tip-off received, by id.
pub async fn tipoffs(store: &Store) -> Vec<model::Tipoff> {
    tipoff::Entity::find()
        .order_by_asc(tipoff::Column::Id)
        .all(&store.db)
        .await
        .expect("read tip-offs")
}

/// Every run of a background job recorded (claimed, finished or stalled), by id.
pub async fn job_runs(store: &Store) -> Vec<model::JobRun> {
    job_run::Entity::find()
        .order_by_asc(job_run::Column::Id)
        .all(&store.db)
        .await
        .expect("read job runs")
}

/// How many audit entries record `action`, on `object` when one is given.
pub async fn audit_count(store: &Store, action: &str, object: Option<&str>) -> u64 {
    let mut q = audit::Entity::find().filter(audit::Column::Action.eq(action));
    if let Some(o) = object {
        q = q.filter(audit::Column::Object.eq(o));
    }
    q.count(&store.db).await.expect("count audit entries")
}

// ---- arranging ----------------------------------------------------------------------------

/// Records an open finding of `rule` on a subject (and person), as a scan would leave it.
pub async fn open_finding(
    store: &Store,
    subject_id: i32,
    person_id: Option<i32>,
    rule: &str,
    detail: &str,
) -> i32 {
    let today = store.today();
    let key = format!(
        "{rule}:test:{subject_id}:{}",
        person_id.map_or(String::new(), |p| p.to_string())
    );
    finding::ActiveModel {
        rule: Set(rule.into()),
        severity: Set("medium".into()),
        subject_id: Set(subject_id),
        person_id: Set(person_id),
        finding_key: Set(key),
        records: Set("[]".into()),
        detail: Set(detail.into()),
        first_seen: Set(today),
        last_seen: Set(today),
        status: Set(crate::ledger::leads::FindingStatus::Open),
        resolved_at: Set(None),
        ..Default::default()
    }
    .insert(&store.db)
    .await
    .expect("insert a finding")
    .id
}

/// Records a subject's self-inspection of a campaign in `status`, without answers.
pub async fn add_self_inspection(
    store: &Store,
    campaign_id: i32,
    subject_id: i32,
    status: crate::campaign::selfcheck::SelfcheckStatus,
    submitted_at: Option<i64>,
) -> i32 {
    let now = store.now();
    self_inspection::ActiveModel {
        campaign_id: Set(campaign_id),
        subject_id: Set(subject_id),
        status: Set(status),
        submitted_at: Set(submitted_at),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(&store.db)
    .await
    .expect("insert a self-inspection")
    .id
}

/// Records an enforcement inspection of a subject in `status`, without items or actions.
pub async fn add_inspection(
    store: &Store,
    campaign_id: Option<i32>,
    subject_id: i32,
    town_id: Option<i32>,
    inspected_on: NaiveDate,
    status: crate::enforcement::InspectionStatus,
) -> i32 {
    let now = store.now();
    inspection::ActiveModel {
        campaign_id: Set(campaign_id),
        subject_id: Set(subject_id),
        town_id: Set(town_id),
        inspected_on: Set(inspected_on),
        inspectors: Set("[]".into()),
        catalogue_version: Set(1),
        notes: Set(String::new()),
        status: Set(status),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(&store.db)
    .await
    .expect("insert an inspection")
    .id
}

/// Sets a problem's status as it is, with no event, verification or closing time.
pub async fn set_problem_status(
    store: &Store,
    id: i32,
    status: crate::campaign::problems::ProblemStatus,
) {
    let n = problem::Entity::update_many()
        .col_expr(problem::Column::Status, Expr::value(status))
        .filter(problem::Column::Id.eq(id))
        .exec(&store.db)
        .await
        .expect("update a problem")
        .rows_affected;
    assert_eq!(n, 1, "problem {id} exists");
}

/// Records a named reporter's tip-off accepted on a past day, assigned to a town, in `status`.
pub async fn add_tipoff(
    store: &Store,
    receipt_code: &str,
    reporter_name: &str,
    town_id: i32,
    accepted_on: NaiveDate,
    status: anpei_core::tipoff::Status,
    closed_on: Option<NaiveDate>,
) -> i32 {
    tipoff::ActiveModel {
        receipt_code: Set(receipt_code.into()),
        query_hash: Set("x".into()),
        channel: Set(anpei_core::tipoff::Channel::Hotline),
        category: Set(anpei_core::tipoff::Category::FakeTraining),
        subject_text: Set(String::new()),
        description: Set("测试举报".into()),
        anonymous: Set(false),
        reporter_name_enc: Set(Some(store.crypto.encrypt(reporter_name))),
        status: Set(status),
        accepted_on: Set(accepted_on),
        assigned_town_id: Set(Some(town_id)),
        extension_days: Set(0),
        closed_on: Set(closed_on),
        substantiated: Set(closed_on.map(|_| true)),
        created_at: Set(store.now()),
        ..Default::default()
    }
    .insert(&store.db)
    .await
    .expect("insert a tip-off")
    .id
}

/// Records an enforcement action alone: no inspection, problem or case comes with it.
pub async fn add_enforcement_action(
    store: &Store,
    subject_id: i32,
    kind: &str,
    decision_no: &str,
    decided_on: NaiveDate,
    amount_unit: Option<i64>,
    amount_persons: Option<i64>,
) -> i32 {
    enforcement_action::ActiveModel {
        subject_id: Set(subject_id),
        kind: Set(kind.into()),
        legal_basis: Set("《安全生产法》".into()),
        decision_no: Set(decision_no.into()),
        decided_on: Set(decided_on),
        amount_unit: Set(amount_unit),
        amount_persons: Set(amount_persons),
        text: Set(String::new()),
        created_at: Set(store.now()),
        ..Default::default()
    }
    .insert(&store.db)
    .await
    .expect("insert an enforcement action")
    .id
}

/// Records a typical case (典型案例) published on a day, tied to no subject or action.
pub async fn add_published_case(
    store: &Store,
    title: &str,
    body: &str,
    published_on: NaiveDate,
) -> i32 {
    typical_case::ActiveModel {
        title: Set(title.into()),
        body: Set(body.into()),
        published: Set(true),
        published_on: Set(Some(published_on)),
        created_at: Set(store.now()),
        ..Default::default()
    }
    .insert(&store.db)
    .await
    .expect("insert a typical case")
    .id
}

/// Adds an item, linked to no rule, to a checklist catalogue version of the test's own.
pub async fn add_checklist_item(
    store: &Store,
    version: i32,
    kind: &str,
    code: &str,
    seq: i32,
    section: &str,
    text: &str,
) -> i32 {
    checklist_item::ActiveModel {
        version: Set(version),
        kind: Set(kind.into()),
        code: Set(code.into()),
        seq: Set(seq),
        section: Set(section.into()),
        text: Set(text.into()),
        rules: Set(String::new()),
        ..Default::default()
    }
    .insert(&store.db)
    .await
    .expect("insert a checklist item")
    .id
}
