//! `cordon rust --policy PATH --version ID`: a version written as Rust, for a program that decides
//! with that version to compile it in (see `cordon_engine::native` and the README's "From Rust").

use std::io::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;

use cordon_engine::Policy;
use cordon_engine::native::rust_source;

#[derive(clap::Args)]
pub struct Args {
    /// The policy directory.
    #[arg(long)]
    pub policy: PathBuf,
    /// The version to write (`ID`, or `ID@sha256:...` to refuse sources that changed).
    #[arg(long)]
    pub version: String,
    /// Where to write the Rust (standard output without it).
    #[arg(long, short)]
    pub output: Option<PathBuf>,
}

pub fn run(args: &Args) -> Result<ExitCode, String> {
    let policy = Policy::load(&args.policy).map_err(|error| error.to_string())?;
    let version = policy
        .pinned(&args.version)
        .map_err(|error| error.to_string())?;
    let source = rust_source(version);
    match &args.output {
        Some(path) => {
            std::fs::write(path, source).map_err(|error| format!("{}: {error}", path.display()))?
        }
        None => {
            let mut out = std::io::stdout().lock();
            out.write_all(source.as_bytes())
                .and_then(|()| out.flush())
                .map_err(|error| format!("cannot write the Rust: {error}"))?
        }
    }
    Ok(ExitCode::SUCCESS)
}
