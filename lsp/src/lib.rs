//! The Cordon language server: `cordon lsp`.
//!
//! This is the only crate that knows the editor protocol. It keeps one salsa database of
//! `cordon-lang` (the same queries as `cordon check`), applies the editor's edits to it, and
//! answers each method of the protocol from a snapshot: [`server`] dispatches, [`state`] holds
//! the database and the open files, [`requests`] has one module per feature, [`convert`] turns our
//! diagnostics into the protocol's, [`position`] converts offsets and positions, [`transport`]
//! frames the bytes both ways, so that no malformed message, wrong `Content-Length` or oversized
//! message stops or desynchronises the server.
//!
//! It never stops on broken source, on positions outside a file or on messages it does not know.

pub mod convert;
pub mod position;
pub mod requests;
pub mod server;
pub mod state;
pub mod transport;

use tokio::io::{AsyncRead, AsyncWrite};
use tower_lsp_server::{LspService, Server as Transport};

/// Serves the protocol on `input` and `output` until the client says `exit` or `input` ends.
pub async fn serve(
    input: impl AsyncRead + Unpin + Send + 'static,
    output: impl AsyncWrite + Unpin,
) {
    let (service, socket) = LspService::build(server::Server::new).finish();
    // The library reads only what `transport::read` passes on, and writes to `transport::write`
    // (through `transport::collect`), which also writes the transport's own answers.
    let (to_library, library_input) = tokio::io::duplex(1 << 20);
    let (library_output, from_library) = tokio::io::duplex(1 << 20);
    let (queue, outgoing) = tokio::sync::mpsc::channel(64);
    tokio::spawn(transport::read(input, to_library, queue.clone()));
    tokio::spawn(transport::collect(from_library, queue));
    let library = Transport::new(library_input, library_output, socket).serve(service);
    tokio::join!(library, transport::write(outgoing, output));
}

/// The server's runtime. Its threads (the blocking ones answer requests) get the stack of the
/// command line's main thread: the passes over a policy recurse as deep as its expressions nest
/// (up to `cordon_lang::parse::MAX_NESTING`), and the editor must hold what `cordon check` holds.
pub fn runtime() -> tokio::runtime::Builder {
    let mut builder = tokio::runtime::Builder::new_multi_thread();
    builder.enable_all().thread_stack_size(8 << 20);
    builder
}

/// Serves the protocol over stdin and stdout on a runtime of its own, and returns after `exit`
/// (without waiting for stdin, which an editor may keep open).
pub fn run() -> std::io::Result<()> {
    let runtime = runtime().build()?;
    runtime.block_on(serve(tokio::io::stdin(), tokio::io::stdout()));
    runtime.shutdown_background();
    Ok(())
}
