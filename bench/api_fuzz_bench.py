"""schemathesis over the whole OpenAPI, in process: ≥ 20,000 requests with every check.

    .venv/bin/python bench/api_fuzz_bench.py [EXAMPLES_PER_OPERATION_AND_MODE]

Prints requests, statuses, server errors (5xx), check failures by operation, and time.
The default (300 per operation and mode, ~35 operations × 2 modes) sends > 20,000 requests.
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.web.hardening.api_fuzz import prepare, run  # noqa: E402
from tests.web.helpers import make_settings, start  # noqa: E402


def main() -> int:
    examples = int(sys.argv[1]) if len(sys.argv) > 1 else 300
    ok = False
    with tempfile.TemporaryDirectory() as tmp:
        for env in start(make_settings(Path(tmp))):
            t0 = time.perf_counter()
            report = run(env.app, prepare(env), examples=examples, derandomize=False)
            seconds = time.perf_counter() - t0
            for line in report.lines():
                print(line)
            print(
                f"{report.requests:,} requests in {seconds:.0f} s "
                f"({report.requests / seconds:,.1f}/s); {examples} examples per operation and mode"
            )
            if report.unsatisfiable:
                print("no negative cases exist for: " + ", ".join(report.unsatisfiable))
            ok = not report.server_errors and not report.failures
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
