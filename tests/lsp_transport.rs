//! `cordon lsp` under hostile input, over its real stdio framing: each test starts the binary,
//! sends one hostile frame followed by a valid `initialize`, then the same frame again followed by
//! a hover, and asserts that the frame was answered with a JSON-RPC error (id null) where one is
//! due, that the valid request after it was answered correctly, that the process is still alive,
//! and that `shutdown` and `exit` end it with status 0.

use std::io::{BufRead, BufReader, Read, Write};
use std::path::PathBuf;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc::{Receiver, RecvTimeoutError, channel};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

/// How long to wait for any one answer.
const PATIENCE: Duration = Duration::from_secs(15);

const PARSE_ERROR: i64 = -32700;
const INVALID_REQUEST: i64 = -32600;

/// The id of the request hidden in some hostile frames: a server that reads it misread the frame.
const HIDDEN_ID: i64 = 7;

/// What the server must answer to a hostile frame.
#[derive(Clone, Copy, Debug)]
enum Expect {
    /// One error response with id null and this code.
    Error(i64),
    /// Nothing (a response from the client, blank lines): JSON-RPC answers no response.
    Nothing,
    /// Some error responses with id null (several broken frames in a row).
    Some,
}

fn frame(body: &[u8]) -> Vec<u8> {
    let mut framed = format!("Content-Length: {}\r\n\r\n", body.len()).into_bytes();
    framed.extend_from_slice(body);
    framed
}

fn with_length(length: &str, body: &[u8]) -> Vec<u8> {
    let mut framed = format!("Content-Length: {length}\r\n\r\n").into_bytes();
    framed.extend_from_slice(body);
    framed
}

/// A request the server would answer if it misread a broken frame as a message.
fn hidden_request() -> Vec<u8> {
    json!({"jsonrpc": "2.0", "id": HIDDEN_ID, "method": "shutdown", "params": null})
        .to_string()
        .into_bytes()
}

/// Reads the server's framed messages; ends when its output does.
fn read_messages(output: impl Read, sink: std::sync::mpsc::Sender<Value>) {
    let mut output = BufReader::new(output);
    loop {
        let mut length = None;
        loop {
            let mut line = String::new();
            match output.read_line(&mut line) {
                Ok(0) | Err(_) => return,
                Ok(_) => {}
            }
            let line = line.trim_end();
            if line.is_empty() {
                break;
            }
            if let Some(value) = line.strip_prefix("Content-Length: ") {
                length = value.parse::<usize>().ok();
            }
        }
        let Some(length) = length else {
            let _ = sink.send(json!({"unframed output": true}));
            return;
        };
        let mut body = vec![0; length];
        if output.read_exact(&mut body).is_err() {
            return;
        }
        let message = serde_json::from_slice(&body)
            .unwrap_or_else(|_| json!({"output that is not JSON": String::from_utf8_lossy(&body)}));
        if sink.send(message).is_err() {
            return;
        }
    }
}

struct Server {
    child: Child,
    input: ChildStdin,
    messages: Receiver<Value>,
    /// Every message received so far, in order.
    seen: Vec<Value>,
    root: PathBuf,
}

impl Drop for Server {
    fn drop(&mut self) {
        if matches!(self.child.try_wait(), Ok(None)) {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
        let _ = std::fs::remove_dir_all(&self.root);
    }
}

const VERSION: &str = "version \"v1\"
  policy \"demo\"
  source \"89 FR 1\"
  in_force from 2024-01-01 through 2024-12-31
";

const RULES: &str = "/// Destinations of concern.
group D5 \"Country Group D:5\" = { CN RU }
  cite \"15 CFR part 740, Supp. 1\"
";

impl Server {
    fn start(name: &str) -> Server {
        let root = std::env::temp_dir().join(format!(
            "cordon-lsp-transport-{}-{name}",
            std::process::id()
        ));
        let _ = std::fs::remove_dir_all(&root);
        std::fs::create_dir_all(root.join("v1")).expect("a temporary directory");
        std::fs::write(root.join("v1/version.cordon"), VERSION).expect("a policy file");
        std::fs::write(root.join("v1/rules.cordon"), RULES).expect("a policy file");
        let mut child = Command::new(env!("CARGO_BIN_EXE_cordon"))
            .arg("lsp")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|error| panic!("cannot start `cordon lsp`: {error}"));
        let input = child.stdin.take().expect("the server's stdin");
        let output = child.stdout.take().expect("the server's stdout");
        let (sink, messages) = channel();
        std::thread::spawn(move || read_messages(output, sink));
        Server {
            child,
            input,
            messages,
            seen: Vec::new(),
            root,
        }
    }

    fn send(&mut self, bytes: &[u8]) {
        self.input
            .write_all(bytes)
            .and_then(|()| self.input.flush())
            .unwrap_or_else(|error| {
                panic!("cannot write to the server: {error}; {}", self.story())
            });
    }

    fn request(&mut self, id: i64, method: &str, params: Value) {
        let message = json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params});
        self.send(&frame(message.to_string().as_bytes()));
    }

    fn notify(&mut self, method: &str, params: Value) {
        let message = json!({"jsonrpc": "2.0", "method": method, "params": params});
        self.send(&frame(message.to_string().as_bytes()));
    }

    /// What happened so far, for a failure's message.
    fn story(&mut self) -> String {
        let status = match self.child.try_wait() {
            Ok(Some(status)) => format!("the server exited ({status})"),
            Ok(None) => "the server is running".to_string(),
            Err(error) => format!("the server's state is unknown: {error}"),
        };
        let seen: Vec<String> = self.seen.iter().map(Value::to_string).collect();
        format!("{status}; received so far:\n{}", seen.join("\n"))
    }

    /// Waits for the response to `id`, answering the server's own requests on the way.
    fn answer(&mut self, id: i64) -> Value {
        let deadline = Instant::now() + PATIENCE;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            let message = match self.messages.recv_timeout(left) {
                Ok(message) => message,
                Err(RecvTimeoutError::Timeout) => {
                    panic!(
                        "no answer to request {id} in {PATIENCE:?}; {}",
                        self.story()
                    )
                }
                Err(RecvTimeoutError::Disconnected) => {
                    std::thread::sleep(Duration::from_millis(200));
                    panic!(
                        "the server's output ended before it answered request {id}; {}",
                        self.story()
                    )
                }
            };
            self.seen.push(message.clone());
            if message.get("method").is_some() {
                if let Some(request) = message.get("id") {
                    let reply = json!({"jsonrpc": "2.0", "id": request, "result": null});
                    self.send(&frame(reply.to_string().as_bytes()));
                }
                continue;
            }
            if message.get("id") == Some(&json!(id)) {
                return message;
            }
        }
    }

    /// The error responses with id null received since message `since`.
    fn null_errors(&self, since: usize) -> Vec<Value> {
        self.seen[since..]
            .iter()
            .filter(|message| message.get("id") == Some(&Value::Null))
            .cloned()
            .collect()
    }

    /// Asserts that what was received since message `since` answers the hostile frame as due.
    fn assert_answered(&mut self, since: usize, expect: Expect, when: &str) {
        let errors = self.null_errors(since);
        match expect {
            Expect::Error(code) => {
                let fits = errors.len() == 1
                    && errors[0]["error"]["code"] == json!(code)
                    && errors[0]["error"]["message"].is_string()
                    && errors[0]["jsonrpc"] == "2.0";
                assert!(
                    fits,
                    "{when}: expected one error response with id null and code {code}; {}",
                    self.story()
                );
            }
            Expect::Nothing => assert!(
                errors.is_empty(),
                "{when}: expected no answer to the frame; {}",
                self.story()
            ),
            Expect::Some => {
                let fits = !errors.is_empty()
                    && errors.iter().all(|error| {
                        [json!(PARSE_ERROR), json!(INVALID_REQUEST)]
                            .contains(&error["error"]["code"])
                    });
                assert!(
                    fits,
                    "{when}: expected error responses with id null; {}",
                    self.story()
                );
            }
        }
        assert!(
            matches!(self.child.try_wait(), Ok(None)),
            "{when}: the server is not running; {}",
            self.story()
        );
    }

    fn rules_uri(&self) -> String {
        format!("file://{}", self.root.join("v1/rules.cordon").display())
    }
}

/// Sends `hostile` before `initialize` and again before a hover, then shuts the server down.
fn hostile(name: &str, hostile: &[u8], expect: Expect) {
    let mut server = Server::start(name);

    let since = server.seen.len();
    server.send(hostile);
    server.request(
        1,
        "initialize",
        json!({"capabilities": {}, "processId": null}),
    );
    let initialized = server.answer(1);
    assert!(
        initialized["result"]["capabilities"].is_object(),
        "initialize after the frame: {initialized}; {}",
        server.story()
    );
    server.assert_answered(since, expect, "before initialize");
    server.notify("initialized", json!({}));

    let uri = server.rules_uri();
    server.notify(
        "textDocument/didOpen",
        json!({"textDocument": {"uri": uri, "languageId": "cordon", "version": 1, "text": RULES}}),
    );
    let since = server.seen.len();
    server.send(hostile);
    server.request(
        2,
        "textDocument/hover",
        json!({"textDocument": {"uri": uri}, "position": {"line": 1, "character": 7}}),
    );
    let hover = server.answer(2);
    let text = hover["result"]["contents"]["value"].as_str().unwrap_or("");
    assert!(
        text.contains("country group `D5`"),
        "hover after the frame: {hover}; {}",
        server.story()
    );
    server.assert_answered(since, expect, "after initialize");

    server.request(3, "shutdown", Value::Null);
    let shutdown = server.answer(3);
    assert_eq!(shutdown["result"], Value::Null, "{}", server.story());
    assert!(
        !server
            .seen
            .iter()
            .any(|message| message.get("id") == Some(&json!(HIDDEN_ID))),
        "the server read a request inside a broken frame; {}",
        server.story()
    );
    server.notify("exit", Value::Null);
    let deadline = Instant::now() + PATIENCE;
    let status = loop {
        match server.child.try_wait() {
            Ok(Some(status)) => break status,
            Ok(None) if Instant::now() < deadline => std::thread::sleep(Duration::from_millis(20)),
            _ => panic!("the server did not exit after `exit`; {}", server.story()),
        }
    };
    assert!(status.success(), "exit status {status}; {}", server.story());
}

// Well framed, but not a request.

#[test]
fn an_empty_object() {
    hostile(
        "empty-object",
        &frame(b"{}"),
        Expect::Error(INVALID_REQUEST),
    );
}

#[test]
fn an_empty_array() {
    hostile("empty-array", &frame(b"[]"), Expect::Error(INVALID_REQUEST));
}

#[test]
fn a_batch() {
    let batch = format!("[{}]", String::from_utf8_lossy(&hidden_request()));
    hostile(
        "batch",
        &frame(batch.as_bytes()),
        Expect::Error(INVALID_REQUEST),
    );
}

#[test]
fn a_number() {
    hostile("number", &frame(b"42"), Expect::Error(INVALID_REQUEST));
}

#[test]
fn a_string() {
    hostile(
        "string",
        &frame(b"\"initialize\""),
        Expect::Error(INVALID_REQUEST),
    );
}

#[test]
fn null() {
    hostile("null", &frame(b"null"), Expect::Error(INVALID_REQUEST));
}

#[test]
fn an_id_without_a_method() {
    let body = format!(r#"{{"jsonrpc":"2.0","id":{HIDDEN_ID}}}"#);
    hostile(
        "id-without-method",
        &frame(body.as_bytes()),
        Expect::Error(INVALID_REQUEST),
    );
}

#[test]
fn a_method_that_is_not_a_string() {
    let body = format!(r#"{{"jsonrpc":"2.0","id":{HIDDEN_ID},"method":42}}"#);
    hostile(
        "method-number",
        &frame(body.as_bytes()),
        Expect::Error(INVALID_REQUEST),
    );
}

#[test]
fn another_json_rpc_version() {
    let body = format!(r#"{{"jsonrpc":"1.0","id":{HIDDEN_ID},"method":"shutdown"}}"#);
    hostile(
        "version-1",
        &frame(body.as_bytes()),
        Expect::Error(INVALID_REQUEST),
    );
}

#[test]
fn no_json_rpc_version() {
    let body = format!(r#"{{"id":{HIDDEN_ID},"method":"shutdown"}}"#);
    hostile(
        "no-version",
        &frame(body.as_bytes()),
        Expect::Error(INVALID_REQUEST),
    );
}

#[test]
fn a_fractional_id() {
    let body = br#"{"jsonrpc":"2.0","id":7.5,"method":"shutdown"}"#;
    hostile(
        "fractional-id",
        &frame(body),
        Expect::Error(INVALID_REQUEST),
    );
}

#[test]
fn a_method_and_a_result() {
    let body = format!(r#"{{"jsonrpc":"2.0","id":{HIDDEN_ID},"method":"shutdown","result":1}}"#);
    hostile(
        "method-and-result",
        &frame(body.as_bytes()),
        Expect::Error(INVALID_REQUEST),
    );
}

#[test]
fn an_error_that_is_not_an_error_object() {
    let body = br#"{"jsonrpc":"2.0","id":4242,"error":"no"}"#;
    hostile("error-string", &frame(body), Expect::Error(INVALID_REQUEST));
}

#[test]
fn a_response_to_nothing() {
    let body = br#"{"jsonrpc":"2.0","id":4242,"result":{"answer":42}}"#;
    hostile("response-to-nothing", &frame(body), Expect::Nothing);
}

#[test]
fn an_error_response_to_nothing() {
    let body = br#"{"jsonrpc":"2.0","id":null,"error":{"code":-32700,"message":"echo"}}"#;
    hostile("error-response", &frame(body), Expect::Nothing);
}

#[test]
fn blank_lines_between_messages() {
    hostile("blank-lines", b"\r\n\r\n\n", Expect::Nothing);
}

// Not JSON.

#[test]
fn text_that_is_not_json() {
    hostile(
        "not-json",
        &frame(br#"{"this is not": json"#),
        Expect::Error(PARSE_ERROR),
    );
}

#[test]
fn json_with_text_after_it() {
    let mut body = hidden_request();
    body.extend_from_slice(b" and more");
    hostile("trailing-text", &frame(&body), Expect::Error(PARSE_ERROR));
}

#[test]
fn an_empty_body() {
    hostile("empty-body", &frame(b""), Expect::Error(PARSE_ERROR));
}

#[test]
fn a_body_that_is_not_utf8() {
    let body = b"{\"jsonrpc\":\"2.0\",\"method\":\"\xff\xfe\"}";
    hostile("not-utf8", &frame(body), Expect::Error(PARSE_ERROR));
}

#[test]
fn a_deeply_nested_body() {
    let body = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
    hostile("deep", &frame(body.as_bytes()), Expect::Error(PARSE_ERROR));
}

// A broken header.

#[test]
fn a_content_length_too_short() {
    let body = hidden_request();
    let length = (body.len() - 10).to_string();
    hostile(
        "length-short",
        &with_length(&length, &body),
        Expect::Error(PARSE_ERROR),
    );
}

#[test]
fn a_content_length_too_long() {
    let body = hidden_request();
    let length = (body.len() + 100).to_string();
    hostile(
        "length-long",
        &with_length(&length, &body),
        Expect::Error(PARSE_ERROR),
    );
}

#[test]
fn a_content_length_much_too_long() {
    // Longer than all that follows until the end of the session.
    let body = hidden_request();
    hostile(
        "length-much-too-long",
        &with_length("100000", &body),
        Expect::Error(PARSE_ERROR),
    );
}

#[test]
fn a_content_length_that_is_not_a_number() {
    hostile(
        "length-nan",
        &with_length("twelve", &hidden_request()),
        Expect::Error(PARSE_ERROR),
    );
}

#[test]
fn a_negative_content_length() {
    hostile(
        "length-negative",
        &with_length("-5", &hidden_request()),
        Expect::Error(PARSE_ERROR),
    );
}

#[test]
fn an_empty_content_length() {
    hostile(
        "length-empty",
        &with_length("", &hidden_request()),
        Expect::Error(PARSE_ERROR),
    );
}

#[test]
fn a_header_block_without_content_length() {
    let mut framed = b"Content-Type: application/vscode-jsonrpc; charset=utf-8\r\n\r\n".to_vec();
    framed.extend_from_slice(&hidden_request());
    hostile("no-length", &framed, Expect::Error(PARSE_ERROR));
}

#[test]
fn a_header_line_without_a_colon() {
    let mut framed = b"this is no header\r\n\r\n".to_vec();
    framed.extend_from_slice(&hidden_request());
    hostile("header-without-colon", &framed, Expect::Error(PARSE_ERROR));
}

#[test]
fn bytes_without_any_header() {
    // No header and no line end: the next message's header follows on the same line.
    hostile("unframed", &hidden_request(), Expect::Error(PARSE_ERROR));
}

#[test]
fn a_huge_content_length() {
    // 10 GB, with a body of a few bytes: not allocated, not waited for.
    hostile(
        "length-10gb",
        &with_length("10000000000", b"{}"),
        Expect::Error(PARSE_ERROR),
    );
}

#[test]
fn a_content_length_beyond_any_number() {
    hostile(
        "length-overflow",
        &with_length("99999999999999999999999999999", b"{}"),
        Expect::Error(PARSE_ERROR),
    );
}

#[test]
fn a_message_larger_than_the_server_accepts() {
    // 65 MiB that really arrive: answered and skipped, not read into memory.
    let length = 65 << 20;
    let mut framed = format!("Content-Length: {length}\r\n\r\n").into_bytes();
    framed.resize(framed.len() + length, b' ');
    hostile("too-large", &framed, Expect::Error(PARSE_ERROR));
}

// Several at once, and what is not hostile.

/// Every hostile frame above but the largest, back to back, with no valid message between them.
fn every_frame() -> Vec<u8> {
    let mut all = Vec::new();
    for body in [
        &b"{}"[..],
        b"[]",
        b"42",
        b"null",
        br#"{"jsonrpc":"2.0","id":7}"#,
        br#"{"jsonrpc":"2.0","id":7,"method":42}"#,
        br#"{"jsonrpc":"1.0","id":7,"method":"shutdown"}"#,
        br#"{"jsonrpc":"2.0","id":7.5,"method":"shutdown"}"#,
        br#"{"jsonrpc":"2.0","id":4242,"error":"no"}"#,
        br#"{"jsonrpc":"2.0","id":4242,"result":{"answer":42}}"#,
        br#"{"this is not": json"#,
        b"",
        b"{\"jsonrpc\":\"2.0\",\"method\":\"\xff\xfe\"}",
    ] {
        all.extend_from_slice(&frame(body));
    }
    let hidden = hidden_request();
    all.extend_from_slice(&with_length(&(hidden.len() - 10).to_string(), &hidden));
    all.extend_from_slice(&with_length(&(hidden.len() + 100).to_string(), &hidden));
    all.extend_from_slice(&with_length("twelve", &hidden));
    all.extend_from_slice(&with_length("-5", &hidden));
    all.extend_from_slice(b"Content-Type: application/vscode-jsonrpc; charset=utf-8\r\n\r\n");
    all.extend_from_slice(&hidden);
    all.extend_from_slice(b"this is no header\r\n\r\n");
    all.extend_from_slice(&hidden);
    all.extend_from_slice(&with_length("10000000000", b"{}"));
    all.extend_from_slice(&with_length("100000", &hidden));
    all
}

#[test]
fn every_frame_in_a_row() {
    hostile("in-a-row", &every_frame(), Expect::Some);
}

#[test]
fn a_large_message_is_read() {
    // Larger than a pipe's buffer and than the server's own: read whole, and answered.
    let mut server = Server::start("large");
    let padding = "x".repeat(5 << 20);
    let params = json!({"capabilities": {}, "processId": null, "initializationOptions": padding});
    server.request(1, "initialize", params);
    let initialized = server.answer(1);
    assert!(
        initialized["result"]["capabilities"].is_object(),
        "{}",
        server.story()
    );
    assert!(server.null_errors(0).is_empty(), "{}", server.story());
    server.request(2, "shutdown", Value::Null);
    assert_eq!(
        server.answer(2)["result"],
        Value::Null,
        "{}",
        server.story()
    );
}
