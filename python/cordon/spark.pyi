"""Type stubs of `cordon.spark`."""

from typing import Literal, Optional, Sequence

from pyspark.sql import DataFrame

def decide(
    df: DataFrame,
    policy: str,
    version: Optional[str] = None,
    *,
    detail: Literal["outcome", "trace", "explain"] = "outcome",
    keep: Sequence[str] = (),
    facts: Optional[Sequence[str]] = None,
) -> DataFrame:
    """Decides every row of `df` (columns as facts) with `mapInArrow`, the policy loaded once per
    executor process and checked against the driver's hashes; `version` is pinned by its hash."""

def changes(
    df: DataFrame,
    policy: str,
    from_version: str,
    to_version: str,
    *,
    keep: Sequence[str] = (),
    facts: Optional[Sequence[str]] = None,
) -> DataFrame:
    """The rows whose decision differs between two versions, with the change, and the rows
    neither version can decide."""
