//! `cordon fmt [--check] PATH`: rewrite policy sources in the one canonical layout.
//!
//! Sources are read as loading reads them (`cordon_lang::load::read_source`: regular files of a
//! bounded size only). A file is rewritten by writing its new text to a temporary file beside it
//! and renaming that over it, so that a write cut short (a full disk, a kill) leaves the old text
//! whole, never a truncated file.

use std::collections::HashSet;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use cordon_lang::load;

#[derive(clap::Args)]
pub struct Args {
    /// Report files that are not formatted, and change nothing; exits 1 if there are any.
    #[arg(long)]
    pub check: bool,
    /// A `.cordon` file or a directory (searched recursively).
    pub path: PathBuf,
}

/// The `.cordon` files under `path`, in name order. A directory reached again through a
/// symlink is not searched again; an entry named `.cordon` that is no regular file is an error.
fn sources(
    path: &Path,
    seen: &mut HashSet<PathBuf>,
    files: &mut Vec<PathBuf>,
) -> Result<(), String> {
    if !path.is_dir() {
        load::check_source(path).map_err(|error| error.to_string())?;
        files.push(path.to_path_buf());
        return Ok(());
    }
    let real = std::fs::canonicalize(path)
        .map_err(|error| format!("cannot read `{}`: {error}", path.display()))?;
    if !seen.insert(real) {
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
        if entry.is_dir() || entry.extension().is_some_and(|ext| ext == "cordon") {
            sources(&entry, seen, files)?;
        }
    }
    Ok(())
}

/// Replaces the file at `path` (the file a symlink points to, for a symlink) with `text`: the
/// text goes to a temporary file in the same directory, with the file's permissions, and is
/// renamed over it once written and synced.
fn replace(path: &Path, text: &str) -> Result<(), String> {
    let cannot =
        |error: &dyn std::fmt::Display| format!("cannot write `{}`: {error}", path.display());
    let real = std::fs::canonicalize(path).map_err(|error| cannot(&error))?;
    let permissions = std::fs::metadata(&real)
        .map_err(|error| cannot(&error))?
        .permissions();
    let dir = real.parent().unwrap_or(Path::new("."));
    let name = real
        .file_name()
        .map(|name| name.to_string_lossy().into_owned())
        .unwrap_or_default();
    // Not a `.cordon` name: one left behind by a kill is never taken for a source.
    let temporary = dir.join(format!(".{name}.{}.fmt-tmp", std::process::id()));
    let written = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&temporary)
        .and_then(|mut file| {
            file.write_all(text.as_bytes())?;
            file.set_permissions(permissions)?;
            file.sync_all()
        })
        .and_then(|()| std::fs::rename(&temporary, &real));
    if let Err(error) = written {
        let _ = std::fs::remove_file(&temporary);
        return Err(cannot(&error));
    }
    Ok(())
}

pub fn run(args: &Args) -> Result<ExitCode, String> {
    if std::fs::symlink_metadata(&args.path).is_err() {
        return Err(format!("`{}` does not exist", args.path.display()));
    }
    let mut files = Vec::new();
    sources(&args.path, &mut HashSet::new(), &mut files)?;
    let mut out = std::io::stdout().lock();
    let write_error = |error: std::io::Error| format!("cannot write the list of files: {error}");
    let mut unformatted = 0;
    for file in files {
        let text = load::read_source(&file).map_err(|error| error.to_string())?;
        let formatted = cordon_lang::format::format_file(&text);
        if formatted == text {
            continue;
        }
        unformatted += 1;
        if args.check {
            writeln!(out, "{} is not formatted", file.display()).map_err(write_error)?;
        } else {
            replace(&file, &formatted)?;
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
