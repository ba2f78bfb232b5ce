//! 培训档案: training institutions' conditions and classes kept as 一期一档.
//! The list of institutions in the caller's scope; one institution's page (teachers,
//! venues, equipment, classes, upload and export of its class-file workbook); one class's
//! file (schedule with the teacher of each session, roster with masked ID numbers and
//! sign-in/sign-out per session, scores, video metadata). A foreign id answers 404.
//! Uploads: the institution's own account and the district (department and town accounts
//! read only). Exports: masked by default; `?full=1` writes full ID numbers and phones
//! (可重新导入) for the roles the policy lets export personal data only, audited either way.

use crate::auth::CurrentUser;
use crate::error::AppError;
use crate::evidence;
use crate::pages::{render, Layout};
use crate::AppState;
use anpei_core::SubjectKind;
use anpei_store::model::Subject;
use anpei_store::records::training::{self as records, ClassView, Overview};
use anpei_store::{Role, StoreError};
use askama::Template;
use axum::extract::{FromRequest, Multipart, Path, Query, Request, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};

/// Whether a role may upload an institution's class file.
pub fn may_upload(role: Role) -> bool {
    matches!(role, Role::City | Role::District | Role::Subject)
}

#[derive(Template)]
#[template(path = "records/training/list.html")]
struct ListPage {
    layout: Layout,
    institutions: Vec<Subject>,
}

pub async fn list(State(st): State<AppState>, user: CurrentUser) -> Result<Response, AppError> {
    let institutions = records::institutions(&st.store, &user.scope).await?;
    Ok(render(ListPage {
        layout: Layout::new(&user, "培训档案", "training"),
        institutions,
    }))
}

#[derive(Template)]
#[template(path = "records/training/institution.html")]
struct InstitutionPage {
    layout: Layout,
    o: Overview,
    is_institution: bool,
    can_upload: bool,
    /// Whether the 可重新导入 export (full ID numbers and phones) is offered.
    can_export_full: bool,
    notice: Option<String>,
    errors: Vec<String>,
    /// Open findings of the records checks at this institution, and its id.
    findings: Vec<anpei_store::ledger::findings::FindingRow>,
    subject_id: i32,
}

impl InstitutionPage {
    fn employment(&self, e: &str) -> &'static str {
        if e == "full" {
            "专职"
        } else {
            "兼职"
        }
    }
    fn full_time(&self) -> usize {
        self.o
            .teachers
            .iter()
            .filter(|t| t.employment == "full")
            .count()
    }
}

async fn institution_page(
    st: &AppState,
    user: &CurrentUser,
    id: i32,
    notice: Option<String>,
    errors: Vec<String>,
) -> Result<Response, AppError> {
    let o = records::overview(&st.store, &user.scope, id)
        .await?
        .ok_or(AppError::NotFound)?;
    let findings = anpei_store::ledger::findings::records_open(&st.store, &user.scope, id).await?;
    Ok(render(InstitutionPage {
        findings,
        subject_id: id,
        layout: Layout::new(user, format!("{} 培训档案", o.institution.name), "training"),
        is_institution: o.institution.kind == SubjectKind::TrainingInstitution,
        can_upload: may_upload(user.role),
        can_export_full: st.store.policy().may_export_personal(user.role),
        o,
        notice,
        errors,
    }))
}

pub async fn institution(
    State(st): State<AppState>,
    user: CurrentUser,
    Path(id): Path<i32>,
) -> Result<Response, AppError> {
    institution_page(&st, &user, id, None, Vec::new()).await
}

/// Uploads a class-file workbook: strict, all or nothing; every bad cell is listed.
#[tracing::instrument(skip_all)]
pub async fn upload(
    State(st): State<AppState>,
    user: CurrentUser,
    Path(id): Path<i32>,
    req: Request,
) -> Result<Response, AppError> {
    if !may_upload(user.role) {
        return Err(AppError::Forbidden);
    }
    records::institution(&st.store, &user.scope, id)
        .await?
        .ok_or(AppError::NotFound)?;
    let fail = |m: String| vec![m];
    let Ok(mp) = Multipart::from_request(req, &st).await else {
        return institution_page(
            &st,
            &user,
            id,
            None,
            fail("请选择要上传的培训档案工作簿（.xlsx）。".into()),
        )
        .await;
    };
    let form = match evidence::read_upload(mp, evidence::limits(&st).max_bytes).await {
        Ok(f) => f,
        Err(AppError::BadRequest(m)) => {
            return institution_page(&st, &user, id, None, fail(m)).await
        }
        Err(e) => return Err(e),
    };
    let Some((name, bytes)) = form.file else {
        return institution_page(
            &st,
            &user,
            id,
            None,
            fail("请选择要上传的培训档案工作簿（.xlsx）。".into()),
        )
        .await;
    };
    let name = evidence::clean_name(&name);
    // Type by content, size and zip-bomb limits before the workbook is opened: the reader
    // inflates every sheet in memory.
    if let Err((status, m)) = crate::ingest_file::screen_workbook(&st, &name, &bytes) {
        let mut res = institution_page(&st, &user, id, None, vec![m]).await?;
        *res.status_mut() = status;
        return Ok(res);
    }
    let file = match anpei_import::training::read_class_file(&bytes) {
        Ok(f) => f,
        Err(problems) => {
            let mut errs = vec![format!(
                "“{name}”有{}处错误，未导入任何内容：",
                problems.len()
            )];
            errs.extend(problems.iter().map(ToString::to_string));
            return institution_page(&st, &user, id, None, errs).await;
        }
    };
    match records::import(&st.store, &user.actor(), &user.scope, id, &file).await {
        Ok(Ok(done)) => {
            let notice = format!(
                "“{name}”已导入：师资{}名，场地{}处，设备{}项，培训班{}个，课次{}次，学员{}名。",
                done.teachers,
                done.venues,
                done.equipment,
                done.classes,
                done.sessions,
                done.trainees
            );
            // The checks see the new records at once, here and at the other institutions
            // and sites they are compared with (the daily scan would find them too).
            let m = crate::pages::ledger::findings::rescan_records(&st, &user).await?;
            let notice = format!(
                "{notice}已重新检查全区培训、考试记录：问题线索新增 {} 条，消除 {} 条。",
                m.new, m.resolved
            );
            institution_page(&st, &user, id, Some(notice), Vec::new()).await
        }
        Ok(Err(problems)) => {
            let mut errs = vec![format!(
                "“{name}”有{}处错误，未导入任何内容：",
                problems.len()
            )];
            errs.extend(problems.iter().map(ToString::to_string));
            institution_page(&st, &user, id, None, errs).await
        }
        Err(StoreError::Validation(m)) => institution_page(&st, &user, id, None, vec![m]).await,
        Err(e) => Err(e.into()),
    }
}

/// `?full=1` on an export route: the re-importable export with full ID numbers and phones.
#[derive(Debug, Default, serde::Deserialize)]
pub struct ExportQuery {
    #[serde(default)]
    full: Option<String>,
}

impl ExportQuery {
    pub fn full(&self) -> bool {
        matches!(self.full.as_deref(), Some("1" | "true"))
    }
}

/// Refuses the full export to a role the policy does not let export personal data in bulk:
/// the 403 page, and the attempt audited as failed. `None` when allowed.
pub(super) async fn refuse_full_export(
    st: &AppState,
    user: &CurrentUser,
    action: &'static str,
    object: String,
) -> Result<Option<Response>, AppError> {
    let policy = st.store.policy();
    if policy.may_export_personal(user.role) {
        return Ok(None);
    }
    anpei_store::platform::audit::record(
        &st.store,
        &user.actor(),
        anpei_store::platform::audit::Event::ok(action, object)
            .failed()
            .with_detail("full=1 无批量导出个人信息权限"),
    )
    .await?;
    let mut res = render(crate::pages::ErrorPage {
        status: 403,
        message: format!(
            "可重新导入的导出含完整身份证号和联系电话，需要“批量导出个人信息”权限（{}）。\
             如只需查看，请使用脱敏导出。",
            anpei_store::platform::security::roles_text(&policy.personal_export_roles)
        ),
    });
    *res.status_mut() = axum::http::StatusCode::FORBIDDEN;
    Ok(Some(res))
}

/// The institution's records as a workbook with the upload's sheets: ID numbers and
/// phones masked, or with `?full=1` in full (re-importable; personal-export roles only).
#[tracing::instrument(skip_all)]
pub async fn export(
    State(st): State<AppState>,
    user: CurrentUser,
    Path(id): Path<i32>,
    Query(q): Query<ExportQuery>,
) -> Result<Response, AppError> {
    let full = q.full();
    let inst = records::institution(&st.store, &user.scope, id)
        .await?
        .ok_or(AppError::NotFound)?;
    if full {
        if let Some(refused) = refuse_full_export(
            &st,
            &user,
            "training_records.export",
            format!("subject:{id}"),
        )
        .await?
        {
            return Ok(refused);
        }
    }
    let sheets = records::export(&st.store, &user.scope, id, full)
        .await?
        .ok_or(AppError::NotFound)?;
    let bytes =
        anpei_import::training::write_sheets(&sheets).map_err(|e| AppError::Internal(e.into()))?;
    let mut event =
        anpei_store::platform::audit::Event::ok("training_records.export", format!("subject:{id}"));
    if full {
        let counts: Vec<String> = sheets
            .iter()
            .map(|(name, _, rows)| format!("{name}{}", rows.len()))
            .collect();
        event = event.with_detail(format!("full=1 {}", counts.join(" ")));
    }
    anpei_store::platform::audit::record(&st.store, &user.actor(), event).await?;
    let (name, ascii) = if full {
        (
            format!("{}培训档案（可重新导入）.xlsx", inst.name),
            format!("training-records-{id}-full.xlsx"),
        )
    } else {
        (
            format!("{}培训档案.xlsx", inst.name),
            format!("training-records-{id}.xlsx"),
        )
    };
    Ok((
        [
            (
                header::CONTENT_TYPE,
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet".to_string(),
            ),
            (
                header::CONTENT_DISPOSITION,
                evidence::attachment_disposition(&name, &ascii),
            ),
        ],
        bytes,
    )
        .into_response())
}

#[derive(Template)]
#[template(path = "records/training/class.html")]
struct ClassPage {
    layout: Layout,
    c: ClassView,
}

impl ClassPage {
    fn hours(&self, v: &f64) -> String {
        let s = format!("{v:.1}");
        s.strip_suffix(".0").map(str::to_string).unwrap_or(s)
    }
    fn hm(&self, v: &Option<chrono::NaiveDateTime>) -> String {
        v.map_or_else(|| "—".into(), |t| t.format("%H:%M").to_string())
    }
    fn minutes(&self, secs: &Option<i32>) -> String {
        secs.map_or_else(|| "—".into(), |s| format!("{}分钟", s / 60))
    }
    fn short(&self) -> bool {
        self.c.scheduled_hours + 1e-9 < self.c.class.syllabus_hours
    }
}

pub async fn class(
    State(st): State<AppState>,
    user: CurrentUser,
    Path(id): Path<i32>,
) -> Result<Response, AppError> {
    let c = records::class_file(&st.store, &user.scope, id)
        .await?
        .ok_or(AppError::NotFound)?;
    Ok(render(ClassPage {
        layout: Layout::new(&user, format!("培训班 {}", c.class.code), "training"),
        c,
    }))
}

/// The empty class-file workbook: every sheet with its header row, in the upload layout.
pub async fn template(_user: CurrentUser) -> Result<Response, AppError> {
    let sheets: Vec<anpei_import::training::SheetData<'_>> = anpei_core::class_file::SHEETS
        .iter()
        .map(|(name, cols)| (*name, cols.to_vec(), Vec::new()))
        .collect();
    let bytes =
        anpei_import::training::write_sheets(&sheets).map_err(|e| AppError::Internal(e.into()))?;
    Ok((
        [
            (
                header::CONTENT_TYPE,
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet".to_string(),
            ),
            (
                header::CONTENT_DISPOSITION,
                evidence::attachment_disposition(
                    "培训档案导入模板.xlsx",
                    "class-file-template.xlsx",
                ),
            ),
        ],
        bytes,
    )
        .into_response())
}
