//! Edit-to-diagnostics latency through the protocol, on `policies/ear`: an editor changes one
//! name in a rule of `2025-01-13/classification.cordon` (alternately breaking it, which gives an
//! E0101, and mending it, which clears it) and waits for the `publishDiagnostics` that follows.
//! The server runs in-process and speaks the framed protocol over an in-memory pipe.
//!
//! Criterion reports the mean; the run ends with the 50th and 95th percentiles and the maximum
//! of 300 single edits (the figure in the README), which criterion does not give.

#[path = "../tests/support/mod.rs"]
mod support;

use std::path::Path;
use std::time::{Duration, Instant};

use criterion::{Criterion, criterion_group, criterion_main};
use serde_json::json;
use support::TestClient;
use tower_lsp_server::gen_lsp_types::Uri;

struct Editor {
    client: TestClient,
    uri: String,
    /// Where the name is, as a protocol range, and whether it is broken now.
    range: serde_json::Value,
    broken: bool,
    version: i64,
}

const NAME: &str = "weights_training_ops";

impl Editor {
    async fn open() -> Editor {
        let path = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../policies/ear/2025-01-13/classification.cordon")
            .canonicalize()
            .expect("policies/ear is there");
        let text = std::fs::read_to_string(&path).expect("readable");
        let (line, column) = text
            .lines()
            .enumerate()
            .find_map(|(index, line)| {
                line.find(&format!(">= {NAME}"))
                    .map(|column| (index, column + 3))
            })
            .expect("a rule reads the constant");
        let uri = Uri::from_file_path(&path).expect("a file URI").to_string();
        let mut client = TestClient::start().await;
        client
            .notify(
                "textDocument/didOpen",
                json!({"textDocument": {"uri": uri, "languageId": "cordon", "version": 0, "text": text}}),
            )
            .await;
        // The first check of the whole policy, before measuring.
        let _ = client
            .request(
                "textDocument/diagnostic",
                json!({"textDocument": {"uri": uri}}),
            )
            .await;
        let range = json!({
            "start": {"line": line, "character": column},
            "end": {"line": line, "character": column + NAME.len()},
        });
        Editor {
            client,
            uri,
            range,
            broken: false,
            version: 0,
        }
    }

    /// One edit, and the time until its diagnostics arrive.
    async fn edit(&mut self) -> Duration {
        self.broken = !self.broken;
        self.version += 1;
        let name = if self.broken {
            "weights_training_opz"
        } else {
            NAME
        };
        let started = Instant::now();
        self.client
            .notify(
                "textDocument/didChange",
                json!({
                    "textDocument": {"uri": self.uri, "version": self.version},
                    "contentChanges": [{"range": self.range, "text": name}],
                }),
            )
            .await;
        let published = self
            .client
            .diagnostics_for(&self.uri, Duration::from_secs(30))
            .await
            .expect("diagnostics follow the edit");
        let elapsed = started.elapsed();
        let count = published["diagnostics"].as_array().map_or(0, Vec::len);
        assert_eq!(count > 0, self.broken, "{published}");
        elapsed
    }
}

fn latency(c: &mut Criterion) {
    let runtime = cordon_lsp::runtime().build().expect("a runtime");
    let mut editor = runtime.block_on(Editor::open());
    c.bench_function("edit to diagnostics (policies/ear)", |b| {
        b.iter_custom(|iterations| {
            runtime.block_on(async {
                let mut total = Duration::ZERO;
                for _ in 0..iterations {
                    total += editor.edit().await;
                }
                total
            })
        });
    });
    let mut samples: Vec<Duration> = runtime.block_on(async {
        let mut samples = Vec::new();
        for _ in 0..300 {
            samples.push(editor.edit().await);
        }
        samples
    });
    samples.sort();
    let at = |share: f64| samples[((samples.len() as f64 * share) as usize).min(samples.len() - 1)];
    println!(
        "edit to diagnostics over 300 edits: p50 {:.2} ms, p95 {:.2} ms, max {:.2} ms",
        at(0.50).as_secs_f64() * 1000.0,
        at(0.95).as_secs_f64() * 1000.0,
        samples[samples.len() - 1].as_secs_f64() * 1000.0
    );
}

criterion_group!(benches, latency);
criterion_main!(benches);
