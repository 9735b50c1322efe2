//! `cordon serve`: takes a policy directory and an address, and gives the decision service an
//! order system calls over HTTP (`POST /v1/decide`, versions, diffs, health, readiness, metrics
//! and the OpenAPI document), reloading the policy when its sources change.
//!
//! A thin shell over `cordon-engine`: nothing here decides, reads facts or compares versions
//! itself. The engine is synchronous; it is called on a pool of its own with a bounded queue
//! ([`pool`]), never on the runtime's threads. The service holds no state but the policy, so any
//! number of instances can run behind a load balancer.
//!
//! Modules, in the order a request meets them: [`server`] accepts connections and shuts down
//! gracefully; [`routes`] lays out the endpoints and the middleware (limits, timeouts, one log
//! line per request, JSON errors); [`decide`] answers `POST /v1/decide` (one transaction, or a
//! streamed `x-ndjson` batch); [`api`] the other endpoints; [`state`] holds the loaded policy,
//! the sources loaded before it (for pins by hash) and reloads; [`watch`] notices changes;
//! [`metrics`] counts; [`errors`] is the one shape of an error answer; [`console`] gives the
//! same policy as HTML pages for people (read-only).

pub mod api;
pub mod console;
pub mod decide;
pub mod errors;
pub mod metrics;
pub mod pool;
pub mod routes;
pub mod server;
pub mod state;
pub mod watch;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use tokio::net::TcpListener;
use tokio::sync::watch as signal;

pub use routes::App;

/// How the service runs. [`Options::new`] gives the defaults `cordon serve` uses.
#[derive(Clone, Debug)]
pub struct Options {
    /// The policy directory (`policies/ear`).
    pub policy: PathBuf,
    pub addr: SocketAddr,
    /// The server's pin (`ID` or `ID@sha256:...`), used when a request names no version.
    pub version: Option<String>,
    /// The largest body of one transaction (`application/json`), and of one line of a batch.
    pub max_body: usize,
    /// The largest `application/x-ndjson` batch (and `POST /v1/diff` body).
    pub max_batch: usize,
    /// How many engine jobs may wait or run at once before requests are refused with `503`.
    pub queue: usize,
    /// The engine's threads (default: the machine's cores).
    pub engine_threads: usize,
    /// How long a request may take, body included, before it is answered `408`/`503`
    /// (a streamed batch's response is not cut by it; each read of its body is).
    pub request_timeout: Duration,
    /// How long a client may take to send a request's headers (slow clients are dropped).
    pub header_timeout: Duration,
    /// How long in-flight requests get to finish once shutdown has begun.
    pub shutdown_grace: Duration,
    /// Reload when the policy directory changes (SIGHUP reloads either way).
    pub watch: bool,
    /// Record every decision in this log before answering it (see `cordon-records`).
    pub records: Option<cordon_records::Settings>,
}

impl Options {
    pub fn new(policy: PathBuf) -> Options {
        let cores = std::thread::available_parallelism().map_or(2, |cores| cores.get());
        Options {
            policy,
            addr: SocketAddr::from(([127, 0, 0, 1], 8181)),
            version: None,
            max_body: 1 << 20,
            max_batch: 256 << 20,
            queue: 1024,
            engine_threads: cores,
            request_timeout: Duration::from_secs(30),
            header_timeout: Duration::from_secs(10),
            shutdown_grace: Duration::from_secs(30),
            watch: true,
            records: None,
        }
    }
}

/// A service that is up: its address, and the handles to reload it and stop it.
pub struct Running {
    pub addr: SocketAddr,
    pub app: App,
    stop: signal::Sender<bool>,
    server: tokio::task::JoinHandle<std::io::Result<()>>,
    watcher: Option<watch::Watcher>,
}

impl Running {
    /// Begins a graceful shutdown: stop accepting, finish what is in flight.
    pub fn shutdown(&self) {
        let _ = self.stop.send(true);
    }

    /// Waits for the server to stop (after [`Running::shutdown`]).
    pub async fn wait(self) -> Result<(), String> {
        let result = self
            .server
            .await
            .map_err(|error| format!("the server stopped: {error}"))?
            .map_err(|error| format!("the server stopped: {error}"));
        drop(self.watcher);
        result
    }

    /// Reloads the policy now (as a change to its directory or SIGHUP does) and waits for it.
    pub async fn reload(&self) -> state::ReloadOutcome {
        self.app.reload().await
    }
}

/// Binds the address, starts answering (`/health` at once, `/ready` once the policy has loaded),
/// loads and checks the policy, and starts watching it. A policy that cannot be loaded at start,
/// or a server pin it does not satisfy, is an error: nothing is served.
pub async fn start(options: Options) -> Result<Running, String> {
    let listener = TcpListener::bind(options.addr)
        .await
        .map_err(|error| format!("cannot listen on {}: {error}", options.addr))?;
    let addr = listener
        .local_addr()
        .map_err(|error| format!("cannot listen on {}: {error}", options.addr))?;
    let app = App::new(&options).map_err(|error| format!("cannot start the engine: {error}"))?;
    let (stop, stopped) = signal::channel(false);
    let server = tokio::spawn(server::serve(
        listener,
        app.clone(),
        server::Config::of(&options),
        wait_for_stop(stopped),
    ));
    let stop_now = |message: String, stop: &signal::Sender<bool>| {
        let _ = stop.send(true);
        message
    };
    let loaded = app.load_initial().await;
    if let Err(message) = loaded {
        let message = stop_now(message, &stop);
        let _ = server.await;
        return Err(message);
    }
    let watcher = if options.watch {
        match watch::Watcher::start(&options.policy, app.clone()) {
            Ok(watcher) => Some(watcher),
            Err(message) => {
                let message = stop_now(message, &stop);
                let _ = server.await;
                return Err(message);
            }
        }
    } else {
        None
    };
    tracing::info!(%addr, policy = %options.policy.display(), "listening");
    Ok(Running {
        addr,
        app,
        stop,
        server,
        watcher,
    })
}

async fn wait_for_stop(mut stopped: signal::Receiver<bool>) {
    let _ = stopped.wait_for(|stop| *stop).await;
}

/// `cordon serve`: logs as JSON lines on stderr, serves until SIGTERM or Ctrl-C, reloads on
/// SIGHUP, then shuts down gracefully.
pub fn run(options: Options) -> Result<(), String> {
    init_logging()?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .thread_name("cordon-serve")
        .build()
        .map_err(|error| format!("cannot start the runtime: {error}"))?;
    runtime.block_on(async move {
        // The signals are listened for before anything is served, so that none arrives while
        // its default action (ending the process) still stands.
        let signals = Signals::listen();
        let running = start(options).await?;
        let Signals { terminate, hangups } = signals;
        let reloads = tokio::spawn(watch::reload_on_sighup(running.app.clone(), hangups));
        wait_for_termination(terminate).await;
        tracing::info!("shutting down: finishing the requests in flight");
        running.shutdown();
        let result = running.wait().await;
        reloads.abort();
        tracing::info!("stopped");
        result
    })
}

#[cfg(unix)]
type Signal = Option<tokio::signal::unix::Signal>;
#[cfg(not(unix))]
type Signal = Option<()>;

/// SIGTERM and SIGHUP, listened for.
struct Signals {
    terminate: Signal,
    hangups: Signal,
}

impl Signals {
    #[cfg(unix)]
    fn listen() -> Signals {
        use tokio::signal::unix::{SignalKind, signal};
        Signals {
            terminate: signal(SignalKind::terminate()).ok(),
            hangups: signal(SignalKind::hangup()).ok(),
        }
    }

    #[cfg(not(unix))]
    fn listen() -> Signals {
        Signals {
            terminate: None,
            hangups: None,
        }
    }
}

/// JSON lines on stderr: what `CORDON_LOG` asks for (`info`, `cordon_serve=debug,salsa=info`),
/// else this service at `info` and the libraries under it (salsa's queries) at `warn`.
fn init_logging() -> Result<(), String> {
    use tracing_subscriber::filter::{LevelFilter, Targets};
    let filter = match std::env::var("CORDON_LOG") {
        Ok(text) => text.parse::<Targets>().map_err(|error| {
            format!(
                "CORDON_LOG=`{text}` is not a log filter (`info`, `cordon_serve=debug`): {error}"
            )
        })?,
        Err(_) => Targets::new()
            .with_default(LevelFilter::WARN)
            .with_target("cordon_serve", LevelFilter::INFO)
            .with_target("cordon_records", LevelFilter::INFO)
            .with_target("cordon_engine", LevelFilter::INFO),
    };
    use tracing_subscriber::layer::SubscriberExt as _;
    use tracing_subscriber::util::SubscriberInitExt as _;
    let _ = tracing_subscriber::registry()
        .with(
            tracing_subscriber::fmt::layer()
                .json()
                .flatten_event(true)
                .with_writer(std::io::stderr),
        )
        .with(filter)
        .try_init();
    Ok(())
}

/// SIGTERM or Ctrl-C (SIGINT).
async fn wait_for_termination(terminate: Signal) {
    #[cfg(unix)]
    if let Some(mut terminate) = terminate {
        tokio::select! {
            _ = terminate.recv() => {}
            _ = tokio::signal::ctrl_c() => {}
        }
        return;
    }
    let _ = terminate;
    let _ = tokio::signal::ctrl_c().await;
}
