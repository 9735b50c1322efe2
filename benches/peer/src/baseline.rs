//! The hand-written baseline: the `2025-01-13` decision of the contract's second edition (the
//! rules of `2024-12-02` as the AI Diffusion rule changed them, with the Entity List) as one Rust
//! function over a typed transaction, with the same exact decimals (`rust_decimal`) Cordon uses.
//! It is what a careful engineer would write by hand for this one version; Cordon's target is to
//! stay within 3x of it.

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
const N_APPROVED_IC_DESIGNER_REQUIRED: u8 = 1;
const N_HBM_CONDITIONS: u8 = 1 << 3;
const N_NAC_NOTIFICATION: u8 = 1 << 4;
const N_NOT_SUBJECT_TO_EAR: u8 = 1 << 5;
const N_RESTS_ON_UNCONFIRMED_READING: u8 = 1 << 6;

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
    let destination_in_d5m = in_d5m(destination, day);
    // "HQ in X": the end user's headquarters or its ultimate parent's.
    let hq_in_d5m = in_d5m(hq, day) || in_d5m(parent_hq, day);
    let any_party_in_d5m = destination_in_d5m || hq_in_d5m;
    let hq_in_aia = in_aia(hq) || in_aia(parent_hq);
    let both_hq_in_aia = in_aia(hq) && in_aia(parent_hq);
    let all_parties_in_aia = in_aia(destination) && both_hq_in_aia;
    let any_party_in_aia = in_aia(destination) || hq_in_aia;
    let abroad = destination != "US";
    let deemed_export = t.activity == Activity::DeemedExport;
    let mut outcome = Outcome::default();

    // Classification, and whether the item is subject to the EAR at all.
    let mut datacenter_item = false;
    let mut total_tpp = Decimal::ZERO;
    let mut subject_to_ear = true;
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
            // 3A090.c is in this version's text (from 2024-12-02) whatever the date.
            if *memory_bandwidth_density > Decimal::from(2) {
                outcome.classification = C_3A090C;
            }
        }
        Item::ModelWeights {
            training_ops,
            published,
            derived,
            produced_with,
            ..
        } => {
            let fdpr_plant = produced_with
                .iter()
                .any(|eccn| FDPR_HEADINGS.iter().any(|heading| within(eccn, heading)));
            let above_threshold = match derived {
                None => true,
                Some((base, additional)) => {
                    *additional
                        > Decimal::from_i128_with_scale(25_000_000_000_000_000_000_000_000, 0)
                        && *additional > Decimal::new(25, 2) * *base
                }
            };
            let enough_operations = *training_ops
                >= Decimal::from_i128_with_scale(100_000_000_000_000_000_000_000_000, 0);
            let meets_4e091 = !published && enough_operations && above_threshold;
            // Produced in the United States, or with a plant the FDPR (734.9(l)) names.
            let reached = !t.item.foreign_produced() || fdpr_plant;
            // Published weights (734.7) are outside the EAR; foreign-produced weights are inside
            // it only when the FDPR brings them in, which it does for 4E091 weights alone.
            subject_to_ear =
                !published && (!t.item.foreign_produced() || (fdpr_plant && meets_4e091));
            if reached && meets_4e091 {
                outcome.classification = C_4E091;
            }
            // The other reading of "25%": of the derived model's own training operations.
            if let (true, Some((_, additional))) =
                (reached && !published && enough_operations, derived)
            {
                let other_reading = *additional
                    > Decimal::from_i128_with_scale(25_000_000_000_000_000_000_000_000, 0)
                    && *additional > Decimal::new(25, 2) * *training_ops;
                if above_threshold != other_reading {
                    outcome.notices |= N_RESTS_ON_UNCONFIRMED_READING;
                }
            }
            if !subject_to_ear {
                outcome.notices |= N_NOT_SUBJECT_TO_EAR;
            }
        }
    }
    let class = outcome.classification;
    let a_item = class & (C_3A090A | C_4A090A) != 0;
    let b_item = class & (C_3A090B | C_4A090B) != 0;
    let ab_item = a_item || b_item;
    let hbm = class & C_3A090C != 0;
    let weights = class & C_4E091 != 0;
    let datacenter_a_item = a_item && datacenter_item;

    // License requirements, each with the review it brings.
    let scope = !deemed_export && abroad;
    // 742.6(a)(6)(iii) by destination (.b; .a items are within the worldwide requirement).
    let b_destination = b_item && !deemed_export && in_r(destination, day);
    // 744.23(a)(3)(i): headquarters or ultimate parent in Macau or D:5, outside the US.
    let b_headquarters = b_item && scope && hq_in_d5m;
    // 742.6(a)(6)(iii)(A): .a items worldwide but the United States.
    let a_worldwide = a_item && scope;
    // 742.6(a)(6)(i)(B) and 744.23(a)(3)(i)(B): 3A090.c.
    let hbm_destination = hbm && !deemed_export && destination_in_d5m;
    let hbm_headquarters = hbm && scope && hq_in_d5m;
    // 742.6(a)(13): 4E091 worldwide but the United States, except deemed exports to permanent
    // employees of entities headquartered (or with an ultimate parent) in AIA destinations.
    let weights_requirement =
        weights && abroad && !(deemed_export && t.permanent_employee && hq_in_aia);
    // 744.11: a listed end user needs a license for every item subject to the EAR.
    let entity_list = t.entity_list.review().filter(|_| abroad && subject_to_ear);

    let mut review = None;
    if a_worldwide {
        review = Some(
            if any_party_in_d5m
                || !(any_party_in_aia
                    || (day <= date(2027, 12, 31)
                        && t.country_tpp_allocated + total_tpp <= Decimal::from(790_000_000)))
            {
                Review::Denial
            } else {
                Review::Approval
            },
        );
    }
    if b_destination || b_headquarters {
        let tier = if destination_in_d5m {
            Review::Denial
        } else if hq_in_d5m {
            Review::CaseByCase
        } else {
            Review::Approval
        };
        review = Review::most_restrictive(review, tier);
    }
    if hbm_destination {
        let tier = if hq_in_d5m {
            Review::Denial
        } else {
            Review::Approval
        };
        review = Review::most_restrictive(review, tier);
    }
    if hbm_headquarters && !destination_in_d5m {
        review = Review::most_restrictive(review, Review::CaseByCase);
    }
    if weights_requirement {
        let tier = if both_hq_in_aia {
            Review::Approval
        } else {
            Review::Denial
        };
        review = Review::most_restrictive(review, tier);
    }
    if let Some(tier) = entity_list {
        review = Review::most_restrictive(review, tier);
    }
    outcome.review_policy = review;
    outcome.license_required = review.is_some();

    // License exceptions: none for a listed end user.
    if outcome.license_required && entity_list.is_none() {
        let mut exceptions = 0;
        if ab_item
            && !datacenter_a_item
            && matches!(t.activity, Activity::Export | Activity::Reexport)
            && any_party_in_d5m
        {
            exceptions |= X_NAC;
            outcome.notices |= N_NAC_NOTIFICATION;
        }
        if ab_item
            && !datacenter_a_item
            && (!any_party_in_d5m || (t.activity == Activity::Transfer && destination_in_d5m))
        {
            exceptions |= X_ACA;
        }
        if let Item::Hbm {
            memory_bandwidth_density,
        } = &t.item
            && hbm
            && *memory_bandwidth_density < Decimal::new(33, 1)
        {
            exceptions |= X_HBM;
            outcome.notices |= N_HBM_CONDITIONS;
        }
        if (a_item && all_parties_in_aia) || (weights && hq_in_aia && !destination_in_d5m) {
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
        if a_item && exceptions & (X_AIA | X_ACM) != 0 && day >= date(2025, 1, 16) {
            outcome.notices |= N_APPROVED_IC_DESIGNER_REQUIRED;
        }
        outcome.license_exceptions = exceptions;
    }

    // Red flag 28.
    if t.end_use == EndUse::AiTraining4e091 && !both_hq_in_aia {
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
