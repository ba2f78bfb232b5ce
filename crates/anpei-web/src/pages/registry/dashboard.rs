//! 工作台: counts of the caller's scope.

use crate::auth::CurrentUser;
use crate::error::AppError;
use crate::pages::{render, Layout};
use crate::AppState;
use anpei_store::campaign::agenda::{self, Agenda};
use anpei_store::campaign::selfcheck::SelfcheckStatus;
use anpei_store::registry::dashboard::{self, Count, Dashboard};
use askama::Template;
use axum::extract::State;
use axum::response::Response;
use chrono::NaiveDate;

/// A horizontal bar of a chart, with its width precomputed (the CSP allows no inline style).
pub struct Bar {
    pub label: String,
    /// Drawn in red: a high-risk industry.
    pub danger: bool,
    pub n: i64,
    pub width: u32,
    pub y: u32,
}

pub fn bars(counts: &[Count], limit: usize, danger: impl Fn(&str) -> bool) -> Vec<Bar> {
    let max = counts.iter().map(|c| c.n).max().unwrap_or(0).max(1);
    counts
        .iter()
        .take(limit)
        .enumerate()
        .map(|(i, c)| Bar {
            label: c.label.clone(),
            danger: danger(&c.label),
            n: c.n,
            width: (c.n * 600 / max) as u32,
            y: i as u32 * 24,
        })
        .collect()
}

#[derive(Template)]
#[template(path = "registry/dashboard.html")]
struct HomePage {
    layout: Layout,
    /// The role's work, first: each line a count and where to do it; `urgent` in red.
    todo: Vec<TodoLine>,
    /// The current campaign's phases and, for a subject, its next rectification deadlines.
    agenda: Agenda,
    /// A subject's own account: its own figures, not the regulators' charts by town, kind or
    /// industry.
    own: bool,
    d: Option<Dashboard>,
    town_bars: Vec<Bar>,
    industry_bars: Vec<Bar>,
    town_height: u32,
    industry_height: u32,
}

/// One line of the 待办 list.
pub struct TodoLine {
    pub label: String,
    pub n: Option<u64>,
    pub href: String,
    pub urgent: bool,
    pub id: &'static str,
    /// Its deadline, in red once past.
    pub due: Option<NaiveDate>,
    pub past_due: bool,
}

fn line(label: &str, n: i64, href: &str, urgent: bool, id: &'static str) -> TodoLine {
    TodoLine {
        label: label.to_string(),
        n: Some(n.max(0) as u64),
        href: href.to_string(),
        urgent: urgent && n > 0,
        id,
        due: None,
        past_due: false,
    }
}

impl TodoLine {
    /// With a deadline: red (urgent) once it has passed and there is something to do.
    fn due(mut self, due: Option<NaiveDate>, today: NaiveDate) -> TodoLine {
        self.due = due;
        self.past_due = due.is_some_and(|d| d < today) && self.n != Some(0);
        self.urgent |= self.past_due;
        self
    }
}

/// What the role has to do today, counted and linked, each deadline in red once past:
/// findings to handle (the district's not yet acted on, or those given to the caller's town or
/// department), tip-offs, rectifications to verify and overdue, subjects that have not
/// submitted their self-inspection, summary reports due; a subject's own self-inspection,
/// problems to rectify and findings.
async fn todo(
    st: &AppState,
    user: &CurrentUser,
    agenda: &Agenda,
) -> Result<Vec<TodoLine>, AppError> {
    use anpei_store::campaign::problems::{self, ProblemFilter};
    use anpei_store::Reach;
    let today = st.store.today();
    let f = anpei_store::ledger::leads::todo(&st.store, &user.scope).await?;
    let p = problems::counts(&st.store, &user.scope, &ProblemFilter::default()).await?;
    let mut out = Vec::new();
    if let Some(own) = &agenda.own_selfcheck {
        if own.to_do() {
            out.push(
                TodoLine {
                    label: own.label().to_string(),
                    n: None,
                    href: "/selfcheck".into(),
                    urgent: own.status == Some(SelfcheckStatus::Returned),
                    id: "todo-selfcheck",
                    due: None,
                    past_due: false,
                }
                .due(own.due, today),
            );
        }
    }
    match user.scope.reach() {
        Reach::Subject(_) => {
            out.push(line(
                "待整改的问题",
                p.pending + p.in_progress,
                "/problems?status=open",
                false,
                "todo-problems",
            ));
            out.push(line(
                "逾期未整改",
                p.overdue,
                "/problems?status=overdue",
                true,
                "todo-overdue",
            ));
            out.push(line(
                "本单位问题线索（未办结）",
                f.active as i64,
                "/findings",
                false,
                "todo-findings",
            ));
        }
        Reach::All | Reach::District(_) => {
            out.push(line(
                "待处理的问题线索（未交办）",
                f.pending as i64,
                "/findings?status=pending",
                false,
                "todo-findings",
            ));
            out.push(line(
                "已交办、逾期未处理的问题线索",
                f.assigned_overdue as i64,
                "/findings?status=assigned",
                true,
                "todo-assigned-overdue",
            ));
        }
        _ => {
            out.push(line(
                "交办给本单位的问题线索",
                f.assigned as i64,
                "/findings?assigned=mine&status=assigned",
                false,
                "todo-findings",
            ));
            out.push(line(
                "其中已超过处理期限",
                f.assigned_overdue as i64,
                "/findings?assigned=mine&status=assigned",
                true,
                "todo-assigned-overdue",
            ));
        }
    }
    // Tip-offs: the intake duty's new ones and the overdue; a town's or department's those
    // assigned to it.
    use anpei_store::enforcement::tipoffs::{self, Viewer};
    if let Some(v) = tipoffs::viewer_for(&st.store, Some(user.id), user.role, &user.scope).await? {
        let c = tipoffs::counts(&st.store, v).await?;
        match v {
            Viewer::Intake => out.push(line(
                "新受理、待交办的举报",
                c.received as i64,
                "/tipoffs?status=received",
                false,
                "todo-tipoffs",
            )),
            Viewer::Town(_) | Viewer::Department(_) => out.push(line(
                "交办本单位的举报（未办结）",
                c.open as i64,
                "/tipoffs",
                false,
                "todo-tipoffs",
            )),
            Viewer::District | Viewer::DistrictOf(_) => {}
        }
        out.push(line(
            "超期未办结的举报",
            c.overdue as i64,
            "/tipoffs?overdue=1",
            true,
            "todo-tipoffs-overdue",
        ));
    }
    if !matches!(user.scope.reach(), Reach::Subject(_)) {
        out.push(line(
            "整改待核验（销号）",
            p.awaiting_verification,
            "/problems?status=awaiting_verification",
            false,
            "todo-verify",
        ));
        out.push(line(
            "逾期未整改的问题",
            p.overdue,
            "/problems?status=overdue",
            true,
            "todo-overdue",
        ));
    }
    // The campaign's query (`?campaign=3`), and the same to go on with more (`campaign=3&`).
    let (cq, cq_and) = agenda
        .campaign_id
        .map_or((String::new(), String::new()), |c| {
            (format!("?campaign={c}"), format!("campaign={c}&"))
        });
    if let Some((n, due)) = agenda.not_submitted {
        out.push(
            line(
                "未提交自查的单位",
                n as i64,
                &format!("/progress/subjects?{cq_and}state=not_submitted"),
                false,
                "todo-not-submitted",
            )
            .due(due, today),
        );
    }
    if let Some(state) = agenda.own_summary {
        out.push(
            TodoLine {
                label: format!("本单位总结报告：{}", state.label()),
                n: None,
                href: format!("/summary{cq}"),
                urgent: false,
                id: "todo-summary",
                due: None,
                past_due: false,
            }
            .due(agenda.summary_due, today),
        );
    }
    if let Some((missing, pending)) = agenda.summaries_missing {
        let n = (missing + pending) as i64;
        if n > 0 {
            out.push(
                line(
                    "未报送总结报告的单位",
                    n,
                    &format!("/summaries{cq}"),
                    missing > 0,
                    "todo-summaries",
                )
                .due(agenda.summary_due, today),
            );
        }
    }
    Ok(out)
}

pub async fn home(State(st): State<AppState>, user: CurrentUser) -> Result<Response, AppError> {
    let layout = Layout::new(&user, "工作台", "home");
    if !crate::Perm::ViewBusiness.allows(Some(user.role)) {
        return Ok(render(HomePage {
            layout,
            todo: Vec::new(),
            agenda: Agenda::default(),
            own: false,
            d: None,
            town_bars: vec![],
            industry_bars: vec![],
            town_height: 0,
            industry_height: 0,
        }));
    }
    let agenda = agenda::load(&st.store, &user.scope).await?;
    let todo = todo(&st, &user, &agenda).await?;
    let d = dashboard::load(&st.store, &user.scope).await?;
    let town_bars = bars(&d.by_town, 30, |_| false);
    let industry_bars = bars(&d.by_industry, 20, |i| st.store.params.is_high_risk(i));
    Ok(render(HomePage {
        layout,
        todo,
        agenda,
        own: matches!(user.scope.reach(), anpei_store::Reach::Subject(_)),
        town_height: town_bars.len() as u32 * 24,
        industry_height: industry_bars.len() as u32 * 24,
        town_bars,
        industry_bars,
        d: Some(d),
    }))
}
