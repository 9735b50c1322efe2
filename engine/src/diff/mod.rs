//! `cordon diff`: what changes between two versions of a policy, and for whom.
//!
//! Each view is a module of its own and reads only checked versions and decisions:
//! [`provisions`] compares what the two versions say (rules, constants, tables, groups, schema),
//! matched by name through amendments; [`corpus`] decides every transaction of a corpus under both
//! versions and groups the transactions whose outcome differs by the kind of change.
//! [`regions`] needs no corpus: it splits the whole input space into regions each version
//! decides alike, and reports the regions where the two decide differently, with a witness each.
//! Nothing here changes how a transaction is decided: the corpus view calls [`crate::decide`],
//! and every witness of the regions view is decided by it too.

pub mod corpus;
pub mod provisions;
pub mod regions;

use serde::Serialize;

use cordon_lang::hir::InForce;

use crate::policy::{CompiledVersion, Policy, PolicyError};

/// One side of the comparison: the version, the hash of its sources, and its manifest.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct VersionRef {
    pub version: String,
    pub hash: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
    /// `2025-01-13 through 2025-05-12`, `2026-01-15 onwards`, or `never`.
    pub in_force: String,
}

impl VersionRef {
    pub fn of(version: &CompiledVersion) -> VersionRef {
        let manifest = &version.hir.manifest;
        VersionRef {
            version: version.id.clone(),
            hash: version.hash.clone(),
            title: manifest.title.clone(),
            source: manifest.source.clone(),
            in_force: in_force_text(&manifest.in_force),
        }
    }
}

/// A version's window in force, as people read it.
pub fn in_force_text(in_force: &InForce) -> String {
    match in_force {
        InForce::Never => "never".to_string(),
        InForce::Range {
            from,
            through: Some(through),
        } => format!("{from} through {through}"),
        InForce::Range {
            from,
            through: None,
        } => format!("{from} onwards"),
    }
}

/// The whole comparison of two versions.
///
/// Views are optional fields: the corpus view is present only when a corpus was given, the
/// regions (`exact`, `caveats`, `explored`, `regions`, at the top level) only when asked for.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Report {
    pub policy: String,
    pub from: VersionRef,
    pub to: VersionRef,
    pub provisions: Vec<provisions::ProvisionChange>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub corpus: Option<corpus::CorpusDiff>,
    #[serde(flatten, skip_serializing_if = "Option::is_none")]
    pub exhaustive: Option<regions::Exhaustive>,
}

/// The two versions to compare, by id or `id@sha256:...` pin.
pub fn versions<'a>(
    policy: &'a Policy,
    from: &str,
    to: &str,
) -> Result<(&'a CompiledVersion, &'a CompiledVersion), PolicyError> {
    Ok((policy.pinned(from)?, policy.pinned(to)?))
}

/// Compares two versions' provisions and, given the lines of a corpus, their outcomes on it;
/// with `exhaustive`, their outcomes over every transaction.
pub fn report(
    policy: &Policy,
    from: &str,
    to: &str,
    corpus_lines: Option<&[String]>,
    exhaustive: bool,
) -> Result<Report, PolicyError> {
    let (from_version, to_version) = versions(policy, from, to)?;
    Ok(Report {
        policy: policy.name.clone(),
        from: VersionRef::of(from_version),
        to: VersionRef::of(to_version),
        provisions: provisions::compare(&from_version.hir, &to_version.hir),
        corpus: corpus_lines.map(|lines| corpus::compare(policy, from, to, lines)),
        exhaustive: exhaustive.then(|| regions::exhaustive(from_version, to_version)),
    })
}
