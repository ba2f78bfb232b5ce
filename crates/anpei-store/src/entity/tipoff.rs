use sea_orm::entity::prelude::*;

/// A tip-off (举报). The reporter's name and contact are encrypted and readable only by the
/// intake duty; they are erased (set to NULL, `reporter_erased_at` set) once the retention
/// period after closing has passed. `query_hash` is the argon2 hash of the query password
/// the reporter follows the case with, together with `receipt_code`.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "tipoffs")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    #[sea_orm(unique)]
    pub receipt_code: String,
    pub query_hash: String,
    pub channel: anpei_core::tipoff::Channel,
    pub category: anpei_core::tipoff::Category,
    /// The subject, when the reporter's name or code matched one.
    pub subject_id: Option<i32>,
    /// The subject as the reporter wrote it.
    pub subject_text: String,
    pub description: String,
    pub anonymous: bool,
    pub reporter_name_enc: Option<Vec<u8>>,
    pub reporter_contact_enc: Option<Vec<u8>>,
    pub reporter_erased_at: Option<i64>,
    pub status: anpei_core::tipoff::Status,
    pub accepted_on: Date,
    pub assigned_department_id: Option<i32>,
    pub assigned_town_id: Option<i32>,
    /// The district whose intake holds the report (none: still at the city's intake).
    pub district_id: Option<i32>,
    pub assigned_at: Option<i64>,
    pub extension_days: i32,
    pub extension_approved_by: Option<String>,
    pub extension_reason: Option<String>,
    pub result: Option<String>,
    pub substantiated: Option<bool>,
    pub closed_on: Option<Date>,
    /// What the reporter reads when he follows the case.
    pub feedback: Option<String>,
    pub feedback_at: Option<i64>,
    pub created_at: i64,
    pub created_by: Option<i32>,
    /// The one-time key of the public form it came from (a second post of the same form is
    /// the same report).
    #[sea_orm(unique)]
    pub submission_key: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
