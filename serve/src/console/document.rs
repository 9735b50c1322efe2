//! The policy as a document: takes the loaded policy and gives the timeline of its versions
//! (`/`) and one version's provisions grouped by module (`/versions/{id}`), each with the
//! regulation's words (its doc comment), citations and their confidence, its window in force,
//! and what it replaced in the version it amends; country groups with country names and their
//! dated changes; a search by name, citation or country (`?q=`).
//!
//! What a version replaced or removed is `cordon_engine::diff::provisions::compare` between the
//! version it amends and it; conditions and values are written by `cordon_engine::text`.

use std::collections::HashMap;

use axum::extract::{Path, RawQuery, State};
use axum::response::{IntoResponse, Response};
use maud::{Markup, html};

use cordon_engine::diff::provisions::{Change, ProvisionChange};
use cordon_engine::diff::{VersionRef, in_force_text};
use cordon_engine::text::text;
use cordon_engine::{CompiledVersion, Policy};
use cordon_lang::hir::{self, InForce, Provenance};

use super::layout::{PageError, Place, citations, confidence, country, shell, window_text};
use super::{current_policy, find_version};
use crate::routes::App;

/// `/`: the versions, and where to go from here.
pub async fn index(State(app): State<App>) -> Result<Response, PageError> {
    let policy = current_policy(&app, Place::Versions)?;
    let today = policy
        .in_force_on(super::today())
        .ok()
        .map(|version| version.id.clone());
    let body = html! {
        h1 { "Policy " code { (policy.name) } }
        p.lede {
            "Every version of the rules, read-only, from the engine that decides. Open a version to read its provisions, "
            a href="/try" { "try a transaction" } " against it, or "
            a href="/diff" { "review what changed" } " between two versions."
        }
        h2 { "Versions" }
        (timeline(&policy, today.as_deref(), "in force today"))
    };
    Ok(shell("The policy", Place::Versions, None, body).into_response())
}

/// The versions in order, with their windows in force, sources and what each amends; the chosen
/// one marked with what it is (`in force today`, `this version`).
fn timeline(policy: &Policy, chosen: Option<&str>, chosen_is: &str) -> Markup {
    html! {
        ol.timeline aria-label="Versions, oldest first" {
            @for version in &policy.versions {
                @let reference = VersionRef::of(version);
                @let manifest = &version.hir.manifest;
                li class=[(chosen == Some(version.id.as_str())).then_some("chosen")] {
                    a href={ "/versions/" (version.id) }
                      aria-current=[(chosen == Some(version.id.as_str())).then_some("true")] {
                        strong { (version.id) }
                    }
                    @if let Some(title) = &reference.title { " — " (title) }
                    @if chosen == Some(version.id.as_str()) { " " strong { "(" (chosen_is) ")" } }
                    br;
                    span.muted { "In force: " (reference.in_force) }
                    @if let Some(amends) = &manifest.amends {
                        span.muted { " · amends " a href={ "/versions/" (amends) } { (amends) } }
                    }
                    @if let Some(source) = &reference.source {
                        br; span.muted { "Source: " (source) }
                    }
                }
            }
        }
    }
}

/// The search of `/versions/{id}?q=...`: its words, or an error page for a query that is not
/// one.
fn search_words(query: Option<&str>) -> Result<String, PageError> {
    let pairs: Vec<(String, String)> =
        serde_urlencoded::from_str(query.unwrap_or("")).map_err(|error| {
            PageError::bad_request(Place::Versions, format!("the query string: {error}"))
        })?;
    let mut words = String::new();
    for (name, value) in pairs {
        if name != "q" {
            return Err(PageError::bad_request(
                Place::Versions,
                format!("unknown query parameter `{name}`: `q` (the search) is known"),
            ));
        }
        words = value;
    }
    Ok(words)
}

/// One provision as the document lists it.
struct Entry<'a> {
    kind: &'static str,
    name: &'a str,
    provenance: &'a Provenance,
    /// What the provision says, by kind.
    says: Markup,
    /// Countries it names (a group's members and changes, an alias's codes), for the search.
    countries: Vec<String>,
}

impl Entry<'_> {
    fn matches(&self, query: &str) -> bool {
        let query = query.to_lowercase();
        let contains = |text: &str| text.to_lowercase().contains(&query);
        contains(self.name)
            || self.provenance.citations.iter().any(|c| contains(&c.text))
            || self.provenance.docs.iter().any(|line| contains(line))
            || self.countries.iter().any(|code| {
                code.eq_ignore_ascii_case(&query)
                    || cordon_lang::check::country_name(code).is_some_and(contains)
            })
    }
}

/// `/versions/{id}`: one version as a document.
pub async fn version(
    State(app): State<App>,
    Path(id): Path<String>,
    RawQuery(query): RawQuery,
) -> Result<Response, PageError> {
    let search = search_words(query.as_deref())?;
    let policy = current_policy(&app, Place::Versions)?;
    let version = find_version(&policy, &id, Place::Versions)?;
    let hir = &version.hir;
    let base = hir
        .manifest
        .amends
        .as_deref()
        .and_then(|amends| policy.versions.iter().find(|v| v.id == amends));
    let changes = base
        .map(|base| app.0.console.changes(base, version))
        .unwrap_or_default();
    let by_name: HashMap<(&str, &str), &ProvisionChange> = changes
        .iter()
        .map(|change| ((change.kind.as_str(), change.name.as_str()), change))
        .collect();
    let query = search.trim();
    let entries: Vec<Entry> = entries(hir)
        .into_iter()
        .filter(|entry| query.is_empty() || entry.matches(query))
        .collect();
    let modules = modules(hir, &entries);
    let removed: Vec<&ProvisionChange> = changes
        .iter()
        .filter(|change| change.change == Change::Removed)
        .collect();
    let body = html! {
        h1 { "Version " (version.id) @if let Some(title) = &hir.manifest.title { ": " (title) } }
        (manifest(version))
        details.noprint {
            summary { "All versions" }
            (timeline(&policy, Some(&version.id), "this version"))
        }
        form.search role="search" method="get" action={ "/versions/" (version.id) } {
            div {
                label for="q" { "Search provisions by name, citation or country" }
                input #q type="search" name="q" value=(query) placeholder="e.g. 744.23, review_, China";
            }
            button type="submit" { "Search" }
            @if !query.is_empty() { a href={ "/versions/" (version.id) } { "Show all" } }
        }
        @if !query.is_empty() {
            p role="status" { (entries.len()) " provisions match " q { (query) } "." }
        }
        @if modules.len() > 1 {
            nav aria-label="Modules" {
                "Modules: "
                @for (index, (module, _)) in modules.iter().enumerate() {
                    @if index > 0 { " · " }
                    a href={ "#module-" (module) } { (module) }
                }
            }
        }
        @for (module, members) in &modules {
            section aria-labelledby={ "module-" (module) } {
                h2 #{ "module-" (module) } { "Module " code { (module) } }
                @for entry in members {
                    (provision(entry, by_name.get(&(entry.kind, entry.name)).copied(), base))
                }
            }
        }
        @if !removed.is_empty() && query.is_empty() {
            section aria-labelledby="removed" {
                h2 #removed { "Removed by this version" }
                @for change in removed {
                    article.provision {
                        h3 { span.kind { (change.kind.as_str()) } code { (change.name) } }
                        @if let Some(base) = base { p { "Was in version " a href={ "/versions/" (base.id) "#" (change.name) } { (base.id) } "." } }
                        ul { @for citation in &change.citations { li { (citation) } } }
                    }
                }
            }
        }
    };
    Ok(shell(
        &format!("Version {}", version.id),
        Place::Versions,
        None,
        body,
    )
    .into_response())
}

/// The version's manifest: window in force, source, what it amends, hash.
fn manifest(version: &CompiledVersion) -> Markup {
    let manifest = &version.hir.manifest;
    html! {
        dl.facts {
            dt { "In force" }
            dd {
                (in_force_text(&manifest.in_force))
                @if manifest.in_force == InForce::Never { " (decides only when pinned)" }
            }
            @if let Some(source) = &manifest.source { dt { "Source" } dd { (source) } }
            @if let Some(amends) = &manifest.amends {
                dt { "Amends" } dd { a href={ "/versions/" (amends) } { (amends) } }
            }
            dt { "Sources hash" } dd { code { (version.hash) } }
            dt { "Try it" } dd { a href={ "/try?version=" (version.id) } { "Try a transaction under " (version.id) } }
        }
    }
}

/// The modules of a version in the order of its sources, each with its entries.
fn modules<'e, 'a>(
    hir: &hir::Version,
    entries: &'e [Entry<'a>],
) -> Vec<(String, Vec<&'e Entry<'a>>)> {
    let mut order: Vec<String> = Vec::new();
    for (path, _) in &hir.sources {
        let stem = std::path::Path::new(path)
            .file_stem()
            .map(|stem| stem.to_string_lossy().into_owned())
            .unwrap_or_default();
        if !order.contains(&stem) {
            order.push(stem);
        }
    }
    let rank = |module: &str| {
        order
            .iter()
            .position(|m| m == module)
            .unwrap_or(order.len())
    };
    let mut modules: Vec<(String, Vec<&Entry>)> = Vec::new();
    for entry in entries {
        let module = &entry.provenance.module;
        match modules.iter_mut().find(|(name, _)| name == module) {
            Some((_, members)) => members.push(entry),
            None => modules.push((module.clone(), vec![entry])),
        }
    }
    modules.sort_by_key(|(module, _)| rank(module));
    modules
}

/// Every provision of a version: rules, groups, aliases, constants, tables, definitions.
fn entries(hir: &hir::Version) -> Vec<Entry<'_>> {
    let mut entries = Vec::new();
    for rule in &hir.rules {
        entries.push(Entry {
            kind: "rule",
            name: &rule.name,
            provenance: &rule.provenance,
            says: rule_says(rule),
            countries: Vec::new(),
        });
    }
    for group in hir.groups.values() {
        let mut countries: Vec<String> = hir
            .group_members_on(&group.name, first_date(hir))
            .into_iter()
            .collect();
        countries.extend(group.changes.iter().map(|change| change.country.clone()));
        entries.push(Entry {
            kind: "group",
            name: &group.name,
            provenance: &group.provenance,
            says: group_says(hir, group),
            countries,
        });
    }
    for alias in hir.aliases.values() {
        entries.push(Entry {
            kind: "alias",
            name: &alias.code,
            provenance: &alias.provenance,
            says: html! { p { (country(&alias.code)) " is treated as " (country(&alias.target)) "." } },
            countries: vec![alias.code.clone(), alias.target.clone()],
        });
    }
    for constant in hir.consts.values() {
        entries.push(Entry {
            kind: "const",
            name: &constant.name,
            provenance: &constant.provenance,
            says: html! { dl.facts { dt { "Value" } dd { code { (text(&constant.value)) } } dt { "Type" } dd { (constant.ty) } } },
            countries: Vec::new(),
        });
    }
    for table in hir.tables.values() {
        entries.push(Entry {
            kind: "table",
            name: &table.name,
            provenance: &table.provenance,
            says: html! {
                table {
                    caption { "Values of " code { (table.name) } " (" (table.ty) ")" }
                    thead { tr { th scope="col" { "From" } th scope="col" { "Value" } } }
                    tbody { @for (date, value) in &table.rows { tr { td { (date) } td { code { (text(value)) } } } } }
                }
            },
            countries: Vec::new(),
        });
    }
    for define in hir.defines.values() {
        entries.push(Entry {
            kind: "define",
            name: &define.name,
            provenance: &define.provenance,
            says: html! { dl.facts { dt { "Means" } dd { code { (text(&define.value)) } } } },
            countries: Vec::new(),
        });
    }
    entries
}

/// The date a group's members are listed on: the version's first day in force (a version never
/// in force on its own lists its members as written, before any dated change).
fn first_date(hir: &hir::Version) -> jiff::civil::Date {
    match hir.manifest.in_force {
        InForce::Range { from, .. } => from,
        InForce::Never => jiff::civil::Date::MIN,
    }
}

fn rule_says(rule: &hir::Rule) -> Markup {
    html! {
        dl.facts {
            @if let Some(window) = window_text(rule.window) { dt { "Can apply" } dd { (window) } }
            @if !rule.unless.is_empty() {
                dt { "Unless" } dd { @for (i, name) in rule.unless.iter().enumerate() { @if i > 0 { ", " } a href={ "#" (name) } { code { (name) } } } }
            }
            @if !rule.notwithstanding.is_empty() {
                dt { "Notwithstanding" } dd { @for (i, name) in rule.notwithstanding.iter().enumerate() { @if i > 0 { ", " } a href={ "#" (name) } { code { (name) } } } }
            }
            dt { "When" }
            dd { @match &rule.when { Some(when) => code { (text(when)) }, None => "always" } }
            dt { "Then" }
            dd {
                ul {
                    @for conclusion in &rule.then {
                        li { code { (conclusion.field) @if conclusion.add { " += " } @else { " = " } (text(&conclusion.value)) } }
                    }
                }
            }
        }
    }
}

fn group_says(hir: &hir::Version, group: &hir::Group) -> Markup {
    let date = first_date(hir);
    let members = hir.group_members_on(&group.name, date);
    let on = if date == jiff::civil::Date::MIN {
        "as written".to_string()
    } else {
        format!("on {date}")
    };
    let mut changes: Vec<&hir::MembershipChange> = group.changes.iter().collect();
    changes.sort_by_key(|change| change.on);
    html! {
        @if let Some(title) = &group.title { p { (title) } }
        p {
            strong { "Members " (on) " (" (members.len()) "): " }
            @for (index, code) in members.iter().enumerate() {
                @if index > 0 { ", " }
                (country(code))
            }
        }
        @if !changes.is_empty() {
            table {
                caption { "Dated changes" }
                thead { tr { th scope="col" { "On" } th scope="col" { "Country" } th scope="col" { "Change" } th scope="col" { "Citations" } } }
                tbody {
                    @for change in changes {
                        tr {
                            td { (change.on) }
                            td { (country(&change.country)) }
                            td { @if change.joins { "joins" } @else { "leaves" } }
                            td { (citations(&change.citations)) }
                        }
                    }
                }
            }
        }
    }
}

/// One provision: its kind and name, confidence, the regulation's words, what it says, its
/// citations and window, and what it replaced.
fn provision(
    entry: &Entry<'_>,
    change: Option<&ProvisionChange>,
    base: Option<&CompiledVersion>,
) -> Markup {
    let provenance = entry.provenance;
    html! {
        article.provision #(entry.name) aria-labelledby={ "title-" (entry.name) } {
            h3 #{ "title-" (entry.name) } {
                span.kind { (entry.kind) } code { (entry.name) }
                (confidence(provenance.confidence()))
                @if let Some(change) = change {
                    span class={ "badge " (change.change.as_str()) } { (change.change.as_str()) " in this version" }
                }
            }
            @if !provenance.docs.is_empty() {
                blockquote.words {
                    @for paragraph in paragraphs(&provenance.docs) { p { (paragraph) } }
                }
            }
            (entry.says)
            dl.facts {
                dt { "Citations" } dd { (citations(&provenance.citations)) }
                @if let Some(window) = window_text((provenance.effective, provenance.through)) {
                    dt { "In force" } dd { (window) }
                }
                dt { "Written in" } dd { (short_dir(&provenance.written_in)) "/" (provenance.module) ".cordon" }
                @if let (Some(change), Some(base)) = (change, base) {
                    dt { "Replaced" }
                    dd {
                        @match change.change {
                            Change::Added => { "new: not in " a href={ "/versions/" (base.id) } { (base.id) } },
                            _ => {
                                a href={ "/versions/" (base.id) "#" (entry.name) } { code { (entry.name) } " of " (base.id) } ":"
                                ul { @for what in &change.what_changed { li { (what) } } }
                            }
                        }
                    }
                }
            }
        }
    }
}

/// Doc comment lines as paragraphs (a blank line ends one).
fn paragraphs(lines: &[String]) -> Vec<String> {
    let mut paragraphs: Vec<String> = Vec::new();
    let mut current = String::new();
    for line in lines {
        let line = line.trim();
        if line.is_empty() {
            if !current.is_empty() {
                paragraphs.push(std::mem::take(&mut current));
            }
        } else {
            if !current.is_empty() {
                current.push(' ');
            }
            current.push_str(line);
        }
    }
    if !current.is_empty() {
        paragraphs.push(current);
    }
    paragraphs
}

/// The last part of a version directory's path.
fn short_dir(dir: &str) -> &str {
    dir.rsplit(['/', '\\']).next().unwrap_or(dir)
}
