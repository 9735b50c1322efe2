//! The one adapter from our diagnostics to miette's reports, for the command line and snapshots.
//!
//! Unicode, no colour, no links, a fixed width: the same text on every terminal and in every
//! snapshot. Related locations in other files are listed after the report as `path:line:column`.

use miette::{GraphicalReportHandler, GraphicalTheme, LabeledSpan, MietteDiagnostic, NamedSource};

use crate::diagnostics::{LocatedDiagnostic, Severity};

/// 1-based line and column of a byte offset.
pub fn line_column(text: &str, offset: u32) -> (usize, usize) {
    let offset = (offset as usize).min(text.len());
    let before = &text[..offset];
    let line = before.matches('\n').count() + 1;
    let column = before
        .rsplit('\n')
        .next()
        .map_or(0, |rest| rest.chars().count())
        + 1;
    (line, column)
}

/// Renders one diagnostic with the text of the file it is in.
pub fn render(
    located: &LocatedDiagnostic,
    text: &str,
    related_text: impl Fn(&str) -> Option<String>,
) -> String {
    let diagnostic = &located.diagnostic;
    let start = (diagnostic.span.start as usize).min(text.len());
    let end = (diagnostic.span.end as usize).clamp(start, text.len());
    let label = if diagnostic.label.is_empty() {
        None
    } else {
        Some(diagnostic.label.clone())
    };
    let mut report = MietteDiagnostic::new(diagnostic.message.clone())
        .with_code(diagnostic.code.as_str())
        .with_severity(match diagnostic.severity() {
            Severity::Error => miette::Severity::Error,
            Severity::Warning => miette::Severity::Warning,
        })
        .with_label(LabeledSpan::new(label, start, end - start));
    if let Some(help) = &diagnostic.help {
        report = report.with_help(help.clone());
    }
    let source = NamedSource::new(located.path.clone(), text.to_string());
    let report = miette::Report::new(report).with_source_code(source);
    let handler = GraphicalReportHandler::new_themed(GraphicalTheme::unicode_nocolor())
        .with_links(false)
        .with_width(100);
    let mut out = String::new();
    if handler.render_report(&mut out, report.as_ref()).is_err() {
        out = format!("{}: {}", located.path, diagnostic.message);
    }
    for related in &diagnostic.related {
        let position = related_text(&related.path)
            .map(|text| line_column(&text, related.span.start))
            .map_or(String::new(), |(line, column)| format!(":{line}:{column}"));
        out.push_str(&format!(
            "  note: {} at {}{position}\n",
            related.message, related.path
        ));
    }
    out
}

/// A one-line summary: `path:line:column: error[E0101]: message`.
pub fn one_line(located: &LocatedDiagnostic, text: &str) -> String {
    let (line, column) = line_column(text, located.diagnostic.span.start);
    let severity = match located.diagnostic.severity() {
        Severity::Error => "error",
        Severity::Warning => "warning",
    };
    format!(
        "{}:{line}:{column}: {severity}[{}]: {}",
        located.path, located.diagnostic.code, located.diagnostic.message
    )
}
