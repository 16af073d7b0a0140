"""Workspace security: login, session cookie flags, CSRF, roles, audit log, error handling."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from cartrial.web.deps import get_catalog
from tests.web.helpers import (
    ADMIN_PASSWORD,
    Env,
    csrf_of,
    login,
    make_settings,
    sle_bundle,
    start,
)


def _import(env: Env, label: str = "Referral 1", bundle: dict[str, Any] | None = None) -> int:
    token = csrf_of(env.client, "/workspace/patients")
    files = {"bundle": ("p.json", json.dumps(bundle or sle_bundle()), "application/fhir+json")}
    r = env.client.post(
        "/workspace/patients",
        data={"csrf_token": token, "label": label},
        files=files,
        follow_redirects=False,
    )
    assert r.status_code == 303, r.text
    return int(r.headers["location"].rsplit("/", 1)[1])


def test_anonymous_users_cannot_reach_the_workspace(client: TestClient) -> None:
    for path in (
        "/workspace",
        "/workspace/patients",
        "/workspace/patients/1",
        "/workspace/audit",
        "/workspace/calculators",
        "/workspace/trials",
    ):
        r = client.get(path, follow_redirects=False)
        if path == "/workspace":
            r = client.get(r.headers["location"], follow_redirects=False)
        assert r.status_code == 303, path
        assert r.headers["location"].startswith("/login?next=/workspace")
    r = client.get("/workspace/patients", headers={"HX-Request": "true"}, follow_redirects=False)
    assert r.status_code == 401 and r.headers["hx-redirect"].startswith("/login")
    # a POST without a session is refused too (CSRF first, then login)
    assert client.post("/workspace/patients", follow_redirects=False).status_code == 403


def test_login_logout_and_cookie_flags(env: Env) -> None:
    client = env.client
    token = csrf_of(client, "/login")
    bad = client.post("/login", data={"username": "admin", "password": "nope", "csrf_token": token})
    assert bad.status_code == 401 and "wrong password" in bad.text
    r = client.post(
        "/login",
        data={
            "username": "admin",
            "password": ADMIN_PASSWORD,
            "csrf_token": token,
            "next": "//evil.example/",
        },
        follow_redirects=False,
    )
    assert r.status_code == 303 and r.headers["location"] == "/workspace"  # no open redirect
    cookie = r.headers["set-cookie"].lower()
    assert "cartrial_session=" in cookie and "httponly" in cookie and "samesite=lax" in cookie
    assert "secure" not in cookie
    assert client.get("/workspace/patients").status_code == 200
    token = csrf_of(client, "/workspace/patients")
    assert (
        client.post("/logout", data={"csrf_token": token}, follow_redirects=False).status_code
        == 303
    )
    assert client.get("/workspace/patients", follow_redirects=False).status_code == 303


@pytest.fixture
def secure_env(tmp_path: Path) -> Iterator[Env]:
    yield from start(
        make_settings(tmp_path, session_cookie_secure=True), base_url="https://testserver"
    )


def test_secure_cookie_flag_is_configurable(secure_env: Env) -> None:
    r = secure_env.client.get("/login")
    assert "secure" in r.headers["set-cookie"].lower()


def test_csrf_is_required_on_every_form_post(env: Env) -> None:
    login(env.client, "admin", ADMIN_PASSWORD)
    pid = _import(env)
    for path, data in [
        ("/workspace/patients", {"label": "x", "bundle_text": json.dumps(sle_bundle())}),
        (f"/workspace/patients/{pid}", {"label": "renamed"}),
        (f"/workspace/patients/{pid}/screen", {}),
        (f"/workspace/patients/{pid}/delete", {}),
        ("/workspace/tokens", {"name": "t"}),
        ("/workspace/users", {"username": "u", "password": "password-123", "role": "viewer"}),
        ("/logout", {}),
    ]:
        for extra in ({}, {"csrf_token": "forged"}):
            r = env.client.post(path, data={**data, **extra}, follow_redirects=False)
            assert r.status_code == 403, (path, extra)
            assert "CSRF" in r.text
    assert env.count("patients") == 1 and env.count("users") == 1
    # a missing token on login is refused as well
    assert (
        env.client.post(
            "/login", data={"username": "admin", "password": ADMIN_PASSWORD}
        ).status_code
        == 403
    )


def test_audit_log_records_view_and_edit(env: Env) -> None:
    env.add_user("carol", "coordinator")
    login(env.client, "carol")
    pid = _import(env)
    page = env.client.get(f"/workspace/patients/{pid}")
    assert page.status_code == 200 and "Referral 1" in page.text
    token = csrf_of(env.client, f"/workspace/patients/{pid}/edit")
    edited = sle_bundle(creatinine_umol=250)
    r = env.client.post(
        f"/workspace/patients/{pid}",
        follow_redirects=False,
        data={
            "csrf_token": token,
            "label": "Referral 1b",
            "notes": "seen",
            "bundle_text": json.dumps(edited),
        },
    )
    assert r.status_code == 303
    export = env.client.get(f"/workspace/patients/{pid}/export")
    assert export.json() == edited and "attachment" in export.headers["content-disposition"]
    trail = env.audit()
    assert ("carol", "view", None, "patient list") in trail  # the import form is on the list
    entries = [(u, a, p) for u, a, p, _ in trail if p is not None]
    assert entries == [
        ("carol", "create", pid),
        ("carol", "view", pid),  # the patient page
        ("carol", "view", pid),  # the edit form shows the bundle
        ("carol", "update", pid),  # label and notes
        ("carol", "update", pid),  # the bundle
        ("carol", "export", pid),
    ]
    # the admin sees the trail; the coordinator may not
    assert env.client.get("/workspace/audit").status_code == 403
    login(env.client, "admin", ADMIN_PASSWORD)
    audit = env.client.get(f"/workspace/audit?patient_id={pid}")
    assert audit.status_code == 200
    assert audit.text.count("carol") >= 6 and "action-update" in audit.text
    assert "action-view" in audit.text and "action-export" in audit.text


def test_viewer_cannot_edit(env: Env) -> None:
    login(env.client, "admin", ADMIN_PASSWORD)
    pid = _import(env)
    env.add_user("vera", "viewer")
    login(env.client, "vera")
    page = env.client.get(f"/workspace/patients/{pid}")
    assert page.status_code == 200
    assert "/edit" not in page.text and "Delete this patient" not in page.text
    assert "Import a FHIR bundle" not in env.client.get("/workspace/patients").text
    assert env.client.get(f"/workspace/patients/{pid}/edit").status_code == 403
    token = csrf_of(env.client, "/workspace/patients")
    for path, data in [
        (f"/workspace/patients/{pid}", {"label": "hacked"}),
        (f"/workspace/patients/{pid}/delete", {}),
        (f"/workspace/patients/{pid}/screen", {}),
        ("/workspace/patients", {"bundle_text": json.dumps(sle_bundle())}),
    ]:
        r = env.client.post(path, data={**data, "csrf_token": token}, follow_redirects=False)
        assert r.status_code == 403, path
        assert "viewer" in r.text
    assert env.count("patients") == 1
    assert [a for _, a, _, _ in env.audit()].count("update") == 0


def test_workspace_pages_render(env: Env) -> None:
    login(env.client, "admin", ADMIN_PASSWORD)
    pid = _import(env)
    token = csrf_of(env.client, f"/workspace/patients/{pid}")
    r = env.client.post(
        f"/workspace/patients/{pid}/screen", data={"csrf_token": token}, follow_redirects=False
    )
    assert r.status_code == 303
    run_page = env.client.get(r.headers["location"])
    assert run_page.status_code == 200 and "first saved screening" in run_page.text
    assert env.client.get("/workspace/trials").status_code == 200
    for path in (
        "/workspace/calculators",
        "/workspace/calculators/bsa_mosteller",
        "/workspace/tokens",
        "/workspace/users",
    ):
        assert env.client.get(path).status_code == 200, path
    token = csrf_of(env.client, "/workspace/calculators/bsa_mosteller")
    calc = env.client.post(
        "/workspace/calculators/bsa_mosteller",
        data={"csrf_token": token, "height_cm": "170", "weight_kg": "70"},
    )
    assert calc.status_code == 200 and "1.818" in calc.text
    bad = env.client.post(
        "/workspace/calculators/bsa_mosteller",
        data={"csrf_token": token, "height_cm": "tall", "weight_kg": "70"},
    )
    assert bad.status_code == 422 and "height_cm" in bad.text
    created = env.client.post("/workspace/tokens", data={"csrf_token": token, "name": "job"})
    assert created.status_code == 201 and "ctk_" in created.text
    added = env.client.post(
        "/workspace/users",
        data={"csrf_token": token, "username": "dora", "password": "short", "role": "viewer"},
    )
    assert added.status_code == 422 and "at least 8" in added.text


def test_edit_with_invalid_bundle_saves_nothing(env: Env) -> None:
    login(env.client, "admin", ADMIN_PASSWORD)
    pid = _import(env)
    token = csrf_of(env.client, f"/workspace/patients/{pid}/edit")
    r = env.client.post(
        f"/workspace/patients/{pid}",
        data={
            "csrf_token": token,
            "label": "New label",
            "bundle_text": '{"resourceType": "Bundle", ',
        },
    )
    assert r.status_code == 422 and "Nothing was saved" in r.text
    assert "Referral 1" in env.client.get(f"/workspace/patients/{pid}").text


def test_unexpected_errors_are_generic_500_without_trace(
    env: Env,
    caplog: pytest.LogCaptureFixture,
) -> None:
    def broken() -> Any:
        raise RuntimeError("patient Jane Doe 1985-04-02 exploded")

    env.app.dependency_overrides[get_catalog] = broken
    caplog.set_level(logging.DEBUG)
    for path in ("/", "/api/v1/trials"):
        r = env.client.get(path)
        assert r.status_code == 500
        assert "Jane" not in r.text and "Traceback" not in r.text and "exploded" not in r.text
    assert r.json()["detail"] == (
        "Internal server error. The problem has been logged without request data."
    )
    assert r.headers["content-type"] == "application/problem+json"
    logged = [rec.getMessage() for rec in caplog.records if rec.name == "cartrial.web"]
    assert logged and all("Jane" not in m and "exploded" not in m for m in logged)
    assert "RuntimeError" in logged[0]
