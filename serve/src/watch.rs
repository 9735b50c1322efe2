//! Noticing that the policy changed: takes the policy directory and gives reloads, on a change
//! to any file under it (settled for a moment, so that an editor's save or a `git checkout` is
//! one reload) and on `SIGHUP`.
//!
//! The watcher only signals; the reload itself runs on a task of its own and loads the sources
//! on a blocking thread ([`crate::routes::App::reload`]), never on a request's path.

use std::path::Path;
use std::time::Duration;

use notify::{RecursiveMode, Watcher as _};
use tokio::sync::mpsc;

use crate::routes::App;

/// How long the directory must be quiet before it is reloaded.
const SETTLE: Duration = Duration::from_millis(250);

/// Watches a directory for as long as it lives.
pub struct Watcher {
    _watcher: notify::RecommendedWatcher,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for Watcher {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl Watcher {
    pub fn start(directory: &Path, app: App) -> Result<Watcher, String> {
        let (changed, mut changes) = mpsc::unbounded_channel::<()>();
        let mut watcher =
            notify::recommended_watcher(move |event: notify::Result<notify::Event>| {
                let relevant = match &event {
                    Ok(event) => !matches!(event.kind, notify::EventKind::Access(_)),
                    Err(_) => true,
                };
                if relevant {
                    let _ = changed.send(());
                }
            })
            .map_err(|error| format!("cannot watch `{}`: {error}", directory.display()))?;
        watcher
            .watch(directory, RecursiveMode::Recursive)
            .map_err(|error| format!("cannot watch `{}`: {error}", directory.display()))?;
        let task = tokio::spawn(async move {
            while changes.recv().await.is_some() {
                // Wait until the directory has been quiet for a moment.
                loop {
                    match tokio::time::timeout(SETTLE, changes.recv()).await {
                        Ok(Some(())) => {}
                        Ok(None) => return,
                        Err(_) => break,
                    }
                }
                tracing::info!("the policy directory changed: reloading");
                app.reload().await;
            }
        });
        Ok(Watcher {
            _watcher: watcher,
            task,
        })
    }
}

/// Reloads on every `SIGHUP` (listened for by the caller), until aborted.
#[cfg(unix)]
pub async fn reload_on_sighup(app: App, hangups: Option<tokio::signal::unix::Signal>) {
    let Some(mut hangups) = hangups else {
        tracing::warn!("cannot listen for SIGHUP: reloads follow the directory only");
        return;
    };
    while hangups.recv().await.is_some() {
        tracing::info!("SIGHUP: reloading");
        app.reload().await;
    }
}

/// Without SIGHUP, reloads follow the directory only.
#[cfg(not(unix))]
pub async fn reload_on_sighup(_app: App, _hangups: Option<()>) {}
