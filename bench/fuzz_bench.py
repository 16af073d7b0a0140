"""Hypothesis fuzz, full size: 10,000 hostile bundles through FHIR import and 10,000 texts
through eligibility parsing; prints cases, outcomes, unexpected exceptions and time.

    .venv/bin/python bench/fuzz_bench.py [CASES] [fhir|text]

An unexpected exception stops the run with hypothesis's falsifying example (exit 1).
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.web.hardening.fuzzing import run_fhir, run_text  # noqa: E402


def main() -> int:
    cases = int(sys.argv[1]) if len(sys.argv) > 1 else 10_000
    only = sys.argv[2] if len(sys.argv) > 2 else None
    runs = {"fhir": ("FHIR import", run_fhir), "text": ("eligibility text", run_text)}
    for key, (name, run) in runs.items():
        if only and key != only:
            continue
        t0 = time.perf_counter()
        try:
            counts = run(cases, derandomize=False)
        except Exception as exc:  # noqa: BLE001 - report and fail
            print(f"{name:17s} UNEXPECTED {type(exc).__name__}: {exc}")
            return 1
        seconds = time.perf_counter() - t0
        outcome = ", ".join(f"{k} {v:,}" for k, v in counts.items())
        print(
            f"{name:17s} {cases:,} cases in {seconds:.1f} s ({cases / seconds:,.0f}/s): "
            f"{outcome}; unexpected exceptions 0"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
