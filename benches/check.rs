//! Placeholder: replaced by the benchmark of `cordon check` below.
fn main() {}
