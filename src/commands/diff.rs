//! `cordon diff`: what changes between two versions of a policy, printed as text, JSON or a
//! markdown report counsel can attach to a memo. The comparison itself is
//! `cordon_engine::diff`; this file only reads arguments and prints.

use std::fmt::Write as _;
use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use cordon_engine::Policy;
use cordon_engine::diff::corpus::{ChangeGroup, CorpusDiff, RuleRef};
use cordon_engine::diff::provisions::ProvisionChange;
use cordon_engine::diff::regions::{Exhaustive, RegionDiff};
use cordon_engine::diff::{self, Report, VersionRef};

use crate::commands::eval::{Input, read_input, split_lines};

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Text,
    Json,
    Markdown,
}

#[derive(clap::Args)]
pub struct Args {
    /// The policy directory (`policies/ear`).
    #[arg(long)]
    pub policy: PathBuf,
    /// The older version (`2025-01-13`, or `2025-01-13@sha256:...`).
    #[arg(long)]
    pub from: String,
    /// The newer version.
    #[arg(long)]
    pub to: String,
    /// A corpus of transactions (`.jsonl`, one per line; one JSON object; `-` for stdin): report every
    /// transaction whose outcome differs between the versions.
    #[arg(long)]
    pub facts: Option<PathBuf>,
    /// Compare the versions over every transaction, without a corpus: report each region of
    /// the input space where they decide differently, with a witness transaction.
    #[arg(long)]
    pub exhaustive: bool,
    /// With `--exhaustive`: write each witness as an in-language test of the `--to` version into
    /// this directory (the `--to` version's directory, to make the diff a regression suite).
    #[arg(long, requires = "exhaustive")]
    pub emit_tests: Option<PathBuf>,
    /// Output format; default: JSON when stdout is not a terminal, text when it is.
    #[arg(long, value_enum)]
    pub format: Option<Format>,
}

/// A corpus's lines, numbered as `eval` numbers them (see `eval::split_lines`). A corpus is
/// compared as a whole, so a line that is not UTF-8 is an error of the whole corpus, naming
/// it; a corpus with no transaction is one too.
fn corpus_lines(bytes: &[u8], name: &str) -> Result<Vec<String>, String> {
    let lines = split_lines(bytes)
        .into_iter()
        .enumerate()
        .map(|(index, line)| {
            String::from_utf8(line.to_vec()).map_err(|error| {
                format!(
                    "{name} is not valid UTF-8: line {}, byte {}",
                    index + 1,
                    error.utf8_error().valid_up_to() + 1
                )
            })
        })
        .collect::<Result<Vec<String>, String>>()?;
    if lines.iter().all(|line| line.trim().is_empty()) {
        return Err(format!(
            "no transaction in {name}: it is empty or holds only whitespace"
        ));
    }
    Ok(lines)
}

pub fn run(args: &Args) -> Result<ExitCode, String> {
    let policy = Policy::load(&args.policy).map_err(|error| error.to_string())?;
    diff::versions(&policy, &args.from, &args.to).map_err(|error| error.to_string())?;
    let lines = match &args.facts {
        None => None,
        Some(path) => Some(match read_input(path)? {
            Input::One(text) => vec![text],
            Input::Lines(bytes) => corpus_lines(&bytes, "the facts on stdin")?,
            Input::File(mut file, path) => {
                let mut bytes = Vec::new();
                std::io::Read::read_to_end(&mut file, &mut bytes).map_err(|error| {
                    format!("cannot read facts file `{}`: {error}", path.display())
                })?;
                corpus_lines(&bytes, &format!("facts file `{}`", path.display()))?
            }
        }),
    };
    let report = diff::report(
        &policy,
        &args.from,
        &args.to,
        lines.as_deref(),
        args.exhaustive,
    )
    .map_err(|error| error.to_string())?;
    if let (Some(directory), Some(exhaustive)) = (&args.emit_tests, &report.exhaustive) {
        let (_, to) =
            diff::versions(&policy, &args.from, &args.to).map_err(|error| error.to_string())?;
        let (path, text) = diff::regions::emit::module(&report.from.version, to, exhaustive);
        let path = directory.join(path);
        std::fs::create_dir_all(directory)
            .and_then(|()| std::fs::write(&path, text))
            .map_err(|error| format!("cannot write `{}`: {error}", path.display()))?;
        writeln!(
            std::io::stderr(),
            "wrote {} of version {} to `{}`",
            plural(exhaustive.regions.len(), "test"),
            report.to.version,
            path.display()
        )
        .map_err(|error| format!("cannot write the report: {error}"))?;
    }
    let format = args.format.unwrap_or(if std::io::stdout().is_terminal() {
        Format::Text
    } else {
        Format::Json
    });
    let output = match format {
        Format::Json => {
            let mut json = serde_json::to_string_pretty(&report)
                .map_err(|error| format!("cannot write the report: {error}"))?;
            json.push('\n');
            json
        }
        Format::Text => text(&report),
        Format::Markdown => markdown(&report),
    };
    let mut stdout = std::io::stdout().lock();
    stdout
        .write_all(output.as_bytes())
        .and_then(|()| stdout.flush())
        .map_err(|error| format!("cannot write the report: {error}"))?;
    let failed = report
        .corpus
        .as_ref()
        .is_some_and(|corpus| !corpus.errors.is_empty());
    Ok(if failed {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}

fn version_line(side: &VersionRef) -> String {
    let mut line = side.version.clone();
    if let Some(title) = &side.title {
        let _ = write!(line, " \"{title}\"");
    }
    if let Some(source) = &side.source {
        let _ = write!(line, " ({source})");
    }
    let _ = write!(line, ", in force {}", side.in_force);
    line
}

fn rules_text(rules: &[RuleRef]) -> String {
    rules
        .iter()
        .map(|rule| format!("{} ({})", rule.rule, rule.cite))
        .collect::<Vec<_>>()
        .join(", ")
}

fn changes_text(group: &ChangeGroup) -> String {
    group
        .changes
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("; ")
}

fn transactions_text(group: &ChangeGroup) -> String {
    group
        .transactions
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}

fn plural(count: usize, noun: &str) -> String {
    if count == 1 {
        format!("1 {noun}")
    } else {
        format!("{count} {noun}s")
    }
}

/// The report for a terminal.
fn text(report: &Report) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "policy {}: {} -> {}",
        report.policy, report.from.version, report.to.version
    );
    let _ = writeln!(out, "  from {}", version_line(&report.from));
    let _ = writeln!(out, "  to   {}", version_line(&report.to));
    let _ = writeln!(
        out,
        "\nprovisions: {} changed",
        plural(report.provisions.len(), "declaration")
    );
    for change in &report.provisions {
        let _ = writeln!(
            out,
            "  {} {}: {}",
            change.kind.as_str(),
            change.name,
            change.change.as_str()
        );
        for what in &change.what_changed {
            let _ = writeln!(out, "      {what}");
        }
        for citation in &change.citations {
            let _ = writeln!(out, "      cite {citation}");
        }
    }
    if let Some(corpus) = &report.corpus {
        text_corpus(&mut out, report, corpus);
    }
    if let Some(exhaustive) = &report.exhaustive {
        text_regions(&mut out, report, exhaustive);
    }
    out
}

fn exactness(exhaustive: &Exhaustive) -> String {
    let kind = if exhaustive.exact {
        "exact"
    } else {
        "not exact: see the caveats"
    };
    format!(
        "{kind}; {} of the input space decided",
        plural(exhaustive.explored, "region")
    )
}

fn region_rules(report: &Report, region: &RegionDiff) -> String {
    region
        .rules
        .iter()
        .map(|rule| {
            let version = if rule.applies_in == "from" {
                &report.from.version
            } else {
                &report.to.version
            };
            format!("{} ({}) applies only in {version}", rule.rule, rule.cite)
        })
        .collect::<Vec<_>>()
        .join(", ")
}

fn text_regions(out: &mut String, report: &Report, exhaustive: &Exhaustive) {
    let _ = writeln!(
        out,
        "
all transactions: {} where the versions decide differently ({})",
        plural(exhaustive.regions.len(), "region"),
        exactness(exhaustive)
    );
    for caveat in &exhaustive.caveats {
        let _ = writeln!(out, "  caveat: {caveat}");
    }
    for (change, regions) in exhaustive.by_change() {
        let _ = writeln!(out, "  {change} ({})", plural(regions.len(), "region"));
        for (number, region) in regions {
            let _ = writeln!(out, "    {number}. {}", region.conditions.join("; "));
            if !region.rules.is_empty() {
                let _ = writeln!(out, "       rules: {}", region_rules(report, region));
            }
            let _ = writeln!(out, "       witness: {}", region.witness);
        }
    }
}

fn text_corpus(out: &mut String, report: &Report, corpus: &CorpusDiff) {
    out.push_str(&corpus_text(
        corpus,
        &report.from.version,
        &report.to.version,
        "line",
    ));
}

/// The corpus view for a terminal; `unit` is what a transaction's number counts (`line` of a
/// corpus, `record` of decision records).
pub(crate) fn corpus_text(corpus: &CorpusDiff, from: &str, to: &str, unit: &str) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "\ncorpus: {}, {} changed, {}",
        plural(corpus.transactions, "transaction"),
        corpus.changed,
        plural(corpus.errors.len(), "error")
    );
    for group in &corpus.groups {
        let _ = writeln!(
            out,
            "  {}: {}",
            plural(group.count, "transaction"),
            changes_text(group)
        );
        let transactions: Vec<String> = group
            .transactions
            .iter()
            .map(|transaction| match &transaction.id {
                Some(id) => format!("{id} ({unit} {})", transaction.line),
                None => format!("{unit} {}", transaction.line),
            })
            .collect();
        let _ = writeln!(out, "      {}", transactions.join(", "));
        if !group.fired_only_in_from.is_empty() {
            let _ = writeln!(
                out,
                "      decided only under {from}: {}",
                rules_text(&group.fired_only_in_from)
            );
        }
        if !group.fired_only_in_to.is_empty() {
            let _ = writeln!(
                out,
                "      decided only under {to}: {}",
                rules_text(&group.fired_only_in_to)
            );
        }
    }
    for error in &corpus.errors {
        let _ = writeln!(out, "  {unit} {}: error: {}", error.line, error.error);
    }
    out
}

/// Text inside a markdown table cell.
fn cell(text: &str) -> String {
    text.replace('|', "\\|").replace('\n', " ")
}

fn cells(items: &[String]) -> String {
    items
        .iter()
        .map(|item| cell(item))
        .collect::<Vec<_>>()
        .join("<br>")
}

fn provision_row(change: &ProvisionChange) -> String {
    format!(
        "| {} `{}` | {} | {} | {} |",
        change.kind.as_str(),
        change.name,
        change.change.as_str(),
        cells(&change.what_changed),
        cells(&change.citations)
    )
}

/// The report counsel attaches to a memo.
fn markdown(report: &Report) -> String {
    let (from, to) = (&report.from, &report.to);
    let mut out = String::new();
    let _ = writeln!(
        out,
        "# Policy `{}`: changes from {} to {}\n",
        report.policy, from.version, to.version
    );
    let _ = writeln!(out, "| | From | To |\n| --- | --- | --- |");
    let _ = writeln!(out, "| Version | {} | {} |", from.version, to.version);
    let optional = |value: &Option<String>| cell(value.as_deref().unwrap_or(""));
    let _ = writeln!(
        out,
        "| Title | {} | {} |",
        optional(&from.title),
        optional(&to.title)
    );
    let _ = writeln!(
        out,
        "| Source | {} | {} |",
        optional(&from.source),
        optional(&to.source)
    );
    let _ = writeln!(out, "| In force | {} | {} |", from.in_force, to.in_force);
    let _ = writeln!(out, "| Sources hash | `{}` | `{}` |", from.hash, to.hash);
    let _ = writeln!(out, "\n## Provisions\n");
    if report.provisions.is_empty() {
        let _ = writeln!(out, "No provision differs.");
    } else {
        let _ = writeln!(
            out,
            "{} added, removed or changed.\n",
            plural(report.provisions.len(), "declaration")
        );
        let _ = writeln!(
            out,
            "| Provision | Change | What changed | Citations |\n| --- | --- | --- | --- |"
        );
        for change in &report.provisions {
            let _ = writeln!(out, "{}", provision_row(change));
        }
    }
    if let Some(corpus) = &report.corpus {
        markdown_corpus(&mut out, report, corpus);
    }
    if let Some(exhaustive) = &report.exhaustive {
        markdown_regions(&mut out, report, exhaustive);
    }
    out
}

fn markdown_regions(out: &mut String, report: &Report, exhaustive: &Exhaustive) {
    let _ = writeln!(out, "\n## Outcomes over all transactions\n");
    let _ = writeln!(
        out,
        "{} of the input space where the two versions decide differently ({}). Each region is \
         the set of transactions meeting all of its conditions; its witness is one of them, \
         decided by the engine under both versions.",
        plural(exhaustive.regions.len(), "region"),
        exactness(exhaustive)
    );
    if !exhaustive.caveats.is_empty() {
        let _ = writeln!(out, "\nCaveats:\n");
        for caveat in &exhaustive.caveats {
            let _ = writeln!(out, "- {}", cell(caveat));
        }
    }
    for (change, regions) in exhaustive.by_change() {
        let _ = writeln!(
            out,
            "\n### {} ({})\n",
            cell(&change),
            plural(regions.len(), "region")
        );
        for (number, region) in regions {
            let _ = writeln!(out, "{number}. {}", cell(&region.conditions.join("; ")));
            if !region.rules.is_empty() {
                let _ = writeln!(out, "   - Rules: {}", cell(&region_rules(report, region)));
            }
            let _ = writeln!(out, "   - Witness: `{}`", region.witness);
        }
    }
}

fn markdown_corpus(out: &mut String, report: &Report, corpus: &CorpusDiff) {
    let _ = writeln!(out, "\n## Outcomes over the corpus\n");
    let _ = write!(
        out,
        "{}: {} decide differently under the two versions",
        plural(corpus.transactions, "transaction"),
        corpus.changed
    );
    if corpus.errors.is_empty() {
        let _ = writeln!(out, ".");
    } else {
        let _ = writeln!(out, "; {} cannot be decided (below).", corpus.errors.len());
    }
    for (index, group) in corpus.groups.iter().enumerate() {
        let _ = writeln!(
            out,
            "\n### {}. {} ({})\n",
            index + 1,
            cell(&changes_text(group)),
            plural(group.count, "transaction")
        );
        let _ = writeln!(out, "- Transactions: {}", transactions_text(group));
        if !group.fired_only_in_from.is_empty() {
            let _ = writeln!(
                out,
                "- Decided only under {}: {}",
                report.from.version,
                rules_text(&group.fired_only_in_from)
            );
        }
        if !group.fired_only_in_to.is_empty() {
            let _ = writeln!(
                out,
                "- Decided only under {}: {}",
                report.to.version,
                rules_text(&group.fired_only_in_to)
            );
        }
    }
    if !corpus.errors.is_empty() {
        let _ = writeln!(out, "\n### Lines that neither version can decide\n");
        for error in &corpus.errors {
            let _ = writeln!(out, "- line {}: {}", error.line, cell(&error.error));
        }
    }
}
