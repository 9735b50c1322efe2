//! Loading a policy directory, choosing the version that decides, and pinning by content hash.
//! Takes a directory of sources (read and checked through `cordon-lang`); gives a [`Policy`]: each
//! version checked and compiled once ([`CompiledVersion`]), or the diagnostics that stop it.

use std::path::Path;
use std::sync::Arc;

use jiff::civil::Date;
use sha2::{Digest, Sha256};

use cordon_lang::db;
use cordon_lang::diagnostics::{LocatedDiagnostic, Severity};
use cordon_lang::hir::{self, InForce};
use cordon_lang::load;

use crate::compile;
use crate::program::Program;

/// A checked, compiled policy version, ready to evaluate transactions.
#[derive(Clone, Debug)]
pub struct CompiledVersion {
    pub policy: String,
    pub id: String,
    /// `sha256:<hex>` of the version's sources (its own files and those it amends).
    pub hash: String,
    pub hir: Arc<hir::Version>,
    pub program: Program,
    /// Facts read against the first version's schema serve this version too
    /// ([`Program::reads_like`]), so a transaction's text is read once to find its date and
    /// decided with what was read.
    pub reads_like_first: bool,
}

/// Every version of a policy directory.
#[derive(Clone, Debug)]
pub struct Policy {
    pub name: String,
    pub versions: Vec<CompiledVersion>,
}

#[derive(Debug)]
pub enum PolicyError {
    /// The path is not a policy, or cannot be read.
    Load(String),
    /// The sources have errors: the policy cannot be evaluated until they are fixed.
    Invalid {
        diagnostics: Vec<LocatedDiagnostic>,
        sources: std::collections::BTreeMap<String, String>,
    },
    /// A version that does not exist, a date with no version in force, a hash that does not match.
    Version(String),
}

impl std::fmt::Display for PolicyError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            PolicyError::Load(message) | PolicyError::Version(message) => f.write_str(message),
            PolicyError::Invalid {
                diagnostics,
                sources,
            } => {
                let errors: Vec<&LocatedDiagnostic> = diagnostics
                    .iter()
                    .filter(|d| d.diagnostic.severity() == Severity::Error)
                    .collect();
                write!(
                    f,
                    "the policy has {} error(s); run `cordon check` for details",
                    errors.len()
                )?;
                if let Some(first) = errors.first() {
                    let text = sources.get(&first.path).map_or("", String::as_str);
                    write!(f, "; first: {}", cordon_lang::render::one_line(first, text))?;
                }
                Ok(())
            }
        }
    }
}

impl std::error::Error for PolicyError {}

/// The hash of a version's sources: each file's path inside the policy (`2025-01-13/review.cordon`)
/// and text, in path order.
pub fn content_hash(sources: &[(String, String)]) -> String {
    let mut entries: Vec<(String, &str)> = sources
        .iter()
        .map(|(path, text)| {
            let parts: Vec<&str> = path.rsplit(['/', '\\']).take(2).collect();
            (
                parts.into_iter().rev().collect::<Vec<_>>().join("/"),
                text.as_str(),
            )
        })
        .collect();
    entries.sort();
    let mut hasher = Sha256::new();
    for (path, text) in entries {
        hasher.update(path.as_bytes());
        hasher.update([0]);
        hasher.update(text.as_bytes());
        hasher.update([0]);
    }
    digest_name(&hasher.finalize())
}

/// A SHA-256 digest as it is written in pins and fingerprints: `sha256:<hex>`.
pub(crate) fn digest_name(digest: &[u8]) -> String {
    let hex: String = digest.iter().map(|byte| format!("{byte:02x}")).collect();
    format!("sha256:{hex}")
}

impl Policy {
    /// Loads, checks and compiles every version of a policy directory (or a single version or
    /// file). Any error in the sources refuses the whole policy.
    pub fn load(path: &Path) -> Result<Policy, PolicyError> {
        let loaded = load::load(path).map_err(|error| PolicyError::Load(error.to_string()))?;
        let db = &loaded.db;
        let diagnostics = db::check_workspace(db, loaded.workspace);
        if diagnostics
            .iter()
            .any(|d| d.diagnostic.severity() == Severity::Error)
        {
            let sources = loaded.sources();
            return Err(PolicyError::Invalid {
                diagnostics,
                sources,
            });
        }
        let mut versions = Vec::new();
        for version in db::workspace_versions(db, loaded.workspace) {
            let checked = db::check_version(db, *version);
            let hir = checked.version.clone();
            let program = compile::compile(&hir).map_err(|error| {
                PolicyError::Load(format!(
                    "version `{}` cannot be compiled: {error}",
                    hir.manifest.id
                ))
            })?;
            versions.push(CompiledVersion {
                policy: hir.manifest.policy.clone(),
                id: hir.manifest.id.clone(),
                hash: content_hash(&hir.sources),
                hir,
                program,
                reads_like_first: false,
            });
        }
        if let Some((first, rest)) = versions.split_first_mut() {
            first.reads_like_first = true;
            for version in rest {
                version.reads_like_first = version.program.reads_like(&first.program);
            }
        }
        let name = versions
            .iter()
            .map(|version| version.policy.clone())
            .find(|name| !name.is_empty())
            .unwrap_or_else(|| {
                path.file_name()
                    .map(|name| name.to_string_lossy().into_owned())
                    .unwrap_or_default()
            });
        Ok(Policy { name, versions })
    }

    /// A version by id, or by `id@sha256:...` (refused if the sources no longer hash to it).
    pub fn pinned(&self, pin: &str) -> Result<&CompiledVersion, PolicyError> {
        let (id, hash) = match pin.split_once('@') {
            Some((id, hash)) => (id, Some(hash)),
            None => (pin, None),
        };
        let version = self
            .versions
            .iter()
            .find(|version| version.id == id)
            .ok_or_else(|| {
                PolicyError::Version(format!(
                    "policy `{}` has no version `{id}`; its versions are {}",
                    self.name,
                    self.versions
                        .iter()
                        .map(|v| format!("`{}`", v.id))
                        .collect::<Vec<_>>()
                        .join(", ")
                ))
            })?;
        if let Some(hash) = hash
            && hash != version.hash
        {
            return Err(PolicyError::Version(format!(
                "version `{id}` was pinned at {hash}, but its sources now hash to {}: the rules changed since the pin",
                version.hash
            )));
        }
        Ok(version)
    }

    /// The version in force on a date.
    pub fn in_force_on(&self, date: Date) -> Result<&CompiledVersion, PolicyError> {
        self.versions
            .iter()
            .find(|version| match &version.hir.manifest.in_force {
                InForce::Never => false,
                InForce::Range { from, through } => date >= *from && through.is_none_or(|through| date <= through),
            })
            .ok_or_else(|| {
                let earliest = self
                    .versions
                    .iter()
                    .filter_map(|version| match version.hir.manifest.in_force {
                        InForce::Range { from, .. } => Some(from),
                        InForce::Never => None,
                    })
                    .min();
                PolicyError::Version(match earliest {
                    Some(earliest) if date < earliest => format!(
                        "no version of policy `{}` is in force on {date}: the earliest comes into force on {earliest}",
                        self.name
                    ),
                    _ => format!("no version of policy `{}` is in force on {date}", self.name),
                })
            })
    }
}
