//! The supervisors' list: the subjects of a scope with their self-inspection of a campaign.

use super::{status_label, SelfcheckStatus};
use crate::campaign::problems;
use crate::entity::{self_inspection, subject, town};
use crate::scope::{self, Scope};
use crate::{Store, StoreResult};
use anpei_core::SubjectKind;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ColumnTrait, EntityTrait, FromQueryResult, JoinType, PaginatorTrait, QueryFilter, QueryOrder,
    QuerySelect, RelationTrait,
};

/// The list's status filter: the self-inspection's status, or none yet (未开始).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ListStatus {
    NotStarted,
    Is(SelfcheckStatus),
}

impl ListStatus {
    /// In the order of the filter's options.
    pub const ALL: [ListStatus; 4] = [
        ListStatus::NotStarted,
        ListStatus::Is(SelfcheckStatus::Draft),
        ListStatus::Is(SelfcheckStatus::Submitted),
        ListStatus::Is(SelfcheckStatus::Returned),
    ];

    /// `not_started`, or the status's code.
    pub fn code(self) -> &'static str {
        match self {
            ListStatus::NotStarted => "not_started",
            ListStatus::Is(s) => s.code(),
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            ListStatus::NotStarted => status_label(None),
            ListStatus::Is(s) => s.label(),
        }
    }

    pub fn from_code(s: &str) -> Option<ListStatus> {
        Self::ALL.into_iter().find(|v| v.code() == s)
    }
}

/// Filters of the supervisors' list.
#[derive(Debug, Clone, Default)]
pub struct ListFilter {
    pub status: Option<ListStatus>,
    pub kind: Option<SubjectKind>,
    pub town_id: Option<i32>,
    pub q: Option<String>,
}

/// One subject of the list with its self-inspection for the campaign, if any.
#[derive(Debug, Clone, FromQueryResult, PartialEq)]
pub struct ListRow {
    pub subject_id: i32,
    pub subject_name: String,
    pub uscc: String,
    pub kind: String,
    pub town: String,
    pub inspection_id: Option<i32>,
    /// None: not started.
    pub status: Option<SelfcheckStatus>,
    pub submitted_at: Option<i64>,
    pub noncompliant: Option<i64>,
}

impl ListRow {
    pub fn kind_label(&self) -> &'static str {
        SubjectKind::from_code(&self.kind).map_or("未知", SubjectKind::label)
    }

    pub fn status_label(&self) -> &'static str {
        status_label(self.status)
    }

    pub fn submitted_text(&self) -> String {
        self.submitted_at
            .map(problems::china_time)
            .unwrap_or_default()
    }
}

fn list_query(scope: &Scope, campaign_id: i32, f: &ListFilter) -> sea_orm::Select<subject::Entity> {
    let rel: sea_orm::RelationDef = self_inspection::Entity::belongs_to(subject::Entity)
        .from(self_inspection::Column::SubjectId)
        .to(subject::Column::Id)
        .on_condition(move |_, _| {
            sea_orm::Condition::all().add(
                Expr::col((self_inspection::Entity, self_inspection::Column::CampaignId))
                    .eq(campaign_id),
            )
        })
        .into();
    // subjects LEFT JOIN self_inspections ON subject_id = subjects.id AND campaign_id = ….
    let rel = rel.rev();
    let mut q = scope::subjects(scope)
        .join(JoinType::LeftJoin, rel)
        .join(JoinType::InnerJoin, subject::Relation::Town.def());
    if let Some(k) = f.kind {
        q = q.filter(subject::Column::Kind.eq(k.code()));
    }
    if let Some(t) = f.town_id {
        q = q.filter(subject::Column::TownId.eq(t));
    }
    match f.status {
        Some(ListStatus::NotStarted) => q = q.filter(self_inspection::Column::Id.is_null()),
        Some(ListStatus::Is(s)) => q = q.filter(self_inspection::Column::Status.eq(s)),
        None => {}
    }
    if let Some(text) = f.q.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        let text: String = text
            .chars()
            .filter(|c| !matches!(c, '%' | '_' | '\\'))
            .collect();
        q = q.filter(subject::Column::Name.contains(&text));
    }
    q
}

/// A page of the subjects in `scope` with their self-inspection of `campaign_id`, and the
/// total: not started first to submitted last, then by name.
pub async fn list(
    store: &Store,
    scope: &Scope,
    campaign_id: i32,
    f: &ListFilter,
    page: u64,
    per_page: u64,
) -> StoreResult<(Vec<ListRow>, u64)> {
    let total = list_query(scope, campaign_id, f).count(&store.db).await?;
    // Answered 不符合, per self-inspection (a correlated count; plain SQL on both engines).
    let noncompliant = Expr::cust(
        "(SELECT COUNT(*) FROM self_inspection_answers a \
         WHERE a.inspection_id = self_inspections.id AND a.answer = 'noncompliant')",
    );
    let rows = list_query(scope, campaign_id, f)
        .select_only()
        .column_as(subject::Column::Id, "subject_id")
        .column_as(subject::Column::Name, "subject_name")
        .column(subject::Column::Uscc)
        .column(subject::Column::Kind)
        .column_as(town::Column::Name, "town")
        .column_as(self_inspection::Column::Id, "inspection_id")
        .column(self_inspection::Column::Status)
        .column(self_inspection::Column::SubmittedAt)
        .column_as(noncompliant, "noncompliant")
        .order_by_asc(subject::Column::Name)
        .order_by_asc(subject::Column::Id)
        .offset((page.max(1) - 1) * per_page)
        .limit(per_page)
        .into_model::<ListRow>()
        .all(&store.db)
        .await?;
    Ok((rows, total))
}
