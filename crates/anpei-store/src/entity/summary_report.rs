use sea_orm::entity::prelude::*;

/// A department's or town's summary report (总结报告) for a campaign; attachments are
/// evidence files owned by `summary`. `late`: submitted after the campaign's deadline.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "summary_reports")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub campaign_id: i32,
    pub department_id: Option<i32>,
    pub town_id: Option<i32>,
    pub district_id: Option<i32>,
    pub title: String,
    pub body: String,
    pub submitted_at: i64,
    pub submitted_by: Option<i32>,
    pub late: bool,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
