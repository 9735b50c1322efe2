//! The one canonical layout of a policy file: what `cordon fmt` writes.
//!
//! [`format_file`] reads a file the way the checker does (split into declarations, each parsed on
//! its own) and prints every declaration that parses in the layout below. It must never lose text
//! and never change meaning: a declaration that does not parse is kept exactly as written (only
//! trailing whitespace is trimmed), every `//` comment and `///` doc comment is kept, and parsing the
//! result gives the same syntax trees as parsing the input (ignoring spans). Formatting twice gives
//! the same text as formatting once, for every input, broken or not.
//!
//! # The layout
//!
//! - Declarations start in column 0 and are separated by exactly one blank line. Comments before
//!   the first declaration are kept at the top, followed by one blank line.
//! - The clauses that continue a declaration are each on their own line, indented 2 spaces, in a
//!   fixed order: `cite` (in the order written), `effective`, `through`, then what the kind of
//!   declaration adds: `joins`/`leaves` for groups and `from DATE: value` rows for tables (in the
//!   order written); `unless`, `notwithstanding`, `when`, `then` for rules. A version manifest
//!   lists `policy`, `title`, `source`, `amends`, `in_force`, then its citations; a unit its
//!   citations; a test `given` then `expect`.
//! - `record`, `facts` and `outcome` bodies have one field per line, indented 2 spaces, without
//!   commas, except after a default followed by another field when the grammar needs one: after a
//!   number without a unit (the next field's name would be read as its unit) and before a field
//!   with a doc comment (its `///` would be read as a division). An `enum` is written on one line
//!   (`enum Review { approval, denial }`) when it fits in 100 columns and no value has a doc
//!   comment or a comment inside; otherwise one value per line.
//! - Group members are written on the group's line, `{ AF BY CN }`, when they fit in 100 columns;
//!   otherwise the braces open a block and the codes fill lines of at most 100 columns, indented 2
//!   spaces further.
//! - Expressions have single spaces around operators and after commas, and only the parentheses
//!   the grammar needs (judged with [`BinaryOp::precedence`]; `not` binds looser than comparison
//!   and tighter than `and`, and a quantifier's body reaches as far right as it can, so a
//!   quantifier that is followed by an operator is put in parentheses). An `and`/`or` chain longer
//!   than the line breaks before each `and`/`or`, each continuation indented 2 spaces deeper than
//!   the clause it belongs to (4 for a top-level value such as a `define`), and a chain inside it
//!   that is still too long breaks the same way, 2 spaces deeper again.
//! - Conclusions are separated by `, `; when they do not fit on the `then` line, each goes on its
//!   own line after a comma, indented 2 spaces deeper than `then`.
//! - Numbers are written canonically from the exact decimal the tree holds: with the digits after
//!   the point it holds (`3.0` stays `3.0`, as the regulation writes it), `_` between thousands
//!   from five digits on (`26_900_000`), and whole numbers ending in ten or more zeros in
//!   scientific notation (`1e26`, `2.5e25`). Units are written as declared (`TPP/mm^2`), dates as
//!   `YYYY-MM-DD`.
//! - Fact records in examples and tests are written `{ key: value, key: value }` on one line when
//!   they fit in 100 columns, otherwise one entry per line with a comma after each entry but the
//!   last; lists of facts likewise.
//!
//! # Comments
//!
//! The grammar skips `//` comments, so they are found again in the text of the declaration (outside
//! strings) and placed by position, against the tokens of the tree whose positions are known (the
//! "atoms"): a comment on its own line is printed on its own line just before the line that holds
//! the first atom written after it, at that line's indentation; a comment at the end of a line is
//! printed at the end of the line that holds the last atom written before it. A construct that
//! could be written on one line is broken where a comment needs a line break (a comment before the
//! second operand of `and`, after a fact record's `{`), so such comments stay where they were.
//! Comments after the last atom of a declaration stay after it, in column 0 if they were written
//! there, otherwise indented 2 spaces, with a blank line before them where there was one.
//! Comments inside a construct that is always written on one line (between the arguments of a
//! call, say) move to just before or after that line. Two end-of-line comments that end up on one
//! line are joined into one.
//!
//! A declaration that gives twice a clause the syntax tree keeps only once (two `when` clauses,
//! two `effective` dates, two `title`s) is kept as written: formatting it would silently drop the
//! first.

use std::collections::BTreeSet;

use jiff::civil::Date;
use rust_decimal::Decimal;

use crate::parse::{self, ParsedChunk};
use crate::syntax::*;

/// Lines are kept within this many columns where the layout allows a break.
const LINE_WIDTH: usize = 100;

/// One level of indentation.
const INDENT: usize = 2;

/// Formats a whole file. Declarations that do not parse are kept exactly as written (only trailing
/// whitespace trimmed), so formatting never loses text.
pub fn format_file(text: &str) -> String {
    let chunks = parse::split(text);
    let first_chunk_start = chunks.first().map_or(text.len(), |chunk| {
        usize::try_from(chunk.offset).unwrap_or(text.len())
    });
    let mut pieces: Vec<String> = Vec::new();
    let leading_comments = keep_loose_lines(text.get(..first_chunk_start).unwrap_or(text));
    if !leading_comments.is_empty() {
        pieces.push(leading_comments);
    }
    for chunk in &chunks {
        let piece = match parse::parse_chunk(&chunk.text) {
            ParsedChunk::Declaration(declaration) => format_declaration(&chunk.text, &declaration),
            ParsedChunk::Broken { .. } => keep_as_written(&chunk.text),
        };
        if !piece.is_empty() {
            pieces.push(piece);
        }
    }
    if pieces.is_empty() {
        return String::new();
    }
    let mut formatted = pieces.join("\n\n");
    formatted.push('\n');
    formatted
}

/// A declaration that did not parse: its lines as written, without trailing whitespace and without
/// blank lines at the end.
fn keep_as_written(text: &str) -> String {
    let lines: Vec<&str> = text.lines().map(str::trim_end).collect();
    let kept = lines.len()
        - lines
            .iter()
            .rev()
            .take_while(|line| line.is_empty())
            .count();
    lines[..kept].join("\n")
}

/// Text outside every declaration (comments and blank lines before the first one): its lines
/// without trailing whitespace, runs of blank lines made one, and no blank lines at either end.
fn keep_loose_lines(text: &str) -> String {
    let mut lines: Vec<&str> = Vec::new();
    for line in text.lines().map(str::trim_end) {
        let previous_is_blank = lines.last().is_none_or(|previous| previous.is_empty());
        if !(line.is_empty() && previous_is_blank) {
            lines.push(line);
        }
    }
    while lines.last().is_some_and(|line| line.is_empty()) {
        lines.pop();
    }
    lines.join("\n")
}

/// Formats one declaration that parsed, with the comments of its chunk.
fn format_declaration(chunk: &str, declaration: &Declaration) -> String {
    let source = Source::scan(chunk);
    if repeats_a_single_clause(&source, declaration)
        || source.doc_lines.len() != doc_line_count(declaration)
    {
        return keep_as_written(chunk);
    }
    // First pass: the atoms the declaration prints do not depend on where lines break, so a pass
    // without any comment placed tells which atom each comment belongs to.
    let no_targets = Targets::default();
    let mut first_pass = Printer::new(&source, &no_targets, false);
    first_pass.declaration(declaration);
    let attachments = attach(&source, &first_pass.atoms);
    let targets = Targets::of(&attachments, &first_pass.atoms);
    // Second pass: the layout, breaking lines where comments need them.
    let mut printer = Printer::new(&source, &targets, false);
    printer.declaration(declaration);
    let attachments = attach(&source, &printer.atoms);
    render(&source, &printer.lines, &printer.atoms, &attachments)
}

/// How many `///` lines the syntax tree keeps. A `///` line the tree does not keep was read as
/// something else (after an expression, `/// x` is a division followed by a comment), and is kept
/// as written rather than lost.
fn doc_line_count(declaration: &Declaration) -> usize {
    let inner = match &declaration.kind {
        DeclarationKind::Record(record) => record.fields.iter().map(|field| field.docs.len()).sum(),
        DeclarationKind::Facts(fields) | DeclarationKind::Outcome(fields) => {
            fields.iter().map(|field| field.docs.len()).sum()
        }
        DeclarationKind::Enum(enumeration) => enumeration
            .variants
            .iter()
            .map(|variant| variant.docs.len())
            .sum(),
        _ => 0,
    };
    declaration.docs.len() + inner
}

/// Whether the declaration gives twice a clause that its syntax tree keeps only once.
fn repeats_a_single_clause(source: &Source<'_>, declaration: &Declaration) -> bool {
    let single_clauses: &[&str] = match &declaration.kind {
        DeclarationKind::Version(_) => &["policy", "title", "source", "amends", "in_force"],
        DeclarationKind::Provision(_) | DeclarationKind::Replace(_) => {
            &["effective", "through", "when"]
        }
        _ => &[],
    };
    single_clauses.iter().any(|keyword| {
        source
            .code_words()
            .filter(|(_, word)| word == keyword)
            .count()
            > 1
    })
}

// ------------------------------------------------------------------------------------------------
// The text of one declaration: where its comments, doc comments and code are.

/// A `//` comment found in the text of a declaration.
struct Comment<'a> {
    start: usize,
    /// Where the comment ends, trailing whitespace excluded.
    end: usize,
    /// The comment from `//` to the end of its line, trailing whitespace excluded.
    text: &'a str,
    /// Whether only whitespace comes before the comment on its line.
    own_line: bool,
    at_column_zero: bool,
    /// Whether the line before the comment's line is blank.
    blank_line_before: bool,
}

/// The text of one declaration, with its comments and doc comments located.
struct Source<'a> {
    text: &'a str,
    comments: Vec<Comment<'a>>,
    /// Where each `///` line starts and ends, in order.
    doc_lines: Vec<(usize, usize)>,
    /// The ranges that are neither code nor whitespace (comments and doc lines), in order.
    skipped: Vec<(usize, usize)>,
}

impl<'a> Source<'a> {
    fn scan(text: &'a str) -> Source<'a> {
        let bytes = text.as_bytes();
        let mut comments = Vec::new();
        let mut doc_lines = Vec::new();
        let mut skipped = Vec::new();
        let mut index = 0;
        while index < bytes.len() {
            if bytes[index] == b'"' {
                index = string_end(bytes, index);
            } else if bytes[index] == b'/' && bytes.get(index + 1) == Some(&b'/') {
                let line_end = text[index..]
                    .find('\n')
                    .map_or(text.len(), |offset| index + offset);
                let comment_text = text[index..line_end].trim_end();
                let end = index + comment_text.len();
                skipped.push((index, end));
                if bytes.get(index + 2) == Some(&b'/') {
                    doc_lines.push((index, end));
                } else {
                    let line_start = text[..index].rfind('\n').map_or(0, |newline| newline + 1);
                    let blank_line_before = line_start > 0 && {
                        let previous_start = text[..line_start - 1]
                            .rfind('\n')
                            .map_or(0, |newline| newline + 1);
                        text[previous_start..line_start].trim().is_empty()
                    };
                    comments.push(Comment {
                        start: index,
                        end,
                        text: comment_text,
                        own_line: text[line_start..index].trim().is_empty(),
                        at_column_zero: line_start == index,
                        blank_line_before,
                    });
                }
                index = line_end;
            } else {
                index += 1;
            }
        }
        Source {
            text,
            comments,
            doc_lines,
            skipped,
        }
    }

    /// The comment or doc line that contains `position`, if any.
    fn skipped_range_at(&self, position: usize) -> Option<(usize, usize)> {
        let index = self
            .skipped
            .partition_point(|(start, _)| *start <= position);
        let (start, end) = *self.skipped.get(index.checked_sub(1)?)?;
        (position < end).then_some((start, end))
    }

    /// The first position at or after `from` that is code: not whitespace, not a comment.
    fn next_code(&self, from: usize) -> Option<usize> {
        let bytes = self.text.as_bytes();
        let mut position = from;
        while position < bytes.len() {
            if bytes[position].is_ascii_whitespace() {
                position += 1;
            } else if let Some((_, end)) = self.skipped_range_at(position) {
                position = end;
            } else {
                return Some(position);
            }
        }
        None
    }

    /// `end` moved back over whitespace and comments (pest's spans can include the whitespace and
    /// comments that follow a token), but not before `start`.
    fn trimmed_end(&self, start: usize, end: usize) -> usize {
        let bytes = self.text.as_bytes();
        let mut end = end.min(bytes.len());
        while end > start {
            if bytes[end - 1].is_ascii_whitespace() {
                end -= 1;
            } else if let Some((comment_start, _)) = self.skipped_range_at(end - 1) {
                end = comment_start;
            } else {
                break;
            }
        }
        end.max(start)
    }

    /// The word (letters, digits, `_`) that starts at `position`.
    fn word_at(&self, position: usize) -> &'a str {
        let rest = self.text.get(position..).unwrap_or("");
        let length = rest
            .bytes()
            .take_while(|byte| byte.is_ascii_alphanumeric() || *byte == b'_')
            .count();
        &rest[..length]
    }

    /// Where `keyword` is, when it is the first code at or after `from`.
    fn keyword_after(&self, from: usize, keyword: &str) -> Option<Span> {
        let start = self.next_code(from)?;
        (self.word_at(start) == keyword).then(|| Span::new(start, start + keyword.len()))
    }

    /// Where `keyword` is, when it is the last code before `before`.
    fn keyword_before(&self, before: usize, keyword: &str) -> Option<Span> {
        let end = self.trimmed_end(0, before);
        let start = end.checked_sub(keyword.len())?;
        let precedes_word = start > 0
            && self
                .text
                .as_bytes()
                .get(start - 1)
                .is_some_and(|byte| byte.is_ascii_alphanumeric() || *byte == b'_');
        (self.text.get(start..end) == Some(keyword) && !precedes_word)
            .then(|| Span::new(start, end))
    }

    /// Where the punctuation `mark` is, when it is the first code at or after `from` (commas
    /// skipped when `skip_commas`).
    fn mark_after(&self, from: usize, mark: u8, skip_commas: bool) -> Option<Span> {
        let bytes = self.text.as_bytes();
        let mut position = self.next_code(from)?;
        while skip_commas && bytes.get(position) == Some(&b',') {
            position = self.next_code(position + 1)?;
        }
        (bytes.get(position) == Some(&mark)).then(|| Span::new(position, position + 1))
    }

    /// A one-byte span at `position` when the byte there is `mark`.
    fn mark_at(&self, position: u32, mark: u8) -> Option<Span> {
        let position = usize::try_from(position).ok()?;
        (self.text.as_bytes().get(position) == Some(&mark))
            .then(|| Span::new(position, position + 1))
    }

    /// The words written in code (outside strings, comments and doc comments), in order, with
    /// where each starts.
    fn code_words(&self) -> impl Iterator<Item = (usize, &'a str)> + '_ {
        let bytes = self.text.as_bytes();
        let mut position = 0;
        std::iter::from_fn(move || {
            loop {
                position = self.next_code(position)?;
                let byte = bytes[position];
                if byte == b'"' {
                    position = string_end(bytes, position);
                } else if byte.is_ascii_alphanumeric() || byte == b'_' {
                    let start = position;
                    let word = self.word_at(start);
                    position += word.len();
                    return Some((start, word));
                } else {
                    position += 1;
                }
            }
        })
    }

    /// The doc lines that come before `before`, the last `count` of them, if there are that many.
    fn doc_lines_before(&self, before: u32, count: usize) -> Option<&[(usize, usize)]> {
        let before = usize::try_from(before).ok()?;
        let available = self.doc_lines.partition_point(|(start, _)| *start < before);
        self.doc_lines.get(available.checked_sub(count)?..available)
    }
}

/// Where the string that opens at `start` ends (just after its closing quote, or at the end of its
/// line when it is not closed), following the grammar's escapes `\"` and `\\`.
fn string_end(bytes: &[u8], start: usize) -> usize {
    let mut position = start + 1;
    while position < bytes.len() {
        match bytes[position] {
            b'"' => return position + 1,
            b'\n' => return position,
            b'\\' if matches!(bytes.get(position + 1), Some(b'"' | b'\\')) => position += 2,
            _ => position += 1,
        }
    }
    position
}

// ------------------------------------------------------------------------------------------------
// Atoms and the comments attached to them.

/// A token whose position in the source is known, and the output line it was printed on.
#[derive(Clone, Copy, Debug)]
struct Atom {
    start: usize,
    end: usize,
    line: usize,
    /// Doc lines take no comment at their end: it would become part of the doc.
    doc: bool,
}

/// Where a comment is printed.
#[derive(Clone, Copy, Debug)]
enum Attachment {
    /// On its own line, before the line of this atom.
    Before(usize),
    /// At the end of the line of this atom.
    After(usize),
    /// After the whole declaration.
    Tail,
}

/// For each comment of the source, in order, where it goes among these atoms.
fn attach(source: &Source<'_>, atoms: &[Atom]) -> Vec<Attachment> {
    let mut by_start: Vec<usize> = (0..atoms.len()).collect();
    by_start.sort_by_key(|index| (atoms[*index].start, *index));
    source
        .comments
        .iter()
        .map(|comment| {
            if !comment.own_line {
                let previous = (0..atoms.len())
                    .filter(|index| atoms[*index].end <= comment.start)
                    .max_by_key(|index| (atoms[*index].end, atoms[*index].start));
                if let Some(previous) = previous.filter(|index| !atoms[*index].doc) {
                    return Attachment::After(previous);
                }
            }
            by_start
                .iter()
                .find(|index| atoms[**index].start >= comment.end)
                .map_or(Attachment::Tail, |next| Attachment::Before(*next))
        })
        .collect()
}

/// The atoms that comments are attached to: a construct that could be written on one line breaks
/// so that these atoms start (or end) a line.
#[derive(Default)]
struct Targets {
    /// Starts of atoms with a comment on its own line before them.
    line_before: BTreeSet<usize>,
    /// Ends of atoms with a comment at the end of their line.
    comment_after: BTreeSet<usize>,
}

impl Targets {
    fn of(attachments: &[Attachment], atoms: &[Atom]) -> Targets {
        let mut targets = Targets::default();
        for attachment in attachments {
            match attachment {
                Attachment::Before(index) => {
                    targets.line_before.insert(atoms[*index].start);
                }
                Attachment::After(index) => {
                    targets.comment_after.insert(atoms[*index].end);
                }
                Attachment::Tail => {}
            }
        }
        targets
    }
}

// ------------------------------------------------------------------------------------------------
// Output lines.

struct Line {
    indent: usize,
    /// The indentation of comments placed before this line (deeper than a closing brace).
    comment_indent: usize,
    text: String,
}

/// Writes the lines with their comments.
fn render(
    source: &Source<'_>,
    lines: &[Line],
    atoms: &[Atom],
    attachments: &[Attachment],
) -> String {
    let mut before: Vec<Vec<&str>> = vec![Vec::new(); lines.len()];
    let mut after: Vec<Vec<&str>> = vec![Vec::new(); lines.len()];
    let mut tail: Vec<&Comment<'_>> = Vec::new();
    for (comment, attachment) in source.comments.iter().zip(attachments) {
        match attachment {
            Attachment::Before(atom) => match before.get_mut(atoms[*atom].line) {
                Some(comments) => comments.push(comment.text),
                None => tail.push(comment),
            },
            Attachment::After(atom) => match after.get_mut(atoms[*atom].line) {
                Some(comments) => comments.push(comment.text),
                None => tail.push(comment),
            },
            Attachment::Tail => tail.push(comment),
        }
    }
    let mut output: Vec<String> = Vec::new();
    for (index, line) in lines.iter().enumerate() {
        for comment in &before[index] {
            output.push(format!("{}{comment}", " ".repeat(line.comment_indent)));
        }
        let mut text = format!("{}{}", " ".repeat(line.indent), line.text);
        for comment in &after[index] {
            text.push(' ');
            text.push_str(comment);
        }
        output.push(text.trim_end().to_string());
    }
    for comment in tail {
        if comment.blank_line_before && output.last().is_some_and(|line| !line.is_empty()) {
            output.push(String::new());
        }
        let indent = if comment.at_column_zero { 0 } else { INDENT };
        output.push(format!("{}{}", " ".repeat(indent), comment.text));
    }
    output.join("\n")
}

// ------------------------------------------------------------------------------------------------
// The printer.

/// Where an expression stands, which decides whether it needs parentheses.
#[derive(Clone, Copy)]
struct Place {
    /// The loosest binding the grammar accepts here (see [`binding`]).
    minimum: u8,
    /// Whether an operator or `.field` that binds tighter than `and` follows, which a quantifier's
    /// body would take as its own.
    operator_follows: bool,
    /// Whether `.field` follows directly (an ECCN would take the field as its paragraph).
    field_follows: bool,
}

impl Place {
    /// A whole expression: a clause's value, an argument, a list element.
    const WHOLE: Place = Place {
        minimum: 0,
        operator_follows: false,
        field_follows: false,
    };

    fn new(minimum: u8, operator_follows: bool) -> Place {
        Place {
            minimum,
            operator_follows,
            field_follows: false,
        }
    }
}

/// How tightly an expression binds, loosest first: `or` 1, `and` 2, `not` 3, comparison 4, `+ -` 5,
/// `* /` 6, unary minus 7, field access 8, anything else 9.
fn binding(expression: &Expr) -> u8 {
    match &expression.kind {
        ExprKind::Binary(operator, _, _) | ExprKind::Chain(operator, _) => operator.precedence(),
        ExprKind::Not(_) => 3,
        ExprKind::Negate(_) => 7,
        ExprKind::Field(_, _) => 8,
        _ => 9,
    }
}

/// The loosest binding accepted on the left and on the right of `operator`: chains of `and`, `or`,
/// `+`, `*` lean left, and a comparison does not take a comparison as an operand. An `and` inside an
/// `or` keeps its parentheses although the grammar does not need them: counsel read
/// `a or (b and c)` without having to remember which binds tighter.
fn operand_minimums(operator: BinaryOp) -> (u8, u8) {
    match operator {
        BinaryOp::Or => (3, 3),
        BinaryOp::And => (2, 3),
        BinaryOp::Add | BinaryOp::Subtract => (5, 6),
        BinaryOp::Multiply | BinaryOp::Divide => (6, 7),
        _ => (5, 5),
    }
}

/// Whether the printed expression ends in a number without a unit, which a following word would
/// be read as the unit of.
fn ends_in_bare_number(expression: &Expr) -> bool {
    match &expression.kind {
        ExprKind::Number { unit, .. } => unit.is_none(),
        ExprKind::Binary(_, _, right) => ends_in_bare_number(right),
        ExprKind::Chain(_, operands) => operands.last().is_some_and(ends_in_bare_number),
        ExprKind::Not(operand) | ExprKind::Negate(operand) => ends_in_bare_number(operand),
        ExprKind::Quantifier { body, .. } => ends_in_bare_number(body),
        _ => false,
    }
}

struct Printer<'s, 'a> {
    source: &'s Source<'a>,
    targets: &'s Targets,
    /// A printer that only measures: it never breaks a line.
    measuring: bool,
    lines: Vec<Line>,
    atoms: Vec<Atom>,
}

impl<'s, 'a> Printer<'s, 'a> {
    fn new(source: &'s Source<'a>, targets: &'s Targets, measuring: bool) -> Printer<'s, 'a> {
        Printer {
            source,
            targets,
            measuring,
            lines: Vec::new(),
            atoms: Vec::new(),
        }
    }

    // --- Lines, text and atoms.

    /// Starts a new line at `indent`.
    fn line(&mut self, indent: usize) {
        if self.measuring && !self.lines.is_empty() {
            self.text(" ");
        } else {
            self.lines.push(Line {
                indent,
                comment_indent: indent,
                text: String::new(),
            });
        }
    }

    /// Starts a line that closes a block opened at `indent`: comments before it are indented as
    /// the block's content.
    fn closing_line(&mut self, indent: usize) {
        self.line(indent);
        if let Some(line) = self.lines.last_mut().filter(|_| !self.measuring) {
            line.comment_indent = indent + INDENT;
        }
    }

    fn text(&mut self, text: &str) {
        if let Some(line) = self.lines.last_mut() {
            line.text.push_str(text);
        }
    }

    /// Prints `text`, a token written at `span` in the source.
    fn atom(&mut self, text: &str, span: Span) {
        self.register(span, false);
        self.text(text);
    }

    /// Prints `text`, a token written at `span` when its place in the source was found.
    fn token(&mut self, text: &str, span: Option<Span>) {
        if let Some(span) = span {
            self.register(span, false);
        }
        self.text(text);
    }

    /// Records that the token written at `span` is printed on the current line. A doc line is
    /// registered as it is; other spans lose the whitespace and comments pest may include.
    fn register(&mut self, span: Span, doc: bool) {
        let start = span.start as usize;
        let end = if doc {
            span.end as usize
        } else {
            self.source.trimmed_end(start, span.end as usize)
        };
        if end > start {
            self.atoms.push(Atom {
                start,
                end,
                line: self.lines.len().saturating_sub(1),
                doc,
            });
        }
    }

    fn indent(&self) -> usize {
        self.lines.last().map_or(0, |line| line.indent)
    }

    fn column(&self) -> usize {
        self.lines
            .last()
            .map_or(0, |line| line.indent + line.text.chars().count())
    }

    /// Whether `width` more columns fit on the current line.
    fn fits(&self, width: usize) -> bool {
        self.column() + width <= LINE_WIDTH
    }

    /// The width of what `print` prints, all on one line.
    fn measure(&self, print: impl FnOnce(&mut Printer<'s, 'a>)) -> usize {
        let mut scratch = Printer::new(self.source, self.targets, true);
        scratch.line(0);
        print(&mut scratch);
        scratch.column()
    }

    /// The end of `span` in the source, without the whitespace and comments pest may include.
    fn end_of(&self, span: Span) -> usize {
        self.source
            .trimmed_end(span.start as usize, span.end as usize)
    }

    /// Whether a comment on its own line comes before the atom that starts at `start`.
    fn comment_before(&self, start: u32) -> bool {
        self.targets.line_before.contains(&(start as usize))
    }

    /// Whether a comment ends the line of the atom that ends at `end`.
    fn comment_after(&self, end: usize) -> bool {
        self.targets.comment_after.contains(&end)
    }

    // --- Declarations.

    fn declaration(&mut self, declaration: &Declaration) {
        let keyword_start = self.source.next_code(0).unwrap_or(0);
        let doc_positions = self
            .source
            .doc_lines
            .iter()
            .filter(|(start, _)| *start < keyword_start)
            .count();
        let doc_positions = (doc_positions == declaration.docs.len())
            .then(|| &self.source.doc_lines[..doc_positions]);
        self.docs(&declaration.docs, doc_positions, 0);
        self.line(0);
        let keyword = self.source.word_at(keyword_start);
        self.register(
            Span::new(keyword_start, keyword_start + keyword.len()),
            false,
        );
        let keyword_end = keyword_start + keyword.len();
        match &declaration.kind {
            DeclarationKind::Version(manifest) => self.version(manifest),
            DeclarationKind::Import(names) => {
                self.text("import ");
                self.names(names);
            }
            DeclarationKind::Unit(unit) => {
                self.text("unit ");
                self.atom(&unit.name.text, unit.name.span);
                if let Some(description) = &unit.description {
                    self.text(" ");
                    self.text(&quoted(description));
                }
                self.citation_lines(&unit.citations);
            }
            DeclarationKind::Record(record) => {
                self.text("record ");
                self.atom(&record.name.text, record.name.span);
                let opening_end = self.end_of(record.name.span);
                self.field_block(&record.fields, opening_end, declaration.span);
            }
            DeclarationKind::Facts(fields) => {
                self.text("facts");
                self.field_block(fields, keyword_end, declaration.span);
            }
            DeclarationKind::Outcome(fields) => {
                self.text("outcome");
                self.field_block(fields, keyword_end, declaration.span);
            }
            DeclarationKind::Enum(enumeration) => self.enumeration(enumeration, declaration.span),
            DeclarationKind::Provision(provision) => {
                self.text(provision.kind.keyword());
                self.provision(provision);
            }
            DeclarationKind::Replace(provision) => {
                self.text("replace ");
                let keyword = provision.kind.keyword();
                let inner_keyword = self.source.keyword_after(keyword_end, keyword);
                self.token(keyword, inner_keyword);
                self.provision(provision);
            }
            DeclarationKind::Remove(remove) => {
                self.text("remove ");
                self.atom(&remove.name.text, remove.name.span);
                self.citation_lines(&remove.citations);
            }
            DeclarationKind::Example(example) => {
                self.text("example ");
                self.atom(&example.name.text, example.name.span);
                self.text(" = ");
                self.fact_value(&example.value);
            }
            DeclarationKind::Test(test) => self.test(test),
        }
    }

    /// Doc comment lines at `indent`, registered at their places in the source when known.
    fn docs(&mut self, docs: &[String], positions: Option<&[(usize, usize)]>, indent: usize) {
        for (index, doc) in docs.iter().enumerate() {
            self.line(indent);
            if let Some((start, end)) = positions.and_then(|positions| positions.get(index)) {
                self.register(Span::new(*start, *end), true);
            }
            if doc.is_empty() {
                self.text("///");
            } else {
                self.text("/// ");
                self.text(doc);
            }
        }
    }

    fn names(&mut self, names: &[Name]) {
        for (index, name) in names.iter().enumerate() {
            if index > 0 {
                self.text(", ");
            }
            self.atom(&name.text, name.span);
        }
    }

    fn version(&mut self, manifest: &VersionManifest) {
        self.text("version ");
        self.atom(&quoted(&manifest.id.text), manifest.id.span);
        if let Some(policy) = &manifest.policy {
            self.line(INDENT);
            self.token(
                "policy",
                self.source
                    .keyword_before(policy.span.start as usize, "policy"),
            );
            self.text(" ");
            self.atom(&quoted(&policy.text), policy.span);
        }
        for (keyword, value) in [("title", &manifest.title), ("source", &manifest.source)] {
            if let Some(value) = value {
                self.line(INDENT);
                let position = self
                    .source
                    .code_words()
                    .find(|(_, word)| *word == keyword)
                    .map(|(start, word)| Span::new(start, start + word.len()));
                self.token(keyword, position);
                self.text(" ");
                self.text(&quoted(value));
            }
        }
        if let Some(amends) = &manifest.amends {
            self.line(INDENT);
            self.token(
                "amends",
                self.source
                    .keyword_before(amends.span.start as usize, "amends"),
            );
            self.text(" ");
            self.atom(&quoted(&amends.text), amends.span);
        }
        match &manifest.in_force {
            Some(InForce::Never(span)) => {
                self.line(INDENT);
                let keyword = self.source.keyword_after(span.start as usize, "in_force");
                self.token("in_force", keyword);
                self.text(" never");
            }
            Some(InForce::Range { from, through }) => {
                self.line(INDENT);
                self.text("in_force from ");
                self.atom(&date_text(from.date), from.span);
                if let Some(through) = through {
                    self.text(" through ");
                    self.atom(&date_text(through.date), through.span);
                }
            }
            None => {}
        }
        self.citation_lines(&manifest.citations);
    }

    fn citation_lines(&mut self, citations: &[Citation]) {
        for citation in citations {
            self.line(INDENT);
            self.citation(citation);
        }
    }

    fn citation(&mut self, citation: &Citation) {
        let mut text = format!("cite {}", quoted(&citation.text));
        if citation.confidence != Confidence::Confirmed {
            text.push(' ');
            text.push_str(citation.confidence.as_str());
        }
        self.atom(&text, citation.span);
    }

    /// A date clause: `effective DATE`, `through DATE`.
    fn dated_line(&mut self, keyword: &str, dated: &Dated) {
        self.line(INDENT);
        self.token(
            keyword,
            self.source
                .keyword_before(dated.span.start as usize, keyword),
        );
        self.text(" ");
        self.atom(&date_text(dated.date), dated.span);
    }

    /// ` { fields }` of a record, the facts or the outcome: one field per line. `opening_end` is
    /// where the last atom of the opening line ends; the closing brace ends `declaration_span`.
    fn field_block(
        &mut self,
        fields: &[FieldDeclaration],
        opening_end: usize,
        declaration_span: Span,
    ) {
        let closing = self
            .source
            .mark_at(declaration_span.end.saturating_sub(1), b'}');
        self.text(" {");
        let comment_inside = self.comment_after(opening_end)
            || closing.is_some_and(|closing| self.comment_before(closing.start));
        if fields.is_empty() && !comment_inside {
            self.token("}", closing);
            return;
        }
        for (index, field) in fields.iter().enumerate() {
            self.field(field, INDENT, fields.get(index + 1));
        }
        self.closing_line(0);
        self.token("}", closing);
    }

    /// A field on its own lines. A default is followed by a comma when the next field's name would
    /// be read as its unit (after a bare number) or the next field's `///` as a division.
    fn field(&mut self, field: &FieldDeclaration, indent: usize, next: Option<&FieldDeclaration>) {
        let positions = self
            .source
            .doc_lines_before(field.name.span.start, field.docs.len());
        self.docs(&field.docs, positions, indent);
        self.line(indent);
        self.atom(&field.name.text, field.name.span);
        self.text(": ");
        self.type_expression(&field.ty);
        if let Some(minimum) = &field.minimum {
            self.text(if minimum.strict { " > " } else { " >= " });
            self.expression(&minimum.value, Place::WHOLE, indent + 2 * INDENT);
            // As after a default: the next field's name would be read as the number's unit.
            let last_clause = field.most_restrictive.is_none() && field.default.is_none();
            if last_clause && next.is_some() && ends_in_bare_number(&minimum.value) {
                self.text(",");
            }
        }
        if let Some(clause) = &field.most_restrictive {
            let position = self
                .source
                .keyword_after(clause.span.start as usize, "most");
            self.text(" ");
            self.token("most", position);
            self.text(" restrictive");
            for citation in &clause.citations {
                self.line(indent + INDENT);
                self.citation(citation);
            }
        }
        if let Some(default) = &field.default {
            self.text(" = ");
            self.expression(default, Place::WHOLE, indent + 2 * INDENT);
            let needs_comma =
                next.is_some_and(|next| !next.docs.is_empty() || ends_in_bare_number(default));
            if needs_comma {
                self.text(",");
            }
        }
    }

    fn type_expression(&mut self, ty: &TypeExpr) {
        match &ty.kind {
            TypeExprKind::Named { name, unit } => {
                self.atom(&name.text, name.span);
                if let Some(unit) = unit {
                    self.text(" ");
                    self.atom(&unit_text(unit), unit.span);
                }
            }
            TypeExprKind::Set(element) | TypeExprKind::List(element) => {
                let keyword = if matches!(ty.kind, TypeExprKind::Set(_)) {
                    "set"
                } else {
                    "list"
                };
                let position = self.source.keyword_after(ty.span.start as usize, keyword);
                self.token(keyword, position);
                self.text(" of ");
                self.type_expression(element);
            }
        }
        if ty.optional {
            self.text("?");
        }
    }

    fn enumeration(&mut self, enumeration: &EnumDeclaration, declaration_span: Span) {
        self.text("enum ");
        self.atom(&enumeration.name.text, enumeration.name.span);
        let closing = self
            .source
            .mark_at(declaration_span.end.saturating_sub(1), b'}');
        let name_end = self.end_of(enumeration.name.span);
        let first_start = |variant: &Variant| {
            self.source
                .doc_lines_before(variant.name.span.start, variant.docs.len())
                .and_then(|positions| positions.first())
                .map_or(variant.name.span.start as usize, |(start, _)| *start)
        };
        let comment_inside = self.comment_after(name_end)
            || closing.is_some_and(|closing| self.comment_before(closing.start))
            || enumeration.variants.iter().any(|variant| {
                self.targets.line_before.contains(&first_start(variant))
                    || self.comment_after(self.end_of(variant.name.span))
            });
        let documented = enumeration
            .variants
            .iter()
            .any(|variant| !variant.docs.is_empty());
        let one_line_width =
            self.measure(|printer| printer.enumeration_on_one_line(&enumeration.variants, None));
        if !comment_inside && !documented && self.fits(one_line_width) {
            self.enumeration_on_one_line(&enumeration.variants, closing);
            return;
        }
        self.text(" {");
        for variant in &enumeration.variants {
            let positions = self
                .source
                .doc_lines_before(variant.name.span.start, variant.docs.len());
            self.docs(&variant.docs, positions, INDENT);
            self.line(INDENT);
            self.atom(&variant.name.text, variant.name.span);
            if variant.less_than {
                self.text(" <");
            }
        }
        self.closing_line(0);
        self.token("}", closing);
    }

    fn enumeration_on_one_line(&mut self, variants: &[Variant], closing: Option<Span>) {
        if variants.is_empty() {
            self.text(" {");
        } else {
            self.text(" { ");
            let mut ordered = false;
            for (index, variant) in variants.iter().enumerate() {
                if index > 0 {
                    self.text(if ordered { " < " } else { ", " });
                }
                self.atom(&variant.name.text, variant.name.span);
                ordered = variant.less_than;
            }
            self.text(if ordered { " < " } else { " " });
        }
        self.token("}", closing);
    }

    /// A provision after its keyword: its name, what it defines, and its clauses.
    fn provision(&mut self, provision: &Provision) {
        self.text(" ");
        self.atom(&provision.name.text, provision.name.span);
        match &provision.kind {
            ProvisionKind::Const { ty, value } | ProvisionKind::Define { ty, value } => {
                if let Some(ty) = ty {
                    self.text(": ");
                    self.type_expression(ty);
                }
                self.text(" = ");
                self.expression(value, Place::WHOLE, 2 * INDENT);
            }
            ProvisionKind::Group { title, members, .. } => {
                if let Some(title) = title {
                    self.text(" ");
                    self.text(&quoted(title));
                }
                self.text(" = ");
                self.group_expression(members);
            }
            ProvisionKind::Alias { target } => {
                self.text(" = ");
                self.atom(&target.text, target.span);
            }
            ProvisionKind::Table { ty, .. } => {
                if let Some(ty) = ty {
                    self.text(": ");
                    self.type_expression(ty);
                }
            }
            ProvisionKind::Rule(_) => {}
        }
        self.citation_lines(&provision.citations);
        if let Some(effective) = &provision.effective {
            self.dated_line("effective", effective);
        }
        if let Some(through) = &provision.through {
            self.dated_line("through", through);
        }
        match &provision.kind {
            ProvisionKind::Group { changes, .. } => {
                for change in changes {
                    self.line(INDENT);
                    self.membership_change(change);
                }
            }
            ProvisionKind::Table { rows, .. } => {
                for row in rows {
                    self.line(INDENT);
                    self.token(
                        "from",
                        self.source
                            .keyword_before(row.from.span.start as usize, "from"),
                    );
                    self.text(" ");
                    self.atom(&date_text(row.from.date), row.from.span);
                    self.text(": ");
                    self.expression(&row.value, Place::WHOLE, 3 * INDENT);
                }
            }
            ProvisionKind::Rule(rule) => self.rule_clauses(rule),
            _ => {}
        }
    }

    fn rule_clauses(&mut self, rule: &Rule) {
        for (keyword, names) in [
            ("unless", &rule.unless),
            ("notwithstanding", &rule.notwithstanding),
        ] {
            if let Some(first) = names.first() {
                self.line(INDENT);
                self.token(
                    keyword,
                    self.source
                        .keyword_before(first.span.start as usize, keyword),
                );
                self.text(" ");
                self.names(names);
            }
        }
        if let Some(condition) = &rule.when {
            self.line(INDENT);
            self.token(
                "when",
                self.source
                    .keyword_before(condition.span.start as usize, "when"),
            );
            self.text(" ");
            self.expression(condition, Place::WHOLE, 2 * INDENT);
        }
        if !rule.then.is_empty() {
            self.line(INDENT);
            let then_keyword =
                (self.source.word_at(rule.then_span.start as usize) == "then").then(|| {
                    Span::new(
                        rule.then_span.start as usize,
                        rule.then_span.start as usize + 4,
                    )
                });
            self.token("then", then_keyword);
            self.text(" ");
            self.conclusions(&rule.then);
        }
    }

    /// Conclusions on the `then` line, or one per line when they do not fit.
    fn conclusions(&mut self, conclusions: &[Conclusion]) {
        let indent = self.indent();
        let last = conclusions.len().saturating_sub(1);
        let comment_between = conclusions.iter().enumerate().any(|(index, conclusion)| {
            (index > 0 && self.comment_before(conclusion.field.span.start))
                || (index < last && self.comment_after(self.end_of(conclusion.value.span)))
        });
        let one_line_width =
            self.measure(|printer| printer.conclusion_list(conclusions, false, indent));
        let broken = !self.measuring && (comment_between || !self.fits(one_line_width));
        self.conclusion_list(conclusions, broken, indent);
    }

    fn conclusion_list(&mut self, conclusions: &[Conclusion], broken: bool, indent: usize) {
        for (index, conclusion) in conclusions.iter().enumerate() {
            if index > 0 {
                if broken {
                    self.text(",");
                    self.line(indent + INDENT);
                } else {
                    self.text(", ");
                }
            }
            self.atom(&conclusion.field.text, conclusion.field.span);
            self.text(if conclusion.add { " += " } else { " = " });
            self.expression(&conclusion.value, Place::WHOLE, indent + 2 * INDENT);
        }
    }

    fn membership_change(&mut self, change: &MembershipChange) {
        let keyword = if change.joins { "joins" } else { "leaves" };
        let position = self
            .source
            .keyword_after(change.span.start as usize, keyword);
        self.token(keyword, position);
        self.text(" ");
        self.atom(&change.country.text, change.country.span);
        self.text(" on ");
        self.atom(&date_text(change.on.date), change.on.span);
        for citation in &change.citations {
            self.text(" ");
            self.citation(citation);
        }
    }

    fn group_expression(&mut self, expression: &GroupExpr) {
        let terms: Vec<(Option<GroupOp>, &GroupTerm)> = std::iter::once((None, &expression.first))
            .chain(
                expression
                    .rest
                    .iter()
                    .map(|(operator, term)| (Some(*operator), term)),
            )
            .collect();
        for (index, (operator, term)) in terms.iter().enumerate() {
            match operator {
                Some(GroupOp::Union) => self.text(" + "),
                Some(GroupOp::Difference) => self.text(" - "),
                None => {}
            }
            match term {
                GroupTerm::Group(name) => self.atom(&name.text, name.span),
                GroupTerm::Countries(members, span) => {
                    let rest = &terms[index + 1..];
                    let rest_width = self.measure(|printer| {
                        for (operator, term) in rest {
                            printer.text(if *operator == Some(GroupOp::Difference) {
                                " - "
                            } else {
                                " + "
                            });
                            match term {
                                GroupTerm::Group(name) => printer.text(&name.text),
                                GroupTerm::Countries(members, span) => {
                                    printer.country_set(members, *span, 0)
                                }
                            }
                        }
                    });
                    self.country_set(members, *span, rest_width);
                }
            }
        }
    }

    /// `{ AF BY CN }`, or a block of codes filling lines when that does not fit in the line with
    /// `rest_width` more columns after it.
    fn country_set(&mut self, members: &[Name], span: Span, rest_width: usize) {
        let opening = self.source.mark_at(span.start, b'{');
        let closing = self.source.mark_at(span.end.saturating_sub(1), b'}');
        let comment_inside = opening
            .is_some_and(|opening| self.comment_after(opening.end as usize))
            || closing.is_some_and(|closing| self.comment_before(closing.start))
            || members.iter().any(|member| {
                self.comment_before(member.span.start)
                    || self.comment_after(self.end_of(member.span))
            });
        let one_line_width = if members.is_empty() {
            2
        } else {
            3 + members
                .iter()
                .map(|member| member.text.len() + 1)
                .sum::<usize>()
        };
        if self.measuring || (!comment_inside && self.fits(one_line_width + rest_width)) {
            self.token("{", opening);
            for member in members {
                self.text(" ");
                self.atom(&member.text, member.span);
            }
            self.text(if members.is_empty() { "" } else { " " });
            self.token("}", closing);
            return;
        }
        let indent = self.indent();
        self.token("{", opening);
        let mut previous_end: Option<usize> = None;
        for member in members {
            let starts_line = previous_end.is_none_or(|end| self.comment_after(end))
                || self.comment_before(member.span.start)
                || !self.fits(1 + member.text.len());
            if starts_line {
                self.line(indent + INDENT);
            } else {
                self.text(" ");
            }
            self.atom(&member.text, member.span);
            previous_end = Some(self.end_of(member.span));
        }
        self.closing_line(indent);
        self.token("}", closing);
    }

    fn test(&mut self, test: &TestDeclaration) {
        self.text("test ");
        self.atom(&test.name.text, test.name.span);
        self.line(INDENT);
        let given = self
            .source
            .keyword_after(self.end_of(test.name.span), "given");
        self.token("given", given);
        self.text(" ");
        let given_end = match &test.given {
            Given::Example(name) => {
                self.atom(&name.text, name.span);
                self.end_of(name.span)
            }
            Given::Facts(entries, span) => {
                let opening = self.source.mark_at(span.start, b'{');
                let closing = self.source.mark_at(span.end.saturating_sub(1), b'}');
                self.fact_record(entries, opening, closing);
                self.end_of(*span)
            }
        };
        // The `with` record has no span of its own: its keyword and braces are found in the text.
        let with = self.source.keyword_after(given_end, "with");
        let with_opening =
            with.and_then(|with| self.source.mark_after(with.end as usize, b'{', false));
        let with_closing = with_opening.and_then(|opening| {
            let after_entries = test
                .overrides
                .last()
                .map_or(opening.end as usize, |entry| self.end_of(entry.value.span));
            self.source.mark_after(after_entries, b'}', true)
        });
        if !test.overrides.is_empty() {
            self.text(" ");
            self.token("with", with);
            self.text(" ");
            self.fact_record(&test.overrides, with_opening, with_closing);
        }
        let expect_from = with_closing.map_or(given_end, |closing| closing.end as usize);
        let expect = self.source.keyword_after(expect_from, "expect");
        let expect_opening =
            expect.and_then(|expect| self.source.mark_after(expect.end as usize, b'{', false));
        let expect_closing = expect_opening.and_then(|opening| {
            let after_entries = test
                .expect
                .last()
                .map_or(opening.end as usize, |entry| self.end_of(entry.value.span));
            self.source.mark_after(after_entries, b'}', true)
        });
        self.line(INDENT);
        self.token("expect", expect);
        self.text(" ");
        self.fact_record(&test.expect, expect_opening, expect_closing);
    }

    // --- Facts written in the language.

    fn fact_value(&mut self, value: &FactValue) {
        match &value.kind {
            FactValueKind::Record(entries) => {
                let opening = self.source.mark_at(value.span.start, b'{');
                let closing = self.source.mark_at(value.span.end.saturating_sub(1), b'}');
                self.fact_record(entries, opening, closing);
            }
            FactValueKind::List(items) => {
                let opening = self.source.mark_at(value.span.start, b'[');
                let closing = self.source.mark_at(value.span.end.saturating_sub(1), b']');
                self.fact_list(items, opening, closing);
            }
            FactValueKind::Date(date) => self.atom(&date_text(*date), value.span),
            FactValueKind::Number(number) => self.atom(&decimal_text(*number), value.span),
            FactValueKind::String(text) => self.atom(&quoted(text), value.span),
            FactValueKind::Bool(true) => self.atom("true", value.span),
            FactValueKind::Bool(false) => self.atom("false", value.span),
            FactValueKind::Null => self.atom("null", value.span),
            FactValueKind::Eccn(text)
            | FactValueKind::Country(text)
            | FactValueKind::Word(text) => self.atom(text, value.span),
        }
    }

    /// `{ key: value, ... }` on one line, or one entry per line.
    fn fact_record(&mut self, entries: &[FactEntry], opening: Option<Span>, closing: Option<Span>) {
        let comment_inside = opening
            .is_some_and(|opening| self.comment_after(opening.end as usize))
            || closing.is_some_and(|closing| self.comment_before(closing.start))
            || entries.iter().any(|entry| {
                self.comment_before(entry.key_span.start)
                    || self.comment_after(self.end_of(entry.value.span))
            });
        let one_line = self.measuring || {
            let width = self.measure(|printer| printer.fact_record(entries, None, None));
            !comment_inside && self.fits(width)
        };
        let indent = self.indent();
        self.token("{", opening);
        if one_line {
            for (index, entry) in entries.iter().enumerate() {
                self.text(if index > 0 { ", " } else { " " });
                self.fact_entry(entry);
            }
            self.text(if entries.is_empty() { "" } else { " " });
        } else {
            for (index, entry) in entries.iter().enumerate() {
                self.line(indent + INDENT);
                self.fact_entry(entry);
                if index + 1 < entries.len() {
                    self.text(",");
                }
            }
            self.closing_line(indent);
        }
        self.token("}", closing);
    }

    fn fact_entry(&mut self, entry: &FactEntry) {
        self.atom(&entry.key.join("."), entry.key_span);
        self.text(": ");
        self.fact_value(&entry.value);
    }

    /// `[a, b]` on one line, or one item per line.
    fn fact_list(&mut self, items: &[FactValue], opening: Option<Span>, closing: Option<Span>) {
        let comment_inside = opening
            .is_some_and(|opening| self.comment_after(opening.end as usize))
            || closing.is_some_and(|closing| self.comment_before(closing.start))
            || items.iter().any(|item| {
                self.comment_before(item.span.start) || self.comment_after(self.end_of(item.span))
            });
        let one_line = self.measuring || {
            let width = self.measure(|printer| printer.fact_list(items, None, None));
            !comment_inside && self.fits(width)
        };
        let indent = self.indent();
        self.token("[", opening);
        if one_line {
            for (index, item) in items.iter().enumerate() {
                if index > 0 {
                    self.text(", ");
                }
                self.fact_value(item);
            }
        } else {
            for (index, item) in items.iter().enumerate() {
                self.line(indent + INDENT);
                self.fact_value(item);
                if index + 1 < items.len() {
                    self.text(",");
                }
            }
            self.closing_line(indent);
        }
        self.token("]", closing);
    }

    // --- Expressions.

    /// Prints `expression` where `place` says, in parentheses if the grammar needs them there.
    /// Lines broken inside it continue at `continuation`.
    fn expression(&mut self, expression: &Expr, place: Place, continuation: usize) {
        let parenthesized = binding(expression) < place.minimum
            || (place.operator_follows && matches!(expression.kind, ExprKind::Quantifier { .. }))
            || (place.field_follows && matches!(expression.kind, ExprKind::Eccn(_)));
        if parenthesized {
            self.text("(");
            self.bare_expression(expression, false, continuation);
            self.text(")");
        } else {
            self.bare_expression(expression, place.operator_follows, continuation);
        }
    }

    /// Prints `expression` without parentheses around it. `operator_follows` says whether an
    /// operator that binds tighter than `and` is printed right after it.
    fn bare_expression(&mut self, expression: &Expr, operator_follows: bool, continuation: usize) {
        let span = expression.span;
        match &expression.kind {
            ExprKind::Number { value, unit } => {
                let number = decimal_text(*value);
                match unit {
                    Some(unit) => {
                        self.atom(
                            &number,
                            Span::new(span.start as usize, span.start as usize + 1),
                        );
                        self.text(" ");
                        self.atom(&unit_text(unit), unit.span);
                    }
                    None => self.atom(&number, span),
                }
            }
            ExprKind::Bool(true) => self.atom("true", span),
            ExprKind::Bool(false) => self.atom("false", span),
            ExprKind::String(text) => self.atom(&quoted(text), span),
            ExprKind::Date(date) => self.atom(&date_text(*date), span),
            ExprKind::Country(text) | ExprKind::Eccn(text) | ExprKind::Name(text) => {
                self.atom(text, span)
            }
            ExprKind::Field(base, field) => {
                let place = Place {
                    minimum: 8,
                    operator_follows: true,
                    field_follows: true,
                };
                self.expression(base, place, continuation);
                self.text(".");
                self.atom(&field.text, field.span);
            }
            ExprKind::Chain(operator, _)
            | ExprKind::Binary(operator @ (BinaryOp::And | BinaryOp::Or), _, _) => {
                self.chain(expression, *operator, operator_follows, continuation);
            }
            ExprKind::Binary(operator, left, right) => {
                let (left_minimum, right_minimum) = operand_minimums(*operator);
                self.expression(left, Place::new(left_minimum, true), continuation + INDENT);
                self.text(" ");
                self.text(operator.as_str());
                self.text(" ");
                self.expression(
                    right,
                    Place::new(right_minimum, operator_follows),
                    continuation + INDENT,
                );
            }
            ExprKind::Not(operand) => {
                let keyword = self.source.keyword_after(span.start as usize, "not");
                self.token("not ", keyword);
                self.expression(
                    operand,
                    Place::new(3, operator_follows),
                    continuation + INDENT,
                );
            }
            ExprKind::Negate(operand) => {
                self.token("-", self.source.mark_at(span.start, b'-'));
                self.expression(operand, Place::new(8, true), continuation + INDENT);
            }
            ExprKind::Call(function, arguments) => {
                self.atom(&function.text, function.span);
                self.text("(");
                self.expression_list(arguments, continuation);
                self.token(")", self.source.mark_at(span.end.saturating_sub(1), b')'));
            }
            ExprKind::List(elements) => {
                self.token("[", self.source.mark_at(span.start, b'['));
                self.expression_list(elements, continuation);
                self.token("]", self.source.mark_at(span.end.saturating_sub(1), b']'));
            }
            ExprKind::Set(elements) => {
                self.token("{", self.source.mark_at(span.start, b'{'));
                if !elements.is_empty() {
                    self.text(" ");
                    self.expression_list(elements, continuation);
                    self.text(" ");
                }
                self.token("}", self.source.mark_at(span.end.saturating_sub(1), b'}'));
            }
            ExprKind::Quantifier {
                all,
                variable,
                over,
                body,
            } => {
                let keyword = if *all { "all" } else { "any" };
                let position = self.source.keyword_after(span.start as usize, keyword);
                self.token(keyword, position);
                self.text(" ");
                self.atom(&variable.text, variable.span);
                self.text(" in ");
                self.expression(over, Place::new(5, true), continuation + INDENT);
                self.text(": ");
                self.expression(body, Place::new(3, operator_follows), continuation + INDENT);
            }
        }
    }

    fn expression_list(&mut self, elements: &[Expr], continuation: usize) {
        for (index, element) in elements.iter().enumerate() {
            if index > 0 {
                self.text(", ");
            }
            self.expression(element, Place::WHOLE, continuation + INDENT);
        }
    }

    /// An `and` or `or` chain: on one line when it fits and no comment needs a break inside it,
    /// otherwise one operand per line, each continuation line starting with the operator.
    fn chain(
        &mut self,
        expression: &Expr,
        operator: BinaryOp,
        operator_follows: bool,
        continuation: usize,
    ) {
        let mut operands: Vec<&Expr> = Vec::new();
        collect_chain(expression, operator, &mut operands);
        let (left_minimum, right_minimum) = operand_minimums(operator);
        let last = operands.len().saturating_sub(1);
        let comment_between = operands.iter().enumerate().any(|(index, operand)| {
            (index > 0 && self.comment_before(operand.span.start))
                || (index < last && self.comment_after(self.end_of(operand.span)))
        });
        let broken = !self.measuring
            && (comment_between || {
                let width = self
                    .measure(|printer| printer.bare_expression(expression, operator_follows, 0));
                !self.fits(width)
            });
        for (index, operand) in operands.iter().enumerate() {
            let place = if index == 0 {
                Place::new(left_minimum, false)
            } else {
                if broken {
                    self.line(continuation);
                } else {
                    self.text(" ");
                }
                self.text(operator.as_str());
                self.text(" ");
                Place::new(right_minimum, index == last && operator_follows)
            };
            self.expression(operand, place, continuation + INDENT);
        }
    }
}

/// The operands of a chain of one operator, left to right (a chain whose first operand is a chain
/// of the same operator is one chain: the parser reads it so).
fn collect_chain<'e>(expression: &'e Expr, operator: BinaryOp, operands: &mut Vec<&'e Expr>) {
    match &expression.kind {
        ExprKind::Chain(found, chained) if *found == operator => {
            for (index, operand) in chained.iter().enumerate() {
                if index == 0 {
                    collect_chain(operand, operator, operands);
                } else {
                    operands.push(operand);
                }
            }
        }
        ExprKind::Binary(found, left, right) if *found == operator => {
            collect_chain(left, operator, operands);
            operands.push(right);
        }
        _ => operands.push(expression),
    }
}

// ------------------------------------------------------------------------------------------------
// Literals.

/// A string literal with the grammar's escapes.
fn quoted(text: &str) -> String {
    format!("\"{}\"", text.replace('\\', "\\\\").replace('"', "\\\""))
}

fn date_text(date: Date) -> String {
    format!("{:04}-{:02}-{:02}", date.year(), date.month(), date.day())
}

/// A unit as written: `TPP/mm^2`.
fn unit_text(unit: &UnitExpr) -> String {
    let mut text = String::new();
    for (index, (name, power)) in unit.factors.iter().enumerate() {
        if index > 0 {
            text.push(if *power < 0 { '/' } else { '*' });
        }
        text.push_str(name);
        if power.unsigned_abs() != 1 {
            text.push('^');
            text.push_str(&power.unsigned_abs().to_string());
        }
    }
    text
}

/// A number in canonical form: as many digits after the point as the value holds (`3.0` stays
/// `3.0`, as the regulation writes it), `_` between thousands from five digits on (`26_900_000`),
/// and scientific notation for whole numbers ending in ten or more zeros (`1e26`, `2.5e25`).
pub(crate) fn decimal_text(value: Decimal) -> String {
    let plain = value.to_string();
    let (sign, digits) = match plain.strip_prefix('-') {
        Some(digits) => ("-", digits),
        None => ("", plain.as_str()),
    };
    let (whole, fraction) = match digits.split_once('.') {
        Some((whole, fraction)) => (whole, Some(fraction)),
        None => (digits, None),
    };
    if fraction.is_none() {
        let significant = whole.trim_end_matches('0');
        let zeros = whole.len() - significant.len();
        if zeros >= 10 && !significant.is_empty() {
            let exponent = whole.len() - 1;
            let (first, rest) = significant.split_at(1);
            return if rest.is_empty() {
                format!("{sign}{first}e{exponent}")
            } else {
                format!("{sign}{first}.{rest}e{exponent}")
            };
        }
    }
    let whole = if whole.len() >= 5 {
        with_thousands_separators(whole)
    } else {
        whole.to_string()
    };
    match fraction {
        Some(fraction) => format!("{sign}{whole}.{fraction}"),
        None => format!("{sign}{whole}"),
    }
}

fn with_thousands_separators(digits: &str) -> String {
    let mut grouped = String::with_capacity(digits.len() + digits.len() / 3);
    for (index, digit) in digits.chars().enumerate() {
        if index > 0 && (digits.len() - index).is_multiple_of(3) {
            grouped.push('_');
        }
        grouped.push(digit);
    }
    grouped
}

/// What each declaration of a file says, for comparing two texts regardless of layout: its syntax
/// tree without spans, or for a declaration that does not parse, what could be read of it and the
/// error's code. Formatting must leave this unchanged.
pub fn meaning(text: &str) -> Vec<String> {
    crate::parse::split(text)
        .iter()
        .map(|chunk| match crate::parse::parse_chunk(&chunk.text) {
            crate::parse::ParsedChunk::Declaration(declaration) => {
                without_spans(&format!("{declaration:?}"))
            }
            crate::parse::ParsedChunk::Broken {
                keyword,
                name,
                error,
            } => format!(
                "broken {keyword:?} {:?} {}",
                name.map(|name| name.text),
                error.code
            ),
        })
        .collect()
}

/// A syntax tree's debug text with every `Span { start: N, end: N }` made `Span`.
fn without_spans(debug: &str) -> String {
    let mut result = String::with_capacity(debug.len());
    let mut rest = debug;
    while let Some(index) = rest.find("Span { start: ") {
        result.push_str(&rest[..index]);
        result.push_str("Span");
        rest = &rest[index..];
        rest = rest.find('}').map_or("", |end| &rest[end + 1..]);
    }
    result.push_str(rest);
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    fn number(text: &str) -> String {
        decimal_text(parse::parse_decimal(text).unwrap_or_default())
    }

    #[test]
    fn numbers_are_written_canonically() {
        assert_eq!(number("4800"), "4800");
        assert_eq!(number("15832"), "15_832");
        assert_eq!(number("26900000"), "26_900_000");
        assert_eq!(number("26_900_000"), "26_900_000");
        assert_eq!(number("5.920"), "5.920");
        assert_eq!(number("3.0"), "3.0");
        assert_eq!(number("12345.5"), "12_345.5");
        assert_eq!(number("0"), "0");
        assert_eq!(number("0.001"), "0.001");
        assert_eq!(number("1e26"), "1e26");
        assert_eq!(number("2.5e25"), "2.5e25");
        assert_eq!(number("1e10"), "1e10");
        assert_eq!(number("9000000000"), "9_000_000_000");
        assert_eq!(number("1e3"), "1000");
    }

    #[test]
    fn strings_are_escaped() {
        assert_eq!(quoted(r#"a "b" \c"#), r#""a \"b\" \\c""#);
    }
}
