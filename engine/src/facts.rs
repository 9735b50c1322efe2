//! Reading a transaction: JSON facts checked against the version's schema, into numbered slots.
//! Takes a compiled [`Program`]'s schema and a transaction's JSON (a value or text); gives its
//! [`Facts`], or every fact that does not fit with its path.
//!
//! A transaction arrives as a parsed JSON value ([`read`]) or as JSON text ([`read_text`], for
//! batches): text is read straight into slots through serde, without building a value; both walk
//! the schema the same way and share every check and message (`Given` is what either saw).
//! Numbers are read from the JSON text itself (serde_json's arbitrary precision), never through
//! `f64`: `5.92`, `1e26` and `26900000` arrive exactly. Every problem names the fact's path; an
//! absent field is not an error here (only reading it during evaluation is), except that nothing is
//! ever given a value the transaction did not give, other than the schema's declared defaults.

use std::borrow::Cow;
use std::str::FromStr;

use jiff::civil::Date;
use rust_decimal::Decimal;
use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::Value as Json;

use cordon_lang::hir::{FieldMode, Literal};

use crate::program::{Program, SchemaNode, SlotType};
use crate::value::{Value, country_index};

/// A problem with a transaction: a fact that does not fit the schema, a fact the decision needs
/// and lacks, or (with an empty path) a problem of the whole transaction or of the rules.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct FactError {
    /// The fact's path: `item.tpp`, `destination`, or `` for the whole transaction.
    pub path: String,
    pub message: String,
}

impl std::fmt::Display for FactError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.path.is_empty() {
            f.write_str(&self.message)
        } else {
            write!(f, "{}: {}", self.path, self.message)
        }
    }
}

/// A slot's content: a value, or absent.
#[derive(Clone, Copy, Debug)]
pub enum Slot<'a> {
    Absent,
    Present(Value<'a>),
}

/// A transaction read against a schema.
#[derive(Debug, Default)]
pub struct Facts<'a> {
    pub slots: Vec<Slot<'a>>,
    /// Lists held by the transaction (`item.produced_with`), referred to by `Value::List`.
    pub lists: Vec<Vec<Value<'a>>>,
}

impl<'a> Facts<'a> {
    /// No facts given yet: every slot absent.
    pub fn new(program: &Program) -> Facts<'a> {
        let mut facts = Facts::default();
        facts.reset(program);
        facts
    }

    /// Empties the facts for another transaction, keeping their buffers.
    pub fn reset(&mut self, program: &Program) {
        self.slots.clear();
        self.slots.resize(program.slots.len(), Slot::Absent);
        self.lists.clear();
    }

    pub fn date(&self, program: &Program) -> Option<Date> {
        match self.slots.get(usize::from(program.date_slot)) {
            Some(Slot::Present(Value::Date(date))) => Some(*date),
            _ => None,
        }
    }
}

/// Reads and checks a transaction given as a parsed JSON value. All problems are returned, each
/// with its path.
pub fn read<'a>(program: &Program, json: &'a Json) -> Result<Facts<'a>, Vec<FactError>> {
    let mut facts = Facts::new(program);
    let mut errors = Vec::new();
    let mut reader = Reader {
        program,
        facts: &mut facts,
        errors: &mut errors,
        escaped: false,
        not_an_object: false,
    };
    if let SchemaNode::Record(fields) = &program.schema {
        reader.json_record(fields, json, &Path::ROOT);
    }
    complete(program, &mut facts, &mut errors);
    if errors.is_empty() {
        Ok(facts)
    } else {
        Err(errors)
    }
}

/// Why a transaction's text could not be read into slots (problems with the facts themselves are
/// [`FactError`]s).
#[derive(Debug)]
pub enum TextError {
    /// The text is not JSON.
    Syntax(serde_json::Error),
    /// The text is JSON, but not an object.
    NotAnObject,
    /// A text the facts keep (a string or an ECCN) is written with escapes, so it cannot be
    /// borrowed from the transaction: read a parsed [`Json`] value instead.
    Escaped,
}

/// Reads a transaction's JSON text straight into slots, with the same checks and messages as
/// [`read`] (which reads a parsed value), without building a JSON value. The slots are as given:
/// [`complete`] adds defaults and resolves aliases. Problems with facts are appended to `errors`.
/// A field given twice is an error here (a parsed value keeps only the last).
pub fn read_text<'a>(
    program: &Program,
    text: &'a str,
    facts: &mut Facts<'a>,
    errors: &mut Vec<FactError>,
) -> Result<(), TextError> {
    facts.reset(program);
    let SchemaNode::Record(fields) = &program.schema else {
        return Err(TextError::NotAnObject);
    };
    let mut reader = Reader {
        program,
        facts,
        errors,
        escaped: false,
        not_an_object: false,
    };
    let mut deserializer = serde_json::Deserializer::from_str(text);
    RecordSeed {
        reader: &mut reader,
        fields,
        path: Path::ROOT,
    }
    .deserialize(&mut deserializer)
    .and_then(|()| deserializer.end())
    .map_err(TextError::Syntax)?;
    if reader.not_an_object {
        Err(TextError::NotAnObject)
    } else if reader.escaped && reader.errors.is_empty() {
        // With errors already found, they are reported as they are; a parsed value would hide
        // some (a field given twice keeps its last value there).
        Err(TextError::Escaped)
    } else {
        Ok(())
    }
}

/// Completes facts read by [`read_text`]: the schema's defaults, the check that the date is there,
/// and aliases (which depend on the date). Problems are appended to `errors`.
pub fn complete(program: &Program, facts: &mut Facts<'_>, errors: &mut Vec<FactError>) {
    for (index, slot) in program.slots.iter().enumerate() {
        if let (Slot::Absent, FieldMode::Default(literal)) = (&facts.slots[index], &slot.mode) {
            facts.slots[index] = Slot::Present(default_value(literal, &slot.ty));
        }
    }
    if errors.is_empty() && facts.date(program).is_none() {
        let date_path = &program.slots[usize::from(program.date_slot)].path;
        errors.push(FactError {
            path: date_path.clone(),
            message: "missing: the transaction's date decides which provisions apply".to_string(),
        });
    }
    if !errors.is_empty() {
        return;
    }
    if let Some(date) = facts.date(program) {
        for (index, slot) in program.slots.iter().enumerate() {
            if matches!(slot.ty, SlotType::Country)
                && let Slot::Present(Value::Country(code)) = facts.slots[index]
            {
                facts.slots[index] =
                    Slot::Present(Value::Country(resolve_alias(program, code, date)));
            }
        }
    }
}

/// The code a country counts as on a date (`HK` counts as `CN`).
pub fn resolve_alias(program: &Program, code: u16, date: Date) -> u16 {
    program
        .aliases
        .iter()
        .find(|(alias, _, from, to)| {
            *alias == code && from.is_none_or(|from| date >= from) && to.is_none_or(|to| date <= to)
        })
        .map_or(code, |(_, target, _, _)| *target)
}

fn default_value(literal: &Literal, ty: &SlotType) -> Value<'static> {
    match (literal, ty) {
        (Literal::Bool(value), _) => Value::Bool(*value),
        (Literal::Number(value), _) => Value::Number(*value),
        (Literal::Date(value), _) => Value::Date(*value),
        // An empty list default: `List(u16::MAX)` reads as empty.
        (Literal::List(items) | Literal::Set(items), SlotType::EccnList) if items.is_empty() => {
            Value::List(u16::MAX)
        }
        _ => Value::Null,
    }
}

/// A fact's path as the reader walks the schema, rendered (`item.tpp`) only for messages.
#[derive(Clone, Copy)]
struct Path<'x> {
    parent: Option<&'x Path<'x>>,
    name: &'x str,
}

impl<'x> Path<'x> {
    const ROOT: Path<'static> = Path {
        parent: None,
        name: "",
    };

    fn render(&self) -> String {
        let mut names = vec![self.name];
        let mut next = self.parent;
        while let Some(path) = next {
            names.push(path.name);
            next = path.parent;
        }
        let names: Vec<&str> = names
            .into_iter()
            .rev()
            .filter(|name| !name.is_empty())
            .collect();
        names.join(".")
    }

    fn child(&self, name: &str) -> String {
        let prefix = self.render();
        if prefix.is_empty() {
            name.to_string()
        } else {
            format!("{prefix}.{name}")
        }
    }
}

/// One JSON value as the reader sees it: scalars with their text, and a list's items (one level).
#[derive(Debug)]
enum Given<'a> {
    Null,
    Bool(bool),
    Unsigned(u64),
    Signed(i64),
    /// A number's text, exactly as serde_json holds it (`19.45`, `1e+400`).
    Number(Cow<'a, str>),
    /// A text: borrowed from the transaction, or owned when it was written with escapes.
    Text(Cow<'a, str>),
    List(Vec<Given<'a>>),
    Object,
}

impl<'a> Given<'a> {
    /// A parsed JSON value, and a list's items one level down.
    fn of_json(json: &'a Json, items: bool) -> Given<'a> {
        match json {
            Json::Null => Given::Null,
            Json::Bool(value) => Given::Bool(*value),
            Json::Number(number) => Given::Number(Cow::Borrowed(number.as_str())),
            Json::String(text) => Given::Text(Cow::Borrowed(text)),
            Json::Array(elements) if items => Given::List(
                elements
                    .iter()
                    .map(|element| Given::of_json(element, false))
                    .collect(),
            ),
            Json::Array(_) => Given::List(Vec::new()),
            Json::Object(_) => Given::Object,
        }
    }

    /// The value as a message shows it.
    fn describe(&self) -> String {
        match self {
            Given::Null => "null".to_string(),
            Given::Bool(value) => value.to_string(),
            Given::Unsigned(value) => value.to_string(),
            Given::Signed(value) => value.to_string(),
            Given::Number(text) => text.to_string(),
            Given::Text(text) => format!("{:?}", text.as_ref()),
            Given::List(_) => "a list".to_string(),
            Given::Object => "an object".to_string(),
        }
    }
}

/// The state of reading one transaction: where values go and the problems found.
struct Reader<'p, 'a, 'r> {
    program: &'p Program,
    facts: &'r mut Facts<'a>,
    errors: &'r mut Vec<FactError>,
    /// A text the facts keep was written with escapes (see [`TextError::Escaped`]).
    escaped: bool,
    /// The transaction's text is not an object.
    not_an_object: bool,
}

impl<'p, 'a> Reader<'p, 'a, '_> {
    fn json_record(&mut self, fields: &'p [(String, SchemaNode)], json: &'a Json, path: &Path<'_>) {
        let Json::Object(object) = json else {
            self.not_an_object_at(path, &Given::of_json(json, false));
            return;
        };
        for (key, value) in object {
            match fields.iter().find(|(name, _)| name == key) {
                Some((_, SchemaNode::Leaf(slot))) => self.leaf(*slot, Given::of_json(value, true)),
                Some((name, SchemaNode::Record(nested))) => {
                    let path = Path {
                        parent: Some(path),
                        name,
                    };
                    self.json_record(nested, value, &path)
                }
                None => self.unknown_field(fields, path, key),
            }
        }
    }

    fn not_an_object_at(&mut self, path: &Path<'_>, given: &Given<'_>) {
        self.errors.push(FactError {
            path: path.render(),
            message: format!("expected an object, found {}", given.describe()),
        });
    }

    fn unknown_field(&mut self, fields: &[(String, SchemaNode)], path: &Path<'_>, key: &str) {
        let suggestion = cordon_lang::diagnostics::did_you_mean(
            key,
            fields.iter().map(|(name, _)| name.as_str()),
        );
        self.errors.push(FactError {
            path: path.child(key),
            message: match suggestion {
                Some(suggestion) => format!("unknown field (did you mean `{suggestion}`?)"),
                None => format!(
                    "unknown field; the fields here are {}",
                    fields
                        .iter()
                        .map(|(name, _)| format!("`{name}`"))
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            },
        });
    }

    fn leaf(&mut self, slot: u16, given: Given<'a>) {
        let definition = &self.program.slots[usize::from(slot)];
        if let Given::Null = given {
            // `null` is how JSON says "not given"; only optional facts may be null.
            if matches!(definition.mode, FieldMode::Optional) {
                return;
            }
            self.errors.push(FactError {
                path: definition.path.clone(),
                message: "must not be null (leave it out if it does not apply)".to_string(),
            });
            return;
        }
        match self.value(&definition.ty, given) {
            Ok(Some(value)) => self.facts.slots[usize::from(slot)] = Slot::Present(value),
            Ok(None) => self.escaped = true,
            Err(message) => self.errors.push(FactError {
                path: definition.path.clone(),
                message,
            }),
        }
    }

    /// A fact's value, `None` if it would have to borrow an escaped text.
    fn value(&mut self, ty: &SlotType, given: Given<'a>) -> Result<Option<Value<'a>>, String> {
        let expected = |what: &str| format!("expected {what}, found {}", given.describe());
        Ok(Some(match (ty, &given) {
            (SlotType::Bool, Given::Bool(value)) => Value::Bool(*value),
            (SlotType::Bool, _) => return Err(expected("true or false")),
            (SlotType::Number { integer, minimum }, _) => {
                let value = match &given {
                    Given::Unsigned(value) => Decimal::from(*value),
                    Given::Signed(value) => Decimal::from(*value),
                    Given::Number(text) => exact_decimal(text).ok_or_else(|| {
                        format!(
                            "{text} cannot be held exactly (at most 28 significant digits, below 7.9e28)"
                        )
                    })?,
                    _ => {
                        return Err(expected(if *integer {
                            "a whole number"
                        } else {
                            "a number"
                        }));
                    }
                };
                if *integer && !value.fract().is_zero() {
                    return Err(format!(
                        "expected a whole number, found {}",
                        given.describe()
                    ));
                }
                if let Some((least, allowed)) = minimum
                    && (value < *least || (value == *least && !allowed))
                {
                    let bound = if *allowed { "at least" } else { "more than" };
                    return Err(format!(
                        "must be {bound} {}, found {}",
                        least.normalize(),
                        given.describe()
                    ));
                }
                Value::Number(value)
            }
            (SlotType::Date, Given::Text(text)) => {
                let bytes = text.as_bytes();
                let valid_shape = bytes.len() == 10 && bytes[4] == b'-' && bytes[7] == b'-';
                match Date::from_str(text) {
                    Ok(date) if valid_shape => Value::Date(date),
                    _ => {
                        return Err(format!(
                            "{:?} is not a date (\"YYYY-MM-DD\")",
                            text.as_ref()
                        ));
                    }
                }
            }
            (SlotType::Date, _) => return Err(expected("a date (\"YYYY-MM-DD\")")),
            (SlotType::Country, Given::Text(text)) => match country_index(text) {
                Some(index) if cordon_lang::check::is_country_code(text) => Value::Country(index),
                _ => return Err(format!("unknown country code {:?}", text.as_ref())),
            },
            (SlotType::Country, _) => return Err(expected("a country code (\"CN\")")),
            (SlotType::String, Given::Text(Cow::Borrowed(text))) => Value::Str(text),
            (SlotType::Eccn, Given::Text(Cow::Borrowed(text))) => Value::Eccn(text),
            (SlotType::String | SlotType::Eccn, Given::Text(Cow::Owned(_))) => return Ok(None),
            (SlotType::String, _) => return Err(expected("a text")),
            (SlotType::Eccn, _) => return Err(expected("an ECCN")),
            (SlotType::Enum(enumeration), Given::Text(text)) => {
                let variants = &self.program.enums[usize::from(*enumeration)].variants;
                match variants.iter().position(|variant| variant == text) {
                    Some(index) => Value::Enum(*enumeration, index as u16),
                    None => {
                        return Err(format!(
                            "unknown value {:?}; expected one of {}",
                            text.as_ref(),
                            variants
                                .iter()
                                .map(|v| format!("{v:?}"))
                                .collect::<Vec<_>>()
                                .join(", ")
                        ));
                    }
                }
            }
            (SlotType::Enum(_), _) => return Err(expected("a text")),
            (SlotType::EccnList, Given::List(items)) => {
                let mut values = Vec::with_capacity(items.len());
                for (index, item) in items.iter().enumerate() {
                    match item {
                        Given::Text(Cow::Borrowed(text)) if looks_like_eccn(text) => {
                            values.push(Value::Eccn(text))
                        }
                        Given::Text(Cow::Owned(text)) if looks_like_eccn(text) => return Ok(None),
                        _ => {
                            return Err(format!(
                                "[{index}]: expected an ECCN such as \"3A090.a\", found {}",
                                item.describe()
                            ));
                        }
                    }
                }
                let index = u16::try_from(self.facts.lists.len())
                    .map_err(|_| "too many lists".to_string())?;
                self.facts.lists.push(values);
                Value::List(index)
            }
            (SlotType::EccnList, _) => return Err(expected("a list of ECCNs")),
        }))
    }
}

/// serde_json's name for a number held as its text (arbitrary precision): such a number arrives
/// as a map with this one key, whose value is the text.
const NUMBER_TOKEN: &str = "$serde_json::private::Number";

/// A record of the schema, read from JSON text: each field's value goes to its slot.
struct RecordSeed<'s, 'p, 'a, 'r> {
    reader: &'s mut Reader<'p, 'a, 'r>,
    fields: &'p [(String, SchemaNode)],
    path: Path<'s>,
}

impl RecordSeed<'_, '_, '_, '_> {
    fn not_an_object(self, given: &Given<'_>) {
        if self.path.parent.is_none() {
            self.reader.not_an_object = true;
        } else {
            self.reader.not_an_object_at(&self.path, given);
        }
    }
}

impl<'de> DeserializeSeed<'de> for RecordSeed<'_, '_, 'de, '_> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for RecordSeed<'_, '_, 'de, '_> {
    type Value = ();

    fn expecting(&self, formatter: &mut std::fmt::Formatter) -> std::fmt::Result {
        formatter.write_str("an object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let mut seen = Seen::new(self.fields.len());
        let mut first = true;
        while let Some(key) = map.next_key_seed(KeySeed {
            fields: self.fields,
        })? {
            match key {
                Key::Number if first => {
                    let text: String = map.next_value()?;
                    self.not_an_object(&Given::Number(Cow::Owned(text)));
                    return Ok(());
                }
                Key::Field(index) => {
                    let (name, node) = &self.fields[index];
                    if !seen.insert(index) {
                        self.reader.errors.push(FactError {
                            path: self.path.child(name),
                            message: "given more than once".to_string(),
                        });
                        map.next_value_seed(Skip)?;
                    } else {
                        match node {
                            SchemaNode::Leaf(slot) => {
                                let items = matches!(
                                    self.reader.program.slots[usize::from(*slot)].ty,
                                    SlotType::EccnList
                                );
                                let given = map.next_value_seed(GivenSeed { items })?;
                                self.reader.leaf(*slot, given);
                            }
                            SchemaNode::Record(nested) => map.next_value_seed(RecordSeed {
                                reader: &mut *self.reader,
                                fields: nested,
                                path: Path {
                                    parent: Some(&self.path),
                                    name,
                                },
                            })?,
                        }
                    }
                }
                Key::Number => {
                    self.reader
                        .unknown_field(self.fields, &self.path, NUMBER_TOKEN);
                    map.next_value_seed(Skip)?;
                }
                Key::Unknown(key) => {
                    self.reader.unknown_field(self.fields, &self.path, &key);
                    map.next_value_seed(Skip)?;
                }
            }
            first = false;
        }
        Ok(())
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        while seq.next_element_seed(Skip)?.is_some() {}
        self.not_an_object(&Given::List(Vec::new()));
        Ok(())
    }

    fn visit_unit<E: de::Error>(self) -> Result<(), E> {
        self.not_an_object(&Given::Null);
        Ok(())
    }

    fn visit_bool<E: de::Error>(self, value: bool) -> Result<(), E> {
        self.not_an_object(&Given::Bool(value));
        Ok(())
    }

    fn visit_u64<E: de::Error>(self, value: u64) -> Result<(), E> {
        self.not_an_object(&Given::Unsigned(value));
        Ok(())
    }

    fn visit_i64<E: de::Error>(self, value: i64) -> Result<(), E> {
        self.not_an_object(&Given::Signed(value));
        Ok(())
    }

    fn visit_str<E: de::Error>(self, value: &str) -> Result<(), E> {
        self.not_an_object(&Given::Text(Cow::Borrowed(value)));
        Ok(())
    }
}

/// Which fields of a record have been given (a field given twice is an error).
enum Seen {
    Few(u64),
    Many(Vec<bool>),
}

impl Seen {
    fn new(fields: usize) -> Seen {
        if fields <= 64 {
            Seen::Few(0)
        } else {
            Seen::Many(vec![false; fields])
        }
    }

    /// Marks a field as given; `false` if it already was.
    fn insert(&mut self, index: usize) -> bool {
        match self {
            Seen::Few(mask) => {
                let bit = 1u64 << index;
                let new = *mask & bit == 0;
                *mask |= bit;
                new
            }
            Seen::Many(seen) => !std::mem::replace(&mut seen[index], true),
        }
    }
}

/// A key of an object: one of the record's fields, serde_json's number marker, or unknown.
enum Key {
    Field(usize),
    Number,
    Unknown(String),
}

struct KeySeed<'p> {
    fields: &'p [(String, SchemaNode)],
}

impl<'de> DeserializeSeed<'de> for KeySeed<'_> {
    type Value = Key;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Key, D::Error> {
        deserializer.deserialize_str(self)
    }
}

impl<'de> Visitor<'de> for KeySeed<'_> {
    type Value = Key;

    fn expecting(&self, formatter: &mut std::fmt::Formatter) -> std::fmt::Result {
        formatter.write_str("a field name")
    }

    fn visit_str<E: de::Error>(self, key: &str) -> Result<Key, E> {
        Ok(match self.fields.iter().position(|(name, _)| name == key) {
            Some(index) => Key::Field(index),
            None if key == NUMBER_TOKEN => Key::Number,
            None => Key::Unknown(key.to_string()),
        })
    }
}

/// Any JSON value as [`Given`]: scalars kept, lists' items kept when `items`, the rest skipped.
struct GivenSeed {
    items: bool,
}

impl<'de> DeserializeSeed<'de> for GivenSeed {
    type Value = Given<'de>;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Given<'de>, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for GivenSeed {
    type Value = Given<'de>;

    fn expecting(&self, formatter: &mut std::fmt::Formatter) -> std::fmt::Result {
        formatter.write_str("a JSON value")
    }

    fn visit_unit<E: de::Error>(self) -> Result<Given<'de>, E> {
        Ok(Given::Null)
    }

    fn visit_bool<E: de::Error>(self, value: bool) -> Result<Given<'de>, E> {
        Ok(Given::Bool(value))
    }

    fn visit_u64<E: de::Error>(self, value: u64) -> Result<Given<'de>, E> {
        Ok(Given::Unsigned(value))
    }

    fn visit_i64<E: de::Error>(self, value: i64) -> Result<Given<'de>, E> {
        Ok(Given::Signed(value))
    }

    fn visit_borrowed_str<E: de::Error>(self, value: &'de str) -> Result<Given<'de>, E> {
        Ok(Given::Text(Cow::Borrowed(value)))
    }

    fn visit_str<E: de::Error>(self, value: &str) -> Result<Given<'de>, E> {
        Ok(Given::Text(Cow::Owned(value.to_string())))
    }

    fn visit_string<E: de::Error>(self, value: String) -> Result<Given<'de>, E> {
        Ok(Given::Text(Cow::Owned(value)))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Given<'de>, A::Error> {
        let mut items = Vec::new();
        if self.items {
            while let Some(item) = seq.next_element_seed(GivenSeed { items: false })? {
                items.push(item);
            }
        } else {
            while seq.next_element_seed(Skip)?.is_some() {}
        }
        Ok(Given::List(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Given<'de>, A::Error> {
        match map.next_key_seed(KeySeed { fields: &[] })? {
            Some(Key::Number) => Ok(Given::Number(Cow::Owned(map.next_value()?))),
            Some(_) => {
                map.next_value_seed(Skip)?;
                while map.next_entry_seed(Skip, Skip)?.is_some() {}
                Ok(Given::Object)
            }
            None => Ok(Given::Object),
        }
    }
}

/// Any JSON value, checked by the parser as a parsed value would be and then dropped.
struct Skip;

impl<'de> DeserializeSeed<'de> for Skip {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        // `deserialize_any`, not `deserialize_ignored_any`: the same parsing (and nesting limit)
        // as a parsed value, so the same syntax errors.
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Skip {
    type Value = ();

    fn expecting(&self, formatter: &mut std::fmt::Formatter) -> std::fmt::Result {
        formatter.write_str("a JSON value")
    }

    fn visit_unit<E: de::Error>(self) -> Result<(), E> {
        Ok(())
    }

    fn visit_bool<E: de::Error>(self, _: bool) -> Result<(), E> {
        Ok(())
    }

    fn visit_u64<E: de::Error>(self, _: u64) -> Result<(), E> {
        Ok(())
    }

    fn visit_i64<E: de::Error>(self, _: i64) -> Result<(), E> {
        Ok(())
    }

    fn visit_str<E: de::Error>(self, _: &str) -> Result<(), E> {
        Ok(())
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        while seq.next_element_seed(Skip)?.is_some() {}
        Ok(())
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        while map.next_entry_seed(Skip, Skip)?.is_some() {}
        Ok(())
    }
}

/// An ECCN: a digit, a capital letter, three digits, then `.paragraph`s.
pub fn looks_like_eccn(text: &str) -> bool {
    let bytes = text.as_bytes();
    bytes.len() >= 5
        && bytes[0].is_ascii_digit()
        && bytes[1].is_ascii_uppercase()
        && bytes[2..5].iter().all(u8::is_ascii_digit)
        && text[5..]
            .split('.')
            .skip(1)
            .all(|part| !part.is_empty() && part.chars().all(|c| c.is_ascii_alphanumeric()))
        && (bytes.len() == 5 || bytes[5] == b'.')
}

/// A JSON number's text as an exact decimal (`1e26`, `2E+26`, `5.92`, `0.0000001`).
pub fn exact_decimal(text: &str) -> Option<Decimal> {
    if text.contains(['e', 'E', '_']) {
        cordon_lang::parse::parse_decimal(text)
    } else {
        // The common case, without the copy `parse_decimal` makes to drop `_`s.
        Decimal::from_str_exact(text).ok()
    }
}
