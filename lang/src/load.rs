//! Reading policy sources from disk into a [`Workspace`](crate::db::Workspace).
//!
//! A path is one of: a `.cordon` file (checked on its own), a version directory (its `.cordon`
//! files; when it has a manifest, `version.cordon`, with its sibling versions, so that amendments
//! resolve), or a policy directory (each subdirectory holding `.cordon` files is a version).

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

fn cordon_files(dir: &Path) -> Result<Vec<PathBuf>, LoadError> {
    let entries = std::fs::read_dir(dir).map_err(|error| {
        LoadError(format!(
            "cannot read directory `{}`: {error}",
            dir.display()
        ))
    })?;
    let mut files: Vec<PathBuf> = entries
        .filter_map(Result::ok)
        .map(|entry| entry.path())
        .filter(|path| path.is_file() && path.extension().is_some_and(|ext| ext == "cordon"))
        .collect();
    files.sort();
    Ok(files)
}

fn version_dirs(policy: &Path) -> Result<Vec<PathBuf>, LoadError> {
    let entries = std::fs::read_dir(policy).map_err(|error| {
        LoadError(format!(
            "cannot read directory `{}`: {error}",
            policy.display()
        ))
    })?;
    let mut dirs: Vec<PathBuf> = entries
        .filter_map(Result::ok)
        .map(|entry| entry.path())
        .filter(|path| path.is_dir() && cordon_files(path).is_ok_and(|files| !files.is_empty()))
        .collect();
    dirs.sort();
    Ok(dirs)
}

/// Works out what a path names.
pub fn classify(path: &Path) -> Result<Target, LoadError> {
    if !path.exists() {
        return Err(LoadError(format!("`{}` does not exist", path.display())));
    }
    if path.is_file() {
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
        let policy = path
            .parent()
            .filter(|_| path.join("version.cordon").is_file())
            .filter(|parent| version_dirs(parent).is_ok_and(|dirs| dirs.len() > 1))
            .map(Path::to_path_buf);
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
            let text = std::fs::read_to_string(&path)
                .map_err(|error| LoadError(format!("cannot read `{}`: {error}", path.display())))?;
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
