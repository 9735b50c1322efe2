//! Verification: recompute every record's leaf and chain hash from its content, check that the
//! sequence numbers run without a gap, recompute the tree head at every checkpoint and check its
//! signature, and name the first record that was altered, removed, inserted or reordered.
//!
//! It takes a store (read only) and gives a [`Report`]; it never changes the store.

use serde::Serialize;

use crate::RecordsError;
use crate::checkpoint::{Checkpoint, Verifier};
use crate::hash::{CompactRange, GENESIS, Hash, chain_hash, leaf_hash};
use crate::record::Record;
use crate::store::{Store, Window};

/// How far ahead a record out of place is looked for.
const LOOKAHEAD: usize = 64;
/// Records read at a time.
const PAGE: usize = 10_000;

/// What is wrong with a log.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Problem {
    /// The record's content no longer hashes to its chain hash, and the next record chains from
    /// that hash: this record was changed.
    Altered { sequence: u64 },
    /// The record does not chain from the one before it, nor does the next from it.
    ChainBroken { sequence: u64 },
    /// Records that are not there (a gap in the sequence, or missing at the end).
    Removed { first: u64, last: u64, why: String },
    /// A record that does not belong: the chain goes on from the record after it.
    Inserted { sequence: u64 },
    /// A record found at `sequence` that belongs at `belongs_at` (the records were reordered).
    Reordered { sequence: u64, belongs_at: u64 },
    /// A checkpoint that does not match the records, or whose signature fails.
    Checkpoint { size: u64, why: String },
    /// A record whose stored columns cannot be read as a record (a column was overwritten).
    Unreadable { sequence: u64, why: String },
    /// A correction that names a record that is not before it.
    Correction { sequence: u64, corrects: u64 },
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Problem::Altered { sequence } => write!(
                f,
                "record {sequence} was altered: its content does not hash to its chain hash"
            ),
            Problem::ChainBroken { sequence } => write!(
                f,
                "the chain breaks at record {sequence}: it does not follow from record {} and the \
                 next does not follow from it (altered, or records around it removed)",
                sequence.saturating_sub(1)
            ),
            Problem::Removed { first, last, why } if first == last => {
                write!(f, "record {first} was removed: {why}")
            }
            Problem::Removed { first, last, why } => {
                write!(f, "records {first} to {last} were removed: {why}")
            }
            Problem::Inserted { sequence } => write!(
                f,
                "record {sequence} was inserted: the chain goes on from record {} to the record \
                 after it",
                sequence.saturating_sub(1)
            ),
            Problem::Reordered {
                sequence,
                belongs_at,
            } => write!(
                f,
                "records were reordered: the record at {sequence} belongs at {belongs_at}"
            ),
            Problem::Checkpoint { size, why } => write!(f, "checkpoint at size {size}: {why}"),
            Problem::Unreadable { why, .. } => write!(f, "{why}: it was altered in the store"),
            Problem::Correction { sequence, corrects } => write!(
                f,
                "record {sequence} corrects record {corrects}, which is not an earlier record"
            ),
        }
    }
}

/// The outcome of verifying a log.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Report {
    /// Records in the log, pruned ones not counted.
    pub records: u64,
    /// Records pruned (their prefix is kept as a base).
    pub pruned: u64,
    /// Checkpoints whose tree head was recomputed and matched.
    pub checkpoints_checked: usize,
    /// Checkpoints of the pruned prefix, which can no longer be recomputed.
    pub checkpoints_pruned: usize,
    /// Which key checked the signatures: `given` (`--key`), `log` (the key the log names), or
    /// `none`.
    pub signatures: String,
    /// Records after the last checkpoint, not yet covered by a signature.
    pub unsigned_tail: u64,
    /// The first problem found, if any (verification stops there).
    pub problem: Option<Problem>,
}

impl Report {
    pub fn ok(&self) -> bool {
        self.problem.is_none()
    }
}

/// A checkpoint and where it came from.
struct Pending {
    size: u64,
    source: String,
    note: Result<Checkpoint, String>,
}

/// Verifies a whole log. `key` checks the checkpoints' signatures (else the key the log names,
/// if any); `extra` are checkpoint notes kept elsewhere (`--checkpoint FILE`), with their names.
pub fn verify(
    store: &mut dyn Store,
    key: Option<&Verifier>,
    extra: &[(String, String)],
) -> Result<Report, RecordsError> {
    let origin = store.meta("origin")?;
    let log_key = match store.meta("key")? {
        Some(text) => Some(Verifier::parse(&text, "the key the log names")?),
        None => None,
    };
    let (key, signatures) = match (key, &log_key) {
        (Some(key), _) => (Some(key), "given"),
        (None, Some(key)) => (Some(key), "log"),
        (None, None) => (None, "none"),
    };
    let base = store.base()?;
    let mut checkpoints: Vec<Pending> = store
        .checkpoints()?
        .into_iter()
        .map(|(size, note)| Pending {
            size,
            source: "stored".to_string(),
            note: Checkpoint::parse(&note),
        })
        .collect();
    for (source, note) in extra {
        let note = Checkpoint::parse(note);
        checkpoints.push(Pending {
            size: note.as_ref().map_or(0, |note| note.size),
            source: source.clone(),
            note,
        });
    }
    checkpoints.sort_by_key(|pending| pending.size);
    let mut report = Report {
        records: 0,
        pruned: base.as_ref().map_or(0, |base| base.head.size),
        checkpoints_checked: 0,
        checkpoints_pruned: 0,
        signatures: signatures.to_string(),
        unsigned_tail: 0,
        problem: None,
    };
    // Every checkpoint's text and signature, whatever its size.
    let check_note = |pending: &Pending| -> Result<Checkpoint, Problem> {
        let problem = |why: String| Problem::Checkpoint {
            size: pending.size,
            why: format!("{} ({})", why, pending.source),
        };
        let note = pending
            .note
            .clone()
            .map_err(|why| problem(format!("it cannot be read: {why}")))?;
        if let Some(origin) = &origin
            && note.origin != *origin
        {
            return Err(problem(format!(
                "it is of log `{}`, not of this log `{origin}`",
                note.origin
            )));
        }
        if let Some(key) = key {
            note.check_signature(key).map_err(problem)?;
        }
        Ok(note)
    };
    let mut previous: Hash = GENESIS;
    let mut range = CompactRange::default();
    if let Some(base) = &base {
        previous = base.head.chain;
        range = base.head.range.clone();
        if let (Some(note), Some(key)) = (&base.note, key) {
            let checked = Checkpoint::parse(note)
                .map_err(|why| format!("it cannot be read: {why}"))
                .and_then(|note| note.check_signature(key).map(|()| note))
                .and_then(|note| {
                    if note.size == base.head.size && note.root == base.head.range.root() {
                        Ok(())
                    } else {
                        Err("it does not match the pruned prefix kept".to_string())
                    }
                });
            if let Err(why) = checked {
                report.problem = Some(Problem::Checkpoint {
                    size: base.head.size,
                    why: format!("{why} (the checkpoint of the pruned prefix)"),
                });
                return Ok(report);
            }
        }
    }
    let mut next_checkpoint = 0;
    // Checkpoints of the pruned prefix: their text and signature only; one at the base's size
    // is compared with the base.
    while let Some(pending) = checkpoints.get(next_checkpoint)
        && pending.size <= range.size
    {
        if let Err(problem) = check_note(pending) {
            report.problem = Some(problem);
            return Ok(report);
        }
        if pending.size == range.size
            && let Ok(note) = &pending.note
        {
            if note.root != range.root() {
                report.problem = Some(Problem::Checkpoint {
                    size: pending.size,
                    why: "its root hash does not match the pruned prefix kept".to_string(),
                });
                return Ok(report);
            }
            report.checkpoints_checked += 1;
        } else {
            report.checkpoints_pruned += 1;
        }
        next_checkpoint += 1;
    }
    let mut expected = range.size + 1;
    let mut buffer: Vec<(Record, Hash)> = Vec::new();
    let mut at = 0;
    let mut last_read = range.size;
    let mut exhausted = false;
    // A record that cannot be read: the records before it are verified, then it is named.
    let mut unreadable: Option<(u64, String)> = None;
    loop {
        // Keep LOOKAHEAD records ahead of `at` in the buffer.
        if !exhausted && buffer.len() - at <= LOOKAHEAD {
            buffer.drain(..at);
            at = 0;
            let page = match store.read(last_read, PAGE, &Window::default()) {
                Ok(page) => page,
                Err(error) => match error.corrupt_record() {
                    Some(sequence) if sequence > last_read => {
                        unreadable = Some((sequence, error.to_string()));
                        let before = usize::try_from(sequence - last_read - 1).unwrap_or(PAGE);
                        store.read(last_read, before.min(PAGE), &Window::default())?
                    }
                    _ => return Err(error),
                },
            };
            exhausted = page.len() < PAGE || unreadable.is_some();
            if let Some(last) = page.last() {
                last_read = last.sequence;
            }
            buffer.extend(page.into_iter().map(|record| {
                let leaf = leaf_hash(&record.entry.content());
                (record, leaf)
            }));
        }
        let Some((record, leaf)) = buffer.get(at) else {
            break;
        };
        if record.sequence != expected {
            report.problem = Some(Problem::Removed {
                first: expected,
                last: record.sequence - 1,
                why: format!(
                    "the sequence jumps from {} to {}",
                    expected - 1,
                    record.sequence
                ),
            });
            return Ok(report);
        }
        let chain = chain_hash(&previous, leaf);
        if chain != record.chain {
            report.problem = Some(classify(&buffer[at..], &previous));
            return Ok(report);
        }
        // A correction names an earlier record (the appender never writes another).
        if let Some(corrects) = record.entry.corrects
            && (corrects == 0 || corrects >= record.sequence)
        {
            report.problem = Some(Problem::Correction {
                sequence: record.sequence,
                corrects,
            });
            return Ok(report);
        }
        previous = chain;
        range.push(*leaf);
        report.records += 1;
        expected += 1;
        at += 1;
        while let Some(pending) = checkpoints.get(next_checkpoint)
            && pending.size <= range.size
        {
            let note = match check_note(pending) {
                Ok(note) => note,
                Err(problem) => {
                    report.problem = Some(problem);
                    return Ok(report);
                }
            };
            if note.size == range.size && note.root != range.root() {
                report.problem = Some(Problem::Checkpoint {
                    size: note.size,
                    why: format!(
                        "its root hash does not match records {} to {} ({}): some record up to \
                         {} was changed and the chain hashes rewritten",
                        report.pruned + 1,
                        note.size,
                        pending.source,
                        note.size
                    ),
                });
                return Ok(report);
            }
            report.checkpoints_checked += 1;
            next_checkpoint += 1;
        }
    }
    let verified = range.size;
    if let Some((sequence, why)) = unreadable {
        report.problem = Some(Problem::Unreadable { sequence, why });
        return Ok(report);
    }
    // Checkpoints beyond the records: the records they cover were removed.
    if let Some(pending) = checkpoints.get(next_checkpoint) {
        report.problem = Some(Problem::Removed {
            first: verified + 1,
            last: pending.size,
            why: format!(
                "a checkpoint ({}) covers {} records but the log ends at {verified}",
                pending.source, pending.size
            ),
        });
        return Ok(report);
    }
    let head = store.head()?;
    if head.size > verified {
        report.problem = Some(Problem::Removed {
            first: verified + 1,
            last: head.size,
            why: format!(
                "the log's head counts {} records but they end at {verified}",
                head.size
            ),
        });
        return Ok(report);
    }
    if head.size == verified && head.chain != previous {
        report.problem = Some(Problem::ChainBroken { sequence: verified });
        return Ok(report);
    }
    let last_checkpoint = checkpoints.last().map_or(report.pruned, |last| last.size);
    report.unsigned_tail = verified.saturating_sub(last_checkpoint.max(report.pruned));
    Ok(report)
}

/// Names what happened at the first record that does not chain from `previous`: `records[0]`
/// is that record, the rest are those after it.
fn classify(records: &[(Record, Hash)], previous: &Hash) -> Problem {
    let (record, leaf) = &records[0];
    let follows =
        |(next, next_leaf): &(Record, Hash)| chain_hash(previous, next_leaf) == next.chain;
    if let Some(next) = records.get(1)
        && follows(next)
    {
        // The next record is the one that belongs here.
        return if chain_hash(&next.0.chain, leaf) == record.chain {
            Problem::Reordered {
                sequence: record.sequence,
                belongs_at: next.0.sequence,
            }
        } else {
            Problem::Inserted {
                sequence: record.sequence,
            }
        };
    }
    if let Some(found) = records.iter().skip(2).take(LOOKAHEAD).find(|r| follows(r)) {
        return Problem::Reordered {
            sequence: found.0.sequence,
            belongs_at: record.sequence,
        };
    }
    match records.get(1) {
        Some((next, next_leaf)) if chain_hash(&record.chain, next_leaf) == next.chain => {
            Problem::Altered {
                sequence: record.sequence,
            }
        }
        None => Problem::Altered {
            sequence: record.sequence,
        },
        Some(_) => Problem::ChainBroken {
            sequence: record.sequence,
        },
    }
}
