//! `POST /v1/decide`: takes one transaction (`application/json`) or a batch, one a line
//! (`application/x-ndjson`), with `?version=` and `?detail=`, and gives the contract's decision
//! with a `decision_id`, or for a batch one line per input line, in order, streamed as its lines
//! are decided.
//!
//! A batch's lines go through `cordon_engine::batch`, as `cordon eval`'s do: a bad line is
//! `{"line": N, "error": {...}}` and the others go on; a blank line, or one that is not UTF-8, is
//! an error of its own line. The body is read a block at a time; each block is decided on the
//! engine's pool (a few blocks ahead of the one being written), so a batch of any length takes
//! bounded memory and a slow reader slows the batch down rather than filling memory.
//!
//! With `--records`, every decision is handed to the appender as it is made (with its trace,
//! whatever `detail` shows) and answered only once its record is durable: one transaction after
//! its own record, a batch's block after all of its block's records.

use axum::body::{Body, Bytes};
use axum::extract::{RawQuery, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use futures_util::FutureExt as _;
use http_body_util::BodyExt as _;
use rayon::prelude::*;
use tokio::sync::{mpsc, oneshot};

use cordon_engine::batch::{self, decide_line, write_error_line};
use cordon_engine::{DecideError, Decision, Detail, Policy, Workspace, decide_text_in};

use crate::errors::{ApiError, decide_kind};
use crate::metrics::{Tally, outcome_label};
use crate::routes::{App, RequestLog};
use crate::state::Resolved;

/// The query of `POST /v1/decide`.
struct Query {
    version: Option<String>,
    detail: Detail,
}

fn parse_query(query: Option<&str>) -> Result<Query, ApiError> {
    let pairs: Vec<(String, String)> = serde_urlencoded::from_str(query.unwrap_or(""))
        .map_err(|error| ApiError::bad_request(format!("the query string: {error}")))?;
    let mut parsed = Query {
        version: None,
        detail: Detail::Trace,
    };
    for (name, value) in pairs {
        match name.as_str() {
            "version" => parsed.version = Some(value),
            "detail" => {
                parsed.detail = match value.as_str() {
                    "outcome" => Detail::Outcome,
                    "trace" => Detail::Trace,
                    "explain" => Detail::Explain,
                    other => {
                        return Err(ApiError::bad_request(format!(
                            "`detail` is `outcome`, `trace` or `explain`, not `{other}`"
                        )));
                    }
                }
            }
            other => {
                return Err(ApiError::bad_request(format!(
                    "unknown query parameter `{other}`: `version` and `detail` are known"
                )));
            }
        }
    }
    Ok(parsed)
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    One,
    Batch,
}

fn content_kind(headers: &HeaderMap) -> Result<Kind, ApiError> {
    let value = headers
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .unwrap_or("");
    let essence = value
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    match essence.as_str() {
        "application/json" => Ok(Kind::One),
        "application/x-ndjson" | "application/jsonl" => Ok(Kind::Batch),
        _ => Err(ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            format!(
                "`Content-Type` is `application/json` (one transaction) or `application/x-ndjson` (one a line), not `{value}`"
            ),
        )),
    }
}

fn content_length(headers: &HeaderMap) -> Option<u64> {
    headers
        .get(header::CONTENT_LENGTH)
        .and_then(|value| value.to_str().ok())
        .and_then(|text| text.parse().ok())
}

pub async fn decide(
    State(app): State<App>,
    RawQuery(query): RawQuery,
    request: Request,
) -> Response {
    let result = match (
        parse_query(query.as_deref()),
        content_kind(request.headers()),
    ) {
        (Err(error), _) | (_, Err(error)) => Err(error),
        (Ok(query), Ok(Kind::One)) => one(app, query, request).await,
        (Ok(query), Ok(Kind::Batch)) => stream(app, query, request).await,
    };
    result.unwrap_or_else(IntoResponse::into_response)
}

/// A decision as one JSON object with its `decision_id` first, and its newline.
pub fn write_decision(out: &mut Vec<u8>, id: ulid::Ulid, decision: &Decision) {
    let start = out.len();
    out.extend_from_slice(b"{\"decision_id\":\"");
    out.extend_from_slice(id.to_string().as_bytes());
    out.extend_from_slice(b"\",");
    let object = out.len();
    decision.write_json_line(out);
    // The decision's own `{` gives way to the id's.
    if out.len() > object && out.get(object) == Some(&b'{') {
        out.remove(object);
    } else {
        out.truncate(start);
    }
}

/// One transaction.
async fn one(app: App, query: Query, request: Request) -> Result<Response, ApiError> {
    let service = &app.0;
    if content_length(request.headers()).is_some_and(|length| length > service.max_body as u64) {
        return Err(ApiError::too_large(service.max_body));
    }
    let Resolved { policy, pin } = service.policies.resolve(query.version.as_deref())?;
    let body = http_body_util::Limited::new(request.into_body(), service.max_body)
        .collect()
        .await
        .map_err(|error| {
            if error.is::<http_body_util::LengthLimitError>() {
                ApiError::too_large(service.max_body)
            } else {
                ApiError::bad_request(format!("cannot read the body: {error}"))
            }
        })?
        .to_bytes();
    let text = match std::str::from_utf8(&body) {
        Ok(text) if text.trim().is_empty() => {
            return Err(ApiError::decide(&batch::line_error(
                "an empty body: it holds no transaction".to_string(),
            )));
        }
        Ok(_) => body.clone(),
        Err(error) => {
            return Err(ApiError::decide(&batch::line_error(format!(
                "not valid UTF-8: byte {} of the body is not part of a character",
                error.valid_up_to() + 1
            ))));
        }
    };
    let id = app.decision_ids(1).first().copied().unwrap_or_default();
    let detail = query.detail;
    let recording = service.records.is_some();
    let received = cordon_records::now();
    let decided = service
        .pool
        .run(move || {
            let text = std::str::from_utf8(&text).unwrap_or("");
            let mut workspace = Workspace::default();
            // A record keeps the trace whatever the answer shows.
            let decide_detail = if recording && detail == Detail::Outcome {
                Detail::Trace
            } else {
                detail
            };
            decide_text_in(&policy, pin.as_deref(), text, decide_detail, &mut workspace).map(
                |mut decision| {
                    let entry = recording.then(|| {
                        let mut entry = cordon_records::Entry::of_decision(
                            &decision,
                            text.as_bytes(),
                            received,
                        );
                        entry.decision_id = id.to_string();
                        entry
                    });
                    if detail == Detail::Outcome {
                        decision.trace.clear();
                    }
                    let mut out = Vec::with_capacity(1024);
                    write_decision(&mut out, id, &decision);
                    out.pop();
                    let outcome = outcome_label(&decision);
                    (out, decision.policy.version, outcome, entry)
                },
            )
        })
        .await?;
    match decided {
        Ok((json, version, outcome, entry)) => {
            // The decision is answered only once its record is durable.
            if let (Some(records), Some(entry)) = (&service.records, entry) {
                records
                    .submit(entry)
                    .await
                    .map_err(|error| ApiError::not_recorded(&error))?;
            }
            service.metrics.decided(&version, &outcome, 1);
            let mut response = (
                [(
                    header::CONTENT_TYPE,
                    HeaderValue::from_static("application/json"),
                )],
                json,
            )
                .into_response();
            response.extensions_mut().insert(RequestLog {
                decision_id: Some(id.to_string()),
                version: Some(version),
            });
            Ok(response)
        }
        Err(error) => Err(ApiError::decide(&error)),
    }
}

/// About this many bytes of a batch are decided as one block.
const BLOCK: usize = 256 << 10;
/// Blocks decided ahead of the one being written.
const AHEAD: usize = 4;

/// What a block of a batch answers: its lines, their tally, and (with `--records`) the records
/// that must be durable before the lines are sent.
#[derive(Default)]
struct Block {
    out: Vec<u8>,
    tally: Tally,
    records: Vec<cordon_records::Pending>,
}

/// Output of the blocks of one batch, in order.
type Queued = oneshot::Receiver<Result<Block, ApiError>>;

/// The reading side of a batch: the body, what is read but not yet decided, and where it is.
struct Reader {
    body: Body,
    held: Option<Bytes>,
    pending: Vec<u8>,
    ended: bool,
    /// The number of the first line in `pending`.
    line: usize,
    /// Bytes read so far.
    read: usize,
    /// Within a line longer than the limit: its bytes are dropped until its newline.
    skipping: bool,
    /// Whether `pending` holds a newline.
    has_line: bool,
    /// The largest batch.
    limit: usize,
}

/// Why a batch's body could not be read: over the limit (the body limit layer's error), or
/// broken.
fn body_error(error: &axum::Error, limit: usize) -> String {
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(error);
    while let Some(cause) = source {
        if cause.is::<http_body_util::LengthLimitError>() {
            return format!(
                "the batch is larger than the limit of {limit} bytes: the rest was not read"
            );
        }
        source = cause.source();
    }
    format!("cannot read the body: {error}")
}

enum Step {
    Data,
    End,
    Failed(String),
}

impl Reader {
    /// Reads the next piece of the body (waiting at most `timeout`).
    async fn read(&mut self, timeout: std::time::Duration) -> Step {
        if let Some(bytes) = self.held.take() {
            self.accept(&bytes);
            return Step::Data;
        }
        loop {
            let frame = match tokio::time::timeout(timeout, self.body.frame()).await {
                Err(_) => return Step::Failed("the client sent nothing for too long".to_string()),
                Ok(None) => {
                    self.ended = true;
                    return Step::End;
                }
                Ok(Some(Err(error))) => return Step::Failed(body_error(&error, self.limit)),
                Ok(Some(Ok(frame))) => frame,
            };
            if let Ok(data) = frame.into_data() {
                self.accept(&data);
                return Step::Data;
            }
        }
    }

    /// The next piece of the body if it has already arrived (kept for the next [`Reader::read`]).
    fn ready(&mut self) -> bool {
        if self.held.is_some() {
            return true;
        }
        match self.body.frame().now_or_never() {
            Some(Some(Ok(frame))) => {
                if let Ok(data) = frame.into_data() {
                    self.held = Some(data);
                }
                true
            }
            Some(None) => {
                self.ended = true;
                false
            }
            // An error is met again by the next read.
            Some(Some(Err(_))) | None => false,
        }
    }

    fn accept(&mut self, bytes: &[u8]) {
        self.read += bytes.len();
        let bytes = if self.skipping {
            match bytes.iter().position(|byte| *byte == b'\n') {
                Some(end) => {
                    self.skipping = false;
                    &bytes[end + 1..]
                }
                None => return,
            }
        } else {
            bytes
        };
        self.has_line |= bytes.contains(&b'\n');
        self.pending.extend_from_slice(bytes);
    }

    /// The whole lines read so far (all that is read, once the body has ended).
    fn take_lines(&mut self) -> Option<Vec<u8>> {
        if self.ended {
            self.has_line = false;
            return (!self.pending.is_empty()).then(|| std::mem::take(&mut self.pending));
        }
        let end = self.pending.iter().rposition(|byte| *byte == b'\n')?;
        self.has_line = false;
        let rest = self.pending.split_off(end + 1);
        Some(std::mem::replace(&mut self.pending, rest))
    }
}

/// A batch, streamed.
async fn stream(app: App, query: Query, request: Request) -> Result<Response, ApiError> {
    let service = &app.0;
    if content_length(request.headers()).is_some_and(|length| length > service.max_batch as u64) {
        return Err(ApiError::too_large(service.max_batch));
    }
    let resolved = service.policies.resolve(query.version.as_deref())?;
    let mut reader = Reader {
        body: request.into_body(),
        held: None,
        pending: Vec::new(),
        ended: false,
        line: 1,
        read: 0,
        skipping: false,
        has_line: false,
        limit: service.max_batch,
    };
    // Up to the first byte that is not whitespace: a body of nothing else is no batch.
    loop {
        if reader
            .pending
            .iter()
            .any(|byte| !byte.is_ascii_whitespace())
        {
            break;
        }
        match reader.read(service.body_timeout).await {
            Step::Data => {}
            Step::End => {
                return Err(ApiError::decide(&batch::line_error(
                    "no transaction in the body: it is empty or holds only whitespace".to_string(),
                )));
            }
            Step::Failed(message) => return Err(ApiError::bad_request(message)),
        }
    }
    // A place in the engine's queue once there is something to decide (a client slow to send
    // its first line holds none), or 503 before anything is answered.
    let first_slot = service.pool.try_slot()?;
    let (sender, receiver) = mpsc::channel::<Queued>(AHEAD);
    let version = resolved.pin.clone();
    tokio::spawn(read_batch(
        app.clone(),
        resolved,
        query.detail,
        reader,
        first_slot,
        sender,
    ));
    // A block's lines are sent once their records are durable; a decision that cannot be
    // recorded is not answered, and the batch stops with an error line.
    let body = Body::from_stream(futures_util::stream::unfold(
        (Some(receiver), app.clone(), Tally::default()),
        |(receiver, app, mut tally)| async move {
            let Some(mut receiver) = receiver else {
                tally.record(&app.0.metrics);
                return None;
            };
            let Some(queued) = receiver.recv().await else {
                tally.record(&app.0.metrics);
                return None;
            };
            let mut receiver = Some(receiver);
            let chunk = match crate::pool::finish(queued).await {
                Ok(block) => match durable(block.records).await {
                    Ok(()) => {
                        tally.merge(block.tally);
                        block.out
                    }
                    Err(error) => {
                        // Nothing after an unrecorded decision is answered.
                        receiver = None;
                        error_line(&error)
                    }
                },
                Err(error) => error_line(&error),
            };
            Some((
                Ok::<Bytes, std::convert::Infallible>(Bytes::from(chunk)),
                (receiver, app, tally),
            ))
        },
    ));
    let mut response = (
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/x-ndjson"),
        )],
        body,
    )
        .into_response();
    response.extensions_mut().insert(RequestLog {
        decision_id: None,
        version,
    });
    Ok(response)
}

/// Reads a batch's body a block at a time and queues each block on the engine's pool, in order.
/// Stops when the body ends, when it breaks, or when the client stops reading the answer.
async fn read_batch(
    app: App,
    resolved: Resolved,
    detail: Detail,
    mut reader: Reader,
    first_slot: crate::pool::Slot,
    sender: mpsc::Sender<Queued>,
) {
    let service = &app.0;
    let mut slot = Some(first_slot);
    let mut failed: Option<String> = None;
    loop {
        // Read until a block's worth has come, or nothing more has arrived yet.
        while !reader.ended {
            if reader.has_line && (reader.pending.len() >= BLOCK || !reader.ready()) {
                break;
            }
            match reader.read(service.body_timeout).await {
                Step::Data | Step::End => {}
                Step::Failed(message) => {
                    failed = Some(message);
                    break;
                }
            }
            if reader.read > service.max_batch {
                failed = Some(format!(
                    "the batch is larger than the limit of {} bytes: the rest was not read",
                    service.max_batch
                ));
                break;
            }
            // A line longer than the limit is an error of its own and is not kept.
            if !reader.has_line && reader.pending.len() > service.max_body {
                let mut out = Vec::new();
                write_error_line(&mut out, reader.line, &too_long(service.max_body));
                let mut tally = Tally::default();
                tally.error("too_large");
                if !send_ready(
                    &sender,
                    Ok(Block {
                        out,
                        tally,
                        ..Block::default()
                    }),
                )
                .await
                {
                    return;
                }
                reader.line += 1;
                reader.pending.clear();
                reader.skipping = true;
            }
        }
        if failed.is_some() && reader.pending.is_empty() {
            break;
        }
        if let Some(block) = reader.take_lines() {
            let first = reader.line;
            reader.line += batch::split_lines(&block).len();
            let slot = match slot.take() {
                Some(slot) => slot,
                None => match service.pool.slot().await {
                    Ok(slot) => slot,
                    Err(error) => {
                        let _ = send_ready(&sender, Err(error)).await;
                        return;
                    }
                },
            };
            let policy = resolved.policy.clone();
            let pin = resolved.pin.clone();
            let job_app = app.clone();
            let limit = service.max_body;
            let pending = service.pool.spawn(slot, move || {
                decide_block(
                    &job_app,
                    &policy,
                    pin.as_deref(),
                    detail,
                    &block,
                    first,
                    limit,
                )
            });
            if sender.send(pending).await.is_err() {
                // The client went away: nothing more is read or decided.
                return;
            }
        }
        if failed.is_some() || (reader.ended && reader.pending.is_empty()) {
            break;
        }
    }
    if let Some(message) = failed {
        tracing::info!(message = %message, "a batch stopped before its end");
        let mut out = serde_json::json!({
            "error": { "kind": "batch", "message": message }
        })
        .to_string()
        .into_bytes();
        out.push(b'\n');
        let mut tally = Tally::default();
        tally.error("batch");
        let _ = send_ready(
            &sender,
            Ok(Block {
                out,
                tally,
                ..Block::default()
            }),
        )
        .await;
    }
}

/// Waits until every record of a block is durable.
async fn durable(records: Vec<cordon_records::Pending>) -> Result<(), ApiError> {
    for pending in records {
        pending
            .await
            .map_err(|error| ApiError::not_recorded(&error))?;
    }
    Ok(())
}

/// An error answered as one line of a batch.
fn error_line(error: &ApiError) -> Vec<u8> {
    let mut line = error.body.to_string().into_bytes();
    line.push(b'\n');
    line
}

async fn send_ready(sender: &mpsc::Sender<Queued>, output: Result<Block, ApiError>) -> bool {
    let (ready, pending) = oneshot::channel();
    let _ = ready.send(output);
    sender.send(pending).await.is_ok()
}

/// Decides a block of whole lines on the pool's threads: a line per line, in order. With
/// `--records`, each decision is handed to the appender as it is made (with its trace, whatever
/// the answer shows), and the block is sent once all of them are durable.
fn decide_block(
    app: &App,
    policy: &Policy,
    pin: Option<&str>,
    detail: Detail,
    block: &[u8],
    first: usize,
    longest: usize,
) -> Block {
    const PIECE: usize = 64;
    let records = app.0.records.as_ref();
    let decide_detail = if records.is_some() && detail == Detail::Outcome {
        Detail::Trace
    } else {
        detail
    };
    let lines = batch::split_lines(block);
    let ids = app.decision_ids(lines.len());
    let pieces: Vec<Block> = lines
        .par_chunks(PIECE)
        .zip(ids.par_chunks(PIECE))
        .enumerate()
        .map_init(Workspace::default, |workspace, (piece, (lines, ids))| {
            let mut answer = Block {
                out: Vec::with_capacity(lines.len() * 512),
                ..Block::default()
            };
            for (index, (line, id)) in lines.iter().zip(ids).enumerate() {
                let received = records.map(|_| cordon_records::now());
                let decided = if line.len() > longest {
                    Err(too_long(longest))
                } else {
                    decide_line(policy, pin, line, decide_detail, workspace)
                };
                match decided {
                    Ok(mut decision) => {
                        if let (Some(records), Some(received)) = (records, received) {
                            let mut entry =
                                cordon_records::Entry::of_decision(&decision, line, received);
                            entry.decision_id = id.to_string();
                            answer.records.push(records.submit(entry));
                            if detail == Detail::Outcome {
                                decision.trace.clear();
                            }
                        }
                        write_decision(&mut answer.out, *id, &decision);
                        answer.tally.decided(&decision);
                    }
                    Err(error) => {
                        write_error_line(&mut answer.out, first + piece * PIECE + index, &error);
                        answer.tally.error(error_kind(&error));
                    }
                }
            }
            answer
        })
        .collect();
    let mut answer = Block {
        out: Vec::with_capacity(pieces.iter().map(|piece| piece.out.len()).sum()),
        ..Block::default()
    };
    for piece in pieces {
        answer.out.extend_from_slice(&piece.out);
        answer.tally.merge(piece.tally);
        answer.records.extend(piece.records);
    }
    answer
}

/// The error of a line longer than the limit.
fn too_long(limit: usize) -> DecideError {
    batch::line_error(format!(
        "the line is longer than the limit of {limit} bytes"
    ))
}

fn error_kind(error: &DecideError) -> &'static str {
    decide_kind(error)
}
