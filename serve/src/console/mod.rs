//! The console: the policy in a browser, for the legal team, read-only. Takes the loaded policy
//! and gives server-rendered HTML pages: the versions as a document (`/`, `/versions/{id}`),
//! a transaction tried against a version (`/try`), and a diff between two versions written as a
//! memo (`/diff`).
//!
//! It only presents: every fact on a page comes from the engine and the language crates (the
//! checked HIR of a version, `cordon_engine::decide`, the diff views of `cordon_engine::diff`).
//! Nothing here decides, compares or reads a transaction itself. Pages work without JavaScript;
//! every value is escaped by the templates (maud).
//!
//! Modules: [`layout`] (the page around every page, errors, shared pieces), [`document`] (the
//! versions), [`transaction`] (the try view), [`diff`] (the diff memo and its regions cache).

pub mod diff;
pub mod document;
pub mod layout;
pub mod transaction;

use std::sync::{Arc, Mutex};

use axum::Router;
use axum::routing::get;

use cordon_engine::diff::provisions::{self, ProvisionChange};
use cordon_engine::{CompiledVersion, Policy};

use crate::routes::App;
use layout::{PageError, Place};

/// The console's routes, mounted at `/` by the service's router.
pub fn routes() -> Router<App> {
    Router::new()
        .route("/", get(document::index))
        .route("/versions/{id}", get(document::version))
        .route("/try", get(transaction::page))
        .route("/diff", get(diff::page).post(diff::upload))
}

/// The policy loaded now, or the error page that says it is still loading.
pub fn current_policy(app: &App, place: Place) -> Result<Arc<Policy>, PageError> {
    app.0
        .policies
        .current()
        .map(|loaded| loaded.policy.clone())
        .ok_or_else(|| PageError::from((place, crate::errors::ApiError::not_ready())))
}

/// A version by id (or `id@sha256:...`), or the `404` page naming it and the versions there are.
pub fn find_version<'a>(
    policy: &'a Policy,
    pin: &str,
    place: Place,
) -> Result<&'a CompiledVersion, PageError> {
    policy
        .pinned(pin)
        .map_err(|error| PageError::unknown_version(place, error.to_string()))
}

/// Today's date (UTC).
pub fn today() -> jiff::civil::Date {
    jiff::Timestamp::now()
        .to_zoned(jiff::tz::TimeZone::UTC)
        .date()
}

/// The version whose schema and document a page shows when none is named: the one in force
/// today, else the newest.
pub fn default_version(policy: &Policy) -> Option<&CompiledVersion> {
    policy
        .in_force_on(today())
        .ok()
        .or_else(|| policy.versions.last())
}

/// What the console keeps between requests: results that depend only on the sources of two
/// versions, by their hashes (a reload that changes a version changes its hash).
#[derive(Default)]
pub struct Console {
    pub regions: diff::RegionsCache,
    changes: Mutex<Vec<(HashPair, Arc<Vec<ProvisionChange>>)>>,
}

/// Two versions, by the hashes of their sources.
type HashPair = (String, String);

/// How many pairs of versions keep their provision changes.
const CHANGES_KEPT: usize = 64;

impl Console {
    /// `cordon_engine::diff::provisions::compare` of two versions, computed once per pair.
    pub fn changes(
        &self,
        from: &CompiledVersion,
        to: &CompiledVersion,
    ) -> Arc<Vec<ProvisionChange>> {
        let key = (from.hash.clone(), to.hash.clone());
        let lock = || match self.changes.lock() {
            Ok(changes) => changes,
            Err(poisoned) => poisoned.into_inner(),
        };
        if let Some((_, changes)) = lock().iter().find(|(known, _)| *known == key) {
            return changes.clone();
        }
        let changes = Arc::new(provisions::compare(&from.hir, &to.hir));
        let mut kept = lock();
        if !kept.iter().any(|(known, _)| *known == key) {
            kept.push((key, changes.clone()));
            if kept.len() > CHANGES_KEPT {
                kept.remove(0);
            }
        }
        changes
    }
}
