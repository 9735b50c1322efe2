"""Type stubs of the `cordon` package (the Rust module `cordon._cordon`)."""

from os import PathLike
from typing import Any, Literal, Optional, Union, overload

import pyarrow

__version__: str

Detail = Literal["outcome", "trace", "explain"]
Facts = Union[dict[str, Any], str, bytes]

class CordonError(Exception):
    """Every error Cordon raises."""

class PolicyError(CordonError):
    """The policy cannot be loaded: a path that is not a policy, or sources with errors."""

class DecisionError(CordonError):
    """A transaction that cannot be decided."""

    kind: Literal["facts", "version", "evaluation"]
    path: Optional[str]
    """The fact's path (``item.tpp``), or None when the problem is not one fact's."""
    errors: list[dict[str, str]]
    """Each problem, as ``{"path": ..., "message": ...}``."""
    error: dict[str, Any]
    """The error object ``cordon eval`` writes for the transaction."""

class FactError(DecisionError):
    """Facts that do not fit the policy's schema, each problem with its fact's path."""

class VersionError(DecisionError):
    """An unknown version, a pin whose hash does not match, or no version in force on the date."""

class EvaluationError(DecisionError):
    """The decision needed a fact the transaction lacks (``path`` names it), or the rules disagree."""

class Policy:
    """Every version of a policy directory, loaded, checked and compiled once."""

    @staticmethod
    def load(path: Union[str, PathLike[str]]) -> Policy:
        """Loads, checks and compiles a policy directory; raises ``PolicyError``."""
    @property
    def name(self) -> str:
        """The policy's name (``ear``)."""
    @property
    def path(self) -> PathLike[str]:
        """The path the policy was loaded from."""
    @property
    def versions(self) -> list[dict[str, Optional[str]]]:
        """Every version, oldest first: ``id``, ``title``, ``hash``, ``pin``, ``in_force_from``,
        ``in_force_through``."""
    def pin(self, version: str) -> str:
        """``id@sha256:...`` of a version id (or a pin, checked); raises ``VersionError``."""
    def decide(
        self, facts: Facts, version: Optional[str] = None, detail: Detail = "outcome"
    ) -> dict[str, Any]:
        """Decides one transaction (a dict or JSON text) and returns the decision as
        ``cordon eval`` writes it. Raises ``FactError``, ``VersionError`` or
        ``EvaluationError`` with the fact's ``path``."""
    @overload
    def decide_batch(
        self,
        transactions: pyarrow.RecordBatch,
        version: Optional[str] = None,
        detail: Detail = "outcome",
    ) -> pyarrow.RecordBatch: ...
    @overload
    def decide_batch(
        self,
        transactions: pyarrow.Table,
        version: Optional[str] = None,
        detail: Detail = "outcome",
    ) -> pyarrow.Table: ...
    @overload
    def decide_batch(
        self,
        transactions: Union[str, bytes, list[Union[dict[str, Any], str]]],
        version: Optional[str] = None,
        detail: Detail = "outcome",
    ) -> list[dict[str, Any]]:
        """Decides many transactions on all cores with the GIL released. JSON lines or a list
        give a list of decisions (``{"line": N, "error": {...}}`` for one that cannot be
        decided); Arrow rows give the columns of ``decision_schema(detail)``."""
    def decision_schema(self, detail: Detail = "outcome") -> pyarrow.Schema:
        """The columns of ``decide_batch`` over Arrow: ``id``, ``policy_version``,
        ``policy_hash``, the outcome fields, ``trace``/``why_not`` when asked, ``error``."""
    @staticmethod
    def changes_schema() -> pyarrow.Schema:
        """The columns of ``changes``: ``row``, ``id``, ``changes``, ``error``."""
    @overload
    def changes(
        self, transactions: pyarrow.RecordBatch, from_version: str, to_version: str
    ) -> pyarrow.RecordBatch: ...
    @overload
    def changes(
        self, transactions: pyarrow.Table, from_version: str, to_version: str
    ) -> pyarrow.Table:
        """The rows whose decision differs between two versions, with what changed, and the
        rows neither version can decide."""
