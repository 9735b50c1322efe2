//! Retention: `records prune --before DATE` removes the records received before a date, but only
//! when every one of them is at least five years old (15 CFR 762.6), and only after the whole log
//! verifies. What is removed is kept as a base: the size, last chain hash and tree state of the
//! pruned prefix, signed as a checkpoint when there is a key, so that the records kept still
//! verify from it.
//!
//! It takes a store and a date and gives how many records were removed.

use crate::RecordsError;
use crate::checkpoint::Signer;
use crate::hash::{chain_hash, leaf_hash};
use crate::store::{Base, Head, Store, Window};

/// How long records are kept, in years (15 CFR 762.6).
pub const RETENTION_YEARS: i16 = 5;

/// What pruning did.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Pruned {
    pub removed: u64,
    /// The log's records now start after this many.
    pub base: u64,
    pub signed: bool,
}

/// Removes the records received before `before` (a time as records keep them), refusing a date
/// later than five years before `today`.
pub fn prune(
    store: &mut dyn Store,
    before: &str,
    today: jiff::civil::Date,
    signer: Option<&Signer>,
) -> Result<Pruned, RecordsError> {
    let limit = today
        .checked_sub(jiff::Span::new().years(RETENTION_YEARS))
        .map_err(|error| {
            RecordsError::new(format!("cannot compute the retention limit: {error}"))
        })?;
    let limit_time = crate::record::parse_time(&limit.to_string()).map_err(RecordsError::new)?;
    if before > limit_time.as_str() {
        return Err(RecordsError::new(format!(
            "refused: records received on or after {limit} are younger than five years and must \
             be kept (15 CFR 762.6); prune before {limit} at the latest"
        )));
    }
    let report = crate::verify::verify(store, signer.map(Signer::verifier).as_ref(), &[])?;
    if let Some(problem) = report.problem {
        return Err(RecordsError::new(format!(
            "refused: the log does not verify, and pruning would remove the evidence: {problem}"
        )));
    }
    let base = store.base()?;
    let mut head = base
        .as_ref()
        .map_or_else(Head::empty, |base| base.head.clone());
    let last = match store.first_at_or_after(before)? {
        Some(first) => first - 1,
        None => store.head()?.size,
    };
    if last <= head.size {
        return Ok(Pruned {
            removed: 0,
            base: head.size,
            signed: false,
        });
    }
    // Walk the prefix to its head.
    let mut after = head.size;
    while after < last {
        let page = store.read(
            after,
            10_000.min((last - after) as usize),
            &Window::default(),
        )?;
        if page.is_empty() {
            break;
        }
        for record in &page {
            let leaf = leaf_hash(&record.entry.content());
            head.chain = chain_hash(&head.chain, &leaf);
            head.range.push(leaf);
            head.size = record.sequence;
            after = record.sequence;
        }
    }
    let origin = crate::origin(store)?;
    let note = signer.map(|signer| signer.sign(&origin, head.size, &head.range.root()));
    let signed = note.is_some();
    let removed = store.prune(&Base {
        head: head.clone(),
        note,
    })?;
    Ok(Pruned {
        removed,
        base: head.size,
        signed,
    })
}
