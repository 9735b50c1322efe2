//! Python values to the contract's JSON and back, exactly: numbers go from their decimal text to
//! the engine (never through a binary float the caller did not give) and come back as `int` or
//! `decimal.Decimal`.
//!
//! A Python `float` is read as the shortest decimal text that gives the same float (its `repr`):
//! `5.92` is read as `5.92` and `1e26` as `1e+26`, exactly; a float that was computed carries its
//! binary error into that text (`0.1 + 0.2` is read as `0.30000000000000004`). NaN and infinities
//! are refused. Nothing here decides anything.

use pyo3::prelude::*;
use pyo3::types::{PyBool, PyDict, PyFloat, PyInt, PyList, PyString, PyTuple};
use serde_json::Value as Json;

use cordon_engine::facts::FactError;

/// The Python types a conversion needs, imported once per call.
pub struct Types<'py> {
    decimal: Bound<'py, PyAny>,
    date: Bound<'py, PyAny>,
    datetime: Bound<'py, PyAny>,
    int: Bound<'py, PyAny>,
}

impl<'py> Types<'py> {
    pub fn import(py: Python<'py>) -> PyResult<Types<'py>> {
        let datetime = py.import("datetime")?;
        Ok(Types {
            decimal: py.import("decimal")?.getattr("Decimal")?,
            date: datetime.getattr("date")?,
            datetime: datetime.getattr("datetime")?,
            int: py.import("builtins")?.getattr("int")?,
        })
    }
}

fn problem(path: &str, message: String) -> FactError {
    FactError {
        path: path.to_string(),
        message,
    }
}

fn child(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_string()
    } else {
        format!("{path}.{key}")
    }
}

/// A number's JSON from its decimal text.
fn number(path: &str, text: &str) -> Result<Json, FactError> {
    match serde_json::from_str::<Json>(text) {
        Ok(number @ Json::Number(_)) => Ok(number),
        _ => Err(problem(path, format!("`{text}` is not a number"))),
    }
}

/// A Python value as the JSON the engine reads; a value that has no JSON form is an error naming
/// where it is (`item.tpp`, `item.produced_with[1]`).
pub fn json_of(types: &Types<'_>, value: &Bound<'_, PyAny>, path: &str) -> Result<Json, FactError> {
    let python_error = |error: PyErr| problem(path, error.to_string());
    if value.is_none() {
        return Ok(Json::Null);
    }
    if let Ok(flag) = value.cast::<PyBool>() {
        return Ok(Json::Bool(flag.is_true()));
    }
    if value.is_instance_of::<PyInt>() {
        let text = value.str().map_err(python_error)?.to_string();
        return number(path, &text);
    }
    if let Ok(float) = value.cast::<PyFloat>() {
        if !float.value().is_finite() {
            return Err(problem(
                path,
                format!("{} is not a number a fact can have", float.value()),
            ));
        }
        let text = value.repr().map_err(python_error)?.to_string();
        return number(path, &text);
    }
    if let Ok(text) = value.cast::<PyString>() {
        return Ok(Json::String(
            text.to_cow().map_err(python_error)?.into_owned(),
        ));
    }
    if value.is_instance(&types.decimal).map_err(python_error)? {
        let finite = value
            .call_method0("is_finite")
            .and_then(|finite| finite.is_truthy())
            .map_err(python_error)?;
        let text = value.str().map_err(python_error)?.to_string();
        if !finite {
            return Err(problem(
                path,
                format!("Decimal('{text}') is not a number a fact can have"),
            ));
        }
        return number(path, &text);
    }
    if value.is_instance(&types.datetime).map_err(python_error)? {
        return Err(problem(
            path,
            "a datetime is not a date: give a `datetime.date` or `YYYY-MM-DD` text".to_string(),
        ));
    }
    if value.is_instance(&types.date).map_err(python_error)? {
        let text = value
            .call_method0("isoformat")
            .map_err(python_error)?
            .to_string();
        return Ok(Json::String(text));
    }
    if let Ok(dict) = value.cast::<PyDict>() {
        let mut object = serde_json::Map::new();
        for (key, item) in dict.iter() {
            let Ok(key) = key.cast::<PyString>() else {
                return Err(problem(
                    path,
                    format!(
                        "a key of a fact record must be a str, not `{}`",
                        type_name(&key)
                    ),
                ));
            };
            let key = key.to_cow().map_err(python_error)?.into_owned();
            let item = json_of(types, &item, &child(path, &key))?;
            object.insert(key, item);
        }
        return Ok(Json::Object(object));
    }
    if value.is_instance_of::<PyList>() || value.is_instance_of::<PyTuple>() {
        let mut items = Vec::new();
        for (index, item) in value.try_iter().map_err(python_error)?.enumerate() {
            let item = item.map_err(python_error)?;
            items.push(json_of(types, &item, &format!("{path}[{index}]"))?);
        }
        return Ok(Json::Array(items));
    }
    Err(problem(
        path,
        format!(
            "a `{}` cannot be a fact's value: give a bool, int, decimal.Decimal, float, str, datetime.date, list or dict",
            type_name(value)
        ),
    ))
}

fn type_name(value: &Bound<'_, PyAny>) -> String {
    value
        .get_type()
        .name()
        .map(|name| name.to_string())
        .unwrap_or_else(|_| "object".to_string())
}

/// JSON as Python: objects as `dict` (in order), numbers as `int` when whole and written without
/// a point or exponent, else as `decimal.Decimal` (exactly the engine's number).
pub fn python_of<'py>(
    py: Python<'py>,
    types: &Types<'py>,
    value: &Json,
) -> PyResult<Bound<'py, PyAny>> {
    Ok(match value {
        Json::Null => py.None().into_bound(py),
        Json::Bool(flag) => PyBool::new(py, *flag).to_owned().into_any(),
        Json::Number(number) => {
            if let Some(integer) = number.as_i64() {
                integer.into_pyobject(py)?.into_any()
            } else {
                let text = number.to_string();
                if text.contains(['.', 'e', 'E']) {
                    types.decimal.call1((text,))?
                } else {
                    types.int.call1((text,))?
                }
            }
        }
        Json::String(text) => PyString::new(py, text).into_any(),
        Json::Array(items) => {
            let list = PyList::empty(py);
            for item in items {
                list.append(python_of(py, types, item)?)?;
            }
            list.into_any()
        }
        Json::Object(object) => {
            let dict = PyDict::new(py);
            for (key, item) in object {
                dict.set_item(key, python_of(py, types, item)?)?;
            }
            dict.into_any()
        }
    })
}
