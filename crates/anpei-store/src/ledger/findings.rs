//! Stored findings: a scan's results are merged into the `findings` table by their stable
//! key — new ones inserted, those seen again touched, those no longer found resolved — in one
//! transaction. Queries go through the scope filter like everything else.

use crate::entity::{finding, person, subject, town};
use crate::ledger::facts::Which;
use crate::ledger::leads::{self, FindingStatus};
use crate::platform::audit::{self, Actor, Event};
use crate::scope::Scope;
use crate::{Store, StoreResult};
use anpei_core::ledger::rules::{Finding, RecordRef, Rule};
use chrono::NaiveDate;
use sea_orm::sea_query::{Condition, Expr, Func, SimpleExpr};
use sea_orm::{
    ActiveValue::NotSet, ColumnTrait, EntityTrait, FromQueryResult, JoinType, PaginatorTrait,
    QueryFilter, QueryOrder, QuerySelect, QueryTrait, RelationTrait, Set,
};
use serde::Serialize;
use std::collections::HashMap;

/// A stored finding as a merge compares it with what the scan found.
#[derive(Debug, FromQueryResult)]
struct Stored {
    finding_key: String,
    id: i32,
    status: FindingStatus,
    detail: String,
    dismissed_detail: Option<String>,
    problem_id: Option<i32>,
}

/// What a merge changed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Merge {
    pub new: u64,
    pub still_open: u64,
    pub resolved: u64,
}

impl Merge {
    /// Adds another merge's counts (the parts of a whole scan).
    pub fn add(&mut self, o: Merge) {
        self.new += o.new;
        self.still_open += o.still_open;
        self.resolved += o.resolved;
    }
}

/// Merges a scan of the whole district (`subject_id` None) or of one subject, as of `as_of`.
#[tracing::instrument(skip_all)]
pub async fn merge(
    store: &Store,
    actor: &Actor,
    subject_id: Option<i32>,
    as_of: NaiveDate,
    found: &[Finding],
) -> StoreResult<Merge> {
    merge_rules(store, actor, subject_id, None, as_of, found).await
}

/// Like [`merge`], but only the stored findings of `rules` (all when `None`) take part:
/// a run of some checks over the district resolves what those checks no longer find and
/// leaves the others' findings alone. `found` should hold findings of those rules only.
#[tracing::instrument(skip_all)]
pub async fn merge_rules(
    store: &Store,
    actor: &Actor,
    subject_id: Option<i32>,
    rules: Option<&[Rule]>,
    as_of: NaiveDate,
    found: &[Finding],
) -> StoreResult<Merge> {
    let which = subject_id.map_or(Which::All, Which::Subject);
    merge_which(store, actor, which, rules, as_of, found).await
}

/// Like [`merge_rules`], over the stored findings of `which`: the whole installation, one
/// subject, or the persons of a part of a whole scan (their findings by `person_id`).
pub async fn merge_which(
    store: &Store,
    actor: &Actor,
    which: Which,
    rules: Option<&[Rule]>,
    as_of: NaiveDate,
    found: &[Finding],
) -> StoreResult<Merge> {
    let subject_id = match which {
        Which::Subject(s) => Some(s),
        _ => None,
    };
    let persons = match which {
        Which::Persons(a, b, _) => Some((a, b)),
        _ => None,
    };
    let district = match which {
        Which::Persons(_, _, d) => d,
        Which::District(d) => Some(d),
        _ => None,
    };
    let codes: Option<Vec<&str>> = rules.map(|r| r.iter().map(|r| r.code()).collect());
    let found: Vec<&Finding> = found
        .iter()
        .filter(|f| rules.is_none_or(|r| r.contains(&f.rule)))
        .collect();
    let txn = store.write().await?;
    let now = store.now();
    let existing: HashMap<String, Stored> = finding::Entity::find()
        .select_only()
        .columns([
            finding::Column::FindingKey,
            finding::Column::Id,
            finding::Column::Status,
            finding::Column::Detail,
            finding::Column::DismissedDetail,
            finding::Column::ProblemId,
        ])
        .apply_if(subject_id, |q, s| {
            q.filter(finding::Column::SubjectId.eq(s))
        })
        .apply_if(persons, |q, (a, b)| {
            q.filter(finding::Column::PersonId.between(a, b))
        })
        .apply_if(district, |q, d| {
            q.filter(Expr::cust(crate::ledger::facts::subject_in_district(
                "findings.subject_id",
                d,
            )))
        })
        .apply_if(codes, |q, c| q.filter(finding::Column::Rule.is_in(c)))
        .into_model::<Stored>()
        .all(&*txn)
        .await?
        .into_iter()
        .map(|r| (r.finding_key.clone(), r))
        .collect();
    let mut m = Merge::default();
    // Seen again and still to be handled (or open again): `last_seen` moves on.
    let mut touch_ids = Vec::new();
    // Seen again after they were resolved: open again.
    let mut reopen_ids = Vec::new();
    let mut inserts = Vec::new();
    let mut seen_keys = std::collections::HashSet::new();
    for f in found {
        let key = f.key();
        if !seen_keys.insert(key.clone()) {
            continue;
        }
        match existing.get(&key) {
            Some(st) => {
                m.still_open += 1;
                if st.detail != f.detail {
                    finding::Entity::update_many()
                        .col_expr(finding::Column::Detail, Expr::value(f.detail.clone()))
                        .filter(finding::Column::Id.eq(st.id))
                        .exec(&*txn)
                        .await?;
                }
                match st.status {
                    // Dismissed stays dismissed while the facts are those it was dismissed
                    // on; other facts open it again.
                    FindingStatus::Dismissed => {
                        if st.dismissed_detail.as_deref() == Some(f.detail.as_str()) {
                            touch_ids.push(st.id);
                        } else {
                            leads::reopened_by_scan(&*txn, now, st.id, as_of).await?;
                            touch_ids.push(st.id);
                        }
                    }
                    FindingStatus::Resolved => match st.problem_id {
                        Some(p) => {
                            leads::reappeared_after_closing(&*txn, now, st.id, p, as_of).await?;
                            touch_ids.push(st.id);
                        }
                        None => reopen_ids.push(st.id),
                    },
                    _ => touch_ids.push(st.id),
                }
            }
            None => {
                m.new += 1;
                inserts.push(finding::ActiveModel {
                    id: NotSet,
                    rule: Set(f.rule.code().into()),
                    severity: Set(f.rule.severity().code().into()),
                    subject_id: Set(f.subject_id as i32),
                    person_id: Set(f.person_id.map(|p| p as i32)),
                    who_name: Set(f.who.as_ref().map(|w| w.name.clone())),
                    who_id_masked: Set(f.who.as_ref().map(|w| w.id_masked.clone())),
                    finding_key: Set(key),
                    records: Set(serde_json::to_string(&f.records).unwrap_or_default()),
                    detail: Set(f.detail.clone()),
                    first_seen: Set(as_of),
                    last_seen: Set(as_of),
                    status: Set(FindingStatus::Open),
                    resolved_at: Set(None),
                    assigned_town_id: Set(None),
                    assigned_department_id: Set(None),
                    assigned_at: Set(None),
                    due_on: Set(None),
                    problem_id: Set(None),
                    inspection_id: Set(None),
                    dismiss_reason: Set(None),
                    dismissed_detail: Set(None),
                });
            }
        }
    }
    for chunk in touch_ids.chunks(900) {
        finding::Entity::update_many()
            .col_expr(finding::Column::LastSeen, Expr::value(as_of))
            .filter(finding::Column::Id.is_in(chunk.to_vec()))
            .exec(&*txn)
            .await?;
    }
    for chunk in reopen_ids.chunks(900) {
        finding::Entity::update_many()
            .col_expr(finding::Column::LastSeen, Expr::value(as_of))
            .col_expr(
                finding::Column::Status,
                Expr::value(FindingStatus::Open.code()),
            )
            .col_expr(
                finding::Column::ResolvedAt,
                Expr::value(Option::<NaiveDate>::None),
            )
            .filter(finding::Column::Id.is_in(chunk.to_vec()))
            .exec(&*txn)
            .await?;
    }
    leads::scan_events(
        &*txn,
        now,
        &reopen_ids,
        "reappeared",
        "复查再次发现，恢复为待处理",
        FindingStatus::Open,
    )
    .await?;
    let mut rows = inserts.into_iter().peekable();
    while rows.peek().is_some() {
        let chunk: Vec<_> = rows.by_ref().take(400).collect();
        finding::Entity::insert_many(chunk)
            .exec_without_returning(&*txn)
            .await?;
    }
    // No longer found: what was still to be handled is resolved; dismissed ones stay as
    // they are, and so do those already resolved.
    let gone: Vec<i32> = existing
        .iter()
        .filter(|(k, st)| st.status.is_active() && !seen_keys.contains(*k))
        .map(|(_, st)| st.id)
        .collect();
    m.resolved = gone.len() as u64;
    for chunk in gone.chunks(900) {
        finding::Entity::update_many()
            .col_expr(
                finding::Column::Status,
                Expr::value(FindingStatus::Resolved.code()),
            )
            .col_expr(finding::Column::ResolvedAt, Expr::value(as_of))
            .filter(finding::Column::Id.is_in(chunk.to_vec()))
            .exec(&*txn)
            .await?;
    }
    leads::scan_events(
        &*txn,
        now,
        &gone,
        "resolved",
        "复查未再发现，线索消除",
        FindingStatus::Resolved,
    )
    .await?;
    let object = match which {
        Which::All => "district".to_string(),
        Which::Subject(s) => format!("subject:{s}"),
        Which::Persons(a, b, None) => format!("persons:{a}-{b}"),
        Which::Persons(a, b, Some(d)) => format!("district:{d} persons:{a}-{b}"),
        Which::District(d) => format!("district:{d}"),
    };
    let which = match rules {
        Some(r) if r == Rule::RECORDS => " rules=records".to_string(),
        Some(r) if r == Rule::LEDGER => " rules=ledger".to_string(),
        Some(r) if r == Rule::ONLINE => " rules=online".to_string(),
        Some(r) => format!(
            " rules={}",
            r.iter().map(|r| r.code()).collect::<Vec<_>>().join(",")
        ),
        None => String::new(),
    };
    let ev = Event::ok("scan", object).with_detail(format!(
        "as_of={as_of} new={} open={} resolved={}{which}",
        m.new, m.still_open, m.resolved
    ));
    audit::append(&*txn, store.now(), actor, &ev).await?;
    txn.commit().await?;
    Ok(m)
}

#[derive(Debug, Clone, Default)]
pub struct FindingFilter {
    pub rule: Option<Rule>,
    pub town_id: Option<i32>,
    pub industry: Option<String>,
    pub subject_id: Option<i32>,
    /// A [`FindingStatus`] code, or [`ACTIVE`] (still to be dealt with); None: all.
    pub status: Option<String>,
    /// 交办 to this town / department.
    pub assigned_town_id: Option<i32>,
    pub assigned_department_id: Option<i32>,
}

/// The status filter of the findings still to be dealt with (待处理, 已交办, 已转问题, 已立案).
pub const ACTIVE: &str = "active";

/// A finding as pages, exports and the API show it (masked).
#[derive(Debug, Clone, Serialize, FromQueryResult)]
pub struct FindingRow {
    pub id: i32,
    pub rule: String,
    pub severity: String,
    pub subject_id: i32,
    pub subject_name: String,
    pub subject_uscc: String,
    pub town_id: i32,
    pub town: String,
    pub industry: Option<String>,
    /// The ledger person; `None` for the checks on training and exam records, whose
    /// person (if any) is in `person_name` and `id_number_masked` all the same.
    pub person_id: Option<i32>,
    pub person_name: String,
    pub id_number_masked: String,
    pub detail: String,
    pub records: String,
    pub first_seen: NaiveDate,
    pub last_seen: NaiveDate,
    pub status: String,
}

impl FindingRow {
    pub fn rule_name(&self) -> &'static str {
        Rule::from_code(&self.rule).map_or("未知规则", Rule::name)
    }

    /// The records the finding names.
    pub fn record_refs(&self) -> Vec<RecordRef> {
        serde_json::from_str(&self.records).unwrap_or_default()
    }

    /// Where to look at what the finding is about: the ledger person, else the class or
    /// exam session it names, else the subject's training or exam records, or its
    /// relationship view for the signals of collusion.
    pub fn link(&self) -> String {
        let s = self.subject_id;
        if Rule::from_code(&self.rule).is_some_and(Rule::on_online) {
            return format!("/online/subjects/{s}");
        }
        if let Some(p) = self.person_id {
            return format!("/persons/{p}");
        }
        let refs = self.record_refs();
        for r in &refs {
            match r {
                RecordRef::Class(id) => return format!("/training/classes/{id}"),
                RecordRef::ExamSession(id) => return format!("/exams/sessions/{id}"),
                _ => {}
            }
        }
        match Rule::from_code(&self.rule) {
            Some(Rule::StaffConflict | Rule::PassRateAnomaly) => format!("/relations/{s}"),
            Some(Rule::TeacherDoubleBooked | Rule::TraineeDoubleBooked) => {
                format!("/training/{s}")
            }
            Some(r) if r.on_records() => format!("/exams/subjects/{s}"),
            _ => format!("/subjects/{s}"),
        }
    }
}

fn query(scope: &Scope, f: &FindingFilter) -> sea_orm::Select<finding::Entity> {
    let mut c = Condition::all().add(scope.subject_condition());
    if let Some(r) = f.rule {
        c = c.add(finding::Column::Rule.eq(r.code()));
    }
    if let Some(t) = f.town_id {
        c = c.add(subject::Column::TownId.eq(t));
    }
    if let Some(i) = f.industry.as_deref().filter(|s| !s.is_empty()) {
        c = c.add(subject::Column::Industry.eq(i));
    }
    if let Some(s) = f.subject_id {
        c = c.add(finding::Column::SubjectId.eq(s));
    }
    match f.status.as_deref().filter(|s| !s.is_empty()) {
        Some(ACTIVE) => c = c.add(finding::Column::Status.is_in(FindingStatus::ACTIVE)),
        Some(st) => c = c.add(finding::Column::Status.eq(st)),
        None => {}
    }
    if let Some(t) = f.assigned_town_id {
        c = c.add(finding::Column::AssignedTownId.eq(t));
    }
    if let Some(d) = f.assigned_department_id {
        c = c.add(finding::Column::AssignedDepartmentId.eq(d));
    }
    finding::Entity::find()
        .join(JoinType::InnerJoin, finding::Relation::Subject.def())
        .filter(c)
}

/// A page of findings visible in `scope`, and the total.
pub async fn list(
    store: &Store,
    scope: &Scope,
    f: &FindingFilter,
    page: u64,
    per_page: u64,
) -> StoreResult<(Vec<FindingRow>, u64)> {
    let db = store.reads().await;
    let total = query(scope, f).count(db).await?;
    // The page's ids first (narrow rows to order), then those rows with their subject, town
    // and person: ordering the joined wide rows of a district's every finding took a sort on
    // disk at a million persons.
    let ids: Vec<i32> = query(scope, f)
        .select_only()
        .column(finding::Column::Id)
        .order_by_asc(finding::Column::Status)
        .order_by_asc(finding::Column::Rule)
        .order_by_asc(finding::Column::Id)
        .offset((page.max(1) - 1) * per_page)
        .limit(per_page)
        .into_tuple()
        .all(db)
        .await?;
    if ids.is_empty() {
        return Ok((Vec::new(), total));
    }
    let place: HashMap<i32, usize> = ids.iter().enumerate().map(|(i, id)| (*id, i)).collect();
    let mut rows = rows(query(scope, f).filter(finding::Column::Id.is_in(ids)))
        .into_model::<FindingRow>()
        .all(db)
        .await?;
    rows.sort_by_key(|r| place.get(&r.id).copied().unwrap_or(usize::MAX));
    Ok((rows, total))
}

/// The open findings of the checks on training and exam records at one subject (at most
/// 200, by rule), for the institution's and site's own pages.
pub async fn records_open(
    store: &Store,
    scope: &Scope,
    subject_id: i32,
) -> StoreResult<Vec<FindingRow>> {
    open_of(store, scope, subject_id, &Rule::RECORDS).await
}

/// The open findings of `rules` at one subject (at most 200, by rule), for a subject's page of
/// those checks.
pub async fn open_of(
    store: &Store,
    scope: &Scope,
    subject_id: i32,
    rules: &[Rule],
) -> StoreResult<Vec<FindingRow>> {
    let f = FindingFilter {
        subject_id: Some(subject_id),
        status: Some(ACTIVE.into()),
        ..Default::default()
    };
    let codes: Vec<&str> = rules.iter().map(|r| r.code()).collect();
    Ok(
        rows(query(scope, &f).filter(finding::Column::Rule.is_in(codes)))
            .order_by_asc(finding::Column::Rule)
            .order_by_asc(finding::Column::Id)
            .limit(200)
            .into_model::<FindingRow>()
            .all(&store.db)
            .await?,
    )
}

/// The stable keys of the open findings of `rules` at one subject in `scope`, with their rule
/// codes: what a page matches its rows against (a person's day, a device's day).
pub async fn open_keys(
    store: &Store,
    scope: &Scope,
    subject_id: i32,
    rules: &[Rule],
) -> StoreResult<Vec<(String, String)>> {
    let f = FindingFilter {
        subject_id: Some(subject_id),
        status: Some(ACTIVE.into()),
        ..Default::default()
    };
    let codes: Vec<&str> = rules.iter().map(|r| r.code()).collect();
    Ok(query(scope, &f)
        .filter(finding::Column::Rule.is_in(codes))
        .select_only()
        .columns([finding::Column::Rule, finding::Column::FindingKey])
        .into_tuple()
        .all(&store.db)
        .await?)
}

/// Every finding matching the filter (exports), in one query.
pub async fn all(store: &Store, scope: &Scope, f: &FindingFilter) -> StoreResult<Vec<FindingRow>> {
    Ok(rows(query(scope, f))
        .order_by_asc(finding::Column::Id)
        .into_model::<FindingRow>()
        .all(&store.db)
        .await?)
}

fn rows(q: sea_orm::Select<finding::Entity>) -> sea_orm::Select<finding::Entity> {
    q.select_only()
        .columns([
            finding::Column::Id,
            finding::Column::Rule,
            finding::Column::Severity,
            finding::Column::SubjectId,
            finding::Column::PersonId,
            finding::Column::Detail,
            finding::Column::Records,
            finding::Column::FirstSeen,
            finding::Column::LastSeen,
            finding::Column::Status,
        ])
        .column_as(subject::Column::Name, "subject_name")
        .column_as(subject::Column::Uscc, "subject_uscc")
        .column_as(subject::Column::Industry, "industry")
        .column_as(town::Column::Name, "town")
        .column_as(subject::Column::TownId, "town_id")
        .column_as(
            SimpleExpr::from(Func::coalesce([
                Expr::col((person::Entity, person::Column::Name)).into(),
                Expr::col((finding::Entity, finding::Column::WhoName)).into(),
                Expr::val("").into(),
            ])),
            "person_name",
        )
        .column_as(
            SimpleExpr::from(Func::coalesce([
                Expr::col((person::Entity, person::Column::IdMasked)).into(),
                Expr::col((finding::Entity, finding::Column::WhoIdMasked)).into(),
                Expr::val("").into(),
            ])),
            "id_number_masked",
        )
        .join(JoinType::InnerJoin, subject::Relation::Town.def())
        .join(JoinType::LeftJoin, finding::Relation::Person.def())
}

/// Open findings by rule code and by town name, in the scope and filter.
pub async fn counts(
    store: &Store,
    scope: &Scope,
    f: &FindingFilter,
) -> StoreResult<(Vec<(String, i64)>, Vec<(String, i64)>)> {
    let by_rule: Vec<(String, i64)> = query(scope, f)
        .select_only()
        .column(finding::Column::Rule)
        .column_as(
            Expr::col((finding::Entity, finding::Column::Id)).count(),
            "n",
        )
        .group_by(finding::Column::Rule)
        .into_tuple()
        .all(&store.db)
        .await?;
    let by_town: Vec<(String, i64)> = query(scope, f)
        .select_only()
        .column_as(town::Column::Name, "town")
        .column_as(
            Expr::col((finding::Entity, finding::Column::Id)).count(),
            "n",
        )
        .join(JoinType::InnerJoin, subject::Relation::Town.def())
        .group_by(town::Column::Name)
        .into_tuple()
        .all(&store.db)
        .await?;
    Ok((by_rule, by_town))
}

/// One finding, if it is visible in `scope`.
pub async fn get(store: &Store, scope: &Scope, id: i32) -> StoreResult<Option<FindingRow>> {
    Ok(
        rows(query(scope, &FindingFilter::default()).filter(finding::Column::Id.eq(id)))
            .into_model::<FindingRow>()
            .one(&store.db)
            .await?,
    )
}

/// The certificates and training records a finding names (one the caller was given by a
/// scoped [`get`], so they are in scope too), as its page shows them.
pub async fn records_of(
    store: &Store,
    row: &FindingRow,
) -> StoreResult<(
    Vec<crate::registry::persons::CertificateRow>,
    Vec<crate::registry::persons::TrainingRow>,
)> {
    use crate::entity::{certificate, training};
    use crate::registry::persons::{certificate_row, training_row};
    let records: Vec<RecordRef> = serde_json::from_str(&row.records).unwrap_or_default();
    let cert_ids: Vec<i32> = records
        .iter()
        .filter_map(|r| {
            if let RecordRef::Certificate(c) = r {
                Some(*c as i32)
            } else {
                None
            }
        })
        .collect();
    let training_ids: Vec<i32> = records
        .iter()
        .filter_map(|r| {
            if let RecordRef::Training(t) = r {
                Some(*t as i32)
            } else {
                None
            }
        })
        .collect();
    let today = store.today();
    let warn = store.params.expiry_warning_days;
    // The finding is in scope, so the records it names are too; they are still fetched by
    // the finding's own person to keep the check local.
    let certificates = certificate::Entity::find()
        .filter(certificate::Column::Id.is_in(cert_ids))
        .filter(certificate::Column::PersonId.eq(row.person_id.unwrap_or(-1)))
        .all(&store.db)
        .await?
        .into_iter()
        .map(|c| certificate_row(c, today, warn))
        .collect();
    let trainings = training::Entity::find()
        .filter(training::Column::Id.is_in(training_ids))
        .filter(training::Column::PersonId.eq(row.person_id.unwrap_or(-1)))
        .all(&store.db)
        .await?
        .into_iter()
        .map(training_row)
        .collect();
    Ok((certificates, trainings))
}

/// What a report of findings names: (USCC, name) by subject id, (name, masked ID number) by
/// person id.
pub type ReportNames = (
    HashMap<i64, (String, String)>,
    HashMap<i64, (String, String)>,
);

/// The names of the subjects and persons that `found` names (looked up by id, a few hundred at
/// a time): what a report of a scan needs, part by part, without every person's name.
pub async fn report_names(store: &Store, found: &[Finding]) -> StoreResult<ReportNames> {
    let mut sids: Vec<i32> = found.iter().map(|f| f.subject_id as i32).collect();
    sids.sort_unstable();
    sids.dedup();
    let mut pids: Vec<i32> = found
        .iter()
        .filter_map(|f| f.person_id.map(|p| p as i32))
        .collect();
    pids.sort_unstable();
    pids.dedup();
    let mut subjects = HashMap::new();
    for chunk in sids.chunks(900) {
        let rows: Vec<(i32, String, String)> = subject::Entity::find()
            .select_only()
            .columns([
                subject::Column::Id,
                subject::Column::Uscc,
                subject::Column::Name,
            ])
            .filter(subject::Column::Id.is_in(chunk.to_vec()))
            .into_tuple()
            .all(&store.db)
            .await?;
        subjects.extend(rows.into_iter().map(|(id, u, n)| (i64::from(id), (u, n))));
    }
    let mut persons = HashMap::new();
    for chunk in pids.chunks(900) {
        let rows: Vec<(i32, String, String)> = person::Entity::find()
            .select_only()
            .columns([
                person::Column::Id,
                person::Column::Name,
                person::Column::IdMasked,
            ])
            .filter(person::Column::Id.is_in(chunk.to_vec()))
            .into_tuple()
            .all(&store.db)
            .await?;
        persons.extend(rows.into_iter().map(|(id, n, m)| (i64::from(id), (n, m))));
    }
    Ok((subjects, persons))
}

/// The ids of the findings matching the filter in `scope` (at most `limit`, oldest first),
/// for a bulk action on a filtered list; and how many match in all.
pub async fn ids(
    store: &Store,
    scope: &Scope,
    f: &FindingFilter,
    limit: usize,
) -> StoreResult<(Vec<i32>, u64)> {
    let total = query(scope, f).count(&store.db).await?;
    let ids = query(scope, f)
        .select_only()
        .column(finding::Column::Id)
        .order_by_asc(finding::Column::Id)
        .limit(limit as u64)
        .into_tuple()
        .all(&store.db)
        .await?;
    Ok((ids, total))
}
