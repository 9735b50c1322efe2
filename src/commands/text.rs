//! Decisions written for people.
//!
//! Each line says one thing: a transaction's id is printed quoted, and every other text (values,
//! explanations, errors) with the characters that could end or reorder a line escaped, so that
//! what a transaction holds can never read as a line of its own (a fake decision, say).

use std::borrow::Cow;
use std::fmt::Write as _;

use cordon_engine::Decision;

/// Whether a character is written as an escape: control characters (a newline, a carriage
/// return, an escape starting a terminal sequence), line and paragraph separators, and the
/// controls that reorder text.
fn escaped(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{2028}' | '\u{2029}' | '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}'
        )
}

fn push_escape(out: &mut String, c: char) {
    match c {
        '\n' => out.push_str("\\n"),
        '\r' => out.push_str("\\r"),
        '\t' => out.push_str("\\t"),
        other => {
            let _ = write!(out, "\\u{{{:x}}}", u32::from(other));
        }
    }
}

/// `text` on one line: see [`escaped`].
pub fn one_line(text: &str) -> Cow<'_, str> {
    if !text.chars().any(escaped) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if escaped(c) {
            push_escape(&mut out, c);
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// `text` in double quotes, on one line, with `"` and `\` escaped too: where it ends cannot
/// be mistaken.
pub fn quoted(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    for c in text.chars() {
        match c {
            '"' | '\\' => {
                out.push('\\');
                out.push(c);
            }
            c if escaped(c) => push_escape(&mut out, c),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

pub fn decision(decision: &Decision, explain: bool) -> String {
    let mut out = String::new();
    let id = decision
        .id
        .as_deref()
        .map(|id| format!("{} ", quoted(id)))
        .unwrap_or_default();
    let _ = writeln!(
        out,
        "{id}on {}: policy {} version {} ({})",
        one_line(&decision.date),
        one_line(&decision.policy.name),
        one_line(&decision.policy.version),
        one_line(&decision.policy.hash)
    );
    for (field, value) in &decision.outcome {
        let _ = writeln!(
            out,
            "  {}: {}",
            one_line(field),
            one_line(&value.to_string())
        );
    }
    if explain {
        if !decision.trace.is_empty() {
            let _ = writeln!(out, "because:");
        }
        for entry in &decision.trace {
            let confidence = if entry.confidence == cordon_lang::hir::Confidence::Confirmed {
                String::new()
            } else {
                format!(" [{}]", entry.confidence.as_str())
            };
            let _ = writeln!(
                out,
                "  {} ({}){confidence}",
                one_line(&entry.rule),
                one_line(&entry.cite)
            );
            let _ = writeln!(
                out,
                "    concludes {}",
                one_line(&entry.concludes.join(", "))
            );
            if !entry.because.is_empty() {
                let _ = writeln!(out, "    when {}", one_line(&entry.because));
            }
            if !entry.facts.is_empty() {
                let facts: Vec<String> = entry
                    .facts
                    .iter()
                    .map(|(path, value)| format!("{path} = {value}"))
                    .collect();
                let _ = writeln!(out, "    read {}", one_line(&facts.join(", ")));
            }
        }
        if !decision.why_not.is_empty() {
            let _ = writeln!(out, "why not:");
        }
        for entry in &decision.why_not {
            let _ = writeln!(
                out,
                "  {} ({}): would conclude {}",
                one_line(&entry.rule),
                one_line(&entry.cite),
                one_line(&entry.would_conclude.join(", "))
            );
            let _ = writeln!(out, "    but {}", one_line(&entry.because_not));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::{one_line, quoted};

    #[test]
    fn nothing_printed_can_start_a_line() {
        assert_eq!(one_line("a b"), "a b");
        assert_eq!(
            one_line("a\nb\r\u{1b}[2J\u{2028}"),
            "a\\nb\\r\\u{1b}[2J\\u{2028}"
        );
        assert_eq!(quoted("PO-1"), "\"PO-1\"");
        assert_eq!(quoted("a\"b\\c\nd"), "\"a\\\"b\\\\c\\nd\"");
    }
}
