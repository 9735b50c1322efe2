//! The endpoints other than `POST /v1/decide`: takes the loaded policy and gives its versions
//! (`GET /v1/versions`, `GET /v1/versions/{id}`), what `cordon diff` answers (`POST /v1/diff`,
//! through the same `cordon_engine::diff::report`), liveness and readiness, the metrics, and the
//! OpenAPI document.

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::{Value as Json_, json};

use cordon_engine::diff::{self, VersionRef};
use cordon_lang::hir::{self, Citation};

use crate::errors::ApiError;
use crate::routes::App;

/// The OpenAPI 3.1 document of this service.
pub const OPENAPI: &str = include_str!("openapi.json");

pub async fn health() -> Response {
    Json(json!({ "status": "ok" })).into_response()
}

/// `200` once good sources are loaded (with the last refused reload, if the sources changed
/// since and do not check); `503` before.
pub async fn ready(State(app): State<App>) -> Response {
    let policies = &app.0.policies;
    let Some(loaded) = policies.current() else {
        return (
            StatusCode::SERVICE_UNAVAILABLE,
            [(header::RETRY_AFTER, HeaderValue::from(1))],
            Json(json!({ "ready": false, "reason": "the policy is still loading" })),
        )
            .into_response();
    };
    let versions: Vec<Json_> = loaded
        .policy
        .versions
        .iter()
        .map(|version| json!({ "version": version.id, "hash": version.hash }))
        .collect();
    Json(json!({
        "ready": true,
        "policy": loaded.policy.name,
        "generation": loaded.generation,
        "loaded_at": loaded.loaded_at,
        "versions": versions,
        "last_reload_error": policies.last_failure(),
    }))
    .into_response()
}

pub async fn metrics(State(app): State<App>) -> Response {
    (
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/plain; version=0.0.4; charset=utf-8"),
        )],
        app.0.metrics.render(),
    )
        .into_response()
}

pub async fn openapi() -> Response {
    (
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        )],
        OPENAPI,
    )
        .into_response()
}

/// Every version: id, title, source, window in force, hash.
pub async fn versions(State(app): State<App>) -> Result<Response, ApiError> {
    let loaded = app.0.policies.current().ok_or_else(ApiError::not_ready)?;
    let versions: Vec<VersionRef> = loaded.policy.versions.iter().map(VersionRef::of).collect();
    Ok(Json(json!({
        "policy": loaded.policy.name,
        "generation": loaded.generation,
        "versions": versions,
    }))
    .into_response())
}

fn citations(citations: &[Citation]) -> Vec<Json_> {
    citations
        .iter()
        .map(
            |citation| json!({ "text": citation.text, "confidence": citation.confidence.as_str() }),
        )
        .collect()
}

fn provision(kind: &str, name: &str, provenance: &hir::Provenance) -> Json_ {
    json!({
        "kind": kind,
        "name": name,
        "citations": citations(&provenance.citations),
        "confidence": provenance.confidence().as_str(),
        "effective": provenance.effective.map(|date| date.to_string()),
        "through": provenance.through.map(|date| date.to_string()),
        "written_in": provenance.written_in,
        "module": provenance.module,
        "docs": provenance.docs,
    })
}

/// One version (`ID` or `ID@sha256:...`): its manifest and its provisions, each with its
/// citations and their confidence.
pub async fn version(
    State(app): State<App>,
    Path(pin): Path<String>,
) -> Result<Response, ApiError> {
    let resolved = app.0.policies.resolve(Some(&pin))?;
    let id = resolved.pin.unwrap_or_default();
    let version = resolved
        .policy
        .versions
        .iter()
        .find(|version| version.id == id)
        .ok_or_else(|| ApiError::unknown_version(format!("no version `{id}`")))?;
    let hir = &version.hir;
    let mut provisions = Vec::new();
    for rule in &hir.rules {
        provisions.push(provision("rule", &rule.name, &rule.provenance));
    }
    for (name, item) in &hir.groups {
        provisions.push(provision("group", name, &item.provenance));
    }
    for (name, item) in &hir.aliases {
        provisions.push(provision("alias", name, &item.provenance));
    }
    for (name, item) in &hir.consts {
        provisions.push(provision("const", name, &item.provenance));
    }
    for (name, item) in &hir.tables {
        provisions.push(provision("table", name, &item.provenance));
    }
    for (name, item) in &hir.defines {
        provisions.push(provision("define", name, &item.provenance));
    }
    Ok(Json(json!({
        "policy": resolved.policy.name,
        "version": VersionRef::of(version),
        "amends": hir.manifest.amends,
        "provisions": provisions,
    }))
    .into_response())
}

/// The body of `POST /v1/diff`, the arguments of `cordon diff`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct DiffRequest {
    from: String,
    to: String,
    /// A corpus: transactions, each decided under both versions.
    #[serde(default)]
    facts: Option<Vec<Json_>>,
    #[serde(default)]
    exhaustive: bool,
}

/// Pins of the current sources only: a diff compares two versions of one load.
fn check_pin(app: &App, pin: &str) -> Result<(), ApiError> {
    let resolved = app.0.policies.resolve(Some(pin))?;
    let current = app.0.policies.current().ok_or_else(ApiError::not_ready)?;
    if !std::sync::Arc::ptr_eq(&resolved.policy, &current.policy) {
        return Err(ApiError::pin_mismatch(format!(
            "`{pin}` names sources that are no longer the current ones: a diff compares versions of the current sources"
        )));
    }
    Ok(())
}

/// What `cordon diff --format json` answers for the same versions and corpus.
pub async fn diff(State(app): State<App>, body: Bytes) -> Result<Response, ApiError> {
    let request: DiffRequest = serde_json::from_slice(&body)
        .map_err(|error| ApiError::bad_request(format!("the diff request: {error}")))?;
    check_pin(&app, &request.from)?;
    check_pin(&app, &request.to)?;
    let loaded = app.0.policies.current().ok_or_else(ApiError::not_ready)?;
    let lines: Option<Vec<String>> = request
        .facts
        .map(|facts| facts.iter().map(ToString::to_string).collect());
    let policy = loaded.policy.clone();
    let report = app
        .0
        .diff_pool
        .run(move || {
            diff::report(
                &policy,
                &request.from,
                &request.to,
                lines.as_deref(),
                request.exhaustive,
            )
            .map_err(|error| error.to_string())
            .and_then(|report| serde_json::to_vec(&report).map_err(|error| error.to_string()))
        })
        .await?
        .map_err(ApiError::bad_request)?;
    Ok((
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        )],
        report,
    )
        .into_response())
}
