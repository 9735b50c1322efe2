//! Policy text as counsel reads it: takes checked expressions (the HIR) and numbers, gives the
//! text the trace, the explanations, the conditions of compiled rules and the diff print. Below
//! everything else in the engine: it reads only the language's HIR.

use cordon_lang::hir::{self, BinaryOp, Builtin, Literal};
use rust_decimal::Decimal;

/// A checked expression as counsel wrote it (names, not values).
pub fn text(expr: &hir::Expr) -> String {
    text_at(expr, 0)
}

/// An expression as one part of a conjunction: parenthesised if it is an `or`.
pub fn conjunct_text(expr: &hir::Expr) -> String {
    text_at(expr, BinaryOp::And.precedence() + 1)
}

fn text_at(expr: &hir::Expr, parent: u8) -> String {
    match expr {
        hir::Expr::Literal(literal) => literal_text(literal),
        hir::Expr::Fact(path) => path.join("."),
        hir::Expr::TransactionDate => "date".to_string(),
        hir::Expr::Outcome(name)
        | hir::Expr::Const(name)
        | hir::Expr::Table(name)
        | hir::Expr::Define(name)
        | hir::Expr::Group(name)
        | hir::Expr::Variable(name) => name.clone(),
        hir::Expr::Binary(op, left, right) => {
            let own = op.precedence();
            // Comparisons do not chain: one inside another's left side keeps its parentheses.
            let comparison = !matches!(
                op,
                BinaryOp::And
                    | BinaryOp::Or
                    | BinaryOp::Add
                    | BinaryOp::Subtract
                    | BinaryOp::Multiply
                    | BinaryOp::Divide
            );
            // `and` and `or` chains are kept as balanced trees: either side of one may be another
            // of the same operator, read without parentheses.
            let associative = matches!(op, BinaryOp::And | BinaryOp::Or);
            let inner = format!(
                "{} {} {}",
                text_at(left, own + u8::from(comparison)),
                op.as_str(),
                text_at(right, own + u8::from(!associative))
            );
            if own < parent {
                format!("({inner})")
            } else {
                inner
            }
        }
        hir::Expr::Not(inner) => format!("not {}", text_at(inner, 3)),
        hir::Expr::Negate(inner) => format!("-{}", text_at(inner, 7)),
        hir::Expr::Call(builtin, arguments) => {
            let name = match builtin {
                Builtin::Max => "max",
                Builtin::Min => "min",
                Builtin::Lowercase => "lowercase",
                Builtin::Present => "present",
            };
            format!(
                "{name}({})",
                arguments.iter().map(text).collect::<Vec<_>>().join(", ")
            )
        }
        hir::Expr::List(items) => format!(
            "[{}]",
            items.iter().map(text).collect::<Vec<_>>().join(", ")
        ),
        hir::Expr::Set(items) => format!(
            "{{{}}}",
            items.iter().map(text).collect::<Vec<_>>().join(", ")
        ),
        hir::Expr::Quantifier {
            all,
            variable,
            over,
            body,
        } => format!(
            "{} {variable} in {}: {}",
            if *all { "all" } else { "any" },
            text_at(over, 5),
            text_at(body, 3)
        ),
    }
}

fn literal_text(literal: &Literal) -> String {
    match literal {
        Literal::Bool(value) => value.to_string(),
        Literal::Number(value) => grouped(*value),
        Literal::Date(value) => value.to_string(),
        Literal::Country(code) | Literal::Eccn(code) => code.clone(),
        Literal::String(text) => format!("{text:?}"),
        Literal::Enum(_, variant) => variant.clone(),
        Literal::Set(items) => format!(
            "{{{}}}",
            items
                .iter()
                .map(literal_text)
                .collect::<Vec<_>>()
                .join(", ")
        ),
        Literal::List(items) => format!(
            "[{}]",
            items
                .iter()
                .map(literal_text)
                .collect::<Vec<_>>()
                .join(", ")
        ),
        Literal::Null => "null".to_string(),
    }
}

/// A number as people read it: `26,914,400`, `5.92`, `1e26` as `100,000,000,000,000,000,000,000,000`.
pub fn grouped(value: Decimal) -> String {
    let text = value.normalize().to_string();
    let (sign, digits) = text
        .strip_prefix('-')
        .map_or(("", text.as_str()), |rest| ("-", rest));
    let (whole, fraction) = digits
        .split_once('.')
        .map_or((digits, None), |(w, f)| (w, Some(f)));
    let mut grouped = String::new();
    for (index, digit) in whole.chars().enumerate() {
        if index > 0 && (whole.len() - index) % 3 == 0 {
            grouped.push(',');
        }
        grouped.push(digit);
    }
    match fraction {
        Some(fraction) => format!("{sign}{grouped}.{fraction}"),
        None => format!("{sign}{grouped}"),
    }
}
