//! The hand-written baseline: the `2025-01-13` decision as one Rust function over a typed
//! transaction, with the same exact decimals (`rust_decimal`) Cordon uses. It is what a careful
//! engineer would write by hand for this one version; Cordon's target is to stay within 3x of it.

use jiff::civil::{Date, date};
use rust_decimal::Decimal;

use crate::generate::{Activity, EndUse, Item, Transaction};
use crate::outcome::{Outcome, Review};

// Bits of the outcome's sets, in the order of `crate::outcome`.
const C_3A090A: u8 = 1;
const C_3A090B: u8 = 1 << 1;
const C_3A090C: u8 = 1 << 2;
const C_4A090A: u8 = 1 << 3;
const C_4A090B: u8 = 1 << 4;
const C_4E091: u8 = 1 << 5;
const X_ACA: u8 = 1;
const X_ACM: u8 = 1 << 1;
const X_AIA: u8 = 1 << 2;
const X_HBM: u8 = 1 << 3;
const X_LPP: u8 = 1 << 4;
const X_NAC: u8 = 1 << 5;
const F_IAAS_TRAINING_NON_AIA: u8 = 1 << 2;
const N_NAC_NOTIFICATION: u8 = 1 << 1;
const N_NOT_SUBJECT_TO_EAR: u8 = 1 << 2;
const N_RESTS_ON_UNCONFIRMED_READING: u8 = 1 << 3;

/// Hong Kong takes China's groups.
fn country(code: &str) -> &str {
    if code == "HK" { "CN" } else { code }
}

const A5: [&str; 37] = [
    "AR", "AT", "AU", "BE", "BG", "CA", "CH", "CZ", "DE", "DK", "EE", "ES", "FI", "FR", "GB", "GR",
    "HR", "HU", "IE", "IN", "IS", "IT", "JP", "KR", "LT", "LU", "LV", "NL", "NO", "NZ", "PL", "PT",
    "RO", "SE", "SI", "SK", "TR",
];
const A6: [&str; 8] = ["AL", "CY", "IL", "MT", "MX", "SG", "TW", "ZA"];
const D1: [&str; 24] = [
    "AM", "AZ", "BY", "CN", "GE", "IQ", "KG", "KH", "KP", "KZ", "LA", "LY", "MD", "MM", "MN", "MO",
    "NI", "RU", "TJ", "TM", "UZ", "VE", "VN", "YE",
];
const D4: [&str; 22] = [
    "AE", "BH", "BY", "CN", "EG", "IL", "IQ", "IR", "JO", "KP", "KW", "LB", "LY", "MO", "OM", "PK",
    "QA", "RU", "SA", "SY", "VE", "YE",
];
/// D:5 without Cambodia, a member through 2025-11-06 (see `in_d5`).
const D5_UNDATED: [&str; 22] = [
    "AF", "BY", "CD", "CF", "CN", "CU", "ER", "HT", "IQ", "IR", "KP", "LB", "LY", "MM", "NI", "RU",
    "SD", "SO", "SS", "SY", "VE", "ZW",
];
/// The AIA destinations and the United States.
const AIA: [&str; 19] = [
    "AU", "BE", "CA", "DE", "DK", "ES", "FI", "FR", "GB", "IE", "IT", "JP", "KR", "NL", "NO", "NZ",
    "SE", "TW", "US",
];

/// D:5 on `day`.
fn in_d5(code: &str, day: Date) -> bool {
    D5_UNDATED.contains(&code) || (code == "KH" && day < date(2025, 11, 7))
}

fn in_d5m(code: &str, day: Date) -> bool {
    code == "MO" || in_d5(code, day)
}

fn in_aia(code: &str) -> bool {
    AIA.contains(&code)
}

/// The destinations of 742.6(a)(6)(iii): D:1, D:4 or D:5, not also A:5 or A:6.
fn in_r(code: &str, day: Date) -> bool {
    (D1.contains(&code) || D4.contains(&code) || in_d5(code, day))
        && !A5.contains(&code)
        && !A6.contains(&code)
}

const FDPR_HEADINGS: [&str; 9] = [
    "3A001.z", "3A090", "4A003.z", "4A004.z", "4A005.z", "4A090", "5A002.z", "5A004.z", "5A992.z",
];

fn within(eccn: &str, heading: &str) -> bool {
    eccn == heading
        || (eccn.starts_with(heading) && eccn.as_bytes().get(heading.len()) == Some(&b'.'))
}

/// The `2025-01-13` decision.
pub fn decide(t: &Transaction) -> Outcome {
    let day = t.date;
    let destination = country(t.destination);
    let hq = country(t.hq);
    let parent_hq = country(t.parent_hq);
    let parties = [destination, hq, parent_hq];
    let any_party_in_d5m = parties.iter().any(|party| in_d5m(party, day));
    let any_party_in_aia = parties.iter().any(|party| in_aia(party));
    let deemed_export = t.activity == Activity::DeemedExport;
    let mut outcome = Outcome::default();

    // Classification.
    let mut datacenter_item = false;
    let mut total_tpp = Decimal::ZERO;
    match &t.item {
        Item::Processor {
            computer,
            tpp,
            performance_density: density,
            datacenter,
            ..
        } => {
            let (tpp, density) = (*tpp, *density);
            let meets_a = tpp >= Decimal::from(4800)
                || (tpp >= Decimal::from(1600) && density >= Decimal::new(592, 2));
            let meets_b = !meets_a
                && ((tpp >= Decimal::from(2400)
                    && tpp < Decimal::from(4800)
                    && density >= Decimal::new(16, 1)
                    && density < Decimal::new(592, 2))
                    || (tpp >= Decimal::from(1600)
                        && density >= Decimal::new(32, 1)
                        && density < Decimal::new(592, 2)));
            let note_2_excluded = !datacenter && tpp < Decimal::from(4800);
            if !note_2_excluded {
                outcome.classification = match (meets_a, meets_b, computer) {
                    (true, _, false) => C_3A090A,
                    (true, _, true) => C_4A090A,
                    (false, true, false) => C_3A090B,
                    (false, true, true) => C_4A090B,
                    _ => 0,
                };
            }
            datacenter_item = *datacenter;
            total_tpp = tpp * Decimal::from(t.quantity);
        }
        Item::Hbm {
            memory_bandwidth_density,
        } => {
            if day >= date(2024, 12, 2) && *memory_bandwidth_density > Decimal::from(2) {
                outcome.classification = C_3A090C;
            }
        }
        Item::ModelWeights {
            training_ops,
            published,
            derived,
            foreign_produced,
            produced_with,
        } => {
            let fdpr_plant = produced_with
                .iter()
                .any(|eccn| FDPR_HEADINGS.iter().any(|heading| within(eccn, heading)));
            let subject = !foreign_produced || fdpr_plant;
            let above_threshold = match derived {
                None => true,
                Some((base, additional)) => {
                    *additional
                        > Decimal::from_i128_with_scale(25_000_000_000_000_000_000_000_000, 0)
                        && *additional > Decimal::new(25, 2) * *base
                }
            };
            let reaches = subject
                && *training_ops
                    >= Decimal::from_i128_with_scale(100_000_000_000_000_000_000_000_000, 0)
                && !published;
            if reaches && above_threshold {
                outcome.classification = C_4E091;
            }
            // The other reading of "25%": of the derived model's own training operations.
            if let (true, Some((_, additional))) = (reaches, derived) {
                let other_reading = *additional
                    > Decimal::from_i128_with_scale(25_000_000_000_000_000_000_000_000, 0)
                    && *additional > Decimal::new(25, 2) * *training_ops;
                if above_threshold != other_reading {
                    outcome.notices |= N_RESTS_ON_UNCONFIRMED_READING;
                }
            }
            if *foreign_produced && !fdpr_plant {
                outcome.notices |= N_NOT_SUBJECT_TO_EAR;
            }
        }
    }
    let class = outcome.classification;
    let a_item = class & (C_3A090A | C_4A090A) != 0;
    let ab_item = class & (C_3A090A | C_3A090B | C_4A090A | C_4A090B) != 0;
    let datacenter_a_item = a_item && datacenter_item;
    let weights = class & C_4E091 != 0;

    // License requirements.
    let hq_in_aia = in_aia(hq) && in_aia(parent_hq);
    outcome.license_required = (ab_item
        && !deemed_export
        && (in_r(destination, day) || in_d5m(hq, day) || in_d5m(parent_hq, day)))
        || (class & C_3A090C != 0 && in_d5m(destination, day))
        || (a_item && !deemed_export && destination != "US")
        || (weights
            && destination != "US"
            && !(deemed_export && t.permanent_employee && hq_in_aia));

    if outcome.license_required {
        // License exceptions.
        let mut exceptions = 0;
        if ab_item && !datacenter_a_item && any_party_in_d5m {
            exceptions |= X_NAC;
            outcome.notices |= N_NAC_NOTIFICATION;
        }
        if ab_item && !datacenter_a_item && !any_party_in_d5m {
            exceptions |= X_ACA;
        }
        if let Item::Hbm {
            memory_bandwidth_density,
        } = &t.item
            && class & C_3A090C != 0
            && *memory_bandwidth_density < Decimal::new(33, 1)
        {
            exceptions |= X_HBM;
        }
        if (a_item && parties.iter().all(|party| in_aia(party)))
            || (weights && hq_in_aia && !in_d5m(destination, day))
        {
            exceptions |= X_AIA;
        }
        if ab_item
            && t.private_sector
            && t.end_use == EndUse::DevelopmentProduction
            && !any_party_in_d5m
        {
            exceptions |= X_ACM;
        }
        if a_item
            && matches!(t.activity, Activity::Export | Activity::Reexport)
            && !any_party_in_d5m
            && t.consignee_tpp_this_year + total_tpp <= Decimal::from(26_900_000)
        {
            exceptions |= X_LPP;
        }
        outcome.license_exceptions = exceptions;

        // Review policy.
        outcome.review_policy = Some(if weights {
            if in_aia(destination) {
                Review::Approval
            } else {
                Review::Denial
            }
        } else if any_party_in_d5m {
            Review::Denial
        } else if !a_item
            || any_party_in_aia
            || (day <= date(2027, 12, 31)
                && t.country_tpp_allocated + total_tpp <= Decimal::from(790_000_000))
        {
            Review::Approval
        } else {
            Review::Denial
        });
    }

    // Red flag 28.
    if t.end_use == EndUse::AiTraining4e091 && !hq_in_aia {
        outcome.red_flags |= F_IAAS_TRAINING_NON_AIA;
    }
    outcome
}

/// The baseline behind the common interface: its input is the typed transaction itself.
pub struct Baseline;

impl<'a> crate::peer::Peer<'a> for Baseline {
    type Input = &'a Transaction;

    fn name(&self) -> &'static str {
        "hand-written Rust"
    }

    fn prepare(&self, case: &'a crate::peer::Case) -> Result<&'a Transaction, String> {
        Ok(&case.transaction)
    }

    fn decide(&mut self, input: &&'a Transaction) -> Result<Outcome, String> {
        Ok(decide(input))
    }
}
