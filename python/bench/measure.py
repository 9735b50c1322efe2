"""The three figures of `run.sh`, from one file of transactions: `cordon eval` (JSONL, trace
off), `Policy.decide_batch` on the same transactions as Arrow, and a Spark job in local[2]."""

import os
import subprocess
import sys
import time
from pathlib import Path

import pyarrow as pa
import pyarrow.json

import cordon

ROOT = Path(__file__).resolve().parents[2]
POLICY = str(ROOT / "policies" / "ear")


def best(runs, measure):
    return min(measure() for _ in range(runs))


def main(path, count):
    count = int(count)
    cli = os.environ["CORDON_BIN"]

    def eval_seconds():
        start = time.perf_counter()
        with open(os.devnull, "wb") as out:
            subprocess.run([cli, "eval", "--policy", POLICY, "--no-trace", "--facts", path], stdout=out, check=False)
        return time.perf_counter() - start

    cli_seconds = best(3, eval_seconds)

    # Arrow: the transactions read once (numbers as doubles, read back exactly as their
    # shortest text), then decided; the time is `decide_batch` alone.
    table = pyarrow.json.read_json(path, read_options=pyarrow.json.ReadOptions(block_size=16 << 20))
    policy = cordon.Policy.load(POLICY)

    def arrow_seconds():
        start = time.perf_counter()
        decided = policy.decide_batch(table)
        seconds = time.perf_counter() - start
        assert decided.num_rows == count
        return seconds

    arrow_seconds = best(3, arrow_seconds)
    decided = policy.decide_batch(table)
    errors = decided.column("error").null_count

    from pyspark.sql import SparkSession

    import cordon.spark

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
