//! The service's counters: takes what each request did and gives the Prometheus text of
//! `GET /metrics` (decisions by version and outcome, latency, errors by kind, requests in flight,
//! the loaded policy's hashes, reloads).
//!
//! One registry per service (not the process-wide default), so that several services in one
//! process (the tests) count apart.

use prometheus::{
    Encoder, HistogramOpts, HistogramVec, IntCounterVec, IntGauge, IntGaugeVec, Opts, Registry,
    TextEncoder,
};

use cordon_engine::{Decision, Policy};

pub struct Metrics {
    registry: Registry,
    decisions: IntCounterVec,
    errors: IntCounterVec,
    latency: HistogramVec,
    pub in_flight: IntGauge,
    policy: IntGaugeVec,
    generation: IntGauge,
    reloads: IntCounterVec,
}

impl Metrics {
    pub fn new() -> Result<Metrics, prometheus::Error> {
        let registry = Registry::new();
        let decisions = IntCounterVec::new(
            Opts::new(
                "cordon_decisions_total",
                "Transactions decided, by the version that decided them and the outcome's yes/no fields",
            ),
            &["version", "outcome"],
        )?;
        let errors = IntCounterVec::new(
            Opts::new(
                "cordon_errors_total",
                "Error answers and batch lines that could not be decided, by kind",
            ),
            &["kind"],
        )?;
        let latency = HistogramVec::new(
            HistogramOpts::new(
                "cordon_request_duration_seconds",
                "Time from a request's headers to its response's headers, by route",
            )
            .buckets(vec![
                0.000_05, 0.000_1, 0.000_25, 0.000_5, 0.001, 0.002_5, 0.005, 0.01, 0.025, 0.05,
                0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
            ]),
            &["route", "status"],
        )?;
        let in_flight = IntGauge::new("cordon_requests_in_flight", "Requests being answered")?;
        let policy = IntGaugeVec::new(
            Opts::new(
                "cordon_policy_version_info",
                "The loaded policy's versions and the hashes of their sources (value 1)",
            ),
            &["policy", "version", "hash"],
        )?;
        let generation = IntGauge::new(
            "cordon_policy_generation",
            "How many times good sources have been loaded (1 after start)",
        )?;
        let reloads = IntCounterVec::new(
            Opts::new("cordon_reloads_total", "Reloads of the policy, by result"),
            &["result"],
        )?;
        registry.register(Box::new(decisions.clone()))?;
        registry.register(Box::new(errors.clone()))?;
        registry.register(Box::new(latency.clone()))?;
        registry.register(Box::new(in_flight.clone()))?;
        registry.register(Box::new(policy.clone()))?;
        registry.register(Box::new(generation.clone()))?;
        registry.register(Box::new(reloads.clone()))?;
        Ok(Metrics {
            registry,
            decisions,
            errors,
            latency,
            in_flight,
            policy,
            generation,
            reloads,
        })
    }

    pub fn decided(&self, version: &str, outcome: &str, count: u64) {
        self.decisions
            .with_label_values(&[version, outcome])
            .inc_by(count);
    }

    pub fn error(&self, kind: &str, count: u64) {
        self.errors.with_label_values(&[kind]).inc_by(count);
    }

    pub fn observe(&self, route: &str, status: u16, seconds: f64) {
        let status = status.to_string();
        self.latency
            .with_label_values(&[route, status.as_str()])
            .observe(seconds);
    }

    pub fn loaded(&self, policy: &Policy, generation: u64) {
        self.policy.reset();
        for version in &policy.versions {
            self.policy
                .with_label_values(&[
                    policy.name.as_str(),
                    version.id.as_str(),
                    version.hash.as_str(),
                ])
                .set(1);
        }
        self.generation
            .set(i64::try_from(generation).unwrap_or(i64::MAX));
    }

    pub fn reloaded(&self, result: &str) {
        self.reloads.with_label_values(&[result]).inc();
    }

    /// The Prometheus text exposition of every counter.
    pub fn render(&self) -> String {
        let mut out = Vec::new();
        if let Err(error) = TextEncoder::new().encode(&self.registry.gather(), &mut out) {
            tracing::error!(%error, "cannot write the metrics");
        }
        String::from_utf8(out).unwrap_or_default()
    }
}

/// The `outcome` label of a decision: its yes/no outcome fields (`license_required=true`), so
/// the label takes few values whatever the policy; `decided` for a policy that has none.
pub fn outcome_label(decision: &Decision) -> String {
    let mut label = String::new();
    for (name, value) in &decision.outcome {
        if let Some(value) = value.as_bool() {
            if !label.is_empty() {
                label.push(',');
            }
            label.push_str(name);
            label.push_str(if value { "=true" } else { "=false" });
        }
    }
    if label.is_empty() {
        label.push_str("decided");
    }
    label
}

/// Counts of one block of decisions, added to the counters at once.
#[derive(Default)]
pub struct Tally {
    decided: Vec<(String, String, u64)>,
    errors: Vec<(&'static str, u64)>,
}

impl Tally {
    pub fn decided(&mut self, decision: &Decision) {
        let outcome = outcome_label(decision);
        let version = &decision.policy.version;
        match self
            .decided
            .iter_mut()
            .find(|(v, o, _)| v == version && *o == outcome)
        {
            Some((_, _, count)) => *count += 1,
            None => self.decided.push((version.clone(), outcome, 1)),
        }
    }

    pub fn error(&mut self, kind: &'static str) {
        match self.errors.iter_mut().find(|(k, _)| *k == kind) {
            Some((_, count)) => *count += 1,
            None => self.errors.push((kind, 1)),
        }
    }

    pub fn merge(&mut self, other: Tally) {
        for (version, outcome, count) in other.decided {
            match self
                .decided
                .iter_mut()
                .find(|(v, o, _)| *v == version && *o == outcome)
            {
                Some((_, _, total)) => *total += count,
                None => self.decided.push((version, outcome, count)),
            }
        }
        for (kind, count) in other.errors {
            match self.errors.iter_mut().find(|(k, _)| *k == kind) {
                Some((_, total)) => *total += count,
                None => self.errors.push((kind, count)),
            }
        }
    }

    pub fn record(self, metrics: &Metrics) {
        for (version, outcome, count) in self.decided {
            metrics.decided(&version, &outcome, count);
        }
        for (kind, count) in self.errors {
            metrics.error(kind, count);
        }
    }
}
