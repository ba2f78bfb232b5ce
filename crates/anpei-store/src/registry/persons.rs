//! Persons on the ledgers of visible subjects, with their certificates and training
//! records. Only masked identifiers leave this module.

use crate::entity::{certificate, person, subject, training};
use crate::scope::{self, Scope};
use crate::{Store, StoreResult};
use anpei_core::{CertType, IdNumber, Post, TrainingForm, TrainingType};
use chrono::{NaiveDate, NaiveDateTime};
use sea_orm::sea_query::Condition;
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect};
use serde::Serialize;
use std::collections::HashMap;

#[derive(Debug, Clone, Default)]
pub struct PersonFilter {
    pub subject_id: Option<i32>,
    pub post: Option<Post>,
    /// A name fragment, or a full ID number (found through the blind index).
    pub q: Option<String>,
}

/// A person as pages and the API show him: masked.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct PersonRow {
    pub id: i32,
    pub subject_id: i32,
    pub subject_name: String,
    pub name: String,
    pub id_number_masked: String,
    pub phone_masked: Option<String>,
    pub post: String,
    pub post_label: &'static str,
    pub special_category: Option<String>,
    pub appointed_on: NaiveDate,
}

fn condition(store: &Store, f: &PersonFilter) -> Condition {
    let mut c = Condition::all();
    if let Some(s) = f.subject_id {
        c = c.add(person::Column::SubjectId.eq(s));
    }
    if let Some(p) = f.post {
        c = c.add(person::Column::Post.eq(p.code()));
    }
    if let Some(q) = f.q.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        c = match IdNumber::parse(q) {
            Ok(id) => c.add(person::Column::IdBidx.eq(store.crypto.blind_index(id.as_str()))),
            Err(_) => {
                let q: String = q
                    .chars()
                    .filter(|c| !matches!(c, '%' | '_' | '\\'))
                    .collect();
                c.add(person::Column::Name.contains(&q))
            }
        };
    }
    c
}

async fn to_rows(store: &Store, persons: Vec<person::Model>) -> StoreResult<Vec<PersonRow>> {
    let mut ids: Vec<i32> = persons.iter().map(|p| p.subject_id).collect();
    ids.sort_unstable();
    ids.dedup();
    let names: HashMap<i32, String> = subject::Entity::find()
        .select_only()
        .columns([subject::Column::Id, subject::Column::Name])
        .filter(subject::Column::Id.is_in(ids))
        .into_tuple::<(i32, String)>()
        .all(&store.db)
        .await?
        .into_iter()
        .collect();
    Ok(persons
        .into_iter()
        .map(|p| PersonRow {
            id: p.id,
            subject_id: p.subject_id,
            subject_name: names.get(&p.subject_id).cloned().unwrap_or_default(),
            name: p.name,
            id_number_masked: p.id_masked,
            phone_masked: p.phone_masked,
            post_label: Post::from_code(&p.post).map_or("未知", Post::label),
            post: p.post,
            special_category: p.special_category,
            appointed_on: p.appointed_on,
        })
        .collect())
}

#[tracing::instrument(skip_all)]
pub async fn list(
    store: &Store,
    scope: &Scope,
    f: &PersonFilter,
    page: u64,
    per_page: u64,
) -> StoreResult<(Vec<PersonRow>, u64)> {
    let cond = condition(store, f);
    let db = store.reads().await;
    let total = scope::persons(scope).filter(cond.clone()).count(db).await?;
    let persons = scope::persons(scope)
        .filter(cond)
        .order_by_asc(person::Column::SubjectId)
        .order_by_asc(person::Column::Id)
        .offset((page.max(1) - 1) * per_page)
        .limit(per_page)
        .all(db)
        .await?;
    Ok((to_rows(store, persons).await?, total))
}

#[derive(Debug, Clone, Serialize)]
pub struct CertificateRow {
    pub id: i32,
    pub cert_type: &'static str,
    pub cert_no_masked: String,
    pub category: Option<String>,
    pub operation_item: Option<String>,
    pub valid_from: Option<NaiveDate>,
    pub valid_until: Option<NaiveDate>,
    pub review_due: Option<NaiveDate>,
    pub reviewed_on: Option<NaiveDate>,
    pub issuer: Option<String>,
    /// 有效 / 即将到期 / 已过期 on today's date.
    pub status: &'static str,
}

#[derive(Debug, Clone, Serialize)]
pub struct TrainingRow {
    pub id: i32,
    pub training_type: &'static str,
    pub form: &'static str,
    pub start_at: NaiveDateTime,
    pub end_at: NaiveDateTime,
    pub hours: f64,
    pub institution: Option<String>,
    pub score: Option<f64>,
    pub result: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct PersonDetail {
    pub person: PersonRow,
    pub certificates: Vec<CertificateRow>,
    pub trainings: Vec<TrainingRow>,
}

pub fn cert_status(
    valid_until: Option<NaiveDate>,
    today: NaiveDate,
    warn_days: u32,
) -> &'static str {
    match valid_until {
        None => "未知",
        Some(d) if d < today => "已过期",
        Some(d) if d <= today + chrono::Days::new(u64::from(warn_days)) => "即将到期",
        Some(_) => "有效",
    }
}

pub fn certificate_row(c: certificate::Model, today: NaiveDate, warn_days: u32) -> CertificateRow {
    CertificateRow {
        id: c.id,
        cert_type: CertType::from_code(&c.cert_type).map_or("未知", CertType::label),
        cert_no_masked: c.cert_no_masked,
        category: c.category,
        operation_item: c.operation_item,
        valid_from: c.valid_from,
        status: cert_status(c.valid_until, today, warn_days),
        valid_until: c.valid_until,
        review_due: c.review_due,
        reviewed_on: c.reviewed_on,
        issuer: c.issuer,
    }
}

pub fn training_row(t: training::Model) -> TrainingRow {
    TrainingRow {
        id: t.id,
        training_type: TrainingType::from_code(&t.training_type)
            .map_or("未知", TrainingType::label),
        form: TrainingForm::from_code(&t.form).map_or("未知", TrainingForm::label),
        start_at: t.start_at,
        end_at: t.end_at,
        hours: t.theory_hours + t.practical_hours,
        institution: t.institution,
        score: t.score,
        result: t.result,
    }
}

/// A person visible in `scope`, with certificates and training records.
pub async fn get(store: &Store, scope: &Scope, id: i32) -> StoreResult<Option<PersonDetail>> {
    let Some(p) = scope::persons(scope)
        .filter(person::Column::Id.eq(id))
        .one(&store.db)
        .await?
    else {
        return Ok(None);
    };
    let today = store.today();
    let warn = store.params.expiry_warning_days;
    let certificates = certificate::Entity::find()
        .filter(certificate::Column::PersonId.eq(id))
        .order_by_asc(certificate::Column::ValidFrom)
        .all(&store.db)
        .await?
        .into_iter()
        .map(|c| certificate_row(c, today, warn))
        .collect();
    let trainings = training::Entity::find()
        .filter(training::Column::PersonId.eq(id))
        .order_by_desc(training::Column::StartAt)
        .all(&store.db)
        .await?
        .into_iter()
        .map(training_row)
        .collect();
    let person = to_rows(store, vec![p]).await?.remove(0);
    Ok(Some(PersonDetail {
        person,
        certificates,
        trainings,
    }))
}

/// Certificates of a subject's persons with the holder's name (subject page).
pub async fn subject_certificates(
    store: &Store,
    scope: &Scope,
    subject_id: i32,
) -> StoreResult<Vec<(String, CertificateRow)>> {
    let persons: HashMap<i32, String> = scope::persons(scope)
        .filter(person::Column::SubjectId.eq(subject_id))
        .select_only()
        .columns([person::Column::Id, person::Column::Name])
        .into_tuple::<(i32, String)>()
        .all(&store.db)
        .await?
        .into_iter()
        .collect();
    let today = store.today();
    let warn = store.params.expiry_warning_days;
    let certs = certificate::Entity::find()
        .filter(certificate::Column::PersonId.is_in(persons.keys().copied().collect::<Vec<_>>()))
        .order_by_asc(certificate::Column::ValidUntil)
        .all(&store.db)
        .await?;
    Ok(certs
        .into_iter()
        .map(|c| {
            (
                persons.get(&c.person_id).cloned().unwrap_or_default(),
                certificate_row(c, today, warn),
            )
        })
        .collect())
}

/// The latest training records of a subject with the trainee's name (subject page).
pub async fn subject_trainings(
    store: &Store,
    scope: &Scope,
    subject_id: i32,
    limit: u64,
) -> StoreResult<Vec<(String, TrainingRow)>> {
    let rows = scope::trainings(scope)
        .filter(training::Column::SubjectId.eq(subject_id))
        .order_by_desc(training::Column::StartAt)
        .limit(limit)
        .all(&store.db)
        .await?;
    let ids: Vec<i32> = rows.iter().map(|t| t.person_id).collect();
    let names: HashMap<i32, String> = person::Entity::find()
        .select_only()
        .columns([person::Column::Id, person::Column::Name])
        .filter(person::Column::Id.is_in(ids))
        .into_tuple::<(i32, String)>()
        .all(&store.db)
        .await?
        .into_iter()
        .collect();
    Ok(rows
        .into_iter()
        .map(|t| {
            (
                names.get(&t.person_id).cloned().unwrap_or_default(),
                training_row(t),
            )
        })
        .collect())
}
