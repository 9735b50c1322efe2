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

/// The appender of the log at `url` (created if it is not there), its checkpoints signed with the
/// private key in `key_file` when one is given: what `cordon eval --records` and `cordon serve
/// --records` start.
pub fn start(url: &str, key_file: Option<&std::path::Path>) -> Result<Appender, RecordsError> {
    let signer = match key_file {
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
        ..Options::default()
    };
    Appender::start(open(url, Create::Yes)?, options)
}

/// Why records could not be written or read: a sentence naming what and where.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RecordsError {
    message: String,
}

impl RecordsError {
    pub fn new(message: String) -> RecordsError {
        RecordsError { message }
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
