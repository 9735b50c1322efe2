//! Compile once: takes a checked version (`hir::Version`), gives the flat, position-free
//! [`Program`] that evaluation runs.
//!
//! Three steps, each over what the one before gave:
//! 1. here, the declarations are lowered: facts become numbered slots, groups country bitsets for
//!    each stretch of time between membership changes, enum values and outcome set members small
//!    indexes, expressions trees over those indexes ([`Ir`]); definitions of lists are inlined and
//!    rules keep their dependency order;
//! 2. `branch` lowers each condition to branch code, collecting the questions about one fact into
//!    the program's table;
//! 3. `questions` lays that table out by fact and works out the answers of facts that take few
//!    values.
//!
//! Nothing here reads facts or runs salsa.

use std::collections::{BTreeMap, BTreeSet};

use jiff::civil::Date;

use cordon_lang::hir::{self, BinaryOp, Builtin, Confidence, FieldMode, Literal, Type};

use crate::program::{
    Code, CompiledConclusion, CompiledDefine, CompiledRule, CompiledTable, Conjunct, Ir,
    OutcomeField, OutcomeKind, Program, Questions, RuleSet, SchemaNode, Slot, SlotType,
};
use crate::value::{CountrySet, Value, country_index};

mod branch;
mod questions;

#[derive(Debug)]
pub struct CompileError(pub String);

impl std::fmt::Display for CompileError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

fn too_long(name: &str) -> CompileError {
    CompileError(format!(
        "the condition of `{name}` is too long to compile (more than 65,533 tests, or more than \
         65,535 distinct questions about facts in the version)"
    ))
}

fn index16(value: usize, what: &str) -> Result<u16, CompileError> {
    u16::try_from(value).map_err(|_| CompileError(format!("too many {what} (at most 65,535)")))
}

struct Compiler<'v> {
    version: &'v hir::Version,
    program: Program,
    slot_by_path: BTreeMap<Vec<String>, u16>,
    define_index: BTreeMap<String, u16>,
    table_index: BTreeMap<String, u16>,
    group_index: BTreeMap<String, u16>,
    outcome_index: BTreeMap<String, u16>,
    enum_index: BTreeMap<String, u16>,
    variables: Vec<String>,
}

pub fn compile(version: &hir::Version) -> Result<Program, CompileError> {
    let mut compiler = Compiler {
        version,
        program: Program {
            slots: Vec::new(),
            schema: SchemaNode::Record(Vec::new()),
            date_slot: 0,
            id_slot: None,
            enums: version.enums.values().cloned().collect(),
            strings: Vec::new(),
            outcome: Vec::new(),
            initial: Vec::new(),
            defines: Vec::new(),
            tables: Vec::new(),
            segment_starts: version.membership_change_dates().into_iter().collect(),
            groups: Vec::new(),
            aliases: Vec::new(),
            rules: Vec::new(),
            rule_index: BTreeMap::new(),
            questions: Questions::default(),
        },
        slot_by_path: BTreeMap::new(),
        define_index: BTreeMap::new(),
        table_index: BTreeMap::new(),
        group_index: BTreeMap::new(),
        outcome_index: BTreeMap::new(),
        enum_index: version
            .enums
            .keys()
            .enumerate()
            .map(|(i, name)| (name.clone(), i as u16))
            .collect(),
        variables: Vec::new(),
    };
    compiler.program.schema = compiler.schema(&version.facts, &[], 0)?;
    compiler.program.date_slot = *compiler
        .slot_by_path
        .get(&vec!["date".to_string()])
        .ok_or_else(|| CompileError("the facts have no `date`".to_string()))?;
    compiler.program.id_slot = compiler.slot_by_path.get(&vec!["id".to_string()]).copied();
    compiler.groups();
    compiler.aliases();
    compiler.outcome()?;
    compiler.program.initial = compiler
        .program
        .outcome
        .iter()
        .map(|outcome| outcome.kind.initial())
        .collect();
    for (index, name) in version.defines.keys().enumerate() {
        compiler
            .define_index
            .insert(name.clone(), index16(index, "definitions")?);
    }
    for (index, name) in version.tables.keys().enumerate() {
        compiler
            .table_index
            .insert(name.clone(), index16(index, "tables")?);
    }
    for define in version.defines.values() {
        // Lists are inlined where they are used; they have no single value.
        let value = if matches!(define.ty, Type::List(_) | Type::Set(_)) {
            Ir::Literal(Value::Null)
        } else {
            compiler.expr(&define.value)?
        };
        compiler.program.defines.push(CompiledDefine {
            name: define.name.clone(),
            value,
            // A marker until every definition is compiled; lowered below.
            test: (define.ty == Type::Bool).then(Code::default),
        });
    }
    // Lowered once all definitions are compiled: a definition may be written into another.
    for index in 0..compiler.program.defines.len() {
        if compiler.program.defines[index].test.is_some() {
            let program = &mut compiler.program;
            let test = branch::lower(
                &program.defines[index].value,
                &program.defines,
                &mut program.questions.table,
            )
            .ok_or_else(|| too_long(&program.defines[index].name))?;
            compiler.program.defines[index].test = Some(test);
        }
    }
    for table in version.tables.values() {
        let rows = table
            .rows
            .iter()
            .map(|(date, value)| Ok((*date, compiler.expr(value)?)))
            .collect::<Result<_, CompileError>>()?;
        compiler.program.tables.push(CompiledTable {
            name: table.name.clone(),
            rows,
        });
    }
    compiler.rules()?;
    questions::lay_out(&mut compiler.program);
    Ok(compiler.program)
}

impl Compiler<'_> {
    fn schema(
        &mut self,
        record: &hir::Record,
        prefix: &[String],
        depth: usize,
    ) -> Result<SchemaNode, CompileError> {
        if depth > 16 {
            return Err(CompileError(
                "the facts schema nests records too deeply".to_string(),
            ));
        }
        let mut fields = Vec::new();
        for field in &record.fields {
            let mut path = prefix.to_vec();
            path.push(field.name.clone());
            let node = match &field.ty {
                Type::Record(name) => {
                    let nested = self
                        .version
                        .records
                        .get(name)
                        .ok_or_else(|| CompileError(format!("unknown record `{name}`")))?;
                    self.schema(nested, &path, depth + 1)?
                }
                other => {
                    let ty = match other {
                        Type::Bool => SlotType::Bool,
                        Type::Number { integer, .. } => SlotType::Number {
                            integer: *integer,
                            minimum: field.minimum,
                        },
                        Type::Date => SlotType::Date,
                        Type::Country => SlotType::Country,
                        Type::String => SlotType::String,
                        Type::Eccn => SlotType::Eccn,
                        Type::Enum(name) => {
                            SlotType::Enum(*self.enum_index.get(name).unwrap_or(&0))
                        }
                        Type::Set(element) | Type::List(element) if **element == Type::Eccn => {
                            SlotType::EccnList
                        }
                        unsupported => {
                            return Err(CompileError(format!(
                                "fact `{}` is {unsupported}, which facts cannot hold yet",
                                path.join(".")
                            )));
                        }
                    };
                    let slot = index16(self.program.slots.len(), "facts")?;
                    self.program.slots.push(Slot {
                        path: path.join("."),
                        ty,
                        mode: field.mode.clone(),
                    });
                    self.slot_by_path.insert(path.clone(), slot);
                    SchemaNode::Leaf(slot)
                }
            };
            fields.push((field.name.clone(), node));
        }
        Ok(SchemaNode::Record(fields))
    }

    fn groups(&mut self) {
        let segments = self.program.segment_starts.len() + 1;
        for (index, name) in self.version.groups.keys().enumerate() {
            let mut sets = Vec::with_capacity(segments);
            for segment in 0..segments {
                let date = if segment == 0 {
                    Date::MIN
                } else {
                    self.program.segment_starts[segment - 1]
                };
                let mut set = CountrySet::default();
                for code in self.version.group_members_on(name, date) {
                    if let Some(country) = country_index(&code) {
                        set.insert(country);
                    }
                }
                sets.push(set);
            }
            self.group_index.insert(name.clone(), index as u16);
            self.program.groups.push((name.clone(), sets));
        }
    }

    fn aliases(&mut self) {
        for alias in self.version.aliases.values() {
            if let (Some(code), Some(target)) =
                (country_index(&alias.code), country_index(&alias.target))
            {
                self.program.aliases.push((
                    code,
                    target,
                    alias.provenance.effective,
                    alias.provenance.through,
                ));
            }
        }
    }

    fn outcome(&mut self) -> Result<(), CompileError> {
        let mut members: BTreeMap<String, Vec<Literal>> = BTreeMap::new();
        for rule in &self.version.rules {
            for conclusion in rule.then.iter().filter(|conclusion| conclusion.add) {
                let literal =
                    cordon_lang::check::literal_of(&conclusion.value).ok_or_else(|| {
                        CompileError(format!(
                            "rule `{}` adds a computed value to `{}`; sets take written values",
                            rule.name, conclusion.field
                        ))
                    })?;
                let list = members.entry(conclusion.field.clone()).or_default();
                if !list.contains(&literal) {
                    list.push(literal);
                }
            }
        }
        for (index, field) in self.version.outcome.fields.iter().enumerate() {
            self.outcome_index
                .insert(field.name.clone(), index16(index, "outcomes")?);
            let enum_index = match &field.ty {
                Type::Enum(name) => self.enum_index.get(name).copied(),
                Type::Set(element) => match element.as_ref() {
                    Type::Enum(name) => self.enum_index.get(name).copied(),
                    _ => None,
                },
                _ => None,
            };
            let kind = match &field.ty {
                Type::Set(_) => {
                    let mut literals = members.remove(&field.name).unwrap_or_default();
                    literals.sort();
                    if literals.len() > 64 {
                        return Err(CompileError(format!(
                            "outcome `{}` can hold more than 64 values",
                            field.name
                        )));
                    }
                    OutcomeKind::Set {
                        members: literals
                            .iter()
                            .map(|literal| self.expr(&hir::Expr::Literal(literal.clone())))
                            .collect::<Result<_, _>>()?,
                        enum_index,
                    }
                }
                _ => OutcomeKind::Single {
                    default: match &field.mode {
                        FieldMode::Default(literal) => self.literal(literal)?,
                        _ => Value::Null,
                    },
                    enum_index,
                    most_restrictive: self.version.restrictiveness(field).is_some(),
                },
            };
            self.program.outcome.push(OutcomeField {
                name: field.name.clone(),
                kind,
                reading: field.most_restrictive.clone().unwrap_or_default(),
            });
        }
        Ok(())
    }

    fn literal(&mut self, literal: &Literal) -> Result<Value<'static>, CompileError> {
        Ok(match literal {
            Literal::Bool(value) => Value::Bool(*value),
            Literal::Number(value) => Value::Number(*value),
            Literal::Date(value) => Value::Date(*value),
            Literal::Country(code) => {
                let index = country_index(code)
                    .ok_or_else(|| CompileError(format!("bad country code `{code}`")))?;
                Value::Country(self.alias_of(index))
            }
            Literal::Enum(enumeration, variant) => {
                let variants = &self
                    .version
                    .enums
                    .get(enumeration)
                    .ok_or_else(|| CompileError(format!("unknown enum `{enumeration}`")))?
                    .variants;
                let position = variants
                    .iter()
                    .position(|candidate| candidate == variant)
                    .ok_or_else(|| {
                        CompileError(format!("`{variant}` is not a value of `{enumeration}`"))
                    })?;
                let enumeration = self.enum_index.get(enumeration).copied().unwrap_or(0);
                Value::Enum(enumeration, index16(position, "enum values")?)
            }
            Literal::Null => Value::Null,
            Literal::String(_) | Literal::Eccn(_) | Literal::Set(_) | Literal::List(_) => {
                return Err(CompileError(format!("{literal:?} cannot be a plain value")));
            }
        })
    }

    /// The target of an alias that has no window, for country literals written in the policy.
    fn alias_of(&self, index: u16) -> u16 {
        self.program
            .aliases
            .iter()
            .find(|(code, _, from, to)| *code == index && from.is_none() && to.is_none())
            .map_or(index, |(_, target, _, _)| *target)
    }

    fn string(&mut self, text: &str) -> u32 {
        match self
            .program
            .strings
            .iter()
            .position(|existing| existing == text)
        {
            Some(index) => index as u32,
            None => {
                self.program.strings.push(text.to_string());
                (self.program.strings.len() - 1) as u32
            }
        }
    }

    fn expr(&mut self, expr: &hir::Expr) -> Result<Ir, CompileError> {
        Ok(match expr {
            hir::Expr::Literal(Literal::String(text)) => {
                Ir::StringLiteral(self.string(text), false)
            }
            hir::Expr::Literal(Literal::Eccn(text)) => Ir::StringLiteral(self.string(text), true),
            hir::Expr::Literal(Literal::Set(items) | Literal::List(items)) => {
                return Err(CompileError(format!(
                    "a list of {} values cannot be used as one value",
                    items.len()
                )));
            }
            hir::Expr::Literal(literal) => Ir::Literal(self.literal(literal)?),
            hir::Expr::Fact(path) => Ir::Fact(self.slot(path)?),
            hir::Expr::TransactionDate => Ir::Fact(self.program.date_slot),
            hir::Expr::Outcome(name) => Ir::Outcome(self.outcome_field(name)?),
            hir::Expr::Const(name) => {
                let constant = self
                    .version
                    .consts
                    .get(name)
                    .ok_or_else(|| CompileError(format!("unknown constant `{name}`")))?;
                let value = constant.value.clone();
                self.expr(&value)?
            }
            hir::Expr::Table(name) => Ir::Table(
                *self
                    .table_index
                    .get(name)
                    .ok_or_else(|| CompileError(format!("unknown table `{name}`")))?,
            ),
            hir::Expr::Define(name) => {
                let define = self
                    .version
                    .defines
                    .get(name)
                    .ok_or_else(|| CompileError(format!("unknown definition `{name}`")))?;
                if matches!(define.ty, Type::List(_) | Type::Set(_)) {
                    let value = define.value.clone();
                    self.expr(&value)?
                } else {
                    Ir::Define(
                        *self
                            .define_index
                            .get(name)
                            .ok_or_else(|| CompileError(format!("unknown definition `{name}`")))?,
                    )
                }
            }
            hir::Expr::Group(name) => {
                return Err(CompileError(format!(
                    "group `{name}` can only be used after `in`"
                )));
            }
            hir::Expr::Variable(name) => {
                let depth = self
                    .variables
                    .iter()
                    .rposition(|variable| variable == name)
                    .ok_or_else(|| CompileError(format!("unknown variable `{name}`")))?;
                Ir::Variable(index16(depth, "variables")?)
            }
            hir::Expr::Not(inner) => Ir::Not(Box::new(self.expr(inner)?)),
            hir::Expr::Negate(inner) => Ir::Negate(Box::new(self.expr(inner)?)),
            hir::Expr::Binary(op, left, right) => self.binary(*op, left, right)?,
            hir::Expr::Call(builtin, arguments) => match (builtin, arguments.as_slice()) {
                (Builtin::Present, [hir::Expr::Fact(path)]) => Ir::Present(self.slot(path)?),
                (Builtin::Lowercase, [argument]) => Ir::Lowercase(Box::new(self.expr(argument)?)),
                (Builtin::Max, [a, b]) => Ir::Max(Box::new(self.expr(a)?), Box::new(self.expr(b)?)),
                (Builtin::Min, [a, b]) => Ir::Min(Box::new(self.expr(a)?), Box::new(self.expr(b)?)),
                _ => return Err(CompileError(format!("bad call of {builtin:?}"))),
            },
            hir::Expr::List(_) | hir::Expr::Set(_) => {
                return Err(CompileError(
                    "a list cannot be used as one value".to_string(),
                ));
            }
            hir::Expr::Quantifier {
                all,
                variable,
                over,
                body,
            } => {
                let source = self.list_source(over)?;
                self.variables.push(variable.clone());
                let variable_index = index16(self.variables.len() - 1, "variables")?;
                let body = self.expr(body);
                self.variables.pop();
                let body = Box::new(body?);
                match source {
                    ListSource::Items(over) => Ir::AnyOf {
                        all: *all,
                        variable: variable_index,
                        over,
                        body,
                    },
                    ListSource::Fact(slot) => Ir::AnyOfFact {
                        all: *all,
                        variable: variable_index,
                        slot,
                        body,
                    },
                    ListSource::Outcome(_) => {
                        return Err(CompileError(
                            "quantifiers over outcomes are not supported".to_string(),
                        ));
                    }
                }
            }
        })
    }

    fn binary(
        &mut self,
        op: BinaryOp,
        left: &hir::Expr,
        right: &hir::Expr,
    ) -> Result<Ir, CompileError> {
        Ok(match op {
            BinaryOp::And => Ir::And(Box::new(self.expr(left)?), Box::new(self.expr(right)?)),
            BinaryOp::Or => Ir::Or(Box::new(self.expr(left)?), Box::new(self.expr(right)?)),
            BinaryOp::In | BinaryOp::NotIn => {
                let left = Box::new(self.expr(left)?);
                let membership = match right {
                    hir::Expr::Group(name) => Ir::InGroup(
                        left,
                        *self
                            .group_index
                            .get(name)
                            .ok_or_else(|| CompileError(format!("unknown group `{name}`")))?,
                    ),
                    other => match self.list_source(other)? {
                        ListSource::Items(items) => Ir::InList(left, items),
                        ListSource::Fact(slot) => Ir::InFactList(left, slot),
                        ListSource::Outcome(field) => match self.member_index(field, &left) {
                            Some(member) => Ir::OutcomeHas(field, member),
                            None => Ir::InOutcome(left, field),
                        },
                    },
                };
                if op == BinaryOp::NotIn {
                    Ir::Not(Box::new(membership))
                } else {
                    membership
                }
            }
            BinaryOp::Within => {
                let left = Box::new(self.expr(left)?);
                match self.list_source(right) {
                    Ok(ListSource::Items(items)) => Ir::WithinList(left, items),
                    _ => Ir::WithinList(left, vec![self.expr(right)?]),
                }
            }
            BinaryOp::Add | BinaryOp::Subtract | BinaryOp::Multiply | BinaryOp::Divide => {
                Ir::Arithmetic(op, Box::new(self.expr(left)?), Box::new(self.expr(right)?))
            }
            _ => Ir::Compare(op, Box::new(self.expr(left)?), Box::new(self.expr(right)?)),
        })
    }

    /// The index of a written value among the members an outcome set can hold.
    fn member_index(&self, field: u16, value: &Ir) -> Option<u16> {
        let OutcomeKind::Set { members, .. } = &self.program.outcome.get(usize::from(field))?.kind
        else {
            return None;
        };
        if !matches!(value, Ir::Literal(_) | Ir::StringLiteral(..)) {
            return None;
        }
        let wanted = self.program.literal_value(value);
        members
            .iter()
            .position(|member| self.program.literal_value(member).equals(wanted))
            .and_then(|position| u16::try_from(position).ok())
            .or(Some(u16::MAX))
    }

    fn list_source(&mut self, expr: &hir::Expr) -> Result<ListSource, CompileError> {
        match expr {
            hir::Expr::List(items) | hir::Expr::Set(items) => Ok(ListSource::Items(
                items
                    .iter()
                    .map(|item| self.expr(item))
                    .collect::<Result<_, _>>()?,
            )),
            hir::Expr::Fact(path) => Ok(ListSource::Fact(self.slot(path)?)),
            hir::Expr::Outcome(name) => Ok(ListSource::Outcome(self.outcome_field(name)?)),
            hir::Expr::Define(name) | hir::Expr::Const(name) => {
                let value = self
                    .version
                    .defines
                    .get(name)
                    .map(|define| define.value.clone())
                    .or_else(|| {
                        self.version
                            .consts
                            .get(name)
                            .map(|constant| constant.value.clone())
                    })
                    .ok_or_else(|| CompileError(format!("unknown name `{name}`")))?;
                self.list_source(&value)
            }
            hir::Expr::Literal(Literal::Set(items) | Literal::List(items)) => {
                let items: Vec<hir::Expr> = items.iter().cloned().map(hir::Expr::Literal).collect();
                self.list_source(&hir::Expr::List(items))
            }
            other => Err(CompileError(format!("expected a list, found {other:?}"))),
        }
    }

    fn slot(&self, path: &[String]) -> Result<u16, CompileError> {
        self.slot_by_path
            .get(path)
            .copied()
            .ok_or_else(|| CompileError(format!("unknown fact `{}`", path.join("."))))
    }

    fn outcome_field(&self, name: &str) -> Result<u16, CompileError> {
        self.outcome_index
            .get(name)
            .copied()
            .ok_or_else(|| CompileError(format!("unknown outcome `{name}`")))
    }

    fn rules(&mut self) -> Result<(), CompileError> {
        for (index, rule) in self.version.rules.iter().enumerate() {
            self.program
                .rule_index
                .insert(rule.name.clone(), index16(index, "rules")?);
        }
        let prevails = self.version.prevails_over();
        for (position, rule) in self.version.rules.iter().enumerate() {
            let closure: BTreeSet<u16> = prevails[position]
                .iter()
                .map(|index| index16(*index, "rules"))
                .collect::<Result<_, _>>()?;
            let when = match &rule.when {
                Some(when) => {
                    let when = self.expr(when)?;
                    let program = &mut self.program;
                    Some(
                        branch::lower(&when, &program.defines, &mut program.questions.table)
                            .ok_or_else(|| too_long(&rule.name))?,
                    )
                }
                None => None,
            };
            let mut then = Vec::new();
            for conclusion in &rule.then {
                let field = self.outcome_field(&conclusion.field)?;
                let kind = self.program.outcome[usize::from(field)].kind.clone();
                let member = match &kind {
                    OutcomeKind::Set { members, .. } => {
                        let literal = cordon_lang::check::literal_of(&conclusion.value)
                            .ok_or_else(|| {
                                CompileError(format!("rule `{}` adds a computed value", rule.name))
                            })?;
                        let wanted = self.expr(&hir::Expr::Literal(literal))?;
                        let wanted = self.program.literal_value(&wanted);
                        let value = members
                            .iter()
                            .position(|member| self.program.literal_value(member).equals(wanted));
                        index16(value.unwrap_or(0), "set members")?
                    }
                    OutcomeKind::Single { .. } => 0,
                };
                let value = self.expr(&conclusion.value)?;
                then.push(CompiledConclusion {
                    field,
                    member,
                    value,
                });
            }
            let mut reads = BTreeSet::new();
            self.collect_reads(rule.when.as_ref(), &mut reads, 0);
            let mut parts = Vec::new();
            if let Some(when) = &rule.when {
                self.split_conjuncts(when, &mut parts, 0);
            }
            let conjuncts = parts
                .into_iter()
                .map(|part| self.conjunct(&part))
                .collect::<Result<_, _>>()?;
            self.program.rules.push(CompiledRule {
                name: rule.name.clone(),
                citations: rule.provenance.citations.clone(),
                confidence: self.rule_confidence(rule),
                window: rule.window,
                unless: rule
                    .unless
                    .iter()
                    .filter_map(|name| self.program.rule_index.get(name).copied())
                    .collect(),
                when,
                then,
                prevails_over: RuleSet::from_indexes(&closure),
                reads: reads.into_iter().collect(),
                conjuncts,
            });
        }
        Ok(())
    }

    /// The least certain citation a rule rests on: its own, and those of the constants, tables,
    /// definitions and groups it reads. (A group's dated membership changes are not counted: they
    /// matter only to transactions with the changing country, which the trace does not yet single
    /// out.)
    fn rule_confidence(&self, rule: &hir::Rule) -> Confidence {
        let mut confidence = rule.provenance.confidence();
        let mut pending: Vec<String> = Vec::new();
        let collect = |expr: &hir::Expr, pending: &mut Vec<String>| {
            expr.walk(&mut |node| {
                if let hir::Expr::Const(name)
                | hir::Expr::Table(name)
                | hir::Expr::Define(name)
                | hir::Expr::Group(name) = node
                {
                    pending.push(name.clone());
                }
            })
        };
        for expr in rule
            .when
            .iter()
            .chain(rule.then.iter().map(|conclusion| &conclusion.value))
        {
            collect(expr, &mut pending);
        }
        let mut seen = BTreeSet::new();
        while let Some(name) = pending.pop() {
            if !seen.insert(name.clone()) {
                continue;
            }
            if let Some(provenance) = self.version.provenance(&name) {
                confidence = confidence.max(provenance.confidence());
            }
            if let Some(define) = self.version.defines.get(&name) {
                collect(&define.value, &mut pending);
            }
            if let Some(group) = self.version.groups.get(&name) {
                let mut stack = vec![&group.members];
                while let Some(members) = stack.pop() {
                    match members {
                        hir::GroupExpr::Group(inner) => pending.push(inner.clone()),
                        hir::GroupExpr::Union(left, right)
                        | hir::GroupExpr::Difference(left, right) => {
                            stack.push(left);
                            stack.push(right);
                        }
                        hir::GroupExpr::Countries(_) => {}
                    }
                }
            }
        }
        confidence
    }

    fn split_conjuncts(&self, expr: &hir::Expr, parts: &mut Vec<hir::Expr>, depth: usize) {
        match expr {
            hir::Expr::Binary(BinaryOp::And, left, right) if depth < 32 => {
                self.split_conjuncts(left, parts, depth + 1);
                self.split_conjuncts(right, parts, depth + 1);
            }
            hir::Expr::Define(name) if depth < 32 => match self.version.defines.get(name) {
                Some(define) if matches!(define.value, hir::Expr::Binary(BinaryOp::And, _, _)) => {
                    self.split_conjuncts(&define.value, parts, depth + 1)
                }
                _ => parts.push(expr.clone()),
            },
            other => parts.push(other.clone()),
        }
    }

    fn conjunct(&mut self, expr: &hir::Expr) -> Result<Conjunct, CompileError> {
        let ir = self.expr(expr)?;
        let mut sides = None;
        let mut operands = Vec::new();
        if let hir::Expr::Binary(op, left, right) = expr
            && matches!(
                op,
                BinaryOp::Less
                    | BinaryOp::LessOrEqual
                    | BinaryOp::Greater
                    | BinaryOp::GreaterOrEqual
                    | BinaryOp::Equal
                    | BinaryOp::NotEqual
            )
        {
            sides = Some((
                crate::text::text(left),
                self.expr(left)?,
                *op,
                crate::text::text(right),
                self.expr(right)?,
            ));
            for side in [left.as_ref(), right.as_ref()] {
                if matches!(
                    side,
                    hir::Expr::Binary(
                        BinaryOp::Add | BinaryOp::Subtract | BinaryOp::Multiply | BinaryOp::Divide,
                        _,
                        _
                    )
                ) {
                    let mut leaves = Vec::new();
                    arithmetic_leaves(side, &mut leaves);
                    for leaf in leaves {
                        operands.push((crate::text::text(&leaf), self.expr(&leaf)?));
                    }
                }
            }
        }
        Ok(Conjunct {
            text: crate::text::conjunct_text(expr),
            ir,
            sides,
            operands,
        })
    }

    fn collect_reads(&self, expr: Option<&hir::Expr>, reads: &mut BTreeSet<u16>, depth: usize) {
        let Some(expr) = expr else { return };
        if depth > 32 {
            return;
        }
        expr.walk(&mut |node| match node {
            hir::Expr::Fact(path) => {
                if let Some(slot) = self.slot_by_path.get(path) {
                    reads.insert(*slot);
                }
            }
            hir::Expr::Define(name) => {
                if let Some(define) = self.version.defines.get(name) {
                    self.collect_reads(Some(&define.value), reads, depth + 1);
                }
            }
            _ => {}
        });
    }
}

fn arithmetic_leaves(expr: &hir::Expr, leaves: &mut Vec<hir::Expr>) {
    match expr {
        hir::Expr::Binary(
            BinaryOp::Add | BinaryOp::Subtract | BinaryOp::Multiply | BinaryOp::Divide,
            left,
            right,
        ) => {
            arithmetic_leaves(left, leaves);
            arithmetic_leaves(right, leaves);
        }
        other => leaves.push(other.clone()),
    }
}

enum ListSource {
    Items(Vec<Ir>),
    Fact(u16),
    Outcome(u16),
}
