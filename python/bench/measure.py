"""The three figures of `run.sh`, from one file of transactions: `cordon eval` (JSONL, trace
off), `Policy.decide_batch` on the same transactions as Arrow, and a Spark job in local[2]."""

import io
import os
import subprocess
import sys
import time
from pathlib import Path

import pyarrow as pa
import pyarrow.json

import cordon
import cordon.spark

ROOT = Path(__file__).resolve().parents[2]
POLICY = str(ROOT / "policies" / "ear")


def exact_schema(path):
    """The schema pyarrow infers from the first lines, with the numbers that have fractions or
    exceed 64 bits as decimals and the date as text."""
    with open(path, "rb") as source:
        first = b"".join(line for _, line in zip(range(20000), source))
    sample = pyarrow.json.read_json(io.BytesIO(first))
    item = sample.schema.field("item").type
    fields = []
    for field in item:
        if field.name in ("training_ops", "base_training_ops", "additional_training_ops"):
            field = field.with_type(pa.decimal128(38, 0))
        elif field.name in ("performance_density", "memory_bandwidth_density"):
            field = field.with_type(pa.decimal128(10, 2))
        fields.append(field)
    schema = sample.schema
    schema = schema.set(schema.get_field_index("item"), pa.field("item", pa.struct(fields)))
    return schema.set(schema.get_field_index("date"), pa.field("date", pa.string()))


def best(runs, measure):
    return min(measure() for _ in range(runs))


def main(path, count):
    count = int(count)
    cli = os.environ["CORDON_BIN"]

    decisions = Path(path).with_suffix(".decided.jsonl")

    def eval_seconds():
        start = time.perf_counter()
        with open(decisions, "wb") as out:
            subprocess.run([cli, "eval", "--policy", POLICY, "--no-trace", "--facts", path], stdout=out, check=False)
        return time.perf_counter() - start

    cli_seconds = best(3, eval_seconds)
    with open(decisions, "rb") as out:
        cli_errors = sum(1 for line in out if line.startswith(b'{"line":'))

    # Arrow: the transactions read once, decimals as decimal128 (exact), then decided; the time
    # is `decide_batch` alone.
    table = pyarrow.json.read_json(path, read_options=pyarrow.json.ReadOptions(block_size=16 << 20), parse_options=pyarrow.json.ParseOptions(explicit_schema=exact_schema(path)))
    policy = cordon.Policy.load(POLICY)

    def arrow_seconds():
        start = time.perf_counter()
        decided = policy.decide_batch(table)
        seconds = time.perf_counter() - start
        assert decided.num_rows == count
        return seconds

    arrow_seconds = best(3, arrow_seconds)
    decided = policy.decide_batch(table)
    errors = count - decided.column("error").null_count
    assert errors == cli_errors, (errors, cli_errors)

    from pyspark.sql import SparkSession

    os.environ["PYSPARK_PYTHON"] = sys.executable
    spark = (
        SparkSession.builder.master("local[2]")
        .config("spark.ui.enabled", "false")
        .config("spark.driver.memory", "4g")
        .config("spark.sql.execution.arrow.maxRecordsPerBatch", "20000")
        .getOrCreate()
    )
    spark.sparkContext.setLogLevel("ERROR")
    # The schema is inferred once, outside the timing, from the first 20,000 lines.
    sample = Path(path).with_suffix(".sample.jsonl")
    with open(path) as source, open(sample, "w") as out:
        for _, line in zip(range(20000), source):
            out.write(line)
    schema = spark.read.option("prefersDecimal", "true").json(str(sample)).schema

    def spark_seconds():
        start = time.perf_counter()
        df = spark.read.schema(schema).json(path)
        cordon.spark.decide(df, POLICY, keep=["id"]).write.format("noop").mode("overwrite").save()
        return time.perf_counter() - start

    spark_seconds = best(2, spark_seconds)
    spark.stop()

    print(f"{count:,} transactions ({count - errors:,} decided, {errors:,} errors), trace off")
    print(f"cordon eval (JSONL, read + decide + write):      {count / cli_seconds:12,.0f} decisions/s ({cli_seconds:.2f} s)")
    print(f"Policy.decide_batch (Arrow table -> Arrow):      {count / arrow_seconds:12,.0f} decisions/s ({arrow_seconds:.2f} s)")
    print(f"Spark local[2] (read JSON, mapInArrow, noop):    {count / spark_seconds:12,.0f} decisions/s ({spark_seconds:.2f} s)")
    print(f"cordon eval / decide_batch: {arrow_seconds / cli_seconds:.2f}x the time (target: within 1.5x)")


if __name__ == "__main__":
    main(*sys.argv[1:])
