//! Enforcement actions (执法决定): 责令限期整改 (creates a problem with its deadline), 罚款
//! (checked against 《安全生产法》第九十七条), 警告, 责令停产停业整顿, 移送市场监管部门,
//! 移交司法机关, 暂停/取消考试资格 (exam sites and institutions: their qualification and
//! status change), 曝光 (creates a typical case draft with personal data removed). Each with
//! its legal basis, decision number and date; documents are evidence files of the action.

use super::{supervised_subject, unit_of, ExamQualification, Qualification};
use crate::campaign::problems::{self, NewProblem, Source};
use crate::entity::{
    enforcement_action, exam_qualification, inspection, person, subject, town, typical_case,
};
use crate::platform::audit::{self, Actor, Event};
use crate::scope::Scope;
use crate::{Store, StoreError, StoreResult};
use anpei_core::enforcement::{self as core, ActionKind, FineStage};
use chrono::NaiveDate;
use sea_orm::{
    ActiveModelTrait, ActiveValue::NotSet, ColumnTrait, ConnectionTrait, EntityTrait,
    FromQueryResult, IntoActiveModel, JoinType, PaginatorTrait, QueryFilter, QueryOrder,
    QuerySelect, RelationTrait, Set,
};
use serde::{Deserialize, Serialize};

/// The raw fields of the action form.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct ActionInput {
    #[serde(default)]
    pub kind: String,
    #[serde(default)]
    pub legal_basis: String,
    #[serde(default)]
    pub decision_no: String,
    #[serde(default)]
    pub decided_on: String,
    /// 责令限期整改: the deadline.
    #[serde(default)]
    pub deadline: String,
    /// 罚款: `ordered` or `not_corrected`.
    #[serde(default)]
    pub fine_stage: String,
    /// 罚款: on the unit, yuan.
    #[serde(default)]
    pub amount_unit: String,
    /// 罚款: responsible persons, one a line `姓名 金额`.
    #[serde(default)]
    pub persons: String,
    /// The decision's content (案情和决定).
    #[serde(default)]
    pub text: String,
}

/// A fined responsible person.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FinedPerson {
    pub name: String,
    pub amount: i64,
}

/// An amount of yuan as typed: `100000`, `100,000`, `10万`.
pub fn parse_amount(raw: &str) -> Option<i64> {
    let t: String = anpei_core::ids::trim_cell(raw)
        .chars()
        .filter(|c| !matches!(c, ',' | '，' | ' '))
        .collect();
    let t = t.trim_end_matches('元');
    if let Some(w) = t.strip_suffix('万') {
        let v: f64 = w.parse().ok()?;
        let n = (v * 10_000.0).round();
        return (n.is_finite() && n.abs() < 1e12).then_some(n as i64);
    }
    t.parse::<i64>().ok()
}

fn parse_persons(raw: &str) -> Result<Vec<FinedPerson>, String> {
    let mut out = Vec::new();
    for (i, line) in raw.lines().enumerate() {
        let line = anpei_core::ids::trim_cell(line);
        if line.is_empty() {
            continue;
        }
        let mut parts = line
            .split(|c: char| c.is_whitespace() || matches!(c, ',' | '，' | '、' | ':' | '：'))
            .filter(|s| !s.is_empty());
        let name = parts.next().unwrap_or_default().to_string();
        let amount = parts.next().and_then(parse_amount);
        match amount {
            Some(a) if parts.next().is_none() && name.chars().count() <= 30 => {
                out.push(FinedPerson { name, amount: a })
            }
            _ => {
                return Err(format!(
                    "直接责任人员第{}行“{line}”：应填写“姓名 金额”，如“张三 20000”",
                    i + 1
                ))
            }
        }
    }
    Ok(out)
}

/// Records an action against a subject in the caller's scope (optionally within one of its
/// inspections). One transaction with its consequences (a problem, the exam qualification, a
/// typical case draft) and its audit entry. Returns the action's id.
#[tracing::instrument(skip_all)]
pub async fn create(
    store: &Store,
    scope: &Scope,
    actor: &Actor,
    by_name: &str,
    subject_id: i32,
    inspection_id: Option<i32>,
    input: &ActionInput,
) -> StoreResult<i32> {
    create_with(
        store,
        scope,
        actor,
        by_name,
        subject_id,
        inspection_id,
        input,
        None,
    )
    .await
}

/// [`create`] with the decision's document (文书), a file already checked and kept whose row
/// is written in the same transaction: the decision and its document are kept together or
/// not at all.
#[allow(clippy::too_many_arguments)]
#[tracing::instrument(skip_all)]
pub async fn create_with(
    store: &Store,
    scope: &Scope,
    actor: &Actor,
    by_name: &str,
    subject_id: i32,
    inspection_id: Option<i32>,
    input: &ActionInput,
    document: Option<&crate::platform::evidence::Attachment>,
) -> StoreResult<i32> {
    let txn = store.write().await?;
    let subject = supervised_subject(&*txn, scope, subject_id).await?;
    let ins = match inspection_id {
        Some(id) => Some(
            inspection::Entity::find_by_id(id)
                .filter(inspection::Column::SubjectId.eq(subject.id))
                .one(&*txn)
                .await?
                .ok_or(StoreError::NotFound)?,
        ),
        None => None,
    };
    let kind_of_subject = subject.kind;
    let mut errs: Vec<(&'static str, String)> = Vec::new();
    let kind = ActionKind::from_code(input.kind.trim());
    match kind {
        None => errs.push(("kind", "处理类型：请选择".into())),
        Some(k) => {
            if let Err(e) = k.check_applies_to(kind_of_subject) {
                errs.push(("kind", e));
            }
        }
    }
    let legal_basis = {
        let t = anpei_core::ids::trim_cell(&input.legal_basis);
        match (t.is_empty(), kind) {
            (true, Some(k)) => k.default_legal_basis().to_string(),
            _ => t.to_string(),
        }
    };
    if legal_basis.is_empty() || legal_basis.chars().count() > 500 {
        errs.push((
            "legal_basis",
            "法律依据：不能为空，且不超过500个字符".into(),
        ));
    }
    let decision_no = anpei_core::ids::trim_cell(&input.decision_no).to_string();
    if decision_no.is_empty() || decision_no.chars().count() > 100 {
        errs.push((
            "decision_no",
            "决定书文号：不能为空，且不超过100个字符".into(),
        ));
    }
    let today = store.today();
    let decided_on = match super::parse_date(&input.decided_on) {
        Some(d) if d > today => {
            errs.push(("decided_on", format!("决定日期：不能晚于今天（{today}）")));
            None
        }
        Some(d) => Some(d),
        None => {
            errs.push(("decided_on", "决定日期：请填写日期，如 2022-05-06".into()));
            None
        }
    };
    let text = input.text.trim().to_string();
    if text.is_empty() || text.chars().count() > 4000 {
        errs.push(("text", "决定内容：不能为空，且不超过4000个字符".into()));
    }
    let mut deadline = None;
    if kind == Some(ActionKind::OrderRectify) {
        match super::parse_date(&input.deadline) {
            Some(d) if decided_on.is_some_and(|x| d < x) || d < today => errs.push((
                "deadline",
                format!("整改期限：不能早于决定日期和今天（{today}）"),
            )),
            Some(d) => deadline = Some(d),
            None => errs.push(("deadline", "整改期限：责令限期整改须填写整改期限".into())),
        }
    }
    let (mut stage, mut amount_unit, mut persons) = (None, None, Vec::new());
    if kind == Some(ActionKind::Fine) {
        stage = FineStage::from_code(input.fine_stage.trim());
        if stage.is_none() {
            errs.push((
                "fine_stage",
                "处罚情形：请选择责令限期改正或逾期未改正".into(),
            ));
        }
        let mut amounts_ok = true;
        let raw = input.amount_unit.trim();
        if !raw.is_empty() {
            amount_unit = parse_amount(raw);
            if amount_unit.is_none() {
                amounts_ok = false;
                errs.push((
                    "amount_unit",
                    format!("对单位罚款：“{raw}”不是金额（单位：元）"),
                ));
            }
        }
        match parse_persons(&input.persons) {
            Ok(v) => persons = v,
            Err(e) => {
                amounts_ok = false;
                errs.push(("persons", e));
            }
        }
        if let (Some(st), true) = (stage, amounts_ok) {
            let amounts: Vec<i64> = persons.iter().map(|p| p.amount).collect();
            if let Err(e) = core::check_fine(&store.params, st, amount_unit, &amounts) {
                errs.push(("amount_unit", e));
            }
        }
    }
    let current = super::exam_qualification(store, subject.id).await?;
    if kind == Some(ActionKind::SuspendExam) && current.status == Qualification::Cancelled {
        errs.push(("kind", "暂停考试资格：该单位的考试资格已被取消".into()));
    }
    if !errs.is_empty() {
        return Err(StoreError::Fields(errs));
    }
    let (kind, decided_on) = (kind.expect("checked"), decided_on.expect("checked"));
    let now = store.now();
    let (department_id, town_id) = unit_of(scope);
    let campaign_id = ins.as_ref().and_then(|i| i.campaign_id);
    let amount_persons = (!persons.is_empty()).then(|| persons.iter().map(|p| p.amount).sum());
    let mut action = enforcement_action::ActiveModel {
        id: NotSet,
        inspection_id: Set(ins.as_ref().map(|i| i.id)),
        subject_id: Set(subject.id),
        kind: Set(kind.code().into()),
        legal_basis: Set(legal_basis),
        decision_no: Set(decision_no),
        decided_on: Set(decided_on),
        deadline: Set(deadline),
        amount_unit: Set(amount_unit),
        amount_persons: Set(amount_persons),
        responsible_persons: Set(
            (!persons.is_empty()).then(|| serde_json::to_string(&persons).unwrap_or_default())
        ),
        text: Set(text.clone()),
        problem_id: Set(None),
        case_id: Set(None),
        department_id: Set(department_id),
        town_id: Set(town_id),
        created_by: Set(actor.user_id),
        created_at: Set(now),
        fine_stage: Set(stage.map(|s| s.code().to_string())),
    }
    .insert(&*txn)
    .await?;
    match kind {
        ActionKind::OrderRectify => {
            let pid = problems::insert_new(
                &*txn,
                &store.crypto,
                now,
                NewProblem {
                    campaign_id,
                    subject_id: subject.id,
                    source: Source::Enforcement,
                    source_ref: Some(format!("enforcement_action:{}", action.id)),
                    item_code: None,
                    description: format!("{}（{}）", text, action.decision_no),
                    measures: "按责令限期整改决定书要求整改到位，整改情况报作出决定的单位核验。"
                        .into(),
                    deadline: deadline.expect("checked"),
                    responsible_name: subject
                        .contact_name
                        .clone()
                        .filter(|n| !n.trim().is_empty())
                        .unwrap_or_else(|| "单位主要负责人".into()),
                    responsible_phone: None,
                    created_by: actor.user_id,
                    by_name: by_name.to_string(),
                },
            )
            .await?;
            let mut am = action.clone().into_active_model();
            am.problem_id = Set(Some(pid));
            action = am.update(&*txn).await?;
        }
        ActionKind::SuspendExam | ActionKind::CancelExam => {
            let q = if kind == ActionKind::SuspendExam {
                Qualification::Suspended
            } else {
                Qualification::Cancelled
            };
            set_qualification(&*txn, now, &subject, q, decided_on, action.id, &text).await?;
        }
        ActionKind::Expose => {
            let case_id = draft_case(&*txn, now, actor, &subject, &action, ins.as_ref()).await?;
            let mut am = action.clone().into_active_model();
            am.case_id = Set(Some(case_id));
            action = am.update(&*txn).await?;
        }
        _ => {}
    }
    audit::append(
        &*txn,
        now,
        actor,
        &Event::ok(
            "enforcement.action.create",
            format!("enforcement_action:{}", action.id),
        )
        .with_detail(format!(
            "subject:{} kind={} unit={} persons={}",
            subject.id,
            kind.code(),
            amount_unit.unwrap_or(0),
            amount_persons.unwrap_or(0)
        )),
    )
    .await?;
    if let Some(a) = document {
        crate::platform::evidence::insert(
            &*txn,
            now,
            actor,
            super::DOCUMENT_OWNER,
            action.id,
            Some(subject.id),
            a,
        )
        .await?;
    }
    txn.commit().await?;
    Ok(action.id)
}

pub(crate) async fn set_qualification<C: ConnectionTrait>(
    db: &C,
    now: i64,
    s: &subject::Model,
    q: Qualification,
    since: NaiveDate,
    action_id: i32,
    reason: &str,
) -> StoreResult<()> {
    let row = exam_qualification::Entity::find()
        .filter(exam_qualification::Column::SubjectId.eq(s.id))
        .one(db)
        .await?;
    match row {
        Some(r) => {
            let mut am = r.into_active_model();
            am.status = Set(q);
            am.since = Set(since);
            am.action_id = Set(Some(action_id));
            am.reason = Set(reason.chars().take(1000).collect());
            am.updated_at = Set(now);
            am.update(db).await?;
        }
        None => {
            exam_qualification::ActiveModel {
                id: NotSet,
                subject_id: Set(s.id),
                status: Set(q),
                since: Set(since),
                action_id: Set(Some(action_id)),
                reason: Set(reason.chars().take(1000).collect()),
                updated_at: Set(now),
            }
            .insert(db)
            .await?;
        }
    }
    // The subject's own status column is what every list and page shows.
    let mut sm = s.clone().into_active_model();
    sm.status = Set(q);
    sm.updated_at = Set(now);
    sm.update(db).await?;
    Ok(())
}

/// The names a published case must not show: the subject's persons, the fined persons and
/// the inspectors.
async fn personal_names<C: ConnectionTrait>(
    db: &C,
    subject_id: i32,
    action: &enforcement_action::Model,
    ins: Option<&inspection::Model>,
) -> StoreResult<Vec<String>> {
    let mut names: Vec<String> = person::Entity::find()
        .filter(person::Column::SubjectId.eq(subject_id))
        .select_only()
        .column(person::Column::Name)
        .into_tuple()
        .all(db)
        .await?;
    // Fined persons of every decision on the subject, and of this one.
    let mut fined: Vec<Option<String>> = enforcement_action::Entity::find()
        .filter(enforcement_action::Column::SubjectId.eq(subject_id))
        .select_only()
        .column(enforcement_action::Column::ResponsiblePersons)
        .into_tuple()
        .all(db)
        .await?;
    fined.push(action.responsible_persons.clone());
    for j in fined.into_iter().flatten() {
        let v: Vec<FinedPerson> = serde_json::from_str(&j).unwrap_or_default();
        names.extend(v.into_iter().map(|p| p.name));
    }
    if let Some(i) = ins {
        let v: Vec<core::Inspector> = serde_json::from_str(&i.inspectors).unwrap_or_default();
        names.extend(v.into_iter().map(|p| p.name));
    }
    Ok(names)
}

/// The text of a case about `action`, with personal data removed.
pub(crate) async fn case_body<C: ConnectionTrait>(
    db: &C,
    s: &subject::Model,
    action: &enforcement_action::Model,
    ins: Option<&inspection::Model>,
) -> StoreResult<String> {
    let names = personal_names(db, s.id, action, ins).await?;
    let refs: Vec<&str> = names.iter().map(String::as_str).collect();
    Ok(core::desensitize(&action.text, &refs))
}

pub(crate) async fn draft_case<C: ConnectionTrait>(
    db: &C,
    now: i64,
    actor: &Actor,
    s: &subject::Model,
    action: &enforcement_action::Model,
    ins: Option<&inspection::Model>,
) -> StoreResult<i32> {
    let body = case_body(db, s, action, ins).await?;
    let m = typical_case::ActiveModel {
        id: NotSet,
        title: Set(format!("{}安全培训违法违规案", s.name)),
        body: Set(body),
        subject_id: Set(Some(s.id)),
        action_id: Set(Some(action.id)),
        published: Set(false),
        published_on: Set(None),
        created_by: Set(actor.user_id),
        created_at: Set(now),
    }
    .insert(db)
    .await?;
    Ok(m.id)
}

// ---- reading ----------------------------------------------------------------------------------

/// Actions whose subject is visible in `scope`.
pub fn actions_in(scope: &Scope) -> sea_orm::Select<enforcement_action::Entity> {
    enforcement_action::Entity::find()
        .join(
            JoinType::InnerJoin,
            enforcement_action::Entity::belongs_to(subject::Entity)
                .from(enforcement_action::Column::SubjectId)
                .to(subject::Column::Id)
                .into(),
        )
        .filter(scope.subject_condition())
}

/// One action as lists show it.
#[derive(Debug, Clone, FromQueryResult)]
pub struct ActionRow {
    pub id: i32,
    pub inspection_id: Option<i32>,
    pub subject_id: i32,
    pub subject_name: String,
    pub town: String,
    pub kind: String,
    pub legal_basis: String,
    pub decision_no: String,
    pub decided_on: NaiveDate,
    pub deadline: Option<NaiveDate>,
    pub amount_unit: Option<i64>,
    pub amount_persons: Option<i64>,
    pub responsible_persons: Option<String>,
    pub fine_stage: Option<String>,
    pub text: String,
    pub problem_id: Option<i32>,
    pub case_id: Option<i32>,
}

impl ActionRow {
    pub fn kind_label(&self) -> &'static str {
        ActionKind::from_code(&self.kind).map_or("其他", ActionKind::label)
    }

    pub fn stage_label(&self) -> &'static str {
        self.fine_stage
            .as_deref()
            .and_then(FineStage::from_code)
            .map_or("", FineStage::label)
    }

    /// `单位10万元；个人合计4万元` for a fine, empty otherwise.
    pub fn amounts(&self) -> String {
        let mut v = Vec::new();
        if let Some(a) = self.amount_unit {
            v.push(format!("单位{}", core::yuan(a)));
        }
        if let Some(a) = self.amount_persons {
            v.push(format!("个人合计{}", core::yuan(a)));
        }
        v.join("；")
    }

    /// The fined persons (names are shown to staff only, never on the public page).
    pub fn fined_persons(&self) -> Vec<FinedPerson> {
        self.responsible_persons
            .as_deref()
            .and_then(|j| serde_json::from_str(j).ok())
            .unwrap_or_default()
    }
}

fn rows(
    q: sea_orm::Select<enforcement_action::Entity>,
) -> sea_orm::Selector<sea_orm::SelectModel<ActionRow>> {
    q.join(JoinType::InnerJoin, subject::Relation::Town.def())
        .select_only()
        .column(enforcement_action::Column::Id)
        .column(enforcement_action::Column::InspectionId)
        .column(enforcement_action::Column::SubjectId)
        .column_as(subject::Column::Name, "subject_name")
        .column_as(town::Column::Name, "town")
        .column(enforcement_action::Column::Kind)
        .column(enforcement_action::Column::LegalBasis)
        .column(enforcement_action::Column::DecisionNo)
        .column(enforcement_action::Column::DecidedOn)
        .column(enforcement_action::Column::Deadline)
        .column(enforcement_action::Column::AmountUnit)
        .column(enforcement_action::Column::AmountPersons)
        .column(enforcement_action::Column::ResponsiblePersons)
        .column(enforcement_action::Column::FineStage)
        .column(enforcement_action::Column::Text)
        .column(enforcement_action::Column::ProblemId)
        .column(enforcement_action::Column::CaseId)
        .order_by_desc(enforcement_action::Column::DecidedOn)
        .order_by_desc(enforcement_action::Column::Id)
        .into_model::<ActionRow>()
}

/// The actions in scope, newest first, optionally of one kind; a page and the total.
pub async fn list(
    store: &Store,
    scope: &Scope,
    kind: Option<ActionKind>,
    page: u64,
    per_page: u64,
) -> StoreResult<(Vec<ActionRow>, u64)> {
    let mut q = actions_in(scope);
    if let Some(k) = kind {
        q = q.filter(enforcement_action::Column::Kind.eq(k.code()));
    }
    let total = q.clone().count(&store.db).await?;
    let v = rows(q.offset((page.max(1) - 1) * per_page).limit(per_page))
        .all(&store.db)
        .await?;
    Ok((v, total))
}

/// The actions of one inspection in scope.
pub async fn list_for_inspection(
    store: &Store,
    scope: &Scope,
    inspection_id: i32,
) -> StoreResult<Vec<ActionRow>> {
    Ok(
        rows(actions_in(scope).filter(enforcement_action::Column::InspectionId.eq(inspection_id)))
            .all(&store.db)
            .await?,
    )
}

/// One action in scope.
pub async fn get(store: &Store, scope: &Scope, id: i32) -> StoreResult<Option<ActionRow>> {
    Ok(
        rows(actions_in(scope).filter(enforcement_action::Column::Id.eq(id)))
            .one(&store.db)
            .await?,
    )
}

/// The actions of a subject in scope (its page).
pub async fn list_for_subject(
    store: &Store,
    scope: &Scope,
    subject_id: i32,
) -> StoreResult<Vec<ActionRow>> {
    Ok(
        rows(actions_in(scope).filter(enforcement_action::Column::SubjectId.eq(subject_id)))
            .all(&store.db)
            .await?,
    )
}

/// Whether an exam qualification row says what the subject's page shows.
pub fn qualification_label(q: &ExamQualification) -> &'static str {
    q.status.label()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_are_read_as_people_type_them() {
        assert_eq!(parse_amount("100000"), Some(100_000));
        assert_eq!(parse_amount("100,000元"), Some(100_000));
        assert_eq!(parse_amount("10万"), Some(100_000));
        assert_eq!(parse_amount("2.5万元"), Some(25_000));
        assert_eq!(parse_amount("十万"), None);
    }

    #[test]
    fn fined_persons_are_read_one_a_line() {
        assert_eq!(
            parse_persons("张三 20000\n\n李四，3万").unwrap(),
            vec![
                FinedPerson {
                    name: "张三".into(),
                    amount: 20_000
                },
                FinedPerson {
                    name: "李四".into(),
                    amount: 30_000
                },
            ]
        );
        assert!(parse_persons("张三").unwrap_err().contains("第1行"));
    }
}
