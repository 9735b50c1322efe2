"""Cordon: export-control rules as code, decided from Python.

Load a policy once, then decide transactions (the JSON facts of the policy's contract):

>>> import cordon
>>> policy = cordon.Policy.load("policies/ear")
>>> decision = policy.decide({"date": "2025-06-01", ...})            # doctest: +SKIP
>>> decision["outcome"]["license_required"]                          # doctest: +SKIP
False

``policy.decide_batch`` decides JSON lines, a list of transactions, or Arrow rows
(``pyarrow.RecordBatch`` / ``pyarrow.Table``) on all cores with the GIL released;
``cordon.spark`` decides Spark DataFrames. Numbers are exact: give ``int``,
``decimal.Decimal`` or Arrow decimals; a ``float`` is read as its shortest decimal
text (its ``repr``), so ``5.92`` is 5.92, but a computed float keeps its binary error.
Decisions come back with whole numbers as ``int`` and others as ``decimal.Decimal``.
"""

from ._cordon import (
    CordonError,
    DecisionError,
    EvaluationError,
    FactError,
    Policy,
    PolicyError,
    VersionError,
    __version__,
)

__all__ = [
    "CordonError",
    "DecisionError",
    "EvaluationError",
    "FactError",
    "Policy",
    "PolicyError",
    "VersionError",
    "__version__",
]
