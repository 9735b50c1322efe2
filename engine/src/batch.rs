//! The lines of a batch: takes the bytes of a `.jsonl` batch (a file, stdin, or an
//! `application/x-ndjson` request body) and gives its lines, the decision or error of each line,
//! and the error record written in place of a line that could not be decided
//! (`{"line": N, "error": {...}}`).
//!
//! `cordon eval` and `cordon serve` both go through here, so a batch is numbered, split and
//! reported alike whichever way it comes in. A line that is blank or not UTF-8 is an error of its
//! own line, never a shift of the lines after it. Nothing here evaluates anything itself: a line
//! is decided by [`crate::decide_text_in`].

use crate::facts::FactError;
use crate::{DecideError, Decision, Detail, Policy, Workspace, decide_text_in};

/// The lines of a batch: the bytes between newlines, without a `\r` before the newline. The
/// newline that ends the last line starts no line of its own; every other line counts, blank or
/// not, so that a batch's output has a line for each of its lines.
pub fn split_lines(bytes: &[u8]) -> Vec<&[u8]> {
    let mut lines: Vec<&[u8]> = bytes
        .split(|byte| *byte == b'\n')
        .map(|line| line.strip_suffix(b"\r").unwrap_or(line))
        .collect();
    if bytes.is_empty() || bytes.ends_with(b"\n") {
        lines.pop();
    }
    lines
}

/// Whether bytes hold nothing but whitespace (no bytes at all, or blank lines).
pub fn is_blank(bytes: &[u8]) -> bool {
    std::str::from_utf8(bytes).is_ok_and(|text| text.trim().is_empty())
}

/// The largest transaction read from a file or a line of a batch: 16 MiB (a transaction of the
/// EAR's schema is well under a kilobyte). A reader keeps at most this many bytes of a line and
/// one more, so that [`decide_line`] can tell the line is too long without holding all of it.
pub const MAX_TRANSACTION_BYTES: usize = 16 << 20;

/// [`MAX_TRANSACTION_BYTES`] as people read it.
pub const MAX_TRANSACTION_TEXT: &str = "16 MiB";

/// The error of a blank line.
pub const BLANK: &str = "a blank line: it holds no transaction";

/// The message of a line that is not UTF-8: where it stops being UTF-8.
pub fn not_utf8(line: &[u8], error: &std::str::Utf8Error) -> String {
    let at = error.valid_up_to();
    format!(
        "not valid UTF-8: byte {} of the line (0x{:02x}) is not part of a character",
        at + 1,
        line.get(at).copied().unwrap_or_default()
    )
}

/// An error about a line as a whole, in the form the engine gives one (no fact path).
pub fn line_error(message: String) -> DecideError {
    DecideError::Facts {
        errors: vec![FactError {
            path: String::new(),
            message,
        }],
    }
}

/// Decides one line of a batch (without its newline): a blank line, one that is not UTF-8 or
/// one longer than [`MAX_TRANSACTION_BYTES`] is an error of that line; any other is decided by
/// [`decide_text_in`].
pub fn decide_line<'a>(
    policy: &'a Policy,
    pin: Option<&str>,
    line: &'a [u8],
    detail: Detail,
    workspace: &mut Workspace<'a>,
) -> Result<Decision, DecideError> {
    if line.len() > MAX_TRANSACTION_BYTES {
        return Err(line_error(format!(
            "the line is longer than {MAX_TRANSACTION_TEXT}, the limit for one transaction"
        )));
    }
    match std::str::from_utf8(line) {
        Ok(text) if !text.trim().is_empty() => decide_text_in(policy, pin, text, detail, workspace),
        Ok(_) => Err(line_error(BLANK.to_string())),
        Err(error) => Err(line_error(not_utf8(line, &error))),
    }
}

/// Decides lines on all cores, each thread reusing one [`Workspace`], and gives each line's
/// decision or error in input order (a blank line or one that is not UTF-8 is an error of its
/// own, as [`decide_line`] says). This is the batch of a caller that keeps the decisions rather
/// than printing them (the Python package decides its batches here).
pub fn decide_lines<'a>(
    policy: &'a Policy,
    pin: Option<&str>,
    lines: &[&'a [u8]],
    detail: Detail,
) -> Vec<Result<Decision, DecideError>> {
    use rayon::prelude::*;
    lines
        .par_iter()
        .with_min_len(64)
        .map_init(Workspace::default, |workspace, line| {
            decide_line(policy, pin, line, detail, workspace)
        })
        .collect()
}

/// Appends the record of a line that could not be decided, `{"line": N, "error": {...}}`, with
/// its newline.
pub fn write_error_line(out: &mut Vec<u8>, number: usize, error: &DecideError) {
    let record = serde_json::json!({ "line": number, "error": error });
    out.extend_from_slice(record.to_string().as_bytes());
    out.push(b'\n');
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_last_newline_starts_no_line_and_blank_lines_count() {
        assert_eq!(split_lines(b""), Vec::<&[u8]>::new());
        assert_eq!(split_lines(b"a\n"), vec![&b"a"[..]]);
        assert_eq!(split_lines(b"a\r\n\nb"), vec![&b"a"[..], b"", b"b"]);
    }

    #[test]
    fn an_error_record_names_its_line() {
        let mut out = Vec::new();
        write_error_line(&mut out, 7, &line_error(BLANK.to_string()));
        assert_eq!(
            String::from_utf8_lossy(&out),
            "{\"line\":7,\"error\":{\"kind\":\"facts\",\"errors\":[{\"path\":\"\",\"message\":\"a blank line: it holds no transaction\"}]}}\n"
        );
    }
}
