//! The language server: the protocol's methods, each answered by one module of `requests/`.
//!
//! Notifications that change text apply the change under the state's lock before their first
//! `.await`, then publish diagnostics from a snapshot. Requests answer from a snapshot on a blocking
//! thread: a salsa cancellation (an edit arrived meanwhile) answers `content_modified`, and a panic
//! answers that request with an error while the server goes on.

use std::panic::AssertUnwindSafe;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use cordon_lang::db::Workspace;
use tokio::task::{JoinError, JoinHandle};
use tower_lsp_server::gen_lsp_types::*;
use tower_lsp_server::jsonrpc::{Error, ErrorCode, Result};
use tower_lsp_server::{Client, LanguageServer};

use crate::requests;
use crate::state::{LoadProblem, Snapshot, State, WatchedChanges, path_uri, uri_path};

pub struct Server {
    client: Client,
    state: Arc<Mutex<State>>,
    /// Whether the client lets the server register for watched files.
    watch_files: AtomicBool,
}

/// The files the server asks the client to watch: every policy source, and the directories (a
/// new version directory, a deleted one); other paths are ignored when they are reported.
pub fn watched_files() -> LspAny {
    serde_json::json!({
        "watchers": [
            { "globPattern": "**/*.cordon" },
            // Created and deleted (1 | 4): a directory's events, such as a new version's.
            { "globPattern": "**/*", "kind": 5 },
        ]
    })
}

impl Server {
    pub fn new(client: Client) -> Server {
        Server {
            client,
            state: Arc::default(),
            watch_files: AtomicBool::new(false),
        }
    }

    fn state(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Answers a request from a snapshot, on a blocking thread.
    async fn read<T: Send + 'static>(
        &self,
        answer: impl FnOnce(&Snapshot) -> T + Send + 'static,
    ) -> Result<T> {
        let snapshot = self.state().snapshot();
        run(snapshot, answer).await
    }

    /// Publishes the diagnostics of a workspace that changed, unless another edit came first.
    fn publish(&self, workspace: Workspace) {
        let (snapshot, generation) = {
            let state = self.state();
            (state.snapshot(), state.generation)
        };
        let client = self.client.clone();
        let state = self.state.clone();
        // The snapshot goes to a blocking thread now, not inside a task that may wait for this
        // worker thread: the next edit waits for every snapshot to be dropped.
        let computing = start(snapshot, move |snapshot| {
            requests::diagnostics::workspace(snapshot, workspace)
        });
        tokio::spawn(async move {
            let Ok(computed) = finish(computing.await) else {
                return;
            };
            let to_send: Vec<(Uri, Vec<Diagnostic>)> = {
                let mut state = state.lock().unwrap_or_else(PoisonError::into_inner);
                if state.generation != generation {
                    return;
                }
                let mut to_send = Vec::new();
                for (path, uri, diagnostics) in computed {
                    let changed = state
                        .published
                        .get(&path)
                        .map_or(!diagnostics.is_empty(), |old| *old != diagnostics);
                    if changed {
                        state.published.insert(path, diagnostics.clone());
                        to_send.push((uri, diagnostics));
                    }
                }
                to_send
            };
            for (uri, diagnostics) in to_send {
                client.publish_diagnostics(uri, diagnostics, None).await;
            }
        });
    }

    fn edited(&self, workspace: Option<Workspace>) {
        self.report_problems();
        if let Some(workspace) = workspace {
            self.publish(workspace);
        }
    }

    /// Reports the files and directories that could not be read: a diagnostic on a policy
    /// source (until it is read or deleted), a message naming the path otherwise. Both are
    /// logged too.
    fn report_problems(&self) {
        let problems = self.state().take_problems();
        if problems.is_empty() {
            return;
        }
        let mut on_files = Vec::new();
        let mut messages = Vec::new();
        {
            let mut state = self.state();
            for LoadProblem { path, message } in problems {
                let uri = path
                    .extension()
                    .is_some_and(|extension| extension == "cordon")
                    .then(|| path_uri(&path.to_string_lossy()))
                    .flatten();
                match uri {
                    Some(uri) => {
                        let diagnostic = Diagnostic {
                            range: Range::default(),
                            severity: Some(DiagnosticSeverity::Error),
                            source: Some("cordon".to_string()),
                            message: Message::String(message.clone()),
                            ..Diagnostic::default()
                        };
                        state.published.insert(
                            path.to_string_lossy().into_owned(),
                            vec![diagnostic.clone()],
                        );
                        on_files.push((uri, message, vec![diagnostic]));
                    }
                    None => messages.push(message),
                }
            }
        }
        let client = self.client.clone();
        tokio::spawn(async move {
            for (uri, message, diagnostics) in on_files {
                client.log_message(MessageType::Error, &message).await;
                client.publish_diagnostics(uri, diagnostics, None).await;
            }
            for message in messages {
                client.log_message(MessageType::Error, &message).await;
                client.show_message(MessageType::Error, &message).await;
            }
        });
    }

    /// Clears the diagnostics of files that left the state.
    fn clear(&self, removed: Vec<PathBuf>) {
        let uris: Vec<Uri> = {
            let mut state = self.state();
            removed
                .into_iter()
                .filter_map(|path| {
                    let key = path.to_string_lossy().into_owned();
                    let had = state.published.remove(&key)?;
                    (!had.is_empty()).then(|| path_uri(&key)).flatten()
                })
                .collect()
        };
        if uris.is_empty() {
            return;
        }
        let client = self.client.clone();
        tokio::spawn(async move {
            for uri in uris {
                client.publish_diagnostics(uri, Vec::new(), None).await;
            }
        });
    }
}

type Answer<T> = std::result::Result<std::result::Result<T, salsa::Cancelled>, JoinError>;

/// Starts `answer` on a snapshot on a blocking thread at once (the snapshot must not wait in a
/// task queue: an edit waits until every snapshot is dropped).
fn start<T: Send + 'static>(
    snapshot: Snapshot,
    answer: impl FnOnce(&Snapshot) -> T + Send + 'static,
) -> JoinHandle<std::result::Result<T, salsa::Cancelled>> {
    tokio::task::spawn_blocking(move || {
        salsa::Cancelled::catch(AssertUnwindSafe(|| answer(&snapshot)))
    })
}

/// Runs `answer` on a snapshot on a blocking thread, turning a cancellation into
/// `content_modified` and a panic into an internal error.
async fn run<T: Send + 'static>(
    snapshot: Snapshot,
    answer: impl FnOnce(&Snapshot) -> T + Send + 'static,
) -> Result<T> {
    finish(start(snapshot, answer).await)
}

fn finish<T>(joined: Answer<T>) -> Result<T> {
    match joined {
        Ok(Ok(value)) => Ok(value),
        Ok(Err(_cancelled)) => Err(Error::content_modified()),
        Err(failure) => {
            let reason = failure
                .try_into_panic()
                .ok()
                .and_then(|payload| {
                    payload
                        .downcast_ref::<String>()
                        .cloned()
                        .or_else(|| payload.downcast_ref::<&str>().map(|s| s.to_string()))
                })
                .unwrap_or_else(|| "the request was stopped".to_string());
            Err(Error {
                code: ErrorCode::InternalError,
                message: format!("cordon failed to answer this request: {reason}").into(),
                data: None,
            })
        }
    }
}

fn path_of(uri: &Uri) -> Option<PathBuf> {
    uri_path(uri)
}

impl LanguageServer for Server {
    async fn initialize(&self, params: InitializeParams) -> Result<InitializeResult> {
        let dynamic = params
            .capabilities
            .workspace
            .as_ref()
            .and_then(|workspace| workspace.did_change_watched_files.as_ref())
            .and_then(|watched| watched.dynamic_registration)
            .unwrap_or(false);
        self.watch_files.store(dynamic, Ordering::Relaxed);
        Ok(InitializeResult {
            capabilities: requests::capabilities(),
            server_info: Some(ServerInfo {
                name: "cordon".to_string(),
                version: Some(env!("CARGO_PKG_VERSION").to_string()),
            }),
        })
    }

    async fn initialized(&self, _: InitializedParams) {
        if !self.watch_files.load(Ordering::Relaxed) {
            return;
        }
        let registration = Registration {
            id: "cordon-watched-files".to_string(),
            method: "workspace/didChangeWatchedFiles".to_string(),
            register_options: Some(watched_files()),
        };
        if let Err(error) = self.client.register_capability(vec![registration]).await {
            self.client
                .log_message(
                    MessageType::Warning,
                    format!(
                        "cordon cannot watch policy files (new versions are seen when a file of theirs is opened): {}",
                        error.message
                    ),
                )
                .await;
        }
    }

    async fn shutdown(&self) -> Result<()> {
        Ok(())
    }

    async fn did_open(&self, params: DidOpenTextDocumentParams) {
        let workspace = path_of(&params.text_document.uri).and_then(|path| {
            self.state()
                .open(&path, params.text_document.text)
                .map(|(_, workspace)| workspace)
        });
        self.edited(workspace);
    }

    async fn did_change(&self, params: DidChangeTextDocumentParams) {
        let workspace =
            path_of(&params.text_document.text_document_identifier.uri).and_then(|path| {
                self.state()
                    .change(&path, params.content_changes)
                    .map(|(_, workspace)| workspace)
            });
        self.edited(workspace);
    }

    async fn did_close(&self, params: DidCloseTextDocumentParams) {
        let Some(path) = path_of(&params.text_document.uri) else {
            return;
        };
        let (workspace, gone) = {
            let mut state = self.state();
            let workspace = state.close(&path).map(|(_, workspace)| workspace);
            let deleted = std::fs::symlink_metadata(&path).is_err();
            (workspace, deleted && !state.is_loaded(&path))
        };
        if gone {
            // Deleted on disk while the editor had it open (one that cannot be read is reported
            // as a load problem instead).
            self.clear(vec![path]);
        }
        self.edited(workspace);
    }

    async fn did_change_watched_files(&self, params: DidChangeWatchedFilesParams) {
        let mut changes = WatchedChanges::default();
        {
            let mut state = self.state();
            for change in params.changes {
                let Some(path) = path_of(&change.uri) else {
                    continue;
                };
                match change.kind {
                    FileChangeType::Deleted => state.deleted(&path, &mut changes),
                    _ => state.created_or_changed(&path, &mut changes),
                }
            }
        }
        self.report_problems();
        self.clear(changes.removed);
        for workspace in changes.workspaces {
            self.publish(workspace);
        }
    }

    async fn diagnostic(
        &self,
        params: DocumentDiagnosticParams,
    ) -> Result<DocumentDiagnosticReport> {
        self.read(move |snapshot| requests::diagnostics::document(snapshot, &params))
            .await
    }

    async fn hover(&self, params: HoverParams) -> Result<Option<Hover>> {
        self.read(move |snapshot| requests::hover::hover(snapshot, &params))
            .await
    }

    async fn goto_definition(
        &self,
        params: DefinitionParams,
    ) -> Result<Option<DefinitionResponse>> {
        self.read(move |snapshot| requests::definition::definition(snapshot, &params))
            .await
    }

    async fn references(&self, params: ReferenceParams) -> Result<Option<Vec<Location>>> {
        self.read(move |snapshot| requests::references::references(snapshot, &params))
            .await
    }

    async fn prepare_rename(
        &self,
        params: TextDocumentPositionParams,
    ) -> Result<Option<PrepareRenameResult>> {
        self.read(move |snapshot| requests::rename::prepare(snapshot, &params))
            .await?
    }

    async fn rename(&self, params: RenameParams) -> Result<Option<WorkspaceEdit>> {
        self.read(move |snapshot| requests::rename::rename(snapshot, &params))
            .await?
    }

    async fn completion(&self, params: CompletionParams) -> Result<Option<CompletionResponse>> {
        self.read(move |snapshot| requests::completion::completion(snapshot, &params))
            .await
    }

    async fn document_symbol(
        &self,
        params: DocumentSymbolParams,
    ) -> Result<Option<DocumentSymbolResponse>> {
        self.read(move |snapshot| requests::symbols::document(snapshot, &params))
            .await
    }

    async fn symbol(
        &self,
        params: WorkspaceSymbolParams,
    ) -> Result<Option<WorkspaceSymbolResponse>> {
        self.read(move |snapshot| requests::symbols::workspace(snapshot, &params))
            .await
    }

    async fn semantic_tokens_full(
        &self,
        params: SemanticTokensParams,
    ) -> Result<Option<SemanticTokens>> {
        self.read(move |snapshot| requests::semantic_tokens::full(snapshot, &params))
            .await
    }

    async fn formatting(&self, params: DocumentFormattingParams) -> Result<Option<Vec<TextEdit>>> {
        self.read(move |snapshot| requests::formatting::formatting(snapshot, &params))
            .await
    }

    async fn inlay_hint(&self, params: InlayHintParams) -> Result<Option<Vec<InlayHint>>> {
        self.read(move |snapshot| requests::inlay_hints::inlay_hints(snapshot, &params))
            .await
    }

    async fn code_action(
        &self,
        params: CodeActionParams,
    ) -> Result<Option<Vec<CodeActionResponse>>> {
        self.read(move |snapshot| requests::code_actions::code_actions(snapshot, &params))
            .await
    }

    async fn code_lens(&self, params: CodeLensParams) -> Result<Option<Vec<CodeLens>>> {
        self.read(move |snapshot| requests::code_lens::code_lenses(snapshot, &params))
            .await
    }

    async fn execute_command(&self, params: ExecuteCommandParams) -> Result<Option<LspAny>> {
        let answer = self
            .read(move |snapshot| requests::code_lens::execute(snapshot, &params))
            .await??;
        if let Some(summary) = answer.get("summary").and_then(|s| s.as_str()) {
            let kind = if answer.get("failed").and_then(LspAny::as_u64) == Some(0) {
                MessageType::Info
            } else {
                MessageType::Warning
            };
            self.client.show_message(kind, summary).await;
        }
        Ok(Some(answer))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A panic while answering one request answers it with an error; the next request is answered.
    #[tokio::test]
    async fn a_panic_answers_the_request_with_an_error() {
        let snapshot = State::default().snapshot();
        let failed = run(snapshot.clone(), |_| -> u32 { panic!("broken invariant") }).await;
        let error = failed.expect_err("a panic is an error");
        assert_eq!(error.code, ErrorCode::InternalError);
        assert!(
            error.message.contains("broken invariant"),
            "{}",
            error.message
        );
        let answered = run(snapshot, |snapshot| snapshot.workspaces().len()).await;
        assert_eq!(answered.ok(), Some(0));
    }

    /// An edit while a request reads the database cancels the request: it answers
    /// `content_modified`, and the edit goes through.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn an_edit_cancels_a_request_in_flight() {
        let dir = std::env::temp_dir().join(format!("cordon-lsp-cancel-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("a temporary directory");
        let path = dir.join("rules.cordon");
        std::fs::write(&path, "const x = 1\n  cite \"15 CFR 1\"\n").expect("writable");
        let state = Arc::new(Mutex::new(State::default()));
        let (_, workspace) = state
            .lock()
            .expect("not poisoned")
            .file(&path)
            .expect("loaded");
        let snapshot = state.lock().expect("not poisoned").snapshot();
        // A request that reads until something stops it.
        let request = tokio::spawn(run(snapshot, move |snapshot| {
            loop {
                let _ = cordon_lang::db::check_workspace(&snapshot.db, workspace);
            }
        }));
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        state
            .lock()
            .expect("not poisoned")
            .open(&path, "const x = 2\n  cite \"15 CFR 1\"\n".to_string());
        let answer: Result<()> = request.await.expect("the request task ends");
        let _ = std::fs::remove_dir_all(&dir);
        assert_eq!(
            answer.expect_err("cancelled").code,
            ErrorCode::ContentModified
        );
    }
}
