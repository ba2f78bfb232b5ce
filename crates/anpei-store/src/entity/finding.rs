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
    pub status: crate::ledger::leads::FindingStatus,
    pub resolved_at: Option<Date>,
    /// For the checks on records: the person concerned (a teacher, a proctor), by name and
    /// masked ID number.
    pub who_name: Option<String>,
    pub who_id_masked: Option<String>,
    /// 交办: the town or department it was assigned to, when, and by when it is to be handled.
    pub assigned_town_id: Option<i32>,
    pub assigned_department_id: Option<i32>,
    pub assigned_at: Option<i64>,
    pub due_on: Option<Date>,
    /// 转问题清单: the problem made from it.
    pub problem_id: Option<i32>,
    /// 立案: the inspection opened for it.
    pub inspection_id: Option<i32>,
    /// 误报 / 不予处理: why, and the finding's detail when it was dismissed (a re-scan that
    /// finds other facts opens it again).
    pub dismiss_reason: Option<String>,
    pub dismissed_detail: Option<String>,
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
