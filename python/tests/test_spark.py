"""`cordon.spark` in a real Spark (`local[2]`), held to `cordon eval` and `cordon diff` on the same
generated transactions. Needs pyspark and a JDK (`.ci/run` installs both)."""

import json
import os
import sys

import pytest

from conftest import POLICY, loads
from transactions import lines

if os.environ.get("CORDON_REQUIRE_SPARK"):
    import pyspark  # noqa: F401 (in CI a missing pyspark is a failure, not a skip)
else:
    pytest.importorskip("pyspark")

import cordon  # noqa: E402
import cordon.spark  # noqa: E402

COUNT = int(os.environ.get("CORDON_SPARK_TRANSACTIONS", "20000"))
OUTCOME = ["classification", "license_required", "license_exceptions", "review_policy", "red_flags", "notices"]


@pytest.fixture(scope="module")
def spark():
    from pyspark.sql import SparkSession

    os.environ["PYSPARK_PYTHON"] = sys.executable
    os.environ["PYSPARK_DRIVER_PYTHON"] = sys.executable
    session = (
        SparkSession.builder.master("local[2]")
        .appName("cordon-tests")
        .config("spark.ui.enabled", "false")
        .config("spark.sql.shuffle.partitions", "2")
        .getOrCreate()
    )
    yield session
    session.stop()


@pytest.fixture(scope="module")
def generated(tmp_path_factory):
    """The generated transactions as a `.jsonl` file, and each line's id."""
    text = lines(COUNT)
    path = tmp_path_factory.mktemp("spark") / "transactions.jsonl"
    path.write_text("\n".join(text) + "\n")
    return path, [loads(line)["id"] for line in text]


def frame(spark, path):
    # Decimals stay decimals: `prefersDecimal` reads 5.92 as decimal(…, 2), not as a double.
    return spark.read.option("prefersDecimal", "true").json(str(path))


def test_a_spark_job_decides_as_cordon_eval(spark, cli, generated):
    path, ids = generated
    expected = {}
    for number, line in enumerate(cli("eval", "--policy", POLICY, "--no-trace", "--facts", path), start=1):
        expected[ids[number - 1]] = line
    decided = cordon.spark.decide(frame(spark, path), str(POLICY), keep=["id"]).collect()
    assert len(decided) == COUNT
    errors = 0
    for row in decided:
        row = row.asDict()
        line = expected.pop(row["id"])
        if "error" in line:
            errors += 1
            assert row["error"] is not None, row["id"]
            assert json.loads(row["error"]) == line["error"], row["id"]
        else:
            assert row["error"] is None, (row["id"], row["error"])
            assert {field: row[field] for field in OUTCOME} == line["outcome"], row["id"]
            assert (row["policy_version"], row["policy_hash"]) == (line["policy"]["version"], line["policy"]["hash"])
    assert not expected
    # The generator writes a few lines that cannot be decided, and they are errors in both.
    assert 0 < errors < COUNT // 20


def test_a_pinned_spark_job_decides_with_the_pinned_sources(spark, cli, generated):
    path, ids = generated
    expected = cli("eval", "--policy", POLICY, "--no-trace", "--version", "2025-01-13", "--facts", path)
    decided = cordon.spark.decide(frame(spark, path).limit(2000), str(POLICY), version="2025-01-13", keep=["id"])
    pin = cordon.Policy.load(str(POLICY)).pin("2025-01-13")
    by_id = {ids[i]: line for i, line in enumerate(expected)}
    for row in decided.collect():
        line = by_id[row["id"]]
        if row["error"] is None:
            assert f"{row['policy_version']}@{row['policy_hash']}" == pin
            assert {field: row[field] for field in OUTCOME} == line["outcome"]


def test_the_changes_between_two_versions_are_cordon_diffs(spark, cli_changes, generated):
    path, ids = generated
    report, changed_lines = cli_changes(path, "2025-05-13", "2026-01-15")
    expected = {ids[line]: sorted(words) for line, (_, words) in changed_lines.items()}
    errors = {ids[error["line"] - 1] for error in report["errors"]}
    changed = cordon.spark.changes(frame(spark, path), str(POLICY), "2025-05-13", "2026-01-15", keep=["id"]).collect()
    got = {row["id"]: sorted(row["changes"]) for row in changed if row["error"] is None}
    assert got == expected and len(got) == report["changed"] > 0
    assert {row["id"] for row in changed if row["error"] is not None} == errors


def test_an_executor_with_other_sources_refuses_to_decide(spark, generated, tmp_path):
    import shutil

    path, _ = generated
    copy = tmp_path / "ear"
    shutil.copytree(POLICY, copy)
    job = cordon.spark.decide(frame(spark, path).limit(10), str(copy))
    # The sources change after the driver pinned them: the executors refuse them.
    version = copy / "2026-01-15" / "version.cordon"
    version.write_text(version.read_text() + "\n")
    with pytest.raises(Exception, match="is not the driver's"):
        job.collect()
