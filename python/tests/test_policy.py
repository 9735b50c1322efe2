"""`Policy.load`, `versions`, `decide` and `decide_batch` over JSON, held to `cordon eval`."""

import copy
import json
import re
import threading
import time
from decimal import Decimal

import pytest

import cordon
from conftest import POLICY, ROOT, loads

EXAMPLE = ROOT / "examples" / "h100-to-india.json"
CORPUS = ROOT / "tests" / "diff" / "ear-corpus.jsonl"


def example():
    return loads(EXAMPLE.read_text())


def test_versions_carry_their_hashes_and_pins(policy, cli):
    ids = [version["id"] for version in policy.versions]
    assert ids == ["2023-11-17", "2024-04-04", "2024-12-02", "2025-01-13", "2025-05-13", "2026-01-15"]
    assert policy.name == "ear"
    decided = cli("eval", "--policy", POLICY, "--version", "2025-01-13", "--facts", EXAMPLE)[0]
    pinned = policy.versions[3]
    assert pinned["hash"] == decided["policy"]["hash"]
    assert pinned["pin"] == f"2025-01-13@{decided['policy']['hash']}"
    assert policy.pin("2025-01-13") == pinned["pin"]
    assert pinned["in_force_from"] is None  # reached only by pinning
    assert policy.versions[4]["in_force_from"] == "2025-05-13"


def test_a_path_that_is_not_a_policy_is_refused():
    with pytest.raises(cordon.PolicyError, match="no-such-policy"):
        cordon.Policy.load(str(ROOT / "no-such-policy"))


@pytest.mark.parametrize("detail,flags", [("outcome", ["--no-trace"]), ("trace", []), ("explain", ["--explain"])])
def test_decide_gives_what_cordon_eval_gives(policy, cli, detail, flags):
    for version in (None, "2025-01-13"):
        pin = ["--version", version] if version else []
        expected = cli("eval", "--policy", POLICY, "--format", "json", *pin, *flags, "--facts", EXAMPLE)[0]
        assert policy.decide(example(), version, detail) == expected
        assert policy.decide(EXAMPLE.read_text(), version=version, detail=detail) == expected
        assert policy.decide(EXAMPLE.read_bytes(), version=version, detail=detail) == expected


def test_the_version_in_force_decides_unless_one_is_pinned(policy):
    decided = policy.decide(example())
    assert decided["policy"]["version"] == "2025-05-13"
    assert decided["outcome"]["license_required"] is False
    assert decided["trace"] == []
    pinned = policy.decide(example(), version=policy.pin("2025-01-13"))
    assert pinned["outcome"]["license_required"] is True


def density(value, tpp=1600):
    facts = example()
    facts["item"]["tpp"] = tpp
    facts["item"]["performance_density"] = value
    return facts


@pytest.mark.parametrize("value", [Decimal("5.92"), 5.92, "text"])
def test_a_density_of_exactly_5_92_is_3a090a(policy, value):
    facts = density(Decimal("5.92") if value == "text" else value)
    given = json.dumps(facts, default=str).replace('"5.92"', "5.92") if value == "text" else facts
    assert policy.decide(given)["outcome"]["classification"] == ["3A090.a"]


def test_numbers_are_exact_and_a_float_is_read_as_its_repr(policy):
    assert policy.decide(density(Decimal("5.91")))["outcome"]["classification"] == ["3A090.b"]
    # 5.919999999999999 is a different float from 5.92, and is read as that text: below 5.92.
    assert policy.decide(density(5.919999999999999))["outcome"]["classification"] == ["3A090.b"]
    assert policy.decide(density(Decimal("5.9199999999999999999")))["outcome"]["classification"] == ["3A090.b"]


def weights(training_ops):
    lines = [line for line in CORPUS.read_text().splitlines() if "fdpr-weights-trained-on-h100s" in line]
    facts = loads(lines[0])
    facts["item"]["training_ops"] = training_ops
    facts["item"]["foreign_produced"] = False
    del facts["item"]["produced_with"]
    return facts


def test_ten_to_the_26_operations_is_exact(policy):
    assert "4E091" in policy.decide(weights(10**26), "2025-01-13")["outcome"]["classification"]
    assert "4E091" in policy.decide(weights(Decimal("1E+26")), "2025-01-13")["outcome"]["classification"]
    assert "4E091" in policy.decide(weights(1e26), "2025-01-13")["outcome"]["classification"]
    assert "4E091" not in policy.decide(weights(10**26 - 1), "2025-01-13")["outcome"]["classification"]


def test_decided_numbers_come_back_exact(policy):
    facts = example()
    facts["item"]["performance_density"] = Decimal("19.45")
    decided = policy.decide(facts, "2025-01-13", "trace")
    read = [entry["facts"] for entry in decided["trace"] if "item.performance_density" in entry["facts"]]
    assert read and all(value["item.performance_density"] == Decimal("19.45") for value in read)
    assert all(type(value["item.performance_density"]) is Decimal for value in read)


def test_a_fact_that_does_not_fit_raises_with_its_path(policy):
    facts = example()
    facts["item"]["tpp"] = "high"
    with pytest.raises(cordon.FactError) as raised:
        policy.decide(facts)
    error = raised.value
    assert error.path == "item.tpp"
    assert error.kind == "facts"
    assert error.errors == [{"path": "item.tpp", "message": 'expected a number, found "high"'}]
    assert str(error) == 'item.tpp: expected a number, found "high"'
    assert error.error == {"kind": "facts", "errors": error.errors}
    assert isinstance(error, cordon.DecisionError) and isinstance(error, cordon.CordonError)


def test_every_problem_is_listed(policy):
    facts = example()
    facts["destination"] = "XX"
    facts["end_use"] = "smuggling"
    with pytest.raises(cordon.FactError) as raised:
        policy.decide(facts)
    assert [problem["path"] for problem in raised.value.errors] == ["destination", "end_use"]
    assert raised.value.path == "destination"


def test_a_missing_fact_the_decision_needs_names_it(policy, cli, tmp_path):
    facts = example()
    del facts["item"]["tpp"]
    with pytest.raises(cordon.EvaluationError) as raised:
        policy.decide(facts)
    assert raised.value.path == "item.tpp"
    assert "missing" in str(raised.value)
    line = tmp_path / "one.jsonl"
    line.write_text(json.dumps(facts, default=str).replace('"19.45"', "19.45") + "\n")
    assert cli("eval", "--policy", POLICY, "--facts", line)[0]["error"] == raised.value.error


def test_versions_that_cannot_decide_raise_version_error(policy):
    with pytest.raises(cordon.VersionError, match="no version `1999-01-01`"):
        policy.decide(example(), version="1999-01-01")
    with pytest.raises(cordon.VersionError, match="the rules changed since the pin"):
        policy.decide(example(), version="2025-01-13@sha256:" + "0" * 64)
    facts = example()
    facts["date"] = "2020-01-01"
    with pytest.raises(cordon.VersionError) as raised:
        policy.decide(facts)
    assert raised.value.path is None and raised.value.kind == "version"


@pytest.mark.parametrize(
    "value,message",
    [
        (float("nan"), "NaN is not a number a fact can have"),
        (Decimal("Infinity"), "Decimal('Infinity') is not a number a fact can have"),
        ({1, 2}, "a `set` cannot be a fact's value"),
    ],
)
def test_python_values_without_a_json_form_are_refused_with_their_path(policy, value, message):
    facts = example()
    facts["item"]["tpp"] = value
    with pytest.raises(cordon.FactError, match=re.escape(message)) as raised:
        policy.decide(facts)
    assert raised.value.path == "item.tpp"


def test_dates_may_be_datetime_dates_but_not_datetimes(policy):
    import datetime

    facts = example()
    facts["date"] = datetime.date(2025, 6, 1)
    assert policy.decide(facts) == policy.decide(example())
    facts["date"] = datetime.datetime(2025, 6, 1, 12, 0)
    with pytest.raises(cordon.FactError, match="a datetime is not a date") as raised:
        policy.decide(facts)
    assert raised.value.path == "date"


def test_bad_arguments_are_type_and_value_errors(policy):
    with pytest.raises(TypeError, match="facts must be a dict or JSON text"):
        policy.decide(42)
    with pytest.raises(ValueError, match='detail must be "outcome", "trace" or "explain"'):
        policy.decide(example(), detail="everything")
    with pytest.raises(ValueError, match="no transaction in the batch"):
        policy.decide_batch("\n  \n")


def corpus_with_bad_lines():
    lines = CORPUS.read_text().splitlines()
    return lines[:10] + ["", "not json", '{"date": "2025-06-01", "destination": "XX"}', "[1]"] + lines[10:]


def test_decide_batch_of_json_lines_gives_what_cordon_eval_gives(policy, cli, tmp_path):
    lines = corpus_with_bad_lines()
    path = tmp_path / "batch.jsonl"
    path.write_text("\n".join(lines) + "\n")
    for flags, detail in ((["--no-trace"], "outcome"), ([], "trace")):
        expected = cli("eval", "--policy", POLICY, "--format", "json", *flags, "--facts", path)
        assert len(expected) == len(lines)
        assert policy.decide_batch("\n".join(lines) + "\n", detail=detail) == expected
        assert policy.decide_batch(path.read_bytes(), detail=detail) == expected
    pinned = cli("eval", "--policy", POLICY, "--version", "2025-01-13", "--no-trace", "--facts", path)
    assert policy.decide_batch(path.read_text(), version="2025-01-13") == pinned


def test_decide_batch_of_a_list_numbers_its_items(policy):
    transactions = [example(), EXAMPLE.read_text(), 42, {"date": "2025-06-01", "item": {"tpp": float("inf")}}]
    decided = policy.decide_batch(transactions)
    assert decided[0] == decided[1] == policy.decide(example())
    assert decided[2] == {"line": 3, "error": {"kind": "facts", "errors": [{"path": "", "message": "a transaction must be a dict or JSON text, not `int`"}]}}
    assert decided[3]["line"] == 4 and decided[3]["error"]["errors"][0]["path"] == "item.tpp"


def test_a_batch_with_an_unknown_pin_is_refused_before_deciding(policy):
    with pytest.raises(cordon.VersionError):
        policy.decide_batch(EXAMPLE.read_text().replace("\n", " "), version="1999-01-01")


def test_the_gil_is_released_while_deciding(policy):
    import pyarrow as pa

    one = example()
    rows = pa.Table.from_pylist([copy.deepcopy(one) for _ in range(1)]).to_batches()[0]
    batch = pa.concat_tables([pa.Table.from_batches([rows])] * 60000).combine_chunks().to_batches()[0]
    done = threading.Event()
    took = {}

    def work():
        start = time.perf_counter()
        policy.decide_batch(batch)
        took["seconds"] = time.perf_counter() - start
        done.set()

    thread = threading.Thread(target=work)
    gaps, last = [], time.perf_counter()
    thread.start()
    while not done.is_set():
        now = time.perf_counter()
        gaps.append(now - last)
        last = now
        time.sleep(0.001)
    thread.join()
    # While the batch is decided this thread keeps running: no pause near the batch's length.
    assert took["seconds"] > 0.05
    assert max(gaps) < took["seconds"] / 2
