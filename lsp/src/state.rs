//! The server's state: one salsa database (the same as `cordon check`'s) holding every policy an
//! editor has opened, one workspace per policy directory. Files open in the editor have the
//! editor's text; the others are read from disk, so a whole version is analysed, not one file.
//!
//! Edits are applied to the database under a lock; requests read a clone of it (a snapshot) on a
//! blocking thread. An edit cancels the snapshots in flight (salsa's cancellation).
//!
//! Files and version directories created, changed or deleted on disk after a policy was loaded
//! (the client's watched-file notifications) are applied here too. Loading never stops at a file
//! or directory it cannot read: each such failure is kept as a [`LoadProblem`] for the server to
//! report, and the rest of the policy is loaded.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use cordon_lang::db::{Database, SourceFile, Workspace};
use cordon_lang::load::{self, Target};
use salsa::{Durability, Setter as _};
use tower_lsp_server::gen_lsp_types::{self as lsp, Uri};

use crate::position::LineIndex;

#[derive(Default)]
pub struct State {
    pub db: Database,
    /// Loaded policies, by the directory they were loaded from.
    roots: BTreeMap<PathBuf, Workspace>,
    files: BTreeMap<PathBuf, (SourceFile, Workspace)>,
    open: BTreeSet<PathBuf>,
    /// Incremented by every edit: diagnostics computed before the latest edit are not published.
    pub generation: u64,
    /// What was last published for each file, so that only changes are sent.
    pub published: BTreeMap<String, Vec<lsp::Diagnostic>>,
    /// Files and directories that could not be read since the server last reported them.
    problems: Vec<LoadProblem>,
}

/// A file or directory that could not be read, and why (the message names the path).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LoadProblem {
    pub path: PathBuf,
    pub message: String,
}

/// What a watched-file notification changed: the workspaces to check again and the files that
/// left the state (their diagnostics are cleared).
#[derive(Default)]
pub struct WatchedChanges {
    pub workspaces: Vec<Workspace>,
    pub removed: Vec<PathBuf>,
}

impl WatchedChanges {
    fn touched(&mut self, workspace: Workspace) {
        if !self.workspaces.contains(&workspace) {
            self.workspaces.push(workspace);
        }
    }
}

/// A read-only view of the state for one request.
#[derive(Clone)]
pub struct Snapshot {
    pub db: Database,
    files: BTreeMap<PathBuf, (SourceFile, Workspace)>,
}

/// A file's path from its URI.
pub fn uri_path(uri: &Uri) -> Option<PathBuf> {
    uri.to_file_path().ok()
}

/// A file's URI from its path as the database has it.
pub fn path_uri(path: &str) -> Option<Uri> {
    Uri::from_file_path(Path::new(path)).ok()
}

fn is_source(path: &Path) -> bool {
    path.extension()
        .is_some_and(|extension| extension == "cordon")
}

impl State {
    pub fn snapshot(&self) -> Snapshot {
        Snapshot {
            db: self.db.clone(),
            files: self.files.clone(),
        }
    }

    /// Whether a file is part of a loaded policy.
    pub fn is_loaded(&self, path: &Path) -> bool {
        self.files.contains_key(path)
    }

    /// The load problems found since the last call.
    pub fn take_problems(&mut self) -> Vec<LoadProblem> {
        std::mem::take(&mut self.problems)
    }

    fn problem(&mut self, path: &Path, message: String) {
        self.problems.push(LoadProblem {
            path: path.to_path_buf(),
            message,
        });
    }

    /// The entries of a directory, in name order; a directory that cannot be listed is a problem.
    fn list(&mut self, dir: &Path) -> Vec<PathBuf> {
        match std::fs::read_dir(dir) {
            Ok(entries) => {
                let mut paths = Vec::new();
                for entry in entries {
                    match entry {
                        Ok(entry) => paths.push(entry.path()),
                        Err(error) => self.problem(
                            dir,
                            format!("cannot list directory `{}`: {error}", dir.display()),
                        ),
                    }
                }
                paths.sort();
                paths
            }
            Err(error) => {
                self.problem(
                    dir,
                    format!("cannot list directory `{}`: {error}", dir.display()),
                );
                Vec::new()
            }
        }
    }

    /// The `.cordon` entries of a directory (directories so named are not sources).
    fn sources_in(&mut self, dir: &Path) -> Vec<PathBuf> {
        self.list(dir)
            .into_iter()
            .filter(|path| is_source(path) && !path.is_dir())
            .collect()
    }

    /// The directory a file's policy is loaded from: a loaded policy that holds the directory,
    /// else what `cordon check` would load.
    fn root_of(&self, dir: &Path) -> PathBuf {
        if self.roots.contains_key(dir) {
            return dir.to_path_buf();
        }
        if let Some(parent) = dir.parent()
            && (self.roots.contains_key(parent)
                || self.roots.keys().any(|root| root.parent() == Some(parent)))
        {
            // A new version beside loaded ones: the policy around them all.
            return parent.to_path_buf();
        }
        match load::classify(dir) {
            Ok(Target::Version {
                policy: Some(policy),
                ..
            }) => policy,
            _ => dir.to_path_buf(),
        }
    }

    /// Whether a directory belongs to a loaded policy (a version of it, or a new one beside them).
    fn belongs_to_loaded_policy(&self, dir: &Path) -> bool {
        self.roots.contains_key(dir)
            || dir.parent().is_some_and(|parent| {
                self.roots.contains_key(parent)
                    || self.roots.keys().any(|root| root.parent() == Some(parent))
            })
    }

    /// Loads a policy from disk into a new workspace: its own `.cordon` files when it has some
    /// (one version), else those of each subdirectory (its versions). A file or directory that
    /// cannot be read is a problem and is left out; the rest is loaded. A file already loaded
    /// in another workspace moves to this one, keeping the editor's text when it is open.
    fn load_root(&mut self, root: &Path) -> Workspace {
        let mut dirs: Vec<(PathBuf, Vec<PathBuf>)> = Vec::new();
        let own = self.sources_in(root);
        if own.is_empty() {
            for entry in self.list(root) {
                if entry.is_dir() {
                    let sources = self.sources_in(&entry);
                    if !sources.is_empty() {
                        dirs.push((entry, sources));
                    }
                }
            }
        } else {
            dirs.push((root.to_path_buf(), own));
        }
        let mut files = Vec::new();
        for (dir, paths) in dirs {
            for path in paths {
                let text = if self.open.contains(&path)
                    && let Some((old, _)) = self.files.get(&path)
                {
                    old.text(&self.db).clone()
                } else {
                    match load::read_source(&path) {
                        Ok(text) => text,
                        Err(error) => {
                            self.problem(&path, error.0);
                            continue;
                        }
                    }
                };
                files.push((path.clone(), load::new_file(&self.db, &path, &dir, text)));
            }
        }
        let workspace = Workspace::new(&self.db, Vec::new());
        workspace
            .set_files(&mut self.db)
            .with_durability(Durability::HIGH)
            .to(files.iter().map(|(_, file)| *file).collect());
        // Policies loaded before from inside this one are replaced by it.
        self.roots.retain(|loaded, _| !loaded.starts_with(root));
        self.roots.insert(root.to_path_buf(), workspace);
        for (path, file) in files {
            self.files.insert(path, (file, workspace));
        }
        self.generation += 1;
        workspace
    }

    /// Adds a file to a workspace with the given text.
    fn add_file(&mut self, workspace: Workspace, path: &Path, text: String) -> SourceFile {
        let dir = path.parent().unwrap_or(Path::new(".")).to_path_buf();
        let file = load::new_file(&self.db, path, &dir, text);
        let mut files = workspace.files(&self.db).clone();
        files.push(file);
        workspace
            .set_files(&mut self.db)
            .with_durability(Durability::HIGH)
            .to(files);
        self.files.insert(path.to_path_buf(), (file, workspace));
        self.generation += 1;
        file
    }

    /// Takes a file out of its workspace (it was deleted, or can no longer be read).
    fn remove_file(&mut self, path: &Path) -> Option<Workspace> {
        let (file, workspace) = self.files.remove(path)?;
        let files: Vec<SourceFile> = workspace
            .files(&self.db)
            .iter()
            .copied()
            .filter(|candidate| *candidate != file)
            .collect();
        workspace
            .set_files(&mut self.db)
            .with_durability(Durability::HIGH)
            .to(files);
        self.generation += 1;
        Some(workspace)
    }

    /// The file at `path`, loading the policy around it from disk the first time.
    pub fn file(&mut self, path: &Path) -> Option<(SourceFile, Workspace)> {
        if let Some(found) = self.files.get(path) {
            return Some(*found);
        }
        if !is_source(path) {
            return None;
        }
        let dir = path.parent()?.to_path_buf();
        let root = self.root_of(&dir);
        if !self.roots.contains_key(&root) {
            self.load_root(&root);
        }
        if let Some(found) = self.files.get(path) {
            return Some(*found);
        }
        // A file that is not on disk yet (or that cannot be read, or a directory that holds no
        // policy): added to the workspace of its directory, or to a new one.
        let workspace = match self.roots.get(&root) {
            Some(workspace) => *workspace,
            None => {
                let workspace = Workspace::new(&self.db, Vec::new());
                self.roots.insert(root, workspace);
                workspace
            }
        };
        let file = self.add_file(workspace, path, String::new());
        Some((file, workspace))
    }

    pub fn open(&mut self, path: &Path, text: String) -> Option<(SourceFile, Workspace)> {
        let (file, workspace) = self.file(path)?;
        self.open.insert(path.to_path_buf());
        self.set_text(file, text);
        Some((file, workspace))
    }

    /// Back to the text on disk when the editor closes the file (or out of the policy when it is
    /// no longer on disk).
    pub fn close(&mut self, path: &Path) -> Option<(SourceFile, Workspace)> {
        self.open.remove(path);
        let (file, workspace) = *self.files.get(path)?;
        if std::fs::symlink_metadata(path).is_err() {
            self.remove_file(path);
            return Some((file, workspace));
        }
        match load::read_source(path) {
            Ok(text) => self.set_text(file, text),
            Err(error) => {
                self.problem(path, error.0);
                self.remove_file(path);
            }
        }
        Some((file, workspace))
    }

    /// A watched file or directory was created or changed on disk: a `.cordon` file of a loaded
    /// policy is read again (unless the editor has it open: the editor's text stays), one that is
    /// new is added to its policy, and the `.cordon` files of a new directory beside a loaded
    /// version are added (a new version).
    pub fn created_or_changed(&mut self, path: &Path, changes: &mut WatchedChanges) {
        if path.is_dir() {
            if self.belongs_to_loaded_policy(path) {
                for source in self.sources_in(path) {
                    self.read_again(&source, changes);
                }
            }
            return;
        }
        if is_source(path) {
            self.read_again(path, changes);
        }
    }

    fn read_again(&mut self, path: &Path, changes: &mut WatchedChanges) {
        if self.open.contains(path) {
            return;
        }
        if let Some((file, workspace)) = self.files.get(path).copied() {
            match load::read_source(path) {
                Ok(text) => self.set_text(file, text),
                Err(error) => {
                    self.problem(path, error.0);
                    self.remove_file(path);
                }
            }
            changes.touched(workspace);
            return;
        }
        let Some(dir) = path.parent() else {
            return;
        };
        if !self.belongs_to_loaded_policy(dir) {
            // A policy no one has opened: loaded when one of its files is.
            return;
        }
        let root = self.root_of(dir);
        let workspace = match self.roots.get(&root) {
            Some(workspace) => *workspace,
            None => {
                let workspace = self.load_root(&root);
                changes.touched(workspace);
                return;
            }
        };
        match load::read_source(path) {
            Ok(text) => {
                self.add_file(workspace, path, text);
                changes.touched(workspace);
            }
            Err(error) => self.problem(path, error.0),
        }
    }

    /// A watched file or directory was deleted: its files leave their policy, except those the
    /// editor has open (the editor's text stays until it closes them).
    pub fn deleted(&mut self, path: &Path, changes: &mut WatchedChanges) {
        let gone: Vec<PathBuf> = self
            .files
            .keys()
            .filter(|known| known.starts_with(path) && !self.open.contains(*known))
            .cloned()
            .collect();
        for known in gone {
            if let Some(workspace) = self.remove_file(&known) {
                changes.touched(workspace);
            }
            changes.removed.push(known);
        }
        if is_source(path) && !changes.removed.iter().any(|removed| removed == path) {
            // A file that could not be read was never loaded; what was reported about it goes.
            changes.removed.push(path.to_path_buf());
        }
    }

    /// Applies the editor's changes to a file's text (whole-text or ranged changes).
    pub fn change(
        &mut self,
        path: &Path,
        changes: Vec<lsp::TextDocumentContentChangeEvent>,
    ) -> Option<(SourceFile, Workspace)> {
        let (file, workspace) = self.file(path)?;
        let mut text = file.text(&self.db).clone();
        for change in changes {
            match change {
                lsp::TextDocumentContentChangeEvent::TextDocumentContentChangePartial(partial) => {
                    let span = LineIndex::new(&text).span(partial.range);
                    text.replace_range(span.start as usize..span.end as usize, &partial.text);
                }
                lsp::TextDocumentContentChangeEvent::TextDocumentContentChangeWholeDocument(
                    whole,
                ) => text = whole.text,
            }
        }
        self.set_text(file, text);
        Some((file, workspace))
    }

    fn set_text(&mut self, file: SourceFile, text: String) {
        if *file.text(&self.db) != text {
            self.generation += 1;
            self.db.set_file_text(file, text);
        }
    }
}

impl Snapshot {
    /// The file a URI names, if it is loaded.
    pub fn file(&self, uri: &Uri) -> Option<(SourceFile, Workspace)> {
        self.files.get(&uri_path(uri)?).copied()
    }

    pub fn uri(&self, file: SourceFile) -> Option<Uri> {
        path_uri(file.path(&self.db))
    }

    pub fn text(&self, file: SourceFile) -> &str {
        file.text(&self.db)
    }

    /// The text of a file by its path in the database.
    pub fn text_of_path(&self, path: &str) -> Option<String> {
        self.files
            .get(Path::new(path))
            .map(|(file, _)| file.text(&self.db).clone())
    }

    /// Every loaded workspace, once.
    pub fn workspaces(&self) -> Vec<Workspace> {
        let mut workspaces: Vec<Workspace> = Vec::new();
        for (_, workspace) in self.files.values() {
            if !workspaces.contains(workspace) {
                workspaces.push(*workspace);
            }
        }
        workspaces
    }

    /// A location in the protocol's terms.
    pub fn location(&self, place: cordon_lang::ide::FileSpan) -> Option<lsp::Location> {
        Some(lsp::Location {
            uri: self.uri(place.file)?,
            range: LineIndex::new(self.text(place.file)).range(place.span),
        })
    }
}
