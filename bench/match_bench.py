"""Matching speed: one patient against all bundled trials, in-process.

Prints the mean and p95 time per full match (patient × every trial) over many repetitions,
for every demo patient; the target is well under 50 ms per patient. Figures only, no asserts.
"""

from __future__ import annotations

import statistics
import time
from datetime import date

from cartrial.ingest.fhir import load_bundle_file
from cartrial.services.catalog import examples_dir, load_protocols
from cartrial.services.screening import screen_patient

AS_OF = date(2026, 11, 22)
REPEAT = 50


def main() -> None:
    protocols = list(load_protocols().values())
    files = sorted((examples_dir() / "patients").glob("*.json"))
    patients = [load_bundle_file(f) for f in files]
    timings: list[float] = []
    for p in patients:
        screen_patient(p, as_of=AS_OF, protocols=protocols)  # warm-up
        for _ in range(REPEAT):
            t0 = time.perf_counter()
            screen_patient(p, as_of=AS_OF, protocols=protocols)
            timings.append((time.perf_counter() - t0) * 1000)
    timings.sort()
    p95 = timings[int(0.95 * (len(timings) - 1))]
    print(f"patients: {len(patients)}  trials: {len(protocols)}  matches: {len(timings)}")
    print(f"per patient x all trials: mean {statistics.mean(timings):.2f} ms, "
          f"median {statistics.median(timings):.2f} ms, p95 {p95:.2f} ms (target < 50 ms)")
    t0 = time.perf_counter()
    for f in files:
        load_bundle_file(f)
    per_bundle = (time.perf_counter() - t0) * 1000 / max(len(files), 1)
    print(f"FHIR bundle parse: {per_bundle:.2f} ms per bundle")


if __name__ == "__main__":
    main()
