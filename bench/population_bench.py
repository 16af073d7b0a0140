"""Population screening throughput: compiled SQL (DuckDB, Spark local) vs the per-patient evaluator.

For each size a synthetic OMOP CDM is generated (its rate is printed too), then the five seed
trials are compiled and run on DuckDB in a fresh process; persons/s and that process's peak
resident memory are printed. The evaluator runs on a sample of persons from the smallest
population (``--evaluator``; 100,000 as the issue asks takes hours on a shared machine) and the
ratio is per person x five trials. ``--spark N`` adds Spark local[2] on N persons.

    python bench/population_bench.py --sizes 100000,1000000 --evaluator 2000 --spark 20000
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

AS_OF = "2025-06-30"

_DUCK = """
import json, resource, sys, time
from datetime import date
from cartrial.services.bundled_protocols import load_protocols
from cartrial.sql.cdm import DuckDBConnection, inspect
from cartrial.sql.compile import compile_protocol
con = DuckDBConnection(sys.argv[1]); cdm = inspect(con)
compile_s = run_s = 0.0
for nct, protocol in load_protocols().items():
    t = time.perf_counter(); c = compile_protocol(protocol, cdm, as_of=date.fromisoformat(sys.argv[2]))
    sql = c.sql("duckdb"); compile_s += time.perf_counter() - t
    t = time.perf_counter(); rows = con.query(sql).num_rows; run_s += time.perf_counter() - t
print(json.dumps({"compile_s": compile_s, "run_s": run_s, "rows": rows,
                  "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""

_SPARK = """
import json, resource, sys, time
from datetime import date
from cartrial.services.bundled_protocols import load_protocols
from cartrial.sql.cdm import SparkConnection, inspect, spark_session
con = SparkConnection(spark_session("local[2]"), sys.argv[1]); cdm = inspect(con)
from cartrial.sql.compile import compile_protocol
t = time.perf_counter()
for nct, protocol in load_protocols().items():
    rows = con.query(compile_protocol(protocol, cdm, as_of=date.fromisoformat(sys.argv[2]))
                     .sql("spark")).num_rows
print(json.dumps({"run_s": time.perf_counter() - t, "rows": rows,
                  "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""

_EVAL = """
import json, sys, time
from datetime import date
from cartrial.evaluate import screen
from cartrial.ingest.omop import read_patients
from cartrial.services.bundled_protocols import load_protocols
from cartrial.sql.cdm import DuckDBConnection
con = DuckDBConnection(sys.argv[1])
t = time.perf_counter(); patients = read_patients(con)[: int(sys.argv[3])]
adapt = time.perf_counter() - t
day = date.fromisoformat(sys.argv[2]); protocols = list(load_protocols().values())
t = time.perf_counter()
for p in patients:
    for protocol in protocols:
        screen(protocol, p, as_of=day)
print(json.dumps({"eval_s": time.perf_counter() - t, "persons": len(patients),
                  "adapter_s": adapt}))
"""


def _child(code: str, *args: str) -> dict[str, float]:
    out = subprocess.run(
        [sys.executable, "-c", code, *args], check=True, capture_output=True, text=True
    )
    result: dict[str, float] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="100000,1000000")
    parser.add_argument(
        "--evaluator",
        type=int,
        default=2000,
        help="persons screened by the per-patient evaluator (sample)",
    )
    parser.add_argument("--spark", type=int, default=0, help="persons for Spark local[2]")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    from cartrial.synth.omop import write_duckdb, write_parquet

    sizes = [int(s) for s in args.sizes.split(",") if s]
    work = Path(tempfile.mkdtemp(prefix="cartrial-bench-"))
    print(
        f"{'persons':>10} {'gen s':>8} {'gen p/s':>10} {'compile s':>10} {'SQL s':>8} "
        f"{'persons/s (5 trials)':>22} {'peak MB':>8}"
    )
    sql_rate: dict[int, float] = {}
    for n in sizes:
        path = work / f"cdm_{n}.duckdb"
        t = time.perf_counter()
        write_duckdb(n, args.seed, path)
        gen = time.perf_counter() - t
        r = _child(_DUCK, str(path), AS_OF)
        sql_rate[n] = n / r["run_s"]
        print(
            f"{n:>10,} {gen:>8.1f} {n / gen:>10,.0f} {r['compile_s']:>10.1f} {r['run_s']:>8.1f} "
            f"{sql_rate[n]:>22,.0f} {r['peak_mb']:>8.0f}",
            flush=True,
        )
    if args.evaluator and sizes:
        r = _child(_EVAL, str(work / f"cdm_{sizes[0]}.duckdb"), AS_OF, str(args.evaluator))
        rate = r["persons"] / r["eval_s"]
        print(
            f"evaluator: {r['persons']:,.0f} persons x 5 trials in {r['eval_s']:.1f} s = "
            f"{rate:,.1f} persons/s ({1000 * r['eval_s'] / r['persons'] / 5:.2f} ms per "
            f"patient x trial); adapter {r['adapter_s']:.1f} s for the whole CDM; "
            f"SQL/evaluator ratio at {sizes[0]:,}: {sql_rate[sizes[0]] / rate:,.0f}x"
        )
    if args.spark:
        d = write_parquet(args.spark, args.seed, work / f"parquet_{args.spark}")
        r = _child(_SPARK, str(d), AS_OF)
        print(
            f"spark local[2]: {args.spark:,} persons x 5 trials in {r['run_s']:.1f} s = "
            f"{args.spark / r['run_s']:,.0f} persons/s (driver peak {r['peak_mb']:.0f} MB; "
            "JVM not counted)"
        )


if __name__ == "__main__":
    main()
