//! Errors of the web layer. Users see a Chinese message and a status; internal errors
//! (database, crypto, panics in tasks) are logged with detail and answered with an opaque
//! 500, never with their text. Pages get the HTML error page, the API a JSON body.

use crate::pages::ErrorPage;
use anpei_store::StoreError;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;

#[derive(Debug)]
pub enum AppError {
    NotFound,
    Unauthorized,
    BadCredentials,
    Forbidden,
    Csrf,
    /// A request the server cannot read (a query string or body of the wrong shape): 400.
    Malformed(String),
    BadRequest(String),
    /// Logged with its whole cause chain; the user sees only that something went wrong.
    Internal(anyhow::Error),
}

impl From<StoreError> for AppError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound => AppError::NotFound,
            StoreError::Forbidden => AppError::Forbidden,
            StoreError::Validation(m) | StoreError::Conflict(m) => AppError::BadRequest(m),
            e @ StoreError::Fields(_) => AppError::BadRequest(e.to_string()),
            e @ (StoreError::Db(_) | StoreError::Crypto(_)) => AppError::Internal(e.into()),
        }
    }
}

impl From<sea_orm::DbErr> for AppError {
    fn from(e: sea_orm::DbErr) -> Self {
        AppError::Internal(e.into())
    }
}

impl AppError {
    pub fn status(&self) -> StatusCode {
        match self {
            AppError::NotFound => StatusCode::NOT_FOUND,
            AppError::Unauthorized | AppError::BadCredentials => StatusCode::UNAUTHORIZED,
            AppError::Forbidden | AppError::Csrf => StatusCode::FORBIDDEN,
            AppError::Malformed(_) => StatusCode::BAD_REQUEST,
            AppError::BadRequest(_) => StatusCode::UNPROCESSABLE_ENTITY,
            AppError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// Stable machine-readable code for the API.
    pub fn code(&self) -> &'static str {
        match self {
            AppError::NotFound => "not_found",
            AppError::Unauthorized => "unauthorized",
            AppError::BadCredentials => "bad_credentials",
            AppError::Forbidden => "forbidden",
            AppError::Csrf => "csrf",
            AppError::Malformed(_) => "bad_request",
            AppError::BadRequest(_) => "invalid",
            AppError::Internal(_) => "internal",
        }
    }

    pub fn message(&self) -> String {
        match self {
            AppError::NotFound => "您要找的页面或记录不存在，或不在您的管辖范围内。".into(),
            AppError::Unauthorized => "请先登录。".into(),
            AppError::BadCredentials => "用户名或密码错误，或账号已被临时锁定。".into(),
            AppError::Forbidden => "您的账号无权执行此操作。".into(),
            AppError::Csrf => "页面已过期或请求来源不明，请刷新页面后重试。".into(),
            AppError::Malformed(m) | AppError::BadRequest(m) => m.clone(),
            AppError::Internal(_) => {
                "系统内部错误，请稍后重试；如问题持续，请联系系统管理员。".into()
            }
        }
    }

    fn log(&self) {
        if let AppError::Internal(e) = self {
            // `{:#}`: the error and every cause under it, on one line.
            tracing::error!(detail = %format!("{e:#}"), "internal error");
        }
    }

    pub fn api_response(self) -> Response {
        self.log();
        let body = serde_json::json!({ "error": self.code(), "message": self.message() });
        (self.status(), Json(body)).into_response()
    }
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        self.log();
        let page = ErrorPage {
            status: self.status().as_u16(),
            message: self.message(),
        };
        let mut res = crate::pages::render(page);
        *res.status_mut() = self.status();
        res
    }
}

/// An error of a JSON endpoint: same mapping, JSON body.
#[derive(Debug)]
pub struct ApiError(pub AppError);

impl<E: Into<AppError>> From<E> for ApiError {
    fn from(e: E) -> Self {
        ApiError(e.into())
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        self.0.api_response()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_internal_error_keeps_its_causes_for_the_log_and_tells_the_user_nothing() {
        let db = sea_orm::DbErr::Custom("disk I/O error on table persons".into());
        let e = AppError::from(StoreError::Db(db));
        let AppError::Internal(inner) = &e else {
            panic!("a database error is internal: {e:?}")
        };
        let logged = format!("{inner:#}");
        assert!(
            logged.contains("database") && logged.contains("disk I/O error"),
            "{logged}"
        );
        assert_eq!(e.status(), StatusCode::INTERNAL_SERVER_ERROR);
        assert!(!e.message().contains("disk") && !e.message().contains("persons"));
        let context = AppError::Internal(
            anyhow::Error::new(std::io::Error::other("no space")).context("evidence store"),
        );
        let AppError::Internal(inner) = &context else {
            unreachable!()
        };
        assert_eq!(format!("{inner:#}"), "evidence store: no space");
    }
}
