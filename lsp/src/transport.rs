//! What stands between the editor's bytes and the protocol library: a reader of framed messages
//! that passes every message that is JSON through as it came and turns one that is not (or whose
//! header is broken) into a request the server answers with a parse error (id null, as JSON-RPC
//! says). The library alone stops reading at the first message it cannot decode; with this in
//! front, the server goes on.

use serde_json::json;
use tokio::io::{AsyncBufReadExt, AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, BufReader};

/// The method the server answers a malformed message with.
pub const MALFORMED: &str = "cordon/malformedMessage";

/// Copies framed messages from `input` to `output` until `input` ends, replacing each message that
/// is not a JSON object by a [`MALFORMED`] request.
pub async fn filter(
    input: impl AsyncRead + Unpin,
    mut output: impl AsyncWrite + Unpin,
) -> std::io::Result<()> {
    let mut input = BufReader::new(input);
    loop {
        let mut length: Option<usize> = None;
        let mut header_problem: Option<String> = None;
        let mut header_lines = 0;
        loop {
            let mut line = String::new();
            if input.read_line(&mut line).await? == 0 {
                return Ok(());
            }
            let line = line.trim_end_matches(['\r', '\n']);
            if line.is_empty() {
                break;
            }
            header_lines += 1;
            match line.split_once(':') {
                Some((name, value)) if name.trim().eq_ignore_ascii_case("content-length") => {
                    match value.trim().parse::<usize>() {
                        Ok(value) if value <= 1 << 30 => length = Some(value),
                        _ => {
                            header_problem = Some(format!("bad Content-Length `{}`", value.trim()))
                        }
                    }
                }
                Some(_) => {}
                None => header_problem = Some(format!("a header line without `:`: `{line}`")),
            }
        }
        // A blank line between messages is not a message.
        if header_lines == 0 {
            continue;
        }
        let body = match (length, header_problem) {
            (Some(length), None) => {
                let mut body = vec![0; length];
                input.read_exact(&mut body).await?;
                match serde_json::from_slice::<serde_json::Value>(&body) {
                    Ok(value) if value.is_object() => body,
                    Ok(_) => malformed("the message is not a JSON object"),
                    Err(error) => malformed(&format!("the message is not JSON: {error}")),
                }
            }
            (None, None) => malformed("the message has no Content-Length header"),
            (_, Some(problem)) => malformed(&problem),
        };
        output
            .write_all(format!("Content-Length: {}\r\n\r\n", body.len()).as_bytes())
            .await?;
        output.write_all(&body).await?;
        output.flush().await?;
    }
}

fn malformed(reason: &str) -> Vec<u8> {
    json!({"jsonrpc": "2.0", "id": null, "method": MALFORMED, "params": {"reason": reason}})
        .to_string()
        .into_bytes()
}
