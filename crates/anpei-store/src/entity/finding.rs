use sea_orm::entity::prelude::*;

/// A stored finding of the rule engine. `finding_key` identifies "the same finding" across
/// scans, so a re-scan updates `last_seen` instead of duplicating, and resolves what it no
/// longer finds.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "findings")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub rule: String,
    pub severity: String,
    pub subject_id: i32,
    /// The ledger person; NULL for the checks on training and exam records.
    pub person_id: Option<i32>,
    #[sea_orm(unique)]
    pub finding_key: String,
    /// JSON list of the triggering records, e.g. [{"Certificate":12}].
    pub records: String,
    pub detail: String,
    pub first_seen: Date,
    pub last_seen: Date,
    /// open or resolved.
    pub status: String,
    pub resolved_at: Option<Date>,
    /// For the checks on records: the person concerned (a teacher, a proctor), by name and
    /// masked ID number.
    pub who_name: Option<String>,
    pub who_id_masked: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(
        belongs_to = "super::subject::Entity",
        from = "Column::SubjectId",
        to = "super::subject::Column::Id"
    )]
    Subject,
    #[sea_orm(
        belongs_to = "super::person::Entity",
        from = "Column::PersonId",
        to = "super::person::Column::Id"
    )]
    Person,
}

impl Related<super::subject::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Subject.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
