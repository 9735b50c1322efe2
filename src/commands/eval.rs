//! `cordon eval`: decide transactions (one JSON object, a `.jsonl` batch, or stdin).

use std::io::{IsTerminal, Read, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use rayon::prelude::*;
use serde_json::Value as Json;

pub(crate) use cordon_engine::batch::split_lines;
use cordon_engine::batch::{self, BLANK, is_blank, line_error};
use cordon_engine::{DecideError, Decision, Detail, Policy, Workspace};
use cordon_lang::load::{NotRegular, regular_file};
use cordon_records::{Appender, Entry};

use crate::commands::text;

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Json,
    Text,
}

#[derive(clap::Args)]
pub struct Args {
    /// The policy directory (`policies/ear`).
    #[arg(long)]
    pub policy: PathBuf,
    /// Pin a version (`2025-01-13`, or `2025-01-13@sha256:...`); default: the version in force on
    /// each transaction's date.
    #[arg(long)]
    pub version: Option<String>,
    /// A JSON object, a `.jsonl` file (one transaction per line), or `-` for stdin.
    #[arg(long)]
    pub facts: PathBuf,
    /// Output format; default: JSON when stdout is not a terminal, text when it is.
    #[arg(long, value_enum)]
    pub format: Option<Format>,
    /// Explain each decision for people: the rules that decided and why others did not.
    #[arg(long)]
    pub explain: bool,
    /// Leave the trace out of JSON decisions (faster for large batches).
    #[arg(long)]
    pub no_trace: bool,
    #[command(flatten)]
    pub recording: crate::commands::records::Recording,
}

/// A decision ready to print, and whether its trace is printed (it is recorded either way).
struct Decided {
    decision: Decision,
    print_trace: bool,
}

pub(crate) enum Input {
    /// One transaction: a JSON file, or stdin holding one JSON value.
    One(String),
    /// Several transactions on stdin, one a line, as read (see [`split_lines`]).
    Lines(Vec<u8>),
    /// A `.jsonl` file, read a block of lines at a time.
    File(std::fs::File, PathBuf),
}

/// Reads the facts `path` names. Input that holds nothing but whitespace is an error naming it;
/// so is a JSON file that is not UTF-8. Lines are left as bytes: one that is not UTF-8 is an
/// error of its own line.
pub(crate) fn read_input(path: &std::path::Path) -> Result<Input, String> {
    if path.as_os_str() == "-" {
        let mut bytes = Vec::new();
        std::io::stdin()
            .read_to_end(&mut bytes)
            .map_err(|error| format!("cannot read the facts from stdin: {error}"))?;
        if is_blank(&bytes) {
            return Err("no transaction on stdin: it is empty".to_string());
        }
        // One JSON value (an object over several lines, say) is one transaction.
        if let Ok(text) = std::str::from_utf8(&bytes)
            && serde_json::from_str::<Json>(text).is_ok()
        {
            return Ok(Input::One(text.to_string()));
        }
        return Ok(Input::Lines(bytes));
    }
    let file = open_facts_file(path)?;
    if path.extension().is_some_and(|ext| ext == "jsonl") {
        return Ok(Input::File(file, path.to_path_buf()));
    }
    read_transaction_file(file, path).map(Input::One)
}

/// Opens a facts file: a regular file (or a symlink to one), checked before it is opened
/// (opening a FIFO blocks, and a device can be read forever) and again once it is open. The
/// error names the file and what it is.
pub(crate) fn open_facts_file(path: &std::path::Path) -> Result<std::fs::File, String> {
    let cannot = |reason: &dyn std::fmt::Display| {
        format!("cannot read facts file `{}`: {reason}", path.display())
    };
    let refuse = |what: &str| {
        cannot(&format!(
            "it is {what}, not a regular file (facts are read from a regular file, or from \
             stdin with `--facts -`)"
        ))
    };
    let checked = |problem| match problem {
        NotRegular::Unreadable(error) => cannot(&error),
        NotRegular::Other(what) => refuse(&what),
    };
    regular_file(path).map_err(checked)?;
    let file = std::fs::File::open(path).map_err(|error| cannot(&error))?;
    let metadata = file.metadata().map_err(|error| cannot(&error))?;
    if !metadata.is_file() {
        // Replaced by something else between the check and the opening.
        regular_file(path).map_err(checked)?;
        return Err(cannot(
            &"it was replaced, as it was opened, by something that is not a regular file",
        ));
    }
    Ok(file)
}

/// Reads one transaction from an open facts file: at most
/// [`batch::MAX_TRANSACTION_BYTES`] (counted as it is read, not only from the file's size),
/// not blank, in UTF-8.
pub(crate) fn read_transaction_file(
    file: std::fs::File,
    path: &std::path::Path,
) -> Result<String, String> {
    let mut bytes = Vec::new();
    std::io::BufReader::new(file)
        .take(batch::MAX_TRANSACTION_BYTES as u64 + 1)
        .read_to_end(&mut bytes)
        .map_err(|error| format!("cannot read facts file `{}`: {error}", path.display()))?;
    if bytes.len() > batch::MAX_TRANSACTION_BYTES {
        return Err(format!(
            "facts file `{}` is larger than {}, the limit for one transaction (a batch is a \
             `.jsonl` file, one transaction a line)",
            path.display(),
            batch::MAX_TRANSACTION_TEXT
        ));
    }
    if is_blank(&bytes) {
        return Err(empty_file(path));
    }
    String::from_utf8(bytes).map_err(|error| {
        format!(
            "facts file `{}` is not valid UTF-8 (at byte {})",
            path.display(),
            error.utf8_error().valid_up_to() + 1
        )
    })
}

fn empty_file(path: &std::path::Path) -> String {
    format!(
        "no transaction in facts file `{}`: it is empty or holds only whitespace",
        path.display()
    )
}

/// The record of a line that could not be decided.
fn push_error(out: &mut Vec<u8>, number: usize, error: &DecideError, format: Format) {
    match format {
        Format::Json => batch::write_error_line(out, number, error),
        Format::Text => {
            out.extend_from_slice(
                format!("line {number}: error: {}\n", error_line(error)).as_bytes(),
            );
        }
    }
}

/// About this many bytes of a `.jsonl` file are read, decided and written at a time.
const BLOCK: usize = 4 << 20;

/// The next block of whole lines of a file (the last may lack its newline), `None` at the end.
/// A line longer than [`batch::MAX_TRANSACTION_BYTES`] is kept to that many bytes and one more
/// (enough for [`batch::decide_line`] to refuse it) and the rest of it is skipped, so no line
/// holds more than that in memory, whatever the file holds.
fn next_block(
    file: &mut std::fs::File,
    carry: &mut Vec<u8>,
    path: &std::path::Path,
) -> Result<Option<Vec<u8>>, String> {
    let error = |error: &dyn std::fmt::Display| {
        format!("cannot read facts file `{}`: {error}", path.display())
    };
    let mut block = std::mem::take(carry);
    // Read about a block more, and more again while no line has ended in it (a line longer than
    // a block is read whole, up to the limit of one transaction).
    let ended = loop {
        let start = block.len();
        let filled = fill(file, &mut block, BLOCK).map_err(|problem| error(&problem))?;
        let ended = filled < BLOCK;
        if ended || block[start..].contains(&b'\n') {
            break ended;
        }
        // No line ended in the block, so it is one line (a carried line holds no newline).
        if block.len() > batch::MAX_TRANSACTION_BYTES {
            block.truncate(batch::MAX_TRANSACTION_BYTES + 1);
            match skip_line(file).map_err(|problem| error(&problem))? {
                Some(rest) => {
                    block.push(b'\n');
                    block.extend_from_slice(&rest);
                    break false;
                }
                None => break true,
            }
        }
    };
    if block.is_empty() {
        return Ok(None);
    }
    // Keep a partial last line for the next block (unless the file ended).
    if !ended && let Some(end) = block.iter().rposition(|byte| *byte == b'\n') {
        *carry = block.split_off(end + 1);
    }
    Ok(Some(block))
}

/// Appends up to `count` bytes of `file` to `block`, fewer only at its end; returns how many.
fn fill(file: &mut std::fs::File, block: &mut Vec<u8>, count: usize) -> std::io::Result<usize> {
    let start = block.len();
    block.resize(start + count, 0);
    let mut filled = start;
    while filled < block.len() {
        match file.read(&mut block[filled..]) {
            Ok(0) => break,
            Ok(read) => filled += read,
            Err(problem) if problem.kind() == std::io::ErrorKind::Interrupted => {}
            Err(problem) => {
                block.truncate(filled);
                return Err(problem);
            }
        }
    }
    block.truncate(filled);
    Ok(filled - start)
}

/// Reads past the rest of a line; returns what was read after its newline, or `None` when the
/// file ends first.
fn skip_line(file: &mut std::fs::File) -> std::io::Result<Option<Vec<u8>>> {
    let mut buffer = vec![0; 64 << 10];
    loop {
        let read = match file.read(&mut buffer) {
            Ok(0) => return Ok(None),
            Ok(read) => read,
            Err(problem) if problem.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(problem) => return Err(problem),
        };
        if let Some(newline) = buffer[..read].iter().position(|byte| *byte == b'\n') {
            return Ok(Some(buffer[newline + 1..read].to_vec()));
        }
    }
}

/// Decides lines on all cores and returns what to print for them, one record a line in input
/// order (a line that is not UTF-8, or blank, is an error record), and whether any failed.
/// `first` is the number of the first line. With `records`, the lines are returned only once
/// the records of their decisions are durable; a decision that cannot be recorded is the error
/// of the whole run.
fn decide_lines(
    policy: &Policy,
    args: &Args,
    format: Format,
    detail: Detail,
    lines: &[&[u8]],
    first: usize,
    records: Option<&Appender>,
) -> Result<(Vec<Vec<u8>>, bool), String> {
    const PIECE: usize = 64;
    let print_trace = args.explain || (format == Format::Json && !args.no_trace);
    let results: Vec<(Vec<u8>, bool, Vec<cordon_records::Pending>)> = lines
        .par_chunks(PIECE)
        .enumerate()
        .map_init(Workspace::default, |workspace, (piece, lines)| {
            let mut out = Vec::new();
            let mut failed = false;
            let mut pending = Vec::new();
            for (index, line) in lines.iter().enumerate() {
                let number = first + piece * PIECE + index;
                let received = records.map(|_| cordon_records::now());
                let decided =
                    batch::decide_line(policy, args.version.as_deref(), line, detail, workspace);
                match decided {
                    Ok(decision) => {
                        if let (Some(records), Some(received)) = (records, received) {
                            let entry = Entry::of_decision(&decision, line, received);
                            pending.push(records.submit(entry));
                        }
                        let decided = Decided {
                            decision,
                            print_trace,
                        };
                        push_decision(&mut out, decided, format, args.explain);
                    }
                    Err(error) => {
                        failed = true;
                        push_error(&mut out, number, &error, format);
                    }
                }
            }
            (out, failed, pending)
        })
        .collect();
    // Every record of the lines is durable before any of them is printed; the pieces' records
    // were handed over as they were decided, so they share few commits.
    let mut outputs = Vec::with_capacity(results.len());
    let mut failed = false;
    for (out, piece_failed, pending) in results {
        for pending in pending {
            pending.wait().map_err(|error| record_error(&error))?;
        }
        outputs.push(out);
        failed |= piece_failed;
    }
    Ok((outputs, failed))
}

fn record_error(error: &cordon_records::RecordsError) -> String {
    format!("cannot record a decision (nothing more is printed): {error}")
}

/// The records' appender `--records` asks for.
fn open_records(args: &Args) -> Result<Option<Appender>, String> {
    args.recording
        .settings()
        .as_ref()
        .map(cordon_records::Settings::start)
        .transpose()
        .map_err(|error| error.to_string())
}

pub fn run(args: &Args) -> Result<ExitCode, String> {
    let policy = Policy::load(&args.policy).map_err(|error| error.to_string())?;
    if let Some(pin) = &args.version {
        policy.pinned(pin).map_err(|error| error.to_string())?;
    }
    let format = args.format.unwrap_or(if std::io::stdout().is_terminal() {
        Format::Text
    } else {
        Format::Json
    });
    // The trace is part of the decision unless left out; why-not only when explaining.
    // Text prints the trace only when explaining.
    // A record keeps the trace whatever is printed.
    let detail = if args.explain {
        Detail::Explain
    } else if (args.no_trace || format == Format::Text) && args.recording.records.is_none() {
        Detail::Outcome
    } else {
        Detail::Trace
    };
    let records = open_records(args)?;
    let result = run_with(args, &policy, format, detail, records.as_ref());
    if let Some(records) = records {
        records.close().map_err(|error| record_error(&error))?;
    }
    result
}

fn run_with(
    args: &Args,
    policy: &Policy,
    format: Format,
    detail: Detail,
    records: Option<&Appender>,
) -> Result<ExitCode, String> {
    let input = read_input(&args.facts)?;
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    let write_error = |error: std::io::Error| format!("cannot write the decisions: {error}");
    match input {
        Input::One(text) => {
            let received = cordon_records::now();
            let result = cordon_engine::decide_text(policy, args.version.as_deref(), &text, detail);
            match result {
                Ok(decision) => {
                    if let Some(records) = records {
                        let entry = Entry::of_decision(&decision, text.as_bytes(), received);
                        records
                            .append(entry)
                            .map_err(|error| record_error(&error))?;
                    }
                    let decided = Decided {
                        decision,
                        print_trace: args.explain || (format == Format::Json && !args.no_trace),
                    };
                    write_decision(&mut out, decided, format, args.explain)
                        .and_then(|()| out.flush())
                        .map_err(write_error)?;
                    Ok(ExitCode::SUCCESS)
                }
                Err(error) => {
                    out.flush().map_err(write_error)?;
                    Err(error_line(&error))
                }
            }
        }
        Input::Lines(bytes) => {
            let lines = split_lines(&bytes);
            let progress = (std::io::stderr().is_terminal() && lines.len() >= 10_000)
                .then(|| indicatif::ProgressBar::new(lines.len() as u64));
            let mut failed = false;
            for (index, group) in lines.chunks(8192).enumerate() {
                let (outputs, group_failed) = decide_lines(
                    policy,
                    args,
                    format,
                    detail,
                    group,
                    index * 8192 + 1,
                    records,
                )?;
                failed |= group_failed;
                for output in outputs {
                    out.write_all(&output).map_err(write_error)?;
                }
                if let Some(progress) = &progress {
                    progress.inc(group.len() as u64);
                }
            }
            if let Some(progress) = progress {
                progress.finish_and_clear();
            }
            out.flush().map_err(write_error)?;
            Ok(exit_code(failed))
        }
        Input::File(mut file, path) => {
            // Three stages at once: a thread reads blocks, this one decides them on all cores, a
            // thread writes what was decided.
            drop(out);
            let size = file.metadata().map(|metadata| metadata.len()).unwrap_or(0);
            // Shown for files of about 10,000 transactions or more.
            let progress = (std::io::stderr().is_terminal() && size >= 8 << 20).then(|| {
                let bar = indicatif::ProgressBar::new(size);
                if let Ok(style) = indicatif::ProgressStyle::with_template(
                    "{wide_bar} {binary_bytes}/{binary_total_bytes} {eta}",
                ) {
                    bar.set_style(style);
                }
                bar
            });
            let (blocks, read) = std::sync::mpsc::sync_channel(2);
            let (decided, decisions) = std::sync::mpsc::sync_channel::<Vec<Vec<u8>>>(2);
            let failed = std::thread::scope(|scope| {
                scope.spawn(move || {
                    let mut carry = Vec::new();
                    loop {
                        let block = next_block(&mut file, &mut carry, &path);
                        let last = !matches!(block, Ok(Some(_)));
                        if blocks.send(block).is_err() || last {
                            break;
                        }
                    }
                });
                let writer = scope.spawn(move || {
                    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
                    for outputs in decisions {
                        for output in outputs {
                            out.write_all(&output).map_err(write_error)?;
                        }
                    }
                    out.flush().map_err(write_error)
                });
                let mut failed = false;
                let mut first = 1;
                // Blank lines before the first transaction are held back (counted) until one
                // comes: a file of nothing else is an error, not a list of blank lines.
                let mut any = false;
                for block in read {
                    let Some(block) = block? else { break };
                    let lines = split_lines(&block);
                    if !any {
                        if lines.iter().all(|line| is_blank(line)) {
                            first += lines.len();
                            continue;
                        }
                        any = true;
                        failed |= first > 1;
                        let blank = line_error(BLANK.to_string());
                        let mut number = 1;
                        while number < first {
                            let end = (number + 8192).min(first);
                            let mut out = Vec::new();
                            for number in number..end {
                                push_error(&mut out, number, &blank, format);
                            }
                            if decided.send(vec![out]).is_err() {
                                break;
                            }
                            number = end;
                        }
                    }
                    let (outputs, block_failed) =
                        decide_lines(policy, args, format, detail, &lines, first, records)?;
                    failed |= block_failed;
                    first += lines.len();
                    if decided.send(outputs).is_err() {
                        break;
                    }
                    if let Some(progress) = &progress {
                        progress.inc(block.len() as u64);
                    }
                }
                drop(decided);
                writer
                    .join()
                    .map_err(|_| "the writer of the decisions stopped".to_string())??;
                if !any {
                    return Err(empty_file(&args.facts));
                }
                Ok::<bool, String>(failed)
            })?;
            if let Some(progress) = progress {
                progress.finish_and_clear();
            }
            Ok(exit_code(failed))
        }
    }
}

fn exit_code(failed: bool) -> ExitCode {
    if failed {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}

/// An error as people read it: each of its problems on a line of its own (what the
/// transaction holds escaped so that it cannot start a line).
fn error_line(error: &DecideError) -> String {
    match error {
        DecideError::Facts { errors } if errors.len() > 1 => {
            let lines: Vec<String> = errors
                .iter()
                .map(|error| text::one_line(&error.to_string()).into_owned())
                .collect();
            format!(
                "the facts do not fit the policy's schema:\n  {}",
                lines.join("\n  ")
            )
        }
        other => text::one_line(&other.to_string()).into_owned(),
    }
}

fn write_decision(
    out: &mut impl Write,
    decision: Decided,
    format: Format,
    explain: bool,
) -> std::io::Result<()> {
    let mut text = Vec::new();
    push_decision(&mut text, decision, format, explain);
    out.write_all(&text)
}

/// A decision as printed: one line of JSON (with `why_not` when explaining), or text.
fn push_decision(out: &mut Vec<u8>, decided: Decided, format: Format, explain: bool) {
    let Decided {
        mut decision,
        print_trace,
    } = decided;
    if !print_trace {
        decision.trace.clear();
    }
    match format {
        Format::Json => decision.write_json_line(out),
        Format::Text => out.extend_from_slice(text::decision(&decision, explain).as_bytes()),
    }
}
