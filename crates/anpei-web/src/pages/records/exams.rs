//! Exam sites' and exam institutions' records: the subject's exam page (plans,
//! sessions, credentials, equipment, qualification), one session's page, a new plan, and
//! the workbook upload. Every handler finds its subject through the scope first, so a
//! foreign id answers 404 whatever the body.

mod export;
mod workbook;

pub use workbook::COLUMNS;

use crate::auth::CurrentUser;
use crate::error::AppError;
use crate::pages::records::training::{refuse_full_export, ExportQuery};
use crate::pages::{render, Layout};
use crate::{evidence, AppState};
use anpei_import::cells::parse_datetime;
use anpei_store::records::exams::{self, Counts, Overview, PlanInput, SessionDetail};
use anpei_store::StoreError;
use askama::Template;
use axum::extract::multipart::MultipartRejection;
use axum::extract::{Multipart, Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;

/// Labels for templates.
pub fn role_label(code: &str) -> &'static str {
    exams::role_label(code)
}

pub fn credential_label(code: &str) -> &'static str {
    exams::credential_label(code)
}

pub fn system_label(code: &str) -> &'static str {
    exams::system_label(code)
}

#[derive(Template)]
#[template(path = "records/exams/subject.html")]
pub struct SubjectPage {
    layout: Layout,
    o: Overview,
    /// Exam sites an exam institution may plan at (empty for an exam site: its own).
    sites: Vec<(i32, String)>,
    today: chrono::NaiveDate,
    errors: Vec<String>,
    imported: Option<Counts>,
    /// Whether the 可重新导入 export (full ID numbers and phones) is offered.
    can_export_full: bool,
    /// Open findings of the records checks at this subject, and its id.
    findings: Vec<anpei_store::ledger::findings::FindingRow>,
    subject_id: i32,
}

async fn subject_page(
    st: &AppState,
    user: &CurrentUser,
    id: i32,
    errors: Vec<String>,
    imported: Option<Counts>,
) -> Result<Response, AppError> {
    let o = exams::overview(&st.store, &user.scope, id).await?;
    let sites = if o.subject.kind == anpei_core::SubjectKind::ExamInstitution {
        exams::sites(&st.store).await?
    } else {
        Vec::new()
    };
    let findings = anpei_store::ledger::findings::records_open(&st.store, &user.scope, id).await?;
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    Ok((
        status,
        render(SubjectPage {
            layout: Layout::new(user, format!("{} 考试记录", o.subject.name), "exams"),
            today: st.store.today(),
            o,
            sites,
            errors,
            imported,
            can_export_full: st.store.policy().may_export_personal(user.role),
            findings,
            subject_id: id,
        }),
    )
        .into_response())
}

/// `GET /exams/subjects/{id}`.
#[tracing::instrument(skip_all)]
pub async fn subject(
    State(st): State<AppState>,
    user: CurrentUser,
    Path(id): Path<i32>,
) -> Result<Response, AppError> {
    subject_page(&st, &user, id, Vec::new(), None).await
}

fn field<'a>(form: &'a [(String, String)], k: &str) -> &'a str {
    form.iter()
        .find(|(n, _)| n == k)
        .map_or("", |(_, v)| v.trim())
}

fn form_datetime(
    form: &[(String, String)],
    k: &str,
    label: &str,
    errors: &mut Vec<String>,
) -> Option<chrono::NaiveDateTime> {
    // `datetime-local` inputs send `2025-03-05T09:00`.
    match parse_datetime(&field(form, k).replace('T', " ")) {
        Ok((d, Some(t))) => Some(d.and_time(t)),
        Ok((_, None)) => {
            errors.push(format!("{label}：应写明时刻，如 2025-03-05 09:00"));
            None
        }
        Err(e) => {
            errors.push(format!("{label}：{e}"));
            None
        }
    }
}

/// `POST /exams/subjects/{id}/plans` (`starts_at`, `ends_at`, `category`, `candidates`).
#[tracing::instrument(skip_all)]
pub async fn create_plan(
    State(st): State<AppState>,
    user: CurrentUser,
    Path(id): Path<i32>,
    Form(form): Form<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    let s = exams::owner(&st.store, &user.scope, id).await?;
    if let Some(why) = exams::plan_refusal(&st.store, &s).await? {
        return subject_page(&st, &user, id, vec![why], None).await;
    }
    let mut errors = Vec::new();
    let starts = form_datetime(&form, "starts_at", "开始时间", &mut errors);
    let ends = form_datetime(&form, "ends_at", "结束时间", &mut errors);
    let candidates = match field(&form, "candidates").parse::<i32>() {
        Ok(n) => Some(n),
        Err(_) => {
            errors.push("计划人数：应为正整数".into());
            None
        }
    };
    let (Some(starts_at), Some(ends_at), Some(planned_candidates)) = (starts, ends, candidates)
    else {
        return subject_page(&st, &user, id, errors, None).await;
    };
    let site_id = match field(&form, "site_id") {
        "" => None,
        v => match v.parse::<i32>() {
            Ok(n) => Some(n),
            Err(_) => {
                return subject_page(&st, &user, id, vec!["考试点：请选择".into()], None).await
            }
        },
    };
    let input = PlanInput {
        site_id,
        starts_at,
        ends_at,
        category: field(&form, "category").to_string(),
        planned_candidates,
    };
    match exams::create_plan(&st.store, &user.actor(), &user.scope, id, &input).await {
        Ok(_) => Ok(Redirect::to(&format!("/exams/subjects/{id}#plans")).into_response()),
        Err(StoreError::Validation(m)) => subject_page(&st, &user, id, vec![m], None).await,
        Err(e) => Err(e.into()),
    }
}

/// `POST /exams/subjects/{id}/import` (multipart `file`): the workbook, all or nothing.
#[tracing::instrument(skip_all)]
pub async fn import(
    State(st): State<AppState>,
    user: CurrentUser,
    Path(id): Path<i32>,
    mp: Result<Multipart, MultipartRejection>,
) -> Result<Response, AppError> {
    exams::owner(&st.store, &user.scope, id).await?;
    let Ok(mp) = mp else {
        let m = "请以 multipart/form-data 表单上传工作簿（字段 file）。".to_string();
        return subject_page(&st, &user, id, vec![m], None).await;
    };
    let form = evidence::read_upload(mp, evidence::limits(&st).max_bytes).await?;
    let Some((name, bytes)) = &form.file else {
        return subject_page(&st, &user, id, vec!["请选择要上传的工作簿。".into()], None).await;
    };
    // Type by content, size and zip-bomb limits before the workbook is opened: the reader
    // inflates every sheet in memory.
    let name = evidence::clean_name(name);
    if let Err((status, m)) = crate::ingest_file::screen_workbook(&st, &name, bytes) {
        let mut res = subject_page(&st, &user, id, vec![m], None).await?;
        *res.status_mut() = status;
        return Ok(res);
    }
    let sites = exams::site_index(&st.store).await?;
    let upload = match workbook::read(bytes, &sites) {
        Ok(u) => u,
        Err(errors) => return subject_page(&st, &user, id, errors, None).await,
    };
    match exams::import(&st.store, &user.actor(), &user.scope, id, &upload).await? {
        Ok(c) => {
            // The checks see the new records at once, here and at the other institutions
            // and sites they are compared with (the daily scan would find them too).
            crate::pages::ledger::findings::rescan_records(&st, &user).await?;
            subject_page(&st, &user, id, Vec::new(), Some(c)).await
        }
        Err(errors) => subject_page(&st, &user, id, errors, None).await,
    }
}

#[derive(Template)]
#[template(path = "records/exams/session.html")]
pub struct SessionPage {
    layout: Layout,
    d: SessionDetail,
}

/// `GET /exams/sessions/{id}`.
#[tracing::instrument(skip_all)]
pub async fn session(
    State(st): State<AppState>,
    user: CurrentUser,
    Path(id): Path<i32>,
) -> Result<Response, AppError> {
    let d = exams::session(&st.store, &user.scope, id).await?;
    Ok(render(SessionPage {
        layout: Layout::new(&user, format!("考试场次 {}", d.session.room), "exams"),
        d,
    }))
}

/// `GET /exams/subjects/{id}/export.xlsx`: the subject's records in the upload's sheets,
/// ID numbers and phones masked; with `?full=1` in full (可重新导入), for the roles the
/// policy lets export personal data only (403 and audited as failed otherwise).
#[tracing::instrument(skip_all)]
pub async fn export(
    State(st): State<AppState>,
    user: CurrentUser,
    Path(id): Path<i32>,
    Query(q): Query<ExportQuery>,
) -> Result<Response, AppError> {
    let full = q.full();
    exams::owner(&st.store, &user.scope, id).await?;
    if full {
        if let Some(refused) =
            refuse_full_export(&st, &user, "exam_records.export", format!("subject:{id}")).await?
        {
            return Ok(refused);
        }
    }
    let x = exams::export(&st.store, &user.scope, id, full).await?;
    let bytes = export::workbook(&x).map_err(|e| AppError::Internal(anyhow::Error::msg(e)))?;
    let mut event =
        anpei_store::platform::audit::Event::ok("exam_records.export", format!("subject:{id}"));
    if full {
        event = event.with_detail(format!("full=1 {}", export::counts(&x)));
    }
    anpei_store::platform::audit::record(&st.store, &user.actor(), event).await?;
    let (name, ascii) = if full {
        (
            format!("{}考试记录（可重新导入）.xlsx", x.o.subject.name),
            format!("exam-records-{id}-full.xlsx"),
        )
    } else {
        (
            format!("{}考试记录.xlsx", x.o.subject.name),
            format!("exam-records-{id}.xlsx"),
        )
    };
    Ok((
        [
            (
                axum::http::header::CONTENT_TYPE,
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet".to_string(),
            ),
            (
                axum::http::header::CONTENT_DISPOSITION,
                evidence::attachment_disposition(&name, &ascii),
            ),
        ],
        bytes,
    )
        .into_response())
}

#[derive(Template)]
#[template(path = "records/exams/list.html")]
pub struct ListPage {
    layout: Layout,
    rows: Vec<exams::ListRow>,
}

/// `GET /exams`: the exam sites and exam institutions in scope.
#[tracing::instrument(skip_all)]
pub async fn list(State(st): State<AppState>, user: CurrentUser) -> Result<Response, AppError> {
    let rows = exams::list(&st.store, &user.scope).await?;
    Ok(render(ListPage {
        layout: Layout::new(&user, "考试点与考试机构", "exams"),
        rows,
    }))
}

/// `GET /exams/template.xlsx`: an empty workbook with the upload's sheets and columns
/// (required columns first, then the optional ones).
#[tracing::instrument(skip_all)]
pub async fn template(_user: CurrentUser) -> Result<Response, AppError> {
    let sheets: Vec<anpei_import::sheets::Sheet> = COLUMNS
        .iter()
        .map(|(name, required, optional)| {
            let header = required
                .iter()
                .chain(optional.iter())
                .map(|c| c.to_string())
                .collect();
            (name.to_string(), vec![header])
        })
        .collect();
    let bytes = anpei_import::sheets::write_sheets(&sheets)
        .map_err(|e| AppError::Internal(anyhow::Error::msg(e)))?;
    Ok((
        [
            (
                axum::http::header::CONTENT_TYPE,
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            ),
            (
                axum::http::header::CONTENT_DISPOSITION,
                &evidence::attachment_disposition(
                    "考试记录导入模板.xlsx",
                    "exam-records-template.xlsx",
                ),
            ),
        ],
        bytes,
    )
        .into_response())
}
