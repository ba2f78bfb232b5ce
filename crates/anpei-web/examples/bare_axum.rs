//! The ceiling an API benchmark is compared with: bare axum on the same machine, answering
//! `GET /api/v1/subjects` with a fixed JSON body of the same shape and size class as a page
//! of anpei's list (no database, no authentication). Usage:
//! `cargo run --release -p anpei-web --example bare_axum -- 127.0.0.1:18099`, then
//! `wrk -t2 -c32 -d15s http://127.0.0.1:18099/api/v1/subjects`.
use axum::routing::get;
use axum::Json;

#[tokio::main]
async fn main() {
    let addr = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "127.0.0.1:18099".into());
    let items: Vec<serde_json::Value> = (0..20)
        .map(|i| {
            serde_json::json!({
                "id": i,
                "uscc": format!("91500112MA5U{i:06}"),
                "name": format!("重庆示例企业{i}有限公司"),
                "kind": "enterprise",
                "industry": "危险化学品",
                "town": "龙兴镇",
                "department": "区应急管理局",
                "high_risk": true,
            })
        })
        .collect();
    let body = serde_json::json!({"items": items, "total": 300, "page": 1, "per_page": 20});
    let app = axum::Router::new().route(
        "/api/v1/subjects",
        get(move || {
            let b = body.clone();
            async move { Json(b) }
        }),
    );
    let listener = tokio::net::TcpListener::bind(&addr).await.expect("bind");
    println!("bare axum on http://{addr}/api/v1/subjects");
    axum::serve(listener, app).await.expect("serve");
}
