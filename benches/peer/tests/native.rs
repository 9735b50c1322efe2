//! Every version of `policies/ear` written as Rust (`cordon_engine::native`, by `build.rs`)
//! decides as the interpreter does: the same rules apply, with the same conclusions, or the same
//! error, on generated transactions whole and with one fact taken out.

use cordon_engine::eval::{self, Scratch};
use cordon_engine::facts;
use cordon_engine::{CompiledVersion, Policy};
use peer_bench::generate;
use peer_bench::native::{
    v2023_11_17, v2024_04_04, v2024_12_02, v2025_01_13, v2025_05_13, v2026_01_15,
};

/// The versions written as Rust.
const VERSIONS: [&str; 6] = [
    v2023_11_17::VERSION,
    v2024_04_04::VERSION,
    v2024_12_02::VERSION,
    v2025_01_13::VERSION,
    v2025_05_13::VERSION,
    v2026_01_15::VERSION,
];

/// Decides with the Rust written from `version`.
fn run_native<'a>(
    version: &'a CompiledVersion,
    facts: &facts::Facts<'a>,
    scratch: &mut Scratch<'a>,
) -> Result<(), String> {
    macro_rules! with {
        ($module:ident) => {{
            let native = $module::Native::new(version)?;
            native
                .run(facts, scratch)
                .map_err(|error| error.to_string())
        }};
    }
    match version.id.as_str() {
        v2023_11_17::VERSION => with!(v2023_11_17),
        v2024_04_04::VERSION => with!(v2024_04_04),
        v2024_12_02::VERSION => with!(v2024_12_02),
        v2025_01_13::VERSION => with!(v2025_01_13),
        v2025_05_13::VERSION => with!(v2025_05_13),
        v2026_01_15::VERSION => with!(v2026_01_15),
        other => Err(format!("no Rust written from version `{other}`")),
    }
}

/// The leaf paths of a JSON object, as keys from the root.
fn leaves(json: &serde_json::Value, path: &mut Vec<String>, out: &mut Vec<Vec<String>>) {
    match json.as_object() {
        Some(object) => {
            for (key, value) in object {
                path.push(key.clone());
                leaves(value, path, out);
                path.pop();
            }
        }
        None => out.push(path.clone()),
    }
}

fn without(json: &serde_json::Value, path: &[String]) -> serde_json::Value {
    let mut json = json.clone();
    let mut at = &mut json;
    for key in &path[..path.len() - 1] {
        at = &mut at[key.as_str()];
    }
    if let Some(object) = at.as_object_mut() {
        object.remove(&path[path.len() - 1]);
    }
    json
}

/// What an evaluation left: the rules that applied, the sets, the single outcomes' candidates
/// (as text), or the error.
fn result(outcome: Result<(), String>, scratch: &Scratch<'_>) -> String {
    match outcome {
        Ok(()) => format!(
            "applied {:?} sets {:?} candidates {:?}",
            scratch.applied,
            scratch.sets,
            scratch.candidates()
        ),
        Err(error) => format!("error {error}"),
    }
}

#[test]
fn every_version_in_rust_decides_as_the_interpreter() {
    let policy = Policy::load(&peer_bench::workspace_root().join("policies/ear"))
        .unwrap_or_else(|error| panic!("{error}"));
    assert_eq!(
        VERSIONS.len(),
        policy.versions.len(),
        "a module for each version"
    );
    let mut inputs = Vec::new();
    for (index, transaction) in generate::transactions(11, 2_000).into_iter().enumerate() {
        let json = transaction.to_json();
        let mut paths = Vec::new();
        leaves(&json, &mut Vec::new(), &mut paths);
        let taken = without(&json, &paths[index % paths.len()]);
        inputs.push(json);
        inputs.push(taken);
    }
    let (mut decided, mut failed) = (0, 0);
    for id in VERSIONS {
        let version = policy.pinned(id).unwrap_or_else(|error| panic!("{error}"));
        for json in &inputs {
            let Ok(facts) = facts::read(&version.program, json) else {
                continue;
            };
            let mut scratch = Scratch::default();
            let interpreted = eval::run(&version.program, &facts, &mut scratch)
                .map_err(|error| error.to_string());
            let expected = result(interpreted, &scratch);
            let mut scratch = Scratch::default();
            let native = run_native(version, &facts, &mut scratch);
            assert_eq!(result(native, &scratch), expected, "version {id} on {json}");
            if expected.starts_with("error") {
                failed += 1;
            } else {
                decided += 1;
            }
        }
    }
    // Both ways were exercised: decisions, and errors for facts a rule needs and lacks.
    assert!(decided > 10_000, "{decided} decided");
    assert!(failed > 100, "{failed} failed");
}

#[test]
fn rust_written_from_one_version_refuses_another() {
    let policy = Policy::load(&peer_bench::workspace_root().join("policies/ear"))
        .unwrap_or_else(|error| panic!("{error}"));
    let other = policy
        .pinned("2023-11-17")
        .unwrap_or_else(|error| panic!("{error}"));
    let error = v2025_01_13::Native::new(other).err().unwrap_or_default();
    assert!(
        error.contains("written from version `2025-01-13`"),
        "{error}"
    );
    let same = policy
        .pinned("2025-01-13")
        .unwrap_or_else(|error| panic!("{error}"));
    assert!(v2025_01_13::Native::new(same).is_ok());
}
