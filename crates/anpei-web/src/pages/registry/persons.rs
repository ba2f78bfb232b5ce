//! 从业人员: the scoped list (masked) and a person's page with certificates and training.
//! Roles the security policy lets unmask see a 查看完整号码 control beside the masked ID
//! and phone numbers: a form with a reason that shows the full number once, audited.

use crate::auth::CurrentUser;
use crate::error::AppError;
use crate::pages::{is_htmx, paging, render, Layout, Pager, Show};
use crate::AppState;
use anpei_core::Post;
use anpei_store::platform::security::{self, UnmaskField};
use anpei_store::registry::persons::{self, PersonDetail, PersonFilter, PersonRow};
use anpei_store::StoreError;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum::Form;
use serde::Deserialize;

#[derive(Debug, Default, Deserialize)]
pub struct PersonQuery {
    pub subject_id: Option<i32>,
    pub post: Option<String>,
    pub q: Option<String>,
    pub page: Option<crate::pages::PageParam>,
    pub per_page: Option<crate::pages::PageParam>,
}

impl PersonQuery {
    pub fn filter(&self) -> PersonFilter {
        PersonFilter {
            subject_id: self.subject_id,
            post: self
                .post
                .as_deref()
                .and_then(|p| Post::from_code(p).or_else(|| Post::from_label(p))),
            q: self.q.clone().filter(|s| !s.trim().is_empty()),
        }
    }

    fn base_query(&self) -> String {
        let sid = self.subject_id.map(|s| s.to_string());
        crate::pages::query_string(&[("subject_id", &sid), ("post", &self.post), ("q", &self.q)])
    }
}

#[derive(Template)]
#[template(path = "registry/persons/list.html")]
struct ListPage {
    layout: Layout,
    results: Results,
    posts: &'static [Post],
    q: PersonQuery,
}

#[derive(Template)]
#[template(path = "registry/persons/results.html")]
struct Results {
    rows: Vec<PersonRow>,
    pager: Pager,
}

pub async fn list(
    State(st): State<AppState>,
    user: CurrentUser,
    headers: HeaderMap,
    Query(q): Query<PersonQuery>,
) -> Result<Response, AppError> {
    let (page, per_page) = paging(q.page, q.per_page);
    let (rows, total) = persons::list(&st.store, &user.scope, &q.filter(), page, per_page).await?;
    let results = Results {
        rows,
        pager: Pager {
            page,
            per_page,
            total,
            base_query: q.base_query(),
        },
    };
    if is_htmx(&headers) {
        return Ok(render(results));
    }
    Ok(render(ListPage {
        layout: Layout::new(&user, "从业人员", "persons"),
        results,
        posts: Post::ALL,
        q,
    }))
}

#[derive(Template)]
#[template(path = "registry/persons/detail.html")]
struct DetailPage {
    layout: Layout,
    p: PersonDetail,
    /// Whether the policy lets this role unmask (the control shows).
    can_unmask: bool,
    /// The full ID number, once, after an unmasking.
    full_id: Option<String>,
    /// The full phone number, once, after an unmasking.
    full_phone: Option<String>,
    /// Which control the error is about, and the error.
    error: Option<(&'static str, String)>,
    reason: String,
    reason_min: usize,
    /// 逢查必考 results: a failed test is flagged.
    spot_tests: Vec<anpei_store::enforcement::SpotRow>,
}

impl DetailPage {
    fn new(st: &AppState, user: &CurrentUser, p: PersonDetail) -> DetailPage {
        DetailPage {
            layout: Layout::new(user, p.person.name.clone(), "persons"),
            p,
            can_unmask: st.store.policy().may_unmask(user.role),
            full_id: None,
            full_phone: None,
            error: None,
            reason: String::new(),
            reason_min: security::REASON_MIN_CHARS,
            spot_tests: Vec::new(),
        }
    }

    /// Whether an on-the-spot test was failed (the page flags it).
    fn spot_failed(&self) -> bool {
        self.spot_tests.iter().any(|t| !t.passed)
    }

    /// The error of the unmask control of `field`, if the last attempt failed there.
    fn error_for(&self, field: &str) -> Option<&str> {
        self.error
            .as_ref()
            .filter(|(f, _)| *f == field)
            .map(|(_, m)| m.as_str())
    }
}

pub async fn detail(
    State(st): State<AppState>,
    user: CurrentUser,
    Path(id): Path<i32>,
) -> Result<Response, AppError> {
    let p = persons::get(&st.store, &user.scope, id)
        .await?
        .ok_or(AppError::NotFound)?;
    let mut page = DetailPage::new(&st, &user, p);
    page.spot_tests = crate::pages::enforcement::person_spot_tests(&st, &user, id).await?;
    Ok(render(page))
}

#[derive(Deserialize)]
pub struct UnmaskForm {
    #[serde(default)]
    field: String,
    #[serde(default)]
    reason: String,
}

/// 查看完整号码: the person's page with the full ID or phone number shown once (the
/// response is not cached), for a role in the policy's `unmask_roles` (403 otherwise),
/// of a person in scope (404 otherwise), with a reason of at least five characters;
/// audited as `person.unmask` with the reason.
pub async fn unmask(
    State(st): State<AppState>,
    user: CurrentUser,
    Path(id): Path<i32>,
    Form(f): Form<UnmaskForm>,
) -> Result<Response, AppError> {
    let field = UnmaskField::from_code(&f.field).unwrap_or(UnmaskField::IdNumber);
    // Looking up a few people, not harvesting numbers: per user, before anything is read.
    if st.store.policy().may_unmask(user.role) {
        if let Err(wait) = st.limiter.check(
            crate::ratelimit::Bucket::Unmask,
            &format!("user:{}", user.id),
        ) {
            return Ok(wait.page());
        }
    }
    let outcome = security::unmask_person(
        &st.store,
        user.role,
        &user.scope,
        &user.actor(),
        id,
        field,
        &f.reason,
    )
    .await;
    let full = match outcome {
        Ok(Some(v)) => Ok(v),
        Ok(None) => return Err(AppError::NotFound),
        Err(StoreError::Validation(m)) => Err(m),
        Err(e) => return Err(e.into()),
    };
    let p = persons::get(&st.store, &user.scope, id)
        .await?
        .ok_or(AppError::NotFound)?;
    let mut page = DetailPage::new(&st, &user, p);
    let status = match full {
        Ok(v) => {
            match field {
                UnmaskField::IdNumber => page.full_id = Some(v),
                UnmaskField::Phone => page.full_phone = Some(v),
            }
            StatusCode::OK
        }
        Err(m) => {
            page.error = Some((field.code(), m));
            page.reason = f.reason.trim().chars().take(200).collect();
            StatusCode::UNPROCESSABLE_ENTITY
        }
    };
    let mut res = render(page);
    *res.status_mut() = status;
    Ok(res)
}
