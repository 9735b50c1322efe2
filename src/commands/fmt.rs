//! `cordon fmt [--check] PATH`: rewrite policy sources in the one canonical layout.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

#[derive(clap::Args)]
pub struct Args {
    /// Report files that are not formatted, and change nothing; exits 1 if there are any.
    #[arg(long)]
    pub check: bool,
    /// A `.cordon` file or a directory (searched recursively).
    pub path: PathBuf,
}

fn sources(path: &Path, files: &mut Vec<PathBuf>) -> Result<(), String> {
    if path.is_file() {
        files.push(path.to_path_buf());
        return Ok(());
    }
    let entries = std::fs::read_dir(path)
        .map_err(|error| format!("cannot read `{}`: {error}", path.display()))?;
    let mut entries: Vec<PathBuf> = entries
        .filter_map(Result::ok)
        .map(|entry| entry.path())
        .collect();
    entries.sort();
    for entry in entries {
        if entry.is_dir() {
            sources(&entry, files)?;
        } else if entry.extension().is_some_and(|ext| ext == "cordon") {
            files.push(entry);
        }
    }
    Ok(())
}

pub fn run(args: &Args) -> Result<ExitCode, String> {
    if !args.path.exists() {
        return Err(format!("`{}` does not exist", args.path.display()));
    }
    let mut files = Vec::new();
    sources(&args.path, &mut files)?;
    let mut out = std::io::stdout().lock();
    let write_error = |error: std::io::Error| format!("cannot write the list of files: {error}");
    let mut unformatted = 0;
    for file in files {
        let text = std::fs::read_to_string(&file)
            .map_err(|error| format!("cannot read `{}`: {error}", file.display()))?;
        let formatted = cordon_lang::format::format_file(&text);
        if formatted == text {
            continue;
        }
        unformatted += 1;
        if args.check {
            writeln!(out, "{} is not formatted", file.display()).map_err(write_error)?;
        } else {
            std::fs::write(&file, formatted)
                .map_err(|error| format!("cannot write `{}`: {error}", file.display()))?;
            writeln!(out, "formatted {}", file.display()).map_err(write_error)?;
        }
    }
    out.flush().map_err(write_error)?;
    Ok(if args.check && unformatted > 0 {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}
