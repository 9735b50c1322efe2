//! Arrow rows in, Arrow columns out.
//!
//! Each row of a record batch is written as the contract's JSON (one line of a batch, as `cordon
//! eval` reads one), and the lines are decided by `cordon_engine::batch::decide_lines`, the
//! engine's own batch; nothing here decides anything. Columns are the facts and struct columns
//! the nested records; a null is a fact left out. Numbers are written from their exact text:
//! integers as they are, decimals (`decimal128`, `decimal256`) with their scale, and floats as
//! the shortest decimal text that gives the same float (`5.92`, `1e26`; see `convert.rs`). A
//! value that cannot be a fact (a NaN) is an error of its row; a column of a type that cannot be
//! one is an error of the whole batch, naming the column.

use std::sync::Arc;

use arrow_array::builder::{BooleanBuilder, Int64Builder, ListBuilder, StringBuilder};
use arrow_array::cast::AsArray;
use arrow_array::types::{
    Decimal32Type, Decimal64Type, Decimal128Type, Decimal256Type, Float32Type, Float64Type,
    Int8Type, Int16Type, Int32Type, Int64Type, TimestampMicrosecondType, TimestampMillisecondType,
    TimestampNanosecondType, TimestampSecondType, UInt8Type, UInt16Type, UInt32Type, UInt64Type,
};
use arrow_array::{Array, ArrayRef, GenericListArray, OffsetSizeTrait, RecordBatch};
use arrow_schema::{ArrowError, DataType, Field, Schema, SchemaRef, TimeUnit};
use rayon::prelude::*;
use serde_json::Value as Json;

use cordon_engine::diff::corpus::transaction_changes;
use cordon_engine::facts::FactError;
use cordon_engine::{DecideError, Decision, Detail, Policy};
use cordon_lang::hir::Type;

/// Writes the fact of one row (never called for a null) as JSON.
type Writer<'a> = Box<dyn Fn(usize, &mut Vec<u8>) -> Result<(), FactError> + Sync + 'a>;

/// One field of a record: its key (as JSON), which rows leave it out, and its writer.
struct Member<'a> {
    key: String,
    array: &'a dyn Array,
    write: Writer<'a>,
}

fn child(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_string()
    } else {
        format!("{path}.{key}")
    }
}

fn unsupported(path: &str, data_type: &DataType) -> FactError {
    FactError {
        path: path.to_string(),
        message: format!(
            "a column of type {data_type} cannot hold facts: give booleans, integers, decimals, floats, strings, dates (date32, or timestamps at midnight without a time zone), lists or structs"
        ),
    }
}

fn members<'a>(
    fields: &'a [Arc<Field>],
    columns: &'a [ArrayRef],
    path: &str,
) -> Result<Vec<Member<'a>>, FactError> {
    fields
        .iter()
        .zip(columns)
        .map(|(field, column)| {
            let path = child(path, field.name());
            Ok(Member {
                key: serde_json::to_string(field.name()).unwrap_or_default(),
                array: column.as_ref(),
                write: writer(column.as_ref(), path)?,
            })
        })
        .collect()
}

/// Writes a record's fields that the row gives (not null).
fn write_record(members: &[Member<'_>], row: usize, out: &mut Vec<u8>) -> Result<(), FactError> {
    out.push(b'{');
    let mut first = true;
    for member in members {
        if member.array.is_null(row) {
            continue;
        }
        if !first {
            out.push(b',');
        }
        first = false;
        out.extend_from_slice(member.key.as_bytes());
        out.push(b':');
        (member.write)(row, out)?;
    }
    out.push(b'}');
    Ok(())
}

macro_rules! display {
    ($array:expr, $type:ty) => {{
        let array = $array.as_primitive::<$type>();
        Box::new(move |row, out: &mut Vec<u8>| {
            use std::io::Write as _;
            let _ = write!(out, "{}", array.value(row));
            Ok(())
        })
    }};
}

macro_rules! float {
    ($array:expr, $type:ty, $path:expr) => {{
        let array = $array.as_primitive::<$type>();
        let path = $path;
        Box::new(move |row, out: &mut Vec<u8>| {
            use std::io::Write as _;
            let value = array.value(row);
            if !value.is_finite() {
                return Err(FactError {
                    path: path.clone(),
                    message: format!("{value} is not a number a fact can have"),
                });
            }
            let _ = write!(out, "{value}");
            Ok(())
        })
    }};
}

macro_rules! decimal {
    ($array:expr, $type:ty) => {{
        let array = $array.as_primitive::<$type>();
        Box::new(move |row, out: &mut Vec<u8>| {
            out.extend_from_slice(array.value_as_string(row).as_bytes());
            Ok(())
        })
    }};
}

macro_rules! timestamp {
    ($array:expr, $type:ty, $per_second:expr, $path:expr) => {{
        let array = $array.as_primitive::<$type>();
        let path = $path;
        Box::new(move |row, out: &mut Vec<u8>| {
            let per_day: i64 = 86_400 * $per_second;
            let value = array.value(row);
            if value % per_day != 0 {
                return Err(FactError {
                    path: path.clone(),
                    message: "a timestamp with a time of day is not a date: give the date"
                        .to_string(),
                });
            }
            write_date(value / per_day, &path, out)
        })
    }};
}

/// Writes the date `days` after 1970-01-01 as `YYYY-MM-DD`.
fn write_date(days: i64, path: &str, out: &mut Vec<u8>) -> Result<(), FactError> {
    let date = jiff::civil::date(1970, 1, 1)
        .checked_add(jiff::Span::new().days(days))
        .map_err(|_| FactError {
            path: path.to_string(),
            message: format!("{days} days after 1970-01-01 is not a date"),
        })?;
    write_text(&date.to_string(), out);
    Ok(())
}

fn write_text(text: &str, out: &mut Vec<u8>) {
    // Writing a `str` as JSON into memory cannot fail.
    let _ = serde_json::to_writer(&mut *out, text);
}

/// The writer of a column's values.
fn writer<'a>(array: &'a dyn Array, path: String) -> Result<Writer<'a>, FactError> {
    Ok(match array.data_type() {
        DataType::Null => Box::new(|_, out: &mut Vec<u8>| {
            out.extend_from_slice(b"null");
            Ok(())
        }),
        DataType::Boolean => {
            let array = array.as_boolean();
            Box::new(move |row, out: &mut Vec<u8>| {
                let text: &[u8] = if array.value(row) { b"true" } else { b"false" };
                out.extend_from_slice(text);
                Ok(())
            })
        }
        DataType::Int8 => display!(array, Int8Type),
        DataType::Int16 => display!(array, Int16Type),
        DataType::Int32 => display!(array, Int32Type),
        DataType::Int64 => display!(array, Int64Type),
        DataType::UInt8 => display!(array, UInt8Type),
        DataType::UInt16 => display!(array, UInt16Type),
        DataType::UInt32 => display!(array, UInt32Type),
        DataType::UInt64 => display!(array, UInt64Type),
        DataType::Float32 => float!(array, Float32Type, path),
        DataType::Float64 => float!(array, Float64Type, path),
        DataType::Decimal32(_, _) => decimal!(array, Decimal32Type),
        DataType::Decimal64(_, _) => decimal!(array, Decimal64Type),
        DataType::Decimal128(_, _) => decimal!(array, Decimal128Type),
        DataType::Decimal256(_, _) => decimal!(array, Decimal256Type),
        DataType::Utf8 => {
            let array = array.as_string::<i32>();
            Box::new(move |row, out: &mut Vec<u8>| {
                write_text(array.value(row), out);
                Ok(())
            })
        }
        DataType::LargeUtf8 => {
            let array = array.as_string::<i64>();
            Box::new(move |row, out: &mut Vec<u8>| {
                write_text(array.value(row), out);
                Ok(())
            })
        }
        DataType::Utf8View => {
            let array = array.as_string_view();
            Box::new(move |row, out: &mut Vec<u8>| {
                write_text(array.value(row), out);
                Ok(())
            })
        }
        DataType::Date32 => {
            let array = array.as_primitive::<arrow_array::types::Date32Type>();
            Box::new(move |row, out: &mut Vec<u8>| {
                write_date(i64::from(array.value(row)), &path, out)
            })
        }
        // A timestamp without a time zone at midnight is a date (JSON readers and pandas give
        // dates so); one with a time of day is an error of its row.
        DataType::Timestamp(TimeUnit::Second, None) => {
            timestamp!(array, TimestampSecondType, 1, path)
        }
        DataType::Timestamp(TimeUnit::Millisecond, None) => {
            timestamp!(array, TimestampMillisecondType, 1_000, path)
        }
        DataType::Timestamp(TimeUnit::Microsecond, None) => {
            timestamp!(array, TimestampMicrosecondType, 1_000_000, path)
        }
        DataType::Timestamp(TimeUnit::Nanosecond, None) => {
            timestamp!(array, TimestampNanosecondType, 1_000_000_000, path)
        }
        DataType::Struct(_) => {
            let array = array.as_struct();
            let members = members(array.fields(), array.columns(), &path)?;
            Box::new(move |row, out: &mut Vec<u8>| write_record(&members, row, out))
        }
        DataType::List(_) => list_writer(array.as_list::<i32>(), path)?,
        DataType::LargeList(_) => list_writer(array.as_list::<i64>(), path)?,
        other => return Err(unsupported(&path, other)),
    })
}

/// The writer of a list column (32- or 64-bit offsets): each row's items as a JSON array.
fn list_writer<'a, O: OffsetSizeTrait>(
    array: &'a GenericListArray<O>,
    path: String,
) -> Result<Writer<'a>, FactError> {
    let items = array.values().as_ref();
    let write = writer(items, format!("{path}[]"))?;
    let offsets = array.value_offsets();
    Ok(Box::new(move |row, out: &mut Vec<u8>| {
        let range = offsets[row].as_usize()..offsets[row + 1].as_usize();
        write_items(items, &write, range, out)
    }))
}

fn write_items(
    items: &dyn Array,
    write: &Writer<'_>,
    range: std::ops::Range<usize>,
    out: &mut Vec<u8>,
) -> Result<(), FactError> {
    out.push(b'[');
    for (index, item) in range.enumerate() {
        if index > 0 {
            out.push(b',');
        }
        if items.is_null(item) {
            out.extend_from_slice(b"null");
        } else {
            write(item, out)?;
        }
    }
    out.push(b']');
    Ok(())
}

/// The rows of a batch as lines of JSON, or for a row whose values cannot be facts, its error.
pub struct Lines {
    text: Vec<u8>,
    /// Each row: where its line ends in `text`, or its error.
    rows: Vec<Result<usize, FactError>>,
}

impl Lines {
    /// The lines of the rows that could be written, in row order.
    fn written(&self) -> Vec<&[u8]> {
        let mut start = 0;
        let mut lines = Vec::new();
        for end in self.rows.iter().flatten() {
            lines.push(&self.text[start..*end]);
            start = *end;
        }
        lines
    }
}

/// Writes every row of a batch as a line of JSON, on all cores. A column that cannot hold facts
/// is an error of the batch.
pub fn lines(batch: &RecordBatch) -> Result<Lines, FactError> {
    const PIECE: usize = 4096;
    let schema = batch.schema();
    let members = members(schema.fields(), batch.columns(), "")?;
    let pieces: Vec<(usize, usize)> = (0..batch.num_rows())
        .step_by(PIECE)
        .map(|start| (start, (start + PIECE).min(batch.num_rows())))
        .collect();
    let written: Vec<Lines> = pieces
        .par_iter()
        .map(|(start, end)| {
            let mut text = Vec::with_capacity((end - start) * 400);
            let mut rows = Vec::with_capacity(end - start);
            for row in *start..*end {
                let mark = text.len();
                match write_record(&members, row, &mut text) {
                    Ok(()) => rows.push(Ok(text.len())),
                    Err(error) => {
                        text.truncate(mark);
                        rows.push(Err(error));
                    }
                }
            }
            Lines { text, rows }
        })
        .collect();
    let mut lines = Lines {
        text: Vec::with_capacity(written.iter().map(|piece| piece.text.len()).sum()),
        rows: Vec::with_capacity(batch.num_rows()),
    };
    for Lines { text, rows } in written {
        let offset = lines.text.len();
        lines.text.extend_from_slice(&text);
        lines
            .rows
            .extend(rows.into_iter().map(|end| end.map(|end| end + offset)));
    }
    Ok(lines)
}

/// Decides every row (a row that could not be written is an error of its own).
pub fn decide_rows(
    policy: &Policy,
    pin: Option<&str>,
    lines: &Lines,
    detail: Detail,
) -> Vec<Result<Decision, DecideError>> {
    let written = lines.written();
    let mut decided = cordon_engine::batch::decide_lines(policy, pin, &written, detail).into_iter();
    lines
        .rows
        .iter()
        .map(|line| match line {
            // One result per line written, in order.
            Ok(_) => decided.next().unwrap_or_else(|| {
                Err(cordon_engine::batch::line_error(
                    "the row was not decided".to_string(),
                ))
            }),
            Err(error) => Err(DecideError::Facts {
                errors: vec![error.clone()],
            }),
        })
        .collect()
}

/// How an outcome field is given as a column.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    /// `bool`.
    Bool,
    /// An enum value, a country, a text, an ECCN, a date, or a number as its exact decimal text.
    Text,
    /// A set or list of those.
    TextList,
    /// Anything else, as its JSON text.
    Json,
}

fn kind_of(ty: &Type) -> Kind {
    match ty {
        Type::Optional(inner) => kind_of(inner),
        Type::Bool => Kind::Bool,
        Type::Number { .. }
        | Type::Date
        | Type::Country
        | Type::String
        | Type::Eccn
        | Type::Enum(_) => Kind::Text,
        Type::Set(item) | Type::List(item) if kind_of(item) == Kind::Text => Kind::TextList,
        _ => Kind::Json,
    }
}

/// The outcome fields of every version of the policy, in the order they are first declared; a
/// field two versions type differently is given as JSON text.
fn outcome_fields(policy: &Policy) -> Vec<(String, Kind)> {
    let mut fields: Vec<(String, Kind)> = Vec::new();
    for version in &policy.versions {
        for field in &version.hir.outcome.fields {
            let kind = kind_of(&field.ty);
            match fields.iter_mut().find(|(name, _)| *name == field.name) {
                Some((_, seen)) if *seen != kind => *seen = Kind::Json,
                Some(_) => {}
                None => fields.push((field.name.clone(), kind)),
            }
        }
    }
    fields
}

fn data_type(kind: Kind) -> DataType {
    match kind {
        Kind::Bool => DataType::Boolean,
        Kind::Text | Kind::Json => DataType::Utf8,
        Kind::TextList => DataType::List(Arc::new(Field::new("item", DataType::Utf8, true))),
    }
}

/// The columns [`decisions`] gives: `id`, `policy_version`, `policy_hash`, one column per
/// outcome field, `trace` (and `why_not`) as JSON text when the detail asks for them, and
/// `error`, the JSON of the error of a row that was not decided (null for a row that was).
pub fn decision_schema(policy: &Policy, detail: Detail) -> SchemaRef {
    let mut fields = vec![
        Field::new("id", DataType::Utf8, true),
        Field::new("policy_version", DataType::Utf8, true),
        Field::new("policy_hash", DataType::Utf8, true),
    ];
    for (name, kind) in outcome_fields(policy) {
        fields.push(Field::new(name, data_type(kind), true));
    }
    if detail != Detail::Outcome {
        fields.push(Field::new("trace", DataType::Utf8, true));
    }
    if detail == Detail::Explain {
        fields.push(Field::new("why_not", DataType::Utf8, true));
    }
    fields.push(Field::new("error", DataType::Utf8, true));
    Arc::new(Schema::new(fields))
}

/// A column being built.
enum Column {
    Bool(BooleanBuilder),
    Text(StringBuilder),
    TextList(ListBuilder<StringBuilder>),
}

impl Column {
    fn new(kind: Kind, rows: usize) -> Column {
        match kind {
            Kind::Bool => Column::Bool(BooleanBuilder::with_capacity(rows)),
            Kind::Text | Kind::Json => Column::Text(StringBuilder::with_capacity(rows, rows * 8)),
            Kind::TextList => Column::TextList(
                ListBuilder::with_capacity(StringBuilder::new(), rows)
                    .with_field(Arc::new(Field::new("item", DataType::Utf8, true))),
            ),
        }
    }

    fn null(&mut self) {
        match self {
            Column::Bool(column) => column.append_null(),
            Column::Text(column) => column.append_null(),
            Column::TextList(column) => column.append_null(),
        }
    }

    /// Appends an outcome's value; a value of another kind than the column's is an error.
    fn push(&mut self, kind: Kind, value: &Json) -> Result<(), String> {
        match (self, value) {
            (column, Json::Null) => column.null(),
            (Column::Bool(column), Json::Bool(flag)) => column.append_value(*flag),
            (Column::Text(column), value) if kind == Kind::Json => {
                column.append_value(value.to_string())
            }
            (Column::Text(column), Json::String(text)) => column.append_value(text),
            (Column::Text(column), Json::Number(number)) => column.append_value(number.to_string()),
            (Column::TextList(column), Json::Array(items)) => {
                for item in items {
                    match item {
                        Json::String(text) => column.values().append_value(text),
                        other => column.values().append_value(other.to_string()),
                    }
                }
                column.append(true);
            }
            (_, other) => return Err(format!("`{other}` does not fit the column")),
        }
        Ok(())
    }

    fn finish(self) -> ArrayRef {
        match self {
            Column::Bool(mut column) => Arc::new(column.finish()),
            Column::Text(mut column) => Arc::new(column.finish()),
            Column::TextList(mut column) => Arc::new(column.finish()),
        }
    }
}

fn error_json(error: &DecideError) -> String {
    serde_json::to_string(error).unwrap_or_default()
}

/// The decisions of a batch's rows as columns ([`decision_schema`]).
pub fn decisions(
    policy: &Policy,
    detail: Detail,
    decided: &[Result<Decision, DecideError>],
) -> Result<RecordBatch, ArrowError> {
    let rows = decided.len();
    let fields = outcome_fields(policy);
    let mut id = StringBuilder::with_capacity(rows, rows * 8);
    let mut version = StringBuilder::with_capacity(rows, rows * 10);
    let mut hash = StringBuilder::with_capacity(rows, rows * 71);
    let mut outcome: Vec<Column> = fields
        .iter()
        .map(|(_, kind)| Column::new(*kind, rows))
        .collect();
    let mut trace = StringBuilder::new();
    let mut why_not = StringBuilder::new();
    let mut error = StringBuilder::with_capacity(rows, 0);
    for result in decided {
        let misfit = match result {
            Ok(decision) => {
                id.append_option(decision.id.as_deref());
                version.append_value(&decision.policy.version);
                hash.append_value(&decision.policy.hash);
                let mut misfit = None;
                for ((name, kind), column) in fields.iter().zip(&mut outcome) {
                    let value = decision.outcome(name).unwrap_or(&Json::Null);
                    if let Err(problem) = column.push(*kind, value) {
                        column.null();
                        misfit.get_or_insert_with(|| format!("outcome `{name}`: {problem}"));
                    }
                }
                if detail != Detail::Outcome {
                    trace.append_value(serde_json::to_string(&decision.trace).unwrap_or_default());
                }
                if detail == Detail::Explain {
                    why_not
                        .append_value(serde_json::to_string(&decision.why_not).unwrap_or_default());
                }
                misfit
            }
            Err(problem) => {
                id.append_null();
                version.append_null();
                hash.append_null();
                for column in &mut outcome {
                    column.null();
                }
                if detail != Detail::Outcome {
                    trace.append_null();
                }
                if detail == Detail::Explain {
                    why_not.append_null();
                }
                error.append_value(error_json(problem));
                continue;
            }
        };
        match misfit {
            Some(message) => error.append_value(error_json(&DecideError::Evaluation {
                path: String::new(),
                message,
            })),
            None => error.append_null(),
        }
    }
    let mut columns: Vec<ArrayRef> = vec![
        Arc::new(id.finish()),
        Arc::new(version.finish()),
        Arc::new(hash.finish()),
    ];
    columns.extend(outcome.into_iter().map(Column::finish));
    if detail != Detail::Outcome {
        columns.push(Arc::new(trace.finish()));
    }
    if detail == Detail::Explain {
        columns.push(Arc::new(why_not.finish()));
    }
    columns.push(Arc::new(error.finish()));
    RecordBatch::try_new(decision_schema(policy, detail), columns)
}

/// The columns [`changes`] gives: the row's place in the batch, the transaction's id, the
/// changes (`license_required: false -> true`, `license_exceptions: -LPP +ACA`), and `error` for
/// a row that neither version can decide.
pub fn changes_schema() -> SchemaRef {
    Arc::new(Schema::new(vec![
        Field::new("row", DataType::Int64, false),
        Field::new("id", DataType::Utf8, true),
        Field::new(
            "changes",
            DataType::List(Arc::new(Field::new("item", DataType::Utf8, true))),
            true,
        ),
        Field::new("error", DataType::Utf8, true),
    ]))
}

/// The rows whose decision differs between two versions (each decided under both, pinned), with
/// what changed, as the corpus diff of `cordon diff --facts` says it, and the rows neither
/// version can decide.
pub fn changes(
    policy: &Policy,
    from: &str,
    to: &str,
    lines: &Lines,
) -> Result<RecordBatch, ArrowError> {
    let before = decide_rows(policy, Some(from), lines, Detail::Outcome);
    let after = decide_rows(policy, Some(to), lines, Detail::Outcome);
    let mut row = Int64Builder::new();
    let mut id = StringBuilder::new();
    let mut changes = ListBuilder::new(StringBuilder::new()).with_field(Arc::new(Field::new(
        "item",
        DataType::Utf8,
        true,
    )));
    let mut error = StringBuilder::new();
    for (index, (before, after)) in before.iter().zip(&after).enumerate() {
        let found = match transaction_changes(before, after) {
            Some(found) if found.is_empty() => continue,
            found => found,
        };
        row.append_value(index as i64);
        let decided = after.as_ref().or(before.as_ref()).ok();
        id.append_option(decided.and_then(|decision| decision.id.as_deref()));
        match (found, before, after) {
            (Some(found), _, _) => {
                for change in found {
                    changes.values().append_value(change.to_string());
                }
                changes.append(true);
                error.append_null();
            }
            (None, Err(before), Err(after)) => {
                changes.append_null();
                error.append_value(if before == after {
                    error_json(before)
                } else {
                    serde_json::json!({ "from": before, "to": after }).to_string()
                });
            }
            (None, _, _) => {
                changes.append_null();
                error.append_null();
            }
        }
    }
    RecordBatch::try_new(
        changes_schema(),
        vec![
            Arc::new(row.finish()),
            Arc::new(id.finish()),
            Arc::new(changes.finish()),
            Arc::new(error.finish()),
        ],
    )
}
