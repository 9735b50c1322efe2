//! Code lenses: on a version's manifest, one to run the version's tests (the `cordon.runTests`
//! command, answered here through the engine); on each rule, how many of the version's tests it
//! decides (appears in the decision's trace).
//!
//! A version's tests run once per state of its inputs: [`version_tests`] is a salsa query, so it
//! runs again only when a file of the version (or of a version it amends) changed, and every lens
//! and command in between reads the same results.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, PoisonError};

use cordon_engine::compile;
use cordon_engine::policy::content_hash;
use cordon_engine::testing::{TestResult, run_tests};
use cordon_engine::{CompiledVersion, Policy};
use cordon_lang::db::{self, EntryKind, VersionKey};
use cordon_lang::ide::{self, OccurrenceKind};
use cordon_lang::parse::ParsedChunk;
use cordon_lang::syntax::{DeclarationKind, Span};
use serde_json::json;
use tower_lsp_server::gen_lsp_types::{
    CodeLens, CodeLensParams, Command, ExecuteCommandParams, LspAny,
};
use tower_lsp_server::jsonrpc::{Error, Result};

use crate::position::LineIndex;
use crate::state::{Snapshot, uri_path};

pub const RUN_TESTS: &str = "cordon.runTests";

/// The results of a version's tests, or why they could not run (the version has errors or does
/// not compile). Two results are equal only when they are the same run.
#[derive(Clone, Debug)]
pub struct VersionTests(pub Arc<std::result::Result<Vec<TestResult>, String>>);

impl PartialEq for VersionTests {
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.0, &other.0)
    }
}

impl Eq for VersionTests {}

/// How many times the tests of each version directory have run in this process: tests of the
/// server read it to prove that unchanged versions are not run again.
static TEST_RUNS: Mutex<BTreeMap<String, u64>> = Mutex::new(BTreeMap::new());

/// How many times the tests of the version in `version_dir` have run in this process.
pub fn test_runs(version_dir: &str) -> u64 {
    TEST_RUNS
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .get(version_dir)
        .copied()
        .unwrap_or(0)
}

/// The tests of one version, run on the text the editor has; an error when the version does not
/// check or compile. A salsa query: it runs again only when the version's inputs changed.
#[salsa::tracked]
pub fn version_tests<'db>(db: &'db dyn db::Db, version: VersionKey<'db>) -> VersionTests {
    *TEST_RUNS
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .entry(version.dir(db).clone())
        .or_default() += 1;
    VersionTests(Arc::new(run_version_tests(db, version)))
}

fn run_version_tests(
    db: &dyn db::Db,
    version: VersionKey<'_>,
) -> std::result::Result<Vec<TestResult>, String> {
    if db::version_diagnostics(db, version)
        .iter()
        .any(|d| d.diagnostic.severity() == cordon_lang::diagnostics::Severity::Error)
    {
        return Err(format!(
            "version `{}` has errors; fix them to run its tests",
            db::version_id(db, version).0
        ));
    }
    let hir = db::check_version(db, version).version.clone();
    let program = compile::compile(&hir)
        .map_err(|error| format!("version `{}` cannot be compiled: {error}", hir.manifest.id))?;
    let compiled = CompiledVersion {
        policy: hir.manifest.policy.clone(),
        id: hir.manifest.id.clone(),
        hash: content_hash(&hir.sources),
        hir: Arc::clone(&hir),
        program,
        // The only version of this one-version policy is its first.
        reads_like_first: true,
    };
    let policy = Policy {
        name: compiled.policy.clone(),
        versions: vec![compiled],
    };
    Ok(run_tests(&policy))
}

pub fn code_lenses(snapshot: &Snapshot, params: &CodeLensParams) -> Option<Vec<CodeLens>> {
    let db = &snapshot.db;
    let uri = &params.text_document.uri;
    let (file, workspace) = snapshot.file(uri)?;
    let version = ide::file_version(db, workspace, file)?;
    let index = LineIndex::new(snapshot.text(file));
    let mut lenses = Vec::new();
    let manifest = db::parse_file(db, file)
        .declarations
        .iter()
        .find(|declaration| {
            matches!(
                &declaration.parsed,
                ParsedChunk::Declaration(tree) if matches!(tree.kind, DeclarationKind::Version(_))
            )
        });
    let version_id = db::version_id(db, version).0.clone();
    if let Some(manifest) = manifest {
        lenses.push(CodeLens {
            range: index.range(Span::new(
                manifest.offset as usize,
                manifest.offset as usize,
            )),
            command: Some(Command {
                title: format!("▶ Run the tests of version {version_id}"),
                tooltip: None,
                command: RUN_TESTS.to_string(),
                arguments: Some(vec![json!(uri.to_string())]),
            }),
            data: None,
        });
    }
    let rules: Vec<_> = ide::file_occurrences(db, file)
        .iter()
        .filter(|occurrence| {
            occurrence.kind == OccurrenceKind::Declaration(EntryKind::Rule)
                || occurrence.kind == OccurrenceKind::Amendment(EntryKind::Rule)
        })
        .collect();
    if rules.is_empty() {
        return Some(lenses);
    }
    let results = version_tests(db, version);
    for rule in rules {
        let title = match results.0.as_ref() {
            Ok(results) => {
                let decided = results
                    .iter()
                    .filter(|result| {
                        result.result.as_ref().is_ok_and(|(decision, _)| {
                            decision.trace.iter().any(|entry| entry.rule == rule.text)
                        })
                    })
                    .count();
                format!(
                    "decides {decided} of the {} tests of version {version_id}",
                    results.len()
                )
            }
            Err(_) => "tests not run: the version has errors".to_string(),
        };
        lenses.push(CodeLens {
            range: index.range(rule.span),
            command: Some(Command {
                title,
                tooltip: None,
                command: String::new(),
                arguments: None,
            }),
            data: None,
        });
    }
    Some(lenses)
}

/// `cordon.runTests` with a file's URI: runs its version's tests and answers with a summary, the
/// counts and the failures.
pub fn execute(snapshot: &Snapshot, params: &ExecuteCommandParams) -> Result<LspAny> {
    if params.command != RUN_TESTS {
        return Err(Error::invalid_params(format!(
            "unknown command `{}`",
            params.command
        )));
    }
    let uri = params
        .arguments
        .as_ref()
        .and_then(|arguments| arguments.first())
        .and_then(|argument| argument.as_str())
        .and_then(|text| text.parse().ok())
        .ok_or_else(|| Error::invalid_params("`cordon.runTests` takes a file's URI"))?;
    let (file, workspace) = uri_path(&uri)
        .and_then(|_| snapshot.file(&uri))
        .ok_or_else(|| {
            Error::invalid_params(format!("`{}` is not a loaded policy file", uri.as_str()))
        })?;
    let version = ide::file_version(&snapshot.db, workspace, file)
        .ok_or_else(|| Error::invalid_params("the file belongs to no version"))?;
    let tests = version_tests(&snapshot.db, version);
    let results = tests
        .0
        .as_ref()
        .as_ref()
        .map_err(|error| Error::invalid_params(error.clone()))?;
    let failures: Vec<LspAny> = results
        .iter()
        .filter(|result| !result.passed())
        .map(|result| json!({ "test": result.name, "location": result.location }))
        .collect();
    let passed = results.len() - failures.len();
    let id = db::version_id(&snapshot.db, version).0.clone();
    Ok(json!({
        "summary": format!("version {id}: {passed} passed, {} failed", failures.len()),
        "passed": passed,
        "failed": failures.len(),
        "failures": failures,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::state::{State, WatchedChanges};

    const MANIFEST: &str = "version \"v1\"\n  policy \"demo\"\n  source \"89 FR 1\"\n  in_force from 2024-01-01 through 2024-12-31\n";

    /// A version added to a policy of several (one amending a loaded version) does not run the
    /// tests of the others again.
    #[test]
    fn a_new_version_does_not_run_the_tests_of_another_again() {
        let dir = std::env::temp_dir().join(format!("cordon-lsp-lens-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(dir.join("v1")).expect("a temporary directory");
        std::fs::create_dir_all(dir.join("v0")).expect("a temporary directory");
        std::fs::write(dir.join("v1/version.cordon"), MANIFEST).expect("writable");
        std::fs::write(
            dir.join("v1/rules.cordon"),
            "const limit = 1\n  cite \"15 CFR 1\"\n",
        )
        .expect("writable");
        std::fs::write(
            dir.join("v0/version.cordon"),
            MANIFEST.replace("v1", "v0").replace("2024", "2023"),
        )
        .expect("writable");
        let mut state = State::default();
        let (file, workspace) = state.file(&dir.join("v1/version.cordon")).expect("loaded");
        let version = ide::file_version(&state.db, workspace, file).expect("a version");
        let _ = version_tests(&state.db, version);
        state.db.start_logging();
        std::fs::create_dir_all(dir.join("v2")).expect("a temporary directory");
        std::fs::write(
            dir.join("v2/version.cordon"),
            "version \"v2\"\n  policy \"demo\"\n  source \"90 FR 1\"\n  amends \"v1\"\n  in_force from 2025-01-01\n",
        )
        .expect("writable");
        std::fs::write(
            dir.join("v2/rules.cordon"),
            "replace const limit = 2\n  cite \"15 CFR 1, as amended\"\n",
        )
        .expect("writable");
        let mut changes = WatchedChanges::default();
        state.created_or_changed(&dir.join("v2"), &mut changes);
        let version = ide::file_version(&state.db, workspace, file).expect("a version");
        let _ = version_tests(&state.db, version);
        let executed = state.db.take_executed();
        let _ = std::fs::remove_dir_all(&dir);
        assert!(
            !executed
                .iter()
                .any(|query| query.starts_with("version_tests")),
            "{executed:#?}"
        );
    }
}
