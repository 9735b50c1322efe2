//! `cordon._cordon`: the Cordon engine for Python, a thin shell over `cordon_engine`.
//!
//! A `Policy` is loaded, checked and compiled once; `decide` decides one transaction (a `dict`
//! or JSON text) with `cordon_engine::decide`; `decide_batch` decides JSON lines, a list of
//! transactions, or Arrow rows through `cordon_engine::batch::decide_lines`, the engine's own
//! batch, on all cores. The GIL is released while the engine works. This crate never decides
//! anything itself: it converts values (`convert.rs`, `arrow.rs`) and errors.

use std::borrow::Cow;
use std::path::PathBuf;
use std::sync::Arc;

use arrow_array::RecordBatch;
use arrow_pyarrow::{FromPyArrow, ToPyArrow};
use pyo3::create_exception;
use pyo3::exceptions::{PyException, PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyDict, PyList, PyString};
use serde_json::Value as Json;

use cordon_engine::batch::{is_blank, split_lines};
use cordon_engine::facts::FactError as EngineFactError;
use cordon_engine::{DecideError, Detail};
use cordon_lang::hir::InForce;

mod arrow;
mod convert;

create_exception!(
    cordon,
    CordonError,
    PyException,
    "Every error Cordon raises."
);
create_exception!(
    cordon,
    PolicyError,
    CordonError,
    "The policy cannot be loaded: a path that is not a policy, or sources with errors (run `cordon check`)."
);
create_exception!(
    cordon,
    DecisionError,
    CordonError,
    "A transaction that cannot be decided. `kind` is `facts`, `version` or `evaluation`; `path` is the fact's path (`item.tpp`) or None; `errors` lists each problem as a dict with `path` and `message`; `error` is the error object `cordon eval` writes."
);
create_exception!(
    cordon,
    FactError,
    DecisionError,
    "Facts that do not fit the policy's schema, each problem with its fact's path."
);
create_exception!(
    cordon,
    VersionError,
    DecisionError,
    "No version decides: an unknown version, a pin whose hash does not match, or no version in force on the date."
);
create_exception!(
    cordon,
    EvaluationError,
    DecisionError,
    "The decision needed a fact the transaction lacks (`path` names it), or the rules disagree."
);

/// The exception of a transaction that cannot be decided, carrying its fact's path.
fn decision_error(py: Python<'_>, error: &DecideError) -> PyErr {
    let message = error.to_string();
    let (exception, kind, path, problems) = match error {
        DecideError::Facts { errors } => (
            FactError::new_err(message),
            "facts",
            errors.first().map(|error| error.path.clone()),
            errors.clone(),
        ),
        DecideError::Version { message: text } => (
            VersionError::new_err(message),
            "version",
            None,
            vec![EngineFactError {
                path: String::new(),
                message: text.clone(),
            }],
        ),
        DecideError::Evaluation {
            path,
            message: text,
        } => (
            EvaluationError::new_err(message),
            "evaluation",
            Some(path.clone()),
            vec![EngineFactError {
                path: path.clone(),
                message: text.clone(),
            }],
        ),
    };
    let attach = || -> PyResult<()> {
        let types = convert::Types::import(py)?;
        let value = exception.value(py);
        value.setattr("kind", kind)?;
        value.setattr("path", path.filter(|path| !path.is_empty()))?;
        let errors = serde_json::to_value(&problems).unwrap_or(Json::Null);
        value.setattr("errors", convert::python_of(py, &types, &errors)?)?;
        let object = serde_json::to_value(error).unwrap_or(Json::Null);
        value.setattr("error", convert::python_of(py, &types, &object)?)?;
        Ok(())
    };
    match attach() {
        Ok(()) => exception,
        Err(problem) => problem,
    }
}

fn detail_of(detail: &str) -> PyResult<Detail> {
    match detail {
        "outcome" => Ok(Detail::Outcome),
        "trace" => Ok(Detail::Trace),
        "explain" => Ok(Detail::Explain),
        other => Err(PyValueError::new_err(format!(
            "detail must be \"outcome\", \"trace\" or \"explain\", not {other:?}"
        ))),
    }
}

/// A decision as a dict, as `cordon eval` writes it (`trace` empty unless asked for).
fn decision_dict<'py>(
    py: Python<'py>,
    types: &convert::Types<'py>,
    decision: &cordon_engine::Decision,
) -> PyResult<Bound<'py, PyAny>> {
    convert::python_of(py, types, &decision.to_json())
}

/// A policy: every version of a policy directory, loaded, checked and compiled once.
#[pyclass(module = "cordon", frozen, name = "Policy")]
struct Policy {
    inner: Arc<cordon_engine::Policy>,
    path: PathBuf,
}

impl Policy {
    /// Checks a pin before a batch, as `cordon eval --version` does.
    fn check_pin(&self, py: Python<'_>, version: Option<&str>) -> PyResult<()> {
        if let Some(pin) = version {
            self.inner.pinned(pin).map_err(|error| {
                decision_error(
                    py,
                    &DecideError::Version {
                        message: error.to_string(),
                    },
                )
            })?;
        }
        Ok(())
    }

    /// Decides Arrow rows, without the GIL.
    fn decide_record_batch(
        &self,
        py: Python<'_>,
        batch: RecordBatch,
        version: Option<&str>,
        detail: Detail,
    ) -> PyResult<RecordBatch> {
        let policy = &*self.inner;
        let decided = py.detach(|| -> Result<_, EngineFactError> {
            let lines = arrow::lines(&batch)?;
            let decided = arrow::decide_rows(policy, version, &lines, detail);
            Ok(arrow::decisions(policy, detail, &decided))
        });
        match decided {
            Ok(Ok(batch)) => Ok(batch),
            Ok(Err(error)) => Err(CordonError::new_err(error.to_string())),
            Err(problem) => Err(decision_error(
                py,
                &DecideError::Facts {
                    errors: vec![problem],
                },
            )),
        }
    }

    /// Applies `each` to every record batch of a `pyarrow.RecordBatch` or `pyarrow.Table`, and
    /// gives the results in the same form; `None` when `data` is neither.
    fn over_arrow<'py>(
        &self,
        data: &Bound<'py, PyAny>,
        schema: arrow_schema::SchemaRef,
        each: impl Fn(RecordBatch) -> PyResult<RecordBatch>,
    ) -> PyResult<Option<Bound<'py, PyAny>>> {
        let py = data.py();
        let Ok(pyarrow) = py.import("pyarrow") else {
            return Ok(None);
        };
        if data.is_instance(&pyarrow.getattr("RecordBatch")?)? {
            let batch = RecordBatch::from_pyarrow_bound(data)?;
            return Ok(Some(each(batch)?.to_pyarrow(py)?));
        }
        if data.is_instance(&pyarrow.getattr("Table")?)? {
            let batches = PyList::empty(py);
            for batch in data.call_method0("to_batches")?.try_iter()? {
                let batch = RecordBatch::from_pyarrow_bound(&batch?)?;
                batches.append(each(batch)?.to_pyarrow(py)?)?;
            }
            let schema = schema.as_ref().to_pyarrow(py)?;
            let table = pyarrow
                .getattr("Table")?
                .call_method1("from_batches", (batches, schema))?;
            return Ok(Some(table));
        }
        Ok(None)
    }
}

#[pymethods]
impl Policy {
    /// Loads, checks and compiles every version of a policy directory (`policies/ear`). Raises
    /// `PolicyError` if the path is not a policy or its sources have errors.
    #[staticmethod]
    fn load(py: Python<'_>, path: PathBuf) -> PyResult<Policy> {
        let loaded = py.detach(|| cordon_engine::Policy::load(&path));
        match loaded {
            Ok(policy) => Ok(Policy {
                inner: Arc::new(policy),
                path,
            }),
            Err(error) => Err(PolicyError::new_err(format!(
                "cannot load the policy `{}`: {error}",
                path.display()
            ))),
        }
    }

    /// The policy's name (`ear`).
    #[getter]
    fn name(&self) -> &str {
        &self.inner.name
    }

    /// The path it was loaded from.
    #[getter]
    fn path(&self) -> PathBuf {
        self.path.clone()
    }

    /// Every version, oldest first: dicts with `id`, `title`, `hash` (`sha256:...` of its
    /// sources), `pin` (`id@sha256:...`), `in_force_from` and `in_force_through` (ISO dates, or
    /// None).
    #[getter]
    fn versions<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyList>> {
        let list = PyList::empty(py);
        for version in &self.inner.versions {
            let dict = PyDict::new(py);
            let manifest = &version.hir.manifest;
            dict.set_item("id", &version.id)?;
            dict.set_item("title", manifest.title.as_deref())?;
            dict.set_item("hash", &version.hash)?;
            dict.set_item("pin", format!("{}@{}", version.id, version.hash))?;
            let (from, through) = match &manifest.in_force {
                InForce::Never => (None, None),
                InForce::Range { from, through } => {
                    (Some(from.to_string()), through.map(|date| date.to_string()))
                }
            };
            dict.set_item("in_force_from", from)?;
            dict.set_item("in_force_through", through)?;
            list.append(dict)?;
        }
        Ok(list)
    }

    /// The pin of a version: `id@sha256:...` for a version id (or a pin, checked). Deciding with
    /// a pin refuses sources that no longer hash to it. Raises `VersionError`.
    fn pin(&self, py: Python<'_>, version: String) -> PyResult<String> {
        self.check_pin(py, Some(&version))?;
        let id = version.split('@').next().unwrap_or_default();
        let version = self
            .inner
            .pinned(id)
            .map_err(|error| VersionError::new_err(error.to_string()))?;
        Ok(format!("{}@{}", version.id, version.hash))
    }

    /// Decides one transaction: a dict (numbers as int, decimal.Decimal or float, dates as
    /// datetime.date or text) or JSON text. Without `version`, the version in force on the
    /// transaction's date decides; with it, that version (`2025-01-13` or
    /// `2025-01-13@sha256:...`). `detail` is `"outcome"`, `"trace"` or `"explain"`. Returns the
    /// decision as `cordon eval` writes it, as a dict (numbers as int or decimal.Decimal).
    /// Raises `FactError`, `VersionError` or `EvaluationError`, each with the fact's `path`.
    #[pyo3(signature = (facts, version=None, detail="outcome"))]
    fn decide<'py>(
        &self,
        py: Python<'py>,
        facts: &Bound<'py, PyAny>,
        version: Option<String>,
        detail: &str,
    ) -> PyResult<Bound<'py, PyAny>> {
        let detail = detail_of(detail)?;
        let types = convert::Types::import(py)?;
        let policy = &*self.inner;
        let pin = version.as_deref();
        let text = if let Ok(text) = facts.cast::<PyString>() {
            Some(text.to_cow()?.into_owned())
        } else if let Ok(bytes) = facts.cast::<PyBytes>() {
            let text = std::str::from_utf8(bytes.as_bytes()).map_err(|error| {
                decision_error(
                    py,
                    &cordon_engine::batch::line_error(cordon_engine::batch::not_utf8(
                        bytes.as_bytes(),
                        &error,
                    )),
                )
            })?;
            Some(text.to_string())
        } else {
            None
        };
        let decided = if let Some(text) = text {
            py.detach(|| cordon_engine::decide_text(policy, pin, &text, detail))
        } else if facts.is_instance_of::<PyDict>() {
            let json = convert::json_of(&types, facts, "").map_err(|problem| {
                decision_error(
                    py,
                    &DecideError::Facts {
                        errors: vec![problem],
                    },
                )
            })?;
            py.detach(|| cordon_engine::decide(policy, pin, &json, detail))
        } else {
            return Err(PyTypeError::new_err(format!(
                "facts must be a dict or JSON text (str or bytes), not `{}`",
                facts.get_type().name()?
            )));
        };
        match decided {
            Ok(decision) => decision_dict(py, &types, &decision),
            Err(error) => Err(decision_error(py, &error)),
        }
    }

    /// Decides many transactions on all cores, the GIL released:
    ///
    /// - JSON lines (`str` or `bytes`, as `cordon eval` reads a `.jsonl` file), or a list of
    ///   transactions (dicts or JSON texts): returns a list with, for each, its decision as a
    ///   dict, or `{"line": N, "error": {...}}` (N counts from 1) for one that cannot be decided;
    /// - a `pyarrow.RecordBatch` or `pyarrow.Table` whose columns are the facts (nested records
    ///   as struct columns, a null as a fact left out): returns the same with the columns of
    ///   `decision_schema(detail)`, a row per row; a row that cannot be decided has its error's
    ///   JSON in `error` and the rest go on.
    ///
    /// A pinned `version` that does not exist raises `VersionError` before anything is decided.
    #[pyo3(signature = (transactions, version=None, detail="outcome"))]
    fn decide_batch<'py>(
        &self,
        py: Python<'py>,
        transactions: &Bound<'py, PyAny>,
        version: Option<String>,
        detail: &str,
    ) -> PyResult<Bound<'py, PyAny>> {
        let detail = detail_of(detail)?;
        let pin = version.as_deref();
        self.check_pin(py, pin)?;
        let schema = arrow::decision_schema(&self.inner, detail);
        if let Some(decided) = self.over_arrow(transactions, schema, |batch| {
            self.decide_record_batch(py, batch, pin, detail)
        })? {
            return Ok(decided);
        }
        let types = convert::Types::import(py)?;
        // The text of a `str` batch is borrowed where Python keeps it as UTF-8, and `bytes` always.
        let text: Cow<'_, str>;
        let mut problems: Vec<Option<EngineFactError>> = Vec::new();
        let lines: Vec<&[u8]>;
        let owned: Vec<Vec<u8>>;
        if let Ok(string) = transactions.cast::<PyString>() {
            text = string.to_cow()?;
            lines = split_lines(text.as_bytes());
        } else if let Ok(bytes) = transactions.cast::<PyBytes>() {
            lines = split_lines(bytes.as_bytes());
        } else if let Ok(list) = transactions.cast::<PyList>() {
            let mut each = Vec::with_capacity(list.len());
            for item in list.iter() {
                let line = if let Ok(string) = item.cast::<PyString>() {
                    Ok(string.to_cow()?.as_bytes().to_vec())
                } else if item.is_instance_of::<PyDict>() {
                    convert::json_of(&types, &item, "").map(|json| json.to_string().into_bytes())
                } else {
                    Err(EngineFactError {
                        path: String::new(),
                        message: format!(
                            "a transaction must be a dict or JSON text, not `{}`",
                            item.get_type().name()?
                        ),
                    })
                };
                match line {
                    Ok(line) => {
                        each.push(line);
                        problems.push(None);
                    }
                    Err(problem) => {
                        each.push(Vec::new());
                        problems.push(Some(problem));
                    }
                }
            }
            owned = each;
            lines = owned.iter().map(Vec::as_slice).collect();
        } else {
            return Err(PyTypeError::new_err(format!(
                "transactions must be JSON lines (str or bytes), a list of dicts or JSON texts, a pyarrow.RecordBatch or a pyarrow.Table, not `{}`",
                transactions.get_type().name()?
            )));
        }
        if lines.iter().all(|line| is_blank(line)) && problems.iter().all(Option::is_none) {
            return Err(PyValueError::new_err(
                "no transaction in the batch: it is empty or holds only whitespace",
            ));
        }
        let policy = &*self.inner;
        let decided = py.detach(|| cordon_engine::batch::decide_lines(policy, pin, &lines, detail));
        let out = PyList::empty(py);
        for (index, result) in decided.into_iter().enumerate() {
            let result = match problems.get(index).cloned().flatten() {
                Some(problem) => Err(DecideError::Facts {
                    errors: vec![problem],
                }),
                None => result,
            };
            match result {
                Ok(decision) => out.append(decision_dict(py, &types, &decision)?)?,
                Err(error) => {
                    let record = serde_json::json!({ "line": index + 1, "error": error });
                    out.append(convert::python_of(py, &types, &record)?)?;
                }
            }
        }
        Ok(out.into_any())
    }

    /// The `pyarrow.Schema` of `decide_batch` over Arrow: `id`, `policy_version`,
    /// `policy_hash`, one column per outcome field of any version (bool; a set as a list of
    /// strings; any other value as its text, numbers exactly), `trace` (and `why_not`) as JSON
    /// text when `detail` asks for them, and `error` (the JSON of the error, null when decided).
    #[pyo3(signature = (detail="outcome"))]
    fn decision_schema<'py>(&self, py: Python<'py>, detail: &str) -> PyResult<Bound<'py, PyAny>> {
        let detail = detail_of(detail)?;
        arrow::decision_schema(&self.inner, detail)
            .as_ref()
            .to_pyarrow(py)
    }

    /// The `pyarrow.Schema` of `changes`: `row`, `id`, `changes`, `error`.
    #[staticmethod]
    fn changes_schema(py: Python<'_>) -> PyResult<Bound<'_, PyAny>> {
        arrow::changes_schema().as_ref().to_pyarrow(py)
    }

    /// Decides Arrow rows (a `pyarrow.RecordBatch` or `pyarrow.Table`, as `decide_batch` takes
    /// them) under two versions (ids or pins) and gives only the rows whose decision differs:
    /// `row` (its place in the batch, from 0), `id`, `changes` (`license_required: false ->
    /// true`, `license_exceptions: -LPP +ACA`, `decision: valid -> error: ...`, as `cordon diff
    /// --facts` words them), and the rows neither version can decide, with `error`.
    fn changes<'py>(
        &self,
        py: Python<'py>,
        transactions: &Bound<'py, PyAny>,
        from_version: String,
        to_version: String,
    ) -> PyResult<Bound<'py, PyAny>> {
        self.check_pin(py, Some(&from_version))?;
        self.check_pin(py, Some(&to_version))?;
        let policy = &*self.inner;
        let changed = self.over_arrow(transactions, arrow::changes_schema(), |batch| {
            let changed = py.detach(|| -> Result<_, EngineFactError> {
                let lines = arrow::lines(&batch)?;
                Ok(arrow::changes(policy, &from_version, &to_version, &lines))
            });
            match changed {
                Ok(Ok(batch)) => Ok(batch),
                Ok(Err(error)) => Err(CordonError::new_err(error.to_string())),
                Err(problem) => Err(decision_error(
                    py,
                    &DecideError::Facts {
                        errors: vec![problem],
                    },
                )),
            }
        })?;
        changed.ok_or_else(|| {
            PyTypeError::new_err(format!(
                "transactions must be a pyarrow.RecordBatch or a pyarrow.Table, not `{}`",
                transactions
                    .get_type()
                    .name()
                    .map(|name| name.to_string())
                    .unwrap_or_default()
            ))
        })
    }

    fn __repr__(&self) -> String {
        let ids: Vec<&str> = self.inner.versions.iter().map(|v| v.id.as_str()).collect();
        format!(
            "Policy(name={:?}, path={:?}, versions={:?})",
            self.inner.name,
            self.path.display().to_string(),
            ids
        )
    }
}

#[pymodule]
fn _cordon(module: &Bound<'_, PyModule>) -> PyResult<()> {
    let py = module.py();
    module.add("__version__", env!("CARGO_PKG_VERSION"))?;
    module.add_class::<Policy>()?;
    module.add("CordonError", py.get_type::<CordonError>())?;
    module.add("PolicyError", py.get_type::<PolicyError>())?;
    module.add("DecisionError", py.get_type::<DecisionError>())?;
    module.add("FactError", py.get_type::<FactError>())?;
    module.add("VersionError", py.get_type::<VersionError>())?;
    module.add("EvaluationError", py.get_type::<EvaluationError>())?;
    Ok(())
}
