//! Try a transaction (`/try`): takes a query string (the form's fields, named by their JSON
//! paths: `item.tpp=15832`) and gives the form built from the version's schema, and, once a
//! transaction is given, the engine's decision with its explanation written for a lawyer.
//!
//! The form is a `GET` form, so the page's address is a link that asks the same question again.
//! Every field is sent as written: numbers stay text until the engine reads them exactly (a
//! number that is not one reaches the engine as text, and its message comes back next to the
//! field). The transaction is decided by `cordon_engine::decide` on the engine's pool, with the
//! version in force on its date or the one pinned; every error the engine names by a fact's path
//! is shown next to that fact's field.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::OnceLock;

use axum::extract::{RawQuery, State};
use axum::response::{IntoResponse, Response};
use maud::{Markup, html};
use serde_json::{Map, Value as Json};

use cordon_engine::{CompiledVersion, DecideError, Decision, Detail, Policy};
use cordon_lang::hir::{self, FieldMode, Type};

use super::layout::{PageError, Place, country, shell};
use super::{current_policy, default_version, find_version};
use crate::routes::App;

/// The query parameter that pins a version; every other parameter is a fact.
const VERSION: &str = "version";

/// What the form was given: each fact path with the values sent for it, in order.
type Values = BTreeMap<String, Vec<String>>;

/// An error to show: the fact path it concerns (`` for the transaction as a whole) and the message.
struct FieldError {
    path: String,
    message: String,
}

/// `GET /try`.
pub async fn page(
    State(app): State<App>,
    RawQuery(query): RawQuery,
) -> Result<Response, PageError> {
    let policy = current_policy(&app, Place::Try)?;
    let pairs: Vec<(String, String)> = serde_urlencoded::from_str(query.as_deref().unwrap_or(""))
        .map_err(|error| {
        PageError::bad_request(Place::Try, format!("the query string: {error}"))
    })?;
    let pin = pairs
        .iter()
        .rev()
        .find(|(name, _)| name == VERSION)
        .map(|(_, value)| value.trim().to_string())
        .filter(|pin| !pin.is_empty());
    let mut values = Values::new();
    for (name, value) in pairs.iter().filter(|(name, _)| name != VERSION) {
        values.entry(name.clone()).or_default().push(value.clone());
    }
    let schema = match &pin {
        Some(pin) => find_version(&policy, pin, Place::Try)?,
        None => schema_version(&policy, &values)
            .ok_or_else(|| PageError::bad_request(Place::Try, "the policy has no versions"))?,
    };
    let mut errors = Vec::new();
    let mut decision = None;
    if !values.is_empty() {
        let known = leaf_paths(&schema.hir);
        for name in values.keys().filter(|name| !known.contains(name.as_str())) {
            errors.push(FieldError {
                path: String::new(),
                message: format!("`{name}` is not a fact of version {}'s schema", schema.id),
            });
        }
        if errors.is_empty() {
            let facts = Json::Object(record_json(&schema.hir, &schema.hir.facts, "", &values));
            let engine_policy = policy.clone();
            let engine_pin = pin.clone();
            let decided = app
                .0
                .pool
                .run(move || {
                    cordon_engine::decide(
                        &engine_policy,
                        engine_pin.as_deref(),
                        &facts,
                        Detail::Explain,
                    )
                })
                .await
                .map_err(|error| PageError::from((Place::Try, error)))?;
            match decided {
                Ok(decided) => decision = Some(decided),
                Err(error) => errors = field_errors(error, pin.is_some()),
            }
        }
    }
    let link = link(pin.as_deref(), &values);
    let body = html! {
        h1 { "Try a transaction" }
        p.lede {
            "Fill in the facts of one transaction and submit: the engine decides it with the version in force on its date, or with the version you pin, and says which provisions decided and why the others did not apply. "
            "Numbers are read exactly as written (no rounding); fields left empty are absent."
        }
        div.columns {
            div { (form(&policy, schema, pin.as_deref(), &values, &errors)) }
            div {
                @if let Some(decision) = &decision {
                    (decision_view(&policy, decision, pin.is_some(), &link))
                } @else if !errors.is_empty() {
                    (error_summary(&errors))
                }
            }
        }
    };
    let mut response = shell("Try a transaction", Place::Try, None, body).into_response();
    if decision.is_none() && !errors.is_empty() {
        *response.status_mut() = axum::http::StatusCode::UNPROCESSABLE_ENTITY;
        response
            .extensions_mut()
            .insert(crate::errors::ErrorKind("facts"));
    }
    Ok(response)
}

/// The version whose schema the form shows: the one in force on the date given, else today's.
fn schema_version<'a>(policy: &'a Policy, values: &Values) -> Option<&'a CompiledVersion> {
    values
        .get("date")
        .and_then(|dates| dates.last())
        .and_then(|date| date.trim().parse::<jiff::civil::Date>().ok())
        .and_then(|date| policy.in_force_on(date).ok())
        .or_else(|| default_version(policy))
}

/// The page's own address, with the fields that were filled in: it asks the same question.
fn link(pin: Option<&str>, values: &Values) -> String {
    let mut pairs: Vec<(&str, &str)> = Vec::new();
    if let Some(pin) = pin {
        pairs.push((VERSION, pin));
    }
    for (name, sent) in values {
        for value in sent.iter().filter(|value| !value.trim().is_empty()) {
            pairs.push((name, value));
        }
    }
    format!(
        "/try?{}",
        serde_urlencoded::to_string(&pairs).unwrap_or_default()
    )
}

/// The address of the try view for a transaction given as JSON (a diff's witness), pinned to a
/// version or not: each fact under its path, each member of a list under the list's path.
pub fn link_for(facts: &Json, pin: Option<&str>) -> String {
    let mut pairs: Vec<(String, String)> = Vec::new();
    if let Some(pin) = pin {
        pairs.push((VERSION.to_string(), pin.to_string()));
    }
    flatten(facts, "", &mut pairs);
    format!(
        "/try?{}",
        serde_urlencoded::to_string(&pairs).unwrap_or_default()
    )
}

fn flatten(value: &Json, path: &str, pairs: &mut Vec<(String, String)>) {
    match value {
        Json::Object(fields) => {
            for (name, value) in fields {
                let path = if path.is_empty() {
                    name.clone()
                } else {
                    format!("{path}.{name}")
                };
                flatten(value, &path, pairs);
            }
        }
        Json::Array(items) => {
            for item in items {
                flatten(item, path, pairs);
            }
        }
        Json::String(text) => pairs.push((path.to_string(), text.clone())),
        Json::Number(number) => pairs.push((path.to_string(), number.to_string())),
        Json::Bool(value) => pairs.push((path.to_string(), value.to_string())),
        Json::Null => {}
    }
}

/// The record type a field holds, if it holds one.
fn record_of<'h>(hir: &'h hir::Version, ty: &Type) -> Option<&'h hir::Record> {
    match unwrap_optional(ty) {
        Type::Record(name) => hir.records.get(name),
        _ => None,
    }
}

fn unwrap_optional(ty: &Type) -> &Type {
    match ty {
        Type::Optional(inner) => unwrap_optional(inner),
        other => other,
    }
}

/// Every fact path of the schema that has a field of its own.
fn leaf_paths(hir: &hir::Version) -> BTreeSet<String> {
    fn walk(hir: &hir::Version, record: &hir::Record, prefix: &str, out: &mut BTreeSet<String>) {
        for field in &record.fields {
            let path = join(prefix, &field.name);
            match record_of(hir, &field.ty) {
                Some(inner) => walk(hir, inner, &path, out),
                None => {
                    out.insert(path);
                }
            }
        }
    }
    let mut out = BTreeSet::new();
    walk(hir, &hir.facts, "", &mut out);
    out
}

fn join(prefix: &str, name: &str) -> String {
    if prefix.is_empty() {
        name.to_string()
    } else {
        format!("{prefix}.{name}")
    }
}

/// The transaction's JSON from the form's values: fields left empty are absent, a record with no
/// field given is absent.
fn record_json(
    hir: &hir::Version,
    record: &hir::Record,
    prefix: &str,
    values: &Values,
) -> Map<String, Json> {
    let mut object = Map::new();
    for field in &record.fields {
        let path = join(prefix, &field.name);
        if let Some(inner) = record_of(hir, &field.ty) {
            let nested = record_json(hir, inner, &path, values);
            if !nested.is_empty() {
                object.insert(field.name.clone(), Json::Object(nested));
            }
            continue;
        }
        let sent: Vec<&str> = values
            .get(&path)
            .map(|sent| sent.iter().map(|value| value.trim()).collect())
            .unwrap_or_default();
        let ty = unwrap_optional(&field.ty);
        match ty.element() {
            Some(element) => {
                let items: Vec<Json> = if matches!(element, Type::Enum(_)) {
                    sent.iter()
                        .filter(|value| !value.is_empty())
                        .map(|value| scalar(element, value))
                        .collect()
                } else {
                    sent.iter()
                        .flat_map(|value| value.split(','))
                        .map(str::trim)
                        .filter(|value| !value.is_empty())
                        .map(|value| scalar(element, value))
                        .collect()
                };
                if !items.is_empty() {
                    object.insert(field.name.clone(), Json::Array(items));
                }
            }
            None => {
                if let Some(value) = sent.iter().rev().find(|value| !value.is_empty()) {
                    object.insert(field.name.clone(), scalar(ty, value));
                }
            }
        }
    }
    object
}

/// One value as the JSON the engine reads: a number as written (serde_json keeps its text, so it
/// is read exactly), `true`/`false`; anything else, or a number that is not one, as text (the
/// engine then says what it expected).
fn scalar(ty: &Type, text: &str) -> Json {
    match ty {
        Type::Number { .. } => match serde_json::from_str::<Json>(text) {
            Ok(number @ Json::Number(_)) => number,
            _ => Json::String(text.to_string()),
        },
        Type::Bool => match text {
            "true" => Json::Bool(true),
            "false" => Json::Bool(false),
            other => Json::String(other.to_string()),
        },
        _ => Json::String(text.to_string()),
    }
}

/// The engine's error as messages on the fields they concern.
fn field_errors(error: DecideError, pinned: bool) -> Vec<FieldError> {
    match error {
        DecideError::Facts { errors } => errors
            .into_iter()
            .map(|error| FieldError {
                path: error.path,
                message: error.message,
            })
            .collect(),
        DecideError::Version { message } => vec![FieldError {
            path: if pinned { VERSION } else { "date" }.to_string(),
            message,
        }],
        DecideError::Evaluation { path, message } => vec![FieldError { path, message }],
    }
}

/// The field an error path belongs to: `item.produced_with[1]` is `item.produced_with`'s.
fn field_of(path: &str) -> &str {
    path.split('[').next().unwrap_or(path)
}

fn error_summary(errors: &[FieldError]) -> Markup {
    html! {
        section.errors role="alert" aria-labelledby="errors-title" {
            h2 #errors-title { "The engine could not decide this transaction" }
            ul {
                @for error in errors {
                    li {
                        @if error.path.is_empty() {
                            (error.message)
                        } @else {
                            a href={ "#f-" (field_of(&error.path)) } { code { (error.path) } } ": " (error.message)
                        }
                    }
                }
            }
        }
    }
}

/// Every country, by name, once.
fn countries() -> &'static [(&'static str, &'static str)] {
    static COUNTRIES: OnceLock<Vec<(&'static str, &'static str)>> = OnceLock::new();
    COUNTRIES.get_or_init(|| {
        let mut all: Vec<(&str, &str)> = cordon_lang::ide::countries().collect();
        all.sort_by_key(|(_, name)| *name);
        all
    })
}

fn form(
    policy: &Policy,
    schema: &CompiledVersion,
    pin: Option<&str>,
    values: &Values,
    errors: &[FieldError],
) -> Markup {
    let version_errors: Vec<&FieldError> = errors.iter().filter(|e| e.path == VERSION).collect();
    html! {
        form method="get" action="/try" aria-label="The transaction" novalidate {
            div.field {
                label for="f-version" { "Version" }
                p.hint #h-version { "Leave as it is to decide with the version in force on the transaction's date; pin one to decide with it whatever the date." }
                select #f-version name="version" aria-describedby="h-version"
                    aria-invalid=[(!version_errors.is_empty()).then_some("true")] {
                    option value="" selected[pin.is_none()] { "The version in force on the date" }
                    @for version in &policy.versions {
                        option value=(version.id) selected[pin == Some(version.id.as_str())] {
                            (version.id)
                            @if let Some(title) = &version.hir.manifest.title { " — " (title) }
                        }
                    }
                }
                @for error in version_errors { p.error { (error.message) } }
            }
            p.hint { "The form follows the schema of version " a href={ "/versions/" (schema.id) } { (schema.id) } "." }
            @if !schema.hir.examples.is_empty() {
                details.noprint {
                    summary { "Start from one of the policy's examples" }
                    ul {
                        @for (name, example) in &schema.hir.examples {
                            li { a href=(link_for(&cordon_engine::json::fact_json(&example.facts), pin)) { (name) } }
                        }
                    }
                }
            }
            (fields(&schema.hir, &schema.hir.facts, "", values, errors))
            button type="submit" { "Decide" }
        }
    }
}

fn fields(
    hir: &hir::Version,
    record: &hir::Record,
    prefix: &str,
    values: &Values,
    errors: &[FieldError],
) -> Markup {
    html! {
        @for field in &record.fields {
            @let path = join(prefix, &field.name);
            @let own: Vec<&FieldError> = errors.iter().filter(|error| field_of(&error.path) == path).collect();
            @if let Some(inner) = record_of(hir, &field.ty) {
                fieldset #{ "f-" (path) } {
                    legend { (field.name) (mark(field)) }
                    @if !field.docs.is_empty() { p.hint { (field.docs.join(" ")) } }
                    @for error in &own { p.error role="alert" { code { (error.path) } ": " (error.message) } }
                    (fields(hir, inner, &path, values, errors))
                }
            } @else {
                (control(hir, field, &path, values.get(&path).map(Vec::as_slice).unwrap_or_default(), &own))
            }
        }
    }
}

/// How a field is marked: optional, or the value it takes when left empty.
fn mark(field: &hir::Field) -> Markup {
    let optional = matches!(field.ty, Type::Optional(_)) || field.mode == FieldMode::Optional;
    html! {
        @match &field.mode {
            FieldMode::Default(literal) => span.muted { " (if left empty: " (cordon_engine::text::text(&hir::Expr::Literal(literal.clone()))) ")" },
            _ if optional => span.muted { " (optional)" },
            _ => {}
        }
    }
}

/// One field: its label, its hint (the schema's words, the kind of value, its least value), the
/// control the kind of value takes, and its errors.
fn control(
    hir: &hir::Version,
    field: &hir::Field,
    path: &str,
    sent: &[String],
    errors: &[&FieldError],
) -> Markup {
    let id = format!("f-{path}");
    let hint_id = format!("h-{path}");
    let error_id = format!("e-{path}");
    let described = if errors.is_empty() {
        hint_id.clone()
    } else {
        format!("{hint_id} {error_id}")
    };
    let invalid = (!errors.is_empty()).then_some("true");
    let ty = unwrap_optional(&field.ty);
    let last = sent
        .iter()
        .rev()
        .find(|value| !value.trim().is_empty())
        .map_or("", String::as_str);
    let minimum = field.minimum.map(|(least, inclusive)| {
        format!(
            "{} {}",
            if inclusive { "at least" } else { "more than" },
            cordon_engine::text::grouped(least)
        )
    });
    let hint = html! {
        p.hint #(hint_id) {
            @if !field.docs.is_empty() { (field.docs.join(" ")) " (" }
            (ty)
            @if let Some(minimum) = &minimum { ", " (minimum) }
            @if ty.element().is_some() && !matches!(ty.element(), Some(Type::Enum(_))) { "; separate them with commas" }
            @if !field.docs.is_empty() { ")" }
        }
    };
    let error_text = html! {
        @if !errors.is_empty() {
            div #(error_id) {
                @for error in errors { p.error { code { (error.path) } ": " (error.message) } }
            }
        }
    };
    let label = html! { label for=(id) { (path) (mark(field)) } };
    match ty {
        Type::Set(element) | Type::List(element) if matches!(**element, Type::Enum(_)) => {
            let variants = match &**element {
                Type::Enum(name) => hir
                    .enums
                    .get(name)
                    .map(|e| e.variants.clone())
                    .unwrap_or_default(),
                _ => Vec::new(),
            };
            html! {
                fieldset.checks #(id) aria-describedby=(described) {
                    legend { (path) (mark(field)) }
                    (hint)
                    @for variant in &variants {
                        @let box_id = format!("{id}-{variant}");
                        input type="checkbox" id=(box_id) name=(path) value=(variant) checked[sent.iter().any(|v| v == variant)];
                        label for=(box_id) { (variant) }
                    }
                    (error_text)
                }
            }
        }
        Type::Bool | Type::Enum(_) | Type::Country => {
            // A choice among the values the schema allows; a value sent that is not one of them
            // stays selected, so the engine's error about it is shown beside what was sent.
            let (choices, unknown): (Vec<(String, String)>, String) = match ty {
                Type::Bool => (
                    vec![("true".into(), "yes".into()), ("false".into(), "no".into())],
                    last.to_string(),
                ),
                Type::Enum(name) => (
                    hir.enums
                        .get(name)
                        .map(|e| e.variants.iter().map(|v| (v.clone(), v.clone())).collect())
                        .unwrap_or_default(),
                    last.to_string(),
                ),
                _ => (
                    countries()
                        .iter()
                        .map(|(code, name)| (code.to_string(), format!("{name} ({code})")))
                        .collect(),
                    country(last),
                ),
            };
            let sent_other = !last.is_empty() && !choices.iter().any(|(value, _)| value == last);
            html! {
                div.field {
                    (label) (hint)
                    select id=(id) name=(path) aria-describedby=(described) aria-invalid=[invalid] {
                        option value="" selected[last.is_empty()] { "— not given —" }
                        @for (value, text) in &choices { option value=(value) selected[last == value] { (text) } }
                        @if sent_other { option value=(last) selected { (unknown) } }
                    }
                    (error_text)
                }
            }
        }
        Type::Date => html! {
            div.field {
                (label) (hint)
                input type="date" id=(id) name=(path) value=(last) aria-describedby=(described) aria-invalid=[invalid];
                (error_text)
            }
        },
        other => {
            let shown = if other.element().is_some() {
                sent.iter()
                    .map(|v| v.trim())
                    .filter(|v| !v.is_empty())
                    .collect::<Vec<_>>()
                    .join(", ")
            } else {
                last.to_string()
            };
            let numeric = matches!(other, Type::Number { .. });
            html! {
                div.field {
                    (label) (hint)
                    input type="text" id=(id) name=(path) value=(shown) spellcheck="false" autocomplete="off"
                        inputmode=[numeric.then_some("decimal")] aria-describedby=(described) aria-invalid=[invalid];
                    (error_text)
                }
            }
        }
    }
}

/// A decided value as a lawyer reads it: yes or no, a list, or none.
pub fn value_text(value: &Json) -> Markup {
    html! {
        @match value {
            Json::Bool(true) => "yes",
            Json::Bool(false) => "no",
            Json::Null => span.muted { "none" },
            Json::Array(items) if items.is_empty() => span.muted { "none" },
            Json::Array(items) => {
                @for (index, item) in items.iter().enumerate() { @if index > 0 { ", " } (value_text(item)) }
            },
            Json::String(text) => code { (text) },
            other => code { (other.to_string()) },
        }
    }
}

/// The decision: the outcome, which provisions decided it (each cited, with the facts it read),
/// and why the other provisions that would have changed it did not apply.
fn decision_view(policy: &Policy, decision: &Decision, pinned: bool, link: &str) -> Markup {
    let version = &decision.policy.version;
    let outcome_docs = policy
        .pinned(version)
        .ok()
        .map(|version| version.hir.outcome.clone())
        .unwrap_or_default();
    html! {
        section.decision aria-labelledby="decision-title" {
            h2 #decision-title { "Decision" }
            p {
                "Decided on " strong { (decision.date) } " by version "
                a href={ "/versions/" (version) } { (version) }
                @if pinned { " (pinned)" } @else { " (in force on that date)" }
                @if let Some(id) = &decision.id { ", transaction " code { (id) } }
                "."
            }
            dl.facts aria-label="Outcome" {
                @for (field, value) in &decision.outcome {
                    dt {
                        @match outcome_docs.field(field).filter(|f| !f.docs.is_empty()) {
                            Some(declared) => abbr title=(declared.docs.join(" ")) { (field) },
                            None => (field),
                        }
                    }
                    dd data-outcome=(field) { (value_text(value)) }
                }
            }
            p.noprint { a href=(link) { "Link to this question" } " (reopens this form with the same facts and version)" }
            p.hint { "Sources hash " code { (decision.policy.hash) } }
            h3 { "Which provisions decided" }
            @if decision.trace.is_empty() { p { "No provision applied: every outcome is its default." } }
            ol {
                @for entry in &decision.trace {
                    li {
                        a href={ "/versions/" (version) "#" (entry.rule) } { code { (entry.rule) } }
                        " — " (entry.cite) (super::layout::confidence(entry.confidence))
                        dl.facts {
                            dt { "Concludes" } dd { @for (i, c) in entry.concludes.iter().enumerate() { @if i > 0 { ", " } code { (c) } } }
                            @if !entry.because.is_empty() { dt { "Because" } dd { code { (entry.because) } } }
                            @if !entry.facts.is_empty() {
                                dt { "Facts it read" }
                                dd { ul { @for (path, value) in &entry.facts { li { code { (path) } ": " (value_text(value)) } } } }
                            }
                        }
                    }
                }
            }
            @if !decision.why_not.is_empty() {
                h3 { "Why the others did not apply" }
                ul {
                    @for entry in &decision.why_not {
                        li {
                            a href={ "/versions/" (version) "#" (entry.rule) } { code { (entry.rule) } }
                            " — " (entry.cite) ". Would have concluded "
                            @for (i, c) in entry.would_conclude.iter().enumerate() { @if i > 0 { ", " } code { (c) } }
                            ", but " (entry.because_not) "."
                        }
                    }
                }
            }
        }
    }
}
