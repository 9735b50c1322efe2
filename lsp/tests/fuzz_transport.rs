//! The fuzz target of the language server's input: random sequences of frames, well formed and
//! not (`{}` as a message, a `Content-Length` too long or too short, bodies that are not JSON or
//! not UTF-8, headers without a length or with one that is not a number, lengths past any
//! limit, and raw bytes), go through `transport::read` in-process. Whatever comes in, it never
//! panics and always ends; the protocol library receives exactly the well-formed requests, in
//! their order, each framed anew; and everything else is answered with a JSON-RPC error of id
//! null (`-32700` or `-32600`), never passed on.
//!
//! 256 cases a run by default; `PROPTEST_CASES` sets more (`.ci/run` runs a longer hunt).

use proptest::prelude::*;
use tokio::sync::mpsc;

use cordon_lsp::transport::{self, Outgoing};

fn frame(header: &str, body: &[u8]) -> Vec<u8> {
    let mut bytes = header.as_bytes().to_vec();
    bytes.extend_from_slice(body);
    bytes
}

fn request(id: u32) -> Vec<u8> {
    format!(
        r#"{{"jsonrpc":"2.0","id":{id},"method":"textDocument/hover","params":{{"textDocument":{{"uri":"file:///p/v1/a.cordon"}},"position":{{"line":0,"character":0}}}}}}"#
    )
    .into_bytes()
}

const NOTIFICATION: &[u8] = br#"{"jsonrpc":"2.0","method":"$/cancelRequest","params":{"id":1}}"#;

/// One piece of the input.
#[derive(Clone, Debug)]
enum Piece {
    /// A well-formed request, numbered.
    Request(u32),
    /// A well-formed notification.
    Notification,
    /// `{}`: JSON, framed, but no JSON-RPC message.
    EmptyObject,
    /// A request whose `Content-Length` claims this many bytes more than it has.
    TooLong(u32, usize),
    /// A request whose `Content-Length` claims this many bytes fewer than it has.
    TooShort(u32, usize),
    /// A framed body of arbitrary bytes.
    Body(Vec<u8>),
    /// A request with one byte that is not UTF-8 in a string.
    NotUtf8,
    /// A header block without `Content-Length`, and a body.
    NoLength,
    /// A `Content-Length` that is not a number.
    NotANumber,
    /// A length far past the limit, with a small body.
    Huge,
    /// Bytes between messages that are no header.
    Raw(Vec<u8>),
}

impl Piece {
    fn bytes(&self) -> Vec<u8> {
        match self {
            Piece::Request(id) => {
                let body = request(*id);
                frame(&format!("Content-Length: {}\r\n\r\n", body.len()), &body)
            }
            Piece::Notification => frame(
                &format!("Content-Length: {}\r\n\r\n", NOTIFICATION.len()),
                NOTIFICATION,
            ),
            Piece::EmptyObject => frame("Content-Length: 2\r\n\r\n", b"{}"),
            Piece::TooLong(id, more) => {
                let body = request(*id);
                frame(
                    &format!("Content-Length: {}\r\n\r\n", body.len() + more),
                    &body,
                )
            }
            Piece::TooShort(id, fewer) => {
                let body = request(*id);
                let claimed = body.len().saturating_sub(*fewer);
                frame(&format!("Content-Length: {claimed}\r\n\r\n"), &body)
            }
            Piece::Body(body) => frame(&format!("Content-Length: {}\r\n\r\n", body.len()), body),
            Piece::NotUtf8 => {
                let mut body = request(0);
                if let Some(at) = body.iter().position(|byte| *byte == b'h') {
                    body[at] = 0xff;
                }
                frame(&format!("Content-Length: {}\r\n\r\n", body.len()), &body)
            }
            Piece::NoLength => frame(
                "Content-Type: application/vscode-jsonrpc; charset=utf-8\r\n\r\n",
                &request(0),
            ),
            Piece::NotANumber => frame("Content-Length: twelve\r\n\r\n", &request(0)),
            Piece::Huge => frame("Content-Length: 99999999999999999999999\r\n\r\n", b"{}"),
            Piece::Raw(bytes) => bytes.clone(),
        }
    }
}

fn piece() -> impl Strategy<Value = Piece> {
    prop_oneof![
        3 => (0u32..1000).prop_map(Piece::Request),
        1 => Just(Piece::Notification),
        2 => Just(Piece::EmptyObject),
        2 => (1000u32..2000, 1usize..400).prop_map(|(id, more)| Piece::TooLong(id, more)),
        2 => (2000u32..3000, 1usize..100).prop_map(|(id, fewer)| Piece::TooShort(id, fewer)),
        1 => prop::collection::vec(any::<u8>(), 0..64).prop_map(Piece::Body),
        1 => Just(Piece::NotUtf8),
        1 => Just(Piece::NoLength),
        1 => Just(Piece::NotANumber),
        1 => Just(Piece::Huge),
        // Raw bytes between messages, without letters, digits or `-`: they cannot spell a
        // `Content-Length` header of their own (one spelled out by chance is a header like any
        // other, and claims what follows it).
        1 => prop::collection::vec(
            any::<u8>().prop_map(|byte| {
                if byte.is_ascii_alphanumeric() || byte == b'-' { b'#' } else { byte }
            }),
            1..64,
        )
        .prop_map(Piece::Raw),
    ]
}

/// What `transport::read` did with `input`: the bodies passed to the library, and the bodies of
/// its own answers.
fn run(input: &[u8]) -> (Vec<Vec<u8>>, Vec<Vec<u8>>) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("a runtime");
    runtime.block_on(async {
        let (queue, mut answers) = mpsc::channel(16);
        let mut library = Vec::new();
        let gather = async {
            let mut frames = Vec::new();
            while let Some(Outgoing::Frame(frame)) = answers.recv().await {
                frames.push(frame);
            }
            frames
        };
        let ((), answers) = tokio::join!(transport::read(input, &mut library, queue), gather);
        let passed = bodies(&library);
        let answers = answers.iter().flat_map(|frame| bodies(frame)).collect();
        (passed, answers)
    })
}

/// The bodies of a run of `Content-Length: N\r\n\r\n` frames; anything else fails the test.
fn bodies(mut bytes: &[u8]) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    while !bytes.is_empty() {
        let end = bytes
            .windows(4)
            .position(|window| window == b"\r\n\r\n")
            .unwrap_or_else(|| panic!("a frame without its header's end: {bytes:?}"));
        let header = std::str::from_utf8(&bytes[..end]).expect("a UTF-8 header");
        let length: usize = header
            .strip_prefix("Content-Length: ")
            .and_then(|length| length.parse().ok())
            .unwrap_or_else(|| panic!("not a Content-Length header: {header:?}"));
        let body = &bytes[end + 4..end + 4 + length];
        out.push(body.to_vec());
        bytes = &bytes[end + 4 + length..];
    }
    out
}

fn check_run(pieces: &[Piece]) -> Result<(), TestCaseError> {
    let mut input = Vec::new();
    for piece in pieces {
        input.extend_from_slice(&piece.bytes());
    }
    let (passed, answers) = run(&input);
    // The library gets exactly the well-formed messages, in order.
    let expected: Vec<Vec<u8>> = pieces
        .iter()
        .filter_map(|piece| match piece {
            Piece::Request(id) => Some(request(*id)),
            Piece::Notification => Some(NOTIFICATION.to_vec()),
            _ => None,
        })
        .collect();
    let shown = |list: &[Vec<u8>]| {
        list.iter()
            .map(|body| String::from_utf8_lossy(body).into_owned())
            .collect::<Vec<_>>()
    };
    prop_assert_eq!(shown(&passed), shown(&expected), "what reached the library");
    // Every answer is an error of id null, with the code JSON-RPC gives it.
    for answer in &answers {
        let value: serde_json::Value = serde_json::from_slice(answer)
            .map_err(|error| TestCaseError::fail(format!("an answer that is not JSON: {error}")))?;
        prop_assert_eq!(&value["id"], &serde_json::Value::Null);
        let code = value["error"]["code"].as_i64();
        prop_assert!(
            matches!(code, Some(-32700 | -32600)),
            "an answer with code {code:?}: {value}"
        );
        prop_assert!(
            value["error"]["message"]
                .as_str()
                .is_some_and(|message| !message.is_empty())
        );
    }
    // Something that is not a message is answered (the ones a piece before it may have swallowed
    // whole are answered with that piece).
    let unreadable = pieces
        .iter()
        .filter(|piece| {
            !matches!(
                piece,
                Piece::Request(_) | Piece::Notification | Piece::Raw(_)
            )
        })
        .count();
    prop_assert!(
        unreadable == 0 || !answers.is_empty(),
        "{unreadable} unreadable pieces and no answer"
    );
    Ok(())
}

#[test]
fn the_issues_cases_are_answered_and_the_next_request_served() {
    let cases: Vec<Vec<Piece>> = vec![
        vec![Piece::EmptyObject, Piece::Request(1)],
        vec![Piece::TooLong(7, 40), Piece::Request(2)],
        vec![Piece::TooShort(7, 40), Piece::Request(3)],
        vec![Piece::NotUtf8, Piece::Request(4)],
        vec![Piece::Huge, Piece::Request(5)],
        vec![Piece::NoLength, Piece::NotANumber, Piece::Request(6)],
        vec![
            Piece::Raw(b"\xff\xfe garbage \x00".to_vec()),
            Piece::Request(7),
        ],
        vec![
            Piece::TooLong(8, 399),
            Piece::EmptyObject,
            Piece::Request(9),
        ],
    ];
    for pieces in cases {
        if let Err(error) = check_run(&pieces) {
            panic!("{pieces:?}: {error}");
        }
    }
    // `{}` alone is answered as an invalid request.
    let (passed, answers) = run(&Piece::EmptyObject.bytes());
    assert!(passed.is_empty());
    assert_eq!(answers.len(), 1);
    assert!(String::from_utf8_lossy(&answers[0]).contains("-32600"));
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: std::env::var("PROPTEST_CASES").ok().and_then(|cases| cases.parse().ok()).unwrap_or(256),
        ..ProptestConfig::default()
    })]

    #[test]
    fn any_sequence_of_frames_is_read_without_losing_a_request(
        pieces in prop::collection::vec(piece(), 0..24),
    ) {
        check_run(&pieces)?;
    }

    #[test]
    fn any_bytes_are_read_to_the_end_without_a_panic(
        bytes in prop::collection::vec(any::<u8>(), 0..512),
        tail in prop::collection::vec(piece(), 0..4),
    ) {
        let mut input = bytes;
        for piece in &tail {
            input.extend_from_slice(&piece.bytes());
        }
        let (passed, answers) = run(&input);
        for body in passed.iter().chain(&answers) {
            prop_assert!(serde_json::from_slice::<serde_json::Value>(body).is_ok());
        }
    }
}
