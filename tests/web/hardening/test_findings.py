"""One test per finding of the attack/load probe (issue 15, "Why"): each failed before the fix."""

from __future__ import annotations

import base64
import json
import re
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import text

from cartrial.web.app import create_app
from cartrial.web.deps import get_today
from tests.support.browser import serve
from tests.web.hardening.conftest import TwoSites
from tests.web.helpers import (
    ADMIN_PASSWORD,
    AS_OF,
    PASSWORD,
    Env,
    csrf_of,
    login,
    make_settings,
    sle_bundle,
    start,
)

# ------------------------------------------------------------------ 1. sessions


def _session_cookie(env: Env) -> str:
    value = env.client.cookies.get("cartrial_session")
    assert value, "no session cookie"
    return value


def test_a_logged_out_cookie_no_longer_works(env: Env) -> None:
    login(env.client, "admin", ADMIN_PASSWORD)
    captured = _session_cookie(env)
    assert env.client.get("/workspace/patients").status_code == 200
    token = csrf_of(env.client, "/workspace/patients")
    assert env.client.post("/logout", data={"csrf_token": token}).status_code == 200
    env.client.cookies.clear()
    env.client.cookies.set("cartrial_session", captured)
    r = env.client.get("/workspace/patients", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].startswith("/login")


def test_the_cookie_is_a_random_id_and_carries_nothing_readable(env: Env) -> None:
    login(env.client, "admin", ADMIN_PASSWORD)
    value = _session_cookie(env)
    assert "." not in value and len(value) >= 40  # no signed payload, 256 random bits
    padded = value.replace("-", "+").replace("_", "/") + "=" * (-len(value) % 4)
    decoded = base64.b64decode(padded)
    assert b"uid" not in decoded and b"argon" not in decoded and b"admin" not in decoded
    with env.sessions.begin() as db:
        hashes = db.execute(text("SELECT password_hash FROM users")).scalars().all()
        stored = db.execute(text("SELECT key_hash FROM web_sessions")).scalars().all()
    assert all(h[-12:] not in value for h in hashes)
    assert value not in stored  # only its SHA-256 is kept


def _second_browser(env: Env, username: str, password: str = PASSWORD) -> httpx.Client:
    other = env.client.__class__(env.app)
    login(other, username, password)
    return other


def test_password_change_and_deactivation_end_open_sessions(env: Env) -> None:
    env.add_user("carol", "coordinator")
    env.add_user("dave", "coordinator")
    carol = _second_browser(env, "carol")
    dave = _second_browser(env, "dave")
    assert carol.get("/workspace/patients").status_code == 200
    login(env.client, "admin", ADMIN_PASSWORD)
    ids = {u["username"]: u["id"] for u in _users(env)}
    token = csrf_of(env.client, f"/workspace/users/{ids['carol']}")
    r = env.client.post(
        f"/workspace/users/{ids['carol']}/password",
        data={"csrf_token": token, "password": "a-new-password-1"},
        follow_redirects=False,
    )
    assert r.status_code == 303
    assert carol.get("/workspace/patients", follow_redirects=False).status_code == 303
    r = env.client.post(
        f"/workspace/users/{ids['dave']}/deactivate",
        data={"csrf_token": token},
        follow_redirects=False,
    )
    assert r.status_code == 303
    with env.sessions.begin() as db:
        revoked = db.execute(
            text(
                "SELECT count(*) FROM web_sessions s JOIN users u ON u.id = s.user_id "
                "WHERE u.username IN ('carol', 'dave') AND s.revoked_at IS NOT NULL"
            )
        ).scalar_one()
    assert revoked == 2
    assert dave.get("/workspace/patients", follow_redirects=False).status_code == 303
    # the admin's own session is untouched
    assert env.client.get("/workspace/patients").status_code == 200


def _users(env: Env) -> list[dict[str, Any]]:
    with env.sessions.begin() as db:
        rows = db.execute(text("SELECT id, username FROM users")).all()
    return [{"id": r[0], "username": r[1]} for r in rows]


@pytest.mark.parametrize("column", ["last_seen_at", "created_at"])
def test_idle_and_absolute_timeouts_end_a_session(env: Env, column: str) -> None:
    login(env.client, "admin", ADMIN_PASSWORD)
    assert env.client.get("/workspace/patients").status_code == 200
    settings = env.app.state.cartrial.settings
    limit = (
        settings.session_idle_seconds
        if column == "last_seen_at"
        else settings.session_max_age_seconds
    )
    past = datetime.now(UTC) - timedelta(seconds=limit + 5)
    with env.sessions.begin() as db:
        db.execute(text(f"UPDATE web_sessions SET {column} = :t"), {"t": past})
    assert env.client.get("/workspace/patients", follow_redirects=False).status_code == 303


def test_cookie_is_secure_behind_an_https_proxy(env: Env) -> None:
    r = env.client.get("/login", headers={"X-Forwarded-Proto": "https"})
    assert "secure" in r.headers["set-cookie"].lower()
    env.client.cookies.clear()
    assert "secure" not in env.client.get("/login").headers["set-cookie"].lower()


@pytest.fixture
def addr_limited(tmp_path: Path) -> Iterator[Env]:
    yield from start(make_settings(tmp_path, login_max_attempts_per_address=3))


def test_sign_in_is_limited_per_client_address_too(addr_limited: Env) -> None:
    env = addr_limited
    env.add_user("carol", "coordinator")
    for name in ("u1", "u2", "u3"):  # a different username each time: no username limit hit
        token = csrf_of(env.client, "/login")
        r = env.client.post(
            "/login", data={"username": name, "password": "wrong-pass", "csrf_token": token}
        )
        assert r.status_code == 401
    token = csrf_of(env.client, "/login")
    r = env.client.post(
        "/login", data={"username": "carol", "password": PASSWORD, "csrf_token": token}
    )
    assert r.status_code == 429 and "network address" in r.text
    assert int(r.headers["retry-after"]) > 0


def test_cross_site_origin_is_refused_even_with_a_token(env: Env) -> None:
    login(env.client, "admin", ADMIN_PASSWORD)
    token = csrf_of(env.client, "/workspace/tokens")
    r = env.client.post(
        "/workspace/tokens",
        data={"csrf_token": token, "name": "x"},
        headers={"Origin": "https://evil.example"},
    )
    assert r.status_code == 403 and "another site" in r.text
    r = env.client.post(
        "/workspace/tokens",
        data={"csrf_token": token, "name": "x"},
        headers={"Referer": "https://evil.example/form"},
    )
    assert r.status_code == 403
    ok = env.client.post(
        "/workspace/tokens",
        data={"csrf_token": token, "name": "x"},
        headers={"Origin": "http://testserver"},
    )
    assert ok.status_code == 201


# ------------------------------------------------------------------ 2. sites


def test_another_sites_coordinator_cannot_read_or_change_a_patient(two_sites: TwoSites) -> None:
    w, client = two_sites, two_sites.env.client
    pid = w.patient["A"]
    other, own = w.auth("coord_b"), w.auth("coord_a")
    for method, path, body in [
        ("GET", f"/api/v1/patients/{pid}", None),
        ("GET", f"/api/v1/patients/{pid}/bundle", None),
        ("GET", f"/api/v1/patients/{pid}/screenings", None),
        ("GET", f"/api/v1/screenings/{w.run['A']}", None),
        ("PATCH", f"/api/v1/patients/{pid}", {"label": "stolen"}),
        ("PUT", f"/api/v1/patients/{pid}/bundle", sle_bundle("x")),
        ("POST", f"/api/v1/patients/{pid}/screenings", None),
        ("DELETE", f"/api/v1/patients/{pid}", None),
    ]:
        r = client.request(method, path, json=body, headers=other)
        assert r.status_code == 404, (method, path, r.status_code)
        assert r.json()["detail"] == f"no patient {pid}" or "screening run" in r.json()["detail"]
    got = client.get(f"/api/v1/patients/{pid}", headers=own).json()
    assert got["label"] == "Patient of site A"  # unchanged, still there
    listed = {p["id"] for p in client.get("/api/v1/patients", headers=other).json()}
    assert listed == {w.patient["B"]}
    everything = {p["id"] for p in client.get("/api/v1/patients", headers=w.auth("admin")).json()}
    assert everything == {w.patient["A"], w.patient["B"]}


# ------------------------------------------------------------------ 3. hostile input


@pytest.mark.parametrize(
    "path",
    [
        f"/api/v1/patients/{2**64}",
        f"/api/v1/patients/{2**63}/bundle",
        f"/api/v1/patients/-{2**64}/screenings",
        f"/api/v1/patients?offset={2**64}",
        f"/api/v1/patients/{'9' * 400}",
    ],
)
def test_ids_and_offsets_beyond_64_bits_are_422(two_sites: TwoSites, path: str) -> None:
    r = two_sites.env.client.get(path, headers=two_sites.auth("coord_a"))
    assert r.status_code == 422, r.text
    assert r.headers["content-type"] == "application/problem+json"


def test_a_5000_digit_number_in_a_bundle_is_422(two_sites: TwoSites) -> None:
    raw = json.dumps(sle_bundle("n")).replace('"value": 70', '"value": ' + "7" * 5000, 1)
    assert "7" * 5000 in raw
    r = two_sites.env.client.post(
        "/api/v1/patients",
        content=raw,
        headers={**two_sites.auth("coord_a"), "Content-Type": "application/fhir+json"},
    )
    assert r.status_code == 422 and "5000 characters" in r.json()["detail"]


def test_deeply_nested_json_is_422(two_sites: TwoSites) -> None:
    for path in ("/api/v1/patients", "/api/v1/screen", "/api/v1/escalation"):
        r = two_sites.env.client.post(
            path,
            content="[" * 100_000,
            headers={**two_sites.auth("coord_a"), "Content-Type": "application/json"},
        )
        assert r.status_code == 422, (path, r.status_code)
        assert "nested deeper" in r.json()["detail"]


def test_a_lone_surrogate_gives_a_clean_422(two_sites: TwoSites) -> None:
    client = two_sites.env.client
    for method, path in [
        ("POST", "/api/v1/escalation"),
        ("PATCH", f"/api/v1/patients/{two_sites.patient['A']}"),
    ]:
        r = client.request(
            method,
            path,
            content=b'{"design": "\\ud800", "label": "\\udfff"}',
            headers={**two_sites.auth("coord_a"), "Content-Type": "application/json"},
        )
        assert r.status_code == 422, (path, r.text)
        assert "lone surrogate" in r.json()["detail"]
    # a surrogate *pair* is ordinary text
    r = client.patch(
        f"/api/v1/patients/{two_sites.patient['A']}",
        content=b'{"label": "Patient \\ud83d\\ude00"}',
        headers={**two_sites.auth("coord_a"), "Content-Type": "application/json"},
    )
    assert r.status_code == 200 and r.json()["label"] == "Patient \U0001f600"


# ------------------------------------------------------------------ 4. concurrent writes


@pytest.fixture
def live(tmp_path: Path) -> Iterator[tuple[str, Env]]:
    for env in start(make_settings(tmp_path)):
        app = create_app(make_settings(tmp_path), say=lambda _: None)
        app.dependency_overrides[get_today] = lambda: AS_OF
        with serve(app) as url:
            yield url, env


def test_eight_concurrent_bundle_writes_on_sqlite_all_succeed(live: tuple[str, Env]) -> None:
    url, env = live
    env.add_user("carol", "coordinator")
    auth = {"Authorization": f"Bearer {env.token('carol')}"}
    with httpx.Client(base_url=url, timeout=60) as http:
        pid = http.post("/api/v1/patients", json=sle_bundle(), headers=auth).json()["id"]
    results: list[int] = []
    lock = threading.Lock()

    def write(i: int) -> None:
        with httpx.Client(base_url=url, timeout=60) as http:
            r = http.put(
                f"/api/v1/patients/{pid}/bundle",
                json=sle_bundle(creatinine_umol=60 + i),
                headers=auth,
            )
        with lock:
            results.append(r.status_code)

    threads = [threading.Thread(target=write, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results == [200] * 8
    with env.sessions.begin() as db:
        version = db.execute(text("SELECT version FROM patients WHERE id = :i"), {"i": pid})
        assert version.scalar_one() == 9  # every write landed, one after the other


def test_a_stale_write_is_refused_not_silently_applied(two_sites: TwoSites) -> None:
    client, pid = two_sites.env.client, two_sites.patient["A"]
    auth = two_sites.auth("coord_a")
    first = client.get(f"/api/v1/patients/{pid}", headers=auth)
    etag = first.headers["etag"]
    ok = client.patch(
        f"/api/v1/patients/{pid}", json={"notes": "first"}, headers={**auth, "If-Match": etag}
    )
    assert ok.status_code == 200 and ok.headers["etag"] != etag
    stale = client.patch(
        f"/api/v1/patients/{pid}", json={"notes": "second"}, headers={**auth, "If-Match": etag}
    )
    assert stale.status_code == 412 and "changed since you read it" in stale.json()["detail"]
    assert client.get(f"/api/v1/patients/{pid}", headers=auth).json()["notes"] == "first"
    put = client.put(
        f"/api/v1/patients/{pid}/bundle",
        json=sle_bundle(creatinine_umol=99),
        headers={**auth, "If-Match": etag},
    )
    assert put.status_code == 412


# ------------------------------------------------------------------ 5. audit gaps


def test_user_and_token_creation_and_revocation_are_audited(env: Env) -> None:
    login(env.client, "admin", ADMIN_PASSWORD)
    token = csrf_of(env.client, "/workspace/users")
    r = env.client.post(
        "/workspace/users",
        data={"csrf_token": token, "username": "nina", "password": PASSWORD, "role": "viewer"},
        follow_redirects=False,
    )
    assert r.status_code == 303
    r = env.client.post("/workspace/tokens", data={"csrf_token": token, "name": "ci"})
    assert r.status_code == 201
    with env.sessions.begin() as db:
        tid = db.execute(text("SELECT max(id) FROM api_tokens")).scalar_one()
    r = env.client.post(
        f"/workspace/tokens/{tid}/revoke", data={"csrf_token": token}, follow_redirects=False
    )
    assert r.status_code == 303
    trail = [(u, a, d) for u, a, _, d in env.audit()]
    assert ("admin", "create", "user nina: created (viewer, site Main site)") in trail
    assert ("admin", "create", f"API token #{tid} of user admin: created") in trail
    assert ("admin", "revoke", f"API token #{tid} of user admin: revoked") in trail
    assert ("admin", "login", "signed in") in trail


def test_failed_sign_in_of_an_existing_account_is_audited(env: Env) -> None:
    env.add_user("carol", "coordinator")
    token = csrf_of(env.client, "/login")
    env.client.post("/login", data={"username": "CAROL", "password": "x" * 9, "csrf_token": token})
    env.client.post("/login", data={"username": "nobody", "password": "y" * 9, "csrf_token": token})
    failed = [e for e in env.audit() if e[1] == "login_failed"]
    assert failed == [("system", "login_failed", None, "user carol")]  # never the typed name


def test_usernames_are_unique_whatever_their_case(env: Env) -> None:
    env.add_user("vera", "viewer")
    with pytest.raises(Exception, match="already exists"):
        env.add_user("VERA", "viewer")
    login(env.client, "Vera")  # and signing in ignores case
    assert env.client.get("/workspace/patients").status_code == 200


def test_audit_rows_cannot_be_changed_or_deleted(env: Env) -> None:
    login(env.client, "admin", ADMIN_PASSWORD)
    assert env.audit()
    for statement in ("UPDATE audit_log SET detail = 'forged'", "DELETE FROM audit_log"):
        with pytest.raises(Exception, match="append-only"), env.sessions.begin() as db:
            db.execute(text(statement))
    assert all(d != "forged" for *_, d in env.audit())


# ------------------------------------------------------------------ 6. contract


def test_422_is_problem_json_with_a_string_detail_and_field_errors(client: Any) -> None:
    r = client.get("/api/v1/trials?min_age=abc")
    if r.status_code != 422:  # the filter names may change: any int query of ours will do
        r = client.post("/api/v1/escalation", json={"design": "nope"})
    assert r.status_code == 422
    body = r.json()
    assert r.headers["content-type"] == "application/problem+json"
    assert isinstance(body["detail"], str) and body["status"] == 422
    assert body["title"] == "Unprocessable Content" and body["type"] == "about:blank"
    assert isinstance(body["errors"], list) and body["errors"][0]["loc"]


def test_every_error_status_is_documented_as_problem_json(client: Any) -> None:
    spec = client.get("/api/v1/openapi.json").json()
    op = spec["paths"]["/api/v1/patients/{patient_id}/bundle"]["put"]
    for code in ("400", "401", "403", "404", "409", "412", "413", "415", "422", "500"):
        content = op["responses"][code]["content"]
        assert "application/problem+json" in content, code
    assert "HTTPValidationError" not in json.dumps(spec)


def test_405_names_every_allowed_method(client: Any) -> None:
    r = client.put("/api/v1/patients/1")
    assert r.status_code == 405
    assert r.headers["allow"] == "DELETE, GET, PATCH"
    assert client.delete("/api/v1/patients").headers["allow"] == "GET, POST"


def test_a_repeated_query_parameter_is_refused(two_sites: TwoSites) -> None:
    r = two_sites.env.client.get(
        "/api/v1/patients?limit=1&limit=500", headers=two_sites.auth("coord_a")
    )
    assert r.status_code == 400 and "'limit'" in r.json()["detail"]
    unknown = two_sites.env.client.get("/api/v1/patients?limt=1", headers=two_sites.auth("coord_a"))
    assert (
        unknown.status_code == 400 and "unknown query parameter 'limt'" in unknown.json()["detail"]
    )
    # a list parameter may repeat
    ok = two_sites.env.client.post(
        "/api/v1/screen?trial=NCT05239702&trial=NCT05239702",
        json=sle_bundle(),
    )
    assert ok.status_code in (200, 404)


@pytest.mark.parametrize(
    "path",
    [
        f"/workspace/patients/{2**64}",
        f"/workspace/patients/{2**63}/edit",
        f"/workspace/patients/{2**64}/export",
        f"/workspace/users/{2**64}",
        f"/workspace/audit?patient_id={2**64}",
    ],
)
def test_page_ids_beyond_64_bits_are_422(env: Env, path: str) -> None:
    login(env.client, "admin", ADMIN_PASSWORD)
    assert env.client.get(path).status_code == 422


def test_the_edit_form_refuses_to_overwrite_someone_elses_change(env: Env) -> None:
    env.add_user("carol", "coordinator")
    env.add_user("dave", "coordinator")
    carol = _second_browser(env, "carol")
    dave = _second_browser(env, "dave")
    auth = {"Authorization": f"Bearer {env.token('carol')}"}
    pid = env.client.post("/api/v1/patients?label=Shared", json=sle_bundle(), headers=auth).json()[
        "id"
    ]
    forms = {}
    for name, browser in (("carol", carol), ("dave", dave)):  # both open the edit form
        page = browser.get(f"/workspace/patients/{pid}/edit").text
        version = re.search(r'name="row_version" value="(\d+)"', page)
        assert version is not None
        forms[name] = {"csrf_token": csrf_of(browser, f"/workspace/patients/{pid}/edit")}
        forms[name]["row_version"] = version.group(1)
    first = carol.post(
        f"/workspace/patients/{pid}",
        data={**forms["carol"], "label": "Carol's label", "notes": "carol"},
        follow_redirects=False,
    )
    assert first.status_code == 303
    second = dave.post(
        f"/workspace/patients/{pid}",
        data={**forms["dave"], "label": "Dave's label", "notes": "dave"},
        follow_redirects=False,
    )
    assert second.status_code == 409
    assert "changed by someone else" in second.text and "Dave&#39;s label" in second.text
    record = env.client.get(f"/api/v1/patients/{pid}", headers=auth).json()
    assert record["label"] == "Carol's label" and record["notes"] == "carol"


def test_no_route_overflows_on_a_huge_id(env: Env) -> None:
    """Every route of the app (enumerated, so later ones too), every path parameter 2^64:
    never a 500 — integer parameters are bounded in one place (``contract.bounded_integers``)."""
    from cartrial.web.contract import flat_routes

    login(env.client, "admin", ADMIN_PASSWORD)
    token = csrf_of(env.client, "/workspace/calculators")
    crashed = []
    for route in flat_routes(env.app.routes):
        if "{" not in route.path:
            continue
        path = re.sub(r"\{[^}]+\}", str(2**64), route.path)
        for method in sorted(route.methods - {"HEAD"}):
            r = env.client.request(
                method, path, headers={"X-CSRF-Token": token}, follow_redirects=False
            )
            if r.status_code >= 500:
                crashed.append(f"{method} {route.path}: {r.status_code}")
    assert not crashed, crashed
