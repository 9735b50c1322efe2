//! Writes every version of `policies/ear` as Rust (`cordon_engine::native`), for the compiled
//! row of the benchmark and the test that holds each version's Rust to the interpreter.

use std::path::{Path, PathBuf};

fn main() -> Result<(), String> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let policies = root.join("policies/ear");
    println!("cargo::rerun-if-changed={}", policies.display());
    let out = PathBuf::from(std::env::var("OUT_DIR").map_err(|error| error.to_string())?);
    let policy = cordon_engine::Policy::load(&policies).map_err(|error| error.to_string())?;
    let mut modules = String::new();
    for version in &policy.versions {
        let name = format!("v{}", version.id.replace('-', "_"));
        let file = out.join(format!("{name}.rs"));
        std::fs::write(&file, cordon_engine::native::rust_source(version))
            .map_err(|error| format!("{}: {error}", file.display()))?;
        modules.push_str(&format!(
            "/// Version `{}` of `policies/ear` as Rust.\npub mod {name} {{\n    include!(concat!(env!(\"OUT_DIR\"), \"/{name}.rs\"));\n}}\n",
            version.id
        ));
    }
    std::fs::write(out.join("versions.rs"), modules).map_err(|error| error.to_string())
}
