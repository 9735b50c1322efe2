//! What if the rules change: every recorded transaction decided again under another version,
//! compared with the version that decided it, and the changes grouped and attributed to rules by
//! the corpus diff (`cordon_engine::diff::corpus::compare_numbered`, the grouping of
//! `cordon diff --facts`), one group of records per recorded version. Transactions are numbered
//! by their records' sequence numbers.
//!
//! It takes a store, a policy and a version and gives a [`Replay`]; it never writes a record.

use serde::Serialize;

use cordon_engine::Policy;
use cordon_engine::diff::VersionRef;
use cordon_engine::diff::corpus::{CorpusDiff, compare_numbered};

use crate::RecordsError;
use crate::store::{Store, Window};

/// The replay of a window of records under one version.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Replay {
    pub policy: String,
    pub to: VersionRef,
    /// Records read.
    pub records: usize,
    /// One comparison per version that decided some of the records.
    pub recorded: Vec<RecordedVersion>,
}

/// The records one version decided, compared with the replay version.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct RecordedVersion {
    pub version: String,
    pub content_hash: String,
    pub records: usize,
    /// The version as the policy directory has it (absent when it does not have it with the
    /// recorded hash).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub from: Option<VersionRef>,
    /// Why these records could not be replayed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub corpus: Option<CorpusDiff>,
}

/// A recorded version: its id and content hash.
type VersionKey = (String, String);

/// Decides the records in `window` again under `to` (a version id or `id@sha256:...` pin).
pub fn replay(
    store: &mut dyn Store,
    policy: &Policy,
    to: &str,
    window: &Window,
) -> Result<Replay, RecordsError> {
    let target = policy
        .pinned(to)
        .map_err(|error| RecordsError::new(error.to_string()))?;
    // Records by the version that decided them, in order of first appearance.
    let mut by_version: Vec<(VersionKey, Vec<(usize, String)>)> = Vec::new();
    let mut records = 0;
    crate::for_each(store, window, |record| {
        records += 1;
        let entry = &record.entry;
        let key = (entry.version.clone(), entry.content_hash.clone());
        let number = usize::try_from(record.sequence).map_err(|_| {
            RecordsError::new(format!("record {} is beyond this machine", record.sequence))
        })?;
        // Facts that are not UTF-8 cannot be decided: the corpus diff reports them as errors.
        let text = String::from_utf8_lossy(&entry.facts).into_owned();
        match by_version.iter_mut().find(|(seen, _)| *seen == key) {
            Some((_, lines)) => lines.push((number, text)),
            None => by_version.push((key, vec![(number, text)])),
        }
        Ok(())
    })?;
    let recorded = by_version
        .into_iter()
        .map(|((version, content_hash), lines)| {
            let pin = format!("{version}@{content_hash}");
            match policy.pinned(&pin) {
                Ok(from) => RecordedVersion {
                    version,
                    content_hash,
                    records: lines.len(),
                    from: Some(VersionRef::of(from)),
                    error: None,
                    corpus: Some(compare_numbered(policy, &pin, to, &lines)),
                },
                Err(error) => RecordedVersion {
                    version,
                    content_hash,
                    records: lines.len(),
                    from: None,
                    error: Some(format!(
                        "the policy directory does not have the version that decided these \
                         records: {error}"
                    )),
                    corpus: None,
                },
            }
        })
        .collect();
    Ok(Replay {
        policy: policy.name.clone(),
        to: VersionRef::of(target),
        records,
        recorded,
    })
}
