//! The endpoints and the middleware around them: takes the service's state and gives the axum
//! router, with the body limit and the timeout (tower-http), one structured log line and the
//! latency of every request, and a JSON body for every error answer (including those of the
//! router and of the middleware itself: `404`, `405`, `408`, `413`).

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Router;
use axum::extract::{MatchedPath, Request, State};
use axum::http::{StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::timeout::TimeoutLayer;

use crate::errors::{ApiError, ErrorKind};
use crate::metrics::Metrics;
use crate::pool::Pool;
use crate::state::{Policies, ReloadOutcome};
use crate::{Options, api, console, decide};

/// What every handler shares.
pub struct Service {
    pub policies: Policies,
    pub pool: Pool,
    /// Diffs run apart from decisions (on one thread, a few queued): an exhaustive diff takes
    /// seconds and must not hold up the decisions behind it.
    pub diff_pool: Pool,
    pub metrics: Metrics,
    pub max_body: usize,
    pub max_batch: usize,
    pub body_timeout: Duration,
    /// Where each decision is recorded before it is answered (`--records`).
    pub records: Option<cordon_records::Appender>,
    /// What the console keeps: diffs by the hashes of the two versions' sources.
    pub console: console::Console,
    ids: Mutex<ulid::Generator>,
}

/// The service's state, cheap to clone.
#[derive(Clone)]
pub struct App(pub Arc<Service>);

/// What a handler tells the log line about its request.
#[derive(Clone, Debug, Default)]
pub struct RequestLog {
    pub decision_id: Option<String>,
    pub version: Option<String>,
}

/// The appender of the records `options` name, if any.
fn open_records(options: &Options) -> Result<Option<cordon_records::Appender>, String> {
    options
        .records
        .as_ref()
        .map(cordon_records::Settings::start)
        .transpose()
        .map_err(|error| error.to_string())
}

impl App {
    pub fn new(options: &Options) -> Result<App, String> {
        Ok(App(Arc::new(Service {
            policies: Policies::new(&options.policy, options.version.clone()),
            pool: Pool::new(options.engine_threads, options.queue)?,
            diff_pool: Pool::new(1, 4)?,
            metrics: Metrics::new().map_err(|error| error.to_string())?,
            max_body: options.max_body,
            max_batch: options.max_batch,
            body_timeout: options.request_timeout,
            records: open_records(options)?,
            console: console::Console::default(),
            ids: Mutex::new(ulid::Generator::new()),
        })))
    }

    /// `count` decision ids, each greater than the last (ULIDs: a millisecond timestamp, then
    /// randomness, incremented within a millisecond).
    pub fn decision_ids(&self, count: usize) -> Vec<ulid::Ulid> {
        let mut ids = Vec::with_capacity(count);
        let mut generator = match self.0.ids.lock() {
            Ok(generator) => generator,
            Err(poisoned) => poisoned.into_inner(),
        };
        for _ in 0..count {
            ids.push(generator.generate().unwrap_or_else(|_| ulid::Ulid::new()));
        }
        ids
    }

    /// Loads the sources at start, off the runtime's threads.
    pub async fn load_initial(&self) -> Result<(), String> {
        let app = self.clone();
        let policy = tokio::task::spawn_blocking(move || app.0.policies.load())
            .await
            .map_err(|error| format!("cannot load the policy: {error}"))?
            .map_err(|failure| {
                let mut message = failure.message;
                for diagnostic in failure.diagnostics {
                    message.push_str("\n  ");
                    message.push_str(&diagnostic);
                }
                message
            })?;
        let loaded = self.0.policies.install_initial(policy)?;
        self.0.metrics.loaded(&loaded.policy, loaded.generation);
        self.0.metrics.reloaded("loaded");
        tracing::info!(
            policy = %loaded.policy.name,
            versions = loaded.policy.versions.len(),
            generation = loaded.generation,
            "policy loaded"
        );
        Ok(())
    }

    /// Loads the sources again, off the runtime's threads and off the request path; replaces the
    /// current ones if they check clean, else keeps them and reports why.
    pub async fn reload(&self) -> ReloadOutcome {
        let service = &self.0;
        let _guard = service.policies.reload_guard().await;
        let app = self.clone();
        let loaded = tokio::task::spawn_blocking(move || app.0.policies.load()).await;
        let outcome = match loaded {
            Ok(Ok(policy)) => service.policies.install(policy),
            Ok(Err(failure)) => {
                tracing::warn!(
                    message = %failure.message,
                    diagnostics = ?failure.diagnostics,
                    "reload refused: the new sources do not check; serving the last good ones"
                );
                service.policies.refuse(failure)
            }
            Err(error) => ReloadOutcome::Refused(format!("the reload stopped: {error}")),
        };
        match &outcome {
            ReloadOutcome::Replaced(generation) => {
                if let Some(loaded) = service.policies.current() {
                    service.metrics.loaded(&loaded.policy, *generation);
                    let versions: Vec<String> = loaded
                        .policy
                        .versions
                        .iter()
                        .map(|version| format!("{}@{}", version.id, version.hash))
                        .collect();
                    tracing::info!(generation, ?versions, "policy reloaded");
                }
                service.metrics.reloaded("replaced");
            }
            ReloadOutcome::Unchanged => service.metrics.reloaded("unchanged"),
            ReloadOutcome::Refused(_) => service.metrics.reloaded("refused"),
        }
        outcome
    }

    /// The router of every endpoint, with its middleware.
    pub fn router(&self) -> Router {
        let service = &self.0;
        Router::new()
            .route("/v1/decide", post(decide::decide))
            .route("/v1/versions", get(api::versions))
            .route("/v1/versions/{id}", get(api::version))
            .route("/v1/diff", post(api::diff))
            .route("/health", get(api::health))
            .route("/ready", get(api::ready))
            .route("/metrics", get(api::metrics))
            .route("/v1/openapi.json", get(api::openapi))
            // The console: the policy in a browser (HTML pages at `/`, `/versions/{id}`, `/try`,
            // `/diff`).
            .merge(console::routes())
            .fallback(not_found)
            .layer(CatchPanicLayer::custom(|_| {
                tracing::error!("a handler panicked");
                ApiError::internal("the service failed on this request").into_response()
            }))
            .layer(RequestBodyLimitLayer::new(service.max_batch))
            .layer(TimeoutLayer::with_status_code(
                StatusCode::REQUEST_TIMEOUT,
                service.body_timeout,
            ))
            .layer(middleware::from_fn_with_state(self.clone(), observe))
            .with_state(self.clone())
    }
}

async fn not_found() -> ApiError {
    ApiError::new(StatusCode::NOT_FOUND, "not_found", "no such endpoint")
}

/// Counts the request in flight, times it, gives an error answer without a JSON body one, and
/// writes the request's one log line.
async fn observe(State(app): State<App>, request: Request, next: Next) -> Response {
    let started = Instant::now();
    let metrics = &app.0.metrics;
    metrics.in_flight.inc();
    let _in_flight = InFlight(&metrics.in_flight);
    let method = request.method().clone();
    let path = request.uri().path().to_string();
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or("unmatched", |matched| matched.as_str())
        .to_string();
    let response = next.run(request).await;
    let response = json_error_body(response);
    let status = response.status();
    let elapsed = started.elapsed();
    metrics.observe(&route, status.as_u16(), elapsed.as_secs_f64());
    let error = response.extensions().get::<ErrorKind>().map(|kind| kind.0);
    if let Some(kind) = error {
        metrics.error(kind, 1);
    }
    let log = response.extensions().get::<RequestLog>();
    tracing::info!(
        method = %method,
        path = %path,
        status = status.as_u16(),
        latency_us = u64::try_from(elapsed.as_micros()).unwrap_or(u64::MAX),
        decision_id = log.and_then(|log| log.decision_id.as_deref()),
        version = log.and_then(|log| log.version.as_deref()),
        error = error,
        "request"
    );
    response
}

struct InFlight<'a>(&'a prometheus::IntGauge);

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        self.0.dec();
    }
}

/// An error answer from the router or the middleware (which carry no JSON) as the service's
/// JSON error.
fn json_error_body(response: Response) -> Response {
    let status = response.status();
    if !(status.is_client_error() || status.is_server_error())
        || response.extensions().get::<ErrorKind>().is_some()
    {
        return response;
    }
    let json = response
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|value| value.as_bytes().starts_with(b"application/json"));
    if json {
        return response;
    }
    match status {
        StatusCode::PAYLOAD_TOO_LARGE => ApiError::new(
            status,
            "too_large",
            "the body is larger than the service accepts",
        ),
        StatusCode::REQUEST_TIMEOUT => ApiError::new(
            status,
            "timeout",
            "the request took longer than the service allows",
        ),
        StatusCode::METHOD_NOT_ALLOWED => ApiError::new(
            status,
            "method_not_allowed",
            "this endpoint does not take that method",
        ),
        _ => ApiError::new(
            StatusCode::from_u16(status.as_u16()).unwrap_or(status),
            "http",
            status.canonical_reason().unwrap_or("error").to_lowercase(),
        ),
    }
    .into_response()
}
