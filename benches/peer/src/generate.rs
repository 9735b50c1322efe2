//! Deterministic transactions for the cross-check and the timed runs: every item kind and
//! activity, the thresholds at their boundaries (TPP 4800/4799, density 5.92/5.91, HBM density
//! 2/3.3, 10^26 operations, the 26,900,000 LPP limit, the 790,000,000 allocation,
//! 2027-12-31/2028-01-01, the approved-IC-designer condition on 2025-01-15/16, 2024-12-01/02,
//! Cambodia on 2025-11-06/07, the versions' first days), countries from every country group
//! (the United States often enough for the requirements that stop at its border), end users whose
//! headquarters and ultimate parent differ across the AIA line, Entity List entries of each review
//! policy (and the field absent or `null`), and model weights published, foreign-produced (with
//! and without a plant the FDPR names, `foreign_produced` also left out) and derived.
//!
//! Every value is one each peer represents exactly (the report's representation section says why):
//! TPP and counters
//! are integers, densities have two decimal places, and training operations are whole multiples
//! of 10^21. Cordon and the hand-written baseline would take any decimal; the peers would not.

use jiff::civil::{Date, date};
use rand::{Rng, SeedableRng, seq::IndexedRandom};
use rand_chacha::ChaCha8Rng;
use rust_decimal::Decimal;

use crate::outcome::Review;

/// What the transaction is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Activity {
    Export,
    Reexport,
    Transfer,
    DeemedExport,
}

/// What the items will be used for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EndUse {
    Datacenter,
    DevelopmentProduction,
    AiTraining4e091,
    Other,
}

/// The item, with the fields its kind uses.
#[derive(Clone, Debug, PartialEq)]
pub enum Item {
    /// An integrated circuit (`ic`) or a computer (`computer`).
    Processor {
        computer: bool,
        model: Option<&'static str>,
        tpp: Decimal,
        performance_density: Decimal,
        datacenter: bool,
        /// Total DRAM bandwidth (GB/s), optional: read by `2026-01-15`, not by `2025-01-13`.
        dram_bandwidth_gbps: Option<Decimal>,
    },
    Hbm {
        memory_bandwidth_density: Decimal,
    },
    ModelWeights {
        training_ops: Decimal,
        published: bool,
        /// `(base_training_ops, additional_training_ops)` when derived from a published model.
        derived: Option<(Decimal, Decimal)>,
        /// `None`: `foreign_produced` and `produced_with` left out (produced in the US).
        foreign_produced: Option<bool>,
        produced_with: Vec<&'static str>,
    },
}

impl Item {
    /// Produced outside the United States (an absent `foreign_produced` means produced in it).
    pub fn foreign_produced(&self) -> bool {
        matches!(
            self,
            Item::ModelWeights {
                foreign_produced: Some(true),
                ..
            }
        )
    }
}

/// `end_user.entity_list`: left out, `null`, or the review policy of the end user's entry.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EntityList {
    Absent,
    Null,
    Listed(Review),
}

impl EntityList {
    /// The entry's review policy, if the end user is listed.
    pub fn review(self) -> Option<Review> {
        match self {
            EntityList::Listed(review) => Some(review),
            EntityList::Absent | EntityList::Null => None,
        }
    }
}

/// One transaction of the contract.
#[derive(Clone, Debug, PartialEq)]
pub struct Transaction {
    pub id: String,
    pub date: Date,
    pub activity: Activity,
    pub item: Item,
    pub quantity: u32,
    pub destination: &'static str,
    pub hq: &'static str,
    pub parent_hq: &'static str,
    pub private_sector: bool,
    pub permanent_employee: bool,
    pub entity_list: EntityList,
    pub end_use: EndUse,
    pub consignee_tpp_this_year: Decimal,
    pub country_tpp_allocated: Decimal,
    /// `knowledge.*` and `diligence.*`: read by later versions, not by `2025-01-13`.
    pub flags: [bool; 6],
}

/// Countries from every group: A:5, A:6, D:1, D:4, D:5 (with Cambodia, which leaves it), E:1,
/// E:2, the AIA destinations, Macau, Hong Kong (China's groups), the United States and countries
/// in no group.
pub const COUNTRIES: [&str; 40] = [
    "IN", "PL", "TR", "AT", "GR", // A:5, not AIA
    "DE", "FR", "JP", "GB", "NL", "KR", "AU", "CA", // A:5 and AIA
    "TW", // A:6 and AIA
    "IL", "SG", "MX", "AL", // A:6
    "VN", "KZ", "MN", "AM", // D:1
    "KH", // D:1, and D:5 until 2025-11-06
    "AE", "SA", "EG", "PK", "QA", // D:4
    "CN", "HK", "MO", "RU", "IR", "CU", "VE", "KP", "SY", // D:5 (and Macau), E:1, E:2
    "US", "BR", "MY", // AIA (US), no group
];

/// The AIA destinations among [`COUNTRIES`] (the United States included), and the others: an end
/// user's headquarters and its ultimate parent's are often on either side of the line.
const IN_AIA: [&str; 10] = ["DE", "FR", "JP", "GB", "NL", "KR", "AU", "CA", "TW", "US"];
const OUTSIDE_AIA: [&str; 14] = [
    "IN", "PL", "AT", "IL", "SG", "VN", "KH", "AE", "SA", "CN", "HK", "MO", "RU", "BR",
];

const TPPS: [i64; 12] = [
    4800, 4799, 1600, 1599, 2400, 2399, 15832, 4992, 2368, 2896, 21000, 36000,
];
const DENSITIES: [i64; 10] = [592, 591, 160, 159, 320, 319, 1945, 604, 291, 367];
const HBM_DENSITIES: [i64; 6] = [200, 201, 329, 330, 300, 150];
/// Training operations in units of 10^21: 10^26 and one unit below it, and so on.
const OPS_E21: [i64; 6] = [100_000, 99_999, 200_000, 150_000, 105_000, 170_000];
const BASE_E21: [i64; 4] = [80_000, 120_000, 140_000, 100_000];
const ADDITIONAL_E21: [i64; 7] = [25_000, 25_001, 30_000, 30_001, 50_000, 10_000, 35_000];
const PLANTS: [&[&str]; 8] = [
    &[],
    &["3A090.a"],
    &["3A001.a"],
    &["4A090.a", "5A992.z"],
    &["5A992"],
    &["3A001.z"],
    &["4A004.z.1"],
    &["5A002", "4A003.z"],
];
const MODELS: [&str; 3] = ["NVIDIA H100 SXM", "Huawei Ascend 910B", "AMD MI210"];
/// Total DRAM bandwidth (GB/s): 91 FR 1684's 6,500 and one below it, and common figures.
const DRAM_BANDWIDTHS: [i64; 5] = [6500, 6499, 3350, 4800, 8000];

fn hundredths(value: i64) -> Decimal {
    Decimal::new(value, 2)
}

/// Training operations from units of 10^21.
pub fn ops(e21: i64) -> Decimal {
    Decimal::from_i128_with_scale(i128::from(e21) * 10_i128.pow(21), 0)
}

/// The generator: `count` transactions from `seed`.
pub fn transactions(seed: u64, count: usize) -> Vec<Transaction> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    (0..count)
        .map(|index| transaction(&mut rng, index))
        .collect()
}

fn pick<T: Copy>(rng: &mut ChaCha8Rng, values: &[T]) -> T {
    *values.choose(rng).unwrap_or(&values[0])
}

fn transaction(rng: &mut ChaCha8Rng, index: usize) -> Transaction {
    let boundary_dates = [
        date(2024, 4, 3),
        date(2024, 4, 4),
        date(2024, 12, 1),
        date(2024, 12, 2),
        date(2025, 1, 13),
        date(2025, 1, 15),
        date(2025, 1, 16),
        date(2025, 5, 12),
        date(2025, 5, 13),
        date(2025, 11, 6),
        date(2025, 11, 7),
        date(2026, 1, 14),
        date(2026, 1, 15),
        date(2027, 12, 31),
        date(2028, 1, 1),
    ];
    let date = if rng.random_bool(0.3) {
        pick(rng, &boundary_dates)
    } else {
        // 2023-11-17 onwards, six years.
        date(2023, 11, 17)
            .checked_add(jiff::Span::new().days(rng.random_range(0..2200)))
            .unwrap_or(date(2025, 6, 1))
    };
    let activity = match rng.random_range(0..20) {
        0..10 => Activity::Export,
        10..14 => Activity::Reexport,
        14..17 => Activity::Transfer,
        _ => Activity::DeemedExport,
    };
    let quantity = if rng.random_bool(0.4) {
        pick(rng, &[1_u32, 8, 10, 1000, 1699, 1700])
    } else {
        rng.random_range(1..5000)
    };
    let item = match rng.random_range(0..20) {
        0..12 => {
            let tpp = if rng.random_bool(0.5) {
                pick(rng, &TPPS)
            } else {
                rng.random_range(1000..40_000)
            };
            let density = if rng.random_bool(0.5) {
                pick(rng, &DENSITIES)
            } else {
                rng.random_range(50..2500)
            };
            Item::Processor {
                computer: rng.random_bool(0.35),
                model: rng.random_bool(0.5).then(|| pick(rng, &MODELS)),
                tpp: Decimal::from(tpp),
                performance_density: hundredths(density),
                datacenter: rng.random_bool(0.7),
                dram_bandwidth_gbps: rng
                    .random_bool(0.7)
                    .then(|| Decimal::from(pick(rng, &DRAM_BANDWIDTHS))),
            }
        }
        12..15 => Item::Hbm {
            memory_bandwidth_density: hundredths(if rng.random_bool(0.6) {
                pick(rng, &HBM_DENSITIES)
            } else {
                rng.random_range(100..500)
            }),
        },
        _ => {
            let derived = rng.random_bool(0.4).then(|| {
                (
                    ops(pick(rng, &BASE_E21)),
                    ops(if rng.random_bool(0.7) {
                        pick(rng, &ADDITIONAL_E21)
                    } else {
                        rng.random_range(1_000..80_000)
                    }),
                )
            });
            Item::ModelWeights {
                training_ops: ops(if rng.random_bool(0.6) {
                    pick(rng, &OPS_E21)
                } else {
                    rng.random_range(10_000..500_000)
                }),
                published: rng.random_bool(0.15),
                derived,
                foreign_produced: match rng.random_range(0..20) {
                    0..7 => Some(true),
                    7..13 => Some(false),
                    _ => None,
                },
                produced_with: pick(rng, &PLANTS).to_vec(),
            }
        }
    };
    // The United States more often than one in 40: requirements stop at its border.
    let destination = if rng.random_bool(0.06) {
        "US"
    } else {
        pick(rng, &COUNTRIES)
    };
    let hq = if rng.random_bool(0.6) {
        destination
    } else {
        pick(rng, &COUNTRIES)
    };
    let parent_hq = match rng.random_range(0..20) {
        0..13 => hq,
        13..16 => pick(rng, &COUNTRIES),
        // Headquarters and ultimate parent on either side of the AIA line.
        _ if IN_AIA.contains(&hq) => pick(rng, &OUTSIDE_AIA),
        _ => pick(rng, &IN_AIA),
    };
    let entity_list = match rng.random_range(0..10) {
        0..5 => EntityList::Absent,
        5..7 => EntityList::Null,
        7 => EntityList::Listed(Review::Denial),
        8 => EntityList::Listed(Review::CaseByCase),
        _ => EntityList::Listed(Review::Approval),
    };
    let total = match &item {
        Item::Processor { tpp, .. } => *tpp * Decimal::from(quantity),
        _ => Decimal::ZERO,
    };
    // The counters sit at their limits often enough to test `<=` exactly.
    let consignee_tpp_this_year = match rng.random_range(0..5) {
        0 => (Decimal::from(26_900_000) - total).max(Decimal::ZERO),
        1 => (Decimal::from(26_900_001) - total).max(Decimal::ZERO),
        2 => Decimal::ZERO,
        _ => Decimal::from(rng.random_range(0..30_000_000_i64)),
    };
    let country_tpp_allocated = match rng.random_range(0..5) {
        0 => (Decimal::from(790_000_000) - total).max(Decimal::ZERO),
        1 => (Decimal::from(790_000_001) - total).max(Decimal::ZERO),
        2 => Decimal::ZERO,
        _ => Decimal::from(rng.random_range(0..800_000_000_i64)),
    };
    Transaction {
        id: format!("T-{index:06}"),
        date,
        activity,
        item,
        quantity,
        destination,
        hq,
        parent_hq,
        private_sector: rng.random_bool(0.7),
        permanent_employee: rng.random_bool(0.3),
        entity_list,
        end_use: pick(
            rng,
            &[
                EndUse::Datacenter,
                EndUse::DevelopmentProduction,
                EndUse::AiTraining4e091,
                EndUse::Other,
            ],
        ),
        consignee_tpp_this_year,
        country_tpp_allocated,
        flags: std::array::from_fn(|_| rng.random_bool(0.2)),
    }
}

impl Activity {
    pub fn name(self) -> &'static str {
        match self {
            Activity::Export => "export",
            Activity::Reexport => "reexport",
            Activity::Transfer => "transfer",
            Activity::DeemedExport => "deemed_export",
        }
    }
}

impl EndUse {
    pub fn name(self) -> &'static str {
        match self {
            EndUse::Datacenter => "datacenter",
            EndUse::DevelopmentProduction => "development_production",
            EndUse::AiTraining4e091 => "ai_training_4e091",
            EndUse::Other => "other",
        }
    }
}

impl Item {
    pub fn kind(&self) -> &'static str {
        match self {
            Item::Processor {
                computer: false, ..
            } => "ic",
            Item::Processor { computer: true, .. } => "computer",
            Item::Hbm { .. } => "hbm",
            Item::ModelWeights { .. } => "model_weights",
        }
    }
}

/// A JSON number written from an exact decimal: `serde_json` keeps its text (arbitrary
/// precision), so `1e26` reaches each engine as the digits, and each engine reads them its way.
fn number(value: Decimal) -> serde_json::Value {
    let text = value.normalize().to_string();
    serde_json::from_str(&text).unwrap_or(serde_json::Value::Null)
}

impl Transaction {
    /// The transaction as the contract's JSON.
    pub fn to_json(&self) -> serde_json::Value {
        use serde_json::json;
        let item = match &self.item {
            Item::Processor {
                model,
                tpp,
                performance_density,
                datacenter,
                dram_bandwidth_gbps,
                ..
            } => {
                let mut item = json!({
                    "kind": self.item.kind(),
                    "tpp": number(*tpp),
                    "performance_density": number(*performance_density),
                    "datacenter": datacenter,
                });
                if let Some(object) = item.as_object_mut() {
                    if let Some(model) = model {
                        object.insert("model".to_string(), json!(model));
                    }
                    if let Some(bandwidth) = dram_bandwidth_gbps {
                        object.insert("dram_bandwidth_gbps".to_string(), number(*bandwidth));
                    }
                }
                item
            }
            Item::Hbm {
                memory_bandwidth_density,
            } => json!({
                "kind": "hbm",
                "memory_bandwidth_density": number(*memory_bandwidth_density),
            }),
            Item::ModelWeights {
                training_ops,
                published,
                derived,
                foreign_produced,
                produced_with,
            } => {
                let mut item = json!({
                    "kind": "model_weights",
                    "training_ops": number(*training_ops),
                    "published": published,
                    "derived_from_published": derived.is_some(),
                });
                if let Some(object) = item.as_object_mut() {
                    if let Some(foreign_produced) = foreign_produced {
                        object.insert("foreign_produced".to_string(), json!(foreign_produced));
                        object.insert("produced_with".to_string(), json!(produced_with));
                    }
                    if let Some((base, additional)) = derived {
                        object.insert("base_training_ops".to_string(), number(*base));
                        object.insert("additional_training_ops".to_string(), number(*additional));
                    }
                }
                item
            }
        };
        let [training, military, history, evasive, need, address] = self.flags;
        let mut end_user = json!({
            "hq": self.hq,
            "parent_hq": self.parent_hq,
            "private_sector": self.private_sector,
            "permanent_employee": self.permanent_employee,
        });
        if let Some(object) = end_user.as_object_mut() {
            match self.entity_list {
                EntityList::Absent => {}
                EntityList::Null => {
                    object.insert("entity_list".to_string(), serde_json::Value::Null);
                }
                EntityList::Listed(review) => {
                    object.insert("entity_list".to_string(), json!(review.name()));
                }
            }
        }
        json!({
            "id": self.id,
            "date": self.date.to_string(),
            "activity": self.activity.name(),
            "item": item,
            "quantity": self.quantity,
            "destination": self.destination,
            "end_user": end_user,
            "end_use": self.end_use.name(),
            "knowledge": { "training_for_d5_hq": training, "military_or_wmd": military },
            "counters": {
                "consignee_tpp_this_year": number(self.consignee_tpp_this_year),
                "country_tpp_allocated": number(self.country_tpp_allocated),
            },
            "diligence": {
                "no_purchase_history": history,
                "evasive_location_or_parent": evasive,
                "no_legitimate_need": need,
                "restricted_party_address": address,
            },
        })
    }
}
