"""Latency and throughput of ``POST /api/v1/screen`` on a running server (prints figures).

Builds a realistic synthetic FHIR R4 bundle (≥ 300 resources: a patient with years of labs,
scores, conditions, therapies, vaccines and procedures, codes from the vocabulary), then POSTs it
N times. Without ``--url`` it starts ``cartrial serve`` in a subprocess on a free port with a
throwaway database and stops it afterwards. Target: p95 under 100 ms.

Run: .venv/bin/python bench/api_bench.py [--url http://127.0.0.1:8000] [-n 200] [--concurrency 4]
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from datetime import date, timedelta
from typing import Any

import httpx

from cartrial import vocab

AS_OF = date(2026, 11, 22)
PREFERRED = {
    "labs": vocab.LOINC,
    "conditions": vocab.SNOMED,
    "medications": vocab.RXNORM,
    "vaccines": vocab.CVX,
    "procedures": vocab.SNOMED,
}
LABS = [  # concept, unit, value
    ("creatinine", "umol/L", 71.0),
    ("hemoglobin", "g/L", 118.0),
    ("platelets", "10*9/L", 210.0),
    ("wbc", "10*9/L", 5.2),
    ("anc", "10*9/L", 3.1),
    ("alc", "10*9/L", 1.4),
    ("alt", "U/L", 22.0),
    ("ast", "U/L", 25.0),
    ("bilirubin_total", "umol/L", 9.0),
    ("crp", "mg/L", 4.0),
    ("esr", "mm/h", 18.0),
    ("igg", "g/L", 9.5),
    ("complement_c3", "g/L", 0.8),
    ("complement_c4", "g/L", 0.15),
    ("anti_dsdna", "[IU]/mL", 120.0),
    ("body_weight", "kg", 64.0),
    ("body_height", "cm", 166.0),
    ("lvef", "%", 62.0),
    ("cd19_abs", "/uL", 180.0),
    ("inr", "{INR}", 1.0),
]
SCORES = [("sledai_2k", 10.0), ("selena_sledai", 10.0)]
CONDITIONS = [
    ("sle", "2014-05-01"),
    ("lupus_nephritis", "2018-02-01"),
    ("depression", "2019-01-01"),
]
THERAPIES = [
    ("hydroxychloroquine", "2014-06-01", None),
    ("prednisone", "2014-06-01", None),
    ("mycophenolate_mofetil", "2016-01-01", "2019-01-01"),
    ("cyclophosphamide", "2018-03-01", "2018-09-01"),
    ("rituximab", "2020-01-01", "2020-07-01"),
    ("belimumab", "2021-01-01", "2023-06-01"),
    ("tacrolimus", "2023-07-01", "2025-01-01"),
]


def _coding(group: str, key: str) -> dict[str, str]:
    codes = vocab.codes(group, key)
    best = next((c for c in codes if c.system == PREFERRED[group]), codes[0])
    return {"system": best.system, "code": best.code, "display": best.display or key}


def synthetic_bundle(visits: int = 14) -> dict[str, Any]:
    """A patient followed for years: every lab at each of ``visits`` visits, and history."""
    pid = "bench-patient"
    subject = {"reference": f"Patient/{pid}"}
    resources: list[dict[str, Any]] = [
        {"resourceType": "Patient", "id": pid, "gender": "female", "birthDate": "1988-03-14"}
    ]
    for v in range(visits):
        when = (AS_OF - timedelta(days=7 + 45 * v)).isoformat()
        for concept, unit, value in LABS:
            resources.append(
                {
                    "resourceType": "Observation",
                    "id": f"lab-{concept.replace('_', '-')}-{v}",
                    "status": "final",
                    "code": {"coding": [_coding("labs", concept)]},
                    "subject": subject,
                    "effectiveDateTime": when,
                    "valueQuantity": {
                        "value": round(value * (1 + 0.02 * (v % 5)), 3),
                        "unit": unit,
                        "system": "http://unitsofmeasure.org",
                        "code": unit,
                    },
                }
            )
        for concept, value in SCORES:
            resources.append(
                {
                    "resourceType": "Observation",
                    "id": f"score-{concept.replace('_', '-')}-{v}",
                    "status": "final",
                    "code": {"coding": [_coding("labs", concept)]},
                    "subject": subject,
                    "effectiveDateTime": when,
                    "valueQuantity": {"value": value},
                }
            )
    for i, (key, onset) in enumerate(CONDITIONS):
        resources.append(
            {
                "resourceType": "Condition",
                "id": f"cond-{i}",
                "subject": subject,
                "clinicalStatus": {
                    "coding": [
                        {
                            "system": "http://terminology.hl7.org/CodeSystem/condition-clinical",
                            "code": "active",
                        }
                    ]
                },
                "code": {"coding": [_coding("conditions", key)]},
                "onsetDateTime": onset,
            }
        )
    for i, (key, start, end) in enumerate(THERAPIES):
        period = {"start": start, **({"end": end} if end else {})}
        resources.append(
            {
                "resourceType": "MedicationStatement",
                "id": f"med-{i}",
                "subject": subject,
                "status": "completed" if end else "active",
                "medicationCodeableConcept": {"coding": [_coding("medications", key)]},
                "effectivePeriod": period,
            }
        )
    for i, (key, when) in enumerate(
        [("influenza_inactivated", "2025-10-01"), ("covid19_mrna", "2024-04-01")]
    ):
        resources.append(
            {
                "resourceType": "Immunization",
                "id": f"imm-{i}",
                "status": "completed",
                "vaccineCode": {"coding": [_coding("vaccines", key)]},
                "patient": subject,
                "occurrenceDateTime": when,
            }
        )
    resources.append(
        {
            "resourceType": "Procedure",
            "id": "proc-0",
            "status": "completed",
            "code": {"coding": [_coding("procedures", "hemodialysis")]},
            "subject": subject,
            "performedDateTime": "2018-02-15",
        }
    )
    return {
        "resourceType": "Bundle",
        "type": "collection",
        "entry": [
            {"fullUrl": f"urn:uuid:{r['resourceType']}-{r['id']}", "resource": r} for r in resources
        ],
    }


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def local_server() -> Iterator[str]:
    """``cartrial serve`` in a subprocess with a throwaway database, stopped on exit."""
    with tempfile.TemporaryDirectory(prefix="cartrial-bench-") as tmp:
        port = _free_port()
        env = {
            **os.environ,
            "DATABASE_URL": f"sqlite:///{tmp}/bench.db",
            "CARTRIAL_VAR_DIR": f"{tmp}/var",
            "CARTRIAL_SEED_DEMO": "false",
            "CARTRIAL_ADMIN_PASSWORD": "bench-only-password",
        }
        proc = subprocess.Popen(
            [
                sys.executable,
                "-c",
                "from cartrial.cli.main import app; app()",
                "serve",
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                "--log-level",
                "warning",
            ],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        url = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 60
            while True:
                try:
                    if httpx.get(url + "/healthz", timeout=1).status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                if time.monotonic() > deadline or proc.poll() is not None:
                    raise SystemExit("the server did not start")
                time.sleep(0.1)
            yield url
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()


def run(url: str, n: int, concurrency: int, warmup: int) -> None:
    bundle = synthetic_bundle()
    body = json.dumps(bundle).encode()
    endpoint = f"{url}/api/v1/screen?as_of={AS_OF.isoformat()}"
    headers = {"Content-Type": "application/fhir+json"}
    print(f"bundle: {len(bundle['entry'])} resources, {len(body) / 1024:.0f} KiB")

    def one(client: httpx.Client) -> tuple[float, int]:
        t0 = time.perf_counter()
        r = client.post(endpoint, content=body, headers=headers)
        elapsed = (time.perf_counter() - t0) * 1000
        if r.status_code != 200:
            raise SystemExit(f"HTTP {r.status_code}: {r.text[:200]}")
        return elapsed, len(r.json())

    with httpx.Client(timeout=60) as client:
        for _ in range(warmup):
            _, trials = one(client)
    print(f"trials screened per request: {trials}")
    clients = [httpx.Client(timeout=60) for _ in range(concurrency)]
    try:
        t0 = time.perf_counter()
        with ThreadPoolExecutor(max_workers=concurrency) as pool:
            timings = [t for t, _ in pool.map(lambda i: one(clients[i % concurrency]), range(n))]
        wall = time.perf_counter() - t0
    finally:
        for c in clients:
            c.close()
    timings.sort()

    def pct(p: float) -> float:
        return timings[min(len(timings) - 1, round(p * (len(timings) - 1)))]

    print(f"requests: {n}  concurrency: {concurrency}  warm-up: {warmup}")
    print(
        f"latency ms: p50 {pct(0.50):.1f}  p95 {pct(0.95):.1f}  p99 {pct(0.99):.1f}  "
        f"mean {statistics.mean(timings):.1f}  max {timings[-1]:.1f}  (target p95 < 100)"
    )
    print(f"throughput: {n / wall:.1f} requests/s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", help="a running server (default: start one)")
    parser.add_argument("-n", "--requests", type=int, default=200)
    parser.add_argument("--concurrency", type=int, default=1)
    parser.add_argument("--warmup", type=int, default=10)
    args = parser.parse_args()
    if args.url:
        run(args.url.rstrip("/"), args.requests, args.concurrency, args.warmup)
        return
    with local_server() as url:
        run(url, args.requests, args.concurrency, args.warmup)


if __name__ == "__main__":
    main()
