//! The load benchmark's ceiling: takes an address and gives `POST /v1/decide` answering a fixed
//! decision (read once at start) after reading the body, through the same HTTP stack as
//! `cordon serve` (`cordon_serve::server`, axum, hyper) but with no engine, no pool and no
//! middleware. What the HTTP stack alone can do on this machine.
//!
//! `cargo run --release -p cordon-serve --features ceiling --example ceiling -- 127.0.0.1:8282`

use std::time::Duration;

use axum::body::Bytes;
use axum::http::header;
use axum::routing::post;

fn main() -> Result<(), String> {
    let addr = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "127.0.0.1:8282".to_string());
    let policy = cordon_engine::Policy::load(std::path::Path::new("policies/ear"))
        .map_err(|error| error.to_string())?;
    let facts: serde_json::Value =
        serde_json::from_str(include_str!("../../examples/h100-to-india.json"))
            .map_err(|error| error.to_string())?;
    let decision = cordon_engine::decide(&policy, None, &facts, cordon_engine::Detail::Trace)
        .map_err(|error| error.to_string())?;
    let mut fixed = Vec::new();
    cordon_serve::decide::write_decision(&mut fixed, ulid::Ulid::new(), &decision);
    fixed.pop();
    let fixed = Bytes::from(fixed);
    let router = axum::Router::new().route(
        "/v1/decide",
        post(move |_body: Bytes| {
            let fixed = fixed.clone();
            async move { ([(header::CONTENT_TYPE, "application/json")], fixed) }
        }),
    );
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|error| error.to_string())?;
    runtime.block_on(async move {
        let listener = tokio::net::TcpListener::bind(&addr)
            .await
            .map_err(|error| format!("cannot listen on {addr}: {error}"))?;
        let config = cordon_serve::server::Config {
            header_timeout: Duration::from_secs(10),
            shutdown_grace: Duration::from_secs(5),
        };
        cordon_serve::server::serve_router(listener, router, config, async {
            let _ = tokio::signal::ctrl_c().await;
        })
        .await
        .map_err(|error| error.to_string())
    })
}
