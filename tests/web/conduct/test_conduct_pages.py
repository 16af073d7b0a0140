"""Conduct pages through the real app (TestClient): set-up validation, AE entry errors that
name the field and store nothing, the exports, and the site scope."""

from __future__ import annotations

import csv
import io
import re

from fastapi.testclient import TestClient
from pypdf import PdfReader

from cartrial.conduct.demo import seed_conduct_demo
from cartrial.persistence.repositories import Sites, Users
from tests.web.helpers import ADMIN_PASSWORD, AS_OF, PASSWORD, Env, csrf_of, login

TRIAL = "NCT05858684"


def _seed(env: Env) -> None:
    state = env.app.state.cartrial
    with state.sessions.begin() as db:
        assert seed_conduct_demo(db, None, state.catalog.protocols, today=AS_OF) == 8


def test_setup_form_errors_name_the_field(env: Env, admin_client: TestClient) -> None:
    token = csrf_of(admin_client, "/workspace/conduct")
    r = admin_client.post(
        "/workspace/conduct/setup",
        data={"csrf_token": token, "trial": TRIAL, "design": "boin", "target": "1.5",
              "cohort_size": "3", "dose_levels": "a, b"},
    )  # fmt: skip
    assert r.status_code == 422 and "target" in r.text
    r = admin_client.post(
        "/workspace/conduct/setup",
        data={"csrf_token": token, "trial": TRIAL, "design": "boin", "target": "0.3",
              "cohort_size": "3", "dose_levels": "a, b", "fludarabine": "30",
              "regimen_source": ""},
    )  # fmt: skip
    assert r.status_code == 422 and "where the regimen" in r.text
    assert env.count("conduct_setups") == 0 and env.count("conduct_audit") == 0
    r = admin_client.post(
        "/workspace/conduct/setup",
        data={"csrf_token": token, "trial": TRIAL, "design": "3+3", "dose_levels": "a, b",
              "cohort_size": "3"},
        follow_redirects=False,
    )  # fmt: skip
    assert r.status_code == 303 and r.headers["location"] == f"/workspace/trials/{TRIAL}/conduct"
    page = admin_client.get(r.headers["location"])
    assert page.status_code == 200 and "no patient infused yet" in page.text


def test_ae_entry_error_stores_nothing(env: Env, admin_client: TestClient) -> None:
    _seed(env)
    before = env.count("conduct_adverse_events"), env.count("conduct_audit")
    token = csrf_of(admin_client, "/workspace/conduct/enrolments/1")
    r = admin_client.post(
        "/workspace/conduct/enrolments/1/aes",
        data={"csrf_token": token, "term": "Cytokine release syndrome", "onset": "2026-11-01",
              "obs_temperature_c": "hot"},
    )  # fmt: skip
    assert r.status_code == 422 and "temperature_c" in r.text
    r = admin_client.post(
        "/workspace/conduct/enrolments/1/aes",
        data={"csrf_token": token, "term": "Cytokine release syndrome", "onset": "2026-11-01",
              "obs_temperature_c": "38.5", "investigator_grade": "3"},
    )  # fmt: skip
    assert r.status_code == 422 and "reason" in r.text  # an override without a reason
    assert (env.count("conduct_adverse_events"), env.count("conduct_audit")) == before
    r = admin_client.post(
        "/workspace/conduct/enrolments/1/aes",
        data={"csrf_token": token, "term": "Cytokine release syndrome", "onset": "2026-11-01",
              "obs_temperature_c": "38.5", "investigator_grade": "3",
              "override_reason": "hypotension at home"},
        follow_redirects=False,
    )  # fmt: skip
    assert r.status_code == 303
    page = admin_client.get(r.headers["location"])
    assert re.search(r'id="computed-grade">1<', page.text)
    assert ("admin", "view", 1, "conduct: adverse event viewed") in env.audit()
    assert ("admin", "view", 1, "conduct: course viewed") in env.audit()
    assert re.search(r'id="investigator-grade">3<', page.text)
    assert "hypotension at home" in page.text


def test_exports_from_stored_records(env: Env, admin_client: TestClient) -> None:
    _seed(env)
    base = f"/workspace/trials/{TRIAL}/conduct"
    teae = list(csv.DictReader(io.StringIO(admin_client.get(f"{base}/teae.csv").text)))
    any_all = next(r for r in teae if r["term"] == "Any TEAE" and r["dose_level"] == "all")
    assert any_all["N"] == "8" and any_all["n"] == "8"
    adsl = list(csv.DictReader(io.StringIO(admin_client.get(f"{base}/adsl.csv").text)))
    assert len(adsl) == 8 and sum(r["DLTFL"] == "Y" for r in adsl) == 1
    assert {r["DCUTDT"] for r in adsl} == {AS_OF.isoformat()}
    adae = list(csv.DictReader(io.StringIO(admin_client.get(f"{base}/adae.csv").text)))
    crs = [r for r in adae if r["AEDECOD"] == "Cytokine release syndrome"]
    assert len(crs) == 7 and {r["AESCALE"] for r in crs} == {"astct"}
    early = admin_client.get(f"{base}/adsl.csv?cut=2026-02-01").text
    assert sum(r["SAFFL"] == "Y" for r in csv.DictReader(io.StringIO(early))) == 1
    assert admin_client.get(f"{base}/adsl.csv?cut=soon").status_code == 422
    pdf = admin_client.get(f"{base}/report.pdf?cut={AS_OF}")
    assert pdf.headers["content-type"] == "application/pdf"
    text = PdfReader(io.BytesIO(pdf.content)).pages[0].extract_text()
    assert "Safety report" in text and AS_OF.isoformat() in text
    svg = admin_client.get(f"{base}/kinetics.svg?analyte=cd19_abs&by=level")
    assert svg.headers["content-type"].startswith("image/svg+xml") and "DL1" in svg.text
    assert admin_client.get(f"{base}/kinetics.svg?analyte=salt").status_code == 422
    exports = [e for e in env.audit() if e[1] == "export" and e[3].startswith("conduct")]
    assert ("admin", "export", None, f"conduct {TRIAL}: adsl.csv") in exports
    trail = admin_client.get(f"{base}/audit").text
    assert "adsl.csv@2026-02-01" in trail and "export" in trail


def test_site_scope_hides_other_sites_patients(env: Env, admin_client: TestClient) -> None:
    _seed(env)  # the demo patients belong to the first site
    with env.sessions.begin() as db:
        other = Sites(db).create("Other centre")
        Users(db).create("coord-b", PASSWORD, "coordinator", site_id=other.id)
    client = env.client
    client.post("/logout", data={"csrf_token": csrf_of(client, "/workspace/conduct")})
    login(client, "coord-b")
    board = client.get(f"/workspace/trials/{TRIAL}/conduct")
    assert board.status_code == 200
    assert f"{TRIAL}-001" not in board.text  # no other site's patient is listed ...
    assert "8 patient(s) of other sites are counted" in board.text  # ... but all are counted
    assert client.get("/workspace/conduct/enrolments/1").status_code == 404
    adsl = client.get(f"/workspace/trials/{TRIAL}/conduct/adsl.csv").text
    assert adsl.strip().count("\n") == 0  # the header only
    login(client, "admin", ADMIN_PASSWORD)
    assert client.get("/workspace/conduct/enrolments/1").status_code == 200


def test_api_labs_board_and_teae(env: Env, client: TestClient) -> None:
    from cartrial.conduct.fhir_labs import observation, observation_bundle

    _seed(env)
    env.add_user("viewer-1", "viewer")
    auth = {"Authorization": f"Bearer {env.token('admin')}"}
    obs = observation("alt", 200, "U/L", AS_OF, ident="alt-1", subject="demo-conduct-1",
                      ref_high=40)  # fmt: skip
    body = observation_bundle("demo-conduct-1", [obs])
    r = client.post("/api/v1/conduct/enrolments/1/labs", json=body, headers=auth)
    assert r.status_code == 201, r.text
    stored = r.json()["stored"]
    assert stored[0]["analyte"] == "alt" and stored[0]["source_id"] == "alt-1"
    assert stored[0]["adverse_event"]["term"] == "Alanine aminotransferase increased"
    assert stored[0]["adverse_event"]["computed_grade"] == 2  # 5.0 x ULN is grade 2 (> 3-5)
    viewer = {"Authorization": f"Bearer {env.token('viewer-1')}"}
    assert (
        client.post("/api/v1/conduct/enrolments/1/labs", json=body, headers=viewer).status_code
        == 403
    )
    bad = {"resourceType": "Bundle", "type": "collection", "entry": []}
    r = client.post("/api/v1/conduct/enrolments/1/labs", json=bad, headers=auth)
    assert r.status_code == 422
    b = client.get(f"/api/v1/trials/{TRIAL}/conduct/board", headers=auth).json()
    assert (b["n"], b["y"], b["current_level"]) == ([6, 2, 0], [1, 0, 0], 2)
    assert b["decision"]["action"] == "escalate" and len(b["patients"]) == 8
    t = client.get(f"/api/v1/trials/{TRIAL}/conduct/teae?cut={AS_OF}", headers=auth).json()
    alt = [row for row in t["rows"] if row["term"] == "Alanine aminotransferase increased"]
    assert next(r for r in alt if r["dose_level"] == 1)["n"] == 1
    assert client.get("/api/v1/trials/NCT00000000/conduct/board", headers=auth).status_code == 404


def test_ae_correction_needs_a_reason_and_keeps_the_old_version(
    env: Env, admin_client: TestClient
) -> None:
    _seed(env)
    page = admin_client.get("/workspace/conduct/enrolments/3").text
    key = re.findall(r'href="/workspace/conduct/aes/(\w+)">Cytokine release syndrome', page)[0]
    token = csrf_of(admin_client, f"/workspace/conduct/aes/{key}")
    data = {"csrf_token": token, "resolution": "2026-03-15", "outcome": "recovered",
            "serious": "on"}  # fmt: skip
    r = admin_client.post(f"/workspace/conduct/aes/{key}/correct", data=data)
    assert r.status_code == 422 and "reason" in r.text
    r = admin_client.post(
        f"/workspace/conduct/aes/{key}/correct", data={**data, "reason": "discharge letter"}
    )
    assert r.status_code == 200 and "discharge letter" in r.text
    with env.sessions.begin() as db:
        from cartrial.conduct.store import ConductStore

        versions = ConductStore(db, None).ae_history(key)
        assert [v.resolution.isoformat() if v.resolution else None for v in versions] == [
            "2026-03-13",
            "2026-03-15",
        ]
