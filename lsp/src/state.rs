//! The server's state: one salsa database (the same as `cordon check`'s) holding every policy an
//! editor has opened, one workspace per policy directory. Files open in the editor have the
//! editor's text; the others are read from disk, so a whole version is analysed, not one file.
//!
//! Edits are applied to the database under a lock; requests read a clone of it (a snapshot) on a
//! blocking thread. An edit cancels the snapshots in flight (salsa's cancellation).

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

impl State {
    pub fn snapshot(&self) -> Snapshot {
        Snapshot {
            db: self.db.clone(),
            files: self.files.clone(),
        }
    }

    /// The file at `path`, loading the policy around it from disk the first time.
    pub fn file(&mut self, path: &Path) -> Option<(SourceFile, Workspace)> {
        if let Some(found) = self.files.get(path) {
            return Some(*found);
        }
        if path
            .extension()
            .is_none_or(|extension| extension != "cordon")
        {
            return None;
        }
        let dir = path.parent()?.to_path_buf();
        let root = match load::classify(&dir) {
            Ok(Target::Version {
                policy: Some(policy),
                ..
            }) => policy,
            _ => dir.clone(),
        };
        if !self.roots.contains_key(&root)
            && let Ok((workspace, _)) = load::load_into(&mut self.db, &root)
        {
            self.roots.insert(root.clone(), workspace);
            for file in workspace.files(&self.db).clone() {
                let file_path = PathBuf::from(file.path(&self.db));
                self.files.insert(file_path, (file, workspace));
            }
        }
        if let Some(found) = self.files.get(path) {
            return Some(*found);
        }
        // A file that is not on disk yet (or a directory that holds no policy): added to the
        // workspace of its directory, or to a new one.
        let workspace = match self.roots.get(&root) {
            Some(workspace) => *workspace,
            None => {
                let workspace = cordon_lang::db::Workspace::new(&self.db, Vec::new());
                self.roots.insert(root, workspace);
                workspace
            }
        };
        let file = load::new_file(&self.db, path, &dir, String::new());
        let mut files = workspace.files(&self.db).clone();
        files.push(file);
        workspace
            .set_files(&mut self.db)
            .with_durability(Durability::HIGH)
            .to(files);
        self.files.insert(path.to_path_buf(), (file, workspace));
        Some((file, workspace))
    }

    pub fn open(&mut self, path: &Path, text: String) -> Option<(SourceFile, Workspace)> {
        let (file, workspace) = self.file(path)?;
        self.open.insert(path.to_path_buf());
        self.set_text(file, text);
        Some((file, workspace))
    }

    /// Back to the text on disk when the editor closes the file.
    pub fn close(&mut self, path: &Path) -> Option<(SourceFile, Workspace)> {
        self.open.remove(path);
        let (file, workspace) = *self.files.get(path)?;
        let text = std::fs::read_to_string(path).unwrap_or_default();
        self.set_text(file, text);
        Some((file, workspace))
    }

    /// A file changed on disk: read again unless the editor has it open.
    pub fn reload(&mut self, path: &Path) -> Option<(SourceFile, Workspace)> {
        if self.open.contains(path) {
            return None;
        }
        let (file, workspace) = *self.files.get(path)?;
        let text = std::fs::read_to_string(path).unwrap_or_default();
        self.set_text(file, text);
        Some((file, workspace))
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
