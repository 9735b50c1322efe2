//! Decision records: every decision appended, before it is answered, to a log that is never
//! updated and can be proved untouched. Kept five years (15 CFR 762.6).
//!
//! Pipeline: [`record`] turns a decision into an [`Entry`] and gives the bytes a record's hash
//! covers; [`hash`] chains records and builds the Merkle tree head (RFC 6962); [`store`] keeps
//! them in SQLite or PostgreSQL, one transaction per batch; [`appender`] batches entries from
//! many threads (group commit); [`checkpoint`] signs tree heads as C2SP checkpoint notes;
//! [`verify`] recomputes everything and names the first record out of place; [`prune`] removes
//! records older than the retention period and keeps the chain verifiable; [`replay`] decides
//! recorded transactions again under another version, through the corpus diff's grouping.
//!
//! ```
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! use cordon_records::{Appender, Create, Entry, Options, open};
//! let directory = std::env::temp_dir().join(format!("cordon-doc-{}", std::process::id()));
//! std::fs::create_dir_all(&directory)?;
//! let url = format!("sqlite:{}", directory.join("records.db").display());
//! let policy = cordon_engine::Policy::load(std::path::Path::new("../policies/ear"))?;
//! let facts = include_str!("../../examples/h100-to-india.json");
//! let decision = cordon_engine::decide_text(&policy, None, facts, cordon_engine::Detail::Trace)?;
//!
//! let appender = Appender::start(open(&url, Create::Yes)?, Options::default())?;
//! // Returns once the record is durable: only then is the decision answered.
//! let sequence = appender.append(Entry::of_decision(&decision, facts.as_bytes(), cordon_records::now()))?;
//! appender.close()?;
//! let report = cordon_records::verify::verify(open(&url, Create::No)?.as_mut(), None, &[])?;
//! assert!(report.ok() && report.records >= sequence);
//! # std::fs::remove_dir_all(&directory)?;
//! # Ok(())
//! # }
//! ```

pub mod appender;
pub mod checkpoint;
pub mod hash;
pub mod prune;
pub mod record;
pub mod replay;
pub mod store;
pub mod verify;

pub use appender::{Appender, Options, Pending};
pub use record::{Entry, Record, now};
pub use store::{Create, Store, Window, open};

/// Where decisions are recorded and how the log is checkpointed: what `cordon eval --records`
/// and `cordon serve --records` are given.
#[derive(Clone, Debug)]
pub struct Settings {
    /// The log: `sqlite:PATH` or `postgres://...`.
    pub url: String,
    /// The private key that signs checkpoints (`cordon records keygen`); without one, none are
    /// written.
    pub key_file: Option<std::path::PathBuf>,
    /// Sign a checkpoint once this many records were appended since the last one...
    pub checkpoint_every: u64,
    /// ...or once this long has passed since the last one, if records were appended since.
    pub checkpoint_interval: std::time::Duration,
}

impl Settings {
    /// The log at `url` with the default checkpoint frequency and no key.
    pub fn new(url: impl Into<String>) -> Settings {
        let defaults = Options::default();
        Settings {
            url: url.into(),
            key_file: None,
            checkpoint_every: defaults.checkpoint_every,
            checkpoint_interval: defaults.checkpoint_interval,
        }
    }

    /// The appender of the log (created if it is not there).
    pub fn start(&self) -> Result<Appender, RecordsError> {
        if self.checkpoint_every == 0 {
            return Err(RecordsError::new(
                "checkpoints every 0 records: give at least 1".to_string(),
            ));
        }
        if self.checkpoint_interval.is_zero() {
            return Err(RecordsError::new(
                "checkpoints every 0 seconds: give at least 1".to_string(),
            ));
        }
        let signer = match &self.key_file {
            Some(path) => {
                let text = std::fs::read_to_string(path).map_err(|error| {
                    RecordsError::new(format!(
                        "cannot read key file `{}`: {error}",
                        path.display()
                    ))
                })?;
                Some(checkpoint::Signer::parse(
                    &text,
                    &format!("key file `{}`", path.display()),
                )?)
            }
            None => None,
        };
        let options = Options {
            signer,
            checkpoint_every: self.checkpoint_every,
            checkpoint_interval: self.checkpoint_interval,
            ..Options::default()
        };
        Appender::start(open(&self.url, Create::Yes)?, options)
    }
}

/// Why records could not be written or read: a sentence naming what and where.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RecordsError {
    message: String,
    /// The record whose stored columns cannot be read as a record, if that is what is wrong.
    corrupt: Option<u64>,
}

impl RecordsError {
    pub fn new(message: String) -> RecordsError {
        RecordsError {
            message,
            corrupt: None,
        }
    }

    /// Record `sequence` is stored, but a column of it cannot be read (`why`).
    pub fn corrupt(sequence: u64, why: &str) -> RecordsError {
        RecordsError {
            message: format!("record {sequence}: {why}"),
            corrupt: Some(sequence),
        }
    }

    /// The record that cannot be read, when that is the error.
    pub fn corrupt_record(&self) -> Option<u64> {
        self.corrupt
    }
}

impl std::fmt::Display for RecordsError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for RecordsError {}

/// The log's origin (the first line of its checkpoints), made once when the log is first
/// written: `cordon-records/<16 random hex digits>`.
pub fn origin(store: &mut dyn Store) -> Result<String, RecordsError> {
    if let Some(origin) = store.meta("origin")? {
        return Ok(origin);
    }
    let mut bytes = [0u8; 8];
    getrandom::fill(&mut bytes).map_err(|error| {
        RecordsError::new(format!(
            "cannot draw the log's name from the system: {error}"
        ))
    })?;
    store.meta_or_set("origin", &format!("cordon-records/{}", hash::hex(&bytes)))
}

/// What `records stats` reports.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Stats {
    pub origin: Option<String>,
    /// Records ever appended, pruned ones included.
    pub size: u64,
    pub pruned: u64,
    pub checkpoints: usize,
    pub last_checkpoint: Option<u64>,
    pub versions: Vec<store::VersionCount>,
}

pub fn stats(store: &mut dyn Store) -> Result<Stats, RecordsError> {
    let checkpoints = store.checkpoints()?;
    Ok(Stats {
        origin: store.meta("origin")?,
        size: store.head()?.size,
        pruned: store.base()?.map_or(0, |base| base.head.size),
        checkpoints: checkpoints.len(),
        last_checkpoint: checkpoints.last().map(|(size, _)| *size),
        versions: store.version_counts()?,
    })
}

/// Calls `each` with every record in `window`, in order, a page at a time.
pub fn for_each(
    store: &mut dyn Store,
    window: &Window,
    mut each: impl FnMut(&Record) -> Result<(), RecordsError>,
) -> Result<(), RecordsError> {
    let mut after = match &window.since {
        Some(since) => match store.first_at_or_after(since)? {
            Some(first) => first - 1,
            None => return Ok(()),
        },
        None => 0,
    };
    loop {
        let page = store.read(after, 10_000, window)?;
        for record in &page {
            each(record)?;
        }
        match page.last() {
            Some(last) if page.len() == 10_000 => after = last.sequence,
            _ => return Ok(()),
        }
    }
}
