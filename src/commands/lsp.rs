//! `cordon lsp`: the language server, over stdin and stdout (see the `cordon-lsp` crate).

use std::process::ExitCode;

#[derive(clap::Args)]
pub struct Args {
    /// Accepted for editors that pass it; the server always speaks over stdin and stdout.
    #[arg(long)]
    pub stdio: bool,
}

pub fn run(_args: &Args) -> Result<ExitCode, String> {
    cordon_lsp::run().map_err(|error| format!("cannot start the language server: {error}"))?;
    Ok(ExitCode::SUCCESS)
}
