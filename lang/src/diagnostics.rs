//! Diagnostics as values: every phase returns its result together with a list of these.
//!
//! Each diagnostic has a stable code (documented, with a runnable example, in `docs/diagnostics.md`),
//! a message in plain words for counsel, a labelled span, and help where there is advice to give.
//! This module knows nothing of terminals or the language server protocol; `render` turns a located
//! diagnostic into miette's report for the command line.

use crate::syntax::Span;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Severity {
    Error,
    Warning,
}

/// A stable diagnostic code. Codes never change meaning; retired codes are not reused.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Code {
    /// The source does not follow the grammar.
    E0001,
    /// A name that is not declared anywhere in the version.
    E0101,
    /// A name declared in a module this file does not import.
    E0102,
    /// A name declared twice in one version.
    E0103,
    /// A country code that is not an ISO 3166-1 alpha-2 code.
    E0104,
    /// An import of a module that the version does not have.
    E0105,
    /// A value of the wrong type.
    E0201,
    /// Quantities of different dimensions compared, added or subtracted.
    E0202,
    /// A field that the record, the facts or the outcome does not have.
    E0203,
    /// An optional fact read without checking that it is present.
    E0204,
    /// A unit that is not declared.
    E0205,
    /// A provision without a citation.
    E0301,
    /// Two rules conclude different values for one outcome with no priority between them.
    E0302,
    /// Priorities or dependencies that go round in a circle.
    E0303,
    /// `most restrictive` where no order says what is most restrictive.
    E0305,
    /// A rule without a conclusion, or a conclusion about something that is not an outcome.
    E0304,
    /// `replace` or `remove` of a provision the amended version does not have.
    E0401,
    /// A provision of the amended version declared again without `replace`.
    E0402,
    /// A version manifest that is missing, incomplete, or names an unknown version.
    E0403,
    /// Dates out of order, or a date that does not exist.
    E0501,
    /// A rule that can never apply.
    W0601,
    /// A test or example whose facts do not fit the facts schema.
    E0701,
}

impl Code {
    pub const ALL: [Code; 22] = [
        Code::E0001,
        Code::E0101,
        Code::E0102,
        Code::E0103,
        Code::E0104,
        Code::E0105,
        Code::E0201,
        Code::E0202,
        Code::E0203,
        Code::E0204,
        Code::E0205,
        Code::E0301,
        Code::E0302,
        Code::E0303,
        Code::E0304,
        Code::E0305,
        Code::E0401,
        Code::E0402,
        Code::E0403,
        Code::E0501,
        Code::W0601,
        Code::E0701,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Code::E0001 => "E0001",
            Code::E0101 => "E0101",
            Code::E0102 => "E0102",
            Code::E0103 => "E0103",
            Code::E0104 => "E0104",
            Code::E0105 => "E0105",
            Code::E0201 => "E0201",
            Code::E0202 => "E0202",
            Code::E0203 => "E0203",
            Code::E0204 => "E0204",
            Code::E0205 => "E0205",
            Code::E0301 => "E0301",
            Code::E0302 => "E0302",
            Code::E0303 => "E0303",
            Code::E0304 => "E0304",
            Code::E0305 => "E0305",
            Code::E0401 => "E0401",
            Code::E0402 => "E0402",
            Code::E0403 => "E0403",
            Code::E0501 => "E0501",
            Code::W0601 => "W0601",
            Code::E0701 => "E0701",
        }
    }

    pub fn severity(self) -> Severity {
        match self {
            Code::W0601 => Severity::Warning,
            _ => Severity::Error,
        }
    }
}

impl std::fmt::Display for Code {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A second place that explains the first: "first declared here".
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Related {
    pub path: String,
    pub span: Span,
    pub message: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Diagnostic {
    pub code: Code,
    pub message: String,
    pub span: Span,
    pub label: String,
    pub help: Option<String>,
    pub related: Vec<Related>,
}

impl Diagnostic {
    pub fn new(code: Code, span: Span, message: impl Into<String>) -> Diagnostic {
        Diagnostic {
            code,
            message: message.into(),
            span,
            label: String::new(),
            help: None,
            related: Vec::new(),
        }
    }

    pub fn with_label(mut self, label: impl Into<String>) -> Diagnostic {
        self.label = label.into();
        self
    }

    pub fn with_help(mut self, help: impl Into<String>) -> Diagnostic {
        self.help = Some(help.into());
        self
    }

    /// Adds "did you mean `x`?" when there is a likely candidate (see [`did_you_mean`]).
    pub fn with_suggestion(self, suggestion: Option<&str>) -> Diagnostic {
        match suggestion {
            Some(suggestion) => self.with_help(format!("did you mean `{suggestion}`?")),
            None => self,
        }
    }

    pub fn with_related(
        mut self,
        path: &str,
        span: Span,
        message: impl Into<String>,
    ) -> Diagnostic {
        self.related.push(Related {
            path: path.to_string(),
            span,
            message: message.into(),
        });
        self
    }

    pub fn severity(&self) -> Severity {
        self.code.severity()
    }

    /// The same diagnostic with its spans moved by `offset` bytes.
    pub fn shifted(mut self, offset: u32) -> Diagnostic {
        self.span = self.span.shifted(offset);
        self
    }
}

/// A diagnostic with absolute spans in a named file.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct LocatedDiagnostic {
    pub path: String,
    pub diagnostic: Diagnostic,
}

/// "did you mean `D5`?": the closest candidate, if one is close enough to be a likely typo.
pub fn did_you_mean<'a>(
    wanted: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<&'a str> {
    candidates
        .into_iter()
        .map(|candidate| {
            (
                strsim::jaro_winkler(&wanted.to_lowercase(), &candidate.to_lowercase()),
                candidate,
            )
        })
        .filter(|(score, candidate)| *score >= 0.8 && *candidate != wanted)
        .max_by(|a, b| a.0.total_cmp(&b.0).then_with(|| b.1.cmp(a.1)))
        .map(|(_, candidate)| candidate)
}
