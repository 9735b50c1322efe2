//! `cordon serve`: the decision service over HTTP (see the `cordon-serve` crate). This file only
//! reads arguments.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(clap::Args)]
pub struct Args {
    /// The policy directory (`policies/ear`); it is watched, and reloaded when it changes.
    #[arg(long)]
    pub policy: PathBuf,
    /// The address to listen on.
    #[arg(long, default_value = "127.0.0.1:8181")]
    pub addr: SocketAddr,
    /// Pin a version for requests that name none (`2025-01-13`, or `2025-01-13@sha256:...`);
    /// default: the version in force on each transaction's date.
    #[arg(long)]
    pub version: Option<String>,
    /// The largest body of one transaction, and of one line of a batch, in bytes.
    #[arg(long, default_value_t = 1 << 20)]
    pub max_body: usize,
    /// The largest `application/x-ndjson` batch, in bytes.
    #[arg(long, default_value_t = 256 << 20)]
    pub max_batch: usize,
    /// Engine jobs that may wait or run at once before requests are answered `503`.
    #[arg(long, default_value_t = 1024)]
    pub queue: usize,
    /// Do not watch the policy directory (reload on SIGHUP only).
    #[arg(long)]
    pub no_watch: bool,
    #[command(flatten)]
    pub recording: crate::commands::records::Recording,
}

pub fn run(args: &Args) -> Result<ExitCode, String> {
    let mut options = cordon_serve::Options::new(args.policy.clone());
    options.addr = args.addr;
    options.version = args.version.clone();
    options.max_body = args.max_body;
    options.max_batch = args.max_batch;
    options.queue = args.queue;
    options.watch = !args.no_watch;
    options.records = args.recording.settings();
    cordon_serve::run(options)?;
    Ok(ExitCode::SUCCESS)
}
