"""schemathesis over the whole OpenAPI of the app, in process (ASGI), with every check.

Shared by the always-on test (``test_api_fuzz.py``, a few examples per operation) and the full
run (``bench/api_fuzz_bench.py``, ≥ 20,000 requests). Each operation gets positive and negative
cases (schemathesis's generators), sent with a coordinator's token to an app holding a few
patients; every response goes through all of schemathesis's checks. The report counts
requests, statuses, server errors and check failures (grouped by check and operation).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import schemathesis
from fastapi import FastAPI
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis.core.parameters import ParameterLocation
from schemathesis.generation import GenerationMode

from tests.web.helpers import Env, sle_bundle

SEMANTIC = "Schema-valid request rejected"


@dataclass
class Report:
    requests: int = 0
    statuses: Counter[int] = field(default_factory=Counter)
    failures: Counter[str] = field(default_factory=Counter)
    examples: dict[str, str] = field(default_factory=dict)
    operations: int = 0
    unsatisfiable: list[str] = field(default_factory=list)
    semantic_422: int = 0

    @property
    def server_errors(self) -> int:
        return sum(n for s, n in self.statuses.items() if s >= 500)

    def lines(self) -> list[str]:
        out = [
            f"operations {self.operations}, requests {self.requests:,}, "
            f"server errors (5xx) {self.server_errors}, check failures "
            f"{sum(self.failures.values())}, schema-valid but meaningless input refused (412/422): "
            f"{self.semantic_422}",
            "statuses: " + ", ".join(f"{s}×{n:,}" for s, n in sorted(self.statuses.items())),
        ]
        for key, n in self.failures.most_common():
            out.append(f"  {n:5d}  {key}: {self.examples[key][:300]}")
        return out


def prepare(env: Env) -> dict[str, str]:
    """A coordinator with a token and three patients (ids 1-3) with a screening run each."""
    env.add_user("fuzz", "coordinator")
    headers = {"Authorization": f"Bearer {env.token('fuzz')}"}
    for i in range(3):
        r = env.client.post(
            f"/api/v1/patients?label=Fuzz%20{i}", json=sle_bundle(f"f{i}"), headers=headers
        )
        assert r.status_code == 201, r.text
        env.client.post(f"/api/v1/patients/{r.json()['id']}/screenings", headers=headers)
    return headers


def negates_authorization(case: Any) -> bool:
    """Whether a negative case removed or changed the ``Authorization`` header.

    Such a case is sent as generated, without the harness's token. schemathesis leaves the
    header out itself only when the header is the one location negated; when a case negates
    the query too, the token added by the caller undid the header's violation and, the query's
    own violation vanishing in serialization (``q=["false"]`` sent as ``q=false``; an unnamed
    empty list sent as nothing), a valid request rightly answered 200 was judged
    "schema-violating request accepted" on ``GET /api/v1/patients``."""
    data = getattr(getattr(case.meta, "phase", None), "data", None)
    return any(
        m.parameter_location == ParameterLocation.HEADER
        and str(m.parameter or "").casefold() == "authorization"
        for m in getattr(data, "mutations", None) or ()
    )


def send(case: Any, headers: dict[str, str]) -> tuple[Any, dict[str, str]]:
    """The case sent with the harness's token (unless it negates ``Authorization``): the
    response and the headers added, which ``validate_response`` must be told."""
    sent = {} if negates_authorization(case) else headers
    return case.call(headers=dict(sent), timeout=120), sent


def run(
    app: FastAPI,
    headers: dict[str, str],
    *,
    examples: int,
    derandomize: bool = True,
    exclude_paths: tuple[str, ...] = (),
    only: tuple[str, ...] = (),
    modes: tuple[GenerationMode, ...] = (GenerationMode.POSITIVE, GenerationMode.NEGATIVE),
) -> Report:
    """``examples`` cases per operation and generation mode; the app must be started.
    ``only`` keeps the operations named ``"GET /api/v1/patients"`` (all when empty)."""
    schema = schemathesis.openapi.from_asgi("/api/v1/openapi.json", app)
    report = Report()
    for result in schema.get_all_operations():
        operation = result.ok()
        if operation.path.startswith(exclude_paths):
            continue
        if only and f"{operation.method.upper()} {operation.path}" not in only:
            continue
        report.operations += 1
        for mode in modes:
            _run_operation(operation, mode, headers, examples, derandomize, report)
    return report


def _run_operation(
    operation: Any,
    mode: GenerationMode,
    headers: dict[str, str],
    examples: int,
    derandomize: bool,
    report: Report,
) -> None:
    @settings(
        max_examples=examples,
        deadline=None,
        database=None,
        derandomize=derandomize,
        suppress_health_check=list(HealthCheck),
    )
    @given(operation.as_strategy(generation_mode=mode))
    def probe(case: Any) -> None:
        response, sent = send(case, headers)
        report.requests += 1
        report.statuses[response.status_code] += 1
        try:
            case.validate_response(response, headers=sent)
        except (Exception, BaseExceptionGroup) as exc:  # noqa: BLE001 - counted, not raised
            for failure in getattr(exc, "exceptions", None) or [exc]:
                title = getattr(failure, "title", type(failure).__name__)
                if title == SEMANTIC and response.status_code in (412, 422):
                    # schema-valid but not meaningful (a JSON object that is no FHIR bundle,
                    # BOIN without a target, an If-Match naming no current version ...):
                    # refused with a message, as documented
                    report.semantic_422 += 1
                    continue
                key = f"{operation.method.upper()} {operation.path} [{mode.value}] {title}"
                report.failures[key] += 1
                report.examples.setdefault(key, str(failure).replace("\n", " "))

    try:
        probe()
    except Unsatisfiable:  # e.g. no negative case exists for an operation without inputs
        report.unsatisfiable.append(f"{operation.method.upper()} {operation.path} [{mode.value}]")
