//! `cordon eval`: decide transactions (one JSON object, a `.jsonl` batch, or stdin).

use std::io::{BufRead, IsTerminal, Read, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use rayon::prelude::*;
use serde_json::{Value as Json, json};

use cordon_engine::{DecideError, Decision, Policy};

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
}

pub(crate) enum Input {
    One(String),
    Lines(Vec<String>),
}

pub(crate) fn read_input(path: &PathBuf) -> Result<Input, String> {
    if path.as_os_str() == "-" {
        let mut text = String::new();
        std::io::stdin()
            .read_to_string(&mut text)
            .map_err(|error| format!("cannot read the facts from stdin: {error}"))?;
        return Ok(match serde_json::from_str::<Json>(&text) {
            Ok(_) => Input::One(text),
            Err(_) => Input::Lines(text.lines().map(str::to_string).collect()),
        });
    }
    let file = std::fs::File::open(path)
        .map_err(|error| format!("cannot read facts file `{}`: {error}", path.display()))?;
    if path.extension().is_some_and(|ext| ext == "jsonl") {
        let lines = std::io::BufReader::new(file)
            .lines()
            .collect::<Result<Vec<_>, _>>()
            .map_err(|error| format!("cannot read facts file `{}`: {error}", path.display()))?;
        return Ok(Input::Lines(lines));
    }
    let mut text = String::new();
    std::io::BufReader::new(file)
        .read_to_string(&mut text)
        .map_err(|error| format!("cannot read facts file `{}`: {error}", path.display()))?;
    Ok(Input::One(text))
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
    let explain = args.explain || !args.no_trace;
    let input = read_input(&args.facts)?;
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    let write_error = |error: std::io::Error| format!("cannot write the decisions: {error}");
    match input {
        Input::One(text) => {
            let result =
                cordon_engine::decide_text(&policy, args.version.as_deref(), &text, explain);
            match result {
                Ok(decision) => {
                    write_decision(&mut out, &decision, format, args.explain)
                        .map_err(write_error)?;
                    Ok(ExitCode::SUCCESS)
                }
                Err(error) => {
                    out.flush().map_err(write_error)?;
                    Err(error_line(&error))
                }
            }
        }
        Input::Lines(lines) => {
            let progress = (std::io::stderr().is_terminal() && lines.len() >= 10_000)
                .then(|| indicatif::ProgressBar::new(lines.len() as u64));
            let mut failed = false;
            // Evaluate in chunks on all cores, write each chunk in input order.
            for (chunk_index, chunk) in lines.chunks(8192).enumerate() {
                let results: Vec<(usize, Option<Result<Decision, DecideError>>)> = chunk
                    .par_iter()
                    .enumerate()
                    .map(|(index, line)| {
                        let number = chunk_index * 8192 + index + 1;
                        if line.trim().is_empty() {
                            return (number, None);
                        }
                        (
                            number,
                            Some(cordon_engine::decide_text(
                                &policy,
                                args.version.as_deref(),
                                line,
                                explain,
                            )),
                        )
                    })
                    .collect();
                for (number, result) in results {
                    match result {
                        None => {}
                        Some(Ok(decision)) => {
                            write_decision(&mut out, &decision, format, args.explain)
                                .map_err(write_error)?
                        }
                        Some(Err(error)) => {
                            failed = true;
                            let record = json!({ "line": number, "error": error });
                            match format {
                                Format::Json => writeln!(out, "{record}").map_err(write_error)?,
                                Format::Text => {
                                    writeln!(out, "line {number}: error: {}", error_line(&error))
                                        .map_err(write_error)?
                                }
                            }
                        }
                    }
                }
                if let Some(progress) = &progress {
                    progress.inc(chunk.len() as u64);
                }
            }
            if let Some(progress) = progress {
                progress.finish_and_clear();
            }
            out.flush().map_err(write_error)?;
            Ok(if failed {
                ExitCode::FAILURE
            } else {
                ExitCode::SUCCESS
            })
        }
    }
}

fn error_line(error: &DecideError) -> String {
    match error {
        DecideError::Facts { errors } if errors.len() > 1 => {
            let lines: Vec<String> = errors.iter().map(ToString::to_string).collect();
            format!(
                "the facts do not fit the policy's schema:\n  {}",
                lines.join("\n  ")
            )
        }
        other => other.to_string(),
    }
}

fn write_decision(
    out: &mut impl Write,
    decision: &Decision,
    format: Format,
    explain: bool,
) -> std::io::Result<()> {
    match format {
        Format::Json => {
            if explain {
                writeln!(out, "{}", decision.to_json_line())
            } else {
                let mut decision = decision.clone();
                decision.why_not.clear();
                writeln!(out, "{}", decision.to_json_line())
            }
        }
        Format::Text => write!(
            out,
            "{}",
            crate::commands::text::decision(decision, explain)
        ),
    }
}
