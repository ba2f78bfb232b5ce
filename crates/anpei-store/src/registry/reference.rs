//! Reference lists: the district's towns and streets, and the member departments with the
//! industries each supervises. A new database gets the built-in defaults (Yubei, from
//! `shared/data/`); an administrator replaces them with `anpei reference import FILE` or
//! the reference page. Names are the natural keys; rows that subjects use are kept.

use crate::entity::{department, department_industry, subject, town, user};
use crate::platform::audit::{self, Actor, Event};
use crate::{Store, StoreError, StoreResult};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter,
    QueryOrder, Set,
};

pub const DEFAULT_TOWNS_CSV: &str = include_str!("../../data/towns.csv");
pub const DEFAULT_DEPARTMENTS_CSV: &str = include_str!("../../data/departments.csv");

/// Training institutions, exam sites and exam institutions have no industry of their own;
/// they are supervised by the department that supervises this industry (区应急管理局 in
/// Yubei: notice §三(二) puts them under the emergency bureau).
pub const INSTITUTIONS_SUPERVISED_AS: &str = "危险化学品";

/// A parsed reference list.
#[derive(Debug, Clone, PartialEq)]
pub enum ReferenceList {
    /// (name, 街道|镇)
    Towns(Vec<(String, String)>),
    /// (department, industries)
    Departments(Vec<(String, Vec<String>)>),
}

/// Parses a reference CSV (UTF-8, optional BOM). The header decides the list:
/// `名称,类型` for towns and streets, `名称,监管行业` (industries separated by `;` or `；`)
/// for departments.
pub fn parse_reference_csv(text: &str) -> Result<ReferenceList, String> {
    let text = text.trim_start_matches('\u{feff}');
    let mut lines = text
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty());
    let (_, header) = lines.next().ok_or("文件为空")?;
    let cols: Vec<&str> = header.split(',').map(str::trim).collect();
    match cols.as_slice() {
        ["名称", "类型"] => {
            let mut out = Vec::new();
            for (i, line) in lines {
                let f: Vec<&str> = line.split(',').map(str::trim).collect();
                let [name, kind] = f.as_slice() else {
                    return Err(format!("第{}行：应有2列", i + 1));
                };
                if name.is_empty() {
                    return Err(format!("第{}行 名称：不能为空", i + 1));
                }
                if *kind != "街道" && *kind != "镇" {
                    return Err(format!(
                        "第{}行 类型：应为“街道”或“镇”，实际为“{kind}”",
                        i + 1
                    ));
                }
                out.push((name.to_string(), kind.to_string()));
            }
            Ok(ReferenceList::Towns(out))
        }
        ["名称", "监管行业"] => {
            let mut out: Vec<(String, Vec<String>)> = Vec::new();
            let mut seen = std::collections::HashMap::new();
            for (i, line) in lines {
                let f: Vec<&str> = line.split(',').map(str::trim).collect();
                let [name, inds] = f.as_slice() else {
                    return Err(format!("第{}行：应有2列", i + 1));
                };
                if name.is_empty() {
                    return Err(format!("第{}行 名称：不能为空", i + 1));
                }
                let industries: Vec<String> = inds
                    .split([';', '；'])
                    .map(str::trim)
                    .filter(|s| !s.is_empty())
                    .map(String::from)
                    .collect();
                for ind in &industries {
                    if let Some(other) = seen.insert(ind.clone(), name.to_string()) {
                        return Err(format!(
                            "第{}行 监管行业：“{ind}”已由“{other}”监管，一个行业只能有一个主管部门",
                            i + 1
                        ));
                    }
                }
                out.push((name.to_string(), industries));
            }
            Ok(ReferenceList::Departments(out))
        }
        _ => Err("表头应为“名称,类型”（镇街）或“名称,监管行业”（部门）".into()),
    }
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

/// Replaces one reference list in one transaction. Rows in the file are inserted or
/// updated; rows missing from it are deleted unless subjects or accounts still use them.
pub async fn apply(
    store: &Store,
    actor: &Actor,
    list: &ReferenceList,
) -> StoreResult<(usize, usize)> {
    let txn = store.write().await?;
    let now = store.now();
    let (kept, what) = match list {
        ReferenceList::Towns(rows) => (apply_towns(&*txn, rows).await?, "towns"),
        ReferenceList::Departments(rows) => (apply_departments(&*txn, rows).await?, "departments"),
    };
    let n = match list {
        ReferenceList::Towns(r) => r.len(),
        ReferenceList::Departments(r) => r.len(),
    };
    let ev = Event::ok("reference.import", format!("reference:{what}"))
        .with_detail(format!("rows={n} kept_in_use={kept}"));
    audit::append(&*txn, now, actor, &ev).await?;
    txn.commit().await?;
    Ok((n, kept))
}

async fn apply_towns<C: ConnectionTrait>(db: &C, rows: &[(String, String)]) -> StoreResult<usize> {
    let existing = town::Entity::find().all(db).await?;
    for (i, (name, kind)) in rows.iter().enumerate() {
        match existing.iter().find(|t| &t.name == name) {
            Some(t) => {
                let mut am: town::ActiveModel = t.clone().into();
                am.kind = Set(kind.clone());
                am.sort = Set(i as i32);
                am.update(db).await?;
            }
            None => {
                town::ActiveModel {
                    name: Set(name.clone()),
                    kind: Set(kind.clone()),
                    sort: Set(i as i32),
                    ..Default::default()
                }
                .insert(db)
                .await?;
            }
        }
    }
    let mut kept = 0;
    for t in existing
        .iter()
        .filter(|t| !rows.iter().any(|(n, _)| n == &t.name))
    {
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

async fn apply_departments<C: ConnectionTrait>(
    db: &C,
    rows: &[(String, Vec<String>)],
) -> StoreResult<usize> {
    let existing = department::Entity::find().all(db).await?;
    department_industry::Entity::delete_many().exec(db).await?;
    let mut sort = 0;
    for (i, (name, industries)) in rows.iter().enumerate() {
        let id = match existing.iter().find(|d| &d.name == name) {
            Some(d) => {
                let mut am: department::ActiveModel = d.clone().into();
                am.sort = Set(i as i32);
                am.update(db).await?;
                d.id
            }
            None => {
                department::ActiveModel {
                    name: Set(name.clone()),
                    sort: Set(i as i32),
                    ..Default::default()
                }
                .insert(db)
                .await?
                .id
            }
        };
        for ind in industries {
            department_industry::ActiveModel {
                department_id: Set(id),
                industry: Set(ind.clone()),
                sort: Set(sort),
                ..Default::default()
            }
            .insert(db)
            .await?;
            sort += 1;
        }
    }
    let mut kept = 0;
    for d in existing
        .iter()
        .filter(|d| !rows.iter().any(|(n, _)| n == &d.name))
    {
        let used = subject::Entity::find()
            .filter(subject::Column::DepartmentId.eq(d.id))
            .count(db)
            .await?
            + user::Entity::find()
                .filter(user::Column::ScopeDepartmentId.eq(d.id))
                .count(db)
                .await?;
        if used > 0 {
            kept += 1;
        } else {
            department::Entity::delete_by_id(d.id).exec(db).await?;
        }
    }
    Ok(kept)
}

/// Towns and streets in their list order.
pub async fn towns(store: &Store) -> StoreResult<Vec<town::Model>> {
    Ok(town::Entity::find()
        .order_by_asc(town::Column::Sort)
        .all(&store.db)
        .await?)
}

/// Departments in their list order, each with its industries.
pub async fn departments(store: &Store) -> StoreResult<Vec<(department::Model, Vec<String>)>> {
    let deps = department::Entity::find()
        .order_by_asc(department::Column::Sort)
        .all(&store.db)
        .await?;
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

/// The department that supervises an industry.
pub async fn department_of_industry<C: ConnectionTrait>(
    db: &C,
    industry: &str,
) -> StoreResult<Option<i32>> {
    Ok(department_industry::Entity::find()
        .filter(department_industry::Column::Industry.eq(industry))
        .one(db)
        .await?
        .map(|i| i.department_id))
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
        assert_eq!(t.iter().filter(|(_, k)| k == "镇").count(), 11);
        let ReferenceList::Departments(d) = parse_reference_csv(DEFAULT_DEPARTMENTS_CSV).unwrap()
        else {
            panic!()
        };
        assert!(d
            .iter()
            .any(|(n, i)| n == "区应急管理局" && i.contains(&"危险化学品".to_string())));
    }

    #[test]
    fn a_bad_row_is_named_by_its_line() {
        let err = parse_reference_csv("名称,类型\n双龙湖街道,街道\n某某,村\n").unwrap_err();
        assert_eq!(err, "第3行 类型：应为“街道”或“镇”，实际为“村”");
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
