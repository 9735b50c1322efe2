//! `cordon check PATH`: every diagnostic of a file, a version or a policy.

use std::collections::BTreeMap;
use std::io::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;

use cordon_lang::db::{self, Database};
use cordon_lang::diagnostics::{LocatedDiagnostic, Severity};
use cordon_lang::load::{self, Target};
use cordon_lang::render;

#[derive(clap::Args)]
pub struct Args {
    /// A `.cordon` file, a version directory, or a policy directory.
    pub path: PathBuf,
}

pub fn run(args: &Args) -> Result<ExitCode, String> {
    let loaded = load::load(&args.path).map_err(|error| error.to_string())?;
    let diagnostics = diagnostics_for(&loaded);
    let sources = loaded.sources();
    print_diagnostics(&diagnostics, &sources)
        .map_err(|error| format!("cannot write the diagnostics: {error}"))?;
    let errors = diagnostics
        .iter()
        .filter(|d| d.diagnostic.severity() == Severity::Error)
        .count();
    Ok(if errors > 0 {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}

/// The diagnostics of what the path names: for a version inside a policy, that version's only.
pub fn diagnostics_for(loaded: &load::Loaded) -> Vec<LocatedDiagnostic> {
    let db: &Database = &loaded.db;
    match &loaded.target {
        Target::Version {
            dir,
            policy: Some(_),
        } => {
            let dir = dir.to_string_lossy();
            db::workspace_versions(db, loaded.workspace)
                .iter()
                .filter(|version| version.dir(db).as_str() == dir)
                .flat_map(|version| db::check_version(db, *version).diagnostics.clone())
                .collect()
        }
        _ => db::check_workspace(db, loaded.workspace),
    }
}

/// Prints diagnostics with their source, then a count, on stderr. Nothing when there are none.
pub fn print_diagnostics(
    diagnostics: &[LocatedDiagnostic],
    sources: &BTreeMap<String, String>,
) -> std::io::Result<()> {
    let mut out = std::io::BufWriter::new(std::io::stderr().lock());
    for located in diagnostics {
        let text = sources.get(&located.path).map(String::as_str).unwrap_or("");
        let rendered = render::render(located, text, |path| sources.get(path).cloned());
        writeln!(out, "{rendered}")?;
    }
    let errors = diagnostics
        .iter()
        .filter(|d| d.diagnostic.severity() == Severity::Error)
        .count();
    let warnings = diagnostics.len() - errors;
    if !diagnostics.is_empty() {
        writeln!(
            out,
            "{errors} error{}, {warnings} warning{}",
            if errors == 1 { "" } else { "s" },
            if warnings == 1 { "" } else { "s" }
        )?;
    }
    out.flush()
}
