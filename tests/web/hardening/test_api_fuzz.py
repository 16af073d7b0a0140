"""schemathesis over the whole OpenAPI (every operation, positive and negative cases, every
check): no server error, no check failure. A few cases per operation here; the full run
(≥ 20,000 requests) is ``bench/api_fuzz_bench.py``."""

from __future__ import annotations

from tests.web.hardening.api_fuzz import prepare, run
from tests.web.helpers import Env


def test_schemathesis_finds_no_server_error_and_no_contract_failure(env: Env) -> None:
    report = run(env.app, prepare(env), examples=2)
    summary = "\n".join(report.lines())
    assert report.operations >= 20 and report.requests >= 80, summary
    assert report.server_errors == 0, summary
    assert not report.failures, summary
