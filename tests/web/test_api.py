"""The public REST API: trials, screening, calculators, escalation, OpenAPI."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from cartrial.ingest.fhir import patient_from_bundle
from cartrial.services.bundled_protocols import load_protocols
from cartrial.services.screening import explained_all, screen_patient
from tests.web.helpers import AS_OF, Env, make_settings, start

FHIR = {"Content-Type": "application/fhir+json"}


# ------------------------------------------------------------------ trials


def test_trials_list_and_filters(client: TestClient) -> None:
    protocols = load_protocols()
    body = client.get("/api/v1/trials").json()
    # the catalogue holds every trial of the registry snapshot, the curated ones among them
    assert body["count"] == len(body["trials"]) >= 300
    assert {t["nct_id"] for t in body["trials"] if t["reviewed_protocol"]} == set(protocols)
    sample = next(iter(protocols.values())).trial
    assert sample.target_antigens, "a bundled trial names its target antigen"
    antigen = sample.target_antigens[0]
    found = client.get("/api/v1/trials", params={"antigen": antigen.lower()}).json()
    assert sample.nct_id in {t["nct_id"] for t in found["trials"]}
    assert all(antigen in t["target_antigens"] for t in found["trials"])
    assert found["filters"] == {"antigen": antigen.lower()}
    assert client.get("/api/v1/trials", params={"q": "no-such-trial-words"}).json()["count"] == 0
    assert client.get("/api/v1/trials", params={"antigen": "CD999"}).json()["count"] == 0
    by_id = client.get("/api/v1/trials", params={"q": sample.nct_id}).json()
    assert [t["nct_id"] for t in by_id["trials"]] == [sample.nct_id]


def test_trials_age_and_country_filters(client: TestClient) -> None:
    protocols = load_protocols()
    ages = client.get("/api/v1/trials", params={"age": 8}).json()["trials"]
    for t in ages:
        assert t["min_age_years"] is None or t["min_age_years"] <= 8
    adults_only = [n for n, p in protocols.items() if (p.trial.min_age_years or 0) >= 18]
    assert not set(adults_only) & {t["nct_id"] for t in ages}
    countries = {c for p in protocols.values() for c in (s.country for s in p.trial.sites) if c}
    if countries:
        country = sorted(countries)[0]
        found = client.get("/api/v1/trials", params={"country": country}).json()["trials"]
        assert found and all(country in t["countries"] for t in found)
    bad = client.get("/api/v1/trials", params={"age": "old"})
    assert bad.status_code == 422
    assert bad.json()["errors"][0]["loc"][-1] == "age"


def test_trial_detail_has_the_eligibility_tree(client: TestClient) -> None:
    protocols = load_protocols()
    nct, protocol = next(iter(protocols.items()))
    body = client.get(f"/api/v1/trials/{nct.lower()}").json()
    assert body["nct_id"] == nct
    assert len(body["protocol_version"]) == 64
    inc = body["eligibility"]["inclusion"]
    assert len(inc) == len(protocol.criteria.inclusion)
    first = inc[0]
    assert {"id", "kind", "computable", "text", "definition", "children"} <= set(first)
    assert first["text"] == protocol.criteria.inclusion[0].text  # the protocol's own words
    assert body["trial"]["title"] == protocol.trial.title
    missing = client.get("/api/v1/trials/NCT00000000")
    assert missing.status_code == 404 and "NCT00000000" in missing.json()["detail"]


# ------------------------------------------------------------------ screening


def test_screen_returns_the_json_of_cartrial_match(
    client: TestClient, bundle: dict[str, Any]
) -> None:
    # what `cartrial match --format json` prints: the machine fields plus reason/explanation
    expected = explained_all(screen_patient(patient_from_bundle(bundle), as_of=AS_OF))
    for ctype in (
        "application/fhir+json",
        "application/json",
        "application/fhir+json; charset=utf-8",
    ):
        r = client.post(
            "/api/v1/screen", content=json.dumps(bundle), headers={"Content-Type": ctype}
        )
        assert r.status_code == 200, r.text
        assert r.json() == expected
    first = expected[0]
    assert {
        "trial",
        "title",
        "as_of",
        "patient",
        "verdict",
        "decisive",
        "criteria",
        "manual_review",
        "missing",
        "earliest_eligible_date",
        "unrecognized",
    } <= set(first)
    assert first["as_of"] == AS_OF.isoformat()  # the edge's date (overridden in tests)


def test_screen_as_of_and_trial_selection(client: TestClient, bundle: dict[str, Any]) -> None:
    nct = sorted(load_protocols())[0]
    r = client.post(
        "/api/v1/screen",
        params={"as_of": "2026-06-01", "trial": nct.lower()},
        content=json.dumps(bundle),
        headers=FHIR,
    )
    assert r.status_code == 200
    assert [x["trial"] for x in r.json()] == [nct]
    assert r.json()[0]["as_of"] == "2026-06-01"
    r = client.post(
        "/api/v1/screen", params={"trial": "NCT00000000"}, content=json.dumps(bundle), headers=FHIR
    )
    assert r.status_code == 404 and "NCT00000000" in r.json()["detail"]
    r = client.post(
        "/api/v1/screen", params={"as_of": "22/11/2026"}, content=json.dumps(bundle), headers=FHIR
    )
    assert r.status_code == 422 and r.json()["errors"][0]["loc"][-1] == "as_of"


@pytest.mark.parametrize(
    ("body", "ctype", "status", "fragment"),
    [
        ("{not json", "application/fhir+json", 422, "not valid JSON: Expecting property name"),
        ("", "application/fhir+json", 422, "the bundle is empty"),
        ("[1, 2]", "application/json", 422, "must be a JSON object"),
        (
            '{"resourceType": "Patient"}',
            "application/fhir+json",
            422,
            "expected resourceType 'Bundle'",
        ),
        (
            '{"resourceType": "Bundle", "type": "collection", "entry": []}',
            "application/fhir+json",
            422,
            "no Patient",
        ),
        ('{"resourceType": "Bundle"}', "text/plain", 415, "application/fhir+json"),
    ],
)
def test_screen_bad_input_names_the_problem(
    client: TestClient,
    body: str,
    ctype: str,
    status: int,
    fragment: str,
) -> None:
    r = client.post("/api/v1/screen", content=body, headers={"Content-Type": ctype})
    assert r.status_code == status
    assert fragment in r.json()["detail"]


def test_screen_invalid_fhir_names_resource_and_field(
    client: TestClient, bundle: dict[str, Any]
) -> None:
    bad = json.loads(json.dumps(bundle))
    patient = bad["entry"][0]["resource"]
    patient["birthDate"] = "not-a-date"
    r = client.post("/api/v1/screen", content=json.dumps(bad), headers=FHIR)
    assert r.status_code == 422
    detail = r.json()["detail"]
    assert detail.startswith("invalid FHIR bundle:")
    assert "Patient/web-sle-1" in detail and "birthDate" in detail
    assert "Traceback" not in r.text


@pytest.fixture
def small_env(tmp_path: Path) -> Iterator[Env]:
    yield from start(make_settings(tmp_path, max_bundle_bytes=2_000))


def test_oversized_bundle_is_413(small_env: Env, bundle: dict[str, Any]) -> None:
    body = json.dumps(bundle).encode()
    assert len(body) > 2_000
    r = small_env.client.post("/api/v1/screen", content=body, headers=FHIR)
    assert r.status_code == 413
    assert "larger than the limit of 2,000 bytes" in r.json()["detail"]

    def chunks() -> Iterator[bytes]:  # no Content-Length: counted while streaming
        for i in range(0, len(body), 500):
            yield body[i : i + 500]

    r = small_env.client.post("/api/v1/screen", content=chunks(), headers=FHIR)
    assert r.status_code == 413
    assert "MAX_BUNDLE_BYTES" in r.json()["detail"]


# ------------------------------------------------------------------ calculators, escalation


def test_calculators(client: TestClient) -> None:
    listing = client.get("/api/v1/calculators").json()
    names = {c["name"] for c in listing}
    assert {"egfr_ckd_epi_2021", "bsa_mosteller"} <= names
    one = client.get("/api/v1/calculators/egfr_ckd_epi_2021").json()
    assert one["schema"]["properties"]["scr_mg_dl"]
    r = client.post(
        "/api/v1/calculators/egfr_ckd_epi_2021",
        json={"scr_mg_dl": 1.0, "age_years": 50, "sex": "female"},
    )
    assert r.status_code == 200
    result = r.json()
    assert result["calculator"] == "egfr_ckd_epi_2021" and result["reference"]
    assert 60 < result["value"] < 80
    r = client.post(
        "/api/v1/calculators/egfr_ckd_epi_2021", json={"scr_mg_dl": 1.0, "sex": "female"}
    )
    assert r.status_code == 422 and "age_years" in r.json()["detail"]
    assert client.post("/api/v1/calculators/egfr_nope", json={}).status_code == 404
    assert client.get("/api/v1/calculators/egfr_nope").status_code == 404


def test_escalation_decisions(client: TestClient) -> None:
    r = client.post(
        "/api/v1/escalation",
        json={"design": "boin", "target": 0.3, "n": [3, 0, 0], "y": [0, 0, 0], "current_level": 1},
    )
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["decision"]["action"] == "escalate" and body["decision"]["next_level"] == 2
    assert body["boundaries"]["design"] == "boin"
    r = client.post(
        "/api/v1/escalation", json={"design": "3+3", "n": [3, 3], "y": [0, 2], "current_level": 2}
    )
    assert r.status_code == 200 and r.json()["decision"]["action"] in ("de-escalate", "stop")
    bad = client.post(
        "/api/v1/escalation",
        json={"design": "boin", "target": 0.3, "n": [3], "y": [4], "current_level": 1},
    )
    assert bad.status_code == 422 and "y" in bad.json()["detail"]
    no_target = client.post(
        "/api/v1/escalation", json={"design": "boin", "n": [3], "y": [0], "current_level": 1}
    )
    assert no_target.status_code == 422 and "target" in no_target.json()["detail"]


def test_openapi_documents_the_api(client: TestClient) -> None:
    spec = client.get("/api/v1/openapi.json").json()
    paths = spec["paths"]
    for path in (
        "/api/v1/trials",
        "/api/v1/trials/{nct_id}",
        "/api/v1/screen",
        "/api/v1/calculators",
        "/api/v1/escalation",
        "/api/v1/patients",
        "/api/v1/patients/{patient_id}/screenings",
        "/api/v1/screenings/{run_id}",
    ):
        assert path in paths, path
    assert set(paths["/api/v1/screen"]["post"]["requestBody"]["content"]) == {
        "application/fhir+json",
        "application/json",
    }
    assert not any(p.startswith("/workspace") or p == "/" for p in paths)
    docs = client.get("/api/docs")
    assert docs.status_code == 200 and "/api/v1/screen" in docs.text
    assert "cdn" not in docs.text.lower()
