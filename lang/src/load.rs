//! Reading policy sources from disk into a [`Workspace`](crate::db::Workspace).
//!
//! A path is one of: a `.cordon` file (checked on its own), a version directory (its `.cordon`
//! files; when it has a manifest, `version.cordon`, with its sibling versions, so that amendments
//! resolve), or a policy directory (each subdirectory holding `.cordon` files is a version).
//!
//! Only regular files are read, and at most [`MAX_SOURCE_BYTES`] of each: a `.cordon` entry that
//! is a FIFO, a socket, a device, a symlink to one of those or a symlink loop is refused with an
//! error naming it and what it is, as is a larger file (reading them could block, never end, or
//! fill memory).

use std::path::{Path, PathBuf};

use salsa::{Durability, Setter as _};

use crate::db::{Database, SourceFile, Workspace};

/// What a path names.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Target {
    File(PathBuf),
    /// A version directory, and the policy directory around it if there is one.
    Version {
        dir: PathBuf,
        policy: Option<PathBuf>,
    },
    Policy(PathBuf),
}

/// A loaded workspace: the database, its input, and what was asked for.
pub struct Loaded {
    pub db: Database,
    pub workspace: Workspace,
    pub target: Target,
}

impl Loaded {
    /// Every loaded file's text by its path, for rendering diagnostics.
    pub fn sources(&self) -> std::collections::BTreeMap<String, String> {
        self.workspace
            .files(&self.db)
            .iter()
            .map(|file| (file.path(&self.db).clone(), file.text(&self.db).clone()))
            .collect()
    }
}

#[derive(Debug)]
pub struct LoadError(pub String);

impl std::fmt::Display for LoadError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for LoadError {}

/// The largest policy source loading reads: a larger `.cordon` file is refused.
pub const MAX_SOURCE_BYTES: u64 = 16 << 20;

/// The limit as people read it.
const MAX_SOURCE_TEXT: &str = "16 MiB";

fn read_dir(dir: &Path) -> Result<std::fs::ReadDir, LoadError> {
    std::fs::read_dir(dir).map_err(|error| {
        LoadError(format!(
            "cannot read directory `{}`: {error}",
            dir.display()
        ))
    })
}

/// The `.cordon` files of a directory, in name order. An entry named `.cordon` that is no
/// regular file (a FIFO, a socket, a device, a symlink to one, a symlink loop) is refused, not
/// skipped: reading it could block or never end. Directories so named are not sources.
fn cordon_files(dir: &Path) -> Result<Vec<PathBuf>, LoadError> {
    sources_in(read_dir(dir)?)
}

fn sources_in(entries: std::fs::ReadDir) -> Result<Vec<PathBuf>, LoadError> {
    let mut files = Vec::new();
    for path in entries.filter_map(Result::ok).map(|entry| entry.path()) {
        if path.extension().is_none_or(|ext| ext != "cordon") || path.is_dir() {
            continue;
        }
        check_source(&path)?;
        files.push(path);
    }
    files.sort();
    Ok(files)
}

fn version_dirs(policy: &Path) -> Result<Vec<PathBuf>, LoadError> {
    let mut dirs = Vec::new();
    for path in read_dir(policy)?
        .filter_map(Result::ok)
        .map(|entry| entry.path())
    {
        // A subdirectory that cannot be read is no version; one holding a source that cannot
        // be read safely is refused.
        if !path.is_dir() {
            continue;
        }
        let Ok(entries) = std::fs::read_dir(&path) else {
            continue;
        };
        if !sources_in(entries)?.is_empty() {
            dirs.push(path);
        }
    }
    dirs.sort();
    Ok(dirs)
}

/// What a path that is no regular file is, for the error that refuses it.
fn what_it_is(file_type: std::fs::FileType) -> &'static str {
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt as _;
        if file_type.is_fifo() {
            return "a FIFO (named pipe)";
        }
        if file_type.is_socket() {
            return "a socket";
        }
        if file_type.is_char_device() {
            return "a character device";
        }
        if file_type.is_block_device() {
            return "a block device";
        }
    }
    if file_type.is_dir() {
        "a directory"
    } else {
        "a special file"
    }
}

/// Whether following the symlink at `path` comes back to a link it has already followed (or
/// goes on past any sensible depth).
fn symlink_loop(path: &Path) -> bool {
    let mut seen = std::collections::HashSet::new();
    let mut current = path.to_path_buf();
    for _ in 0..64 {
        let Ok(target) = std::fs::read_link(&current) else {
            return false;
        };
        let next = current
            .parent()
            .unwrap_or(Path::new("."))
            .join(target)
            .components()
            .collect::<PathBuf>();
        if !seen.insert(next.clone()) {
            return true;
        }
        current = next;
    }
    true
}

/// Why a path is not a regular file one can read (see [`regular_file`]).
#[derive(Debug)]
pub enum NotRegular {
    /// It cannot be looked at (it does not exist, say).
    Unreadable(std::io::Error),
    /// It is something else: what (`a FIFO (named pipe)`, `a symlink loop`, ...).
    Other(String),
}

/// Checks that `path` is a regular file (or a symlink to one) without opening it: opening a
/// FIFO blocks, and a device can be read forever. Says what it is when it is something else.
pub fn regular_file(path: &Path) -> Result<std::fs::Metadata, NotRegular> {
    let link = std::fs::symlink_metadata(path).map_err(NotRegular::Unreadable)?;
    let is_link = link.file_type().is_symlink();
    let target = || {
        std::fs::read_link(path)
            .map(|target| format!(" (`{}`)", target.display()))
            .unwrap_or_default()
    };
    match std::fs::metadata(path) {
        Ok(metadata) if metadata.is_file() => Ok(metadata),
        Ok(metadata) if is_link => Err(NotRegular::Other(format!(
            "a symlink to {}{}",
            what_it_is(metadata.file_type()),
            target()
        ))),
        Ok(metadata) => Err(NotRegular::Other(
            what_it_is(metadata.file_type()).to_string(),
        )),
        Err(_) if is_link && symlink_loop(path) => Err(NotRegular::Other("a symlink loop".into())),
        Err(error) if is_link => Err(NotRegular::Other(format!(
            "a broken symlink{} ({error})",
            target()
        ))),
        Err(error) => Err(NotRegular::Unreadable(error)),
    }
}

/// [`regular_file`] for a policy source, with the error that refuses it naming the path and
/// what it is.
pub fn check_source(path: &Path) -> Result<std::fs::Metadata, LoadError> {
    regular_file(path).map_err(|problem| match problem {
        NotRegular::Unreadable(error) => {
            LoadError(format!("cannot read `{}`: {error}", path.display()))
        }
        NotRegular::Other(what) => LoadError(format!(
            "cannot load `{}`: it is {what}, not a regular file",
            path.display()
        )),
    })
}

/// Reads a policy source: a regular file (refused otherwise, see [`check_source`]) of at most
/// [`MAX_SOURCE_BYTES`], in UTF-8. The size is checked as the file is read, not only from its
/// metadata (a file can grow, and some report no size).
pub fn read_source(path: &Path) -> Result<String, LoadError> {
    use std::io::Read as _;
    let cannot = |error: &dyn std::fmt::Display| {
        LoadError(format!("cannot read `{}`: {error}", path.display()))
    };
    let too_large = || {
        LoadError(format!(
            "cannot load `{}`: it is larger than {MAX_SOURCE_TEXT}, the limit for a policy source",
            path.display()
        ))
    };
    if check_source(path)?.len() > MAX_SOURCE_BYTES {
        return Err(too_large());
    }
    let file = std::fs::File::open(path).map_err(|error| cannot(&error))?;
    // What was opened, not what was looked at before (it may have been replaced since).
    let metadata = file.metadata().map_err(|error| cannot(&error))?;
    if !metadata.is_file() {
        return Err(LoadError(format!(
            "cannot load `{}`: it is {}, not a regular file",
            path.display(),
            what_it_is(metadata.file_type())
        )));
    }
    let mut bytes = Vec::new();
    file.take(MAX_SOURCE_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(|error| cannot(&error))?;
    if bytes.len() as u64 > MAX_SOURCE_BYTES {
        return Err(too_large());
    }
    String::from_utf8(bytes).map_err(|error| {
        let at = error.utf8_error().valid_up_to();
        LoadError(format!(
            "cannot load `{}`: it is not valid UTF-8 (at byte {})",
            path.display(),
            at + 1
        ))
    })
}

/// Works out what a path names.
pub fn classify(path: &Path) -> Result<Target, LoadError> {
    if std::fs::symlink_metadata(path).is_err() {
        return Err(LoadError(format!("`{}` does not exist", path.display())));
    }
    if !path.is_dir() {
        check_source(path)?;
        if path.extension().is_none_or(|ext| ext != "cordon") {
            return Err(LoadError(format!(
                "`{}` is not a policy source (a `.cordon` file)",
                path.display()
            )));
        }
        return Ok(Target::File(path.to_path_buf()));
    }
    if !cordon_files(path)?.is_empty() {
        // A version of a policy has a manifest (`version.cordon`); its siblings are the policy's
        // other versions, loaded so that amendments resolve. A directory without a manifest is
        // checked on its own, whatever lies beside it.
        let parent = path
            .parent()
            .filter(|_| path.join("version.cordon").is_file());
        let policy = match parent {
            // A sibling that cannot be loaded is an error here too: checked on its own, the
            // version's amendments would not resolve.
            Some(parent) if std::fs::read_dir(parent).is_ok() => {
                (version_dirs(parent)?.len() > 1).then(|| parent.to_path_buf())
            }
            _ => None,
        };
        return Ok(Target::Version {
            dir: path.to_path_buf(),
            policy,
        });
    }
    if !version_dirs(path)?.is_empty() {
        return Ok(Target::Policy(path.to_path_buf()));
    }
    Err(LoadError(format!(
        "`{}` holds no policy sources: expected `.cordon` files, or version directories holding them",
        path.display()
    )))
}

/// Loads the files a path names (with the versions it needs) into a fresh database. Files are
/// given high durability: they do not change while a command runs.
pub fn load(path: &Path) -> Result<Loaded, LoadError> {
    let mut db = Database::default();
    let (workspace, target) = load_into(&mut db, path)?;
    Ok(Loaded {
        db,
        workspace,
        target,
    })
}

/// Loads the files a path names into a new workspace of an existing database (an editor keeps
/// one database for every policy it opens).
pub fn load_into(db: &mut Database, path: &Path) -> Result<(Workspace, Target), LoadError> {
    let target = classify(path)?;
    let dirs: Vec<(PathBuf, Vec<PathBuf>)> = match &target {
        Target::File(file) => vec![(
            file.parent().unwrap_or(Path::new(".")).to_path_buf(),
            vec![file.clone()],
        )],
        Target::Version {
            policy: Some(policy),
            ..
        }
        | Target::Policy(policy) => version_dirs(policy)?
            .into_iter()
            .map(|dir| cordon_files(&dir).map(|files| (dir, files)))
            .collect::<Result<_, _>>()?,
        Target::Version { dir, policy: None } => vec![(dir.clone(), cordon_files(dir)?)],
    };
    let mut files = Vec::new();
    for (dir, paths) in dirs {
        for path in paths {
            let text = read_source(&path)?;
            files.push(new_file(db, &path, &dir, text));
        }
    }
    let workspace = Workspace::new(db, Vec::new());
    workspace
        .set_files(db)
        .with_durability(Durability::HIGH)
        .to(files);
    Ok((workspace, target))
}

/// A source file input with high durability.
pub fn new_file(db: &Database, path: &Path, dir: &Path, text: String) -> SourceFile {
    let module = path
        .file_stem()
        .map(|stem| stem.to_string_lossy().into_owned())
        .unwrap_or_default();
    SourceFile::builder(display(path), text, display(dir), module)
        .durability(Durability::HIGH)
        .new(db)
}

fn display(path: &Path) -> String {
    path.to_string_lossy().into_owned()
}
