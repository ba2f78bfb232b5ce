use sea_orm::entity::prelude::*;

/// The answer to one checklist item. `answer`: compliant (符合), noncompliant (不符合),
/// not_applicable (不适用). A noncompliant answer carries what becomes its problem:
/// measures, deadline and the responsible person (phone encrypted, masked copy for pages).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "self_inspection_answers")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub inspection_id: i32,
    pub item_code: String,
    pub answer: String,
    pub explanation: String,
    pub measures: Option<String>,
    pub deadline: Option<Date>,
    pub responsible_name: Option<String>,
    pub responsible_phone_enc: Option<Vec<u8>>,
    pub responsible_phone_masked: Option<String>,
    pub updated_at: i64,
    pub updated_by: Option<i32>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
