//! `cordon records`: keep, check and read the decision records (`cordon eval --records`). This
//! file only reads arguments and prints; the work is `cordon_records`.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use cordon_engine::Policy;
use cordon_records::checkpoint::{Signer, Verifier};
use cordon_records::record::parse_time;
use cordon_records::{Create, Window};

use crate::commands::diff;

#[derive(clap::Args)]
pub struct Args {
    #[command(subcommand)]
    pub command: Command,
}

/// How `cordon eval` and `cordon serve` record their decisions.
#[derive(clap::Args)]
pub struct Recording {
    /// Record every decision in this log (`sqlite:PATH` or `postgres://...`) before it is
    /// printed or answered: the facts as received, the outcome, the trace and the version.
    #[arg(long)]
    pub records: Option<String>,
    /// With `--records`: sign checkpoints of the log with this key (`cordon records keygen`).
    #[arg(long, requires = "records")]
    pub records_key: Option<PathBuf>,
    /// With `--records-key`: sign a checkpoint once this many records were appended since the
    /// last one...
    #[arg(long, requires = "records_key", default_value_t = cordon_records::Options::default().checkpoint_every)]
    pub checkpoint_every: u64,
    /// ...or once this many seconds have passed since the last one, if records were appended.
    #[arg(long, requires = "records_key", default_value_t = cordon_records::Options::default().checkpoint_interval.as_secs())]
    pub checkpoint_seconds: u64,
}

impl Recording {
    /// The log to record in, if one was given.
    pub fn settings(&self) -> Option<cordon_records::Settings> {
        self.records.as_ref().map(|url| cordon_records::Settings {
            key_file: self.records_key.clone(),
            checkpoint_every: self.checkpoint_every,
            checkpoint_interval: std::time::Duration::from_secs(self.checkpoint_seconds),
            ..cordon_records::Settings::new(url.clone())
        })
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Json,
    Text,
}

#[derive(clap::Subcommand)]
pub enum Command {
    /// Write a new Ed25519 key that signs checkpoints (`FILE`) and its public key (`FILE.pub`).
    Keygen {
        /// Where to write the signing key; the public key goes beside it, with `.pub` added.
        file: PathBuf,
        /// The key's name, written in each signature line (`records.example.com`).
        #[arg(long, default_value = "cordon-records")]
        name: String,
    },
    /// Recompute the hash chain and every checkpoint; name the first record altered, removed,
    /// inserted or reordered, and exit non-zero if there is one.
    Verify {
        /// The log: `sqlite:PATH` or `postgres://...`.
        url: String,
        /// The public key the checkpoints must be signed with (else the one the log names).
        #[arg(long)]
        key: Option<PathBuf>,
        /// A checkpoint kept elsewhere (`records checkpoint` printed it): check the log against
        /// it too. May be given several times.
        #[arg(long)]
        checkpoint: Vec<PathBuf>,
        #[arg(long, value_enum, default_value = "text")]
        format: Format,
    },
    /// Print the records of a decision id, a transaction id or a sequence number, as JSON.
    Show { url: String, id: String },
    /// Print the records as JSON lines, oldest first.
    Export {
        url: String,
        /// Only records received on or after this date or time (`2026-01-15`).
        #[arg(long)]
        since: Option<String>,
        /// Only records received before this date or time.
        #[arg(long)]
        until: Option<String>,
    },
    /// How many records, of which versions, over which times; checkpoints and pruning.
    Stats {
        url: String,
        #[arg(long, value_enum, default_value = "text")]
        format: Format,
    },
    /// Correct a record: decide the corrected facts and append a new record that names the one
    /// it corrects (records are never changed).
    Correct {
        url: String,
        /// The sequence number of the record to correct.
        sequence: u64,
        /// The policy directory.
        #[arg(long)]
        policy: PathBuf,
        /// The corrected transaction (one JSON object).
        #[arg(long)]
        facts: PathBuf,
        /// Pin a version; default: the version in force on the transaction's date.
        #[arg(long)]
        version: Option<String>,
        /// Sign a checkpoint of the log with this key once the correction is recorded.
        #[arg(long)]
        records_key: Option<PathBuf>,
    },
    /// Print the log's latest signed checkpoint, to keep a copy elsewhere.
    Checkpoint { url: String },
    /// Decide recorded transactions again under another version and report what would change,
    /// grouped and attributed to rules as `cordon diff --facts` groups a corpus.
    Replay {
        url: String,
        /// The policy directory.
        #[arg(long)]
        policy: PathBuf,
        /// The version to decide under (`2025-05-13`, or `2025-05-13@sha256:...`).
        #[arg(long)]
        version: String,
        #[arg(long)]
        since: Option<String>,
        #[arg(long)]
        until: Option<String>,
        #[arg(long, value_enum, default_value = "text")]
        format: Format,
    },
    /// Remove the records received before a date, if they are all older than five years (15 CFR
    /// 762.6); the chain stays verifiable from a checkpoint of what was removed.
    Prune {
        url: String,
        #[arg(long)]
        before: String,
        /// The key that signs the checkpoint of the pruned records.
        #[arg(long)]
        records_key: Option<PathBuf>,
    },
}

/// The signing key in `path`.
fn read_signer(path: &PathBuf) -> Result<Signer, String> {
    let text = std::fs::read_to_string(path)
        .map_err(|error| format!("cannot read key file `{}`: {error}", path.display()))?;
    Signer::parse(&text, &format!("key file `{}`", path.display())).map_err(|e| e.to_string())
}

fn read_verifier(path: &PathBuf) -> Result<Verifier, String> {
    let text = std::fs::read_to_string(path)
        .map_err(|error| format!("cannot read key file `{}`: {error}", path.display()))?;
    Verifier::parse(&text, &format!("key file `{}`", path.display())).map_err(|e| e.to_string())
}

fn window(since: Option<&str>, until: Option<&str>) -> Result<Window, String> {
    Ok(Window {
        since: since.map(parse_time).transpose()?,
        until: until.map(parse_time).transpose()?,
    })
}

fn open(url: &str) -> Result<Box<dyn cordon_records::Store>, String> {
    cordon_records::open(url, Create::No).map_err(|error| error.to_string())
}

fn write_error(error: std::io::Error) -> String {
    format!("cannot write the output: {error}")
}

pub fn run(args: &Args) -> Result<ExitCode, String> {
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    let code = match &args.command {
        Command::Keygen { file, name } => {
            let signer = Signer::generate(name).map_err(|e| e.to_string())?;
            let public = PathBuf::from(format!("{}.pub", file.display()));
            for path in [file, &public] {
                if path.exists() {
                    return Err(format!(
                        "`{}` exists: a key is never overwritten",
                        path.display()
                    ));
                }
            }
            let write = |path: &PathBuf, text: String| {
                std::fs::write(path, text + "\n")
                    .map_err(|error| format!("cannot write `{}`: {error}", path.display()))
            };
            write(file, signer.to_text())?;
            write(&public, signer.verifier().to_text())?;
            writeln!(
                out,
                "signing key in `{}` (keep it secret), public key in `{}`",
                file.display(),
                public.display()
            )
            .map_err(write_error)?;
            ExitCode::SUCCESS
        }
        Command::Verify {
            url,
            key,
            checkpoint,
            format,
        } => {
            let key = key.as_ref().map(read_verifier).transpose()?;
            let mut extra = Vec::new();
            for path in checkpoint {
                let text = std::fs::read_to_string(path).map_err(|error| {
                    format!("cannot read checkpoint `{}`: {error}", path.display())
                })?;
                extra.push((format!("checkpoint file `{}`", path.display()), text));
            }
            let mut store = open(url)?;
            let report = cordon_records::verify::verify(store.as_mut(), key.as_ref(), &extra)
                .map_err(|error| error.to_string())?;
            match format {
                Format::Json => {
                    let json = serde_json::to_string_pretty(&report).map_err(|e| e.to_string())?;
                    writeln!(out, "{json}").map_err(write_error)?;
                }
                Format::Text => {
                    let signatures = match report.signatures.as_str() {
                        "given" => "signatures checked with the given key",
                        "log" => {
                            "signatures checked with the key the log names (give --key to check \
                             with a copy kept elsewhere)"
                        }
                        _ => "no key: signatures not checked",
                    };
                    writeln!(
                        out,
                        "{} records verified{}; {} checkpoints matched; {signatures}",
                        report.records,
                        if report.pruned > 0 {
                            format!(" after {} pruned", report.pruned)
                        } else {
                            String::new()
                        },
                        report.checkpoints_checked
                    )
                    .map_err(write_error)?;
                    if report.unsigned_tail > 0 {
                        writeln!(
                            out,
                            "the last {} records are not yet covered by a checkpoint",
                            report.unsigned_tail
                        )
                        .map_err(write_error)?;
                    }
                    if let Some(problem) = &report.problem {
                        writeln!(out, "FAILED: {problem}").map_err(write_error)?;
                    } else {
                        writeln!(out, "ok").map_err(write_error)?;
                    }
                }
            }
            if report.ok() {
                ExitCode::SUCCESS
            } else {
                ExitCode::FAILURE
            }
        }
        Command::Show { url, id } => {
            let records = open(url)?.find(id).map_err(|error| error.to_string())?;
            if records.is_empty() {
                return Err(format!("no record has the id or sequence number `{id}`"));
            }
            for record in &records {
                let json =
                    serde_json::to_string_pretty(&record.to_json()).map_err(|e| e.to_string())?;
                writeln!(out, "{json}").map_err(write_error)?;
            }
            ExitCode::SUCCESS
        }
        Command::Export { url, since, until } => {
            let window = window(since.as_deref(), until.as_deref())?;
            let mut store = open(url)?;
            cordon_records::for_each(store.as_mut(), &window, |record| {
                serde_json::to_writer(&mut out, &record.to_json())
                    .map_err(|e| cordon_records::RecordsError::new(e.to_string()))?;
                out.write_all(b"\n")
                    .map_err(|e| cordon_records::RecordsError::new(write_error(e)))
            })
            .map_err(|error| error.to_string())?;
            ExitCode::SUCCESS
        }
        Command::Stats { url, format } => {
            let stats =
                cordon_records::stats(open(url)?.as_mut()).map_err(|error| error.to_string())?;
            match format {
                Format::Json => {
                    let json = serde_json::to_string_pretty(&stats).map_err(|e| e.to_string())?;
                    writeln!(out, "{json}").map_err(write_error)?;
                }
                Format::Text => {
                    writeln!(
                        out,
                        "log {}: {} records ({} pruned), {} checkpoints{}",
                        stats.origin.as_deref().unwrap_or("(unnamed)"),
                        stats.size,
                        stats.pruned,
                        stats.checkpoints,
                        stats
                            .last_checkpoint
                            .map(|size| format!(", the last at size {size}"))
                            .unwrap_or_default()
                    )
                    .map_err(write_error)?;
                    for version in &stats.versions {
                        writeln!(
                            out,
                            "  {} {} ({}): {} records, received {} to {}",
                            version.policy,
                            version.version,
                            version.content_hash,
                            version.records,
                            version.first_received,
                            version.last_received
                        )
                        .map_err(write_error)?;
                    }
                }
            }
            ExitCode::SUCCESS
        }
        Command::Correct {
            url,
            sequence,
            policy,
            facts,
            version,
            records_key,
        } => {
            let signer = records_key.as_ref().map(read_signer).transpose()?;
            let mut store = open(url)?;
            let corrected = store
                .find(&sequence.to_string())
                .map_err(|error| error.to_string())?;
            if !corrected.iter().any(|record| record.sequence == *sequence) {
                return Err(format!("the log has no record {sequence} to correct"));
            }
            let received = cordon_records::now();
            let text = crate::commands::eval::open_facts_file(facts)
                .and_then(|file| crate::commands::eval::read_transaction_file(file, facts))?;
            let policy = Policy::load(policy).map_err(|error| error.to_string())?;
            let decision = cordon_engine::decide_text(
                &policy,
                version.as_deref(),
                &text,
                cordon_engine::Detail::Trace,
            )
            .map_err(|error| error.to_string())?;
            let mut entry =
                cordon_records::Entry::of_decision(&decision, text.as_bytes(), received);
            entry.corrects = Some(*sequence);
            let options = cordon_records::Options {
                signer,
                ..cordon_records::Options::default()
            };
            let appender =
                cordon_records::Appender::start(store, options).map_err(|e| e.to_string())?;
            let recorded = appender.append(entry).map_err(|error| error.to_string())?;
            appender.close().map_err(|error| error.to_string())?;
            writeln!(out, "record {recorded} corrects record {sequence}").map_err(write_error)?;
            ExitCode::SUCCESS
        }
        Command::Checkpoint { url } => {
            let checkpoints = open(url)?
                .checkpoints()
                .map_err(|error| error.to_string())?;
            let Some((_, note)) = checkpoints.last() else {
                return Err(
                    "the log has no checkpoint: write records with `--records-key`".to_string(),
                );
            };
            out.write_all(note.as_bytes()).map_err(write_error)?;
            ExitCode::SUCCESS
        }
        Command::Replay {
            url,
            policy,
            version,
            since,
            until,
            format,
        } => {
            let window = window(since.as_deref(), until.as_deref())?;
            let policy = Policy::load(policy).map_err(|error| error.to_string())?;
            let mut store = open(url)?;
            let replay = cordon_records::replay::replay(store.as_mut(), &policy, version, &window)
                .map_err(|error| error.to_string())?;
            match format {
                Format::Json => {
                    let json = serde_json::to_string_pretty(&replay).map_err(|e| e.to_string())?;
                    writeln!(out, "{json}").map_err(write_error)?;
                }
                Format::Text => {
                    writeln!(
                        out,
                        "policy {}: {} records decided again under {}",
                        replay.policy, replay.records, replay.to.version
                    )
                    .map_err(write_error)?;
                    for recorded in &replay.recorded {
                        let text = match (&recorded.corpus, &recorded.error) {
                            (Some(corpus), _) => diff::corpus_text(
                                corpus,
                                &recorded.version,
                                &replay.to.version,
                                "record",
                            ),
                            (None, Some(error)) => format!("  error: {error}\n"),
                            (None, None) => String::new(),
                        };
                        write!(
                            out,
                            "\nrecorded under {} ({}): {} records\n{text}",
                            recorded.version, recorded.content_hash, recorded.records
                        )
                        .map_err(write_error)?;
                    }
                }
            }
            ExitCode::SUCCESS
        }
        Command::Prune {
            url,
            before,
            records_key,
        } => {
            let signer = records_key.as_ref().map(read_signer).transpose()?;
            let before = parse_time(before)?;
            let today = jiff::Zoned::now()
                .with_time_zone(jiff::tz::TimeZone::UTC)
                .date();
            let pruned =
                cordon_records::prune::prune(open(url)?.as_mut(), &before, today, signer.as_ref())
                    .map_err(|error| error.to_string())?;
            writeln!(
                out,
                "pruned {} records; the log now starts after record {}{}",
                pruned.removed,
                pruned.base,
                if pruned.signed {
                    ", whose checkpoint is signed"
                } else {
                    ""
                }
            )
            .map_err(write_error)?;
            ExitCode::SUCCESS
        }
    };
    out.flush().map_err(write_error)?;
    Ok(code)
}
