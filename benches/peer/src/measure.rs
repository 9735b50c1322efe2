//! Timing and peak memory. Each engine is measured in its own child process (this binary with
//! `--child ENGINE`): it generates the same transactions, loads its policy (timed: load/compile),
//! converts every transaction to its input form, decides them all once to warm up and then in
//! timed passes (the best pass counts), and reads its peak resident set (`VmHWM`) from
//! `/proc/self/status`, next to the resident set before the engine was loaded.

use std::time::{Duration, Instant};

use crate::baseline::{self, Baseline};
use crate::cedar::Cedar;
use crate::cordon::{self, Cordon};
use crate::generate;
use crate::peer::{Case, Peer};
use crate::rego::{Interpreter, Rvm};

/// The engines, by the names `--child` takes.
pub const ENGINES: [&str; 6] = [
    "cordon",
    "cordon-native",
    "baseline",
    "regorus-interpreter",
    "regorus-rvm",
    "cedar",
];

/// What one child measured.
#[derive(Clone, Debug)]
pub struct Measurement {
    pub engine: String,
    pub load: Duration,
    pub decisions: usize,
    pub best_pass: Duration,
    /// Resident set after the transactions were generated, before the engine was loaded (KiB).
    pub rss_before_kib: u64,
    /// Peak resident set of the child (KiB).
    pub peak_kib: u64,
}

impl Measurement {
    pub fn per_second(&self) -> f64 {
        self.decisions as f64 / self.best_pass.as_secs_f64()
    }

    /// One line the parent reads back.
    pub fn to_line(&self) -> String {
        format!(
            "measurement {} {} {} {} {} {}",
            self.engine,
            self.load.as_nanos(),
            self.decisions,
            self.best_pass.as_nanos(),
            self.rss_before_kib,
            self.peak_kib
        )
    }

    pub fn from_line(line: &str) -> Option<Measurement> {
        let parts: Vec<&str> = line.strip_prefix("measurement ")?.split(' ').collect();
        let [engine, load, decisions, best, before, peak] = parts.as_slice() else {
            return None;
        };
        let nanos = |text: &str| text.parse::<u64>().ok().map(Duration::from_nanos);
        Some(Measurement {
            engine: (*engine).to_string(),
            load: nanos(load)?,
            decisions: decisions.parse().ok()?,
            best_pass: nanos(best)?,
            rss_before_kib: before.parse().ok()?,
            peak_kib: peak.parse().ok()?,
        })
    }
}

/// A field of `/proc/self/status` in KiB (`VmHWM`, `VmRSS`).
pub fn status_kib(field: &str) -> Result<u64, String> {
    let status = std::fs::read_to_string("/proc/self/status")
        .map_err(|error| format!("/proc/self/status: {error}"))?;
    status
        .lines()
        .find_map(|line| line.strip_prefix(field)?.strip_prefix(':'))
        .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse().ok())
        .ok_or_else(|| format!("/proc/self/status: no {field}"))
}

/// Times one engine already loaded: prepare all inputs, one warm-up pass, then `passes` timed
/// passes; each pass's outcomes are checked against the hand-written baseline's.
fn time<'a, P: Peer<'a>>(
    peer: &mut P,
    cases: &'a [Case],
    passes: usize,
) -> Result<Duration, String> {
    let inputs = cases
        .iter()
        .map(|case| peer.prepare(case))
        .collect::<Result<Vec<_>, _>>()?;
    let expected: Vec<_> = cases
        .iter()
        .map(|case| baseline::decide(&case.transaction))
        .collect();
    let mut outcomes = Vec::with_capacity(inputs.len());
    let mut best = Duration::MAX;
    for pass in 0..=passes {
        outcomes.clear();
        let start = Instant::now();
        for input in &inputs {
            outcomes.push(peer.decide(std::hint::black_box(input))?);
        }
        let elapsed = start.elapsed();
        if outcomes != expected {
            return Err(format!(
                "{}: timed outcomes differ from the baseline's",
                peer.name()
            ));
        }
        if pass > 0 {
            best = best.min(elapsed);
        }
    }
    Ok(best)
}

/// The child's work: measure `engine` on `count` transactions from `seed`.
pub fn child(engine: &str, seed: u64, count: usize, passes: usize) -> Result<Measurement, String> {
    let cases: Vec<Case> = generate::transactions(seed, count)
        .into_iter()
        .map(Case::new)
        .collect();
    let rss_before_kib = status_kib("VmRSS")?;
    let start = Instant::now();
    match engine {
        "cordon" | "cordon-native" => {
            let policy = cordon::load()?;
            let mut peer = match engine {
                "cordon" => Cordon::new(&policy)?,
                _ => Cordon::native(&policy)?,
            };
            loaded(engine, &mut peer, start, &cases, passes, rss_before_kib)
        }
        "baseline" => {
            let best_pass = time(&mut Baseline, &cases, passes)?;
            finish(engine, Duration::ZERO, count, best_pass, rss_before_kib)
        }
        "regorus-interpreter" => loaded(
            engine,
            &mut Interpreter::new()?,
            start,
            &cases,
            passes,
            rss_before_kib,
        ),
        "regorus-rvm" => loaded(
            engine,
            &mut Rvm::new()?,
            start,
            &cases,
            passes,
            rss_before_kib,
        ),
        "cedar" => loaded(
            engine,
            &mut Cedar::new()?,
            start,
            &cases,
            passes,
            rss_before_kib,
        ),
        other => Err(format!(
            "unknown engine `{other}`; one of {}",
            ENGINES.join(", ")
        )),
    }
}

/// An engine loaded since `start`, timed on the cases.
fn loaded<'a, P: Peer<'a>>(
    engine: &str,
    peer: &mut P,
    start: Instant,
    cases: &'a [Case],
    passes: usize,
    rss_before_kib: u64,
) -> Result<Measurement, String> {
    let load = start.elapsed();
    let best_pass = time(peer, cases, passes)?;
    finish(engine, load, cases.len(), best_pass, rss_before_kib)
}

fn finish(
    engine: &str,
    load: Duration,
    decisions: usize,
    best_pass: Duration,
    rss_before_kib: u64,
) -> Result<Measurement, String> {
    Ok(Measurement {
        engine: engine.to_string(),
        load,
        decisions,
        best_pass,
        rss_before_kib,
        peak_kib: status_kib("VmHWM")?,
    })
}

/// Runs `engine` in a child process of this binary and reads its measurement.
pub fn in_child(
    engine: &str,
    seed: u64,
    count: usize,
    passes: usize,
) -> Result<Measurement, String> {
    let exe = std::env::current_exe().map_err(|error| error.to_string())?;
    let output = std::process::Command::new(exe)
        .args([
            "--child",
            engine,
            "--seed",
            &seed.to_string(),
            "--transactions",
            &count.to_string(),
            "--passes",
            &passes.to_string(),
        ])
        .output()
        .map_err(|error| format!("{engine}: {error}"))?;
    let stdout = String::from_utf8_lossy(&output.stdout);
    stdout
        .lines()
        .find_map(Measurement::from_line)
        .ok_or_else(|| {
            format!(
                "{engine}: the child measured nothing: {}{}",
                stdout,
                String::from_utf8_lossy(&output.stderr)
            )
        })
}
