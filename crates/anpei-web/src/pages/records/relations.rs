//! 关联关系: for a training institution, the exam sites and exam institutions its
//! trainees were examined at with pass rates side by side, and the staff or phone numbers
//! they share; for an exam site or institution, the training institutions whose trainees
//! it examined. For supervisors only (district, department, town); a subject outside the
//! caller's scope answers 404. The read is audited (it shows other subjects' people).

use crate::auth::CurrentUser;
use crate::error::AppError;
use crate::pages::{render, Layout};
use crate::AppState;
use anpei_store::records::relations::{self, Rate, Relations, Side};
use askama::Template;
use axum::extract::{Path, State};
use axum::response::Response;

#[derive(Template)]
#[template(path = "records/relations/page.html")]
struct RelationsPage {
    layout: Layout,
    r: Relations,
    min_candidates: u32,
    min_gap_points: f64,
    critical_z: f64,
}

impl RelationsPage {
    fn is_training(&self) -> bool {
        self.r.side == Side::Training
    }

    fn is_exam(&self) -> bool {
        self.r.side == Side::Exam
    }

    fn kind_label(&self) -> &'static str {
        match self.r.side {
            Side::Training => "安全培训机构",
            Side::Exam => "考试点/考试机构",
            Side::Other => "生产经营单位",
        }
    }

    /// The catalogue's name of a rule code.
    fn rule_label(&self, code: &str) -> &'static str {
        anpei_core::ledger::rules::Rule::from_code(code)
            .map_or("其他", anpei_core::ledger::rules::Rule::name)
    }

    fn z_label(&self, z: &Option<f64>) -> String {
        match z {
            Some(z) if z.is_infinite() => "∞".into(),
            Some(z) => format!("{z:.2}"),
            None => "—".into(),
        }
    }

    fn gap_label(&self, gap: Option<f64>) -> String {
        gap.map_or_else(|| "—".into(), |g| format!("{g:+.1} 个百分点"))
    }

    /// The gap of a counterpart row against the district's rate, in points.
    fn row_gap(&self, common: &Rate, district: &Rate) -> String {
        self.gap_label(
            common
                .ratio()
                .zip(district.ratio())
                .map(|(a, b)| (a - b) * 100.0),
        )
    }
}

#[tracing::instrument(skip_all)]
pub async fn page(
    State(st): State<AppState>,
    user: CurrentUser,
    Path(id): Path<i32>,
) -> Result<Response, AppError> {
    let store = &st.store;
    let r = relations::for_subject(store, &user.actor(), &user.scope, id, store.today()).await?;
    let p = &store.params;
    let active = match r.side {
        Side::Exam => "exams",
        Side::Training => "training",
        Side::Other => "subjects",
    };
    Ok(render(RelationsPage {
        layout: Layout::new(&user, format!("{} 关联关系", r.subject.name), active),
        min_candidates: p.pass_rate_min_candidates,
        min_gap_points: p.pass_rate_min_gap * 100.0,
        critical_z: p.pass_rate_z,
        r,
    }))
}
