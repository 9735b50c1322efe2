//! The framing between the editor's bytes and the protocol library, both ways.
//!
//! The library stops reading at the first message it cannot decode, and trusts every
//! `Content-Length`; so nothing reaches it that it could not decode. [`read`] takes the editor's
//! bytes apart itself and passes on, re-framed, only bodies that are JSON-RPC messages the library
//! reads. Anything else is answered here, as JSON-RPC says, with an error response of id null
//! (`-32700` parse error for bytes that are not a JSON message, `-32600` invalid request for JSON
//! that is not a request, notification or response), and reading goes on at the next
//! `Content-Length:` header:
//!
//! - a header block without `Content-Length`, or with one that is not a number: its body's length
//!   is unknown, so the bytes up to the next `Content-Length:` are skipped;
//! - a body that claims more bytes than arrive before the next header is cut where that header
//!   begins (a `Content-Length: <digits>` line cannot occur inside JSON: a string holds no raw line
//!   end), so it cannot swallow the next message;
//! - a body that claims fewer bytes leaves the rest of itself behind: stray bytes, skipped without
//!   a second answer up to the next `Content-Length:`;
//! - a message larger than [`MAX_MESSAGE`] is answered and its bytes skipped, never held in memory.
//!
//! Its answers reach the editor through [`write`], the one writer of the output, which interleaves
//! them between the library's whole messages (gathered by [`collect`]). They do not go through the
//! server, which would answer `server not initialized` before `initialize`.

use serde_json::Value;
use tokio::io::{AsyncBufReadExt, AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, BufReader};
use tokio::sync::mpsc;
use tower_lsp_server::jsonrpc::{Error, ErrorCode, Id, Request, Response};

/// The largest message body the server reads, in bytes (64 MiB).
pub const MAX_MESSAGE: u64 = 64 << 20;

/// The longest header block the server reads, in bytes.
const MAX_HEADER: usize = 8 << 10;

/// The header that starts a message, as a header name is compared: without regard to case.
const CONTENT_LENGTH: &[u8] = b"content-length:";

/// The longest `Content-Length: <digits>` line that resynchronises the reader (see [`header_at`]).
const MAX_HEADER_LINE: usize = CONTENT_LENGTH.len() + 8 + 20 + 8 + 2;

/// What goes to the editor: a whole framed message, or the end of the library's output.
pub enum Outgoing {
    Frame(Vec<u8>),
    End,
}

/// Writes what arrives on `queue` to `output`, one whole message at a time, until the library's
/// output ends. If `output` fails, what arrives is dropped (so nobody waits on it).
pub async fn write(mut queue: mpsc::Receiver<Outgoing>, mut output: impl AsyncWrite + Unpin) {
    let mut open = true;
    while let Some(Outgoing::Frame(frame)) = queue.recv().await {
        if open {
            let written = match output.write_all(&frame).await {
                Ok(()) => output.flush().await,
                Err(error) => Err(error),
            };
            open = written.is_ok();
        }
    }
}

/// Gathers the library's output into whole messages for [`write`]; says [`Outgoing::End`] when it
/// ends (after `exit`).
pub async fn collect(library: impl AsyncRead + Unpin, queue: mpsc::Sender<Outgoing>) {
    let mut library = BufReader::new(library);
    'messages: loop {
        let mut frame = Vec::new();
        let mut length = None;
        loop {
            let start = frame.len();
            match library.read_until(b'\n', &mut frame).await {
                Ok(0) | Err(_) => break 'messages,
                Ok(_) => {}
            }
            let line = trim_line(&frame[start..]);
            if line.is_empty() {
                break;
            }
            if let Some((name, value)) = split_header(line)
                && name.eq_ignore_ascii_case(&CONTENT_LENGTH[..CONTENT_LENGTH.len() - 1])
            {
                length = std::str::from_utf8(value)
                    .ok()
                    .and_then(|value| value.trim().parse::<usize>().ok());
            }
        }
        let Some(length) = length else { break };
        let start = frame.len();
        frame.resize(start + length, 0);
        if library.read_exact(&mut frame[start..]).await.is_err()
            || queue.send(Outgoing::Frame(frame)).await.is_err()
        {
            break;
        }
    }
    let _ = queue.send(Outgoing::End).await;
}

/// Reads framed messages from `input` until it ends, passes each JSON-RPC message on to `library`
/// (framed anew), and answers everything else on `queue` (see the module's documentation).
pub async fn read(
    input: impl AsyncRead + Unpin,
    mut library: impl AsyncWrite + Unpin,
    queue: mpsc::Sender<Outgoing>,
) {
    let mut reader = Reader {
        input,
        buffer: Vec::new(),
        ended: false,
        queue,
        stray_answered: false,
    };
    while let Some(length) = reader.next_message().await {
        let body = &reader.buffer[..length];
        let passed = async {
            library.write_all(&header(length)).await?;
            library.write_all(body).await?;
            library.flush().await
        };
        if passed.await.is_err() {
            return;
        }
        reader.buffer.drain(..length);
        reader.stray_answered = false;
    }
}

fn header(length: usize) -> Vec<u8> {
    format!("Content-Length: {length}\r\n\r\n").into_bytes()
}

/// An error response with id null, framed.
fn error_frame(code: ErrorCode, reason: String) -> Vec<u8> {
    let error = Error {
        code,
        message: reason.into(),
        data: None,
    };
    let body = serde_json::to_vec(&Response::from_error(Id::Null, error)).unwrap_or_default();
    let mut frame = header(body.len());
    frame.extend_from_slice(&body);
    frame
}

struct Reader<R> {
    input: R,
    /// Bytes read and not yet taken, from the start of what is being read.
    buffer: Vec<u8>,
    ended: bool,
    queue: mpsc::Sender<Outgoing>,
    /// The last thing read was unreadable and answered: bytes that follow it before the next
    /// header are what is left of it, not another message to answer.
    stray_answered: bool,
}

/// How a message body ends.
enum Body {
    /// All the bytes its `Content-Length` promised are at the start of the buffer.
    Whole,
    /// A header began after this many bytes, before the promised length.
    Cut(usize),
    /// The input ended first.
    Ended,
}

impl<R: AsyncRead + Unpin> Reader<R> {
    /// Reads more of the input into the buffer; `false` when it has ended.
    async fn more(&mut self) -> bool {
        if self.ended {
            return false;
        }
        self.buffer.reserve(64 << 10);
        match self.input.read_buf(&mut self.buffer).await {
            Ok(0) | Err(_) => {
                self.ended = true;
                false
            }
            Ok(_) => true,
        }
    }

    async fn answer(&mut self, code: ErrorCode, reason: String) {
        let _ = self
            .queue
            .send(Outgoing::Frame(error_frame(code, reason)))
            .await;
    }

    /// Answers bytes that are not a message, unless they are what is left of one just answered.
    async fn stray(&mut self, reason: String) {
        if !self.stray_answered {
            self.answer(ErrorCode::ParseError, reason).await;
            self.stray_answered = true;
        }
    }

    /// The length of the next message that the library can read, at the start of the buffer;
    /// `None` at the end of the input. Everything before it has been answered.
    async fn next_message(&mut self) -> Option<usize> {
        loop {
            let length = match parse_header(&self.buffer) {
                Header::Incomplete => {
                    if !self.more().await {
                        if !self.buffer.is_empty() {
                            self.stray("the input ended inside a message header".into())
                                .await;
                        }
                        return None;
                    }
                    continue;
                }
                Header::Blank(blank) => {
                    self.buffer.drain(..blank);
                    continue;
                }
                Header::Garbage(reason) => {
                    self.stray(reason).await;
                    self.skip_to_header(1).await;
                    continue;
                }
                Header::Block { end, length } => {
                    self.stray_answered = false;
                    (end, length)
                }
            };
            let length = match length {
                (end, Ok(length)) if length > MAX_MESSAGE => {
                    self.buffer.drain(..end);
                    let reason = format!(
                        "a message of {length} bytes: the largest the server reads is {MAX_MESSAGE}"
                    );
                    self.answer(ErrorCode::ParseError, reason).await;
                    self.stray_answered = true;
                    self.skip_body(length).await;
                    continue;
                }
                (end, Ok(length)) => {
                    self.buffer.drain(..end);
                    usize::try_from(length).unwrap_or(usize::MAX)
                }
                (_, Err((reason, resync))) => {
                    // The body's length is unknown: it goes up to the next header, which may
                    // even begin inside this header block (a header cut short by another).
                    self.answer(ErrorCode::ParseError, reason).await;
                    self.stray_answered = true;
                    self.skip_to_header(resync).await;
                    continue;
                }
            };
            match self.body(length).await {
                Body::Whole => {}
                Body::Cut(cut) => {
                    let reason = format!(
                        "a message of {cut} bytes where its Content-Length said {length}: \
                         another message began"
                    );
                    self.answer(ErrorCode::ParseError, reason).await;
                    self.buffer.drain(..cut);
                    continue;
                }
                Body::Ended => {
                    let reason = format!(
                        "the input ended after {} of the {length} bytes of a message",
                        self.buffer.len()
                    );
                    self.answer(ErrorCode::ParseError, reason).await;
                    return None;
                }
            }
            match check(&self.buffer[..length]) {
                Ok(()) => return Some(length),
                Err((code, reason)) => {
                    self.answer(code, reason).await;
                    self.stray_answered = true;
                    // A header inside a body that is not a message is where the next one begins
                    // (its Content-Length was too long): a whole `Content-Length` line, or one
                    // the body's end cuts.
                    let next = find_header(&self.buffer, 0)
                        .filter(|&at| at < length)
                        .or_else(|| {
                            let near_end = length.saturating_sub(MAX_HEADER_LINE);
                            find_name(&self.buffer[..length], near_end)
                        })
                        .unwrap_or(length);
                    self.buffer.drain(..next);
                }
            }
        }
    }

    /// Waits until the buffer holds a body of `length` bytes, or a header that starts before it.
    async fn body(&mut self, length: usize) -> Body {
        let mut searched = 0;
        while self.buffer.len() < length {
            if let Some(cut) = find_header(&self.buffer, searched) {
                return Body::Cut(cut);
            }
            searched = self.buffer.len().saturating_sub(MAX_HEADER_LINE);
            if !self.more().await {
                return Body::Ended;
            }
        }
        Body::Whole
    }

    /// Skips the body of a message too large to read: `length` bytes, or fewer if a header starts
    /// before them. Keeps only a few bytes at a time.
    async fn skip_body(&mut self, mut length: u64) {
        loop {
            let here = usize::try_from(length)
                .map_or(self.buffer.len(), |left| left.min(self.buffer.len()));
            if let Some(cut) = find_header(&self.buffer, 0).filter(|&cut| cut < here) {
                self.buffer.drain(..cut);
                return;
            }
            if here as u64 == length {
                self.buffer.drain(..here);
                return;
            }
            // Keep the end, which may be the start of a header.
            let skipped = here.saturating_sub(MAX_HEADER_LINE);
            self.buffer.drain(..skipped);
            length -= skipped as u64;
            if !self.more().await {
                return;
            }
        }
    }

    /// Skips bytes from `from` on, up to the next `Content-Length:`, or to the end of the input.
    async fn skip_to_header(&mut self, mut from: usize) {
        loop {
            if let Some(found) = find_name(&self.buffer, from) {
                self.buffer.drain(..found);
                return;
            }
            // Keep the end, which may be the start of the name.
            let skipped = from.max(self.buffer.len().saturating_sub(CONTENT_LENGTH.len() - 1));
            self.buffer.drain(..skipped.min(self.buffer.len()));
            from = 0;
            if !self.more().await {
                return;
            }
        }
    }
}

/// What the start of the buffer holds, when a header block is expected.
#[derive(Debug, PartialEq)]
enum Header {
    /// Not enough to say.
    Incomplete,
    /// This many line ends between messages.
    Blank(usize),
    /// Bytes that are not a header block, and why.
    Garbage(String),
    /// A whole header block of `end` bytes, with the message's length, or why it has none and
    /// where to look for the next header (past the start of the last `Content-Length` line).
    Block {
        end: usize,
        length: Result<u64, (String, usize)>,
    },
}

fn parse_header(buffer: &[u8]) -> Header {
    let blank = buffer
        .iter()
        .take_while(|&&byte| byte == b'\r' || byte == b'\n')
        .count();
    if blank > 0 {
        return Header::Blank(blank);
    }
    let mut length: Option<Result<u64, String>> = None;
    let mut resync = 1;
    let mut start = 0;
    loop {
        let rest = &buffer[start..];
        let Some(end) = rest.iter().position(|&byte| byte == b'\n') else {
            if start + rest.len() > MAX_HEADER {
                return Header::Garbage(format!("a header longer than {MAX_HEADER} bytes"));
            }
            // A line still arriving must already look like one of a header.
            let name = rest.split(|&byte| byte == b':').next().unwrap_or_default();
            return if name.iter().all(|&byte| is_token(byte)) {
                Header::Incomplete
            } else {
                Header::Garbage(not_a_header(rest))
            };
        };
        let line = trim_line(&rest[..=end]);
        let line_start = start;
        start += end + 1;
        if start > MAX_HEADER {
            return Header::Garbage(format!("a header longer than {MAX_HEADER} bytes"));
        }
        if line.is_empty() {
            let length = length
                .unwrap_or_else(|| Err("a message without a Content-Length header".into()))
                .map_err(|reason| (reason, resync));
            return Header::Block { end: start, length };
        }
        let Some((name, value)) = split_header(line) else {
            return Header::Garbage(not_a_header(line));
        };
        if !name.eq_ignore_ascii_case(&CONTENT_LENGTH[..CONTENT_LENGTH.len() - 1]) {
            continue;
        }
        resync = line_start + 1;
        let value = String::from_utf8_lossy(value);
        let value = value.trim_matches([' ', '\t']);
        let parsed = if !value.is_empty() && value.bytes().all(|byte| byte.is_ascii_digit()) {
            // Digits beyond any length are simply too many bytes.
            Ok(value.parse::<u64>().unwrap_or(u64::MAX))
        } else {
            Err(format!("a Content-Length that is not a number: `{value}`"))
        };
        length = match (length, parsed) {
            (None, parsed) => Some(parsed),
            (Some(Ok(first)), Ok(second)) if first != second => Some(Err(format!(
                "two Content-Length headers that disagree: {first} and {second}"
            ))),
            (Some(first), _) => Some(first),
        };
    }
}

fn not_a_header(bytes: &[u8]) -> String {
    let shown: String = String::from_utf8_lossy(bytes).chars().take(40).collect();
    format!("bytes that are not a message header: `{shown}`")
}

/// A line without its line end.
fn trim_line(line: &[u8]) -> &[u8] {
    let line = line.strip_suffix(b"\n").unwrap_or(line);
    line.strip_suffix(b"\r").unwrap_or(line)
}

/// `Name: value`, when the name is a token as HTTP has it.
fn split_header(line: &[u8]) -> Option<(&[u8], &[u8])> {
    let colon = line.iter().position(|&byte| byte == b':')?;
    let name = &line[..colon];
    (!name.is_empty() && name.iter().all(|&byte| is_token(byte)))
        .then(|| (name, &line[colon + 1..]))
}

fn is_token(byte: u8) -> bool {
    byte.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&byte)
}

/// Where `Content-Length:` (in any case) next occurs from `from` on.
fn find_name(buffer: &[u8], from: usize) -> Option<usize> {
    let rest = buffer.get(from..)?;
    rest.windows(CONTENT_LENGTH.len())
        .position(|window| window.eq_ignore_ascii_case(CONTENT_LENGTH))
        .map(|at| from + at)
}

/// Where the next whole `Content-Length: <digits>` line starts from `from` on. No JSON text holds
/// one: outside a string the name is no token of JSON, and a string holds no raw line end.
fn find_header(buffer: &[u8], mut from: usize) -> Option<usize> {
    while let Some(at) = find_name(buffer, from) {
        if header_at(&buffer[at + CONTENT_LENGTH.len()..]) {
            return Some(at);
        }
        from = at + 1;
    }
    None
}

/// Whether `rest` (what follows a `Content-Length:`) is a number on a line of its own (a few
/// blanks, at most 20 digits, a few blanks, a line end).
fn header_at(rest: &[u8]) -> bool {
    let blanks = |bytes: &[u8]| {
        bytes
            .iter()
            .take(8)
            .take_while(|&&byte| byte == b' ' || byte == b'\t')
            .count()
    };
    let before = blanks(rest);
    let rest = &rest[before..];
    let digits = rest
        .iter()
        .take(20)
        .take_while(|byte| byte.is_ascii_digit())
        .count();
    if digits == 0 {
        return false;
    }
    let rest = &rest[digits..];
    let rest = &rest[blanks(rest)..];
    rest.starts_with(b"\n") || rest.starts_with(b"\r\n")
}

/// The same shape the library decodes a message into (its own type is private).
#[derive(serde::Deserialize)]
#[serde(untagged)]
#[allow(dead_code)]
enum Message {
    Response(Response),
    Request(Request),
}

/// Whether a body is a JSON-RPC message the library reads, and if not, the error that answers it.
fn check(body: &[u8]) -> Result<(), (ErrorCode, String)> {
    let parse_error = |reason: String| (ErrorCode::ParseError, reason);
    let invalid = |reason: &str| (ErrorCode::InvalidRequest, reason.to_string());
    let text = std::str::from_utf8(body)
        .map_err(|error| parse_error(format!("the message is not UTF-8: {error}")))?;
    let value = serde_json::from_str::<Value>(text)
        .map_err(|error| parse_error(format!("the message is not JSON: {error}")))?;
    let Value::Object(fields) = &value else {
        return Err(invalid(
            "the message is not a JSON object (a batch is not part of the protocol)",
        ));
    };
    if fields.get("jsonrpc").and_then(Value::as_str) != Some("2.0") {
        return Err(invalid("the message does not say `\"jsonrpc\": \"2.0\"`"));
    }
    let answer = fields.contains_key("result") || fields.contains_key("error");
    match fields.get("method") {
        Some(Value::String(_)) if answer => {
            return Err(invalid("the message has a method and a result or error"));
        }
        Some(Value::String(_)) => {}
        Some(_) => return Err(invalid("the message's method is not a string")),
        None if !answer => {
            return Err(invalid(
                "the message is neither a request (it has no method) nor a response",
            ));
        }
        None if !fields.contains_key("id") => return Err(invalid("the response has no id")),
        None if fields.contains_key("result") && fields.contains_key("error") => {
            return Err(invalid("the response has a result and an error"));
        }
        None => {}
    }
    // Read as the library reads it, it must come out as what it is (a response whose error is no
    // error object would otherwise pass for a request without a method).
    match serde_json::from_str::<Message>(text) {
        Ok(Message::Request(_)) if !answer => Ok(()),
        Ok(Message::Response(_)) if answer => Ok(()),
        _ if answer => Err(invalid("the response is not one the server reads")),
        _ => Err(invalid("the request is not one the server reads")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_header_block() {
        assert_eq!(
            parse_header(b"Content-Length: 12\r\nContent-Type: x\r\n\r\n{}"),
            Header::Block {
                end: 39,
                length: Ok(12)
            }
        );
        assert_eq!(
            parse_header(b"content-length:3\n\n"),
            Header::Block {
                end: 18,
                length: Ok(3)
            }
        );
        assert_eq!(parse_header(b"Content-Len"), Header::Incomplete);
        assert_eq!(parse_header(b"Content-Length: 1"), Header::Incomplete);
        assert_eq!(parse_header(b"\r\n\nC"), Header::Blank(3));
        assert!(matches!(
            parse_header(b"{}Content-Length"),
            Header::Garbage(_)
        ));
        assert!(matches!(parse_header(b"no colon\r\n"), Header::Garbage(_)));
        assert!(matches!(
            parse_header(b"Content-Length: x\r\n\r\n"),
            Header::Block { length: Err(_), .. }
        ));
        assert!(matches!(
            parse_header(b"Content-Type: x\r\n\r\n"),
            Header::Block { length: Err(_), .. }
        ));
        assert!(matches!(
            parse_header(b"Content-Length: 1\r\nContent-Length: 2\r\n\r\n"),
            Header::Block { length: Err(_), .. }
        ));
        assert_eq!(
            parse_header(b"Content-Length: 99999999999999999999999\r\n\r\n"),
            Header::Block {
                end: 43,
                length: Ok(u64::MAX)
            }
        );
    }

    #[test]
    fn a_header_inside_a_body() {
        assert_eq!(find_header(b"{\"a\":1}Content-Length: 5\r\n", 0), Some(7));
        assert_eq!(find_header(b"xCONTENT-LENGTH:5\n", 0), Some(1));
        // Not a whole line yet, or inside a string: not a header.
        assert_eq!(find_header(b"{}Content-Length: 5", 0), None);
        assert_eq!(find_header(b"{\"a\":\"Content-Length: 5\"}\n", 0), None);
        assert_eq!(
            find_header(b"{\"a\":\"Content-Length:\",\n\"b\":1}", 0),
            None
        );
    }

    #[test]
    fn what_passes() {
        let ok = |body: &str| check(body.as_bytes()).is_ok();
        let code = |body: &[u8]| check(body).err().map(|(code, _)| code);
        assert!(ok(
            r#"{"jsonrpc":"2.0","id":1,"method":"initialize","params":{}}"#
        ));
        assert!(ok(r#"{"jsonrpc":"2.0","method":"exit"}"#));
        assert!(ok(
            r#"{"jsonrpc":"2.0","id":"a","method":"shutdown","params":null}"#
        ));
        assert!(ok(r#"{"jsonrpc":"2.0","id":3,"result":null}"#));
        assert!(ok(
            r#"{"jsonrpc":"2.0","id":null,"error":{"code":-1,"message":"m"}}"#
        ));
        for invalid in [
            "{}",
            "[]",
            "42",
            "null",
            r#"{"jsonrpc":"2.0","id":1}"#,
            r#"{"jsonrpc":"2.0","id":1,"method":2}"#,
            r#"{"jsonrpc":"1.0","id":1,"method":"x"}"#,
            r#"{"jsonrpc":"2.0","id":1.5,"method":"x"}"#,
            r#"{"jsonrpc":"2.0","id":{},"method":"x"}"#,
            r#"{"jsonrpc":"2.0","result":1}"#,
            r#"{"jsonrpc":"2.0","id":1,"error":"no"}"#,
            r#"{"jsonrpc":"2.0","id":1,"method":"x","result":1}"#,
        ] {
            assert_eq!(
                code(invalid.as_bytes()),
                Some(ErrorCode::InvalidRequest),
                "{invalid}"
            );
        }
        for unreadable in [&b""[..], b"{", b"{} {}", b"\"\xff\""] {
            assert_eq!(code(unreadable), Some(ErrorCode::ParseError));
        }
    }
}
