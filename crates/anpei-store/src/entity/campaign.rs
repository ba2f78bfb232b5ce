use sea_orm::entity::prelude::*;

/// A campaign (专项整治): the notice's record, its phases live in `campaign_phases`.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "campaigns")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub name: String,
    /// 发文单位.
    pub issuing_office: String,
    /// 文号, when the notice has one.
    pub doc_number: Option<String>,
    /// The notice's text.
    pub doc_text: String,
    /// The notice as a file (an `evidence_files` row owned by `campaign`).
    pub doc_file_id: Option<i32>,
    /// Which version of the checklist catalogue this campaign uses.
    pub catalogue_version: i32,
    /// Deadline of the departments' and towns' summary reports (总结报告).
    pub summary_due: Date,
    pub copied_from: Option<i32>,
    pub created_at: i64,
    pub created_by: Option<i32>,
    /// The district whose own campaign this is (`None`: the city's, or a one-district
    /// installation's).
    pub district_id: Option<i32>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
