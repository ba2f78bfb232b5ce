//! Server-rendered pages: one typed template struct per page, one `render` that turns it
//! into a response, the error page rendered the same way.

pub mod account;
pub mod audit;
pub mod campaign;
pub mod dashboard;
pub mod enforcement;
pub mod exams;
pub mod findings;
pub mod imports;
pub mod inbox;
pub mod mfa;
pub mod persons;
pub mod problems;
pub mod progress;
pub mod reference;
pub mod security;
pub mod selfcheck;
pub mod subjects;
pub mod supervision;
pub mod tipoffs;
pub mod training;
pub mod users;

use crate::auth::CurrentUser;
use crate::error::AppError;
use askama::Template;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Response};

/// Renders a template, or answers an opaque 500 if rendering fails.
pub fn render<T: Template>(t: T) -> Response {
    match t.render() {
        Ok(html) => Html(html).into_response(),
        Err(e) => {
            tracing::error!(error = %e, "template rendering failed");
            (
                StatusCode::INTERNAL_SERVER_ERROR,
                [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
                "系统内部错误",
            )
                .into_response()
        }
    }
}

/// Shows optional values in templates: the value, or a dash.
pub trait Show {
    fn show(&self) -> String;
}

impl<T: std::fmt::Display> Show for Option<T> {
    fn show(&self) -> String {
        self.as_ref()
            .map_or_else(|| "—".to_string(), |v| v.to_string())
    }
}

/// Whether the request came from htmx (then a partial is enough).
pub fn is_htmx(headers: &HeaderMap) -> bool {
    headers.contains_key("hx-request") && !headers.contains_key("hx-history-restore-request")
}

pub struct NavItem {
    pub href: &'static str,
    pub label: &'static str,
    pub key: &'static str,
}

/// The navigation: each entry shows to the roles its page's permission allows.
const NAV: &[(&str, &str, &str, crate::Perm)] = &[
    ("/", "工作台", "home", crate::Perm::SignedIn),
    (
        "/campaigns",
        "专项整治",
        "campaigns",
        crate::Perm::ViewBusiness,
    ),
    (
        "/selfcheck",
        "自查自改",
        "selfcheck",
        crate::Perm::ViewBusiness,
    ),
    (
        "/subjects",
        "监管对象",
        "subjects",
        crate::Perm::ViewBusiness,
    ),
    ("/persons", "从业人员", "persons", crate::Perm::ViewBusiness),
    (
        "/findings",
        "问题线索",
        "findings",
        crate::Perm::ViewBusiness,
    ),
    (
        "/problems",
        "问题清单",
        "problems",
        crate::Perm::ViewBusiness,
    ),
    (
        "/progress",
        "工作进度",
        "progress",
        crate::Perm::ViewBusiness,
    ),
    ("/inbox", "消息", "inbox", crate::Perm::SignedIn),
    (
        "/supervision",
        "考核督查",
        "supervision",
        crate::Perm::District,
    ),
    ("/summary", "总结报告", "summary", crate::Perm::Supervise),
    ("/bulletin", "通报", "bulletin", crate::Perm::District),
    ("/imports", "台账导入", "imports", crate::Perm::ViewBusiness),
    ("/tipoffs", "举报处理", "tipoffs", crate::Perm::Supervise),
    (
        "/training",
        "培训档案",
        "training",
        crate::Perm::ViewBusiness,
    ),
    ("/exams", "考试监管", "exams", crate::Perm::ViewBusiness),
    (
        "/inspections",
        "执法检查",
        "inspections",
        crate::Perm::Supervise,
    ),
    (
        "/enforcement/coverage",
        "检查覆盖率",
        "coverage",
        crate::Perm::Supervise,
    ),
    (
        "/enforcement/actions",
        "执法处理",
        "enforcement_actions",
        crate::Perm::Supervise,
    ),
    (
        "/enforcement/cases",
        "典型案例",
        "cases",
        crate::Perm::District,
    ),
    ("/rules", "规则目录", "rules", crate::Perm::ViewBusiness),
    ("/admin/users", "账号管理", "users", crate::Perm::Administer),
    ("/admin/audit", "审计日志", "audit", crate::Perm::Audit),
    (
        "/admin/security",
        "安全策略",
        "security",
        crate::Perm::Security,
    ),
    ("/admin/grants", "角色授权", "grants", crate::Perm::Security),
    (
        "/admin/reference",
        "镇街与部门",
        "reference",
        crate::Perm::Administer,
    ),
    (
        "/account/password",
        "修改密码",
        "password",
        crate::Perm::SignedIn,
    ),
    ("/account/mfa", "两步验证", "mfa", crate::Perm::SignedIn),
    (
        "/account/tokens",
        "接口令牌",
        "tokens",
        crate::Perm::SignedIn,
    ),
];

/// What the shared layout needs: who is signed in, the navigation for the role.
pub struct Layout {
    pub title: String,
    pub active: &'static str,
    pub user_name: String,
    pub role_label: &'static str,
    pub csrf: String,
    pub nav: Vec<NavItem>,
    pub can_edit: bool,
    /// Unread messages in the user's inbox (the header's badge).
    pub unread: u64,
    /// The campaign's current phase, or 常态化监管 (the header's banner).
    pub phase: std::sync::Arc<campaign::PhaseBanner>,
    /// Whether the banner links to the campaign's page (roles with business data).
    pub phase_link: bool,
}

impl Layout {
    pub fn new(user: &CurrentUser, title: impl Into<String>, active: &'static str) -> Layout {
        let nav = NAV
            .iter()
            .filter(|(_, _, _, perm)| perm.allows(Some(user.role)))
            .map(|&(href, label, key, _)| NavItem { href, label, key })
            .collect();
        Layout {
            title: title.into(),
            active,
            user_name: user.display_name.clone(),
            role_label: user.role.label(),
            csrf: user.csrf.clone(),
            nav,
            can_edit: crate::Perm::EditSubjects.allows(Some(user.role)),
            unread: user.unread,
            phase: user.phase.clone(),
            phase_link: crate::Perm::ViewBusiness.allows(Some(user.role)),
        }
    }
}

#[derive(Template)]
#[template(path = "error.html")]
pub struct ErrorPage {
    pub status: u16,
    pub message: String,
}

pub async fn not_found() -> AppError {
    AppError::NotFound
}

/// Pagination state for list pages.
pub struct Pager {
    pub page: u64,
    pub per_page: u64,
    pub total: u64,
    /// The query string without `page`, to build links.
    pub base_query: String,
}

impl Pager {
    pub fn pages(&self) -> u64 {
        self.total.div_ceil(self.per_page).max(1)
    }

    pub fn link(&self, page: impl std::borrow::Borrow<u64>) -> String {
        let page = *page.borrow();
        if self.base_query.is_empty() {
            format!("?page={page}")
        } else {
            format!("?{}&page={page}", self.base_query)
        }
    }

    /// Page numbers to show around the current one.
    pub fn window(&self) -> Vec<u64> {
        let last = self.pages();
        let lo = self.page.saturating_sub(3).max(1);
        let hi = (self.page + 3).min(last);
        (lo..=hi).collect()
    }
}

/// A query string of the given non-empty parameters (pager links, export links).
pub fn query_string(pairs: &[(&str, &Option<String>)]) -> String {
    let present: Vec<(&str, &str)> = pairs
        .iter()
        .filter_map(|(k, v)| v.as_deref().filter(|s| !s.is_empty()).map(|v| (*k, v)))
        .collect();
    serde_urlencoded::to_string(present).unwrap_or_default()
}

/// A query parameter trimmed, or `None` when absent or blank.
pub fn nonempty(o: &Option<String>) -> Option<String> {
    o.as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(String::from)
}

/// The `town` parameter as an id: given as an id or a name; an unknown one matches nothing.
pub fn town_param(o: &Option<String>, towns: &[anpei_store::entity::town::Model]) -> Option<i32> {
    nonempty(o).map(|t| {
        t.parse()
            .ok()
            .or_else(|| towns.iter().find(|x| x.name == t).map(|x| x.id))
            .unwrap_or(-1)
    })
}

/// Clamps paging parameters from a query.
pub fn paging(page: Option<u64>, per_page: Option<u64>) -> (u64, u64) {
    (
        page.unwrap_or(1).max(1),
        per_page.unwrap_or(20).clamp(1, 200),
    )
}
