//! The outcome every engine produces, in one small form so that the cross-check compares them
//! field by field and the timed runs end in the same place: the six fields of the contract's
//! `outcome` (classification, license_required, license_exceptions, review_policy, red_flags,
//! notices), sets as bitmasks over the names the contract lists.

use std::fmt;

/// The ECCNs of `classification`, in the contract's order (which is also sorted order).
pub const ECCNS: [&str; 6] = [
    "3A090.a", "3A090.b", "3A090.c", "4A090.a", "4A090.b", "4E091",
];
/// The license exceptions, sorted.
pub const EXCEPTIONS: [&str; 6] = ["ACA", "ACM", "AIA", "HBM", "LPP", "NAC"];
/// The red flags, sorted.
pub const RED_FLAGS: [&str; 6] = [
    "evasive_location_or_parent",
    "gp10_prc_advanced_ic",
    "iaas_training_non_aia",
    "no_legitimate_need",
    "no_purchase_history",
    "restricted_party_address",
];
/// The notices, sorted: the six the contract names, and `rests_on_unconfirmed_reading`.
pub const NOTICES: [&str; 7] = [
    "approved_ic_designer_required",
    "certifications_91_fr_1684",
    "diffusion_not_enforced",
    "hbm_conditions_740_25",
    "nac_notification_25_days",
    "not_subject_to_ear",
    "rests_on_unconfirmed_reading",
];
/// The review policies.
pub const REVIEWS: [&str; 3] = ["approval", "denial", "case_by_case"];

/// A license review policy.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Review {
    Approval,
    Denial,
    CaseByCase,
}

impl Review {
    /// How restrictive the review is: approval, then case-by-case, then denial.
    pub fn restrictiveness(self) -> u8 {
        match self {
            Review::Approval => 0,
            Review::CaseByCase => 1,
            Review::Denial => 2,
        }
    }

    /// The most restrictive of two reviews (either may be absent): when several license
    /// requirements or review provisions apply, the most restrictive decides.
    pub fn most_restrictive(current: Option<Review>, other: Review) -> Option<Review> {
        match current {
            Some(review) if review.restrictiveness() >= other.restrictiveness() => Some(review),
            _ => Some(other),
        }
    }

    pub fn from_name(name: &str) -> Option<Review> {
        match name {
            "approval" => Some(Review::Approval),
            "denial" => Some(Review::Denial),
            "case_by_case" => Some(Review::CaseByCase),
            _ => None,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Review::Approval => REVIEWS[0],
            Review::Denial => REVIEWS[1],
            Review::CaseByCase => REVIEWS[2],
        }
    }
}

/// One decision's outcome. Each set is a bitmask: bit `i` stands for the `i`th name of its list.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Outcome {
    pub classification: u8,
    pub license_required: bool,
    pub license_exceptions: u8,
    pub review_policy: Option<Review>,
    pub red_flags: u8,
    pub notices: u8,
}

/// The bit of `name` in `names`, if it is one of them.
pub fn bit(names: &[&str], name: &str) -> Option<u8> {
    names
        .iter()
        .position(|candidate| *candidate == name)
        .map(|index| 1 << index)
}

/// An error naming what an engine answered that is not an outcome of the contract.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutcomeError(pub String);

impl fmt::Display for OutcomeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for OutcomeError {}

fn names(mask: u8, names: &[&str]) -> String {
    let members: Vec<&str> = names
        .iter()
        .enumerate()
        .filter(|(index, _)| mask & (1 << index) != 0)
        .map(|(_, name)| *name)
        .collect();
    format!("[{}]", members.join(", "))
}

impl fmt::Display for Outcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "classification: {}, license_required: {}, license_exceptions: {}, review_policy: {}, \
             red_flags: {}, notices: {}",
            names(self.classification, &ECCNS),
            self.license_required,
            names(self.license_exceptions, &EXCEPTIONS),
            self.review_policy.map_or("null", Review::name),
            names(self.red_flags, &RED_FLAGS),
            names(self.notices, &NOTICES),
        )
    }
}

impl Outcome {
    /// Reads the contract's `outcome` JSON object (as Cordon's `Decision` carries it).
    pub fn from_contract_json(
        fields: &[(String, serde_json::Value)],
    ) -> Result<Outcome, OutcomeError> {
        let mut outcome = Outcome::default();
        for (name, value) in fields {
            match name.as_str() {
                "classification" => outcome.classification = mask_of(name, value, &ECCNS)?,
                "license_exceptions" => {
                    outcome.license_exceptions = mask_of(name, value, &EXCEPTIONS)?
                }
                "red_flags" => outcome.red_flags = mask_of(name, value, &RED_FLAGS)?,
                "notices" => outcome.notices = mask_of(name, value, &NOTICES)?,
                "license_required" => {
                    outcome.license_required = value.as_bool().ok_or_else(|| {
                        OutcomeError(format!("license_required: expected a bool, found {value}"))
                    })?
                }
                "review_policy" => {
                    outcome.review_policy = match value {
                        serde_json::Value::Null => None,
                        serde_json::Value::String(text) => {
                            Some(Review::from_name(text).ok_or_else(|| {
                                OutcomeError(format!("review_policy: unknown value `{text}`"))
                            })?)
                        }
                        other => {
                            return Err(OutcomeError(format!(
                                "review_policy: expected a string or null, found {other}"
                            )));
                        }
                    }
                }
                other => return Err(OutcomeError(format!("unknown outcome field `{other}`"))),
            }
        }
        Ok(outcome)
    }
}

fn mask_of(field: &str, value: &serde_json::Value, list: &[&str]) -> Result<u8, OutcomeError> {
    let items = value
        .as_array()
        .ok_or_else(|| OutcomeError(format!("{field}: expected a list, found {value}")))?;
    items.iter().try_fold(0, |mask, item| {
        let name = item.as_str().unwrap_or_default();
        bit(list, name)
            .map(|bit| mask | bit)
            .ok_or_else(|| OutcomeError(format!("{field}: unknown member {item}")))
    })
}
