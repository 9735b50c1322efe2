//! The interface every engine implements: convert a transaction into the engine's own input
//! form once (not timed), then decide it (timed) into the common [`Outcome`].

use crate::generate::Transaction;
use crate::outcome::Outcome;

/// One generated transaction with its contract JSON (what Cordon and regorus read).
pub struct Case {
    pub transaction: Transaction,
    pub json: serde_json::Value,
}

impl Case {
    pub fn new(transaction: Transaction) -> Case {
        let json = transaction.to_json();
        Case { transaction, json }
    }
}

/// An engine deciding the `2025-01-13` EAR decision. `'a` is the lifetime of the loaded policy
/// and of the cases, which inputs may borrow from.
pub trait Peer<'a> {
    /// The engine's native form of one transaction, made before timing starts.
    type Input;

    /// The engine's name in reports.
    fn name(&self) -> &'static str;

    /// Converts one transaction into the engine's input form (not timed).
    fn prepare(&self, case: &'a Case) -> Result<Self::Input, String>;

    /// Decides one prepared transaction (timed).
    fn decide(&mut self, input: &Self::Input) -> Result<Outcome, String>;
}
