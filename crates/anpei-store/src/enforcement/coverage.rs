//! Coverage of the enforcement phase (notice §三(二)): 区应急局对高危行业生产经营单位、安全培训
//! 机构、考试点进行全覆盖执法检查. A subject is covered when it has at least one inspection
//! dated inside the phase (by whichever unit). The phase's dates come from the campaign's
//! record. Counts are GROUP BY queries over the subjects in the caller's scope, so a
//! department or a town sees the same page over its own subjects.

use super::{inspections_in, InspectionStatus};
use crate::entity::{inspection, subject, town};
use crate::scope::{self, Scope};
use crate::{campaign, registry::reference, Store, StoreResult};
use anpei_core::campaign::PhaseKind;
use anpei_core::SubjectKind;
use chrono::NaiveDate;
use sea_orm::sea_query::{Condition, Expr, Func, Query, SelectStatement, SimpleExpr};
use sea_orm::{
    ColumnTrait, FromQueryResult, JoinType, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect,
    RelationTrait,
};

/// The categories of the coverage table; three of them must be covered in full.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Category {
    HighRiskEnterprise,
    OtherEnterprise,
    TrainingInstitution,
    ExamSite,
    ExamInstitution,
}

impl Category {
    pub const ALL: [Category; 5] = [
        Category::HighRiskEnterprise,
        Category::OtherEnterprise,
        Category::TrainingInstitution,
        Category::ExamSite,
        Category::ExamInstitution,
    ];

    pub fn code(self) -> &'static str {
        match self {
            Category::HighRiskEnterprise => "high_risk",
            Category::OtherEnterprise => "enterprise",
            Category::TrainingInstitution => "training_institution",
            Category::ExamSite => "exam_site",
            Category::ExamInstitution => "exam_institution",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Category::HighRiskEnterprise => "高危行业生产经营单位",
            Category::OtherEnterprise => "其他生产经营单位",
            Category::TrainingInstitution => "安全培训机构",
            Category::ExamSite => "考试点",
            Category::ExamInstitution => "考试机构",
        }
    }

    pub fn from_code(s: &str) -> Option<Category> {
        Self::ALL.into_iter().find(|c| c.code() == s)
    }

    /// Whether the notice requires every subject of the category to be inspected.
    pub fn mandatory(self) -> bool {
        matches!(
            self,
            Category::HighRiskEnterprise | Category::TrainingInstitution | Category::ExamSite
        )
    }

    pub fn of(kind: &str, industry: Option<&str>, store: &Store) -> Category {
        match SubjectKind::from_code(kind) {
            Some(SubjectKind::TrainingInstitution) => Category::TrainingInstitution,
            Some(SubjectKind::ExamSite) => Category::ExamSite,
            Some(SubjectKind::ExamInstitution) => Category::ExamInstitution,
            _ if industry.is_some_and(|i| store.params.is_high_risk(i)) => {
                Category::HighRiskEnterprise
            }
            _ => Category::OtherEnterprise,
        }
    }

    /// The filter on `subjects` columns.
    fn condition(self, store: &Store) -> Condition {
        let high = store.params.high_risk_industries.clone();
        let c = Condition::all();
        match self {
            Category::HighRiskEnterprise => c
                .add(subject::Column::Kind.eq(SubjectKind::Enterprise.code()))
                .add(subject::Column::Industry.is_in(high)),
            Category::OtherEnterprise => c
                .add(subject::Column::Kind.eq(SubjectKind::Enterprise.code()))
                .add(
                    Condition::any()
                        .add(subject::Column::Industry.is_null())
                        .add(subject::Column::Industry.is_not_in(high)),
                ),
            Category::TrainingInstitution => {
                c.add(subject::Column::Kind.eq(SubjectKind::TrainingInstitution.code()))
            }
            Category::ExamSite => c.add(subject::Column::Kind.eq(SubjectKind::ExamSite.code())),
            Category::ExamInstitution => {
                c.add(subject::Column::Kind.eq(SubjectKind::ExamInstitution.code()))
            }
        }
    }
}

/// The period coverage is counted over: a campaign's enforcement phase.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Window {
    pub campaign_id: i32,
    pub campaign_name: String,
    pub phase_name: String,
    pub from: NaiveDate,
    pub to: NaiveDate,
    /// Whether the phase has begun on the store's today.
    pub started: bool,
}

/// The enforcement phase of campaign `id`, or by default of the latest campaign whose
/// enforcement phase has begun (else the current campaign's, not begun yet). `None` when no
/// campaign has an enforcement phase. Among the campaigns that apply in `district` (the
/// city's, and the district's own; the city's for `None`).
pub async fn window(
    store: &Store,
    district: Option<i32>,
    campaign_id: Option<i32>,
) -> StoreResult<Option<Window>> {
    let today = store.today();
    let all = campaign::list_in(store, district).await?;
    let with_phase = |c: &campaign::CampaignInfo| {
        c.phase_of(PhaseKind::Enforcement).map(|p| Window {
            campaign_id: c.campaign.id,
            campaign_name: c.campaign.name.clone(),
            phase_name: p.name.clone(),
            from: p.starts_on,
            to: p.ends_on,
            started: p.starts_on <= today,
        })
    };
    if let Some(id) = campaign_id {
        return Ok(all
            .iter()
            .find(|c| c.campaign.id == id)
            .and_then(with_phase));
    }
    let begun = all
        .iter()
        .filter_map(with_phase)
        .filter(|w| w.started)
        .max_by_key(|w| (w.from, w.campaign_id));
    if begun.is_some() {
        return Ok(begun);
    }
    Ok(campaign::current_in(store, today, district)
        .await?
        .as_ref()
        .and_then(with_phase))
}

/// Covered out of total.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Cell {
    pub total: u64,
    pub covered: u64,
}

impl Cell {
    pub fn uncovered(&self) -> u64 {
        self.total - self.covered.min(self.total)
    }

    /// Per mille, for bars (0 when there is nothing to cover).
    pub fn permille(&self) -> u64 {
        (self.covered * 1000).checked_div(self.total).unwrap_or(0)
    }

    /// `66.7%`, or `—` when there is nothing to cover.
    pub fn share(&self) -> String {
        if self.total == 0 {
            "—".into()
        } else {
            format!("{:.1}%", self.covered as f64 * 100.0 / self.total as f64)
        }
    }

    fn add(&mut self, total: u64, covered: u64) {
        self.total += total;
        self.covered += covered;
    }
}

/// Coverage of one town.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TownCell {
    pub town_id: i32,
    pub town: String,
    /// The three mandatory categories.
    pub mandated: Cell,
    pub all: Cell,
}

/// Coverage of one district (the city's roll-up).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DistrictCell {
    pub district_id: i32,
    pub district: String,
    pub mandated: Cell,
    pub all: Cell,
}

/// The coverage page's numbers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Coverage {
    /// The three mandatory categories together (the notice's requirement).
    pub mandated: Cell,
    /// Every subject in scope.
    pub all: Cell,
    pub by_category: Vec<(Category, Cell)>,
    pub by_town: Vec<TownCell>,
    /// For the city of several districts (not narrowed to one): one line per district.
    pub by_district: Vec<DistrictCell>,
}

/// Subjects with an inspection dated in `[from, to]`.
fn covered_ids(from: NaiveDate, to: NaiveDate) -> SelectStatement {
    Query::select()
        .column(inspection::Column::SubjectId)
        .from(inspection::Entity)
        .and_where(Expr::col(inspection::Column::InspectedOn).gte(from))
        .and_where(Expr::col(inspection::Column::InspectedOn).lte(to))
        .and_where(Expr::col(inspection::Column::Status).eq(InspectionStatus::Completed))
        .to_owned()
}

/// One group of the coverage query: kind, industry, town, subjects, covered.
type Group = (String, Option<String>, i32, i64, Option<i64>);

/// Coverage of the subjects in `scope` over `[from, to]`: one GROUP BY over kind, industry and
/// town, folded into categories and towns.
pub async fn coverage(
    store: &Store,
    scope: &Scope,
    from: NaiveDate,
    to: NaiveDate,
) -> StoreResult<Coverage> {
    coverage_in(store, scope, None, from, to).await
}

/// [`coverage`], narrowed to one district of the scope's reach (the city's drill-down); over
/// the whole city, also folded into districts.
#[tracing::instrument(skip_all)]
pub async fn coverage_in(
    store: &Store,
    scope: &Scope,
    district: Option<i32>,
    from: NaiveDate,
    to: NaiveDate,
) -> StoreResult<Coverage> {
    let covered = Func::sum(
        Expr::case(
            Condition::all().add(subject::Column::Id.in_subquery(covered_ids(from, to))),
            Expr::cust("1"),
        )
        .finally(Expr::cust("0")),
    );
    let mut q = scope::subjects(scope);
    if let Some(d) = district {
        q = q.filter(scope::in_district(d));
    }
    let groups: Vec<Group> = q
        .select_only()
        .column(subject::Column::Kind)
        .column(subject::Column::Industry)
        .column(subject::Column::TownId)
        .column_as(
            Expr::col((subject::Entity, subject::Column::Id)).count(),
            "n",
        )
        .column_as(SimpleExpr::from(covered), "covered")
        .group_by(subject::Column::Kind)
        .group_by(subject::Column::Industry)
        .group_by(subject::Column::TownId)
        .into_tuple()
        .all(&store.db)
        .await?;
    let towns = reference::towns(store, scope).await?;
    let mut by_category: Vec<(Category, Cell)> = Category::ALL
        .iter()
        .map(|c| (*c, Cell::default()))
        .collect();
    let mut by_town: Vec<TownCell> = Vec::new();
    let (mut mandated, mut all) = (Cell::default(), Cell::default());
    for (kind, industry, town_id, n, c) in groups {
        let (n, c) = (n.max(0) as u64, c.unwrap_or(0).max(0) as u64);
        let cat = Category::of(&kind, industry.as_deref(), store);
        if let Some(x) = by_category.iter_mut().find(|(k, _)| *k == cat) {
            x.1.add(n, c);
        }
        all.add(n, c);
        let i = match by_town.iter().position(|t| t.town_id == town_id) {
            Some(i) => i,
            None => {
                by_town.push(TownCell {
                    town_id,
                    town: towns
                        .iter()
                        .find(|t| t.id == town_id)
                        .map_or_else(|| format!("镇街{town_id}"), |t| t.name.clone()),
                    mandated: Cell::default(),
                    all: Cell::default(),
                });
                by_town.len() - 1
            }
        };
        by_town[i].all.add(n, c);
        if cat.mandatory() {
            mandated.add(n, c);
            by_town[i].mandated.add(n, c);
        }
    }
    // In the reference list's order.
    by_town.sort_by_key(|t| {
        towns
            .iter()
            .position(|x| x.id == t.town_id)
            .unwrap_or(usize::MAX)
    });
    let districts = reference::districts(store, scope).await?;
    let mut by_district: Vec<DistrictCell> = Vec::new();
    if district.is_none() && districts.len() > 1 {
        for d in &districts {
            let mut cell = DistrictCell {
                district_id: d.id,
                district: d.name.clone(),
                mandated: Cell::default(),
                all: Cell::default(),
            };
            for t in by_town.iter().filter(|t| {
                towns
                    .iter()
                    .any(|x| x.id == t.town_id && x.district_id == d.id)
            }) {
                cell.mandated.add(t.mandated.total, t.mandated.covered);
                cell.all.add(t.all.total, t.all.covered);
            }
            by_district.push(cell);
        }
    }
    Ok(Coverage {
        mandated,
        all,
        by_category,
        by_town,
        by_district,
    })
}

/// A subject still to be inspected.
#[derive(Debug, Clone, FromQueryResult)]
pub struct UncoveredRow {
    pub id: i32,
    pub name: String,
    pub uscc: String,
    pub kind: String,
    pub industry: Option<String>,
    pub town: String,
}

impl UncoveredRow {
    pub fn kind_label(&self) -> &'static str {
        SubjectKind::from_code(&self.kind).map_or("未知", SubjectKind::label)
    }
}

/// The subjects in `scope` not inspected in `[from, to]`: of one category, or of the three
/// mandatory ones when `category` is `None`; optionally of one district, of one town. A page
/// and the total.
pub async fn uncovered(
    store: &Store,
    scope: &Scope,
    (from, to): (NaiveDate, NaiveDate),
    category: Option<Category>,
    (district, town_id): (Option<i32>, Option<i32>),
    page: u64,
    per_page: u64,
) -> StoreResult<(Vec<UncoveredRow>, u64)> {
    let cats = match category {
        Some(c) => Condition::all().add(c.condition(store)),
        None => Category::ALL
            .iter()
            .filter(|c| c.mandatory())
            .fold(Condition::any(), |acc, c| acc.add(c.condition(store))),
    };
    let mut q = scope::subjects(scope)
        .filter(cats)
        .filter(subject::Column::Id.not_in_subquery(covered_ids(from, to)));
    if let Some(d) = district {
        q = q.filter(scope::in_district(d));
    }
    if let Some(t) = town_id {
        q = q.filter(subject::Column::TownId.eq(t));
    }
    let total = q.clone().count(&store.db).await?;
    let rows = q
        .join(JoinType::InnerJoin, subject::Relation::Town.def())
        .select_only()
        .column(subject::Column::Id)
        .column(subject::Column::Name)
        .column(subject::Column::Uscc)
        .column(subject::Column::Kind)
        .column(subject::Column::Industry)
        .column_as(town::Column::Name, "town")
        .order_by_asc(town::Column::Sort)
        .order_by_asc(subject::Column::Name)
        .offset((page.max(1) - 1) * per_page)
        .limit(per_page)
        .into_model::<UncoveredRow>()
        .all(&store.db)
        .await?;
    Ok((rows, total))
}

/// Inspections in scope dated in the window (the coverage page's headline).
pub async fn inspections_in_window(store: &Store, scope: &Scope, w: &Window) -> StoreResult<u64> {
    Ok(inspections_in(scope)
        .filter(inspection::Column::InspectedOn.gte(w.from))
        .filter(inspection::Column::InspectedOn.lte(w.to))
        .count(&store.db)
        .await?)
}
