//! The salsa database: source files are inputs, each phase is a tracked query.
//!
//! Queries, in the order data flows:
//! - [`parse_file`]: a file's declarations, each parsed on its own ([`parse_piece`], once per text);
//! - [`declaration_syntax`]: one declaration's tree, with spans relative to itself, so that an edit to
//!   one declaration leaves the others' trees equal and their checks untouched;
//! - [`declaration_interface`]: the part of a tree the type-level view reads (no rule bodies);
//! - [`version_index`]: the versions of the workspace, the provisions each has after amendments, and
//!   which modules each module imports;
//! - [`version_types`]: what the rest of a version needs to know of each name (records, enums,
//!   units, and the types of constants, tables and definitions), not the rules' bodies;
//! - [`check_declaration`]: one declaration checked in one version, lowered to the checked form;
//! - [`rule_analysis`]: the checks that look across rules, the evaluation order and the windows;
//! - [`version_diagnostics`]: every diagnostic of a version (what `check` and an editor need);
//! - [`check_version`]: the whole version in its checked form, with its diagnostics.
//!
//! Incrementality is tested (`lang/tests/incremental.rs`): an edit to one rule's condition checks
//! that rule again, and the checks across rules, and nothing else.
//!
//! Queries return their diagnostics as values. Nothing here reads the file system.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex};

use indexmap::IndexMap;

use crate::check;
use crate::diagnostics::{Code, Diagnostic, LocatedDiagnostic, Severity};
use crate::hir;
use crate::parse::{self, ParsedChunk};
use crate::syntax::{Declaration, DeclarationKind, Span};

/// A policy source file. `version_dir` groups files into versions (each version is a directory);
/// `module` is the file's stem.
#[salsa::input(debug)]
pub struct SourceFile {
    #[returns(ref)]
    pub path: String,
    #[returns(ref)]
    pub text: String,
    #[returns(ref)]
    pub version_dir: String,
    #[returns(ref)]
    pub module: String,
}

/// The set of files analysed together: a policy directory, one version, or one file.
#[salsa::input(debug)]
pub struct Workspace {
    #[returns(ref)]
    pub files: Vec<SourceFile>,
}

/// A version of a policy: a directory of the workspace.
#[salsa::interned(debug)]
pub struct VersionKey<'db> {
    #[returns(copy)]
    pub workspace: Workspace,
    #[returns(ref)]
    pub dir: String,
}

/// One declaration of one file, known by its name and, for repeated names, which occurrence it is.
#[salsa::interned(debug)]
pub struct DeclarationKey<'db> {
    #[returns(copy)]
    pub file: SourceFile,
    #[returns(ref)]
    pub name: String,
    #[returns(copy)]
    pub ordinal: u32,
}

/// A declaration checked in the context of a version (a provision inherited by an amending version
/// is checked again there, because the names it refers to may have been replaced).
#[salsa::interned(debug)]
pub struct CheckKey<'db> {
    #[returns(copy)]
    pub version: VersionKey<'db>,
    #[returns(copy)]
    pub declaration: DeclarationKey<'db>,
}

#[salsa::db]
pub trait Db: salsa::Database {}

/// The database, with an optional log of which queries executed (for tests and benchmarks that
/// prove what an edit re-checks).
#[salsa::db]
#[derive(Clone)]
pub struct Database {
    storage: salsa::Storage<Self>,
    executed: Arc<Mutex<Option<Vec<String>>>>,
}

impl Default for Database {
    fn default() -> Self {
        let executed: Arc<Mutex<Option<Vec<String>>>> = Arc::default();
        let log = executed.clone();
        Database {
            storage: salsa::Storage::new(Some(Box::new(move |event: salsa::Event| {
                if let salsa::EventKind::WillExecute { database_key } = event.kind
                    && let Ok(mut guard) = log.lock()
                    && let Some(entries) = guard.as_mut()
                {
                    entries.push(format!("{database_key:?}"));
                }
            }))),
            executed,
        }
    }
}

impl Database {
    /// Starts recording which queries execute.
    pub fn start_logging(&self) {
        if let Ok(mut guard) = self.executed.lock() {
            *guard = Some(Vec::new());
        }
    }

    /// Replaces the text of a file: an edit. The next queries re-check what depends on it.
    pub fn set_file_text(&mut self, file: SourceFile, text: String) {
        use salsa::Setter as _;
        file.set_text(self).to(text);
    }

    /// The queries executed since logging started or since the last call, as
    /// `query_name(Id(..))`.
    pub fn take_executed(&self) -> Vec<String> {
        self.executed
            .lock()
            .ok()
            .and_then(|mut guard| guard.as_mut().map(std::mem::take))
            .unwrap_or_default()
    }
}

#[salsa::db]
impl salsa::Database for Database {}

#[salsa::db]
impl Db for Database {}

// ---------------------------------------------------------------------------------------------
// Parsing

/// A parsed file: its declarations in order, each with its byte offset in the file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParsedFile {
    pub declarations: Vec<ParsedDeclaration>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParsedDeclaration {
    pub offset: u32,
    /// The key name: the declared name, or `#keyword` for declarations without one.
    pub key_name: String,
    pub ordinal: u32,
    pub parsed: ParsedChunk,
}

#[salsa::tracked(returns(ref))]
pub fn parse_file(db: &dyn Db, file: SourceFile) -> ParsedFile {
    let mut seen: BTreeMap<String, u32> = BTreeMap::new();
    let declarations = parse::split(file.text(db))
        .into_iter()
        .map(|chunk| {
            // Blank lines and plain comments before a declaration are not part of its tree, so
            // that editing them does not move the spans inside it (and re-check it).
            let leading = leading_trivia(&chunk.text);
            let chunk = parse::Chunk {
                offset: chunk
                    .offset
                    .saturating_add(u32::try_from(leading).unwrap_or(u32::MAX)),
                text: chunk.text[leading..].to_string(),
            };
            // Each piece is parsed once for as long as its text is unchanged: an edit parses the
            // declaration it touches, not the whole file.
            let parsed = parse_piece(db, PieceText::new(db, chunk.text)).clone();
            let key_name = match &parsed {
                ParsedChunk::Declaration(declaration) => match declaration.name() {
                    Some(name) => name.text.clone(),
                    None => format!("#{}", declaration.keyword()),
                },
                ParsedChunk::Broken {
                    name: Some(name), ..
                } => name.text.clone(),
                ParsedChunk::Broken { keyword, .. } => {
                    format!("#{}", keyword.as_deref().unwrap_or("broken"))
                }
            };
            let ordinal = seen.entry(key_name.clone()).or_insert(0);
            let declaration = ParsedDeclaration {
                offset: chunk.offset,
                key_name,
                ordinal: *ordinal,
                parsed,
            };
            *ordinal += 1;
            declaration
        })
        .collect();
    ParsedFile { declarations }
}

/// The text of one declaration-sized piece of a file, interned so that equal texts parse once.
#[salsa::interned]
pub struct PieceText<'db> {
    #[returns(ref)]
    pub text: String,
}

/// One piece parsed on its own (spans relative to the piece).
#[salsa::tracked(returns(ref))]
pub fn parse_piece<'db>(db: &'db dyn Db, piece: PieceText<'db>) -> ParsedChunk {
    parse::parse_chunk(piece.text(db))
}

/// The length of the blank lines and `//` comment lines (not `///` docs) at the start of a piece.
fn leading_trivia(text: &str) -> usize {
    let mut length = 0;
    for line in text.split_inclusive('\n') {
        let trimmed = line.trim();
        let trivia =
            trimmed.is_empty() || (trimmed.starts_with("//") && !trimmed.starts_with("///"));
        if !trivia {
            break;
        }
        length += line.len();
    }
    length
}

/// One declaration's syntax tree (spans relative to itself), or `None` if it does not parse.
#[salsa::tracked(returns(ref))]
pub fn declaration_syntax<'db>(db: &'db dyn Db, key: DeclarationKey<'db>) -> Option<Declaration> {
    parse_file(db, key.file(db))
        .declarations
        .iter()
        .find(|declaration| {
            declaration.key_name == *key.name(db) && declaration.ordinal == key.ordinal(db)
        })
        .and_then(|declaration| match &declaration.parsed {
            ParsedChunk::Declaration(declaration) => Some(declaration.clone()),
            ParsedChunk::Broken { .. } => None,
        })
}

/// What the type-level view of a version ([`version_types`]) reads of a declaration: its tree,
/// except that the bodies of rules and examples, which no other declaration's type depends on, are
/// left out. Editing a rule's condition changes its tree but not this, so the type-level view is
/// not computed again.
#[salsa::tracked(returns(ref))]
pub fn declaration_interface<'db>(
    db: &'db dyn Db,
    key: DeclarationKey<'db>,
) -> Option<Declaration> {
    let declaration = declaration_syntax(db, key).as_ref()?;
    let interface = match &declaration.kind {
        DeclarationKind::Provision(provision) | DeclarationKind::Replace(provision)
            if matches!(provision.kind, crate::syntax::ProvisionKind::Rule(_)) =>
        {
            let bare = crate::syntax::Provision {
                name: provision.name.clone(),
                kind: crate::syntax::ProvisionKind::Rule(crate::syntax::Rule {
                    unless: Vec::new(),
                    notwithstanding: Vec::new(),
                    when: None,
                    then: Vec::new(),
                    then_span: Span::default(),
                }),
                citations: Vec::new(),
                effective: None,
                through: None,
            };
            let kind = match &declaration.kind {
                DeclarationKind::Replace(_) => DeclarationKind::Replace(bare),
                _ => DeclarationKind::Provision(bare),
            };
            Declaration {
                docs: Vec::new(),
                kind,
                span: Span::default(),
            }
        }
        DeclarationKind::Example(example) => Declaration {
            docs: Vec::new(),
            kind: DeclarationKind::Example(crate::syntax::ExampleDeclaration {
                name: example.name.clone(),
                value: crate::syntax::FactValue {
                    kind: crate::syntax::FactValueKind::Null,
                    span: Span::default(),
                },
            }),
            span: Span::default(),
        },
        _ => declaration.clone(),
    };
    Some(interface)
}

// ---------------------------------------------------------------------------------------------
// Versions and names

/// What kind of thing a name denotes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum EntryKind {
    Unit,
    Record,
    Enum,
    Facts,
    Outcome,
    Const,
    Group,
    Alias,
    Table,
    Define,
    Rule,
    Example,
    Test,
    Version,
    Import,
    Remove,
    /// A declaration that does not parse; its name is known, nothing else.
    Broken,
}

impl EntryKind {
    pub fn noun(self) -> &'static str {
        match self {
            EntryKind::Unit => "unit",
            EntryKind::Record => "record",
            EntryKind::Enum => "enum",
            EntryKind::Facts => "facts schema",
            EntryKind::Outcome => "outcome schema",
            EntryKind::Const => "constant",
            EntryKind::Group => "country group",
            EntryKind::Alias => "alias",
            EntryKind::Table => "table",
            EntryKind::Define => "definition",
            EntryKind::Rule => "rule",
            EntryKind::Example => "example",
            EntryKind::Test => "test",
            EntryKind::Version => "version manifest",
            EntryKind::Import => "import",
            EntryKind::Remove => "removal",
            EntryKind::Broken => "declaration",
        }
    }

    pub(crate) fn of(parsed: &ParsedChunk) -> EntryKind {
        match parsed {
            ParsedChunk::Broken { .. } => EntryKind::Broken,
            ParsedChunk::Declaration(declaration) => EntryKind::of_declaration(declaration),
        }
    }

    /// What kind of declaration a tree is.
    pub fn of_declaration(declaration: &crate::syntax::Declaration) -> EntryKind {
        match &declaration.kind {
            DeclarationKind::Version(_) => EntryKind::Version,
            DeclarationKind::Import(_) => EntryKind::Import,
            DeclarationKind::Unit(_) => EntryKind::Unit,
            DeclarationKind::Record(_) => EntryKind::Record,
            DeclarationKind::Enum(_) => EntryKind::Enum,
            DeclarationKind::Facts(_) => EntryKind::Facts,
            DeclarationKind::Outcome(_) => EntryKind::Outcome,
            DeclarationKind::Remove(_) => EntryKind::Remove,
            DeclarationKind::Example(_) => EntryKind::Example,
            DeclarationKind::Test(_) => EntryKind::Test,
            DeclarationKind::Provision(provision) | DeclarationKind::Replace(provision) => {
                match provision.kind {
                    crate::syntax::ProvisionKind::Const { .. } => EntryKind::Const,
                    crate::syntax::ProvisionKind::Group { .. } => EntryKind::Group,
                    crate::syntax::ProvisionKind::Alias { .. } => EntryKind::Alias,
                    crate::syntax::ProvisionKind::Table { .. } => EntryKind::Table,
                    crate::syntax::ProvisionKind::Define { .. } => EntryKind::Define,
                    crate::syntax::ProvisionKind::Rule(_) => EntryKind::Rule,
                }
            }
        }
    }
}

/// A declaration that is part of a version.
#[derive(Clone, Debug, PartialEq, Eq, salsa::SalsaValue)]
pub struct Entry<'db> {
    pub declaration: DeclarationKey<'db>,
    pub kind: EntryKind,
    pub module: String,
    /// Whether the declaration is written in this version's own files (not inherited).
    pub own: bool,
}

/// The versions of a workspace, by directory, with their manifests' ids and bases.
#[derive(Clone, Debug, PartialEq, Eq, salsa::SalsaValue)]
pub struct VersionIndex<'db> {
    pub key: VersionKey<'db>,
    /// The id from the manifest, or the directory's name when there is no manifest.
    pub id: String,
    pub base: Option<VersionKey<'db>>,
    pub files: Vec<SourceFile>,
    /// Named declarations in force in the version, after amendments.
    pub names: IndexMap<String, Entry<'db>>,
    /// The facts and outcome schemas, the manifest and the imports.
    pub unnamed: Vec<Entry<'db>>,
    /// The version's own tests.
    pub tests: Vec<Entry<'db>>,
    /// Declarations of the version's own files that amend (`replace`, `remove`).
    pub amendments: Vec<Entry<'db>>,
    /// For each module, the modules it imports (across the version and its bases).
    pub imports: BTreeMap<String, BTreeSet<String>>,
}

impl<'db> VersionIndex<'db> {
    /// A version with nothing in it yet.
    fn empty(key: VersionKey<'db>, id: String) -> VersionIndex<'db> {
        VersionIndex {
            key,
            id,
            base: None,
            files: Vec::new(),
            names: IndexMap::new(),
            unnamed: Vec::new(),
            tests: Vec::new(),
            amendments: Vec::new(),
            imports: BTreeMap::new(),
        }
    }
}

/// The directories of a workspace, each a version, in a stable order.
#[salsa::tracked(returns(ref))]
pub fn workspace_versions<'db>(db: &'db dyn Db, workspace: Workspace) -> Vec<VersionKey<'db>> {
    let directories: BTreeSet<String> = workspace
        .files(db)
        .iter()
        .map(|file| file.version_dir(db).clone())
        .collect();
    directories
        .into_iter()
        .map(|dir| VersionKey::new(db, workspace, dir))
        .collect()
}

/// A version directory's manifest as written, with the path of its file and its offset there.
pub fn version_manifest(
    db: &dyn Db,
    version: VersionKey<'_>,
) -> Option<(String, u32, crate::syntax::VersionManifest)> {
    version_files(db, version).iter().find_map(|file| {
        parse_file(db, *file)
            .declarations
            .iter()
            .find_map(|declaration| match &declaration.parsed {
                ParsedChunk::Declaration(Declaration {
                    kind: DeclarationKind::Version(manifest),
                    ..
                }) => Some((file.path(db).clone(), declaration.offset, manifest.clone())),
                _ => None,
            })
    })
}

/// The manifest id of a version directory (its directory name when it declares none), and the
/// version it amends.
#[salsa::tracked(returns(ref))]
pub fn version_id<'db>(db: &'db dyn Db, version: VersionKey<'db>) -> (String, Option<String>) {
    if let Some((_, _, manifest)) = version_manifest(db, version) {
        return (manifest.id.text, manifest.amends.map(|amends| amends.text));
    }
    let dir = version.dir(db);
    let name = dir.rsplit(['/', '\\']).next().unwrap_or(dir).to_string();
    (name, None)
}

#[salsa::tracked(returns(ref))]
pub fn version_files<'db>(db: &'db dyn Db, version: VersionKey<'db>) -> Vec<SourceFile> {
    let mut files: Vec<SourceFile> = version
        .workspace(db)
        .files(db)
        .iter()
        .filter(|file| file.version_dir(db) == version.dir(db))
        .copied()
        .collect();
    files.sort_by(|a, b| a.path(db).cmp(b.path(db)));
    files
}

/// The version a version amends, if it names one that the workspace has.
#[salsa::tracked(returns(copy))]
pub fn version_base<'db>(db: &'db dyn Db, version: VersionKey<'db>) -> Option<VersionKey<'db>> {
    let (_, amends) = version_id(db, version);
    let amends = amends.as_ref()?;
    let base = workspace_versions(db, version.workspace(db))
        .iter()
        .copied()
        .find(|candidate| *candidate != version && version_id(db, *candidate).0 == *amends)?;
    // A chain of amendments that comes back to this version has no base (reported by the checker).
    let mut seen = BTreeSet::from([version.dir(db).clone()]);
    let mut cursor = Some(base);
    while let Some(current) = cursor {
        if !seen.insert(current.dir(db).clone()) {
            return None;
        }
        let (_, next) = version_id(db, current);
        cursor = next.as_ref().and_then(|next| {
            workspace_versions(db, version.workspace(db))
                .iter()
                .copied()
                .find(|candidate| version_id(db, *candidate).0 == *next)
        });
    }
    Some(base)
}

#[salsa::tracked(returns(ref), cycle_result = version_index_cycle)]
pub fn version_index<'db>(db: &'db dyn Db, version: VersionKey<'db>) -> VersionIndex<'db> {
    let base = version_base(db, version);
    let mut index = match base {
        Some(base) => {
            let mut inherited = version_index(db, base).clone();
            for entry in inherited
                .names
                .values_mut()
                .chain(inherited.unnamed.iter_mut())
            {
                entry.own = false;
            }
            inherited.tests.clear();
            inherited.amendments.clear();
            inherited
        }
        None => VersionIndex::empty(version, String::new()),
    };
    index.key = version;
    index.id = version_id(db, version).0.clone();
    index.base = base;
    index.files = version_files(db, version).clone();
    for file in version_files(db, version) {
        let module = file.module(db).clone();
        index.imports.entry(module.clone()).or_default();
        for declaration in &parse_file(db, *file).declarations {
            let entry = Entry {
                declaration: DeclarationKey::new(
                    db,
                    *file,
                    declaration.key_name.clone(),
                    declaration.ordinal,
                ),
                kind: EntryKind::of(&declaration.parsed),
                module: module.clone(),
                own: true,
            };
            if let ParsedChunk::Declaration(Declaration {
                kind: DeclarationKind::Import(modules),
                ..
            }) = &declaration.parsed
            {
                let imported = index.imports.entry(module.clone()).or_default();
                imported.extend(modules.iter().map(|name| name.text.clone()));
            }
            let is_amendment = matches!(
                &declaration.parsed,
                ParsedChunk::Declaration(Declaration {
                    kind: DeclarationKind::Replace(_) | DeclarationKind::Remove(_),
                    ..
                })
            );
            match entry.kind {
                EntryKind::Test => index.tests.push(entry),
                EntryKind::Remove => {
                    index.names.shift_remove(&declaration.key_name);
                    index.amendments.push(entry);
                }
                _ if declaration.key_name.starts_with('#') => {
                    if matches!(entry.kind, EntryKind::Facts | EntryKind::Outcome) {
                        index
                            .unnamed
                            .retain(|existing| existing.kind != entry.kind || existing.own);
                    }
                    index.unnamed.push(entry);
                }
                _ => {
                    if is_amendment {
                        index.amendments.push(entry.clone());
                    }
                    let replaces_inherited = index
                        .names
                        .get(&declaration.key_name)
                        .is_some_and(|existing| !existing.own);
                    if replaces_inherited || !index.names.contains_key(&declaration.key_name) {
                        index.names.insert(declaration.key_name.clone(), entry);
                    }
                }
            }
        }
    }
    index
}

fn version_index_cycle<'db>(
    db: &'db dyn Db,
    _id: salsa::Id,
    version: VersionKey<'db>,
) -> VersionIndex<'db> {
    VersionIndex::empty(version, version.dir(db).clone())
}

/// The type-level view of a version: what checking one declaration needs to know of the others.
#[salsa::tracked(returns(ref))]
pub fn version_types<'db>(db: &'db dyn Db, version: VersionKey<'db>) -> check::VersionTypes {
    check::version_types(db, version)
}

/// One declaration checked in one version: its checked form (if it has one) and its diagnostics,
/// with spans relative to the declaration.
#[salsa::tracked(returns(ref))]
pub fn check_declaration<'db>(db: &'db dyn Db, key: CheckKey<'db>) -> check::CheckedDeclaration {
    check::check_declaration(db, key.version(db), key.declaration(db))
}

/// A version checked: its checked form and every diagnostic, located in files.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CheckedVersion {
    pub version: Arc<hir::Version>,
    pub diagnostics: Vec<LocatedDiagnostic>,
}

impl CheckedVersion {
    pub fn has_errors(&self) -> bool {
        self.diagnostics
            .iter()
            .any(|located| located.diagnostic.severity() == Severity::Error)
    }
}

#[salsa::tracked(returns(ref))]
pub fn check_version<'db>(db: &'db dyn Db, version: VersionKey<'db>) -> CheckedVersion {
    check::check_version(db, version)
}

/// Every diagnostic of a version, without building its checked form: what `cordon check` and an
/// editor need after each edit.
#[salsa::tracked(returns(ref))]
pub fn version_diagnostics<'db>(
    db: &'db dyn Db,
    version: VersionKey<'db>,
) -> Vec<LocatedDiagnostic> {
    check::version_diagnostics(db, version)
}

/// The checks across the rules of a version: evaluation order, windows, and their diagnostics.
#[salsa::tracked(returns(ref))]
pub fn rule_analysis<'db>(db: &'db dyn Db, version: VersionKey<'db>) -> check::RuleAnalysis {
    check::rule_analysis(db, version)
}

/// Every diagnostic of the workspace, each once, sorted by file and position.
pub fn check_workspace(db: &dyn Db, workspace: Workspace) -> Vec<LocatedDiagnostic> {
    let mut all: Vec<LocatedDiagnostic> = Vec::new();
    let mut seen = BTreeSet::new();
    for version in workspace_versions(db, workspace) {
        for located in version_diagnostics(db, *version) {
            let key = (
                located.path.clone(),
                located.diagnostic.span,
                located.diagnostic.code,
                located.diagnostic.message.clone(),
            );
            if seen.insert(key) {
                all.push(located.clone());
            }
        }
    }
    all.sort_by(|a, b| {
        (a.path.as_str(), a.diagnostic.span.start, a.diagnostic.code).cmp(&(
            b.path.as_str(),
            b.diagnostic.span.start,
            b.diagnostic.code,
        ))
    });
    all
}

/// The absolute offset of a declaration in its file.
pub fn declaration_offset(db: &dyn Db, key: DeclarationKey<'_>) -> u32 {
    parse_file(db, key.file(db))
        .declarations
        .iter()
        .find(|declaration| {
            declaration.key_name == *key.name(db) && declaration.ordinal == key.ordinal(db)
        })
        .map_or(0, |declaration| declaration.offset)
}

/// Syntax errors of a file, located.
pub fn syntax_diagnostics(db: &dyn Db, file: SourceFile) -> Vec<LocatedDiagnostic> {
    parse_file(db, file)
        .declarations
        .iter()
        .filter_map(|declaration| match &declaration.parsed {
            ParsedChunk::Broken { error, .. } => Some(LocatedDiagnostic {
                path: file.path(db).clone(),
                diagnostic: error.clone().shifted(declaration.offset),
            }),
            ParsedChunk::Declaration(_) => None,
        })
        .collect()
}

/// A located diagnostic for a span inside a declaration.
pub fn locate(db: &dyn Db, key: DeclarationKey<'_>, diagnostic: Diagnostic) -> LocatedDiagnostic {
    let offset = declaration_offset(db, key);
    LocatedDiagnostic {
        path: key.file(db).path(db).clone(),
        diagnostic: diagnostic.shifted(offset),
    }
}

/// A diagnostic about a whole version that has no better place: at the start of its first file.
pub fn version_level(
    db: &dyn Db,
    version: VersionKey<'_>,
    code: Code,
    message: String,
) -> Option<LocatedDiagnostic> {
    let file = version_files(db, version).first()?;
    Some(LocatedDiagnostic {
        path: file.path(db).clone(),
        diagnostic: Diagnostic::new(code, Span::new(0, 0), message),
    })
}
