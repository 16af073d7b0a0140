"""Public pages: catalogue, trial page, anonymous pre-screening (nothing stored, nothing logged)."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from cartrial.services.bundled_protocols import load_protocols
from tests.web.helpers import Env, csrf_of, make_settings, start


def test_catalogue_lists_filters_and_serves_htmx_partials(client: TestClient) -> None:
    protocols = load_protocols()
    page = client.get("/")
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    for nct in protocols:
        assert f"/trials/{nct}" in page.text
    assert "/static/vendor/htmx.min.js" in page.text and "cdn" not in page.text.lower()
    for name in ("disease", "antigen", "cell_type", "phase", "status", "country", "age", "q"):
        assert f'name="{name}"' in page.text
    nct, protocol = next(iter(protocols.items()))
    antigen = protocol.trial.target_antigens[0]
    partial = client.get(
        "/", params={"antigen": antigen}, headers={"HX-Request": "true", "HX-Target": "results"}
    )
    assert partial.status_code == 200 and "<html" not in partial.text
    assert f"/trials/{nct}" in partial.text
    none = client.get("/", params={"q": "zzz-no-such-trial"})
    assert "No trial matches these filters" in none.text


def test_static_assets_are_vendored(client: TestClient) -> None:
    js = client.get("/static/vendor/htmx.min.js")
    assert js.status_code == 200 and "htmx" in js.text[:2000]
    assert client.get("/static/vendor/htmx.LICENSE").status_code == 200
    assert client.get("/static/css/app.css").status_code == 200


def test_trial_page_shows_protocol_and_tree_beside_the_words(client: TestClient) -> None:
    for nct, protocol in load_protocols().items():
        page = client.get(f"/trials/{nct}")
        assert page.status_code == 200, nct
        for section in (
            "Overview",
            "Design",
            "Arms and product",
            "Lymphodepletion",
            "Visit calendar",
            "Sites",
            "Primary endpoints",
            "Eligibility criteria",
        ):
            assert section in page.text, (nct, section)
        first = protocol.criteria.inclusion[0]
        assert f'id="crit-{first.id}"' in page.text
        assert "Day 0" in page.text  # the timeline is anchored at infusion
    assert client.get("/trials/NCT00000000").status_code == 404


def _prescreen(
    client: TestClient,
    data: dict[str, str],
    files: Any = None,
    headers: dict[str, str] | None = None,
) -> Any:
    return client.post(
        "/prescreen",
        data={"csrf_token": csrf_of(client, "/prescreen"), **data},
        files=files,
        headers=headers or {},
    )


def test_prescreen_upload_gives_verdicts_and_stores_nothing(
    env: Env,
    bundle: dict[str, Any],
    caplog: pytest.LogCaptureFixture,
) -> None:
    before = {t: env.count(t) for t in ("patients", "screenings", "audit_log")}
    caplog.set_level(logging.DEBUG)
    files = {"bundle": ("patient.json", json.dumps(bundle), "application/fhir+json")}
    r = _prescreen(env.client, {"mode": "bundle", "as_of": "2026-11-22"}, files=files)
    assert r.status_code == 200, r.text
    for nct in load_protocols():
        assert f'id="result-{nct}"' in r.text
    assert "Results as of 2026-11-22" in r.text
    assert "Data to order or look up" in r.text
    assert {t: env.count(t) for t in ("patients", "screenings", "audit_log")} == before
    for record in caplog.records:
        assert "web-sle-1" not in record.getMessage()
    # the htmx variant answers only the results fragment
    files = {"bundle": ("patient.json", json.dumps(bundle), "application/json")}
    frag = _prescreen(env.client, {"mode": "bundle"}, files=files, headers={"HX-Request": "true"})
    assert frag.status_code == 200 and frag.text.lstrip().startswith('<div id="prescreen-results"')


def test_prescreen_pasted_json_and_errors(client: TestClient, bundle: dict[str, Any]) -> None:
    r = _prescreen(client, {"mode": "bundle", "bundle_text": json.dumps(bundle)})
    assert r.status_code == 200 and "Results as of 2026-11-22" in r.text
    bad = _prescreen(client, {"mode": "bundle", "bundle_text": '{"resourceType": "Bundle",'})
    assert bad.status_code == 422 and "not valid JSON" in bad.text
    wrong = json.loads(json.dumps(bundle))
    wrong["entry"][0]["resource"]["gender"] = 42
    bad = _prescreen(client, {"mode": "bundle", "bundle_text": json.dumps(wrong)})
    assert bad.status_code == 422 and "Patient/web-sle-1" in bad.text and "gender" in bad.text
    empty = _prescreen(client, {"mode": "bundle"})
    assert empty.status_code == 422 and "the bundle is empty" in empty.text


def test_prescreen_short_form(client: TestClient) -> None:
    data = {
        "mode": "form",
        "age": "34",
        "sex": "female",
        "diagnosis": "sle",
        "diagnosis_years": "6",
        "lab.creatinine.value": "80",
        "lab.creatinine.unit": "umol/L",
        "lab.platelets.value": "180",
        "lab.platelets.unit": "10*9/L",
        "serology.hbsag": "negative",
        "score.sledai_2k": "9",
        "therapy.1.drug": "mycophenolate_mofetil",
        "therapy.1.start": "2021-01-01",
        "therapy.1.end": "2023-01-01",
        "therapy.1.outcome": "failure",
    }
    r = _prescreen(client, data)
    assert r.status_code == 200, r.text
    assert "Patient: 34 years, female" in r.text
    # creatinine converted from umol/L, rounded to the precision of the value entered
    assert "0.90 mg/dL (reported 80 µmol/L)" in r.text
    bad = _prescreen(client, {**data, "lab.creatinine.unit": "mg/xx"})
    assert bad.status_code == 422
    assert "labs.creatinine.unit" in bad.text and "mg/xx" in bad.text
    bad = _prescreen(client, {**data, "age": "two hundred"})
    assert bad.status_code == 422 and "age:" in bad.text


def test_prescreen_requires_csrf(client: TestClient, bundle: dict[str, Any]) -> None:
    r = client.post("/prescreen", data={"mode": "bundle", "bundle_text": json.dumps(bundle)})
    assert r.status_code == 403 and "CSRF" in r.text
    client.get("/prescreen")
    r = client.post(
        "/prescreen",
        data={"mode": "bundle", "csrf_token": "forged", "bundle_text": json.dumps(bundle)},
    )
    assert r.status_code == 403


@pytest.fixture
def small_env(tmp_path: Path) -> Iterator[Env]:
    yield from start(make_settings(tmp_path, max_bundle_bytes=1_000))


def test_prescreen_oversized_upload_is_413(small_env: Env, bundle: dict[str, Any]) -> None:
    client = small_env.client
    files = {"bundle": ("patient.json", json.dumps(bundle), "application/json")}
    r = _prescreen(client, {"mode": "bundle"}, files=files)
    assert r.status_code == 413 and "larger than the limit of 1,000 bytes" in r.text
    huge = {"bundle": ("patient.json", "x" * 200_000, "application/json")}
    r = _prescreen(client, {"mode": "bundle"}, files=huge)
    assert r.status_code == 413


def test_security_headers(client: TestClient) -> None:
    r = client.get("/")
    assert r.headers["x-frame-options"] == "DENY"
    assert "script-src 'self'" in r.headers["content-security-policy"]
    assert r.headers["x-content-type-options"] == "nosniff"
    assert r.headers["cache-control"] == "no-store"
    assert "no-store" not in client.get("/static/css/app.css").headers.get("cache-control", "")
