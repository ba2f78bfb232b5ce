//! The home dashboard's counts, all through the scope filter.

use crate::entity::{certificate, person, subject};
use crate::scope::{self, Scope};
use crate::{registry::reference, Store, StoreResult};
use anpei_core::{Post, SubjectKind};
use sea_orm::sea_query::{Expr, Func};
use sea_orm::{ColumnTrait, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect};
use serde::Serialize;
use std::collections::HashMap;

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Count {
    pub label: String,
    pub n: i64,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Dashboard {
    pub subjects_total: i64,
    pub high_risk: i64,
    pub persons_total: i64,
    pub by_kind: Vec<Count>,
    pub by_town: Vec<Count>,
    pub by_industry: Vec<Count>,
    pub persons_by_post: Vec<Count>,
    /// Certificates whose 有效期止 falls within the warning window from today.
    pub expiring: i64,
    pub expiring_days: u32,
    pub expired: i64,
}

#[tracing::instrument(skip_all)]
pub async fn load(store: &Store, scope: &Scope) -> StoreResult<Dashboard> {
    let db = store.reads().await;
    let count_id = || Func::count(Expr::col((subject::Entity, subject::Column::Id)));
    let by_kind_raw: Vec<(String, i64)> = scope::subjects(scope)
        .select_only()
        .column(subject::Column::Kind)
        .expr(count_id())
        .group_by(subject::Column::Kind)
        .into_tuple()
        .all(db)
        .await?;
    let by_kind = SubjectKind::ALL
        .iter()
        .map(|k| Count {
            label: k.label().into(),
            n: by_kind_raw
                .iter()
                .find(|(c, _)| c == k.code())
                .map_or(0, |(_, n)| *n),
        })
        .collect();
    let town_raw: HashMap<i32, i64> = scope::subjects(scope)
        .select_only()
        .column(subject::Column::TownId)
        .expr(count_id())
        .group_by(subject::Column::TownId)
        .into_tuple::<(i32, i64)>()
        .all(db)
        .await?
        .into_iter()
        .collect();
    let by_town = reference::towns(store, scope)
        .await?
        .into_iter()
        .filter_map(|t| {
            town_raw.get(&t.id).map(|n| Count {
                label: t.name,
                n: *n,
            })
        })
        .collect();
    let mut industry_raw: Vec<(Option<String>, i64)> = scope::subjects(scope)
        .select_only()
        .column(subject::Column::Industry)
        .expr(count_id())
        .group_by(subject::Column::Industry)
        .into_tuple()
        .all(db)
        .await?;
    industry_raw.sort_by_key(|(_, n)| std::cmp::Reverse(*n));
    let high_risk = industry_raw
        .iter()
        .filter(|(i, _)| i.as_deref().is_some_and(|i| store.params.is_high_risk(i)))
        .map(|(_, n)| n)
        .sum();
    let subjects_total = industry_raw.iter().map(|(_, n)| n).sum();
    let by_industry = industry_raw
        .into_iter()
        .map(|(i, n)| Count {
            label: i.unwrap_or_else(|| "培训考试机构".into()),
            n,
        })
        .collect();
    let post_raw: Vec<(String, i64)> = scope::persons(scope)
        .select_only()
        .column(person::Column::Post)
        .expr(Func::count(Expr::col((person::Entity, person::Column::Id))))
        .group_by(person::Column::Post)
        .order_by_asc(person::Column::Post)
        .into_tuple()
        .all(db)
        .await?;
    let persons_total = post_raw.iter().map(|(_, n)| n).sum();
    let persons_by_post = Post::ALL
        .iter()
        .map(|p| Count {
            label: p.label().into(),
            n: post_raw
                .iter()
                .find(|(c, _)| c == p.code())
                .map_or(0, |(_, n)| *n),
        })
        .collect();
    let today = store.today();
    let days = store.params.expiry_warning_days;
    let until = today + chrono::Days::new(u64::from(days));
    let expiring = scope::certificates(scope)
        .filter(certificate::Column::ValidUntil.between(today, until))
        .count(db)
        .await? as i64;
    let expired = scope::certificates(scope)
        .filter(certificate::Column::ValidUntil.lt(today))
        .count(db)
        .await? as i64;
    Ok(Dashboard {
        subjects_total,
        high_risk,
        persons_total,
        by_kind,
        by_town,
        by_industry,
        persons_by_post,
        expiring,
        expiring_days: days,
        expired,
    })
}
