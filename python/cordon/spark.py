"""Cordon on Spark: decide a DataFrame of transactions where it lives.

``decide(df, policy)`` decides every row of a DataFrame whose columns are the facts (nested
records as struct columns) with ``mapInArrow``: each executor's Python worker loads the policy
once, checks that every version hashes as it does on the driver (so every executor decides
with the same sources), and decides its Arrow batches with ``Policy.decide_batch``, on all its
cores with the GIL released. ``changes(df, policy, from_version, to_version)`` decides every row
under two versions and returns only the rows that change, with the change: the corpus diff of
``cordon diff --facts``, at warehouse scale.

The policy directory must be readable at the same path on the driver and on every executor
(a Databricks volume or workspace path, a shared filesystem), or be shipped with
``spark.sparkContext.addFile(path, recursive=True)``: an executor that does not find ``path``
looks for a directory of the same name among the files shipped to it.

Read facts exactly: decimal columns (``DecimalType``, ``spark.read.json(...,
prefersDecimal=True)``) are read as their exact text; a double is read as its shortest
decimal text (``5.92`` stays 5.92, a computed double keeps its binary error).
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Iterator, Optional, Sequence

from . import CordonError, Policy

if TYPE_CHECKING:
    import pyarrow
    from pyspark.sql import DataFrame

__all__ = ["decide", "changes"]

# The policies this Python process loaded, by path and the versions' hashes the driver saw.
_LOADED: dict[tuple[str, tuple[tuple[str, str], ...]], Policy] = {}


def _hashes(policy: Policy) -> tuple[tuple[str, str], ...]:
    return tuple((str(v["id"]), str(v["hash"])) for v in policy.versions)


def _find(path: str) -> str:
    """The policy directory on this executor: `path`, or the directory of that name shipped with
    `addFile`."""
    if os.path.exists(path):
        return path
    try:
        from pyspark import SparkFiles

        shipped = os.path.join(SparkFiles.getRootDirectory(), os.path.basename(os.path.normpath(path)))
    except Exception:  # noqa: BLE001 - outside Spark there is no SparkFiles root
        return path
    return shipped if os.path.exists(shipped) else path


def _executor_policy(path: str, hashes: tuple[tuple[str, str], ...]) -> Policy:
    """The policy, loaded once per Python worker process and checked against the driver's."""
    key = (path, hashes)
    policy = _LOADED.get(key)
    if policy is None:
        policy = Policy.load(_find(path))
        found = _hashes(policy)
        if found != hashes:
            raise CordonError(
                f"the policy `{path}` on this executor is not the driver's: the driver has "
                f"{', '.join(f'{i}@{h}' for i, h in hashes)}; this executor has "
                f"{', '.join(f'{i}@{h}' for i, h in found) or 'no versions'}. "
                "Give every executor the same policy directory"
            )
        _LOADED[key] = policy
    return policy


def _columns(df: "DataFrame", keep: Sequence[str], facts: Optional[Sequence[str]]) -> list[str]:
    """The fact columns: `facts`, or every column not kept (a transaction's `id` is a fact even
    when kept)."""
    missing = [name for name in list(keep) + list(facts or []) if name not in df.columns]
    if missing:
        raise ValueError(f"no column {', '.join(repr(m) for m in missing)} in the DataFrame; its columns are {df.columns}")
    if facts is not None:
        return list(facts)
    return [name for name in df.columns if name not in keep or name == "id"]


def _output_schema(df: "DataFrame", keep: Sequence[str], engine_schema: "pyarrow.Schema"):
    """The Spark schema of the kept columns followed by the engine's columns (a kept column
    stands in for the engine's column of the same name only for `id`)."""
    from pyspark.sql.pandas.types import from_arrow_schema
    from pyspark.sql.types import StructType

    engine_fields = from_arrow_schema(engine_schema).fields
    clashes = [f.name for f in engine_fields if f.name in keep and f.name != "id"]
    if clashes:
        raise ValueError(f"kept column(s) {clashes} have the names of Cordon's output columns; rename them first")
    names = [f.name for f in engine_fields if f.name not in keep]
    return StructType([df.schema[name] for name in keep] + [f for f in engine_fields if f.name in names]), names


def _facts_batch(batch: "pyarrow.RecordBatch", names: Sequence[str]) -> "pyarrow.RecordBatch":
    import pyarrow as pa

    return pa.RecordBatch.from_arrays([batch.column(name) for name in names], names=list(names))


def decide(
    df: "DataFrame",
    policy: str,
    version: Optional[str] = None,
    *,
    detail: str = "outcome",
    keep: Sequence[str] = (),
    facts: Optional[Sequence[str]] = None,
) -> "DataFrame":
    """Decides every row of `df` (columns as facts) with the policy at `policy`.

    `version` pins a version (`2025-01-13`, or `2025-01-13@sha256:...`); the driver turns an id
    into its pin, so every executor decides with the sources the driver loaded. Without it, the
    version in force on each transaction's date decides, and every executor's versions must hash
    as the driver's. `detail` is `"outcome"`, `"trace"` or `"explain"`. `keep` names columns
    carried to the result (an order key; a kept `id` is the input's, also for rows that cannot
    be decided); `facts` the columns that are facts (default: every column not kept, and `id`).

    The result has the kept columns, then `id`, `policy_version`, `policy_hash`, one column per
    outcome field, `trace`/`why_not` when asked for, and `error` (the JSON of the error of a row
    that cannot be decided; null for one that was).
    """
    driver = Policy.load(policy)
    pin = driver.pin(version) if version is not None else None
    hashes = _hashes(driver)
    keep = list(keep)
    fact_columns = _columns(df, keep, facts)
    schema, engine_names = _output_schema(df, keep, driver.decision_schema(detail))

    def run(batches: Iterator["pyarrow.RecordBatch"]) -> Iterator["pyarrow.RecordBatch"]:
        import pyarrow as pa

        engine = _executor_policy(policy, hashes)
        for batch in batches:
            decided = engine.decide_batch(_facts_batch(batch, fact_columns), pin, detail)
            arrays = [batch.column(name) for name in keep] + [decided.column(name) for name in engine_names]
            yield pa.RecordBatch.from_arrays(arrays, names=keep + engine_names)

    return df.mapInArrow(run, schema)


def changes(
    df: "DataFrame",
    policy: str,
    from_version: str,
    to_version: str,
    *,
    keep: Sequence[str] = (),
    facts: Optional[Sequence[str]] = None,
) -> "DataFrame":
    """Decides every row of `df` under two versions (ids or pins, pinned by the driver) and
    returns only the rows whose decision differs: the kept columns, `id`, `changes` (an array of
    `license_required: false -> true`, `license_exceptions: -LPP +ACA`, `decision: valid ->
    error: ...`, as `cordon diff --facts` words them) and `error`, for the rows that neither
    version can decide (also returned, so that none is lost silently)."""
    driver = Policy.load(policy)
    from_pin, to_pin = driver.pin(from_version), driver.pin(to_version)
    hashes = _hashes(driver)
    keep = list(keep)
    fact_columns = _columns(df, keep, facts)
    schema, engine_names = _output_schema(df, keep, _without_row(Policy.changes_schema()))

    def run(batches: Iterator["pyarrow.RecordBatch"]) -> Iterator["pyarrow.RecordBatch"]:
        import pyarrow as pa

        engine = _executor_policy(policy, hashes)
        for batch in batches:
            changed = engine.changes(_facts_batch(batch, fact_columns), from_pin, to_pin)
            rows = changed.column("row")
            arrays = [batch.column(name).take(rows) for name in keep] + [changed.column(name) for name in engine_names]
            yield pa.RecordBatch.from_arrays(arrays, names=keep + engine_names)

    return df.mapInArrow(run, schema)


def _without_row(schema: "pyarrow.Schema") -> "pyarrow.Schema":
    """The columns of `Policy.changes` but the place in the batch, which means nothing in a
    DataFrame."""
    return schema.remove(schema.get_field_index("row"))
