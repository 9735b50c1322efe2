//! The SQLite backend: one file, write-ahead log, `synchronous=FULL` (a commit is on disk before
//! it returns), one `BEGIN IMMEDIATE` transaction per batch so that several processes appending
//! to one file take turns. Triggers refuse an `UPDATE` of a record and a `DELETE` outside a
//! pruned prefix, so that a mistaken statement cannot change the log (a deliberate one that drops
//! the triggers is what `verify` catches).

use std::path::{Path, PathBuf};

use rusqlite::{Connection, OpenFlags, OptionalExtension, params};

use super::{
    Base, COLUMNS, Create, Head, RawRecord, Store, VersionCount, Window, head_of, record_of,
    to_i64, to_u64,
};
use crate::RecordsError;
use crate::record::{Entry, Record};

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS records (
    sequence INTEGER PRIMARY KEY,
    decision_id TEXT NOT NULL,
    transaction_id TEXT,
    received TEXT NOT NULL,
    facts BLOB NOT NULL,
    outcome TEXT NOT NULL,
    trace TEXT NOT NULL,
    policy TEXT NOT NULL,
    version TEXT NOT NULL,
    content_hash TEXT NOT NULL,
    engine_version TEXT NOT NULL,
    corrects INTEGER,
    chain BLOB NOT NULL
);
CREATE INDEX IF NOT EXISTS records_decision_id ON records (decision_id);
CREATE INDEX IF NOT EXISTS records_transaction_id ON records (transaction_id);
CREATE INDEX IF NOT EXISTS records_received ON records (received);
CREATE TABLE IF NOT EXISTS head (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    size INTEGER NOT NULL,
    chain BLOB NOT NULL,
    range BLOB NOT NULL
);
CREATE TABLE IF NOT EXISTS base (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    size INTEGER NOT NULL,
    chain BLOB NOT NULL,
    range BLOB NOT NULL,
    note TEXT
);
CREATE TABLE IF NOT EXISTS checkpoints (size INTEGER PRIMARY KEY, note TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TRIGGER IF NOT EXISTS records_never_updated BEFORE UPDATE ON records
BEGIN SELECT RAISE(ABORT, 'decision records are never updated: append a correction'); END;
CREATE TRIGGER IF NOT EXISTS records_never_deleted BEFORE DELETE ON records
WHEN OLD.sequence > (SELECT coalesce(max(size), 0) FROM base)
BEGIN SELECT RAISE(ABORT, 'decision records are never deleted, except by `records prune`'); END;
";

pub struct SqliteStore {
    connection: Connection,
    path: PathBuf,
}

impl SqliteStore {
    pub fn open(path: &Path, create: Create) -> Result<SqliteStore, RecordsError> {
        let name = path.display().to_string();
        let error = |what: &str, error: rusqlite::Error| {
            RecordsError::new(format!("records file `{name}`: {what}: {error}"))
        };
        if create == Create::No && !path.exists() {
            return Err(RecordsError::new(format!(
                "records file `{name}` does not exist"
            )));
        }
        let flags = match create {
            Create::Yes => OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_CREATE,
            Create::No => OpenFlags::SQLITE_OPEN_READ_WRITE,
        } | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        let connection =
            Connection::open_with_flags(path, flags).map_err(|e| error("cannot open it", e))?;
        connection
            .busy_timeout(std::time::Duration::from_secs(30))
            .map_err(|e| error("cannot set a busy timeout", e))?;
        connection
            .pragma_update(None, "journal_mode", "WAL")
            .map_err(|e| {
                error(
                    "cannot turn on its write-ahead log (is it an SQLite file?)",
                    e,
                )
            })?;
        connection
            .pragma_update(None, "synchronous", "FULL")
            .map_err(|e| error("cannot make its commits durable", e))?;
        match create {
            Create::Yes => connection
                .execute_batch(SCHEMA)
                .map_err(|e| error("cannot create the tables", e))?,
            Create::No => {
                let tables: i64 = connection
                    .query_row(
                        "SELECT count(*) FROM sqlite_master WHERE type = 'table' \
                         AND name IN ('records', 'head', 'base', 'checkpoints', 'meta')",
                        [],
                        |row| row.get(0),
                    )
                    .map_err(|e| error("cannot read it (is it an SQLite file?)", e))?;
                if tables != 5 {
                    return Err(RecordsError::new(format!(
                        "records file `{name}` holds no decision records (tables `records`, \
                         `head`, `base`, `checkpoints` and `meta` are not all there)"
                    )));
                }
            }
        }
        Ok(SqliteStore {
            connection,
            path: path.to_path_buf(),
        })
    }

    fn error(&self, what: &str, error: rusqlite::Error) -> RecordsError {
        RecordsError::new(format!(
            "records file `{}`: {what}: {error}",
            self.path.display()
        ))
    }
}

fn read_head(connection: &Connection) -> Result<Option<Head>, RecordsError> {
    let row = connection
        .query_row(
            "SELECT size, chain, range FROM head WHERE id = 1",
            [],
            |row| {
                Ok((
                    row.get::<_, i64>(0)?,
                    row.get::<_, Vec<u8>>(1)?,
                    row.get::<_, Vec<u8>>(2)?,
                ))
            },
        )
        .optional()
        .map_err(|error| RecordsError::new(format!("cannot read the head: {error}")))?;
    row.map(|(size, chain, range)| head_of("head", size, &chain, &range))
        .transpose()
}

fn read_base(connection: &Connection) -> Result<Option<Base>, RecordsError> {
    let row = connection
        .query_row(
            "SELECT size, chain, range, note FROM base WHERE id = 1",
            [],
            |row| {
                Ok((
                    row.get::<_, i64>(0)?,
                    row.get::<_, Vec<u8>>(1)?,
                    row.get::<_, Vec<u8>>(2)?,
                    row.get::<_, Option<String>>(3)?,
                ))
            },
        )
        .optional()
        .map_err(|error| RecordsError::new(format!("cannot read the pruned prefix: {error}")))?;
    row.map(|(size, chain, range, note)| {
        Ok(Base {
            head: head_of("base", size, &chain, &range)?,
            note,
        })
    })
    .transpose()
}

/// The current head: the head row, else the pruned prefix, else an empty log.
fn current_head(connection: &Connection) -> Result<Head, RecordsError> {
    if let Some(head) = read_head(connection)? {
        return Ok(head);
    }
    Ok(read_base(connection)?.map_or_else(Head::empty, |base| base.head))
}

fn raw_record(row: &rusqlite::Row<'_>) -> rusqlite::Result<RawRecord> {
    Ok((
        row.get(0)?,
        row.get(1)?,
        row.get(2)?,
        row.get(3)?,
        row.get(4)?,
        row.get(5)?,
        row.get(6)?,
        row.get(7)?,
        row.get(8)?,
        row.get(9)?,
        row.get(10)?,
        row.get(11)?,
        row.get(12)?,
    ))
}

impl Store for SqliteStore {
    fn append(
        &mut self,
        entries: &[Entry],
        checkpoint: &mut dyn FnMut(&Head) -> Option<String>,
    ) -> Result<Head, RecordsError> {
        let transaction = self
            .connection
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
            .map_err(|error| {
                RecordsError::new(format!(
                    "records file `{}`: cannot begin a transaction: {error}",
                    self.path.display()
                ))
            })?;
        let head = current_head(&transaction)?;
        let (rows, next) = super::extend(&head, entries);
        let fail = |what: &str, error: rusqlite::Error| {
            RecordsError::new(format!("cannot {what}: {error}"))
        };
        {
            let mut insert = transaction
                .prepare_cached(&format!(
                    "INSERT INTO records ({COLUMNS}) \
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)"
                ))
                .map_err(|e| fail("prepare to append records", e))?;
            for (sequence, entry, chain) in rows {
                let corrects = entry
                    .corrects
                    .map(|corrects| to_i64(corrects, "corrected record"))
                    .transpose()?;
                insert
                    .execute(params![
                        to_i64(sequence, "record")?,
                        entry.decision_id,
                        entry.transaction_id,
                        entry.received,
                        entry.facts,
                        entry.outcome,
                        entry.trace,
                        entry.policy,
                        entry.version,
                        entry.content_hash,
                        entry.engine_version,
                        corrects,
                        chain.as_slice(),
                    ])
                    .map_err(|e| fail(&format!("append record {sequence}"), e))?;
            }
        }
        transaction
            .execute(
                "INSERT INTO head (id, size, chain, range) VALUES (1, ?1, ?2, ?3) \
                 ON CONFLICT (id) DO UPDATE SET size = ?1, chain = ?2, range = ?3",
                params![
                    to_i64(next.size, "log size")?,
                    next.chain.as_slice(),
                    next.range.to_bytes()
                ],
            )
            .map_err(|e| fail("move the head", e))?;
        if let Some(note) = checkpoint(&next) {
            transaction
                .execute(
                    "INSERT INTO checkpoints (size, note) VALUES (?1, ?2) ON CONFLICT DO NOTHING",
                    params![to_i64(next.size, "log size")?, note],
                )
                .map_err(|e| fail("store a checkpoint", e))?;
        }
        transaction
            .commit()
            .map_err(|e| fail("commit the records", e))?;
        Ok(next)
    }

    fn head(&mut self) -> Result<Head, RecordsError> {
        current_head(&self.connection)
    }

    fn read(
        &mut self,
        after: u64,
        limit: usize,
        window: &Window,
    ) -> Result<Vec<Record>, RecordsError> {
        let sql = format!(
            "SELECT {COLUMNS} FROM records WHERE sequence > ?1 \
             AND (?2 IS NULL OR received >= ?2) AND (?3 IS NULL OR received < ?3) \
             ORDER BY sequence LIMIT ?4"
        );
        let mut statement = self
            .connection
            .prepare_cached(&sql)
            .map_err(|e| RecordsError::new(format!("cannot read records: {e}")))?;
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let raws = statement
            .query_map(
                params![to_i64(after, "record")?, window.since, window.until, limit],
                raw_record,
            )
            .and_then(|rows| rows.collect::<Result<Vec<_>, _>>())
            .map_err(|e| RecordsError::new(format!("cannot read records after {after}: {e}")))?;
        raws.into_iter().map(record_of).collect()
    }

    fn find(&mut self, id: &str) -> Result<Vec<Record>, RecordsError> {
        let sequence: Option<i64> = id.parse().ok();
        let sql = format!(
            "SELECT {COLUMNS} FROM records WHERE decision_id = ?1 OR transaction_id = ?1 \
             OR sequence = ?2 ORDER BY sequence"
        );
        let mut statement = self
            .connection
            .prepare(&sql)
            .map_err(|e| self.error("cannot look up a record", e))?;
        let raws = statement
            .query_map(params![id, sequence], raw_record)
            .and_then(|rows| rows.collect::<Result<Vec<_>, _>>())
            .map_err(|e| RecordsError::new(format!("cannot look up `{id}`: {e}")))?;
        raws.into_iter().map(record_of).collect()
    }

    fn checkpoints(&mut self) -> Result<Vec<(u64, String)>, RecordsError> {
        let mut statement = self
            .connection
            .prepare("SELECT size, note FROM checkpoints ORDER BY size")
            .map_err(|e| self.error("cannot read the checkpoints", e))?;
        let rows = statement
            .query_map([], |row| {
                Ok((row.get::<_, i64>(0)?, row.get::<_, String>(1)?))
            })
            .and_then(|rows| rows.collect::<Result<Vec<_>, _>>())
            .map_err(|e| RecordsError::new(format!("cannot read the checkpoints: {e}")))?;
        rows.into_iter()
            .map(|(size, note)| Ok((to_u64(size, "checkpoint size")?, note)))
            .collect()
    }

    fn add_checkpoint(&mut self, size: u64, note: &str) -> Result<(), RecordsError> {
        self.connection
            .execute(
                "INSERT INTO checkpoints (size, note) VALUES (?1, ?2) ON CONFLICT DO NOTHING",
                params![to_i64(size, "checkpoint size")?, note],
            )
            .map_err(|e| self.error("cannot store a checkpoint", e))?;
        Ok(())
    }

    fn base(&mut self) -> Result<Option<Base>, RecordsError> {
        read_base(&self.connection)
    }

    fn prune(&mut self, base: &Base) -> Result<u64, RecordsError> {
        let path = self.path.display().to_string();
        let fail =
            |what: &str, e: rusqlite::Error| RecordsError::new(format!("`{path}`: {what}: {e}"));
        let transaction = self
            .connection
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
            .map_err(|e| fail("cannot begin a transaction", e))?;
        let size = to_i64(base.head.size, "pruned prefix")?;
        transaction
            .execute(
                "INSERT INTO base (id, size, chain, range, note) VALUES (1, ?1, ?2, ?3, ?4) \
                 ON CONFLICT (id) DO UPDATE SET size = ?1, chain = ?2, range = ?3, note = ?4",
                params![
                    size,
                    base.head.chain.as_slice(),
                    base.head.range.to_bytes(),
                    base.note
                ],
            )
            .map_err(|e| fail("cannot keep the pruned prefix", e))?;
        let removed = transaction
            .execute("DELETE FROM records WHERE sequence <= ?1", params![size])
            .map_err(|e| fail("cannot prune", e))?;
        transaction
            .commit()
            .map_err(|e| fail("cannot commit the pruning", e))?;
        Ok(removed as u64)
    }

    fn meta(&mut self, key: &str) -> Result<Option<String>, RecordsError> {
        self.connection
            .query_row("SELECT value FROM meta WHERE key = ?1", [key], |row| {
                row.get(0)
            })
            .optional()
            .map_err(|e| self.error(&format!("cannot read `{key}`"), e))
    }

    fn meta_or_set(&mut self, key: &str, value: &str) -> Result<String, RecordsError> {
        self.connection
            .execute(
                "INSERT INTO meta (key, value) VALUES (?1, ?2) ON CONFLICT DO NOTHING",
                [key, value],
            )
            .map_err(|e| self.error(&format!("cannot set `{key}`"), e))?;
        self.meta(key)?.ok_or_else(|| {
            RecordsError::new(format!("`{}`: `{key}` was not kept", self.path.display()))
        })
    }

    fn version_counts(&mut self) -> Result<Vec<VersionCount>, RecordsError> {
        let mut statement = self
            .connection
            .prepare(
                "SELECT policy, version, content_hash, count(*), min(received), max(received) \
                 FROM records GROUP BY policy, version, content_hash ORDER BY min(sequence)",
            )
            .map_err(|e| self.error("cannot count the records", e))?;
        let rows = statement
            .query_map([], |row| {
                Ok((
                    row.get::<_, String>(0)?,
                    row.get::<_, String>(1)?,
                    row.get::<_, String>(2)?,
                    row.get::<_, i64>(3)?,
                    row.get::<_, String>(4)?,
                    row.get::<_, String>(5)?,
                ))
            })
            .and_then(|rows| rows.collect::<Result<Vec<_>, _>>())
            .map_err(|e| RecordsError::new(format!("cannot count the records: {e}")))?;
        rows.into_iter()
            .map(|(policy, version, content_hash, records, first, last)| {
                Ok(VersionCount {
                    policy,
                    version,
                    content_hash,
                    records: to_u64(records, "count")?,
                    first_received: first,
                    last_received: last,
                })
            })
            .collect()
    }

    fn first_at_or_after(&mut self, time: &str) -> Result<Option<u64>, RecordsError> {
        let first: Option<i64> = self
            .connection
            .query_row(
                "SELECT min(sequence) FROM records WHERE received >= ?1",
                [time],
                |row| row.get(0),
            )
            .map_err(|e| self.error("cannot find records by time", e))?;
        first.map(|first| to_u64(first, "record")).transpose()
    }
}
