"""Throughput of the dose-escalation simulator: simulated trials per second (prints figures).

Run: .venv/bin/python bench/escalation_bench.py
"""

from __future__ import annotations

import time

from cartrial.designs import Boin, DoseEscalationDesign, ThreePlusThree, simulate

TRUTH = [0.05, 0.10, 0.20, 0.30, 0.50]
TRIALS = 10_000
REPEATS = 5


def _best_seconds(design: DoseEscalationDesign) -> float:
    best = float("inf")
    for seed in range(REPEATS):
        start = time.perf_counter()
        simulate(design, TRUTH, n_trials=TRIALS, seed=seed)
        best = min(best, time.perf_counter() - start)
    return best


def main() -> None:
    print(f"escalation simulator: {TRIALS:,} trials, {len(TRUTH)} doses, best of {REPEATS}")
    for label, design in [
        ("BOIN target 0.3, 10 cohorts of 3", Boin(0.3, cohort_size=3, n_cohorts=10)),
        ("BOIN target 0.3, 20 cohorts of 3", Boin(0.3, cohort_size=3, n_cohorts=20)),
        ("3+3 (at most 10 cohorts)", ThreePlusThree(n_cohorts=10)),
    ]:
        seconds = _best_seconds(design)
        print(f"  {label:<36} {seconds * 1000:8.1f} ms   {TRIALS / seconds:12,.0f} trials/s")


if __name__ == "__main__":
    main()
