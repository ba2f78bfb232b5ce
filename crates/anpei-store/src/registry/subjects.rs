//! Supervised subjects: the scoped list with filters and pagination, a subject's page, and
//! creating or editing one with field-level Chinese validation messages.

use crate::entity::{department, subject, town};
use crate::platform::audit::{self, Actor, Event};
use crate::scope::{self, Scope};
use crate::Reach;
use crate::{registry::reference, Store, StoreError, StoreResult};
use anpei_core::{SubjectKind, Uscc};
use sea_orm::sea_query::Condition;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, EntityTrait, FromQueryResult, IntoActiveModel, JoinType,
    PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, RelationTrait, Set,
};
use serde::Serialize;

/// Filters of the subjects list; all optional.
#[derive(Debug, Clone, Default)]
pub struct SubjectFilter {
    pub kind: Option<SubjectKind>,
    pub town_id: Option<i32>,
    pub industry: Option<String>,
    pub high_risk: Option<bool>,
    pub q: Option<String>,
}

/// One row of the list (and the API's item).
#[derive(Debug, Clone, FromQueryResult, Serialize, PartialEq)]
pub struct SubjectRow {
    pub id: i32,
    pub uscc: String,
    pub name: String,
    pub kind: String,
    pub industry: Option<String>,
    pub town: String,
    pub department: String,
    /// The exam qualification (normal for subjects that hold no exams).
    pub status: crate::enforcement::Qualification,
    pub address: Option<String>,
    pub contact_name: Option<String>,
    pub contact_phone_masked: Option<String>,
    pub town_id: i32,
    pub department_id: i32,
}

impl SubjectRow {
    pub fn kind(&self) -> Option<SubjectKind> {
        SubjectKind::from_code(&self.kind)
    }

    pub fn kind_label(&self) -> &'static str {
        self.kind().map_or("未知", SubjectKind::label)
    }
}

fn filter_condition(store: &Store, f: &SubjectFilter) -> Condition {
    let mut c = Condition::all();
    if let Some(k) = f.kind {
        c = c.add(subject::Column::Kind.eq(k.code()));
    }
    if let Some(t) = f.town_id {
        c = c.add(subject::Column::TownId.eq(t));
    }
    if let Some(i) = f.industry.as_deref().filter(|s| !s.is_empty()) {
        c = c.add(subject::Column::Industry.eq(i));
    }
    let high = store.params.high_risk_industries.clone();
    match f.high_risk {
        Some(true) => c = c.add(subject::Column::Industry.is_in(high)),
        Some(false) => {
            c = c.add(
                Condition::any()
                    .add(subject::Column::Industry.is_null())
                    .add(subject::Column::Industry.is_not_in(high)),
            )
        }
        None => {}
    }
    if let Some(q) = f.q.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        let q: String = q
            .chars()
            .filter(|c| !matches!(c, '%' | '_' | '\\'))
            .collect();
        c = c.add(
            Condition::any()
                .add(subject::Column::Name.contains(&q))
                .add(subject::Column::Uscc.starts_with(q.to_ascii_uppercase())),
        );
    }
    c
}

fn rows(scope: &Scope) -> sea_orm::Select<subject::Entity> {
    scope::subjects_by_name(scope)
        .select_only()
        .columns([
            subject::Column::Id,
            subject::Column::Uscc,
            subject::Column::Name,
            subject::Column::Kind,
            subject::Column::Industry,
            subject::Column::Status,
            subject::Column::Address,
            subject::Column::ContactName,
            subject::Column::ContactPhoneMasked,
            subject::Column::TownId,
            subject::Column::DepartmentId,
        ])
        .column_as(town::Column::Name, "town")
        .column_as(department::Column::Name, "department")
        .join(JoinType::InnerJoin, subject::Relation::Town.def())
        .join(JoinType::InnerJoin, subject::Relation::Department.def())
}

/// A page of the subjects visible in `scope` (page numbers start at 1) and the total.
#[tracing::instrument(skip_all)]
pub async fn list(
    store: &Store,
    scope: &Scope,
    f: &SubjectFilter,
    page: u64,
    per_page: u64,
) -> StoreResult<(Vec<SubjectRow>, u64)> {
    let cond = filter_condition(store, f);
    // A client paging through asks for the same total each time; a script polling the API
    // asks for the same page.
    let db = store.reads().await;
    let count = scope::subjects(scope).filter(cond.clone()).count(db);
    let key = format!("subjects-total:{:?}:{f:?}", scope.reach());
    let total = store.remembered(key, count).await?;
    let items = rows(scope)
        .filter(cond)
        .order_by_asc(subject::Column::Name)
        .order_by_asc(subject::Column::Id)
        .offset((page.max(1) - 1) * per_page)
        .limit(per_page)
        .into_model::<SubjectRow>()
        .all(db);
    let key = format!("subjects-page:{:?}:{f:?}:{page}:{per_page}", scope.reach());
    let items = store.remembered(key, items).await?;
    Ok((items, total))
}

/// One subject, if it is visible in `scope` (otherwise `None`: a foreign id answers 404).
/// A subject visible in `scope` by its 统一社会信用代码.
pub async fn find_by_uscc(
    store: &Store,
    scope: &Scope,
    uscc: &str,
) -> StoreResult<Option<subject::Model>> {
    Ok(scope::subjects(scope)
        .filter(subject::Column::Uscc.eq(uscc))
        .one(&store.db)
        .await?)
}

pub async fn get(store: &Store, scope: &Scope, id: i32) -> StoreResult<Option<SubjectRow>> {
    Ok(rows(scope)
        .filter(subject::Column::Id.eq(id))
        .into_model::<SubjectRow>()
        .one(&store.db)
        .await?)
}

/// The raw fields of the create/edit form.
#[derive(Debug, Clone, Default, serde::Deserialize)]
pub struct SubjectInput {
    #[serde(default)]
    pub uscc: String,
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub kind: String,
    #[serde(default)]
    pub industry: String,
    #[serde(default)]
    pub town_id: String,
    #[serde(default)]
    pub address: String,
    #[serde(default)]
    pub contact_name: String,
    #[serde(default)]
    pub contact_phone: String,
}

struct Valid {
    uscc: Uscc,
    name: String,
    kind: SubjectKind,
    industry: Option<String>,
    department_id: i32,
    town_id: i32,
    district_id: i32,
    address: Option<String>,
    contact_name: Option<String>,
    contact_phone: Option<String>,
}

fn opt(s: &str) -> Option<String> {
    let t = anpei_core::ids::trim_cell(s);
    (!t.is_empty()).then(|| t.to_string())
}

async fn validate<C: sea_orm::ConnectionTrait>(db: &C, input: &SubjectInput) -> StoreResult<Valid> {
    let mut errs: Vec<(&'static str, String)> = Vec::new();
    let uscc = Uscc::parse(&input.uscc)
        .map_err(|e| errs.push(("uscc", format!("统一社会信用代码：{e}"))))
        .ok();
    let name = anpei_core::ids::trim_cell(&input.name).to_string();
    if name.is_empty() || name.chars().count() > 100 {
        errs.push(("name", "单位名称：不能为空，且不超过100个字符".into()));
    }
    let kind = SubjectKind::from_code(&input.kind).or_else(|| SubjectKind::from_label(&input.kind));
    if kind.is_none() {
        errs.push((
            "kind",
            "单位类型：请选择生产经营单位、安全培训机构、考试点或考试机构".into(),
        ));
    }
    let industry =
        opt(&input.industry).map(|i| anpei_core::kinds::canonical_industry(&i).to_string());
    // The town decides the district, and the district which department an industry has.
    let town_id = input.town_id.trim().parse::<i32>().ok();
    let town = match town_id {
        Some(t) => town::Entity::find_by_id(t).one(db).await?,
        None => None,
    };
    // Without a town, the industry is still checked (against the first district's list).
    let district = match &town {
        Some(t) => t.district_id,
        None => crate::entity::district::Entity::find()
            .one(db)
            .await?
            .map_or(0, |d| d.id),
    };
    let mut department_id = None;
    match (&industry, kind) {
        (Some(ind), _) => match reference::department_of_industry(db, district, ind).await? {
            Some(d) => department_id = Some(d),
            None => errs.push(("industry", format!("行业：“{ind}”不是任何部门监管的行业"))),
        },
        (None, Some(SubjectKind::Enterprise)) => {
            errs.push(("industry", "行业：生产经营单位必须选择行业".into()))
        }
        // Institutions are supervised by the department of the high-risk trades (应急局).
        (None, _) => {
            department_id = reference::department_of_industry(
                db,
                district,
                reference::INSTITUTIONS_SUPERVISED_AS,
            )
            .await?
        }
    }
    if industry.is_none()
        && kind.is_some()
        && kind != Some(SubjectKind::Enterprise)
        && department_id.is_none()
    {
        errs.push(("industry", "行业：请选择行业，以确定行业主管部门".into()));
    }
    if town.is_none() {
        errs.push(("town_id", "所属镇街：请选择本区的镇或街道".into()));
    }
    let contact_phone = opt(&input.contact_phone);
    if let Some(p) = &contact_phone {
        if let Err(e) = anpei_core::ids::parse_phone(p) {
            errs.push(("contact_phone", format!("联系电话：{e}")));
        }
    }
    if !errs.is_empty() {
        return Err(StoreError::Fields(errs));
    }
    Ok(Valid {
        uscc: uscc.expect("checked"),
        name,
        kind: kind.expect("checked"),
        industry,
        department_id: department_id.expect("checked"),
        town_id: town_id.expect("checked"),
        district_id: district,
        address: opt(&input.address),
        contact_name: opt(&input.contact_name),
        contact_phone: contact_phone.and_then(|p| anpei_core::ids::parse_phone(&p).ok()),
    })
}

async fn in_scope<C: sea_orm::ConnectionTrait>(
    db: &C,
    scope: &Scope,
    v: &Valid,
) -> StoreResult<bool> {
    Ok(match scope.reach() {
        Reach::All => true,
        Reach::District(d) => v.district_id == d,
        Reach::CityDepartment(d) => {
            v.department_id == d
                || crate::entity::department::Entity::find_by_id(v.department_id)
                    .one(db)
                    .await?
                    .is_some_and(|x| x.parent_id == Some(d))
        }
        Reach::Department(d) => v.department_id == d,
        Reach::Town(t) => v.town_id == t,
        Reach::Subject(_) | Reach::Nothing => false,
    })
}

/// Creates a subject inside the actor's scope.
pub async fn create(
    store: &Store,
    scope: &Scope,
    actor: &Actor,
    input: &SubjectInput,
) -> StoreResult<i32> {
    let txn = store.write().await?;
    let v = validate(&*txn, input).await?;
    if !in_scope(&store.db, scope, &v).await? {
        return Err(StoreError::Fields(vec![(
            "town_id",
            "只能在本辖区（本部门监管行业或本镇街）内新增单位".into(),
        )]));
    }
    let now = store.now();
    let uscc = v.uscc.to_string();
    let am = subject::ActiveModel {
        uscc: Set(uscc.clone()),
        status: Set(crate::enforcement::Qualification::Normal),
        created_at: Set(now),
        ..Default::default()
    };
    let m = fill(store, am, v, now)
        .insert(&*txn)
        .await
        .map_err(|e| StoreError::from(e).on_unique(&format!("统一社会信用代码“{uscc}”已登记")))
        .map_err(|e| match e {
            StoreError::Conflict(m) => StoreError::Fields(vec![("uscc", m)]),
            e => e,
        })?;
    audit::append(
        &*txn,
        now,
        actor,
        &Event::ok("subject.create", format!("subject:{}", m.id)).with_detail(uscc),
    )
    .await?;
    txn.commit().await?;
    Ok(m.id)
}

/// Edits a subject visible in `scope`; it must stay inside the scope.
pub async fn update(
    store: &Store,
    scope: &Scope,
    actor: &Actor,
    id: i32,
    input: &SubjectInput,
) -> StoreResult<()> {
    let txn = store.write().await?;
    let existing = scope::subjects(scope)
        .filter(subject::Column::Id.eq(id))
        .one(&*txn)
        .await?
        .ok_or(StoreError::NotFound)?;
    let v = validate(&*txn, input).await?;
    if !in_scope(&store.db, scope, &v).await? {
        return Err(StoreError::Fields(vec![(
            "town_id",
            "修改后的单位必须仍在本辖区内".into(),
        )]));
    }
    if v.uscc.as_str() != existing.uscc {
        return Err(StoreError::Fields(vec![(
            "uscc",
            "统一社会信用代码登记后不能修改".into(),
        )]));
    }
    let now = store.now();
    // The stored phone is never shown unmasked, so an empty field means "keep it".
    let keep_phone = v.contact_phone.is_none();
    let (old_enc, old_masked) = (
        existing.contact_phone_enc.clone(),
        existing.contact_phone_masked.clone(),
    );
    let mut am = fill(store, existing.into_active_model(), v, now);
    if keep_phone {
        am.contact_phone_enc = Set(old_enc);
        am.contact_phone_masked = Set(old_masked);
    }
    am.update(&*txn).await?;
    audit::append(
        &*txn,
        now,
        actor,
        &Event::ok("subject.update", format!("subject:{id}")),
    )
    .await?;
    txn.commit().await
}

fn fill(store: &Store, mut am: subject::ActiveModel, v: Valid, now: i64) -> subject::ActiveModel {
    am.name = Set(v.name);
    am.kind = Set(v.kind);
    am.industry = Set(v.industry);
    am.department_id = Set(v.department_id);
    am.town_id = Set(v.town_id);
    am.address = Set(v.address);
    am.contact_name = Set(v.contact_name);
    am.contact_phone_enc = Set(v.contact_phone.as_deref().map(|p| store.crypto.encrypt(p)));
    am.contact_phone_masked = Set(v.contact_phone.as_deref().map(anpei_core::mask::mask_phone));
    am.updated_at = Set(now);
    am
}

/// The industries known to the scope's district (for filters and forms), in list order,
/// each once.
pub async fn industries(store: &Store, scope: &Scope) -> StoreResult<Vec<String>> {
    let mut seen = std::collections::HashSet::new();
    Ok(reference::departments(store, scope)
        .await?
        .into_iter()
        .flat_map(|(_, i)| i)
        .filter(|i| seen.insert(i.clone()))
        .collect())
}
