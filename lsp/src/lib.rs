//! The Cordon language server: `cordon lsp`.
//!
//! This is the only crate that knows the editor protocol. It keeps one salsa database of
//! `cordon-lang` (the same queries as `cordon check`), applies the editor's edits to it, and
//! answers each method of the protocol from a snapshot: [`server`] dispatches, [`state`] holds
//! the database and the open files, [`requests`] has one module per feature, [`convert`] turns our
//! diagnostics into the protocol's, [`position`] converts offsets and positions.
//!
//! It never stops on broken source, on positions outside a file or on messages it does not know.

pub mod convert;
pub mod position;
pub mod requests;
pub mod server;
pub mod state;

use tower_lsp_server::{LspService, Server as Transport};

/// Serves the protocol over stdin and stdout until the client says `exit`.
pub async fn serve_stdio() {
    let (service, socket) = LspService::new(server::Server::new);
    Transport::new(tokio::io::stdin(), tokio::io::stdout(), socket)
        .serve(service)
        .await;
}

/// Serves the protocol over stdin and stdout on a runtime of its own.
pub fn run() -> std::io::Result<()> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?
        .block_on(serve_stdio());
    Ok(())
}
