//! Reference lists: the district's towns and streets, and the member departments with the
//! industries each supervises. A new database gets the built-in defaults (Yubei, from
//! `shared/data/`); an administrator replaces them with `anpei reference import FILE` or
//! the reference page. Names are the natural keys; rows that subjects use are kept.

use crate::entity::{department, department_industry, district, subject, town, user};
use crate::platform::audit::{self, Actor, Event};
use crate::{Reach, Scope, Store, StoreError, StoreResult};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter,
    QueryOrder, QuerySelect, Set,
};

pub const DEFAULT_TOWNS_CSV: &str = include_str!("../../data/towns.csv");
pub const DEFAULT_DEPARTMENTS_CSV: &str = include_str!("../../data/departments.csv");

/// Training institutions, exam sites and exam institutions have no industry of their own;
/// they are supervised by the department that supervises this industry (区应急管理局 in
/// Yubei: notice §三(二) puts them under the emergency bureau).
pub const INSTITUTIONS_SUPERVISED_AS: &str = "危险化学品";

/// A town or street as a reference file lists it.
#[derive(Debug, Clone, PartialEq)]
pub struct TownRow {
    /// The file's line (for messages).
    pub line: usize,
    pub name: String,
    /// 街道 or 镇.
    pub kind: String,
    /// 所属区县 as written (name or code); required once the city has several districts.
    pub district: Option<String>,
    /// 区划代码 (9 digits), where known.
    pub code: Option<String>,
}

/// A member department as a reference file lists it.
#[derive(Debug, Clone, PartialEq)]
pub struct DepartmentRow {
    pub line: usize,
    pub name: String,
    pub industries: Vec<String>,
    /// 所属区县 as written; `市级` (or `全市`) for a department of the city.
    pub district: Option<String>,
    /// 上级部门: the city department above a district's department.
    pub parent: Option<String>,
}

/// A parsed reference list.
#[derive(Debug, Clone, PartialEq)]
pub enum ReferenceList {
    /// (code, name) of districts and counties.
    Districts(Vec<(String, String)>),
    Towns(Vec<TownRow>),
    Departments(Vec<DepartmentRow>),
}

/// What `所属区县` says for a department of the city itself (the first is how the product
/// writes it).
pub const CITY_LEVEL: &[&str] = &["市级", "全市", "市"];

/// Parses a reference CSV (UTF-8, optional BOM). The header decides the list:
/// `代码,名称` for districts and counties; `名称,类型` for towns and streets, with the
/// optional columns `所属区县` (name or code) and `代码`; `名称,监管行业` (industries
/// separated by `;` or `；`) for departments, with the optional columns `所属区县` (`市级`
/// for a department of the city) and `上级部门`.
pub fn parse_reference_csv(text: &str) -> Result<ReferenceList, String> {
    let text = text.trim_start_matches('\u{feff}');
    let mut lines = text
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty());
    let (_, header) = lines.next().ok_or("文件为空")?;
    let cols: Vec<&str> = header.split(',').map(str::trim).collect();
    let at = |name: &str| cols.iter().position(|c| *c == name);
    let known = ["代码", "名称", "类型", "所属区县", "监管行业", "上级部门"];
    if let Some(c) = cols.iter().find(|c| !known.contains(c)) {
        return Err(format!("表头：不认识的列“{c}”"));
    }
    let rows = lines.map(|(i, line)| {
        let f: Vec<String> = line.split(',').map(|x| x.trim().to_string()).collect();
        (i + 1, f)
    });
    let cell = |f: &[String], i: Option<usize>| {
        i.and_then(|i| f.get(i)).filter(|v| !v.is_empty()).cloned()
    };
    let width = |n: usize, f: &[String]| {
        if f.len() != cols.len() {
            Err(format!(
                "第{n}行：应有{}列，实际为{}列",
                cols.len(),
                f.len()
            ))
        } else {
            Ok(())
        }
    };
    let name_at = at("名称").ok_or("表头应有“名称”列")?;
    let name_of = |n: usize, f: &[String]| {
        cell(f, Some(name_at)).ok_or_else(|| format!("第{n}行 名称：不能为空"))
    };
    if let (Some(code_at), None, None) = (at("代码"), at("类型"), at("监管行业")) {
        let mut out = Vec::new();
        for (n, f) in rows {
            width(n, &f)?;
            let name = name_of(n, &f)?;
            let code = cell(&f, Some(code_at)).unwrap_or_default();
            if code.len() != 6 || !code.bytes().all(|b| b.is_ascii_digit()) {
                return Err(format!("第{n}行 代码：应为6位行政区划代码，实际为“{code}”"));
            }
            if !anpei_core::areas::current().contains(&code) {
                return Err(format!(
                    "第{n}行 代码：“{code}”不是GB/T 2260中的行政区划代码"
                ));
            }
            if out.iter().any(|(c, _): &(String, String)| *c == code) {
                return Err(format!("第{n}行 代码：“{code}”重复"));
            }
            out.push((code, name));
        }
        return Ok(ReferenceList::Districts(out));
    }
    if let Some(kind_at) = at("类型") {
        let mut out: Vec<TownRow> = Vec::new();
        for (n, f) in rows {
            width(n, &f)?;
            let name = name_of(n, &f)?;
            let kind = cell(&f, Some(kind_at)).unwrap_or_default();
            if kind != "街道" && kind != "镇" {
                return Err(format!("第{n}行 类型：应为“街道”或“镇”，实际为“{kind}”"));
            }
            let code = cell(&f, at("代码"));
            if let Some(c) = &code {
                if c.len() != 9 || !c.bytes().all(|b| b.is_ascii_digit()) {
                    return Err(format!("第{n}行 代码：应为9位乡级区划代码，实际为“{c}”"));
                }
            }
            let district = cell(&f, at("所属区县"));
            if out.iter().any(|t| t.name == name && t.district == district) {
                return Err(format!("第{n}行 名称：“{name}”在同一区县内重复"));
            }
            out.push(TownRow {
                line: n,
                name,
                kind,
                district,
                code,
            });
        }
        return Ok(ReferenceList::Towns(out));
    }
    if let Some(ind_at) = at("监管行业") {
        let mut out: Vec<DepartmentRow> = Vec::new();
        let mut seen = std::collections::HashMap::new();
        for (n, f) in rows {
            width(n, &f)?;
            let name = name_of(n, &f)?;
            let industries: Vec<String> = cell(&f, Some(ind_at))
                .unwrap_or_default()
                .split([';', '；'])
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(String::from)
                .collect();
            let district = cell(&f, at("所属区县"));
            for ind in &industries {
                let key = (district.clone(), ind.clone());
                if let Some(other) = seen.insert(key, name.clone()) {
                    return Err(format!(
                        "第{n}行 监管行业：“{ind}”已由“{other}”监管，一个行业只能有一个主管部门"
                    ));
                }
            }
            out.push(DepartmentRow {
                line: n,
                name,
                industries,
                district,
                parent: cell(&f, at("上级部门")),
            });
        }
        return Ok(ReferenceList::Departments(out));
    }
    Err(
        "表头应为“代码,名称”（区县）、“名称,类型[,所属区县][,代码]”（镇街）\
         或“名称,监管行业[,所属区县][,上级部门]”（部门）"
            .into(),
    )
}

pub async fn seed_defaults_if_empty(store: &Store) -> StoreResult<()> {
    if town::Entity::find().count(&store.db).await? > 0 {
        return Ok(());
    }
    let actor = Actor::system("system");
    for csv in [DEFAULT_TOWNS_CSV, DEFAULT_DEPARTMENTS_CSV] {
        let list = parse_reference_csv(csv).map_err(StoreError::Validation)?;
        apply(store, &actor, &list).await?;
    }
    Ok(())
}

/// Replaces one reference list in one transaction. Districts are inserted or renamed
/// (never removed). Towns and departments are replaced district by district: for every
/// district the file names, its rows are inserted or updated and its rows missing from the
/// file are deleted unless subjects or accounts still use them.
pub async fn apply(
    store: &Store,
    actor: &Actor,
    list: &ReferenceList,
) -> StoreResult<(usize, usize)> {
    let txn = store.write().await?;
    let now = store.now();
    let (kept, what, n) = match list {
        ReferenceList::Districts(rows) => {
            (apply_districts(&*txn, rows).await?, "districts", rows.len())
        }
        ReferenceList::Towns(rows) => (apply_towns(&*txn, rows).await?, "towns", rows.len()),
        ReferenceList::Departments(rows) => (
            apply_departments(&*txn, rows).await?,
            "departments",
            rows.len(),
        ),
    };
    let ev = Event::ok("reference.import", format!("reference:{what}"))
        .with_detail(format!("rows={n} kept_in_use={kept}"));
    audit::append(&*txn, now, actor, &ev).await?;
    txn.commit().await?;
    Ok((n, kept))
}

async fn apply_districts<C: ConnectionTrait>(
    db: &C,
    rows: &[(String, String)],
) -> StoreResult<usize> {
    let existing = district::Entity::find().all(db).await?;
    // The district an older installation migrated into (no code yet) becomes the first
    // district of the file that is not already there.
    let mut unnamed = existing.iter().find(|d| d.code.is_empty()).cloned();
    for (i, (code, name)) in rows.iter().enumerate() {
        let found = existing.iter().find(|d| &d.code == code).cloned();
        let target = match found {
            Some(d) => Some(d),
            None => unnamed.take(),
        };
        match target {
            Some(d) => {
                let mut am: district::ActiveModel = d.into();
                am.code = Set(code.clone());
                am.name = Set(name.clone());
                am.sort = Set(i as i32);
                am.update(db).await?;
            }
            None => {
                district::ActiveModel {
                    code: Set(code.clone()),
                    name: Set(name.clone()),
                    sort: Set(i as i32),
                    ..Default::default()
                }
                .insert(db)
                .await?;
            }
        }
    }
    Ok(0)
}

/// The district a row names (by name or code), or the only one when it names none.
fn resolve_district(
    all: &[district::Model],
    line: usize,
    written: Option<&str>,
) -> StoreResult<i32> {
    match written {
        Some(w) => all
            .iter()
            .find(|d| d.name == w || d.code == w)
            .map(|d| d.id)
            .ok_or_else(|| {
                StoreError::Validation(format!("第{line}行 所属区县：没有名称或代码为“{w}”的区县"))
            }),
        None => match all {
            [only] => Ok(only.id),
            _ => Err(StoreError::Validation(format!(
                "第{line}行 所属区县：本系统有{}个区县，请填写所属区县（名称或代码）",
                all.len()
            ))),
        },
    }
}

async fn apply_towns<C: ConnectionTrait>(db: &C, rows: &[TownRow]) -> StoreResult<usize> {
    let districts = district::Entity::find().all(db).await?;
    let existing = town::Entity::find().all(db).await?;
    let mut touched = std::collections::BTreeSet::new();
    for (i, r) in rows.iter().enumerate() {
        let d = resolve_district(&districts, r.line, r.district.as_deref())?;
        touched.insert(d);
        match existing
            .iter()
            .find(|t| t.district_id == d && t.name == r.name)
        {
            Some(t) => {
                let mut am: town::ActiveModel = t.clone().into();
                am.kind = Set(r.kind.clone());
                am.sort = Set(i as i32);
                if r.code.is_some() {
                    am.code = Set(r.code.clone());
                }
                am.update(db).await?;
            }
            None => {
                town::ActiveModel {
                    district_id: Set(d),
                    code: Set(r.code.clone()),
                    name: Set(r.name.clone()),
                    kind: Set(r.kind.clone()),
                    sort: Set(i as i32),
                    ..Default::default()
                }
                .insert(db)
                .await?;
            }
        }
    }
    let mut kept = 0;
    for t in existing.iter().filter(|t| touched.contains(&t.district_id)) {
        let listed = rows.iter().any(|r| {
            r.name == t.name
                && resolve_district(&districts, r.line, r.district.as_deref()).ok()
                    == Some(t.district_id)
        });
        if listed {
            continue;
        }
        // A town that subjects or accounts still reference stays.
        let used = subject::Entity::find()
            .filter(subject::Column::TownId.eq(t.id))
            .count(db)
            .await?
            + user::Entity::find()
                .filter(user::Column::ScopeTownId.eq(t.id))
                .count(db)
                .await?;
        if used > 0 {
            kept += 1;
        } else {
            town::Entity::delete_by_id(t.id).exec(db).await?;
        }
    }
    Ok(kept)
}

/// `None` for a department of the city.
fn department_district(all: &[district::Model], r: &DepartmentRow) -> StoreResult<Option<i32>> {
    match r.district.as_deref() {
        Some(w) if CITY_LEVEL.contains(&w) => Ok(None),
        w => resolve_district(all, r.line, w).map(Some),
    }
}

async fn apply_departments<C: ConnectionTrait>(
    db: &C,
    rows: &[DepartmentRow],
) -> StoreResult<usize> {
    let districts = district::Entity::find().all(db).await?;
    let mut placed = Vec::with_capacity(rows.len());
    for r in rows {
        placed.push((r, department_district(&districts, r)?));
    }
    // The city's departments first, so that a district's department can name its parent.
    placed.sort_by_key(|(_, d)| d.is_some());
    let existing = department::Entity::find().all(db).await?;
    let touched: std::collections::BTreeSet<Option<i32>> = placed.iter().map(|(_, d)| *d).collect();
    let mut ids: Vec<(Option<i32>, String, i32)> = Vec::new();
    for (i, (r, d)) in placed.iter().enumerate() {
        let parent = match &r.parent {
            None => None,
            Some(p) => Some(
                ids.iter()
                    .find(|(pd, n, _)| pd.is_none() && n == p)
                    .map(|(_, _, id)| *id)
                    .or_else(|| {
                        existing
                            .iter()
                            .find(|x| x.district_id.is_none() && &x.name == p)
                            .map(|x| x.id)
                    })
                    .ok_or_else(|| {
                        StoreError::Validation(format!(
                            "第{}行 上级部门：没有名为“{p}”的市级部门",
                            r.line
                        ))
                    })?,
            ),
        };
        let id = match existing
            .iter()
            .find(|x| x.district_id == *d && x.name == r.name)
        {
            Some(x) => {
                let mut am: department::ActiveModel = x.clone().into();
                am.sort = Set(i as i32);
                am.parent_id = Set(parent);
                am.update(db).await?;
                x.id
            }
            None => {
                department::ActiveModel {
                    district_id: Set(*d),
                    parent_id: Set(parent),
                    name: Set(r.name.clone()),
                    sort: Set(i as i32),
                    ..Default::default()
                }
                .insert(db)
                .await?
                .id
            }
        };
        department_industry::Entity::delete_many()
            .filter(department_industry::Column::DepartmentId.eq(id))
            .exec(db)
            .await?;
        for (k, ind) in r.industries.iter().enumerate() {
            department_industry::ActiveModel {
                department_id: Set(id),
                industry: Set(ind.clone()),
                sort: Set((i * 100 + k) as i32),
                ..Default::default()
            }
            .insert(db)
            .await?;
        }
        ids.push((*d, r.name.clone(), id));
    }
    let mut kept = 0;
    for x in existing.iter().filter(|x| touched.contains(&x.district_id)) {
        if ids.iter().any(|(_, _, id)| *id == x.id) {
            continue;
        }
        department_industry::Entity::delete_many()
            .filter(department_industry::Column::DepartmentId.eq(x.id))
            .exec(db)
            .await?;
        let used = subject::Entity::find()
            .filter(subject::Column::DepartmentId.eq(x.id))
            .count(db)
            .await?
            + user::Entity::find()
                .filter(user::Column::ScopeDepartmentId.eq(x.id))
                .count(db)
                .await?
            + department::Entity::find()
                .filter(department::Column::ParentId.eq(x.id))
                .count(db)
                .await?;
        if used > 0 {
            kept += 1;
        } else {
            department::Entity::delete_by_id(x.id).exec(db).await?;
        }
    }
    Ok(kept)
}

/// Which district a scope lies in: `Ok(None)` for the whole city (the city, a city
/// department), `Err(())` for a scope without business data.
pub(crate) async fn district_of_scope<C: ConnectionTrait>(
    db: &C,
    scope: &Scope,
) -> StoreResult<Result<Option<i32>, ()>> {
    let town_district = |t: Option<town::Model>| t.map(|t| t.district_id).ok_or(());
    Ok(match scope.reach() {
        Reach::All | Reach::CityDepartment(_) => Ok(None),
        Reach::District(d) => Ok(Some(d)),
        Reach::Department(d) => department::Entity::find_by_id(d)
            .one(db)
            .await?
            .and_then(|x| x.district_id)
            .map(Some)
            .ok_or(()),
        Reach::Town(t) => town_district(town::Entity::find_by_id(t).one(db).await?).map(Some),
        Reach::Subject(s) => match subject::Entity::find_by_id(s).one(db).await? {
            Some(x) => town_district(town::Entity::find_by_id(x.town_id).one(db).await?).map(Some),
            None => Err(()),
        },
        Reach::Nothing => Err(()),
    })
}

/// The districts of the city in their list order (a district's accounts see their own).
pub async fn districts(store: &Store, scope: &Scope) -> StoreResult<Vec<district::Model>> {
    let q = district::Entity::find().order_by_asc(district::Column::Sort);
    Ok(
        match in_district_of(store, scope, q, district::Column::Id).await? {
            Some(q) => q.all(&store.db).await?,
            None => Vec::new(),
        },
    )
}

/// Whether the installation serves several districts (a city).
pub async fn is_city(store: &Store) -> StoreResult<bool> {
    Ok(only_district(&store.db).await?.is_none())
}

/// The id of the installation's only district; `None` once it serves several (a city).
pub(crate) async fn only_district<C: ConnectionTrait>(db: &C) -> StoreResult<Option<i32>> {
    let ids: Vec<i32> = district::Entity::find()
        .select_only()
        .column(district::Column::Id)
        .limit(2)
        .into_tuple()
        .all(db)
        .await?;
    Ok(match ids.as_slice() {
        [only] => Some(*only),
        _ => None,
    })
}

/// What `scope` acts for as a whole — sets campaigns for, re-scans at once: `Some(None)` the
/// whole installation (the city, or the district of a one-district installation),
/// `Some(Some(d))` its own district (a district's office of a city), `None` nothing as a whole
/// (a town, a department, a subject).
pub async fn acts_for(store: &Store, scope: &Scope) -> StoreResult<Option<Option<i32>>> {
    if scope.is_all() {
        return Ok(Some(None));
    }
    let Reach::District(d) = scope.reach() else {
        return Ok(None);
    };
    let single = only_district(&store.db).await?.is_some();
    Ok(Some((!single).then_some(d)))
}

/// Every district, for the operator's console and the loaders (no account's view).
pub async fn all_districts(store: &Store) -> StoreResult<Vec<district::Model>> {
    districts(store, &Scope::district_wide()).await
}

/// `q` narrowed to the scope's district by `column` (untouched for the whole city), or
/// `None` for a scope without business data.
async fn in_district_of<E: EntityTrait>(
    store: &Store,
    scope: &Scope,
    q: sea_orm::Select<E>,
    column: E::Column,
) -> StoreResult<Option<sea_orm::Select<E>>> {
    Ok(match district_of_scope(&store.db, scope).await? {
        Ok(None) => Some(q),
        Ok(Some(d)) => Some(q.filter(column.eq(d))),
        Err(()) => None,
    })
}

/// The towns and streets the scope's district has (every district's for the city), in
/// their list order.
pub async fn towns(store: &Store, scope: &Scope) -> StoreResult<Vec<town::Model>> {
    let q = town::Entity::find()
        .order_by_asc(town::Column::DistrictId)
        .order_by_asc(town::Column::Sort);
    Ok(
        match in_district_of(store, scope, q, town::Column::DistrictId).await? {
            Some(q) => q.all(&store.db).await?,
            None => Vec::new(),
        },
    )
}

/// The scope's district's departments (every department, city and district, for the
/// city), in their list order, each with its industries.
pub async fn departments(
    store: &Store,
    scope: &Scope,
) -> StoreResult<Vec<(department::Model, Vec<String>)>> {
    let q = department::Entity::find()
        .order_by_asc(department::Column::DistrictId)
        .order_by_asc(department::Column::Sort);
    let deps = match in_district_of(store, scope, q, department::Column::DistrictId).await? {
        Some(q) => q.all(&store.db).await?,
        None => Vec::new(),
    };
    let inds = department_industry::Entity::find()
        .order_by_asc(department_industry::Column::Sort)
        .all(&store.db)
        .await?;
    Ok(deps
        .into_iter()
        .map(|d| {
            let mine = inds
                .iter()
                .filter(|i| i.department_id == d.id)
                .map(|i| i.industry.clone())
                .collect();
            (d, mine)
        })
        .collect())
}

/// The department of `district` that supervises an industry.
pub async fn department_of_industry<C: ConnectionTrait>(
    db: &C,
    district: i32,
    industry: &str,
) -> StoreResult<Option<i32>> {
    Ok(department_industry::Entity::find()
        .inner_join(department::Entity)
        .filter(department_industry::Column::Industry.eq(industry))
        .filter(department::Column::DistrictId.eq(district))
        .one(db)
        .await?
        .map(|i| i.department_id))
}

/// The ids of district `d`'s subjects (those of its towns), for the installation-wide jobs
/// that narrow to one district.
pub(crate) async fn subject_ids_in_district(store: &Store, d: i32) -> StoreResult<Vec<i32>> {
    Ok(crate::scope::subjects(&Scope::of_district(d))
        .select_only()
        .column(subject::Column::Id)
        .into_tuple()
        .all(&store.db)
        .await?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_built_in_lists_parse() {
        let ReferenceList::Towns(t) = parse_reference_csv(DEFAULT_TOWNS_CSV).unwrap() else {
            panic!()
        };
        assert_eq!(t.len(), 30);
        assert_eq!(t.iter().filter(|r| r.kind == "镇").count(), 11);
        let ReferenceList::Departments(d) = parse_reference_csv(DEFAULT_DEPARTMENTS_CSV).unwrap()
        else {
            panic!()
        };
        assert!(d
            .iter()
            .any(|r| r.name == "区应急管理局" && r.industries.contains(&"危险化学品".to_string())));
    }

    #[test]
    fn a_bad_row_is_named_by_its_line() {
        let err = parse_reference_csv("名称,类型\n双龙湖街道,街道\n某某,村\n").unwrap_err();
        assert_eq!(err, "第3行 类型：应为“街道”或“镇”，实际为“村”");
    }

    #[test]
    fn districts_towns_with_their_district_and_city_departments_parse() {
        let ReferenceList::Districts(d) =
            parse_reference_csv("代码,名称\n500112,渝北区\n500105,江北区\n").unwrap()
        else {
            panic!()
        };
        assert_eq!(d[1], ("500105".into(), "江北区".into()));
        assert_eq!(
            parse_reference_csv("代码,名称\n50011,渝北区\n").unwrap_err(),
            "第2行 代码：应为6位行政区划代码，实际为“50011”"
        );
        let ReferenceList::Towns(t) =
            parse_reference_csv("名称,类型,所属区县\n城关镇,镇,城口县\n城关镇,镇,500112\n")
                .unwrap()
        else {
            panic!()
        };
        assert_eq!(t[1].district.as_deref(), Some("500112"));
        assert_eq!(
            parse_reference_csv("名称,类型,所属区县\n城关镇,镇,城口县\n城关镇,镇,城口县\n")
                .unwrap_err(),
            "第3行 名称：“城关镇”在同一区县内重复"
        );
        let ReferenceList::Departments(p) = parse_reference_csv(
            "名称,监管行业,所属区县,上级部门\n市应急管理局,危险化学品,市级,\n区应急管理局,危险化学品,渝北区,市应急管理局\n",
        )
        .unwrap() else {
            panic!()
        };
        assert_eq!(p[1].parent.as_deref(), Some("市应急管理局"));
    }

    #[test]
    fn an_industry_under_two_departments_is_refused() {
        let err = parse_reference_csv("名称,监管行业\n甲,燃气\n乙,燃气;电力\n").unwrap_err();
        assert!(
            err.starts_with("第3行 监管行业：“燃气”已由“甲”监管"),
            "{err}"
        );
    }
}
