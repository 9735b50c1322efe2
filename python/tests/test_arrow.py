"""`decide_batch` and `changes` over Arrow, held to `cordon eval` and `cordon diff`."""

import json
from decimal import Decimal

import pyarrow as pa
import pytest

import cordon
from conftest import POLICY, ROOT, loads

CORPUS = ROOT / "tests" / "diff" / "ear-corpus.jsonl"
OUTCOME = ["classification", "license_required", "license_exceptions", "review_policy", "red_flags", "notices"]


def corpus_table():
    """The corpus as Arrow: nested records as struct columns, numbers as floats (as
    `pa.Table.from_pylist` gives them), absent fields as nulls."""
    return pa.Table.from_pylist([json.loads(line) for line in CORPUS.read_text().splitlines()])


def rows(table):
    return table.to_pylist()


def test_the_schema_has_the_outcome_fields_as_columns(policy):
    schema = policy.decision_schema()
    assert schema.names == ["id", "policy_version", "policy_hash", *OUTCOME, "error"]
    assert schema.field("license_required").type == pa.bool_()
    assert schema.field("classification").type == pa.list_(pa.string())
    assert schema.field("review_policy").type == pa.string()
    assert policy.decision_schema("explain").names[-3:] == ["trace", "why_not", "error"]


@pytest.mark.parametrize("version", [None, "2025-01-13"])
def test_arrow_rows_decide_as_cordon_eval_decides_their_lines(policy, cli, version):
    pin = ["--version", version] if version else []
    expected = cli("eval", "--policy", POLICY, "--no-trace", *pin, "--facts", CORPUS)
    table = corpus_table()
    decided = policy.decide_batch(table, version=version)
    assert isinstance(decided, pa.Table) and decided.schema == policy.decision_schema()
    got = rows(decided)
    assert len(got) == len(expected) == 82
    for row, line in zip(got, expected):
        assert row["error"] is None
        assert row["id"] == line["id"]
        assert row["policy_version"] == line["policy"]["version"]
        assert row["policy_hash"] == line["policy"]["hash"]
        assert {field: row[field] for field in OUTCOME} == line["outcome"]
    batch = policy.decide_batch(table.combine_chunks().to_batches()[0], version=version)
    assert isinstance(batch, pa.RecordBatch) and batch.to_pylist() == got


def test_the_trace_comes_as_json_text(policy, cli):
    expected = cli("eval", "--policy", POLICY, "--facts", CORPUS)
    decided = rows(policy.decide_batch(corpus_table(), detail="trace"))
    assert [loads(row["trace"]) for row in decided] == [line["trace"] for line in expected]


def facts_batch(density_type, densities, tpp_type=pa.int64(), tpps=None):
    example = loads((ROOT / "examples" / "h100-to-india.json").read_text())
    table = pa.Table.from_pylist([json.loads(json.dumps(example, default=str))] * len(densities))
    item = table.column("item").combine_chunks()
    fields = {name: item.field(name) for name in [f.name for f in item.type]}
    fields["performance_density"] = pa.array(densities, type=density_type)
    fields["tpp"] = pa.array(tpps or [1600] * len(densities), type=tpp_type)
    item = pa.StructArray.from_arrays(list(fields.values()), names=list(fields))
    return table.set_column(table.schema.get_field_index("item"), "item", item).combine_chunks().to_batches()[0]


def classification(policy, batch, version=None):
    return [row["classification"] for row in policy.decide_batch(batch, version).to_pylist()]


def test_decimal_columns_are_exact(policy):
    batch = facts_batch(pa.decimal128(20, 18), [Decimal("5.92"), Decimal("5.919999999999999999"), Decimal("5.91")])
    assert classification(policy, batch) == [["3A090.a"], ["3A090.b"], ["3A090.b"]]
    text = facts_batch(pa.decimal256(40, 2), [Decimal("5.92"), Decimal("5.91")])
    assert classification(policy, text) == [["3A090.a"], ["3A090.b"]]


def test_float_columns_are_read_as_their_shortest_decimal_text(policy):
    batch = facts_batch(pa.float64(), [5.92, 5.919999999999999, 5.920000000000001])
    assert classification(policy, batch) == [["3A090.a"], ["3A090.b"], ["3A090.a"]]
    single = facts_batch(pa.float32(), [5.92, 5.91])
    assert classification(policy, single) == [["3A090.a"], ["3A090.b"]]


def weights_batch(ops_type, ops):
    lines = [line for line in CORPUS.read_text().splitlines() if "fdpr-weights-trained-on-h100s" in line]
    facts = json.loads(lines[0])
    del facts["item"]["training_ops"]
    table = pa.Table.from_pylist([facts] * len(ops))
    item = table.column("item").combine_chunks()
    fields = {f.name: item.field(f.name) for f in item.type}
    fields["training_ops"] = pa.array(ops, type=ops_type)
    item = pa.StructArray.from_arrays(list(fields.values()), names=list(fields))
    return table.set_column(table.schema.get_field_index("item"), "item", item)


def test_ten_to_the_26_in_a_decimal_column_is_exact(policy):
    table = weights_batch(pa.decimal128(38, 0), [Decimal(10**26), Decimal(10**26 - 1)])
    decided = classification(policy, table, "2025-01-13")
    assert "4E091" in decided[0] and "4E091" not in decided[1]


def test_a_bad_row_is_an_error_of_its_row_and_the_rest_go_on(policy):
    batch = facts_batch(pa.float64(), [5.92, float("nan"), 5.91])
    decided = policy.decide_batch(batch).to_pylist()
    assert [row["classification"] for row in decided] == [["3A090.a"], None, ["3A090.b"]]
    error = json.loads(decided[1]["error"])
    assert error == {"kind": "facts", "errors": [{"path": "item.performance_density", "message": "NaN is not a number a fact can have"}]}
    assert decided[0]["error"] is None and decided[2]["error"] is None


def test_dates_may_be_date32_or_timestamps_at_midnight(policy):
    table = corpus_table()
    expected = rows(policy.decide_batch(table))
    index = table.schema.get_field_index("date")
    as_date = table.set_column(index, "date", table.column("date").cast(pa.date32()))
    assert rows(policy.decide_batch(as_date)) == expected
    as_timestamp = table.set_column(index, "date", table.column("date").cast(pa.timestamp("ms")))
    assert rows(policy.decide_batch(as_timestamp)) == expected
    noon = pa.array([1_000_000_000], type=pa.timestamp("s"))  # 2001-09-09 01:46:40
    one = table.slice(0, 1).set_column(index, "date", noon)
    error = json.loads(rows(policy.decide_batch(one))[0]["error"])
    assert error["errors"] == [{"path": "date", "message": "a timestamp with a time of day is not a date: give the date"}]


def test_a_column_that_cannot_hold_facts_is_refused_naming_it(policy):
    batch = facts_batch(pa.timestamp("s", tz="UTC"), [0, 1])
    with pytest.raises(cordon.FactError, match=r"item.performance_density: a column of type Timestamp") as raised:
        policy.decide_batch(batch)
    assert raised.value.path == "item.performance_density"


def test_unknown_columns_are_unknown_facts(policy):
    table = corpus_table().append_column("order_key", pa.array(range(82)))
    decided = rows(policy.decide_batch(table))
    assert all("order_key" in json.dumps(json.loads(row["error"])) for row in decided)


def test_changes_are_the_corpus_diff_of_cordon_diff(policy, cli_changes):
    _, expected = cli_changes(CORPUS, "2025-05-13", "2026-01-15")
    changed = policy.changes(corpus_table(), "2025-05-13", "2026-01-15")
    assert isinstance(changed, pa.Table) and changed.schema == cordon.Policy.changes_schema()
    got = {row["row"]: (row["id"], row["changes"]) for row in changed.to_pylist()}
    assert len(got) == 8
    assert got == expected
