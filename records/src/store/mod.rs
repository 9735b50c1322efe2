//! Where records are kept: one trait, [`Store`], and its two backends, [`sqlite`] (embedded, one
//! machine) and [`postgres`] (several service instances writing one log).
//!
//! A store takes entries and gives them sequence numbers and chain hashes inside one transaction
//! per batch ([`extend`] does the hashing, the same for both backends). It never updates or
//! deletes a record, except that [`Store::prune`] removes a prefix after keeping its
//! [`Base`].

pub mod postgres;
pub mod sqlite;

use crate::RecordsError;
use crate::hash::{CompactRange, GENESIS, Hash, chain_hash, hash_from_slice, leaf_hash};
use crate::record::{Entry, Record};

/// The end of the log: how many records were ever appended (pruned ones included), the chain
/// hash of the last, and the compact range of all leaves (for the tree head).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Head {
    pub size: u64,
    pub chain: Hash,
    pub range: CompactRange,
}

impl Head {
    /// The head of an empty log.
    pub fn empty() -> Head {
        Head {
            size: 0,
            chain: GENESIS,
            range: CompactRange::default(),
        }
    }
}

/// What is kept of a pruned prefix: its size, the chain hash of its last record, its compact
/// range, and the signed checkpoint of it when the log has a key.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Base {
    pub head: Head,
    pub note: Option<String>,
}

/// A time window over records' `received` times (as records keep them: RFC 3339, UTC).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Window {
    /// From this time on (inclusive).
    pub since: Option<String>,
    /// Before this time (exclusive).
    pub until: Option<String>,
}

/// How many records one version decided, and when.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct VersionCount {
    pub policy: String,
    pub version: String,
    pub content_hash: String,
    pub records: u64,
    pub first_received: String,
    pub last_received: String,
}

/// A place that keeps records.
pub trait Store: Send {
    /// Appends the entries in one transaction, after the current head, and stores the checkpoint
    /// `checkpoint` makes of the new head (if any) in the same transaction. Returns the new head.
    fn append(
        &mut self,
        entries: &[Entry],
        checkpoint: &mut dyn FnMut(&Head) -> Option<String>,
    ) -> Result<Head, RecordsError>;
    /// The current head.
    fn head(&mut self) -> Result<Head, RecordsError>;
    /// Up to `limit` records with a sequence number above `after`, in order, within `window`.
    fn read(
        &mut self,
        after: u64,
        limit: usize,
        window: &Window,
    ) -> Result<Vec<Record>, RecordsError>;
    /// The records whose decision id, transaction id or sequence number is `id`.
    fn find(&mut self, id: &str) -> Result<Vec<Record>, RecordsError>;
    /// Every stored checkpoint: the size it covers and its note, smallest first.
    fn checkpoints(&mut self) -> Result<Vec<(u64, String)>, RecordsError>;
    /// Stores a checkpoint (one already stored for that size is kept).
    fn add_checkpoint(&mut self, size: u64, note: &str) -> Result<(), RecordsError>;
    /// The pruned prefix, if any was pruned.
    fn base(&mut self) -> Result<Option<Base>, RecordsError>;
    /// Keeps `base` and removes every record it covers, in one transaction. Returns how many
    /// records were removed.
    fn prune(&mut self, base: &Base) -> Result<u64, RecordsError>;
    /// A value of the log's own (`origin`), set once.
    fn meta(&mut self, key: &str) -> Result<Option<String>, RecordsError>;
    /// Sets a value of the log's own unless it is set; returns the value it has.
    fn meta_or_set(&mut self, key: &str, value: &str) -> Result<String, RecordsError>;
    /// Records per version.
    fn version_counts(&mut self) -> Result<Vec<VersionCount>, RecordsError>;
    /// The first record received at or after `time`, if any.
    fn first_at_or_after(&mut self, time: &str) -> Result<Option<u64>, RecordsError>;
}

/// The records `entries` become after `head`: their sequence numbers and chain hashes, and the
/// new head.
pub fn extend<'a>(head: &Head, entries: &'a [Entry]) -> (Vec<(u64, &'a Entry, Hash)>, Head) {
    let mut next = head.clone();
    let rows = entries
        .iter()
        .map(|entry| {
            let leaf = leaf_hash(&entry.content());
            next.chain = chain_hash(&next.chain, &leaf);
            next.range.push(leaf);
            next.size += 1;
            (next.size, entry, next.chain)
        })
        .collect();
    (rows, next)
}

/// Whether opening a store may create it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Create {
    /// Create the file and the tables when absent (for writing records).
    Yes,
    /// Refuse a log that does not exist (for reading, verifying and pruning one).
    No,
}

/// Opens the store a URL names: `sqlite:PATH` or `postgres://...`.
pub fn open(url: &str, create: Create) -> Result<Box<dyn Store>, RecordsError> {
    if let Some(path) = url.strip_prefix("sqlite:") {
        let path = path.strip_prefix("//").unwrap_or(path);
        if path.is_empty() {
            return Err(RecordsError::new(format!(
                "the records URL `{url}` names no file: write `sqlite:PATH`"
            )));
        }
        return Ok(Box::new(sqlite::SqliteStore::open(
            std::path::Path::new(path),
            create,
        )?));
    }
    if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        return Ok(Box::new(postgres::PostgresStore::open(url, create)?));
    }
    Err(RecordsError::new(format!(
        "the records URL `{url}` is neither `sqlite:PATH` nor `postgres://...`"
    )))
}

/// A sequence number as a store keeps it (a signed 64-bit integer).
pub(crate) fn to_i64(number: u64, what: &str) -> Result<i64, RecordsError> {
    i64::try_from(number).map_err(|_| RecordsError::new(format!("{what} {number} is too large")))
}

/// A sequence number read from a store.
pub(crate) fn to_u64(number: i64, what: &str) -> Result<u64, RecordsError> {
    u64::try_from(number).map_err(|_| RecordsError::new(format!("{what} {number} is negative")))
}

/// A head read from a store's columns, naming the table when they are corrupt.
pub(crate) fn head_of(
    table: &str,
    size: i64,
    chain: &[u8],
    range: &[u8],
) -> Result<Head, RecordsError> {
    let size = to_u64(size, &format!("the size in table `{table}`"))?;
    let chain = crate::hash::hash_from_slice(chain).ok_or_else(|| {
        RecordsError::new(format!("the chain hash in table `{table}` is not 32 bytes"))
    })?;
    let range = CompactRange::from_bytes(size, range).ok_or_else(|| {
        RecordsError::new(format!(
            "the tree state in table `{table}` does not fit its size {size}"
        ))
    })?;
    Ok(Head { size, chain, range })
}

/// The columns of a record, in the order both backends select them.
pub(crate) const COLUMNS: &str = "sequence, decision_id, transaction_id, received, facts, outcome, \
     trace, policy, version, content_hash, engine_version, corrects, chain";

/// The raw columns of a record row, before they are checked.
pub(crate) type RawRecord = (
    i64,
    String,
    Option<String>,
    String,
    Vec<u8>,
    String,
    String,
    String,
    String,
    String,
    String,
    Option<i64>,
    Vec<u8>,
);

/// A record from its columns, naming it when one is corrupt.
pub(crate) fn record_of(raw: RawRecord) -> Result<Record, RecordsError> {
    let (
        sequence,
        decision_id,
        transaction_id,
        received,
        facts,
        outcome,
        trace,
        policy,
        version,
        content_hash,
        engine_version,
        corrects,
        chain,
    ) = raw;
    let sequence = to_u64(sequence, "record")?;
    let chain = hash_from_slice(&chain)
        .ok_or_else(|| RecordsError::corrupt(sequence, "its chain hash is not 32 bytes"))?;
    let corrects = corrects
        .map(|corrects| {
            u64::try_from(corrects).map_err(|_| {
                RecordsError::corrupt(
                    sequence,
                    &format!("it corrects record {corrects}, which is negative"),
                )
            })
        })
        .transpose()?;
    Ok(Record {
        sequence,
        entry: Entry {
            decision_id,
            transaction_id,
            received,
            facts,
            outcome,
            trace,
            policy,
            version,
            content_hash,
            engine_version,
            corrects,
        },
        chain,
    })
}
