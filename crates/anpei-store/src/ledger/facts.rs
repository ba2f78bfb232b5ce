//! Loads the facts the rule engine reads, for the whole district or one subject, with
//! column-only queries (no full models): this is the bulk path of every scan.

use crate::entity::{certificate, person, registry, subject, training};
use crate::{Store, StoreResult};
use anpei_core::ledger::rules::{CertFacts, Ledger, PersonFacts, RegistryEntry, TrainingFacts};
use anpei_core::{CertType, Post, TrainingForm, TrainingType};
use chrono::{NaiveDate, NaiveDateTime};
use sea_orm::{
    ColumnTrait, EntityTrait, JoinType, QueryFilter, QuerySelect, QueryTrait, RelationTrait,
};
use std::collections::HashMap;

/// Loads a ledger: every person, certificate and training record, or those of one subject;
/// the registry when one has been imported.
#[tracing::instrument(skip_all)]
pub async fn load(store: &Store, subject_id: Option<i32>) -> StoreResult<Ledger> {
    let db = &store.db;
    let high: HashMap<i32, bool> = subject::Entity::find()
        .select_only()
        .columns([subject::Column::Id, subject::Column::Industry])
        .apply_if(subject_id, |q, s| q.filter(subject::Column::Id.eq(s)))
        .into_tuple::<(i32, Option<String>)>()
        .all(db)
        .await?
        .into_iter()
        .map(|(id, ind)| (id, ind.is_some_and(|i| store.params.is_high_risk(&i))))
        .collect();

    type PersonRow = (i32, i32, String, String, Option<String>, NaiveDate, String);
    let persons: Vec<PersonFacts> = person::Entity::find()
        .select_only()
        .columns([
            person::Column::Id,
            person::Column::SubjectId,
            person::Column::Name,
            person::Column::Post,
            person::Column::SpecialCategory,
            person::Column::AppointedOn,
            person::Column::IdBidx,
        ])
        .apply_if(subject_id, |q, s| q.filter(person::Column::SubjectId.eq(s)))
        .into_tuple::<PersonRow>()
        .all(db)
        .await?
        .into_iter()
        .filter_map(|(id, sid, name, post, cat, appointed, bidx)| {
            Some(PersonFacts {
                id: id.into(),
                subject_id: sid.into(),
                name,
                post: Post::from_code(&post)?,
                special_category: cat,
                appointed_on: appointed,
                high_risk: high.get(&sid).copied().unwrap_or(false),
                holder_key: bidx,
            })
        })
        .collect();

    type CertRow = (
        i32,
        i32,
        String,
        String,
        Option<String>,
        Option<String>,
        Option<NaiveDate>,
        Option<NaiveDate>,
        Option<NaiveDate>,
        Option<NaiveDate>,
        Option<NaiveDate>,
    );
    let mut cq = certificate::Entity::find().select_only().columns([
        certificate::Column::Id,
        certificate::Column::PersonId,
        certificate::Column::CertType,
        certificate::Column::CertNoBidx,
        certificate::Column::Category,
        certificate::Column::OperationItem,
        certificate::Column::FirstIssued,
        certificate::Column::ValidFrom,
        certificate::Column::ValidUntil,
        certificate::Column::ReviewDue,
        certificate::Column::ReviewedOn,
    ]);
    if let Some(s) = subject_id {
        cq = cq
            .join(JoinType::InnerJoin, certificate::Relation::Person.def())
            .filter(person::Column::SubjectId.eq(s));
    }
    let certificates = cq
        .into_tuple::<CertRow>()
        .all(db)
        .await?
        .into_iter()
        .filter_map(
            |(id, pid, ty, key, cat, item, first, from, until, due, reviewed)| {
                Some(CertFacts {
                    id: id.into(),
                    person_id: pid.into(),
                    cert_type: CertType::from_code(&ty)?,
                    cert_no_key: key,
                    category: cat,
                    operation_item: item,
                    first_issued: first,
                    valid_from: from,
                    valid_until: until,
                    review_due: due,
                    reviewed_on: reviewed,
                })
            },
        )
        .collect();

    type TrainingRow = (
        i32,
        i32,
        String,
        String,
        NaiveDateTime,
        NaiveDateTime,
        f64,
        f64,
    );
    let trainings = training::Entity::find()
        .select_only()
        .columns([
            training::Column::Id,
            training::Column::PersonId,
            training::Column::TrainingType,
            training::Column::Form,
            training::Column::StartAt,
            training::Column::EndAt,
            training::Column::TheoryHours,
            training::Column::PracticalHours,
        ])
        .apply_if(subject_id, |q, s| {
            q.filter(training::Column::SubjectId.eq(s))
        })
        .into_tuple::<TrainingRow>()
        .all(db)
        .await?
        .into_iter()
        .filter_map(|(id, pid, ty, form, start, end, theory, practical)| {
            Some(TrainingFacts {
                id: id.into(),
                person_id: pid.into(),
                training_type: TrainingType::from_code(&ty)?,
                form: TrainingForm::from_code(&form)?,
                start,
                end,
                theory_hours: theory,
                practical_hours: practical,
            })
        })
        .collect();

    let entries: Vec<(String, String, String)> = registry::Entity::find()
        .select_only()
        .columns([
            registry::Column::CertNoBidx,
            registry::Column::HolderBidx,
            registry::Column::Name,
        ])
        .into_tuple()
        .all(db)
        .await?;
    let registry = (!entries.is_empty()).then(|| {
        entries
            .into_iter()
            .map(|(k, holder_key, name)| (k, RegistryEntry { holder_key, name }))
            .collect()
    });
    Ok(Ledger {
        persons,
        certificates,
        trainings,
        registry,
    })
}
