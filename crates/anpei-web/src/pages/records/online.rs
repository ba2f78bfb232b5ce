//! 网络培训: what online-training platforms' logs show of a subject — per person and day a
//! timeline of the learning sessions (bars) and face checks (marks), the devices and addresses
//! used, and the findings of the seven online checks — and, for one device, everyone who
//! studied on it (the 代学 picture on one page). The logs come in through 台账导入 (kind
//! `online`). A subject or device outside the caller's scope answers 404; a subject's account
//! sees its own page only.

use crate::auth::CurrentUser;
use crate::error::AppError;
use crate::pages::{render, Layout};
use crate::AppState;
use anpei_core::ledger::rules::{RecordRef, Rule};
use anpei_store::ledger::findings::{self, FindingRow};
use anpei_store::ledger::online::{self, DeviceView, Overview, PersonDay, SubjectLogs};
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use chrono::{NaiveDate, NaiveDateTime, Timelike};
use serde::Deserialize;
use std::collections::HashSet;

/// Minutes in the day the timeline spans.
const DAY_MINUTES: i64 = 24 * 60;

/// A session as a bar of a day's timeline (minutes from midnight).
pub struct Bar {
    pub x: i64,
    pub width: i64,
    pub title: String,
    /// Named by an open finding.
    pub flagged: bool,
}

/// A face check as a mark of a day's timeline.
pub struct Mark {
    pub x: i64,
    pub passed: bool,
    pub title: String,
}

/// One person's day: the timeline and the rows under it.
pub struct DayView {
    pub d: PersonDay,
    pub bars: Vec<Bar>,
    pub marks: Vec<Mark>,
    /// Minutes of study that day (sessions summed).
    pub minutes: i64,
    /// The names of the checks whose open findings are about this person's day (two sessions
    /// at once, too many hours) or a device he used that day.
    pub flags: Vec<&'static str>,
}

/// What the open findings of a page name: sessions (drawn red) and the days of persons and
/// devices, read from the findings' stable keys (`RULE:person:day`, `RULE:s…:device|day`).
#[derive(Default)]
struct Named {
    sessions: HashSet<i32>,
    person_days: Vec<(&'static str, i64, String)>,
    device_days: Vec<(&'static str, String, String)>,
}

impl Named {
    fn new(findings: &[FindingRow], keys: &[(String, String)]) -> Named {
        let sessions = findings
            .iter()
            .flat_map(FindingRow::record_refs)
            .filter_map(|r| match r {
                RecordRef::OnlineSession(id) => i32::try_from(id).ok(),
                _ => None,
            })
            .collect();
        let mut n = Named {
            sessions,
            ..Named::default()
        };
        for (code, key) in keys {
            let Some(rule) = Rule::from_code(code) else {
                continue;
            };
            let rest = key.strip_prefix(code.as_str()).unwrap_or_default();
            match rule {
                Rule::OnlineConcurrent | Rule::OnlineDailyExcess => {
                    // `:person:day`
                    let mut parts = rest.trim_start_matches(':').splitn(2, ':');
                    if let (Some(Ok(p)), Some(day)) =
                        (parts.next().map(str::parse::<i64>), parts.next())
                    {
                        n.person_days.push((rule.name(), p, day.to_string()));
                    }
                }
                Rule::OnlineDeviceShared => {
                    // `:s<subject>:<device>|<day>`; the device may hold `:` but not `|` last.
                    let after = rest.trim_start_matches(':');
                    let after = after.split_once(':').map_or("", |(_, r)| r);
                    if let Some((device, day)) = after.rsplit_once('|') {
                        n.device_days
                            .push((rule.name(), device.to_string(), day.to_string()));
                    }
                }
                _ => {}
            }
        }
        n
    }

    fn flags(&self, d: &PersonDay) -> Vec<&'static str> {
        let day = d.day.to_string();
        let mut out: Vec<&'static str> = self
            .person_days
            .iter()
            .filter(|(_, p, x)| *p == i64::from(d.person_id) && *x == day)
            .map(|(r, _, _)| *r)
            .collect();
        for (r, device, x) in &self.device_days {
            if *x == day
                && d.sessions
                    .iter()
                    .any(|s| s.session.device.as_deref() == Some(device.as_str()))
            {
                out.push(r);
            }
        }
        out.dedup();
        out
    }
}

fn minute_of(t: NaiveDateTime) -> i64 {
    i64::from(t.hour()) * 60 + i64::from(t.minute())
}

fn hm(t: NaiveDateTime) -> String {
    t.format("%H:%M:%S").to_string()
}

impl DayView {
    fn new(d: PersonDay, named: &Named) -> DayView {
        let flagged = &named.sessions;
        let flags = named.flags(&d);
        let mut minutes = 0;
        let bars = d
            .sessions
            .iter()
            .map(|v| {
                let s = &v.session;
                let x = minute_of(s.start_at);
                // A session past midnight is drawn to the end of its first day.
                let end = if s.end_at.date() > s.start_at.date() {
                    DAY_MINUTES
                } else {
                    minute_of(s.end_at).max(x)
                };
                let secs = (s.end_at - s.start_at).num_seconds();
                minutes += secs / 60;
                Bar {
                    x,
                    width: (end - x).max(3),
                    title: format!(
                        "{} {}{} {}–{}，视频进度{}秒{}",
                        s.platform,
                        s.course_no,
                        v.course_title
                            .as_deref()
                            .map(|t| format!("（{t}）"))
                            .unwrap_or_default(),
                        hm(s.start_at),
                        hm(s.end_at),
                        s.progress_secs,
                        s.device
                            .as_deref()
                            .map(|dv| format!("，设备{dv}"))
                            .unwrap_or_default()
                    ),
                    flagged: flagged.contains(&s.id),
                }
            })
            .collect();
        let marks = d
            .face_checks
            .iter()
            .map(|c| Mark {
                x: minute_of(c.at),
                passed: c.passed,
                title: format!(
                    "{} 人脸核验{}{}",
                    hm(c.at),
                    if c.passed { "通过" } else { "不通过" },
                    c.similarity
                        .map(|v| format!("（相似度{v}）"))
                        .unwrap_or_default()
                ),
            })
            .collect();
        DayView {
            d,
            bars,
            marks,
            minutes,
            flags,
        }
    }

    pub fn hours_label(&self) -> String {
        format!("{:.1}", self.minutes as f64 / 60.0)
    }

    pub fn duration(&self, s: &anpei_store::model::OnlineSession) -> String {
        let secs = (s.end_at - s.start_at).num_seconds();
        format!("{}分{}秒", secs / 60, secs % 60)
    }
}

/// Hour ticks of the timeline: (minute, label).
pub fn ticks() -> Vec<(i64, String)> {
    (0..=24)
        .step_by(3)
        .map(|h| (h * 60, format!("{h}时")))
        .collect()
}

#[derive(Template)]
#[template(path = "records/online/list.html")]
struct ListPage {
    layout: Layout,
    subjects: Vec<SubjectLogs>,
}

/// Subjects in scope with online-training logs; a subject's account goes to its own page.
pub async fn list(State(st): State<AppState>, user: CurrentUser) -> Result<Response, AppError> {
    if let anpei_store::Reach::Subject(id) = user.scope.reach() {
        return Ok(Redirect::to(&format!("/online/subjects/{id}")).into_response());
    }
    let subjects = online::subjects(&st.store, &user.scope).await?;
    Ok(render(ListPage {
        layout: Layout::new(&user, "网络培训", "online"),
        subjects,
    }))
}

#[derive(Deserialize, Default)]
pub struct DayQuery {
    #[serde(default)]
    day: String,
}

#[derive(Template)]
#[template(path = "records/online/subject.html")]
struct SubjectPage {
    layout: Layout,
    o: Overview,
    days: Vec<DayView>,
    day: Option<NaiveDate>,
    findings: Vec<FindingRow>,
    subject_id: i32,
    ticks: Vec<(i64, String)>,
    days_shown: usize,
}

/// One subject's 网络培训; `?day=2026-03-02` shows that day's person-days.
pub async fn subject(
    State(st): State<AppState>,
    user: CurrentUser,
    Path(id): Path<i32>,
    Query(q): Query<DayQuery>,
) -> Result<Response, AppError> {
    let day = NaiveDate::parse_from_str(q.day.trim(), "%Y-%m-%d").ok();
    let o = online::overview(&st.store, &user.scope, id, day)
        .await?
        .ok_or(AppError::NotFound)?;
    let findings = findings::open_of(&st.store, &user.scope, id, &Rule::ONLINE).await?;
    let keys = findings::open_keys(&st.store, &user.scope, id, &Rule::ONLINE).await?;
    let named = Named::new(&findings, &keys);
    let days = o
        .days
        .iter()
        .cloned()
        .map(|d| DayView::new(d, &named))
        .collect();
    Ok(render(SubjectPage {
        layout: Layout::new(&user, format!("{} 网络培训", o.subject.name), "online"),
        days,
        day,
        findings,
        subject_id: id,
        ticks: ticks(),
        days_shown: online::DAYS_SHOWN,
        o,
    }))
}

#[derive(Deserialize, Default)]
pub struct DeviceQuery {
    #[serde(default)]
    d: String,
}

#[derive(Template)]
#[template(path = "records/online/device.html")]
struct DevicePage {
    layout: Layout,
    query: String,
    v: Option<DeviceView>,
    days: Vec<DayView>,
    ticks: Vec<(i64, String)>,
}

/// One device's users: `?d=设备标识`; without it, a form to look one up.
pub async fn device(
    State(st): State<AppState>,
    user: CurrentUser,
    Query(q): Query<DeviceQuery>,
) -> Result<Response, AppError> {
    let query = q.d.trim().to_string();
    let v = if query.is_empty() {
        None
    } else {
        Some(
            online::device(&st.store, &user.scope, &query)
                .await?
                .ok_or(AppError::NotFound)?,
        )
    };
    let days = v
        .iter()
        .flat_map(|v| v.days.iter().cloned())
        .map(|d| DayView::new(d, &Named::default()))
        .collect();
    let title = if query.is_empty() {
        "设备查询".to_string()
    } else {
        format!("设备 {query}")
    };
    Ok(render(DevicePage {
        layout: Layout::new(&user, title, "online"),
        query,
        v,
        days,
        ticks: ticks(),
    }))
}

/// The template of a platform's logs: the four sheets, each with one example row.
pub async fn template(_user: CurrentUser) -> Result<Response, AppError> {
    let bytes =
        anpei_import::online_template_workbook().map_err(|e| AppError::Internal(e.into()))?;
    Ok((
        [
            (
                axum::http::header::CONTENT_TYPE,
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet".to_string(),
            ),
            (
                axum::http::header::CONTENT_DISPOSITION,
                crate::evidence::attachment_disposition(
                    "网络培训平台日志导入模板.xlsx",
                    "online-logs-template.xlsx",
                ),
            ),
        ],
        bytes,
    )
        .into_response())
}
