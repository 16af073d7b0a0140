"""CLI start-up: wall time of ``cartrial --help`` and of ``cartrial match`` on one demo bundle.

Prints the median of 10 runs of each (issue 11 targets: --help <= 0.15 s, match <= 0.5 s).
Run: .venv/bin/python bench/cli_startup.py
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CLI = [sys.executable, "-m", "cartrial.cli"]


def _demo_bundle() -> Path:
    import cartrial.resources as res

    bundles = sorted((res.examples_dir() / "patients").glob("*.json"))
    if not bundles:
        raise SystemExit("no demo bundle found")
    return bundles[0]


def wall(args: list[str], runs: int = 10) -> tuple[float, float]:
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        subprocess.run(args, check=True, capture_output=True)
        times.append(time.perf_counter() - t0)
    return statistics.median(times), max(times)


def main() -> None:
    bundle = _demo_bundle()
    python_only = wall([sys.executable, "-c", "pass"])
    help_ = wall([*CLI, "--help"])
    match = wall([*CLI, "match", str(bundle), "--as-of", "2026-11-22", "--format", "json"])
    print(
        f"python -c pass            median {python_only[0] * 1000:7.1f} ms  max {python_only[1] * 1000:7.1f} ms"
    )
    print(
        f"cartrial --help           median {help_[0] * 1000:7.1f} ms  max {help_[1] * 1000:7.1f} ms  (goal <= 150 ms)"
    )
    print(
        f"cartrial match (1 bundle) median {match[0] * 1000:7.1f} ms  max {match[1] * 1000:7.1f} ms  (goal <= 500 ms)"
    )


if __name__ == "__main__":
    main()
