"""Population screening throughput: compiled SQL (DuckDB, Spark local) vs the per-patient evaluator.

For each size a synthetic OMOP CDM is generated into ``--work`` (default /tmp/cartrial-bench;
reused when already there, ``--fresh`` to regenerate; generation time printed), then the five seed
trials are compiled and run on DuckDB in a fresh process: persons/s for the five trials together
and that process's peak resident memory (``--memory-limit 3GB`` caps DuckDB, which then spills). The evaluator screens a systematic sample of persons
of the smallest CDM (only the sampled persons are read and converted to Patients) and its rate is
extrapolated to the whole CDM, labelled as such; the ratio is per person x five trials.
``--spark N`` adds Spark local[2] on N persons (parquet files; driver and JVM peak memory).

    python bench/population_bench.py --sizes 100000,1000000,5000000 --evaluator 2000
    python bench/population_bench.py --sizes 1000000,5000000 --evaluator 0 --memory-limit 3GB
    python bench/population_bench.py --sizes 100000 --evaluator 0 --spark 1000000
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

AS_OF = "2025-06-30"

_GEN = """
import sys
from pathlib import Path
from cartrial.synth.omop import write_duckdb, write_parquet
n, seed, out = int(sys.argv[1]), int(sys.argv[2]), Path(sys.argv[3])
(write_parquet if sys.argv[4] == "parquet" else write_duckdb)(n, seed, out)
"""

_DUCK = """
import json, resource, sys, time
from datetime import date
from cartrial.services.bundled_protocols import load_protocols
from cartrial.sql.cdm import DuckDBConnection, inspect
from cartrial.sql.compile import compile_protocol
con = DuckDBConnection(sys.argv[1], memory_limit=sys.argv[3] or None); cdm = inspect(con)
day = date.fromisoformat(sys.argv[2])
compile_s = run_s = 0.0; per = {}
for nct, protocol in sorted(load_protocols().items()):
    t = time.perf_counter(); sql = compile_protocol(protocol, cdm, as_of=day).sql("duckdb")
    compile_s += time.perf_counter() - t
    t = time.perf_counter(); rows = con.query(sql).num_rows; per[nct] = time.perf_counter() - t
    run_s += per[nct]
print(json.dumps({"compile_s": compile_s, "run_s": run_s, "rows": rows, "per_trial": per,
                  "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""

_SPARK = """
import json, os, resource, sys, time
from datetime import date
from pathlib import Path
from cartrial.services.bundled_protocols import load_protocols
from cartrial.sql.cdm import SparkConnection, inspect, spark_session
from cartrial.sql.compile import compile_protocol
session = spark_session("local[2]")
con = SparkConnection(session, sys.argv[1]); cdm = inspect(con); day = date.fromisoformat(sys.argv[2])
t = time.perf_counter(); per = {}
for nct, protocol in sorted(load_protocols().items()):
    s = time.perf_counter()
    rows = con.query(compile_protocol(protocol, cdm, as_of=day).sql("spark")).num_rows
    per[nct] = time.perf_counter() - s
run_s = time.perf_counter() - t

def descendants(pid):
    out = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        for kid in (task / "children").read_text().split():
            out += [int(kid), *descendants(int(kid))]
    return out

jvm_mb = 0.0
for pid in descendants(os.getpid()):
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            jvm_mb += int(line.split()[1]) / 1024
session.stop()
print(json.dumps({"run_s": run_s, "rows": rows, "per_trial": per, "jvm_mb": jvm_mb,
                  "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""

_EVAL = """
import json, sys, time
from datetime import date
from cartrial.evaluate import screen
from cartrial.ingest.omop import read_patients
from cartrial.services.bundled_protocols import load_protocols
from cartrial.sql.cdm import DuckDBConnection
con = DuckDBConnection(sys.argv[1]); sample = int(sys.argv[3])
total = con.query("SELECT COUNT(*) AS n FROM person").column("n")[0].as_py()
step = max(1, total // sample)  # a systematic sample: every step-th person by id
ids = con.query(f"SELECT person_id FROM person WHERE person_id % {step} = 0 "
                f"ORDER BY person_id LIMIT {sample}").column("person_id").to_pylist()
t = time.perf_counter(); patients = read_patients(con, person_ids=ids)
adapt = time.perf_counter() - t
day = date.fromisoformat(sys.argv[2]); protocols = list(load_protocols().values())
t = time.perf_counter()
for p in patients:
    for protocol in protocols:
        screen(protocol, p, as_of=day)
print(json.dumps({"eval_s": time.perf_counter() - t, "persons": len(patients), "total": total,
                  "adapter_s": adapt}))
"""


def _child(code: str, *args: str) -> dict[str, Any]:
    out = subprocess.run(
        [sys.executable, "-c", code, *args], check=True, capture_output=True, text=True
    )
    result: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


def _cdm(work: Path, n: int, seed: int, kind: str, fresh: bool) -> tuple[Path, str]:
    """The synthetic CDM of ``n`` persons (generated unless already there); its generation."""
    path = work / (f"omop_{n}.duckdb" if kind == "duckdb" else f"omop_{n}_parquet")
    if path.exists() and not fresh:
        return path, "reused"
    if path.exists():
        subprocess.run(["rm", "-rf", str(path)], check=True)
    t = time.perf_counter()
    subprocess.run([sys.executable, "-c", _GEN, str(n), str(seed), str(path), kind], check=True)
    gen = time.perf_counter() - t
    return path, f"{gen:.1f} s ({n / gen:,.0f}/s)"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="100000,1000000")
    parser.add_argument(
        "--evaluator", type=int, default=2000, help="sampled persons for the per-patient evaluator"
    )
    parser.add_argument("--spark", type=int, default=0, help="persons for Spark local[2]")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--work", type=Path, default=Path("/tmp/cartrial-bench"))
    parser.add_argument("--fresh", action="store_true", help="regenerate existing CDMs")
    parser.add_argument(
        "--memory-limit", default="", help="DuckDB memory_limit, e.g. 3GB (default: DuckDB's)"
    )
    args = parser.parse_args()
    args.work.mkdir(parents=True, exist_ok=True)
    sizes = [int(s) for s in args.sizes.split(",") if s]
    print(
        f"{'persons':>10} {'generated':>20} {'compile s':>10} {'SQL s':>8} "
        f"{'s per 1M':>9} {'persons/s (5 trials)':>21} {'peak MB':>8}",
        flush=True,
    )
    sql_rate: dict[int, float] = {}
    for n in sizes:
        path, gen = _cdm(args.work, n, args.seed, "duckdb", args.fresh)
        r = _child(_DUCK, str(path), AS_OF, args.memory_limit)
        sql_rate[n] = n / r["run_s"]
        print(
            f"{n:>10,} {gen:>20} {r['compile_s']:>10.1f} {r['run_s']:>8.1f} "
            f"{r['run_s'] * 1e6 / n:>9.1f} {sql_rate[n]:>21,.0f} {r['peak_mb']:>8.0f}",
            flush=True,
        )
        per = ", ".join(f"{k} {v:.1f}" for k, v in r["per_trial"].items())
        print(f"{'':>10} per trial (s): {per}", flush=True)
    if args.evaluator and sizes:
        n = sizes[0]
        path, _ = _cdm(args.work, n, args.seed, "duckdb", False)
        r = _child(_EVAL, str(path), AS_OF, str(args.evaluator))
        rate = r["persons"] / r["eval_s"]
        whole = r["total"] / rate
        print(
            f"evaluator: a sample of {r['persons']:,.0f} of {r['total']:,.0f} persons x 5 trials "
            f"in {r['eval_s']:.1f} s = {rate:,.1f} persons/s "
            f"({1000 * r['eval_s'] / r['persons'] / 5:.2f} ms per patient x trial; adapter "
            f"{r['adapter_s']:.1f} s for the sample); extrapolated to all {r['total']:,.0f}: "
            f"{whole:,.0f} s. SQL on DuckDB / evaluator at {n:,}: {sql_rate[n] / rate:,.0f}x",
            flush=True,
        )
    if args.spark:
        path, gen = _cdm(args.work, args.spark, args.seed, "parquet", args.fresh)
        r = _child(_SPARK, str(path), AS_OF)
        per = ", ".join(f"{k} {v:.1f}" for k, v in r["per_trial"].items())
        print(
            f"spark local[2]: {args.spark:,} persons (parquet generated {gen}) x 5 trials in "
            f"{r['run_s']:.1f} s = {args.spark / r['run_s']:,.0f} persons/s; peak memory "
            f"driver {r['peak_mb']:.0f} MB + JVM {r['jvm_mb']:.0f} MB; per trial (s): {per}"
        )


if __name__ == "__main__":
    main()
