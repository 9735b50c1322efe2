"""Fixtures: the EAR policy, loaded once, and the `cordon` command line the tests compare with."""

import json
import os
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
POLICY = ROOT / "policies" / "ear"
sys.path.insert(0, str(Path(__file__).resolve().parent))


@pytest.fixture(scope="session")
def policy():
    import cordon

    return cordon.Policy.load(str(POLICY))


@pytest.fixture(scope="session")
def cordon_bin():
    """The `cordon` binary: `CORDON_BIN`, else the workspace's debug build."""
    path = Path(os.environ.get("CORDON_BIN", ROOT / "target" / "debug" / "cordon"))
    if not path.exists():
        pytest.fail(f"no `cordon` binary at {path}: run `cargo build` or set CORDON_BIN")
    return path


def loads(text):
    """JSON as the package gives it: numbers with a point as decimal.Decimal."""
    return json.loads(text, parse_float=Decimal)


@pytest.fixture(scope="session")
def cli(cordon_bin):
    """Runs `cordon ARGS...` and returns its JSON lines, parsed, or with `whole=True` its one
    JSON document (exit status 0 or 1)."""

    def run(*args, whole=False):
        done = subprocess.run(
            [str(cordon_bin), *map(str, args)], capture_output=True, text=True, cwd=ROOT
        )
        assert done.returncode in (0, 1), done.stderr
        if whole:
            return loads(done.stdout)
        return [loads(line) for line in done.stdout.splitlines()]

    return run


def change_text(change):
    """A change of a `cordon diff` report in the words `Policy.changes` uses."""
    plain = lambda value: value if isinstance(value, str) else json.dumps(value)
    if "added" in change:
        members = [f"-{plain(m)}" for m in change["removed"]] + [f"+{plain(m)}" for m in change["added"]]
        return f"{change['field']}: {' '.join(members)}"
    return f"{change['field']}: {plain(change['from'])} -> {plain(change['to'])}"


@pytest.fixture(scope="session")
def cli_changes(cli):
    """Runs `cordon diff --facts PATH` between two versions and returns its corpus report and the
    changed lines, {line index: (id, [change in words, ...])}."""

    def run(path, old, new):
        report = cli("diff", "--policy", POLICY, "--from", old, "--to", new, "--facts", path, "--format", "json", whole=True)["corpus"]
        changed = {}
        for group in report["groups"]:
            words = [change_text(change) for change in group["changes"]]
            for transaction in group["transactions"]:
                changed[transaction["line"] - 1] = (transaction.get("id"), words)
        return report, changed

    return run
