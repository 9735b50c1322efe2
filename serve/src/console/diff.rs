//! Review a diff (`/diff?from=ID&to=ID`): takes two versions and gives a memo of what changes
//! between them: the provisions changed with their citations
//! (`cordon_engine::diff::provisions`), the regions of all transactions that the two decide
//! differently (`cordon_engine::diff::regions`) as tables whose witnesses open in the try view,
//! and, for a corpus uploaded as `.jsonl` (`POST`), its transactions grouped by change
//! (`cordon_engine::diff::corpus`). The print style sheet lays it out as a memo.
//!
//! The regions take seconds: they run on the service's diff pool, in the background, once per
//! pair of versions' hashes; the page says so and reloads itself until they are there, and
//! every later page is served from the cache.

use std::sync::{Arc, Mutex};

use axum::extract::{Multipart, RawQuery, State};
use axum::response::{IntoResponse, Response};
use maud::{Markup, html};
use serde_json::Value as Json;

use cordon_engine::diff::corpus::{self, CorpusDiff};
use cordon_engine::diff::provisions::{self, ProvisionChange};
use cordon_engine::diff::regions::{self, Exhaustive, RegionDiff};
use cordon_engine::diff::{VersionRef, versions};
use cordon_engine::{CompiledVersion, Policy};

use super::layout::{PageError, Place, shell};
use super::transaction::{link_for, value_text};
use super::{current_policy, find_version};
use crate::pool;
use crate::routes::App;

/// How many pairs of versions keep their regions in the cache.
const CACHED: usize = 32;

/// The regions of a pair of versions (by their sources' hashes), computed once.
#[derive(Default)]
pub struct RegionsCache {
    entries: Mutex<Vec<((String, String), Slot)>>,
}

#[derive(Clone)]
enum Slot {
    Running,
    Done(Arc<Result<Exhaustive, String>>),
}

/// Where the regions of a pair stand.
pub enum Regions {
    /// Being computed; the page reloads until they are there.
    Running,
    /// The diff pool is full: try again shortly.
    Busy(String),
    Done(Arc<Result<Exhaustive, String>>),
}

impl RegionsCache {
    /// The regions of `from` and `to`, or the job that computes them started now on the diff
    /// pool (one job per pair, however many pages ask).
    pub fn regions(
        &self,
        app: &App,
        policy: &Arc<Policy>,
        from: &CompiledVersion,
        to: &CompiledVersion,
    ) -> Regions {
        let key = (from.hash.clone(), to.hash.clone());
        let mut entries = match self.entries.lock() {
            Ok(entries) => entries,
            Err(poisoned) => poisoned.into_inner(),
        };
        if let Some((_, slot)) = entries.iter().find(|(known, _)| *known == key) {
            return match slot {
                Slot::Running => Regions::Running,
                Slot::Done(result) => Regions::Done(result.clone()),
            };
        }
        let slot = match app.0.diff_pool.try_slot() {
            Ok(slot) => slot,
            Err(error) => {
                let message = error
                    .body
                    .pointer("/error/message")
                    .and_then(Json::as_str)
                    .unwrap_or("the diff pool is full")
                    .to_string();
                return Regions::Busy(message);
            }
        };
        entries.push((key.clone(), Slot::Running));
        while entries.len() > CACHED {
            match entries
                .iter()
                .position(|(_, slot)| matches!(slot, Slot::Done(_)))
            {
                Some(oldest) => entries.remove(oldest),
                None => break,
            };
        }
        drop(entries);
        let policy = policy.clone();
        let (from_id, to_id) = (from.id.clone(), to.id.clone());
        let receiver = app.0.diff_pool.spawn(slot, move || {
            let (from, to) = versions(&policy, &from_id, &to_id).map_err(|e| e.to_string())?;
            Ok(regions::exhaustive(from, to))
        });
        let app = app.clone();
        tokio::spawn(async move {
            let result = match pool::finish(receiver).await {
                Ok(result) => result,
                Err(error) => Err(error
                    .body
                    .pointer("/error/message")
                    .and_then(Json::as_str)
                    .unwrap_or("the diff failed")
                    .to_string()),
            };
            app.0.console.regions.finish(key, result);
        });
        Regions::Running
    }

    fn finish(&self, key: (String, String), result: Result<Exhaustive, String>) {
        let mut entries = match self.entries.lock() {
            Ok(entries) => entries,
            Err(poisoned) => poisoned.into_inner(),
        };
        let done = Slot::Done(Arc::new(result));
        match entries.iter_mut().find(|(known, _)| *known == key) {
            Some((_, slot)) => *slot = done,
            None => entries.push((key, done)),
        }
    }
}

/// The two versions a query names, if it names both.
fn pair(query: Option<&str>) -> Result<(Option<String>, Option<String>), PageError> {
    let pairs: Vec<(String, String)> =
        serde_urlencoded::from_str(query.unwrap_or("")).map_err(|error| {
            PageError::bad_request(Place::Diff, format!("the query string: {error}"))
        })?;
    let mut from = None;
    let mut to = None;
    for (name, value) in pairs {
        let value = Some(value.trim().to_string()).filter(|value| !value.is_empty());
        match name.as_str() {
            "from" => from = value,
            "to" => to = value,
            other => {
                return Err(PageError::bad_request(
                    Place::Diff,
                    format!("unknown query parameter `{other}`: `from` and `to` are known"),
                ));
            }
        }
    }
    Ok((from, to))
}

/// `GET /diff`.
pub async fn page(
    State(app): State<App>,
    RawQuery(query): RawQuery,
) -> Result<Response, PageError> {
    let policy = current_policy(&app, Place::Diff)?;
    let (from, to) = pair(query.as_deref())?;
    let (Some(from), Some(to)) = (from, to) else {
        return Ok(chooser(&policy).into_response());
    };
    render(&app, &policy, &from, &to, None)
}

/// `POST /diff?from=ID&to=ID` with a `.jsonl` corpus (`multipart/form-data`, field `corpus`).
pub async fn upload(
    State(app): State<App>,
    RawQuery(query): RawQuery,
    mut multipart: Multipart,
) -> Result<Response, PageError> {
    let policy = current_policy(&app, Place::Diff)?;
    let (Some(from), Some(to)) = pair(query.as_deref())? else {
        return Err(PageError::bad_request(
            Place::Diff,
            "a corpus is compared between two versions: name them with `from` and `to`",
        ));
    };
    find_version(&policy, &from, Place::Diff)?;
    find_version(&policy, &to, Place::Diff)?;
    let mut corpus: Option<(String, Vec<u8>)> = None;
    loop {
        let field = multipart
            .next_field()
            .await
            .map_err(|error| PageError::bad_request(Place::Diff, format!("the upload: {error}")))?;
        let Some(field) = field else { break };
        if field.name() != Some("corpus") {
            continue;
        }
        let name = field.file_name().unwrap_or("corpus.jsonl").to_string();
        let bytes = field
            .bytes()
            .await
            .map_err(|error| PageError::bad_request(Place::Diff, format!("the upload: {error}")))?;
        corpus = Some((name, bytes.to_vec()));
    }
    let outcome = match corpus {
        None => Err("no corpus was uploaded: choose a `.jsonl` file".to_string()),
        Some((name, bytes)) => match String::from_utf8(bytes) {
            Err(error) => Err(format!(
                "`{name}` is not UTF-8 text: byte {} is not part of a character",
                error.utf8_error().valid_up_to() + 1
            )),
            Ok(text) if text.trim().is_empty() => Err(format!("`{name}` holds no transaction")),
            Ok(text) => {
                let lines: Vec<String> = text.lines().map(str::to_string).collect();
                let (engine_policy, engine_from, engine_to) =
                    (policy.clone(), from.clone(), to.clone());
                let compared = app
                    .0
                    .diff_pool
                    .run(move || {
                        let diff =
                            corpus::compare(&engine_policy, &engine_from, &engine_to, &lines);
                        (diff, lines)
                    })
                    .await
                    .map_err(|error| PageError::from((Place::Diff, error)))?;
                Ok(Corpus {
                    name,
                    diff: compared.0,
                    lines: compared.1,
                })
            }
        },
    };
    render(&app, &policy, &from, &to, Some(outcome))
}

/// A corpus compared: its file's name, what changed, and its lines (to open each in the try
/// view).
struct Corpus {
    name: String,
    diff: CorpusDiff,
    lines: Vec<String>,
}

/// The page that asks which versions to compare.
fn chooser(policy: &Policy) -> Markup {
    let count = policy.versions.len();
    let from = count.checked_sub(2).and_then(|i| policy.versions.get(i));
    let to = policy.versions.last();
    shell(
        "Review a diff",
        Place::Diff,
        None,
        html! {
            h1 { "Review a diff" }
            p.lede { "Choose two versions: the memo lists the provisions that changed, every kind of transaction the two decide differently, and, for a corpus you upload, which of its transactions change." }
            (pick(policy, from.map(|v| v.id.as_str()), to.map(|v| v.id.as_str())))
        },
    )
}

fn pick(policy: &Policy, from: Option<&str>, to: Option<&str>) -> Markup {
    html! {
        form.pick method="get" action="/diff" {
            div {
                label for="from" { "From (the older version)" }
                select #from name="from" {
                    @for version in &policy.versions { option value=(version.id) selected[from == Some(version.id.as_str())] { (version.id) } }
                }
            }
            div {
                label for="to" { "To (the newer version)" }
                select #to name="to" {
                    @for version in &policy.versions { option value=(version.id) selected[to == Some(version.id.as_str())] { (version.id) } }
                }
            }
            button type="submit" { "Compare" }
        }
    }
}

fn render(
    app: &App,
    policy: &Arc<Policy>,
    from: &str,
    to: &str,
    corpus: Option<Result<Corpus, String>>,
) -> Result<Response, PageError> {
    let from_version = find_version(policy, from, Place::Diff)?;
    let to_version = find_version(policy, to, Place::Diff)?;
    let changes = app.0.console.changes(from_version, to_version);
    let regions = app
        .0
        .console
        .regions
        .regions(app, policy, from_version, to_version);
    // A page showing an upload's result is not reloaded (that would ask to post it again).
    let refresh = match (&regions, &corpus) {
        (Regions::Running, None) => Some(2),
        (Regions::Busy(_), None) => Some(5),
        _ => None,
    };
    let query = format!(
        "from={}&to={}",
        urlencode(&from_version.id),
        urlencode(&to_version.id)
    );
    let body = html! {
        h1 { "Memorandum: what changes from " (from_version.id) " to " (to_version.id) }
        div.noprint { (pick(policy, Some(&from_version.id), Some(&to_version.id))) }
        (sides(&policy.name, from_version, to_version))
        p.noprint.hint { "Print this page for a memo: the navigation and forms are left out." }
        h2 { "Provisions changed (" (changes.len()) ")" }
        (provisions_table(&changes, from_version, to_version))
        h2 { "Outcomes over all transactions" }
        (regions_view(&regions, from_version, to_version))
        h2 { "Outcomes over a corpus" }
        form.noprint method="post" action={ "/diff?" (query) } enctype="multipart/form-data" {
            div.field {
                label for="corpus" { "A corpus: a " code { ".jsonl" } " file, one transaction a line" }
                input #corpus type="file" name="corpus" accept=".jsonl,.ndjson,application/x-ndjson";
            }
            button type="submit" { "Compare the corpus" }
        }
        @match &corpus {
            None => p.muted { "No corpus uploaded." },
            Some(Err(message)) => p.error role="alert" { (message) },
            Some(Ok(corpus)) => (corpus_view(corpus, from_version, to_version)),
        }
    };
    let title = format!("Diff {} to {}", from_version.id, to_version.id);
    Ok(shell(&title, Place::Diff, refresh, body).into_response())
}

fn urlencode(text: &str) -> String {
    serde_urlencoded::to_string([("", text)])
        .map(|pair| pair.trim_start_matches('=').to_string())
        .unwrap_or_default()
}

/// The two versions compared.
fn sides(policy: &str, from: &CompiledVersion, to: &CompiledVersion) -> Markup {
    let side = |label: &str, version: &CompiledVersion| {
        let reference = VersionRef::of(version);
        html! {
            dt { (label) }
            dd {
                a href={ "/versions/" (version.id) } { (version.id) }
                @if let Some(title) = &reference.title { " — " (title) }
                br; span.muted { "in force " (reference.in_force) }
                @if let Some(source) = &reference.source { br; span.muted { (source) } }
                br; code.muted { (reference.hash) }
            }
        }
    };
    html! {
        dl.facts {
            dt { "Policy" } dd { code { (policy) } }
            (side("From", from))
            (side("To", to))
        }
    }
}

fn provisions_table(
    changes: &[ProvisionChange],
    from: &CompiledVersion,
    to: &CompiledVersion,
) -> Markup {
    html! {
        @if changes.is_empty() {
            p { "The two versions say the same." }
        } @else {
            table {
                caption { "Declarations added, removed or changed, matched by name through amendments" }
                thead { tr { th scope="col" { "Provision" } th scope="col" { "Change" } th scope="col" { "Citations" } th scope="col" { "What changed" } } }
                tbody {
                    @for change in changes {
                        @let shown_in = if change.change == provisions::Change::Removed { from } else { to };
                        tr {
                            th scope="row" {
                                span.kind { (change.kind.as_str()) }
                                a href={ "/versions/" (shown_in.id) "#" (change.name) } { code { (change.name) } }
                            }
                            td { span class={ "badge " (change.change.as_str()) } { (change.change.as_str()) } }
                            td { ul { @for citation in &change.citations { li { (citation) } } } }
                            td { ul { @for what in &change.what_changed { li { (what) } } } }
                        }
                    }
                }
            }
        }
    }
}

/// A region's outcome on one side: each field with its value, or the error that side answers.
fn outcome_cell(outcome: &Json) -> Markup {
    html! {
        @match outcome {
            Json::Object(fields) => {
                @for (field, value) in fields {
                    div {
                        @if field == "error" {
                            "cannot decide: "
                            (value.get("message").and_then(Json::as_str).map_or_else(|| value.to_string(), str::to_string))
                        } @else {
                            code { (field) } ": " (value_text(value))
                        }
                    }
                }
            },
            other => (value_text(other)),
        }
    }
}

fn regions_view(regions: &Regions, from: &CompiledVersion, to: &CompiledVersion) -> Markup {
    match regions {
        Regions::Running => html! {
            p.status role="status" { "The regions are being computed on the service's diff pool (this takes a few seconds); this page reloads by itself until they are here." }
        },
        Regions::Busy(message) => html! {
            p.status role="status" { (message) "; this page tries again in a few seconds." }
        },
        Regions::Done(result) => match result.as_ref() {
            Err(message) => {
                html! { p.error role="alert" { "The regions could not be computed: " (message) } }
            }
            Ok(exhaustive) => exhaustive_view(exhaustive, from, to),
        },
    }
}

fn exhaustive_view(
    exhaustive: &Exhaustive,
    from: &CompiledVersion,
    to: &CompiledVersion,
) -> Markup {
    let groups = exhaustive.by_change();
    html! {
        p {
            strong { (exhaustive.regions.len()) " regions" } " of the input space where the versions decide differently ("
            @if exhaustive.exact { "exact" } @else { "not exact" }
            "; " (exhaustive.explored) " regions decided). Every transaction in a region decides as its row says; its witness is one such transaction, which opens in the try view under either version."
        }
        @if !exhaustive.caveats.is_empty() {
            p { "Caveats:" }
            ul { @for caveat in &exhaustive.caveats { li { (caveat) } } }
        }
        @for (change, members) in &groups {
            table {
                caption { (change) " (" (members.len()) @if members.len() == 1 { " region)" } @else { " regions)" } }
                thead {
                    tr {
                        th scope="col" { "#" }
                        th scope="col" { "Conditions (all hold)" }
                        th scope="col" { "Before (" (from.id) ")" }
                        th scope="col" { "After (" (to.id) ")" }
                        th scope="col" { "Rules responsible" }
                        th scope="col" { "Witness" }
                    }
                }
                tbody {
                    @for (number, region) in members {
                        (region_row(*number, region, from, to))
                    }
                }
            }
        }
    }
}

fn region_row(
    number: usize,
    region: &RegionDiff,
    from: &CompiledVersion,
    to: &CompiledVersion,
) -> Markup {
    html! {
        tr #{ "region-" (number) } {
            td { (number) }
            td { ul { @for condition in &region.conditions { li { code { (condition) } } } } }
            td { (outcome_cell(&region.from)) }
            td { (outcome_cell(&region.to)) }
            td {
                ul {
                    @for rule in &region.rules {
                        @let (version, side) = if rule.applies_in == "from" { (from, "applies only in ") } else { (to, "applies only in ") };
                        li {
                            a href={ "/versions/" (version.id) "#" (rule.rule) } { code { (rule.rule) } }
                            " (" (rule.cite) ") " (side) (version.id)
                        }
                    }
                }
            }
            td {
                a href=(link_for(&region.witness, Some(&from.id))) { "Witness " (number) " under " (from.id) }
                br;
                a href=(link_for(&region.witness, Some(&to.id))) { "Witness " (number) " under " (to.id) }
            }
        }
    }
}

/// How many transactions of a group the memo lists.
const LISTED: usize = 25;

fn corpus_view(corpus: &Corpus, from: &CompiledVersion, to: &CompiledVersion) -> Markup {
    let diff = &corpus.diff;
    let open = |line: usize, pin: &str| {
        corpus
            .lines
            .get(line.wrapping_sub(1))
            .and_then(|text| serde_json::from_str::<Json>(text).ok())
            .map(|facts| link_for(&facts, Some(pin)))
    };
    html! {
        p {
            code { (corpus.name) } ": " (diff.transactions) " transactions, "
            strong { (diff.changed) " changed" } ", " (diff.errors.len()) " that neither version can decide."
        }
        @for (index, group) in diff.groups.iter().enumerate() {
            section aria-labelledby={ "corpus-group-" (index) } {
                h3 #{ "corpus-group-" (index) } {
                    (group.count) @if group.count == 1 { " transaction: " } @else { " transactions: " }
                    @for (i, change) in group.changes.iter().enumerate() { @if i > 0 { "; " } code { (change.to_string()) } }
                }
                @if !group.fired_only_in_from.is_empty() {
                    p { "Decided only under " (from.id) ": "
                        @for (i, rule) in group.fired_only_in_from.iter().enumerate() { @if i > 0 { ", " } code { (rule.rule) } " (" (rule.cite) ")" } }
                }
                @if !group.fired_only_in_to.is_empty() {
                    p { "Decided only under " (to.id) ": "
                        @for (i, rule) in group.fired_only_in_to.iter().enumerate() { @if i > 0 { ", " } code { (rule.rule) } " (" (rule.cite) ")" } }
                }
                ul {
                    @for transaction in group.transactions.iter().take(LISTED) {
                        li {
                            (transaction.to_string())
                            @if let Some(link) = open(transaction.line, &from.id) { " — " a href=(link) { "under " (from.id) } }
                            @if let Some(link) = open(transaction.line, &to.id) { " · " a href=(link) { "under " (to.id) } }
                        }
                    }
                }
                @if group.transactions.len() > LISTED { p.muted { "and " (group.transactions.len() - LISTED) " more" } }
            }
        }
        @if !diff.errors.is_empty() {
            h3 { "Lines neither version can decide" }
            ul { @for error in &diff.errors { li { "line " (error.line) ": " (error.error) } } }
        }
    }
}
