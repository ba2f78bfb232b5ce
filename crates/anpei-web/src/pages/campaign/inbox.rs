//! 消息: the signed-in user's inbox (reminders of the daily job, notices of the problem
//! list), newest first; opening a message marks it read and follows its link.

use crate::auth::CurrentUser;
use crate::error::AppError;
use crate::pages::campaign::progress::reselect_results;
use crate::pages::{is_htmx, paging, render, Layout, Pager};
use crate::AppState;
use anpei_store::model::InboxMessage;
use anpei_store::platform::inbox;
use askama::Template;
use axum::extract::{Query, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use serde::Deserialize;

#[derive(Debug, Default, Deserialize)]
pub struct InboxQuery {
    unread: Option<String>,
    page: Option<crate::pages::PageParam>,
    per_page: Option<crate::pages::PageParam>,
}

/// A message as the page shows it.
pub struct Item {
    pub m: InboxMessage,
    pub kind: &'static str,
    pub at: String,
}

#[derive(Template)]
#[template(path = "campaign/inbox/page.html")]
struct InboxPage {
    layout: Layout,
    items: Vec<Item>,
    pager: Pager,
    unread_only: bool,
    unread: u64,
}

/// `GET /inbox[?unread=1]`.
pub async fn page(
    State(st): State<AppState>,
    user: CurrentUser,
    headers: HeaderMap,
    Query(q): Query<InboxQuery>,
) -> Result<Response, AppError> {
    let unread_only = q.unread.as_deref() == Some("1");
    let (page, per_page) = paging(q.page, q.per_page);
    let (rows, total) = inbox::list(&st.store, user.id, unread_only, page, per_page).await?;
    let unread = inbox::unread_count(&st.store, user.id).await?;
    let items = rows
        .into_iter()
        .map(|m| Item {
            kind: inbox::kind_label(&m.kind),
            at: anpei_store::campaign::problems::china_time(m.created_at),
            m,
        })
        .collect();
    let mut res = render(InboxPage {
        layout: Layout::new(&user, "消息", "inbox"),
        items,
        pager: Pager {
            page,
            per_page,
            total,
            base_query: if unread_only {
                "unread=1".into()
            } else {
                String::new()
            },
        },
        unread_only,
        unread,
    });
    if is_htmx(&headers) {
        reselect_results(&mut res);
    }
    Ok(res)
}

#[derive(Debug, Default, Deserialize)]
pub struct ReadForm {
    #[serde(default)]
    id: String,
    #[serde(default)]
    all: String,
}

/// Only a path inside the application is followed (never another site).
fn internal(link: &str) -> &str {
    if link.starts_with('/') && !link.starts_with("//") && !link.contains('\\') {
        link
    } else {
        "/inbox"
    }
}

/// `POST /inbox/read`: `id` marks one of the user's messages read and opens its link;
/// `all=1` marks all read.
pub async fn read(
    State(st): State<AppState>,
    user: CurrentUser,
    Form(f): Form<ReadForm>,
) -> Result<Response, AppError> {
    if f.all == "1" {
        inbox::mark_all_read(&st.store, &user.actor(), user.id).await?;
        return Ok(Redirect::to("/inbox").into_response());
    }
    let id: i32 =
        f.id.trim()
            .parse()
            .map_err(|_| AppError::BadRequest("请选择要查看的消息。".into()))?;
    let link = inbox::mark_read(&st.store, &user.actor(), user.id, id).await?;
    Ok(Redirect::to(internal(&link)).into_response())
}

#[cfg(test)]
mod tests {
    use super::internal;

    #[test]
    fn only_links_inside_the_application_are_followed() {
        assert_eq!(internal("/problems/3"), "/problems/3");
        assert_eq!(internal("//evil.example/x"), "/inbox");
        assert_eq!(internal("https://evil.example/"), "/inbox");
        assert_eq!(internal("/\\evil.example"), "/inbox");
    }
}
