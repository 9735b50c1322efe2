//! The cross-check on a smaller set than the report's: all engines agree with Cordon on 5,000
//! generated transactions, and those transactions reach every outcome of `2025-01-13`.

use peer_bench::generate::{self, Item};
use peer_bench::peer::{Case, Peer};
use peer_bench::{cedar, cordon, crosscheck};

#[test]
fn all_engines_agree_on_5000_transactions() {
    let policy = cordon::load().unwrap_or_else(|error| panic!("{error}"));
    let cases: Vec<Case> = generate::transactions(7, 5_000)
        .into_iter()
        .map(Case::new)
        .collect();
    let coverage =
        crosscheck::cross_check(&policy, &cases).unwrap_or_else(|error| panic!("{error}"));
    assert_eq!(coverage.transactions, 5_000);
    assert_eq!(
        coverage.missing(),
        Vec::<String>::new(),
        "{}",
        coverage.summary()
    );
}

#[test]
fn cedar_refuses_what_it_cannot_represent() {
    let mut transaction = generate::transactions(1, 1).remove(0);
    transaction.item = Item::ModelWeights {
        training_ops: rust_decimal::Decimal::from_i128_with_scale(10_i128.pow(26) - 1, 0),
        published: false,
        derived: None,
        foreign_produced: None,
        produced_with: Vec::new(),
    };
    let case = Case::new(transaction);
    let engine = cedar::Cedar::new().unwrap_or_else(|error| panic!("{error}"));
    let error = engine.prepare(&case).err().unwrap_or_default();
    assert!(error.contains("item.training_ops"), "{error}");
    let error = cedar::decimal(
        "item.performance_density",
        rust_decimal::Decimal::new(591_999, 5),
    )
    .err()
    .unwrap_or_default();
    assert!(error.contains("4 places"), "{error}");
}

#[test]
fn the_generator_is_deterministic() {
    assert_eq!(generate::transactions(3, 50), generate::transactions(3, 50));
    assert_ne!(generate::transactions(3, 50), generate::transactions(4, 50));
}
