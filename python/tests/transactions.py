"""Generated transactions of the `ear` contract, as JSON lines, for the tests and the benchmark.

Every value a decision turns on occurs, at and around its boundary (TPP 4800, density 5.92,
10^26 training operations, the 26,900,000 TPP limit, the dates between versions), in every item
kind and activity, with some lines that cannot be decided (an unknown country, an unknown end
use, a missing TPP, a date before any version). Numbers are written as exact decimal text.

    python3 python/tests/transactions.py 1000000 > transactions.jsonl
"""

import random
import sys
from decimal import Decimal

DATES = [
    "2023-12-01", "2024-05-01", "2024-12-10", "2025-01-15", "2025-01-16", "2025-03-01",
    "2025-06-01", "2025-12-31", "2026-01-15", "2026-06-01", "2027-12-31", "2028-01-01",
]
COUNTRIES = [
    "US", "IN", "CN", "MO", "HK", "VN", "AE", "SA", "DE", "JP", "IR", "RU", "KH", "IL", "BR",
    "GB", "SG", "MY", "FR", "KR", "TW", "CU", "VE",
]
TPP = [1599, 1600, 2399, 2400, 4799, 4800, 4801, 6000, 15832, 26900000]
DENSITY = ["0.5", "1.6", "3.2", "5.91", "5.92", "5.93", "19.45"]
HBM_DENSITY = ["1.9", "2", "2.01", "3.3"]
OPS = [10**26 - 1, 10**26, 2 * 10**26, 5 * 10**25]
ECCNS = ["3A090.a", "4A090.a", "5A992.z", "3A001.z", "1A001"]


def dumps(value):
    """JSON text with numbers written exactly (decimal.Decimal as its text)."""
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, (int, Decimal)):
        return str(value)
    if isinstance(value, str):
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if isinstance(value, list):
        return "[" + ",".join(dumps(item) for item in value) + "]"
    return "{" + ",".join(dumps(key) + ":" + dumps(item) for key, item in value.items()) + "}"


def item(rng):
    kind = rng.choice(["ic", "ic", "computer", "hbm", "model_weights"])
    if kind in ("ic", "computer"):
        item = {
            "kind": kind,
            "tpp": rng.choice(TPP) if rng.random() < 0.7 else rng.randint(100, 40000),
            "performance_density": Decimal(rng.choice(DENSITY)),
            "datacenter": rng.random() < 0.6,
        }
        if rng.random() < 0.5:
            item["dram_bandwidth_gbps"] = rng.choice([1000, 1400, 3350, 8000])
        if rng.random() < 0.2:
            item["model"] = rng.choice(["NVIDIA H100 SXM", "Huawei Ascend 910B", "AMD MI300X"])
        return item
    if kind == "hbm":
        return {"kind": kind, "memory_bandwidth_density": Decimal(rng.choice(HBM_DENSITY))}
    item = {
        "kind": kind,
        "training_ops": rng.choice(OPS),
        "published": rng.random() < 0.2,
        "derived_from_published": rng.random() < 0.3,
        "base_training_ops": rng.choice(OPS),
        "additional_training_ops": rng.choice([25 * 10**24, 25 * 10**24 + 1, 4 * 10**25]),
    }
    if rng.random() < 0.3:
        item["foreign_produced"] = True
        item["produced_with"] = rng.sample(ECCNS, rng.randint(0, 2))
    return item


def transaction(rng, number):
    facts = item(rng)
    hq = rng.choice(COUNTRIES)
    transaction = {
        "id": f"tx-{number:07d}",
        "date": rng.choice(DATES),
        "activity": rng.choice(["export", "export", "reexport", "transfer", "deemed_export"]),
        "item": facts,
        "quantity": 1 if facts["kind"] == "model_weights" else rng.choice([1, 8, 1000, 1700, 2000]),
        "destination": rng.choice(COUNTRIES),
        "end_user": {
            "hq": hq,
            "parent_hq": hq if rng.random() < 0.7 else rng.choice(COUNTRIES),
            "private_sector": rng.random() < 0.7,
            "permanent_employee": rng.random() < 0.3,
            "entity_list": rng.choice([None, None, None, "denial", "case_by_case", "approval"]),
        },
        "end_use": rng.choice(["datacenter", "development_production", "ai_training_4e091", "other"]),
        "knowledge": {"training_for_d5_hq": rng.random() < 0.1, "military_or_wmd": rng.random() < 0.05},
        "counters": {
            "consignee_tpp_this_year": rng.choice([0, 0, 1000000, 26000000, 26900000]),
            "country_tpp_allocated": rng.choice([0, 0, 500000000, 789000000]),
        },
        "diligence": {
            "no_purchase_history": rng.random() < 0.1,
            "evasive_location_or_parent": rng.random() < 0.05,
            "no_legitimate_need": rng.random() < 0.05,
            "restricted_party_address": rng.random() < 0.05,
        },
    }
    broken = rng.random()
    if broken < 0.003:
        transaction["destination"] = "XX"
    elif broken < 0.006:
        transaction["end_use"] = "smuggling"
    elif broken < 0.009 and "tpp" in facts:
        del facts["tpp"]
    elif broken < 0.012:
        transaction["date"] = "2020-01-01"
    return transaction


def lines(count, seed=19):
    """`count` transactions as JSON lines (without newlines)."""
    rng = random.Random(seed)
    return [dumps(transaction(rng, number)) for number in range(1, count + 1)]


if __name__ == "__main__":
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 1000
    out = sys.stdout
    rng = random.Random(19)
    for number in range(1, count + 1):
        out.write(dumps(transaction(rng, number)))
        out.write("\n")
