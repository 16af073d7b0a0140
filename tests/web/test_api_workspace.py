"""Workspace resources of the API behind token auth: patients, screenings, roles, audit."""

from __future__ import annotations

import json
import logging
from typing import Any

import pytest

from tests.web.helpers import Env, sle_bundle


def _auth(env: Env, username: str, role: str) -> dict[str, str]:
    env.add_user(username, role)
    return {"Authorization": f"Bearer {env.token(username)}"}


def test_token_is_required(env: Env) -> None:
    r = env.client.get("/api/v1/patients")
    assert r.status_code == 401 and r.headers["www-authenticate"] == "Bearer"
    r = env.client.get("/api/v1/patients", headers={"Authorization": "Bearer ctk_nope"})
    assert r.status_code == 401 and "unknown or revoked" in r.json()["detail"]
    # a browser session is not an API credential
    assert env.client.get("/api/v1/screenings/x").status_code == 401


def test_patient_lifecycle_is_audited(env: Env, bundle: dict[str, Any]) -> None:
    auth = _auth(env, "carol", "coordinator")
    r = env.client.post(
        "/api/v1/patients?label=Referral%207",
        content=json.dumps(bundle),
        headers={**auth, "Content-Type": "application/fhir+json"},
    )
    assert r.status_code == 201, r.text
    pid = r.json()["id"]
    assert r.json()["label"] == "Referral 7" and r.json()["source_id"] == "web-sle-1"

    listing = env.client.get("/api/v1/patients", headers=auth).json()
    assert [p["id"] for p in listing] == [pid]
    one = env.client.get(f"/api/v1/patients/{pid}", headers=auth).json()
    assert one["overview"]["sex"] == "female" and one["overview"]["age"] == 41
    exported = env.client.get(f"/api/v1/patients/{pid}/bundle", headers=auth)
    assert exported.headers["content-type"].startswith("application/fhir+json")
    assert exported.json() == bundle
    r = env.client.patch(f"/api/v1/patients/{pid}", json={"notes": "call back"}, headers=auth)
    assert r.json()["notes"] == "call back"
    run = env.client.post(f"/api/v1/patients/{pid}/screenings?as_of=2026-11-01", headers=auth)
    assert run.status_code == 201
    run_id = run.json()["run_id"]
    assert run.json()["as_of"] == "2026-11-01" and run.json()["results"]
    history = env.client.get(f"/api/v1/patients/{pid}/screenings", headers=auth).json()
    assert [h["run_id"] for h in history] == [run_id] and "results" not in history[0]
    assert env.client.get(f"/api/v1/screenings/{run_id}", headers=auth).json()["run_id"] == run_id
    assert env.client.delete(f"/api/v1/patients/{pid}", headers=auth).status_code == 204
    assert env.client.get(f"/api/v1/patients/{pid}", headers=auth).status_code == 404

    actions = [
        (user, action, patient)
        for user, action, patient, detail in env.audit()
        if not detail.startswith(("user ", "API token"))  # account and token events
    ]
    assert actions == [
        ("carol", "create", pid),
        ("carol", "view", None),  # the patient list
        ("carol", "view", pid),
        ("carol", "export", pid),
        ("carol", "update", pid),
        ("carol", "create", pid),
        ("carol", "view", pid),
        ("carol", "view", pid),
        ("carol", "delete", pid),
    ]


def test_viewer_token_reads_but_cannot_change(env: Env, bundle: dict[str, Any]) -> None:
    editor = _auth(env, "carol", "coordinator")
    viewer = _auth(env, "vera", "viewer")
    pid = env.client.post("/api/v1/patients", json=bundle, headers=editor).json()["id"]
    assert env.client.get(f"/api/v1/patients/{pid}", headers=viewer).status_code == 200
    for method, path, kw in [
        ("post", "/api/v1/patients", {"json": bundle}),
        ("patch", f"/api/v1/patients/{pid}", {"json": {"label": "x"}}),
        ("put", f"/api/v1/patients/{pid}/bundle", {"json": bundle}),
        ("delete", f"/api/v1/patients/{pid}", {}),
        ("post", f"/api/v1/patients/{pid}/screenings", {}),
    ]:
        r = getattr(env.client, method)(path, headers=viewer, **kw)
        assert r.status_code == 403, (method, path)
        assert "viewer" in r.json()["detail"]
    assert env.count("patients") == 1


def test_invalid_bundle_is_not_stored(env: Env) -> None:
    auth = _auth(env, "carol", "coordinator")
    bad = sle_bundle()
    bad["entry"][1]["resource"]["onsetDateTime"] = "yesterday"
    r = env.client.post("/api/v1/patients", json=bad, headers=auth)
    assert r.status_code == 422 and "Condition/" in r.json()["detail"]
    assert env.count("patients") == 0
    assert [e for e in env.audit() if e[2] is not None] == []  # no patient event either


def test_rescreen_shows_what_changed(env: Env) -> None:
    auth = _auth(env, "carol", "coordinator")
    pid = env.client.post("/api/v1/patients", json=sle_bundle(), headers=auth).json()["id"]
    first = env.client.post(f"/api/v1/patients/{pid}/screenings", headers=auth).json()
    same = env.client.post(f"/api/v1/patients/{pid}/screenings", headers=auth).json()
    assert same["changes"]["causes"] == [] and same["changes"]["changes"] == []
    env.client.put(
        f"/api/v1/patients/{pid}/bundle", json=sle_bundle(creatinine_umol=500), headers=auth
    )
    later = env.client.post(
        f"/api/v1/patients/{pid}/screenings?as_of=2026-12-01", headers=auth
    ).json()
    causes = later["changes"]["causes"]
    assert "patient record changed (version 1 → 2)" in causes
    assert "screening date 2026-11-22 → 2026-12-01" in causes
    assert later["changes"]["previous_run"] == same["run_id"] != first["run_id"]


def test_access_log_has_route_templates_not_patient_data(
    env: Env,
    caplog: pytest.LogCaptureFixture,
) -> None:
    auth = _auth(env, "carol", "coordinator")
    caplog.set_level(logging.INFO)
    r = env.client.post("/api/v1/patients?label=Jane%20Doe", json=sle_bundle(), headers=auth)
    pid = r.json()["id"]
    env.client.get(f"/api/v1/patients/{pid}", headers=auth)
    server = [rec for rec in caplog.records if not rec.name.startswith("httpx")]  # not the client
    lines = [rec.getMessage() for rec in server]
    access = [m for m, rec in zip(lines, server, strict=True) if rec.name == "cartrial.access"]
    assert any(m.startswith("POST /api/v1/patients 201 ") for m in access)
    assert any(m.startswith("GET /api/v1/patients/{patient_id} 200 ") for m in access)
    assert not any("Jane" in m or "web-sle-1" in m for m in lines)
