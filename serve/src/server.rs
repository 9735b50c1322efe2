//! Accepting connections: takes a listener, the router and a shutdown signal, and serves HTTP/1.1
//! until the signal, then stops accepting and lets what is in flight finish (idle keep-alive
//! connections are closed at once; the others after their response, or after the grace period).
//!
//! Written over hyper directly rather than `axum::serve` for what a service facing any client
//! needs: a deadline for a request's headers (a client sending them a byte at a time is dropped),
//! `TCP_NODELAY`, and accept errors (too many open files) waited out instead of ending the server.

use std::future::Future;
use std::time::Duration;

use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use tokio::net::TcpListener;
use tower::ServiceExt as _;

use crate::Options;
use crate::routes::App;

#[derive(Clone, Copy, Debug)]
pub struct Config {
    pub header_timeout: Duration,
    pub shutdown_grace: Duration,
}

impl Config {
    pub fn of(options: &Options) -> Config {
        Config {
            header_timeout: options.header_timeout,
            shutdown_grace: options.shutdown_grace,
        }
    }
}

/// Serves the app's router on the listener until `shutdown` completes.
pub async fn serve(
    listener: TcpListener,
    app: App,
    config: Config,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    serve_router(listener, app.router(), config, shutdown).await
}

/// Serves any router so (the benchmark's ceiling serves a fixed answer through the same stack).
pub async fn serve_router(
    listener: TcpListener,
    router: axum::Router,
    config: Config,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let graceful = GracefulShutdown::new();
    let mut builder = hyper::server::conn::http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(config.header_timeout)
        .keep_alive(true);
    tokio::pin!(shutdown);
    loop {
        let (stream, _peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(error) => {
                    // Too many open files, a connection reset before it was accepted...: wait a
                    // moment and go on; the listener itself is fine.
                    tracing::warn!(%error, "cannot accept a connection");
                    tokio::time::sleep(Duration::from_millis(20)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let _ = stream.set_nodelay(true);
        let router = router.clone();
        let service = hyper::service::service_fn(move |request: hyper::Request<Incoming>| {
            router.clone().oneshot(request.map(axum::body::Body::new))
        });
        let connection = builder.serve_connection(TokioIo::new(stream), service);
        let connection = graceful.watch(connection);
        tokio::spawn(async move {
            // A connection that breaks (reset, timed out) is the client's affair.
            let _ = connection.await;
        });
    }
    drop(listener);
    tokio::select! {
        () = graceful.shutdown() => {}
        () = tokio::time::sleep(config.shutdown_grace) => {
            tracing::warn!("the grace period ended with requests still in flight");
        }
    }
    Ok(())
}
