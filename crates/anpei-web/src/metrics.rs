//! `/healthz` and Prometheus `/metrics` (text exposition format, written by hand).

use crate::AppState;
use axum::extract::{Request, State};
use axum::http::header;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

/// Request counters by status class and a latency sum.
#[derive(Debug, Default)]
pub struct Metrics {
    requests: [AtomicU64; 5],
    latency_micros: AtomicU64,
}

pub async fn track(State(st): State<AppState>, req: Request, next: Next) -> Response {
    let t = Instant::now();
    // The path only: query strings may carry an ID number someone searched for.
    let method = req.method().clone();
    let path = req.uri().path().to_string();
    let res = next.run(req).await;
    tracing::info!(%method, %path, status = res.status().as_u16(), ms = t.elapsed().as_millis() as u64, "request");
    let class = (res.status().as_u16() / 100).clamp(1, 5) as usize - 1;
    st.metrics.requests[class].fetch_add(1, Ordering::Relaxed);
    st.metrics
        .latency_micros
        .fetch_add(t.elapsed().as_micros() as u64, Ordering::Relaxed);
    res
}

pub async fn healthz(State(st): State<AppState>) -> Response {
    match st.store.ping().await {
        Ok(()) => "ok".into_response(),
        Err(e) => {
            tracing::error!(error = %e, "health check failed");
            (
                axum::http::StatusCode::SERVICE_UNAVAILABLE,
                "database unavailable",
            )
                .into_response()
        }
    }
}

pub async fn prometheus(State(st): State<AppState>) -> Response {
    let m = &st.metrics;
    let mut out = String::from("# HELP anpei_http_requests_total HTTP requests by status class.\n# TYPE anpei_http_requests_total counter\n");
    for (i, c) in m.requests.iter().enumerate() {
        out.push_str(&format!(
            "anpei_http_requests_total{{class=\"{}xx\"}} {}\n",
            i + 1,
            c.load(Ordering::Relaxed)
        ));
    }
    out.push_str(
        "# HELP anpei_http_request_duration_seconds_sum Total time spent answering requests.\n",
    );
    out.push_str("# TYPE anpei_http_request_duration_seconds_sum counter\n");
    out.push_str(&format!(
        "anpei_http_request_duration_seconds_sum {:.6}\n",
        m.latency_micros.load(Ordering::Relaxed) as f64 / 1e6
    ));
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], out).into_response()
}
