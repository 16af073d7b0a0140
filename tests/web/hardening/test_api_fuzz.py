"""schemathesis over the whole OpenAPI (every operation, positive and negative cases, every
check): no server error, no check failure. A few cases per operation here; the full run
(≥ 20,000 requests) is ``bench/api_fuzz_bench.py``."""

from __future__ import annotations

from typing import Any

import schemathesis
from hypothesis import HealthCheck, find, settings
from schemathesis.generation import GenerationMode

from tests.web.hardening.api_fuzz import negates_authorization, prepare, run, send
from tests.web.helpers import Env

EXAMPLES_ON_PATIENT_LIST = 150


def test_schemathesis_finds_no_server_error_and_no_contract_failure(env: Env) -> None:
    report = run(env.app, prepare(env), examples=2)
    summary = "\n".join(report.lines())
    assert report.operations >= 20 and report.requests >= 80, summary
    assert report.server_errors == 0, summary
    assert not report.failures, summary


def test_negative_cases_on_the_patient_list_find_no_failure(env: Env) -> None:
    report = run(
        env.app,
        prepare(env),
        examples=EXAMPLES_ON_PATIENT_LIST,
        only=("GET /api/v1/patients",),
        modes=(GenerationMode.NEGATIVE,),
    )
    summary = "\n".join(report.lines())
    assert report.operations == 1 and report.requests >= EXAMPLES_ON_PATIENT_LIST // 2, summary
    assert report.statuses[401] and report.statuses[400] + report.statuses[422], summary
    assert report.server_errors == 0 and not report.failures, summary


def _negates_several_locations(case: Any) -> bool:
    return len({m.parameter_location for m in case.meta.phase.data.mutations}) > 1


def test_a_case_that_drops_the_token_is_sent_without_it(env: Env) -> None:
    """A negative case removing ``Authorization`` and changing the query (the shape of the
    conformance failure once reported on ``GET /api/v1/patients``) reaches the server without
    the token, as generated, and is refused; with the token added back the case could be a
    valid request (its query violation lost in serialization) answered 200."""
    headers = prepare(env)
    schema = schemathesis.openapi.from_asgi("/api/v1/openapi.json", env.app)
    operation = schema["/api/v1/patients"]["GET"]
    quiet = settings(database=None, derandomize=True, suppress_health_check=list(HealthCheck))
    case = find(
        operation.as_strategy(generation_mode=GenerationMode.NEGATIVE),
        lambda c: negates_authorization(c) and _negates_several_locations(c),
        settings=quiet,
    )
    response, sent = send(case, headers)
    assert "authorization" not in {k.casefold() for k in response.request.headers}
    assert response.status_code in (400, 401, 422), response.text  # refused: the query is
    case.validate_response(response, headers=sent)  # checked before the token; no failure
    # every case that leaves Authorization alone carries the token
    valid = find(
        operation.as_strategy(generation_mode=GenerationMode.POSITIVE),
        lambda c: True,
        settings=quiet,
    )
    response, sent = send(valid, headers)
    assert sent == headers and response.status_code == 200, response.text
