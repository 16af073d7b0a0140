"""Admin user management: deactivate, reactivate, reset a password — admin only, CSRF-checked."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient
from httpx import Response

from cartrial.persistence.repositories import Users
from tests.web.helpers import ADMIN_PASSWORD, PASSWORD, Env, csrf_of, login


def _uid(env: Env, username: str) -> int:
    with env.sessions.begin() as db:
        user = Users(db).by_username(username)
        assert user is not None
        return user.id


def _post(client: TestClient, path: str, data: dict[str, str] | None = None) -> Response:
    token = csrf_of(client, "/workspace/patients")
    return client.post(path, data={"csrf_token": token, **(data or {})}, follow_redirects=False)


def _login_status(client: TestClient, username: str, password: str) -> int:
    token = csrf_of(client, "/login")
    r = client.post(
        "/login",
        data={"username": username, "password": password, "csrf_token": token},
        follow_redirects=False,
    )
    return r.status_code


def test_deactivate_ends_sign_in_sessions_and_tokens_then_reactivate(env: Env) -> None:
    env.add_user("carol", "coordinator")
    carol_id = _uid(env, "carol")
    api = {"Authorization": f"Bearer {env.token('carol')}"}
    assert env.client.get("/api/v1/patients", headers=api).status_code == 200
    # carol has an open browser session of her own
    with TestClient(env.app) as carol:
        login(carol, "carol")
        assert carol.get("/workspace/patients").status_code == 200

        login(env.client, "admin", ADMIN_PASSWORD)
        users_page = env.client.get("/workspace/users")
        assert f'href="/workspace/users/{carol_id}"' in users_page.text
        page = env.client.get(f"/workspace/users/{carol_id}")
        assert page.status_code == 200 and "Deactivate carol" in page.text
        r = _post(env.client, f"/workspace/users/{carol_id}/deactivate")
        assert r.status_code == 303
        done = env.client.get(r.headers["location"])
        assert "The account is deactivated" in done.text and "Reactivate carol" in done.text
        assert "no (deactivated)" in env.client.get("/workspace/users").text

        # her open session ends, she cannot sign in, her API token is refused
        assert carol.get("/workspace/patients", follow_redirects=False).status_code == 303
        assert _login_status(carol, "carol", PASSWORD) == 401
        r = env.client.get("/api/v1/patients", headers=api)
        assert r.status_code == 401 and "unknown or revoked" in r.json()["detail"]

        r = _post(env.client, f"/workspace/users/{carol_id}/reactivate")
        assert r.status_code == 303
        assert _login_status(carol, "carol", PASSWORD) == 303
        assert env.client.get("/api/v1/patients", headers=api).status_code == 200

    details = [d for _, a, p, d in env.audit() if a == "update" and p is None]
    assert details == ["user carol: deactivated", "user carol: reactivated"]


def test_an_admin_cannot_deactivate_themself(env: Env) -> None:
    login(env.client, "admin", ADMIN_PASSWORD)
    admin_id = _uid(env, "admin")
    page = env.client.get(f"/workspace/users/{admin_id}")
    assert "You cannot deactivate your own account" in page.text
    r = _post(env.client, f"/workspace/users/{admin_id}/deactivate")
    assert r.status_code == 422
    assert "cannot deactivate your own account" in r.text
    assert env.client.get("/workspace/users").status_code == 200  # still signed in
    assert env.client.get("/workspace/users/999").status_code == 404


def test_reset_password_typed_or_generated(env: Env) -> None:
    env.add_user("carol", "coordinator")
    carol_id = _uid(env, "carol")
    api = {"Authorization": f"Bearer {env.token('carol')}"}
    with TestClient(env.app) as carol:
        login(carol, "carol")
        login(env.client, "admin", ADMIN_PASSWORD)
        short = _post(env.client, f"/workspace/users/{carol_id}/password", {"password": "short"})
        assert short.status_code == 422 and "at least 8" in short.text
        assert _login_status(TestClient(env.app), "carol", PASSWORD) == 303  # unchanged

        r = _post(env.client, f"/workspace/users/{carol_id}/password", {"password": "brand-new-pw"})
        assert r.status_code == 303
        assert "The password was changed" in env.client.get(r.headers["location"]).text
        # her open session ends; only the new password signs in; the token still works
        assert carol.get("/workspace/patients", follow_redirects=False).status_code == 303
        assert _login_status(carol, "carol", PASSWORD) == 401
        assert _login_status(carol, "carol", "brand-new-pw") == 303
        assert env.client.get("/api/v1/patients", headers=api).status_code == 200

        # empty field: a generated password is shown once; revoke_tokens revokes her tokens
        r = _post(
            env.client,
            f"/workspace/users/{carol_id}/password",
            {"password": "", "revoke_tokens": "on"},
        )
        assert r.status_code == 200
        found = re.search(r'<pre class="code token">([^<]+)</pre>', r.text)
        assert found and len(found.group(1)) >= 12
        assert _login_status(TestClient(env.app), "carol", found.group(1)) == 303
        assert "shown again" not in env.client.get(f"/workspace/users/{carol_id}").text
        assert env.client.get("/api/v1/patients", headers=api).status_code == 401

    details = [d for _, a, p, d in env.audit() if a == "update" and p is None]
    assert details == [
        "user carol: password reset",
        "user carol: password reset, 1 API token(s) revoked",
    ]


def test_reset_releases_a_paused_sign_in_and_keeps_the_admin_signed_in(env: Env) -> None:
    env.add_user("carol", "coordinator")
    carol_id = _uid(env, "carol")
    other = TestClient(env.app)
    for _ in range(5):
        assert _login_status(other, "carol", "wrong-password") == 401
    assert _login_status(other, "carol", PASSWORD) == 429
    login(env.client, "admin", ADMIN_PASSWORD)
    r = _post(env.client, f"/workspace/users/{carol_id}/password", {"password": PASSWORD})
    assert r.status_code == 303
    assert _login_status(other, "carol", PASSWORD) == 303
    # an admin resetting their own password stays signed in
    admin_id = _uid(env, "admin")
    r = _post(env.client, f"/workspace/users/{admin_id}/password", {"password": "admin-new-pw-1"})
    assert r.status_code == 303
    assert env.client.get("/workspace/users").status_code == 200
    assert _login_status(TestClient(env.app), "admin", "admin-new-pw-1") == 303


def test_viewers_and_coordinators_get_403_and_csrf_is_required(env: Env) -> None:
    env.add_user("carol", "coordinator")
    env.add_user("vera", "viewer")
    admin_id = _uid(env, "admin")
    paths = [
        f"/workspace/users/{admin_id}/deactivate",
        f"/workspace/users/{admin_id}/reactivate",
        f"/workspace/users/{admin_id}/password",
    ]
    for name in ("carol", "vera"):
        client = TestClient(env.app)
        login(client, name)
        assert client.get(f"/workspace/users/{admin_id}").status_code == 403
        for path in paths:
            r = _post(client, path, {"password": "taken-over-1"})
            assert r.status_code == 403, (name, path)
            assert "administrators" in r.text
    # an admin without the form's CSRF token is refused too
    login(env.client, "admin", ADMIN_PASSWORD)
    carol_id = _uid(env, "carol")
    for path in (
        f"/workspace/users/{carol_id}/deactivate",
        f"/workspace/users/{carol_id}/password",
    ):
        r = env.client.post(path, data={"password": "taken-over-1"}, follow_redirects=False)
        assert r.status_code == 403 and "CSRF" in r.text
    assert _login_status(TestClient(env.app), "carol", PASSWORD) == 303
    assert _login_status(TestClient(env.app), "admin", ADMIN_PASSWORD) == 303
    # anonymous visitors are sent to the login page
    anon = TestClient(env.app)
    r = anon.get(f"/workspace/users/{carol_id}", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].startswith("/login")
