//! Before anything is timed, every engine decides every transaction and must give the outcome
//! Cordon's public `decide` gives (the contract's JSON, read back). One disagreement fails.

use cordon_engine::Policy;

use crate::baseline::Baseline;
use crate::cedar::Cedar;
use crate::cordon::{self, Cordon};
use crate::outcome::{self, Outcome, Review};
use crate::peer::{Case, Peer};
use crate::rego::{Interpreter, Rvm};

/// Runs one engine over all cases: prepare each, then decide each.
pub fn decide_all<'a, P: Peer<'a>>(
    peer: &mut P,
    cases: &'a [Case],
) -> Result<Vec<Outcome>, String> {
    let inputs = cases
        .iter()
        .map(|case| {
            peer.prepare(case)
                .map_err(|error| format!("{}: {}: {error}", peer.name(), case.transaction.id))
        })
        .collect::<Result<Vec<_>, _>>()?;
    inputs
        .iter()
        .zip(cases)
        .map(|(input, case)| {
            peer.decide(input)
                .map_err(|error| format!("{}: {}: {error}", peer.name(), case.transaction.id))
        })
        .collect()
}

/// How often each part of the outcome occurred: evidence that the transactions exercise the
/// whole decision.
#[derive(Debug, Default)]
pub struct Coverage {
    pub transactions: usize,
    pub classification: [usize; 6],
    pub license_required: usize,
    pub license_exceptions: [usize; 6],
    pub approval: usize,
    pub case_by_case: usize,
    pub denial: usize,
    pub red_flags: [usize; 6],
    pub notices: [usize; 7],
}

/// The notices `2025-01-13` gives (not `certifications_91_fr_1684` nor `diffusion_not_enforced`,
/// which belong to later versions), as indices into [`outcome::NOTICES`].
const NOTICES_2025_01_13: [usize; 5] = [0, 3, 4, 5, 6];

impl Coverage {
    fn add(&mut self, outcome: &Outcome) {
        self.transactions += 1;
        let count = |counts: &mut [usize], mask: u8| {
            for (index, count) in counts.iter_mut().enumerate() {
                if mask & (1 << index) != 0 {
                    *count += 1;
                }
            }
        };
        count(&mut self.classification, outcome.classification);
        count(&mut self.license_exceptions, outcome.license_exceptions);
        count(&mut self.red_flags, outcome.red_flags);
        count(&mut self.notices, outcome.notices);
        self.license_required += usize::from(outcome.license_required);
        self.approval += usize::from(outcome.review_policy == Some(Review::Approval));
        self.case_by_case += usize::from(outcome.review_policy == Some(Review::CaseByCase));
        self.denial += usize::from(outcome.review_policy == Some(Review::Denial));
    }

    /// The outcome values of `2025-01-13` that never occurred.
    pub fn missing(&self) -> Vec<String> {
        let mut missing = Vec::new();
        let mut check = |names: &[&str], counts: &[usize]| {
            for (name, count) in names.iter().zip(counts) {
                if *count == 0 {
                    missing.push((*name).to_string());
                }
            }
        };
        check(&outcome::ECCNS, &self.classification);
        check(&outcome::EXCEPTIONS, &self.license_exceptions);
        for index in NOTICES_2025_01_13 {
            check(
                &outcome::NOTICES[index..=index],
                &self.notices[index..=index],
            );
        }
        check(&["iaas_training_non_aia"], &self.red_flags[2..3]);
        check(
            &["license_required", "approval", "case_by_case", "denial"],
            &[
                self.license_required,
                self.approval,
                self.case_by_case,
                self.denial,
            ],
        );
        missing
    }

    pub fn summary(&self) -> String {
        let list = |names: &[&str], counts: &[usize]| {
            names
                .iter()
                .zip(counts)
                .map(|(name, count)| format!("{name} {count}"))
                .collect::<Vec<_>>()
                .join(", ")
        };
        let notices: Vec<&str> = NOTICES_2025_01_13
            .iter()
            .map(|index| outcome::NOTICES[*index])
            .collect();
        let notice_counts: Vec<usize> = NOTICES_2025_01_13
            .iter()
            .map(|index| self.notices[*index])
            .collect();
        format!(
            "classification: {}\nlicense required: {}; review: approval {}, case_by_case {}, denial {}\nexceptions: {}\nred flag iaas_training_non_aia: {}; notices: {}",
            list(&outcome::ECCNS, &self.classification),
            self.license_required,
            self.approval,
            self.case_by_case,
            self.denial,
            list(&outcome::EXCEPTIONS, &self.license_exceptions),
            self.red_flags[2],
            list(&notices, &notice_counts),
        )
    }
}

/// Every engine agrees with Cordon's `decide` on every case, or the error lists the first
/// disagreements (transaction JSON, expected and found outcomes).
pub fn cross_check(policy: &Policy, cases: &[Case]) -> Result<Coverage, String> {
    let reference = cases
        .iter()
        .map(|case| {
            cordon::decide_json(policy, &case.json)
                .map_err(|error| format!("Cordon decide: {}: {error}", case.transaction.id))
        })
        .collect::<Result<Vec<_>, _>>()?;
    let mut coverage = Coverage::default();
    for outcome in &reference {
        coverage.add(outcome);
    }
    let engines: Vec<(&str, Vec<Outcome>)> = vec![
        (
            "Cordon (facts read once, outcome from the scratch)",
            decide_all(&mut Cordon::new(policy)?, cases)?,
        ),
        (
            "Cordon compiled to Rust",
            decide_all(&mut Cordon::native(policy)?, cases)?,
        ),
        ("hand-written Rust", decide_all(&mut Baseline, cases)?),
        (
            "regorus interpreter",
            decide_all(&mut Interpreter::new()?, cases)?,
        ),
        ("regorus RVM", decide_all(&mut Rvm::new()?, cases)?),
        ("Cedar", decide_all(&mut Cedar::new()?, cases)?),
    ];
    let mut report = Vec::new();
    for (name, outcomes) in &engines {
        let disagreements: Vec<usize> = (0..cases.len())
            .filter(|index| outcomes[*index] != reference[*index])
            .collect();
        for index in disagreements.iter().take(3) {
            report.push(format!(
                "{name} disagrees on {}:\n  facts:    {}\n  Cordon:   {}\n  {name}: {}",
                cases[*index].transaction.id,
                cases[*index].json,
                reference[*index],
                outcomes[*index]
            ));
        }
        if !disagreements.is_empty() {
            report.push(format!(
                "{name}: {} disagreements in {}",
                disagreements.len(),
                cases.len()
            ));
        }
    }
    if report.is_empty() {
        Ok(coverage)
    } else {
        Err(report.join("\n"))
    }
}
