use sea_orm::entity::prelude::*;

/// The history of a finding: 交办, 转问题清单, 立案, 误报 / 不予处理, reopening, and what scans
/// did to it (消除, 再次发现).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "finding_events")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub finding_id: i32,
    /// assign, to_problem, open_case, dismiss, reopen, resolved, reappeared, problem_closed.
    pub kind: String,
    pub text: String,
    pub status_after: String,
    pub by_user: Option<i32>,
    pub by_name: String,
    pub at: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
