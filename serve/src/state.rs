//! The loaded policy: takes the policy directory and the server's pin, and gives, for each
//! request, the policy and version that decide it; on a reload, the new sources or the reason
//! they were refused.
//!
//! The current sources are swapped atomically (`arc-swap`): a request holds the `Arc` of the
//! policy it started with, so requests in flight finish on it whatever is loaded meanwhile.
//! Sources that replaced earlier ones stay addressable by hash: a pin `ID@sha256:...` keeps
//! meaning the sources it named while the service runs (the last [`ARCHIVE`] loads are kept, and
//! always those of the server's own pin). A reload whose sources do not check keeps the last good
//! ones and leaves its diagnostics for `/ready` and the log.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{SystemTime, UNIX_EPOCH};

use arc_swap::ArcSwapOption;
use serde::Serialize;

use cordon_engine::{CompiledVersion, Policy, PolicyError};

use crate::errors::ApiError;

/// How many earlier loads stay addressable by hash.
pub const ARCHIVE: usize = 16;

/// Good sources, as loaded.
pub struct Loaded {
    pub policy: Arc<Policy>,
    /// 1 for the sources loaded at start, one more for each reload that replaced them.
    pub generation: u64,
    /// Seconds since the Unix epoch.
    pub loaded_at: u64,
}

/// The result of the last reload that did not replace the sources.
#[derive(Clone, Debug, Serialize)]
pub struct ReloadFailure {
    pub at: u64,
    pub message: String,
    /// Each error, one line: `path:line:column: E0201 message`.
    pub diagnostics: Vec<String>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ReloadOutcome {
    /// The new sources replaced the old ones (the new generation).
    Replaced(u64),
    /// The sources hash as those loaded: nothing to replace.
    Unchanged,
    /// The new sources were refused; the last good ones are kept.
    Refused(String),
}

/// Which policy and version decide a request.
pub struct Resolved {
    pub policy: Arc<Policy>,
    /// The version id to pin in the engine, or `None` for the version in force on the date.
    pub pin: Option<String>,
}

pub struct Policies {
    directory: PathBuf,
    /// The server's pin (`ID` or `ID@sha256:...`).
    server_pin: Option<String>,
    current: ArcSwapOption<Loaded>,
    /// Earlier loads, newest last.
    archive: Mutex<Vec<Arc<Policy>>>,
    /// The policy the server's hash pin named at start (kept whatever is loaded after).
    pinned_at_start: Mutex<Option<Arc<Policy>>>,
    last_failure: Mutex<Option<ReloadFailure>>,
    /// One reload at a time.
    reloading: tokio::sync::Mutex<()>,
}

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |elapsed| elapsed.as_secs())
}

/// `ID@sha256:...` as its two halves.
fn split_pin(pin: &str) -> (&str, Option<&str>) {
    match pin.split_once('@') {
        Some((id, hash)) => (id, Some(hash)),
        None => (pin, None),
    }
}

fn version<'a>(policy: &'a Policy, id: &str) -> Option<&'a CompiledVersion> {
    policy.versions.iter().find(|version| version.id == id)
}

impl Policies {
    pub fn new(directory: &Path, server_pin: Option<String>) -> Policies {
        Policies {
            directory: directory.to_path_buf(),
            server_pin,
            current: ArcSwapOption::empty(),
            archive: Mutex::new(Vec::new()),
            pinned_at_start: Mutex::new(None),
            last_failure: Mutex::new(None),
            reloading: tokio::sync::Mutex::new(()),
        }
    }

    pub fn directory(&self) -> &Path {
        &self.directory
    }

    pub fn current(&self) -> Option<Arc<Loaded>> {
        self.current.load_full()
    }

    pub fn last_failure(&self) -> Option<ReloadFailure> {
        self.last_failure
            .lock()
            .map(|failure| failure.clone())
            .unwrap_or(None)
    }

    /// Loads and checks the sources (blocking: call it off the runtime's threads).
    pub fn load(&self) -> Result<Policy, ReloadFailure> {
        let policy = Policy::load(&self.directory).map_err(|error| failure_of(&error))?;
        if let Some(pin) = &self.server_pin {
            let (id, _) = split_pin(pin);
            if version(&policy, id).is_none() {
                return Err(ReloadFailure {
                    at: now(),
                    message: format!(
                        "the sources have no version `{id}`, which the server is pinned to"
                    ),
                    diagnostics: Vec::new(),
                });
            }
        }
        Ok(policy)
    }

    /// Puts sources loaded at start in place; the server's hash pin must name them.
    pub fn install_initial(&self, policy: Policy) -> Result<Arc<Loaded>, String> {
        if let Some(pin) = &self.server_pin {
            policy.pinned(pin).map_err(|error| error.to_string())?;
        }
        let loaded = Arc::new(Loaded {
            policy: Arc::new(policy),
            generation: 1,
            loaded_at: now(),
        });
        if self
            .server_pin
            .as_deref()
            .is_some_and(|pin| pin.contains('@'))
            && let Ok(mut pinned) = self.pinned_at_start.lock()
        {
            *pinned = Some(loaded.policy.clone());
        }
        self.current.store(Some(loaded.clone()));
        Ok(loaded)
    }

    /// Replaces the sources with newly loaded ones, unless they hash as the current ones.
    pub fn install(&self, policy: Policy) -> ReloadOutcome {
        let previous = self.current.load_full();
        if let Some(previous) = &previous
            && same_sources(&previous.policy, &policy)
        {
            self.clear_failure();
            return ReloadOutcome::Unchanged;
        }
        let generation = previous.as_ref().map_or(1, |loaded| loaded.generation + 1);
        self.current.store(Some(Arc::new(Loaded {
            policy: Arc::new(policy),
            generation,
            loaded_at: now(),
        })));
        if let Some(previous) = previous
            && let Ok(mut archive) = self.archive.lock()
        {
            archive.push(previous.policy.clone());
            if archive.len() > ARCHIVE {
                archive.remove(0);
            }
        }
        self.clear_failure();
        ReloadOutcome::Replaced(generation)
    }

    pub fn refuse(&self, failure: ReloadFailure) -> ReloadOutcome {
        let message = failure.message.clone();
        if let Ok(mut last) = self.last_failure.lock() {
            *last = Some(failure);
        }
        ReloadOutcome::Refused(message)
    }

    fn clear_failure(&self) {
        if let Ok(mut last) = self.last_failure.lock() {
            *last = None;
        }
    }

    /// Held while a reload runs, so that two reloads do not race.
    pub async fn reload_guard(&self) -> tokio::sync::MutexGuard<'_, ()> {
        self.reloading.lock().await
    }

    /// Which policy and version decide a request with this pin (the request's, else the
    /// server's, else none: the version in force on the transaction's date).
    ///
    /// An unknown id is `404`. `ID@sha256:...` is decided by the sources that hashed so: the
    /// current ones, or earlier ones still kept; if none are, `409`.
    pub fn resolve(&self, request_pin: Option<&str>) -> Result<Resolved, ApiError> {
        let current = self.current().ok_or_else(ApiError::not_ready)?;
        let Some(pin) = request_pin.or(self.server_pin.as_deref()) else {
            return Ok(Resolved {
                policy: current.policy.clone(),
                pin: None,
            });
        };
        let (id, hash) = split_pin(pin);
        let pin = Some(id.to_string());
        let known = version(&current.policy, id);
        let Some(hash) = hash else {
            return match known {
                Some(_) => Ok(Resolved {
                    policy: current.policy.clone(),
                    pin,
                }),
                None => Err(ApiError::unknown_version(unknown_message(
                    &current.policy,
                    id,
                ))),
            };
        };
        if known.is_some_and(|version| version.hash == hash) {
            return Ok(Resolved {
                policy: current.policy.clone(),
                pin,
            });
        }
        if let Some(policy) = self.earlier(id, hash) {
            return Ok(Resolved { policy, pin });
        }
        match known {
            Some(version) => Err(ApiError::pin_mismatch(format!(
                "version `{id}` was pinned at {hash}, but its sources now hash to {}: the rules changed since the pin",
                version.hash
            ))),
            None if self.earlier_id(id) => Err(ApiError::pin_mismatch(format!(
                "version `{id}` was pinned at {hash}, but no sources loaded by this service hash so"
            ))),
            None => Err(ApiError::unknown_version(unknown_message(
                &current.policy,
                id,
            ))),
        }
    }

    /// Earlier sources in which version `id` hashes to `hash`.
    fn earlier(&self, id: &str, hash: &str) -> Option<Arc<Policy>> {
        let matches = |policy: &Arc<Policy>| version(policy, id).is_some_and(|v| v.hash == hash);
        if let Ok(pinned) = self.pinned_at_start.lock()
            && let Some(policy) = pinned.as_ref().filter(|policy| matches(policy))
        {
            return Some(policy.clone());
        }
        let archive = self.archive.lock().ok()?;
        archive.iter().rev().find(|policy| matches(policy)).cloned()
    }

    fn earlier_id(&self, id: &str) -> bool {
        self.archive
            .lock()
            .is_ok_and(|archive| archive.iter().any(|policy| version(policy, id).is_some()))
    }
}

fn unknown_message(policy: &Policy, id: &str) -> String {
    format!(
        "policy `{}` has no version `{id}`; its versions are {}",
        policy.name,
        policy
            .versions
            .iter()
            .map(|version| format!("`{}`", version.id))
            .collect::<Vec<_>>()
            .join(", ")
    )
}

/// Whether two loads have the same versions with the same hashes.
fn same_sources(a: &Policy, b: &Policy) -> bool {
    a.versions.len() == b.versions.len()
        && a.versions
            .iter()
            .zip(&b.versions)
            .all(|(a, b)| a.id == b.id && a.hash == b.hash)
}

/// Why sources were refused, with each error diagnostic on a line.
fn failure_of(error: &PolicyError) -> ReloadFailure {
    let diagnostics = match error {
        PolicyError::Invalid {
            diagnostics,
            sources,
        } => diagnostics
            .iter()
            .filter(|d| d.diagnostic.severity() == cordon_lang::diagnostics::Severity::Error)
            .map(|d| {
                let text = sources.get(&d.path).map_or("", String::as_str);
                cordon_lang::render::one_line(d, text)
            })
            .collect(),
        PolicyError::Load(_) | PolicyError::Version(_) => Vec::new(),
    };
    ReloadFailure {
        at: now(),
        message: error.to_string(),
        diagnostics,
    }
}
