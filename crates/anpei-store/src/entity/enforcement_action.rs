use sea_orm::entity::prelude::*;

/// An enforcement action. `kind`: order_rectify (责令限期整改; `deadline`, creates
/// `problem_id`), fine (罚款; amounts in yuan, checked against 《安全生产法》第97条),
/// warning (警告), suspend_business (责令停产停业整顿), refer_market (移送市场监管部门),
/// refer_judicial (移交司法机关), suspend_exam (暂停考试资格), cancel_exam (取消考试资格),
/// expose (曝光; creates `case_id`).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "enforcement_actions")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub inspection_id: Option<i32>,
    pub subject_id: i32,
    pub kind: String,
    pub legal_basis: String,
    pub decision_no: String,
    pub decided_on: Date,
    pub deadline: Option<Date>,
    /// Fine on the unit, yuan.
    pub amount_unit: Option<i64>,
    /// Fines on the responsible persons together, yuan.
    pub amount_persons: Option<i64>,
    /// JSON list `[{"name": …, "amount": …}]` of fined responsible persons.
    pub responsible_persons: Option<String>,
    pub text: String,
    pub problem_id: Option<i32>,
    pub case_id: Option<i32>,
    /// Who decided: a department or a town (neither: the district).
    pub department_id: Option<i32>,
    pub town_id: Option<i32>,
    pub created_by: Option<i32>,
    pub created_at: i64,
    /// For a fine, the stage of 《安全生产法》第九十七条: ordered, not_corrected (m0010).
    pub fine_stage: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
