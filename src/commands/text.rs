//! Decisions written for people.

use std::fmt::Write as _;

use cordon_engine::Decision;

pub fn decision(decision: &Decision, explain: bool) -> String {
    let mut out = String::new();
    let id = decision
        .id
        .as_deref()
        .map(|id| format!("{id} "))
        .unwrap_or_default();
    let _ = writeln!(
        out,
        "{id}on {}: policy {} version {} ({})",
        decision.date, decision.policy.name, decision.policy.version, decision.policy.hash
    );
    for (field, value) in &decision.outcome {
        let _ = writeln!(out, "  {field}: {value}");
    }
    if explain {
        if !decision.trace.is_empty() {
            let _ = writeln!(out, "because:");
        }
        for entry in &decision.trace {
            let confidence = if entry.confidence == cordon_lang::hir::Confidence::Confirmed {
                String::new()
            } else {
                format!(" [{}]", entry.confidence.as_str())
            };
            let _ = writeln!(out, "  {} ({}){confidence}", entry.rule, entry.cite);
            let _ = writeln!(out, "    concludes {}", entry.concludes.join(", "));
            if !entry.because.is_empty() {
                let _ = writeln!(out, "    when {}", entry.because);
            }
            if !entry.facts.is_empty() {
                let facts: Vec<String> = entry
                    .facts
                    .iter()
                    .map(|(path, value)| format!("{path} = {value}"))
                    .collect();
                let _ = writeln!(out, "    read {}", facts.join(", "));
            }
        }
        if !decision.why_not.is_empty() {
            let _ = writeln!(out, "why not:");
        }
        for entry in &decision.why_not {
            let _ = writeln!(
                out,
                "  {} ({}): would conclude {}",
                entry.rule,
                entry.cite,
                entry.would_conclude.join(", ")
            );
            let _ = writeln!(out, "    but {}", entry.because_not);
        }
    }
    out
}
