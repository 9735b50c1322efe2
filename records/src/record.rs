//! A decision record: what was received, what was decided, under which rules, and where it sits
//! in the hash chain. [`Entry`] is what a caller hands over; [`Record`] is what the log keeps.
//!
//! It gives the bytes a record's leaf hash covers ([`Record::content`]) and the record as JSON
//! for export; it never reads or writes a store.

use serde::Serialize;

use crate::hash::{Hash, hex};

/// A decision to record, as the service or the command line made it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Entry {
    /// A unique id for this decision (see [`new_decision_id`]).
    pub decision_id: String,
    /// The transaction's own id (`id` in the facts), when it has one.
    pub transaction_id: Option<String>,
    /// When the facts were received: RFC 3339 in UTC with microseconds (see [`now`]).
    pub received: String,
    /// The facts exactly as received: the bytes, not a re-serialisation.
    pub facts: Vec<u8>,
    /// The outcome as JSON text.
    pub outcome: String,
    /// The trace (the rules that decided, with their citations) as JSON text.
    pub trace: String,
    pub policy: String,
    pub version: String,
    /// `sha256:...` of the version's sources.
    pub content_hash: String,
    pub engine_version: String,
    /// The sequence number of the record this one corrects.
    pub corrects: Option<u64>,
}

impl Entry {
    /// The entry of a decision the engine made from `facts`, received at `received`.
    pub fn of_decision(
        decision: &cordon_engine::Decision,
        facts: &[u8],
        received: String,
    ) -> Entry {
        let outcome: serde_json::Map<String, serde_json::Value> = decision
            .outcome
            .iter()
            .map(|(name, value)| (name.clone(), value.clone()))
            .collect();
        Entry {
            decision_id: new_decision_id(),
            transaction_id: decision.id.clone(),
            received,
            facts: facts.to_vec(),
            outcome: serde_json::Value::Object(outcome).to_string(),
            trace: serde_json::to_string(&decision.trace).unwrap_or_else(|_| "[]".to_string()),
            policy: decision.policy.name.clone(),
            version: decision.policy.version.clone(),
            content_hash: decision.policy.hash.clone(),
            engine_version: ENGINE_VERSION.to_string(),
            corrects: None,
        }
    }
}

/// The version of the engine that decides, as recorded.
pub const ENGINE_VERSION: &str = concat!("cordon-engine ", env!("CARGO_PKG_VERSION"));

/// A record as the log keeps it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Record {
    /// Its position in the log, from 1.
    pub sequence: u64,
    pub entry: Entry,
    /// The chain hash stored with it (the verifier recomputes it).
    pub chain: Hash,
}

/// The version of the leaf encoding, the first byte of every record's content.
const CONTENT_FORMAT: u8 = 1;

impl Entry {
    /// The bytes the leaf hash covers: a format byte, then each field as a big-endian u64 length
    /// and its bytes, in a fixed order. The sequence number is not among them: a record's place is
    /// fixed by the chain, so moving a record breaks the chain rather than its content.
    pub fn content(&self) -> Vec<u8> {
        let corrects = self.corrects.map(|sequence| sequence.to_string());
        let fields: [&[u8]; 11] = [
            self.decision_id.as_bytes(),
            self.transaction_id.as_deref().unwrap_or("").as_bytes(),
            self.received.as_bytes(),
            &self.facts,
            self.outcome.as_bytes(),
            self.trace.as_bytes(),
            self.policy.as_bytes(),
            self.version.as_bytes(),
            self.content_hash.as_bytes(),
            self.engine_version.as_bytes(),
            corrects.as_deref().unwrap_or("").as_bytes(),
        ];
        let length: usize = fields.iter().map(|field| field.len() + 8).sum();
        let mut content = Vec::with_capacity(length + 3);
        content.push(CONTENT_FORMAT);
        // Whether the transaction id and the correction are present at all.
        content.push(u8::from(self.transaction_id.is_some()));
        content.push(u8::from(self.corrects.is_some()));
        for field in fields {
            content.extend_from_slice(&(field.len() as u64).to_be_bytes());
            content.extend_from_slice(field);
        }
        content
    }
}

/// A record as one JSON object (`records export`, `records show`).
#[derive(Serialize)]
pub struct RecordJson<'a> {
    pub sequence: u64,
    pub decision_id: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub transaction_id: Option<&'a str>,
    pub received: &'a str,
    /// The facts as received, when they are UTF-8 text (they are for every decided transaction).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub facts: Option<&'a str>,
    /// The facts' bytes in base64 when they are not UTF-8.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub facts_base64: Option<String>,
    pub outcome: serde_json::Value,
    pub trace: serde_json::Value,
    pub policy: &'a str,
    pub version: &'a str,
    pub content_hash: &'a str,
    pub engine_version: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub corrects: Option<u64>,
    pub chain_hash: String,
}

impl Record {
    pub fn to_json(&self) -> RecordJson<'_> {
        use base64::Engine as _;
        let entry = &self.entry;
        let text = std::str::from_utf8(&entry.facts).ok();
        let json = |text: &str| {
            serde_json::from_str(text).unwrap_or_else(|_| serde_json::Value::String(text.into()))
        };
        RecordJson {
            sequence: self.sequence,
            decision_id: &entry.decision_id,
            transaction_id: entry.transaction_id.as_deref(),
            received: &entry.received,
            facts: text,
            facts_base64: text
                .is_none()
                .then(|| base64::engine::general_purpose::STANDARD.encode(&entry.facts)),
            outcome: json(&entry.outcome),
            trace: json(&entry.trace),
            policy: &entry.policy,
            version: &entry.version,
            content_hash: &entry.content_hash,
            engine_version: &entry.engine_version,
            corrects: entry.corrects,
            chain_hash: hex(&self.chain),
        }
    }
}

/// A new decision id: 32 hex digits, the first 12 the milliseconds since 1970 and the rest 80
/// random bits (the layout of a UUIDv7). Ids made later sort later, so that each new id lands at
/// the end of the log's index of ids instead of on a random page of it (one page written per
/// record at every commit otherwise).
pub fn new_decision_id() -> String {
    let mut random = [0u8; 10];
    static COUNTER: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    if getrandom::fill(&mut random).is_err() {
        // Without the system's randomness, the process and a counter still make ids unique here.
        let count = COUNTER.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        random[..2].copy_from_slice(&(std::process::id() as u16).to_be_bytes());
        random[2..].copy_from_slice(&count.to_be_bytes());
    }
    let millis = jiff::Timestamp::now().as_millisecond().max(0) as u64;
    let mut bytes = [0u8; 16];
    bytes[..6].copy_from_slice(&millis.to_be_bytes()[2..]);
    bytes[6..].copy_from_slice(&random);
    hex(&bytes)
}

/// The time now as records keep it: RFC 3339 in UTC with microseconds, so that times sort as
/// text.
pub fn now() -> String {
    format_time(jiff::Timestamp::now())
}

/// A time as records keep it.
pub fn format_time(time: jiff::Timestamp) -> String {
    time.strftime("%Y-%m-%dT%H:%M:%S.%6fZ").to_string()
}

/// A date (`2026-01-15`) or time (RFC 3339) given on the command line, as records keep times.
pub fn parse_time(text: &str) -> Result<String, String> {
    if let Ok(time) = text.parse::<jiff::Timestamp>() {
        return Ok(format_time(time));
    }
    match text.parse::<jiff::civil::Date>() {
        Ok(date) => date
            .to_zoned(jiff::tz::TimeZone::UTC)
            .map(|zoned| format_time(zoned.timestamp()))
            .map_err(|error| format!("`{text}` is not a date records can hold: {error}")),
        Err(_) => Err(format!(
            "`{text}` is neither a date (`2026-01-15`) nor a time (`2026-01-15T10:00:00Z`)"
        )),
    }
}
