"""Matching speed per patient × trial, in-process: the full explanation and the verdict alone.

For every demo patient × bundled trial, times ``screen`` (every criterion with status, evidence
and missing data: what the CLI, API and workspace show) and ``verdict_only`` (the verdict alone:
candidate lists, population fallbacks) ``REPEAT`` times each, and prints the mean and p95 per
pair (issue 11 targets: full <= 1.0 ms, verdict-only <= 0.3 ms), then per patient × all trials
through ``services.screening.screen_patient`` and the FHIR parse per bundle. Figures only, no
asserts. Times are the thread's CPU time (``time.thread_time``), which other processes on a
shared machine disturb far less than wall time; the per-patient line is wall time.
Run: .venv/bin/python bench/match_bench.py [REPEAT]
"""

from __future__ import annotations

import statistics
import sys
import time
from collections.abc import Callable, Sequence
from datetime import date

from cartrial.evaluate import screen
from cartrial.ingest.fhir import load_bundle_file
from cartrial.services.bundled_protocols import examples_dir, load_protocols
from cartrial.services.screening import screen_patient

try:
    from cartrial.evaluate import verdict_only
except ImportError:  # before issue 11: no verdict-only path
    verdict_only = None  # type: ignore[assignment]

AS_OF = date(2026, 11, 22)


def _summary(label: str, timings: list[float], goal: str) -> str:
    timings = sorted(timings)
    p95 = timings[int(0.95 * (len(timings) - 1))]
    return (
        f"{label:<28} mean {statistics.mean(timings):6.3f} ms  "
        f"median {statistics.median(timings):6.3f} ms  p95 {p95:6.3f} ms  ({goal})"
    )


def _per_pair(
    fn: Callable[..., object], pairs: Sequence[tuple[object, object]], repeat: int
) -> list[float]:
    out: list[float] = []
    for protocol, patient in pairs:
        fn(protocol, patient, as_of=AS_OF)  # warm-up (first-use caches)
        for _ in range(repeat):
            t0 = time.thread_time_ns()
            fn(protocol, patient, as_of=AS_OF)
            out.append((time.thread_time_ns() - t0) / 1e6)
    return out


def main() -> None:
    repeat = int(sys.argv[1]) if len(sys.argv) > 1 else 20
    protocols = list(load_protocols().values())
    files = sorted((examples_dir() / "patients").glob("*.json"))
    patients = [load_bundle_file(f) for f in files]
    pairs = [(pr, p) for p in patients for pr in protocols]
    print(
        f"patients: {len(patients)}  trials: {len(protocols)}  pairs: {len(pairs)}  "
        f"repeat: {repeat}"
    )
    print("CPU time per pair:")
    print(
        _summary("per pair, full explanation", _per_pair(screen, pairs, repeat), "goal <= 1.0 ms")
    )
    if verdict_only is not None:
        print(
            _summary(
                "per pair, verdict only", _per_pair(verdict_only, pairs, repeat), "goal <= 0.3 ms"
            )
        )
    per_patient: list[float] = []
    for p in patients:
        for _ in range(max(repeat // 4, 1)):
            t0 = time.perf_counter()
            screen_patient(p, as_of=AS_OF, protocols=protocols)
            per_patient.append((time.perf_counter() - t0) * 1000)
    print("wall time:")
    print(_summary("per patient x all trials", per_patient, "full; target < 50 ms"))
    t0 = time.perf_counter()
    for f in files:
        load_bundle_file(f)
    per_bundle = (time.perf_counter() - t0) * 1000 / max(len(files), 1)
    print(f"FHIR bundle parse: {per_bundle:.2f} ms per bundle")


if __name__ == "__main__":
    main()
