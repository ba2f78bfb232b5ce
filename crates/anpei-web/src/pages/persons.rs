//! 从业人员: the scoped list (masked) and a person's page with certificates and training.

use super::{is_htmx, paging, render, Layout, Pager, Show};
use crate::auth::CurrentUser;
use crate::error::AppError;
use crate::AppState;
use anpei_core::Post;
use anpei_store::persons::{self, PersonDetail, PersonFilter, PersonRow};
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use axum::response::Response;
use serde::Deserialize;

#[derive(Debug, Default, Deserialize)]
pub struct PersonQuery {
    pub subject_id: Option<i32>,
    pub post: Option<String>,
    pub q: Option<String>,
    pub page: Option<u64>,
    pub per_page: Option<u64>,
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
        super::query_string(&[("subject_id", &sid), ("post", &self.post), ("q", &self.q)])
    }
}

#[derive(Template)]
#[template(path = "persons/list.html")]
struct ListPage {
    layout: Layout,
    results: Results,
    posts: &'static [Post],
    q: PersonQuery,
}

#[derive(Template)]
#[template(path = "persons/results.html")]
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
#[template(path = "persons/detail.html")]
struct DetailPage {
    layout: Layout,
    p: PersonDetail,
}

pub async fn detail(
    State(st): State<AppState>,
    user: CurrentUser,
    Path(id): Path<i32>,
) -> Result<Response, AppError> {
    let p = persons::get(&st.store, &user.scope, id)
        .await?
        .ok_or(AppError::NotFound)?;
    Ok(render(DetailPage {
        layout: Layout::new(&user, p.person.name.clone(), "persons"),
        p,
    }))
}
