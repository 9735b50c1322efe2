//! Evaluating a version over a region instead of one transaction: the rules run as the engine
//! runs them (same order, windows, `unless`, priority), and every question about the facts is
//! answered by the region or handed back as the atom to split the region on.

use std::collections::BTreeSet;

use rustc_hash::FxHashMap as HashMap;

use jiff::civil::Date;
use rust_decimal::Decimal;
use serde_json::Value as Json;

use cordon_lang::hir::{self, BinaryOp, Builtin, Expr, Field, FieldMode, Literal, Type};

use super::domain::{Atom, Cmp, Num, Region, shift};
use super::space::{Kind, Space, decided_by_interval, single_fact};
use crate::semantics;
use crate::value::eccn_within;

/// Why an evaluation stopped before the outcome was known.
#[derive(Clone, Debug)]
pub enum Stop {
    /// The region must be split on this atom first.
    Need(Atom),
    /// Something the analysis cannot split on, or an evaluation error.
    Fail(String),
}

type Eval<T> = Result<T, Stop>;

/// A value over a region: concrete, or standing for a fact the region has not pinned down.
#[derive(Clone, Debug)]
enum Val {
    Null,
    Bool(bool),
    Num(Num),
    Date(Date),
    /// The transaction's date, not yet one day.
    TransactionDate,
    Country(Option<String>, String),
    /// A text: a literal (`None`) or a fact, and whether it compares without regard to case.
    Text(Option<String>, String, bool),
    Eccn(String),
    /// An enum value, or a fact holding one.
    Enum(Option<String>, String),
    List(Vec<Val>),
    FactList(String),
}

/// What one conclusion of a rule gives: a member added to a set, or a value for a field.
enum Concluded {
    Member(String),
    Value(Val),
}

/// The outcome of one side: the contract's outcome fields and the rules that applied, or why
/// evaluation failed.
pub type Outcome = Result<(Vec<(String, Json)>, Vec<usize>), String>;

pub struct Run<'s, 'v> {
    space: &'s Space<'v>,
    side: usize,
    version: &'v hir::Version,
    region: &'s Region,
    variables: Vec<(String, Val)>,
    settled: Settled<'v>,
    /// The rules to run (those an outcome field depends on); all when `None`.
    only: Option<&'s BTreeSet<usize>>,
}

/// What a run has settled for every transaction of its region: the rules before `next` (which
/// applied, what they concluded) and the defines it evaluated. A region's answers only narrow as
/// it is split, so what is settled for a region is settled for each of its parts, and a run over
/// a part goes on from where the run over the whole stopped ([`Run::resume`]).
#[derive(Clone)]
pub struct Settled<'v> {
    /// The first rule not yet run.
    next: usize,
    /// Whether the region's facts were checked against the version's schema ([`Run::refused`]).
    admitted: bool,
    defines: HashMap<&'v str, Val>,
    applied: Vec<bool>,
    sets: HashMap<&'v str, BTreeSet<String>>,
    candidates: HashMap<&'v str, Vec<(usize, Val)>>,
}

impl<'s, 'v> Run<'s, 'v> {
    pub fn new(space: &'s Space<'v>, side: usize, region: &'s Region) -> Run<'s, 'v> {
        let rules = space.versions[side].rules.len();
        Run::resume(
            space,
            side,
            region,
            Settled {
                next: 0,
                admitted: false,
                defines: HashMap::default(),
                applied: vec![false; rules],
                sets: HashMap::default(),
                candidates: HashMap::default(),
            },
        )
    }

    /// A run over `region` that goes on from what a run over a region holding it settled.
    pub fn resume(
        space: &'s Space<'v>,
        side: usize,
        region: &'s Region,
        settled: Settled<'v>,
    ) -> Run<'s, 'v> {
        Run {
            space,
            side,
            version: space.versions[side],
            region,
            variables: Vec::new(),
            settled,
            only: None,
        }
    }

    /// Runs only these rules (the others neither apply nor are asked about).
    pub fn only(mut self, rules: &'s BTreeSet<usize>) -> Run<'s, 'v> {
        self.only = Some(rules);
        self
    }

    /// Where the region holds values the other version's schema allows and this one's refuses:
    /// the engine's refusal (as an error outcome), or the atom to split on first.
    fn refused(&self) -> Eval<Option<String>> {
        let id = &self.version.manifest.id;
        for path in &self.space.widened[self.side] {
            let Some(info) = self.space.facts.get(path) else {
                continue;
            };
            let own = self.space.own[self.side].get(path);
            let present = if info.mode == FieldMode::Optional {
                self.ask(Atom::Present(path.clone()))?
            } else {
                true
            };
            let Some(own) = own else {
                if present {
                    return Ok(Some(format!("`{path}`: version {id} has no such fact")));
                }
                continue;
            };
            if !present {
                if own.mode != FieldMode::Optional && !matches!(own.mode, FieldMode::Default(_)) {
                    return Ok(Some(format!(
                        "`{path}`: missing (version {id} requires it)"
                    )));
                }
                continue;
            }
            match (&info.kind, &own.kind) {
                (Kind::Enum(values), Kind::Enum(known)) => {
                    for value in values.iter().filter(|value| !known.contains(value)) {
                        if self.ask(Atom::EnumIs(path.clone(), value.clone()))? {
                            return Ok(Some(format!(
                                "`{path}`: version {id} has no value {value:?}"
                            )));
                        }
                    }
                }
                (kind, known) if kind != known => {
                    return Err(Stop::Fail(format!(
                        "`{path}` is of different kinds in the two versions"
                    )));
                }
                _ => {}
            }
            if let Some((least, included)) = own.minimum
                && own.minimum != info.minimum
            {
                let cmp = if included {
                    Cmp::Less
                } else {
                    Cmp::LessOrEqual
                };
                let below = Atom::Compare(cmp, Num::Fact(path.clone()), Num::Const(least));
                if self.ask(below)? {
                    return Ok(Some(format!(
                        "`{path}`: version {id} requires at least {least}"
                    )));
                }
            }
        }
        Ok(None)
    }

    /// Runs every rule; the outcome, or why the run stopped with what it settled before.
    pub fn outcome(mut self) -> Result<Outcome, (Stop, Box<Settled<'v>>)> {
        match self.run() {
            Ok(outcome) => Ok(outcome),
            Err(stop) => Err((stop, Box::new(self.settled))),
        }
    }

    fn run(&mut self) -> Result<Outcome, Stop> {
        if !self.settled.admitted {
            if let Some(refusal) = self.refused()? {
                return Ok(Err(refusal));
            }
            self.settled.admitted = true;
        }
        let version = self.version;
        for (index, rule) in version.rules.iter().enumerate().skip(self.settled.next) {
            self.settled.next = index;
            if self.only.is_some_and(|only| !only.contains(&index)) {
                continue;
            }
            let beaten = semantics::beaten(&rule.unless, |name| {
                self.space.rule_index[self.side]
                    .get(name)
                    .is_some_and(|other| self.settled.applied[*other])
            });
            if beaten {
                continue;
            }
            // The window and the condition together: a condition that fails settles the rule
            // whatever the date.
            let in_window = self.in_window(rule.window);
            if matches!(in_window, Ok(false)) {
                continue;
            }
            let holds = match &rule.when {
                Some(when) => self.condition(when),
                None => Ok(true),
            };
            let holds = match (in_window, holds) {
                (_, Ok(false)) => false,
                (Ok(true), Ok(true)) => true,
                (_, Err(Stop::Fail(message))) | (Err(Stop::Fail(message)), _) => {
                    return Ok(Err(format!("rule `{}`: {message}", rule.name)));
                }
                // What the condition needs first: if it then fails, the date never matters.
                (_, Err(need)) | (Err(need), _) => return Err(need),
                (Ok(false), _) => false,
            };
            if !holds {
                continue;
            }
            // Every value first: a run that stops on one has settled nothing of the rule.
            let mut concluded = Vec::with_capacity(rule.then.len());
            for conclusion in &rule.then {
                concluded.push(if conclusion.add {
                    match cordon_lang::check::literal_of(&conclusion.value) {
                        Some(literal) => Concluded::Member(literal_key(&literal)),
                        None => {
                            return Ok(Err(format!("rule `{}` adds a computed value", rule.name)));
                        }
                    }
                } else {
                    Concluded::Value(self.eval(&conclusion.value)?)
                });
            }
            self.settled.applied[index] = true;
            for (conclusion, concluded) in rule.then.iter().zip(concluded) {
                let field = conclusion.field.as_str();
                match concluded {
                    Concluded::Member(member) => {
                        self.settled.sets.entry(field).or_default().insert(member);
                    }
                    Concluded::Value(value) => self
                        .settled
                        .candidates
                        .entry(field)
                        .or_default()
                        .push((index, value)),
                }
            }
        }
        self.settled.next = version.rules.len();
        let mut outcome = Vec::new();
        for field in &version.outcome.fields {
            let value = if matches!(field.ty, Type::Set(_) | Type::List(_)) {
                let members = self.settled.sets.get(field.name.as_str());
                Json::Array(
                    members
                        .into_iter()
                        .flatten()
                        .cloned()
                        .map(Json::String)
                        .collect(),
                )
            } else {
                let candidates = self.settled.candidates.get(field.name.as_str());
                let json: Vec<(usize, Json)> = candidates
                    .into_iter()
                    .flatten()
                    .map(|(rule, value)| Ok((*rule, concrete_json(value)?)))
                    .collect::<Eval<_>>()?;
                if let Some(message) = self.conflict(&json, field) {
                    return Ok(Err(message));
                }
                match self.resolve(&json, field) {
                    Some(value) => value,
                    None => match &field.mode {
                        FieldMode::Default(literal) => crate::json::literal_json(literal),
                        _ => Json::Null,
                    },
                }
            };
            outcome.push((field.name.clone(), value));
        }
        let applied = self
            .settled
            .applied
            .iter()
            .enumerate()
            .filter(|(_, applied)| **applied)
            .map(|(index, _)| index)
            .collect();
        Ok(Ok((outcome, applied)))
    }

    /// The values rules concluded for an outcome, as [`semantics`] resolves them: in rule order,
    /// ranked by the outcome's order when it takes the most restrictive value.
    fn candidates<'j>(
        &self,
        concluded: &'j [(usize, Json)],
        field: &Field,
    ) -> Vec<semantics::Candidate<Ranked<'j>>> {
        let order = self.version.restrictiveness(field);
        let prevails = &self.space.prevails[self.side];
        let mut candidates = Vec::with_capacity(concluded.len());
        for (rule, json) in concluded {
            let rank = order.and_then(|order| {
                order
                    .variants
                    .iter()
                    .position(|variant| json.as_str() == Some(variant.as_str()))
            });
            semantics::push_candidate(
                &mut candidates,
                rule_number(*rule),
                Ranked { json, rank },
                |a, b| {
                    prevails
                        .get(usize::from(a))
                        .is_some_and(|over| over.contains(&usize::from(b)))
                },
            );
        }
        candidates
    }

    /// The value that decides the outcome (see [`semantics::resolve`]).
    fn resolve(&self, concluded: &[(usize, Json)], field: &Field) -> Option<Json> {
        let most_restrictive = self.version.restrictiveness(field).is_some();
        semantics::resolve(&self.candidates(concluded, field), most_restrictive)
            .map(|chosen| chosen.value.json.clone())
    }

    /// The rules that disagree with neither prevailing (see [`semantics::conflict`]).
    fn conflict(&self, concluded: &[(usize, Json)], field: &Field) -> Option<String> {
        let most_restrictive = self.version.restrictiveness(field).is_some();
        let (chosen, other) =
            semantics::conflict(&self.candidates(concluded, field), most_restrictive)?;
        let name = |index: u16| self.version.rules[usize::from(index)].name.clone();
        Some(format!(
            "rules `{}` and `{}` conclude different values for `{}` and neither prevails",
            name(chosen),
            name(other),
            field.name
        ))
    }

    pub fn condition(&mut self, expr: &'v Expr) -> Eval<bool> {
        match expr {
            // Either side false makes `and` false whatever the other needs (and `or` alike): the
            // region is split only on what the answer depends on.
            Expr::Binary(op @ (BinaryOp::And | BinaryOp::Or), left, right) => {
                let short = *op == BinaryOp::Or;
                match self.condition(left) {
                    Ok(value) if value == short => Ok(short),
                    Ok(_) => self.condition(right),
                    Err(Stop::Need(atom)) => match self.condition(right) {
                        Ok(value) if value == short => Ok(short),
                        Err(Stop::Fail(message)) => Err(Stop::Fail(message)),
                        _ => Err(Stop::Need(atom)),
                    },
                    Err(fail) => Err(fail),
                }
            }
            Expr::Not(inner) => Ok(!self.condition(inner)?),
            _ => match self.eval(expr)? {
                Val::Bool(value) => Ok(value),
                Val::Null => Ok(false),
                other => Err(Stop::Fail(format!("{other:?} is not a condition"))),
            },
        }
    }

    fn eval(&mut self, expr: &'v Expr) -> Eval<Val> {
        Ok(match expr {
            Expr::Literal(literal) => self.literal(literal),
            Expr::Fact(path) => self.fact(&path.join("."))?,
            Expr::TransactionDate => self.fact("date")?,
            Expr::Outcome(name) => self.outcome_value(name),
            Expr::Const(name) => match self.version.consts.get(name) {
                Some(constant) => self.eval(&constant.value)?,
                None => Val::Null,
            },
            Expr::Table(name) => {
                let Some(table) = self.version.tables.get(name) else {
                    return Ok(Val::Null);
                };
                for (from, value) in table.rows.iter().rev() {
                    if !self.date_before(*from)? {
                        return self.eval(value);
                    }
                }
                Val::Null
            }
            Expr::Define(name) => {
                if let Some(value) = self.settled.defines.get(name.as_str()) {
                    return Ok(value.clone());
                }
                let Some(define) = self.version.defines.get(name) else {
                    return Ok(Val::Null);
                };
                let value = self.eval(&define.value)?;
                self.settled
                    .defines
                    .insert(define.name.as_str(), value.clone());
                value
            }
            Expr::Group(name) => return Err(Stop::Fail(format!("group `{name}` used as a value"))),
            Expr::Variable(name) => self
                .variables
                .iter()
                .rev()
                .find(|(variable, _)| variable == name)
                .map_or(Val::Null, |(_, value)| value.clone()),
            Expr::Binary(BinaryOp::And | BinaryOp::Or, ..) | Expr::Not(_) => {
                Val::Bool(self.condition(expr)?)
            }
            Expr::Binary(op, left, right) => self.binary(*op, left, right)?,
            Expr::Negate(inner) => match self.eval(inner)? {
                Val::Num(Num::Const(value)) => Val::Num(Num::Const(-value)),
                Val::Num(num) => Val::Num(Num::Negate(Box::new(num))),
                other => other,
            },
            Expr::Call(builtin, arguments) => self.call(*builtin, arguments)?,
            Expr::List(items) | Expr::Set(items) => Val::List(
                items
                    .iter()
                    .map(|item| self.eval(item))
                    .collect::<Eval<_>>()?,
            ),
            Expr::Quantifier {
                all,
                variable,
                over,
                body,
            } => {
                if let Expr::Fact(path) = &**over {
                    let fact = path.join(".");
                    let pred = self
                        .space
                        .list_predicate_at
                        .get(&(std::ptr::from_ref(expr) as usize))
                        .copied();
                    let Some(pred) = pred else {
                        return Err(Stop::Fail(format!(
                            "a quantifier over `{fact}` was not found"
                        )));
                    };
                    return Ok(Val::Bool(self.ask(Atom::List { fact, pred })?));
                }
                let items = match self.eval(over)? {
                    Val::List(items) => items,
                    Val::Null => Vec::new(),
                    other => return Err(Stop::Fail(format!("cannot go through {other:?}"))),
                };
                let mut pending = None;
                for item in items {
                    self.variables.push((variable.clone(), item));
                    let holds = self.condition(body);
                    self.variables.pop();
                    match holds {
                        Ok(holds) if holds != *all => return Ok(Val::Bool(holds)),
                        Ok(_) => {}
                        Err(Stop::Need(atom)) => {
                            pending.get_or_insert(atom);
                        }
                        Err(fail) => return Err(fail),
                    }
                }
                match pending {
                    Some(atom) => return Err(Stop::Need(atom)),
                    None => Val::Bool(*all),
                }
            }
        })
    }

    /// Checks whether each element of `elements` satisfies list predicate `pred` (`any`/`all`).
    pub fn list_holds(
        &mut self,
        body: &'v hir::Expr,
        variable: &str,
        all: bool,
        elements: &[String],
    ) -> Eval<bool> {
        for element in elements {
            self.variables
                .push((variable.to_string(), Val::Eccn(element.clone())));
            let holds = self.condition(body);
            self.variables.pop();
            let holds = holds?;
            if holds != all {
                return Ok(holds);
            }
        }
        Ok(all)
    }

    fn literal(&self, literal: &Literal) -> Val {
        match literal {
            Literal::Bool(value) => Val::Bool(*value),
            Literal::Number(value) => Val::Num(Num::Const(*value)),
            Literal::Date(date) => Val::Date(*date),
            Literal::Country(code) => {
                Val::Country(None, self.space.literal_country(self.side, code))
            }
            Literal::String(text) => Val::Text(None, text.clone(), false),
            Literal::Eccn(eccn) => Val::Eccn(eccn.clone()),
            Literal::Enum(_, value) => Val::Enum(None, value.clone()),
            Literal::Set(items) | Literal::List(items) => {
                Val::List(items.iter().map(|item| self.literal(item)).collect())
            }
            Literal::Null => Val::Null,
        }
    }

    fn fact(&mut self, path: &str) -> Eval<Val> {
        let Some(info) = self.space.facts.get(path) else {
            return Err(Stop::Fail(format!(
                "`{path}` is not a fact of both versions"
            )));
        };
        if info.mode == FieldMode::Optional && !self.ask(Atom::Present(path.to_string()))? {
            return Ok(Val::Null);
        }
        Ok(match &info.kind {
            Kind::Bool => Val::Bool(self.ask(Atom::Bool(path.to_string()))?),
            Kind::Number { .. } => {
                let interval = self.space.interval(self.region, path);
                match (interval.low, interval.high) {
                    (Some((low, true)), Some((high, true))) if low == high => {
                        Val::Num(Num::Const(low))
                    }
                    _ => Val::Num(Num::Fact(path.to_string())),
                }
            }
            Kind::Date if path == "date" => {
                let (low, high) = self.region.dates;
                if low == high {
                    Val::Date(low)
                } else {
                    Val::TransactionDate
                }
            }
            Kind::Country => Val::Country(Some(path.to_string()), String::new()),
            Kind::Text => Val::Text(Some(path.to_string()), String::new(), false),
            Kind::Enum(_) => {
                let values = self.space.enum_values(self.region, path);
                match values.iter().next() {
                    Some(value) if values.len() == 1 => Val::Enum(None, value.clone()),
                    _ => Val::Enum(Some(path.to_string()), String::new()),
                }
            }
            Kind::EccnList => Val::FactList(path.to_string()),
            Kind::Date | Kind::Eccn | Kind::Other(_) => {
                return Err(Stop::Fail(format!(
                    "the analysis does not split on `{path}` ({:?})",
                    info.kind
                )));
            }
        })
    }

    fn outcome_value(&self, name: &str) -> Val {
        if let Some(members) = self.settled.sets.get(name) {
            return Val::List(
                members
                    .iter()
                    .map(|member| Val::Eccn(member.clone()))
                    .collect(),
            );
        }
        let Some(field) = self.version.outcome.field(name) else {
            return Val::Null;
        };
        if matches!(field.ty, Type::Set(_) | Type::List(_)) {
            return Val::List(Vec::new());
        }
        let candidates = self
            .settled
            .candidates
            .get(name)
            .map_or(&[][..], Vec::as_slice);
        let json: Vec<(usize, Json)> = candidates
            .iter()
            .filter_map(|(rule, value)| Some((*rule, concrete_json(value).ok()?)))
            .collect();
        match self.resolve(&json, field) {
            Some(value) => candidates
                .iter()
                .find(|(_, candidate)| concrete_json(candidate).ok().as_ref() == Some(&value))
                .map_or(Val::Null, |(_, value)| value.clone()),
            None => match &field.mode {
                FieldMode::Default(literal) => self.literal(literal),
                _ => Val::Null,
            },
        }
    }

    /// The region's answer to an atom, or the atom to split on.
    pub fn ask(&self, atom: Atom) -> Eval<bool> {
        let answer = match &atom {
            Atom::DateBefore(date) => {
                let (low, high) = self.region.dates;
                if high < *date {
                    Some(true)
                } else if low >= *date {
                    Some(false)
                } else {
                    None
                }
            }
            Atom::Bool(fact) => self.region.bools.get(fact).copied(),
            Atom::Present(fact) => self.region.present.get(fact).copied(),
            Atom::EnumIs(fact, value) => {
                let values = self.space.enum_values(self.region, fact);
                if !values.contains(value) {
                    Some(false)
                } else if values.len() == 1 {
                    Some(true)
                } else {
                    None
                }
            }
            Atom::InGroup { fact, side, group } => {
                let segment = self
                    .space
                    .segment(self.region)
                    .map_err(|b| Stop::Need(Atom::DateBefore(b)))?;
                let members = self.space.group(*side, group, segment);
                self.country_answer(fact, &members)
            }
            Atom::CountryIs(fact, code) => {
                let segment = self
                    .space
                    .segment(self.region)
                    .map_err(|b| Stop::Need(Atom::DateBefore(b)))?;
                let members = self.space.counting_as(code, segment);
                self.country_answer(fact, &members)
            }
            Atom::Compare(cmp, left, right) => match single_fact(left, right) {
                Some((fact, constant, fact_left)) => decided_by_interval(
                    &self.space.interval(self.region, &fact),
                    *cmp,
                    constant,
                    fact_left,
                ),
                None => self
                    .region
                    .answer(&atom)
                    .or_else(|| self.by_ranges(*cmp, left, right)),
            },
            Atom::Text { .. } | Atom::List { .. } | Atom::Contains { .. } => {
                self.region.answer(&atom).or_else(|| {
                    let can_hold = self.space.assume(self.region, &atom, true).is_some();
                    let can_fail = self.space.assume(self.region, &atom, false).is_some();
                    match (can_hold, can_fail) {
                        (true, false) => Some(true),
                        (false, true) => Some(false),
                        _ => None,
                    }
                })
            }
        };
        answer.ok_or(Stop::Need(atom))
    }

    fn country_answer(&self, fact: &str, members: &crate::value::CountrySet) -> Option<bool> {
        let domain = self.space.countries_of(self.region, fact);
        if domain.difference(members).is_empty() {
            Some(true)
        } else if domain.intersection(members).is_empty() {
            Some(false)
        } else {
            None
        }
    }

    /// A comparison of several facts decided by the ranges of the facts alone, when they suffice.
    fn by_ranges(&self, cmp: Cmp, left: &Num, right: &Num) -> Option<bool> {
        let difference = Num::Subtract(Box::new(left.clone()), Box::new(right.clone()));
        let (low, high) = super::witness::range(self.space, self.region, &difference);
        let zero = Decimal::ZERO;
        match cmp {
            Cmp::Less if high.is_some_and(|h| h < zero) => Some(true),
            Cmp::Less if low.is_some_and(|l| l >= zero) => Some(false),
            Cmp::LessOrEqual if high.is_some_and(|h| h <= zero) => Some(true),
            Cmp::LessOrEqual if low.is_some_and(|l| l > zero) => Some(false),
            Cmp::Equal if low.is_some_and(|l| l > zero) || high.is_some_and(|h| h < zero) => {
                Some(false)
            }
            _ => None,
        }
    }

    /// A window over a region: each question about the date is an atom to split on.
    fn in_window(&self, window: (Option<Date>, Option<Date>)) -> Eval<bool> {
        semantics::in_window(window, |test| match test {
            semantics::DateTest::Before(day) => self.date_before(day),
            // After `day`: not before the day after it.
            semantics::DateTest::After(day) => {
                self.date_before(shift(day, 1)).map(|before| !before)
            }
        })
    }

    fn date_before(&self, date: Date) -> Eval<bool> {
        self.ask(Atom::DateBefore(date))
    }

    fn binary(&mut self, op: BinaryOp, left: &'v Expr, right: &'v Expr) -> Eval<Val> {
        Ok(match op {
            BinaryOp::In | BinaryOp::NotIn => {
                let inside = self.membership(left, right)?;
                Val::Bool(inside == (op == BinaryOp::In))
            }
            BinaryOp::Within => {
                let Val::Eccn(eccn) = self.eval(left)? else {
                    return Err(Stop::Fail("`within` of an ECCN fact".to_string()));
                };
                let headings = match self.eval(right)? {
                    Val::List(items) => items,
                    single => vec![single],
                };
                Val::Bool(
                    headings
                        .iter()
                        .any(|heading| matches!(heading, Val::Eccn(h) if eccn_within(&eccn, h))),
                )
            }
            BinaryOp::Equal | BinaryOp::NotEqual => {
                let left = self.eval(left)?;
                let right = self.eval(right)?;
                Val::Bool(self.equals(&left, &right)? == (op == BinaryOp::Equal))
            }
            BinaryOp::Less
            | BinaryOp::LessOrEqual
            | BinaryOp::Greater
            | BinaryOp::GreaterOrEqual => {
                let left = self.eval(left)?;
                let right = self.eval(right)?;
                let (cmp, left, right) = match op {
                    BinaryOp::Less => (Cmp::Less, left, right),
                    BinaryOp::LessOrEqual => (Cmp::LessOrEqual, left, right),
                    BinaryOp::Greater => (Cmp::Less, right, left),
                    _ => (Cmp::LessOrEqual, right, left),
                };
                Val::Bool(self.order(cmp, left, right)?)
            }
            BinaryOp::Add | BinaryOp::Subtract | BinaryOp::Multiply | BinaryOp::Divide => {
                let (Val::Num(a), Val::Num(b)) = (self.eval(left)?, self.eval(right)?) else {
                    return Ok(Val::Null);
                };
                if let (Num::Const(x), Num::Const(y)) = (&a, &b) {
                    let result = match op {
                        BinaryOp::Add => x.checked_add(*y),
                        BinaryOp::Subtract => x.checked_sub(*y),
                        BinaryOp::Multiply => x.checked_mul(*y),
                        _ => x.checked_div(*y),
                    };
                    return result
                        .map(|value| Val::Num(Num::Const(value)))
                        .ok_or_else(|| {
                            Stop::Fail(format!("{x} {} {y} has no exact value", op.as_str()))
                        });
                }
                let (a, b) = (Box::new(a), Box::new(b));
                Val::Num(match op {
                    BinaryOp::Add => Num::Add(a, b),
                    BinaryOp::Subtract => Num::Subtract(a, b),
                    BinaryOp::Multiply => Num::Multiply(a, b),
                    _ => Num::Divide(a, b),
                })
            }
            BinaryOp::And | BinaryOp::Or => {
                return Err(Stop::Fail("a connective outside a condition".to_string()));
            }
        })
    }

    fn order(&mut self, cmp: Cmp, left: Val, right: Val) -> Eval<bool> {
        match (left, right) {
            (Val::Num(Num::Const(a)), Val::Num(Num::Const(b))) => Ok(match cmp {
                Cmp::Less => a < b,
                Cmp::LessOrEqual => a <= b,
                Cmp::Equal => a == b,
            }),
            (Val::Num(a), Val::Num(b)) => self.ask(Atom::Compare(cmp, a, b)),
            (Val::Date(a), Val::Date(b)) => Ok(match cmp {
                Cmp::Less => a < b,
                Cmp::LessOrEqual => a <= b,
                Cmp::Equal => a == b,
            }),
            // date < d, date <= d; d < date, d <= date.
            (Val::TransactionDate, Val::Date(d)) => match cmp {
                Cmp::Less => self.date_before(d),
                Cmp::LessOrEqual => self.date_before(shift(d, 1)),
                Cmp::Equal => Ok(!self.date_before(d)? && self.date_before(shift(d, 1))?),
            },
            (Val::Date(d), Val::TransactionDate) => match cmp {
                Cmp::Less => Ok(!self.date_before(shift(d, 1))?),
                Cmp::LessOrEqual => Ok(!self.date_before(d)?),
                Cmp::Equal => Ok(!self.date_before(d)? && self.date_before(shift(d, 1))?),
            },
            (Val::TransactionDate, Val::TransactionDate) => Ok(cmp != Cmp::Less),
            (Val::Text(None, a, a_any), Val::Text(None, b, b_any)) if cmp != Cmp::Equal => {
                let (a, b) = if a_any || b_any {
                    (a.to_lowercase(), b.to_lowercase())
                } else {
                    (a, b)
                };
                Ok(if cmp == Cmp::Less { a < b } else { a <= b })
            }
            (Val::Null, Val::Null) => Ok(cmp != Cmp::Less),
            (Val::Null, _) | (_, Val::Null) => Ok(false),
            (left, right) => Err(Stop::Fail(format!("cannot order {left:?} and {right:?}"))),
        }
    }

    fn equals(&mut self, left: &Val, right: &Val) -> Eval<bool> {
        Ok(match (left, right) {
            (Val::Null, Val::Null) => true,
            (Val::Null, _) | (_, Val::Null) => false,
            (Val::Bool(a), Val::Bool(b)) => a == b,
            (Val::Num(_) | Val::Date(_) | Val::TransactionDate, _) => {
                self.order(Cmp::Equal, left.clone(), right.clone())?
            }
            (Val::Eccn(a), Val::Eccn(b)) => a == b,
            (Val::Enum(None, a), Val::Enum(None, b)) => a == b,
            (Val::Enum(Some(fact), _), Val::Enum(None, value))
            | (Val::Enum(None, value), Val::Enum(Some(fact), _)) => {
                self.ask(Atom::EnumIs(fact.clone(), value.clone()))?
            }
            (Val::Country(None, a), Val::Country(None, b)) => a == b,
            (Val::Country(Some(fact), _), Val::Country(None, code))
            | (Val::Country(None, code), Val::Country(Some(fact), _)) => {
                self.ask(Atom::CountryIs(fact.clone(), code.clone()))?
            }
            (Val::Text(None, a, a_any), Val::Text(None, b, b_any)) => {
                if *a_any || *b_any {
                    a.to_lowercase() == b.to_lowercase()
                } else {
                    a == b
                }
            }
            (Val::Text(Some(fact), _, fact_any), Val::Text(None, text, text_any))
            | (Val::Text(None, text, text_any), Val::Text(Some(fact), _, fact_any)) => {
                let any_case = *fact_any || *text_any;
                let text = if any_case {
                    text.to_lowercase()
                } else {
                    text.clone()
                };
                self.ask(Atom::Text {
                    fact: fact.clone(),
                    text,
                    any_case,
                })?
            }
            (left, right) => {
                return Err(Stop::Fail(format!(
                    "cannot compare {left:?} with {right:?}"
                )));
            }
        })
    }

    fn membership(&mut self, left: &'v Expr, right: &'v Expr) -> Eval<bool> {
        if let Expr::Group(group) = right {
            return match self.eval(left)? {
                Val::Country(Some(fact), _) => self.ask(Atom::InGroup {
                    fact,
                    side: self.side,
                    group: group.clone(),
                }),
                Val::Country(None, code) => {
                    let segment = self
                        .space
                        .segment(self.region)
                        .map_err(|b| Stop::Need(Atom::DateBefore(b)))?;
                    let members = self.space.group(self.side, group, segment);
                    Ok(crate::value::country_index(&code)
                        .is_some_and(|index| members.contains(index)))
                }
                _ => Ok(false),
            };
        }
        let value = self.eval(left)?;
        match self.eval(right)? {
            Val::FactList(fact) => match value {
                Val::Eccn(element) => self.ask(Atom::Contains { fact, element }),
                other => Err(Stop::Fail(format!("membership of {other:?} in `{fact}`"))),
            },
            Val::List(items) => {
                let mut pending = None;
                for item in &items {
                    match self.equals(&value, item) {
                        Ok(true) => return Ok(true),
                        Ok(false) => {}
                        Err(Stop::Need(atom)) => {
                            pending.get_or_insert(atom);
                        }
                        Err(fail) => return Err(fail),
                    }
                }
                pending.map_or(Ok(false), |atom| Err(Stop::Need(atom)))
            }
            Val::Null => Ok(false),
            other => Err(Stop::Fail(format!("membership in {other:?}"))),
        }
    }

    fn call(&mut self, builtin: Builtin, arguments: &'v [Expr]) -> Eval<Val> {
        Ok(match (builtin, arguments) {
            (Builtin::Max | Builtin::Min, [a, b]) => match (self.eval(a)?, self.eval(b)?) {
                (Val::Num(Num::Const(x)), Val::Num(Num::Const(y))) => {
                    Val::Num(Num::Const(if builtin == Builtin::Max {
                        x.max(y)
                    } else {
                        x.min(y)
                    }))
                }
                (Val::Num(x), Val::Num(y)) => Val::Num(if builtin == Builtin::Max {
                    Num::Max(Box::new(x), Box::new(y))
                } else {
                    Num::Min(Box::new(x), Box::new(y))
                }),
                (Val::Date(x), Val::Date(y)) => Val::Date(if builtin == Builtin::Max {
                    x.max(y)
                } else {
                    x.min(y)
                }),
                (x, y) => return Err(Stop::Fail(format!("max/min of {x:?} and {y:?}"))),
            },
            (Builtin::Lowercase, [inner]) => match self.eval(inner)? {
                Val::Text(fact, text, _) => Val::Text(fact, text.to_lowercase(), true),
                other => other,
            },
            (Builtin::Present, [Expr::Fact(path)]) => {
                let path = path.join(".");
                match self.space.facts.get(&path).map(|info| &info.mode) {
                    Some(FieldMode::Optional) => Val::Bool(self.ask(Atom::Present(path))?),
                    _ => Val::Bool(true),
                }
            }
            (builtin, arguments) => {
                return Err(Stop::Fail(format!(
                    "{builtin:?} with {} arguments",
                    arguments.len()
                )));
            }
        })
    }
}

/// A concluded value as the symbolic run holds it: its JSON, and its place in the outcome's
/// order when the outcome takes the most restrictive value.
#[derive(Clone, Copy)]
struct Ranked<'j> {
    json: &'j Json,
    rank: Option<usize>,
}

impl semantics::Concluded for Ranked<'_> {
    fn same(self, other: Self) -> bool {
        self.json == other.json
    }

    fn greater(self, other: Self) -> bool {
        matches!((self.rank, other.rank), (Some(a), Some(b)) if a > b)
    }
}

/// A rule's index as the engine numbers rules (a version has fewer than 65,536).
fn rule_number(index: usize) -> u16 {
    u16::try_from(index).unwrap_or(u16::MAX)
}

/// A set member as the decision writes it: the ECCN or the enum value.
fn literal_key(literal: &Literal) -> String {
    match crate::json::literal_json(literal) {
        Json::String(text) => text,
        other => other.to_string(),
    }
}

fn concrete_json(value: &Val) -> Eval<Json> {
    Ok(match value {
        Val::Null => Json::Null,
        Val::Bool(value) => Json::Bool(*value),
        Val::Num(Num::Const(value)) => {
            serde_json::from_str(&value.normalize().to_string()).unwrap_or(Json::Null)
        }
        Val::Date(date) => Json::String(date.to_string()),
        Val::Country(None, code)
        | Val::Text(None, code, _)
        | Val::Eccn(code)
        | Val::Enum(None, code) => Json::String(code.clone()),
        Val::List(items) => Json::Array(items.iter().map(concrete_json).collect::<Eval<_>>()?),
        other => {
            return Err(Stop::Fail(format!(
                "an outcome takes the value of a fact ({other:?})"
            )));
        }
    })
}
