//! The PostgreSQL backend, for several service instances writing one log. Each batch is one
//! transaction that takes a transaction-scoped advisory lock, reads the head, inserts the batch
//! in one statement (arrays through `unnest`) and moves the head, so instances take turns at the
//! end of the chain. Commits are durable with PostgreSQL's default `synchronous_commit = on`.
//! A trigger refuses an `UPDATE` of a record and a `DELETE` outside a pruned prefix.

use postgres::{Client, NoTls, Row};

use super::{
    Base, COLUMNS, Create, Head, RawRecord, Store, VersionCount, Window, head_of, record_of,
    to_i64, to_u64,
};
use crate::RecordsError;
use crate::record::{Entry, Record};

/// The advisory lock that orders appends (and the creation of the tables).
const LOCK: i64 = 0x636f_7264_6f6e_7265;

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS records (
    sequence BIGINT PRIMARY KEY,
    decision_id TEXT NOT NULL,
    transaction_id TEXT,
    received TEXT NOT NULL,
    facts BYTEA NOT NULL,
    outcome TEXT NOT NULL,
    trace TEXT NOT NULL,
    policy TEXT NOT NULL,
    version TEXT NOT NULL,
    content_hash TEXT NOT NULL,
    engine_version TEXT NOT NULL,
    corrects BIGINT,
    chain BYTEA NOT NULL
);
CREATE INDEX IF NOT EXISTS records_decision_id ON records (decision_id);
CREATE INDEX IF NOT EXISTS records_transaction_id ON records (transaction_id);
CREATE INDEX IF NOT EXISTS records_received ON records (received);
CREATE TABLE IF NOT EXISTS head (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    size BIGINT NOT NULL,
    chain BYTEA NOT NULL,
    range BYTEA NOT NULL
);
CREATE TABLE IF NOT EXISTS base (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    size BIGINT NOT NULL,
    chain BYTEA NOT NULL,
    range BYTEA NOT NULL,
    note TEXT
);
CREATE TABLE IF NOT EXISTS checkpoints (size BIGINT PRIMARY KEY, note TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE OR REPLACE FUNCTION records_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' AND OLD.sequence <= (SELECT coalesce(max(size), 0) FROM base) THEN
        RETURN OLD;
    END IF;
    RAISE EXCEPTION 'decision records are never updated or deleted, except by `records prune`';
END $$;
CREATE OR REPLACE TRIGGER records_append_only BEFORE UPDATE OR DELETE ON records
FOR EACH ROW EXECUTE FUNCTION records_append_only();
";

pub struct PostgresStore {
    client: Client,
    /// The URL without its password, for messages.
    name: String,
}

/// A URL as messages show it: without a password.
fn without_password(url: &str) -> String {
    match (url.find("://"), url.find('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            let credentials = &url[scheme + 3..at];
            match credentials.split_once(':') {
                Some((user, _)) => format!("{}{user}:***{}", &url[..scheme + 3], &url[at..]),
                None => url.to_string(),
            }
        }
        _ => url.to_string(),
    }
}

impl PostgresStore {
    pub fn open(url: &str, create: Create) -> Result<PostgresStore, RecordsError> {
        let name = without_password(url);
        let mut client = Client::connect(url, NoTls).map_err(|error| {
            RecordsError::new(format!(
                "cannot connect to records database `{name}`: {error}"
            ))
        })?;
        let fail = |what: &str, error: postgres::Error| {
            RecordsError::new(format!("records database `{name}`: {what}: {error}"))
        };
        match create {
            Create::Yes => {
                let mut transaction = client
                    .transaction()
                    .map_err(|e| fail("cannot begin a transaction", e))?;
                transaction
                    .execute("SELECT pg_advisory_xact_lock($1)", &[&LOCK])
                    .map_err(|e| fail("cannot take the lock", e))?;
                transaction
                    .batch_execute(SCHEMA)
                    .map_err(|e| fail("cannot create the tables", e))?;
                transaction
                    .commit()
                    .map_err(|e| fail("cannot create the tables", e))?;
            }
            Create::No => {
                let row = client
                    .query_one(
                        "SELECT count(*) FROM information_schema.tables \
                         WHERE table_schema = current_schema() \
                         AND table_name IN ('records', 'head', 'base', 'checkpoints', 'meta')",
                        &[],
                    )
                    .map_err(|e| fail("cannot list its tables", e))?;
                let tables: i64 = get(&row, 0)?;
                if tables != 5 {
                    return Err(RecordsError::new(format!(
                        "records database `{name}` holds no decision records (tables `records`, \
                         `head`, `base`, `checkpoints` and `meta` are not all there)"
                    )));
                }
            }
        }
        Ok(PostgresStore { client, name })
    }

    fn error(&self, what: &str, error: postgres::Error) -> RecordsError {
        RecordsError::new(format!("records database `{}`: {what}: {error}", self.name))
    }
}

/// A column of a row, or an error naming the column when its type is not what the log wrote.
fn get<'a, T: postgres::types::FromSql<'a>>(row: &'a Row, index: usize) -> Result<T, RecordsError> {
    row.try_get(index).map_err(|error| {
        let name = row
            .columns()
            .get(index)
            .map_or_else(|| index.to_string(), |column| column.name().to_string());
        RecordsError::new(format!("column `{name}` cannot be read: {error}"))
    })
}

fn current_head(client: &mut impl postgres::GenericClient) -> Result<Head, RecordsError> {
    let fail = |error: postgres::Error| RecordsError::new(format!("cannot read the head: {error}"));
    if let Some(row) = client
        .query_opt("SELECT size, chain, range FROM head WHERE id = 1", &[])
        .map_err(fail)?
    {
        return head_of("head", get(&row, 0)?, get(&row, 1)?, get(&row, 2)?);
    }
    Ok(read_base(client)?.map_or_else(Head::empty, |base| base.head))
}

fn read_base(client: &mut impl postgres::GenericClient) -> Result<Option<Base>, RecordsError> {
    let row = client
        .query_opt(
            "SELECT size, chain, range, note FROM base WHERE id = 1",
            &[],
        )
        .map_err(|error| RecordsError::new(format!("cannot read the pruned prefix: {error}")))?;
    row.map(|row| {
        Ok(Base {
            head: head_of("base", get(&row, 0)?, get(&row, 1)?, get(&row, 2)?)?,
            note: get(&row, 3)?,
        })
    })
    .transpose()
}

/// A record from its row: each column read (naming the one that cannot be), then checked as every
/// store checks it ([`record_of`]).
fn record_from_row(row: &Row) -> Result<Record, RecordsError> {
    let sequence: i64 = row.try_get(0).map_err(|error| {
        RecordsError::new(format!("a record's column 0 cannot be read: {error}"))
    })?;
    let at = |index: usize, error: postgres::Error| {
        RecordsError::new(format!(
            "record {sequence}: column {index} cannot be read: {error}"
        ))
    };
    let raw: RawRecord = (
        sequence,
        row.try_get(1).map_err(|e| at(1, e))?,
        row.try_get(2).map_err(|e| at(2, e))?,
        row.try_get(3).map_err(|e| at(3, e))?,
        row.try_get(4).map_err(|e| at(4, e))?,
        row.try_get(5).map_err(|e| at(5, e))?,
        row.try_get(6).map_err(|e| at(6, e))?,
        row.try_get(7).map_err(|e| at(7, e))?,
        row.try_get(8).map_err(|e| at(8, e))?,
        row.try_get(9).map_err(|e| at(9, e))?,
        row.try_get(10).map_err(|e| at(10, e))?,
        row.try_get(11).map_err(|e| at(11, e))?,
        row.try_get(12).map_err(|e| at(12, e))?,
    );
    record_of(raw)
}

impl Store for PostgresStore {
    fn append(
        &mut self,
        entries: &[Entry],
        checkpoint: &mut dyn FnMut(&Head) -> Option<String>,
    ) -> Result<Head, RecordsError> {
        let name = self.name.clone();
        let fail = |what: &str, error: postgres::Error| {
            RecordsError::new(format!("records database `{name}`: cannot {what}: {error}"))
        };
        let mut transaction = self
            .client
            .transaction()
            .map_err(|e| fail("begin a transaction", e))?;
        transaction
            .execute("SELECT pg_advisory_xact_lock($1)", &[&LOCK])
            .map_err(|e| fail("take the lock", e))?;
        let head = current_head(&mut transaction)?;
        let (rows, next) = super::extend(&head, entries);
        let mut sequences = Vec::with_capacity(rows.len());
        let mut chains = Vec::with_capacity(rows.len());
        let mut corrects = Vec::with_capacity(rows.len());
        for (sequence, entry, chain) in &rows {
            sequences.push(to_i64(*sequence, "record")?);
            chains.push(chain.as_slice());
            corrects.push(
                entry
                    .corrects
                    .map(|corrects| to_i64(corrects, "corrected record"))
                    .transpose()?,
            );
        }
        let text = |field: fn(&Entry) -> &str| -> Vec<&str> {
            rows.iter().map(|(_, entry, _)| field(entry)).collect()
        };
        let transaction_ids: Vec<Option<&str>> = rows
            .iter()
            .map(|(_, entry, _)| entry.transaction_id.as_deref())
            .collect();
        let facts: Vec<&[u8]> = rows
            .iter()
            .map(|(_, entry, _)| entry.facts.as_slice())
            .collect();
        transaction
            .execute(
                &format!(
                    "INSERT INTO records ({COLUMNS}) SELECT * FROM unnest(\
                     $1::bigint[], $2::text[], $3::text[], $4::text[], $5::bytea[], $6::text[], \
                     $7::text[], $8::text[], $9::text[], $10::text[], $11::text[], $12::bigint[], \
                     $13::bytea[])"
                ),
                &[
                    &sequences,
                    &text(|entry| &entry.decision_id),
                    &transaction_ids,
                    &text(|entry| &entry.received),
                    &facts,
                    &text(|entry| &entry.outcome),
                    &text(|entry| &entry.trace),
                    &text(|entry| &entry.policy),
                    &text(|entry| &entry.version),
                    &text(|entry| &entry.content_hash),
                    &text(|entry| &entry.engine_version),
                    &corrects,
                    &chains,
                ],
            )
            .map_err(|e| fail("append the records", e))?;
        let size = to_i64(next.size, "log size")?;
        transaction
            .execute(
                "INSERT INTO head (id, size, chain, range) VALUES (1, $1, $2, $3) \
                 ON CONFLICT (id) DO UPDATE SET size = $1, chain = $2, range = $3",
                &[&size, &next.chain.as_slice(), &next.range.to_bytes()],
            )
            .map_err(|e| fail("move the head", e))?;
        if let Some(note) = checkpoint(&next) {
            transaction
                .execute(
                    "INSERT INTO checkpoints (size, note) VALUES ($1, $2) ON CONFLICT DO NOTHING",
                    &[&size, &note],
                )
                .map_err(|e| fail("store a checkpoint", e))?;
        }
        transaction
            .commit()
            .map_err(|e| fail("commit the records", e))?;
        Ok(next)
    }

    fn head(&mut self) -> Result<Head, RecordsError> {
        current_head(&mut self.client)
    }

    fn read(
        &mut self,
        after: u64,
        limit: usize,
        window: &Window,
    ) -> Result<Vec<Record>, RecordsError> {
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let rows = self
            .client
            .query(
                &format!(
                    "SELECT {COLUMNS} FROM records WHERE sequence > $1 \
                     AND ($2::text IS NULL OR received >= $2) \
                     AND ($3::text IS NULL OR received < $3) ORDER BY sequence LIMIT $4"
                ),
                &[
                    &to_i64(after, "record")?,
                    &window.since,
                    &window.until,
                    &limit,
                ],
            )
            .map_err(|e| self.error(&format!("cannot read records after {after}"), e))?;
        rows.iter().map(record_from_row).collect()
    }

    fn find(&mut self, id: &str) -> Result<Vec<Record>, RecordsError> {
        let sequence: Option<i64> = id.parse().ok();
        let rows = self
            .client
            .query(
                &format!(
                    "SELECT {COLUMNS} FROM records WHERE decision_id = $1 \
                     OR transaction_id = $1 OR sequence = $2 ORDER BY sequence"
                ),
                &[&id, &sequence],
            )
            .map_err(|e| self.error(&format!("cannot look up `{id}`"), e))?;
        rows.iter().map(record_from_row).collect()
    }

    fn checkpoints(&mut self) -> Result<Vec<(u64, String)>, RecordsError> {
        let rows = self
            .client
            .query("SELECT size, note FROM checkpoints ORDER BY size", &[])
            .map_err(|e| self.error("cannot read the checkpoints", e))?;
        rows.iter()
            .map(|row| Ok((to_u64(get(row, 0)?, "checkpoint size")?, get(row, 1)?)))
            .collect()
    }

    fn add_checkpoint(&mut self, size: u64, note: &str) -> Result<(), RecordsError> {
        let size = to_i64(size, "checkpoint size")?;
        self.client
            .execute(
                "INSERT INTO checkpoints (size, note) VALUES ($1, $2) ON CONFLICT DO NOTHING",
                &[&size, &note],
            )
            .map_err(|e| self.error("cannot store a checkpoint", e))?;
        Ok(())
    }

    fn base(&mut self) -> Result<Option<Base>, RecordsError> {
        read_base(&mut self.client)
    }

    fn prune(&mut self, base: &Base) -> Result<u64, RecordsError> {
        let name = self.name.clone();
        let fail = |what: &str, error: postgres::Error| {
            RecordsError::new(format!("records database `{name}`: {what}: {error}"))
        };
        let mut transaction = self
            .client
            .transaction()
            .map_err(|e| fail("cannot begin a transaction", e))?;
        transaction
            .execute("SELECT pg_advisory_xact_lock($1)", &[&LOCK])
            .map_err(|e| fail("cannot take the lock", e))?;
        let size = to_i64(base.head.size, "pruned prefix")?;
        transaction
            .execute(
                "INSERT INTO base (id, size, chain, range, note) VALUES (1, $1, $2, $3, $4) \
                 ON CONFLICT (id) DO UPDATE SET size = $1, chain = $2, range = $3, note = $4",
                &[
                    &size,
                    &base.head.chain.as_slice(),
                    &base.head.range.to_bytes(),
                    &base.note,
                ],
            )
            .map_err(|e| fail("cannot keep the pruned prefix", e))?;
        let removed = transaction
            .execute("DELETE FROM records WHERE sequence <= $1", &[&size])
            .map_err(|e| fail("cannot prune", e))?;
        transaction
            .commit()
            .map_err(|e| fail("cannot commit the pruning", e))?;
        Ok(removed)
    }

    fn meta(&mut self, key: &str) -> Result<Option<String>, RecordsError> {
        let row = self
            .client
            .query_opt("SELECT value FROM meta WHERE key = $1", &[&key])
            .map_err(|e| self.error(&format!("cannot read `{key}`"), e))?;
        row.map(|row| get(&row, 0)).transpose()
    }

    fn meta_or_set(&mut self, key: &str, value: &str) -> Result<String, RecordsError> {
        self.client
            .execute(
                "INSERT INTO meta (key, value) VALUES ($1, $2) ON CONFLICT DO NOTHING",
                &[&key, &value],
            )
            .map_err(|e| self.error(&format!("cannot set `{key}`"), e))?;
        self.meta(key)?
            .ok_or_else(|| RecordsError::new(format!("`{}`: `{key}` was not kept", self.name)))
    }

    fn version_counts(&mut self) -> Result<Vec<VersionCount>, RecordsError> {
        let rows = self
            .client
            .query(
                "SELECT policy, version, content_hash, count(*), min(received), max(received) \
                 FROM records GROUP BY policy, version, content_hash ORDER BY min(sequence)",
                &[],
            )
            .map_err(|e| self.error("cannot count the records", e))?;
        rows.iter()
            .map(|row| {
                Ok(VersionCount {
                    policy: get(row, 0)?,
                    version: get(row, 1)?,
                    content_hash: get(row, 2)?,
                    records: to_u64(get(row, 3)?, "count")?,
                    first_received: get(row, 4)?,
                    last_received: get(row, 5)?,
                })
            })
            .collect()
    }

    fn first_at_or_after(&mut self, time: &str) -> Result<Option<u64>, RecordsError> {
        let row = self
            .client
            .query_one(
                "SELECT min(sequence) FROM records WHERE received >= $1",
                &[&time],
            )
            .map_err(|e| self.error("cannot find records by time", e))?;
        let first: Option<i64> = get(&row, 0)?;
        first.map(|first| to_u64(first, "record")).transpose()
    }
}
