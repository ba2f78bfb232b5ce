//! Server-rendered pages: one typed template struct per page, one `render` that turns it
//! into a response, the error page rendered the same way.

pub mod campaign;
pub mod enforcement;
pub mod ledger;
pub mod platform;
pub mod records;
pub mod registry;

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

/// The navigation, in groups: each entry shows to the roles its page's permission allows,
/// and a group with nothing to show is left out.
/// One entry of the navigation: link, label, key (the page's `active`), permission.
type NavEntry = (&'static str, &'static str, &'static str, crate::Perm);

/// Every role's first group: its work bench and inbox.
const HOME_GROUP: (&str, &[NavEntry]) = (
    "工作台",
    &[
        ("/", "工作台", "home", crate::Perm::SignedIn),
        ("/inbox", "消息", "inbox", crate::Perm::SignedIn),
    ],
);

/// Every role's last group: its own password, second factor and API tokens.
const PERSONAL_GROUP: (&str, &[NavEntry]) = (
    "个人设置",
    &[
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
    ],
);

const NAV: &[(&str, &[NavEntry])] = {
    use crate::Perm::*;
    &[
        HOME_GROUP,
        (
            "专项整治",
            &[
                ("/campaigns", "专项整治", "campaigns", ViewBusiness),
                ("/selfcheck", "自查自改", "selfcheck", ViewBusiness),
                ("/problems", "问题清单", "problems", ViewBusiness),
                ("/progress", "工作进度", "progress", ViewBusiness),
            ],
        ),
        (
            "监管数据",
            &[
                ("/subjects", "监管对象", "subjects", ViewBusiness),
                ("/persons", "从业人员", "persons", ViewBusiness),
                ("/training", "培训档案", "training", ViewBusiness),
                ("/online", "网络培训", "online", ViewBusiness),
                ("/exams", "考试监管", "exams", ViewBusiness),
                ("/imports", "台账导入", "imports", ViewBusiness),
                ("/findings", "问题线索", "findings", ViewBusiness),
                ("/rules", "规则目录", "rules", ViewBusiness),
            ],
        ),
        (
            "执法监督",
            &[
                ("/inspections", "执法检查", "inspections", Supervise),
                ("/enforcement/coverage", "检查覆盖率", "coverage", Supervise),
                (
                    "/enforcement/actions",
                    "执法处理",
                    "enforcement_actions",
                    Supervise,
                ),
                ("/tipoffs", "举报处理", "tipoffs", Supervise),
                ("/enforcement/cases", "典型案例", "cases", District),
            ],
        ),
        (
            "考核总结",
            &[
                ("/supervision", "考核督查", "supervision", District),
                ("/summary", "总结报告", "summary", Supervise),
                ("/bulletin", "通报", "bulletin", District),
            ],
        ),
        (
            "系统管理",
            &[
                ("/admin/users", "账号管理", "users", Administer),
                (
                    "/admin/reference",
                    "区县、镇街与部门",
                    "reference",
                    Administer,
                ),
                ("/admin/security", "安全策略", "security", Security),
                ("/admin/grants", "角色授权", "grants", Security),
                ("/admin/audit", "审计日志", "audit", Audit),
            ],
        ),
        PERSONAL_GROUP,
    ]
};

/// A subject's account (enterprise, training institution, exam site or institution) sees its
/// own product: its unit, its self-inspection, problems and findings, its ledger and records
/// — none of the regulators' lists, progress or charts.
const SUBJECT_NAV: &[(&str, &[NavEntry])] = {
    use crate::Perm::*;
    &[
        HOME_GROUP,
        (
            "本单位",
            &[
                ("/unit", "单位档案", "subjects", SelfInspect),
                ("/selfcheck", "自查自改", "selfcheck", SelfInspect),
                ("/problems", "问题整改", "problems", SelfInspect),
                ("/findings", "问题线索", "findings", SelfInspect),
            ],
        ),
        (
            "台账与档案",
            &[
                ("/persons", "从业人员", "persons", SelfInspect),
                ("/training", "培训档案", "training", SelfInspect),
                ("/online", "网络培训", "online", SelfInspect),
                ("/exams", "考试记录", "exams", SelfInspect),
                ("/imports", "台账导入", "imports", SelfInspect),
                ("/rules", "检查规则", "rules", SelfInspect),
            ],
        ),
        PERSONAL_GROUP,
    ]
};

/// A group of the navigation with the entries the user may open.
pub struct NavGroup {
    pub label: &'static str,
    pub items: Vec<NavItem>,
}

/// What the shared layout needs: who is signed in, the navigation for the role.
pub struct Layout {
    pub title: String,
    pub active: &'static str,
    pub user_name: String,
    pub role_label: &'static str,
    pub csrf: String,
    pub nav: Vec<NavGroup>,
    pub can_edit: bool,
    /// Unread messages in the user's inbox (the header's badge).
    pub unread: u64,
    /// The campaign's current phase, or 常态化监管 (the header's banner).
    pub phase: std::sync::Arc<campaign::PhaseBanner>,
    /// Whether the banner links to the campaign's page (roles with business data).
    pub phase_link: bool,
}

impl Layout {
    /// Keeps only the entry for `href` (a session that may reach nothing else).
    pub fn nav_only(&mut self, href: &str) {
        for g in &mut self.nav {
            g.items.retain(|n| n.href == href);
        }
        self.nav.retain(|g| !g.items.is_empty());
    }

    pub fn new(user: &CurrentUser, title: impl Into<String>, active: &'static str) -> Layout {
        let groups = if user.role == anpei_store::Role::Subject {
            SUBJECT_NAV
        } else {
            NAV
        };
        let nav = groups
            .iter()
            .map(|&(label, entries)| NavGroup {
                label,
                items: entries
                    .iter()
                    .filter(|(_, _, _, perm)| perm.allows(Some(user.role)))
                    .map(|&(href, label, key, _)| NavItem { href, label, key })
                    .collect(),
            })
            .filter(|g| !g.items.is_empty())
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

/// The 404 of an unknown path: the error page, or under `/api/` the API's JSON error.
pub async fn not_found(uri: axum::http::Uri) -> Response {
    if uri.path().starts_with("/api/") {
        AppError::NotFound.api_response()
    } else {
        AppError::NotFound.into_response()
    }
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

/// 催办 on a list of units that have not done something: the outcome of the last one (from
/// the redirect's `urged`/`already`) and, where the caller may urge and there is someone to
/// urge, the form that posts the list's filters to `action`.
#[derive(Template)]
#[template(path = "urge.html")]
pub struct UrgeBox {
    pub action: &'static str,
    pub csrf: String,
    /// The list's filters, posted back as hidden fields.
    pub fields: Vec<(&'static str, String)>,
    /// The button's text; `None`: no form.
    pub button: Option<String>,
    /// What the units are (未提交自查的单位, 有逾期问题的单位).
    pub units: &'static str,
    /// Units reminded, units already reminded today.
    pub result: Option<(u64, u64)>,
}

impl UrgeBox {
    /// Keeps the filters that are set.
    pub fn filters(pairs: &[(&'static str, &Option<String>)]) -> Vec<(&'static str, String)> {
        pairs
            .iter()
            .filter_map(|(k, v)| {
                v.as_ref()
                    .filter(|v| !v.is_empty())
                    .map(|v| (*k, v.clone()))
            })
            .collect()
    }
}

/// Where a 催办 returns: the list it came from with what it did.
pub fn urged_redirect(list: &str, u: anpei_store::platform::urge::Urged) -> Response {
    let sep = if list.contains('?') { '&' } else { '?' };
    axum::response::Redirect::to(&format!(
        "{list}{sep}urged={}&already={}",
        u.units, u.already_today
    ))
    .into_response()
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
pub fn town_param(o: &Option<String>, towns: &[anpei_store::model::Town]) -> Option<i32> {
    nonempty(o).map(|t| {
        t.parse()
            .ok()
            .or_else(|| towns.iter().find(|x| x.name == t).map(|x| x.id))
            .unwrap_or(-1)
    })
}

/// Rewrites the `town` and `kind` parameters given by name in a link (`town=龙兴镇`,
/// `kind=生产经营单位`) into the id and code the filter controls hold, so that a list opened
/// from such a link shows its filters selected.
pub fn canonical_filters(
    town: &mut Option<String>,
    kind: &mut Option<String>,
    towns: &[anpei_store::model::Town],
) {
    if let Some(id) = town_param(town, towns).filter(|id| *id > 0) {
        *town = Some(id.to_string());
    }
    if let Some(k) = nonempty(kind).and_then(|k| anpei_core::SubjectKind::from_label(&k)) {
        *kind = Some(k.code().to_string());
    }
}

/// The highest page number a list serves; past it a list is empty. Keeps the offset
/// (`(page - 1) * per_page`) far inside what the database binds.
pub const MAX_PAGE: u64 = 100_000;
/// Rows per page at most, and by default.
pub const MAX_PER_PAGE: u64 = 200;
pub const DEFAULT_PER_PAGE: u64 = 20;

/// A `page` or `per_page` query parameter as sent: a number (any count of digits, held at
/// `u64::MAX`), blank, or anything else. Never a reason to refuse the request by itself: the
/// pages read a bad value as the default ([`paging`]); the API refuses it with a JSON 400
/// (`api::paging`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PageParam {
    Blank,
    Number(u64),
    Invalid,
}

impl PageParam {
    pub fn parse(s: &str) -> PageParam {
        let s = s.trim();
        if s.is_empty() {
            PageParam::Blank
        } else if s.bytes().all(|b| b.is_ascii_digit()) {
            // Only an overflow fails here: all digits.
            PageParam::Number(s.parse().unwrap_or(u64::MAX))
        } else {
            PageParam::Invalid
        }
    }

    fn number(this: Option<PageParam>) -> Option<u64> {
        match this {
            Some(PageParam::Number(n)) => Some(n),
            _ => None,
        }
    }
}

impl<'de> serde::Deserialize<'de> for PageParam {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl serde::de::Visitor<'_> for V {
            type Value = PageParam;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a page number")
            }
            fn visit_str<E: serde::de::Error>(self, s: &str) -> Result<PageParam, E> {
                Ok(PageParam::parse(s))
            }
            fn visit_u64<E: serde::de::Error>(self, n: u64) -> Result<PageParam, E> {
                Ok(PageParam::Number(n))
            }
            fn visit_i64<E: serde::de::Error>(self, n: i64) -> Result<PageParam, E> {
                Ok(u64::try_from(n).map_or(PageParam::Invalid, PageParam::Number))
            }
        }
        d.deserialize_any(V)
    }
}

/// The page number of a query: 1 when absent, blank or not a number, at most [`MAX_PAGE`].
pub fn page_number(page: Option<PageParam>) -> u64 {
    PageParam::number(page).unwrap_or(1).clamp(1, MAX_PAGE)
}

/// Clamps paging parameters from a query: the page as [`page_number`], `per_page` between 1
/// and [`MAX_PER_PAGE`] (20 when absent, blank or not a number). Every list, page and API,
/// goes through here, so no request reaches the database with an offset that overflows.
pub fn paging(page: Option<PageParam>, per_page: Option<PageParam>) -> (u64, u64) {
    (
        page_number(page),
        PageParam::number(per_page)
            .unwrap_or(DEFAULT_PER_PAGE)
            .clamp(1, MAX_PER_PAGE),
    )
}
