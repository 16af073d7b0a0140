"""The authorization matrix: every route of the app × role × own/other site.

Routes are enumerated from ``app.routes`` (included routers expanded), so a route added later
is checked too and cannot escape: anonymous access must be refused unless the route is in
the explicit public allow-list below; every route on a patient or screening run answers 404
to another site's users and the role's rights at its own site; no page or API list shows a
coordinator another site's patient. A route with a path parameter nobody has classified
fails :func:`test_every_path_parameter_is_classified`.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from fastapi.testclient import TestClient

from cartrial.web.contract import RouteInfo, flat_routes
from tests.web.hardening.conftest import TwoSites
from tests.web.helpers import ADMIN_PASSWORD, PASSWORD, csrf_of, login, sle_bundle

PUBLIC = frozenset(
    {
        # public site, sign-in, anonymous pre-screening, trial finder
        "/",
        "/healthz",
        "/login",
        "/logout",
        "/prescreen",
        "/faq",
        "/about/data",
        "/trials/{nct_id}",
        "/trials/{nct_id}/calendar",
        "/trials/{nct_id}/calendar.ics",
        "/trials/{nct_id}/prescreen",
        "/organizations/{slug}",
        "/products/{slug}",
        "/conditions",
        "/conditions/{slug}",
        # patients' own side: contact forms, volunteer registry (capability links), notes kept
        # in the visitor's own session, share links (capability tokens), privacy
        "/trials/{nct_id}/contact",
        "/trials/{nct_id}/contact/prefill",
        "/contact/sent",
        "/volunteer",
        "/volunteer/confirm/{token}",
        "/volunteer/manage/{token}",
        "/volunteer/manage/{token}/delete",
        "/volunteer/unsubscribe/{token}",
        "/notes/{nct_id}",
        "/notes/{nct_id}/{note_id}/delete",
        "/notes/{nct_id}/share",
        "/notes/shares/{share_id}/revoke",
        "/notes-export",
        "/s/{token}",
        "/privacy",
        "/privacy/export",
        # the public REST API (catalogue, screening of a posted bundle, calculators, designs)
        "/api/docs",
        "/api/v1/openapi.json",
        "/api/v1/trials",
        "/api/v1/trials/{nct_id}",
        "/api/v1/trials/{nct_id}/sites",
        "/api/v1/trials/{nct_id}/similar",
        "/api/v1/trials/{nct_id}/screen",
        "/api/v1/screen",
        "/api/v1/calculators",
        "/api/v1/calculators/{name}",
        "/api/v1/escalation",
        "/api/v1/places",
        "/api/v1/organizations/{slug}",
        "/api/v1/products/{slug}",
        "/api/v1/conditions",
        "/api/v1/conditions/{slug}",
        "/api/v1/snapshot",
        "/api/v1/volunteers/unsubscribe/{token}",
    }
)
"""Routes anyone may call. Adding a route here is a decision: say why beside it."""

SITE_RECORD_PARAMS = {"patient_id", "run_id"}
"""Path parameters naming one site's record: checked own/other site for every role below."""

OTHER_PARAMS = {
    "nct_id": "a bundled trial (public catalogue data)",
    "name": "a calculator",
    "slug": "a public catalogue entry",
    "kind": "an export kind of the conduct area",
    "token": "a capability token (volunteer links, share links)",
    "token_id": "one's own API token (the repository refuses another user's)",
    "user_id": "an account (administrators only)",
    "note_id": "a note in the visitor's own session",
    "share_id": "a share link of the visitor's own session",
    "request_id": "a contact request (engage inbox; signed-in staff only)",
    "enrolment_id": "a trial enrolment (conduct; signed-in staff only)",
    "decision_id": "a dose decision (conduct; signed-in staff only)",
    "ae_key": "an adverse event (conduct; signed-in staff only)",
}
"""Every other path parameter, with what it names. Records of these kinds are covered by the
anonymous rule and the list rule, not by the own/other-site fixtures."""

EDITOR_PAGES = {"/workspace/patients/{patient_id}/edit"}
"""Pages only editors may open (a viewer gets 403 even at their own site)."""
ADMIN_ONLY = ("/workspace/users", "/workspace/audit", "/api/v1/sites", "/api/v1/users")
UNSAFE = {"POST", "PUT", "PATCH", "DELETE"}
ROLE_OF = {"admin": "admin", "coord_a": "coordinator", "viewer_a": "viewer"}
ROLE_OF.update({"coord_b": "coordinator", "viewer_b": "viewer"})
SITE_OF = {"admin": "A", "coord_a": "A", "viewer_a": "A", "coord_b": "B", "viewer_b": "B"}


def _routes(world: TwoSites) -> list[RouteInfo]:
    return [r for r in flat_routes(world.env.app.routes) if not r.path.startswith("/static")]


def _params(path: str) -> set[str]:
    return set(re.findall(r"\{([^}:]+)", path))


def _is_api(path: str) -> bool:
    return path.startswith("/api/")


def test_every_path_parameter_is_classified(two_sites: TwoSites) -> None:
    unknown = {
        f"{r.path} ({p})"
        for r in _routes(two_sites)
        for p in _params(r.path)
        if p not in SITE_RECORD_PARAMS and p not in OTHER_PARAMS
    }
    assert not unknown, (
        "routes with a path parameter the authorization matrix does not know: classify it in "
        f"SITE_RECORD_PARAMS (with a fixture) or OTHER_PARAMS: {sorted(unknown)}"
    )


def _fill(path: str, world: TwoSites, site: str = "A") -> str:
    nct = sorted(world.env.app.state.cartrial.catalog.entries)[0]
    values = {
        "patient_id": str(world.patient[site]),
        "run_id": world.run[site],
        "nct_id": nct,
        "user_id": str(world.user_ids["viewer_b"]),  # an account the admin may change
    }
    return re.sub(r"\{([^}:]+)(:[^}]*)?\}", lambda m: values.get(m.group(1), "1"), path)


def test_anonymous_visitors_reach_only_the_public_routes(two_sites: TwoSites) -> None:
    client = two_sites.env.client
    client.cookies.clear()
    leaks = []
    for route in _routes(two_sites):
        if route.path in PUBLIC:
            continue
        for method in sorted(route.methods - {"HEAD"}):
            r = client.request(method, _fill(route.path, two_sites), follow_redirects=False)
            if r.status_code == 303 and not r.headers["location"].startswith("/login"):
                r = client.get(r.headers["location"], follow_redirects=False)  # one hop
            refused = r.status_code in (401, 403) or (
                r.status_code == 303 and r.headers["location"].startswith("/login")
            )
            if not refused:
                leaks.append(f"{method} {route.path} -> {r.status_code}")
    assert not leaks, f"reachable without signing in (add to PUBLIC only if meant): {leaks}"


class Browser:
    """A signed-in user: a page client with its CSRF token, or bearer headers for the API."""

    def __init__(self, world: TwoSites, username: str) -> None:
        self.world, self.username = world, username
        self.client = TestClient(world.env.app)
        login(self.client, username, ADMIN_PASSWORD if username == "admin" else PASSWORD)
        self.csrf = csrf_of(self.client, "/workspace/calculators")

    def call(self, method: str, path: str) -> Any:
        kwargs: dict[str, Any] = {"follow_redirects": False}
        if _is_api(path):
            kwargs["headers"] = self.world.auth(self.username)
            if method == "PUT":
                kwargs["json"] = sle_bundle("matrix")
            elif method == "PATCH":
                kwargs["json"] = {"notes": "matrix"}
        else:
            kwargs["headers"] = {"X-CSRF-Token": self.csrf}
            if method == "POST":
                kwargs["data"] = {"csrf_token": self.csrf, "notes": "matrix", "label": "Matrix"}
        return self.client.request(method, path, **kwargs)


@pytest.fixture
def browsers(two_sites: TwoSites) -> dict[str, Browser]:
    return {name: Browser(two_sites, name) for name in ROLE_OF}


def _fresh_patient(world: TwoSites, site: str) -> int:
    coord = "coord_a" if site == "A" else "coord_b"
    r = world.env.client.post(
        f"/api/v1/patients?label=Fresh%20{site}",
        json=sle_bundle("fresh"),
        headers=world.auth(coord),
    )
    assert r.status_code == 201, r.text
    return int(r.json()["id"])


def test_site_records_matrix(two_sites: TwoSites, browsers: dict[str, Browser]) -> None:
    """Every route on a patient or run × every role × own/other site."""
    world = two_sites
    failures: list[str] = []
    checked = 0
    for route in _routes(world):
        if not _params(route.path) & SITE_RECORD_PARAMS:
            continue
        for method in sorted(route.methods - {"HEAD"}):
            for name, browser in browsers.items():
                role, home = ROLE_OF[name], SITE_OF[name]
                for target in ("A", "B"):
                    own = role == "admin" or target == home
                    path = _fill(route.path, world, target)
                    if method in UNSAFE and "{patient_id}" in route.path and own:
                        # writes (and deletes) act on a fresh record, the fixture stays intact
                        fresh = _fresh_patient(world, target)
                        path = path.replace(f"/{world.patient[target]}", f"/{fresh}", 1)
                    r = browser.call(method, path)
                    checked += 1
                    status = r.status_code
                    if status >= 500:
                        ok = False
                    elif not own:
                        role_refused = role == "viewer" and (
                            method in UNSAFE or route.path in EDITOR_PAGES
                        )
                        ok = status == 404 or (role_refused and status == 403)
                    elif role == "viewer" and (method in UNSAFE or route.path in EDITOR_PAGES):
                        ok = status == 403
                    else:
                        ok = status < 400 or status in (409, 412, 422)
                    if not ok:
                        failures.append(f"{name} {method} {route.path} site {target}: {status}")
    assert checked > 50
    assert not failures, "\n".join(failures)


def test_no_list_shows_another_sites_patient(
    two_sites: TwoSites, browsers: dict[str, Browser]
) -> None:
    """Every signed-in GET route without a record parameter (lists, overviews, exports):
    site B's users never see site A's patient, site A's do (where the route lists patients)."""
    world = two_sites
    seen_by_a: list[str] = []
    leaks: list[str] = []
    for route in _routes(world):
        if route.path in PUBLIC or "GET" not in route.methods:
            continue
        if _params(route.path) - {"nct_id", "kind"}:
            continue
        path = _fill(route.path, world)
        if route.path.startswith(ADMIN_ONLY):
            continue  # administrators see every site by design
        for name in ("coord_b", "viewer_b", "coord_a"):
            r = browsers[name].call("GET", path)
            if r.status_code >= 500:
                leaks.append(f"{name} GET {route.path}: {r.status_code}")
                continue
            shows_a = "Patient of site A" in r.text
            if name == "coord_a" and shows_a:
                seen_by_a.append(route.path)
            elif name != "coord_a" and shows_a:
                leaks.append(f"{name} sees site A's patient on GET {route.path}")
    assert not leaks, "\n".join(leaks)
    # the check has teeth: the same lists do show site A's patient to site A
    assert {"/workspace/patients", "/api/v1/patients"} <= set(seen_by_a), seen_by_a


def test_admin_only_routes_refuse_other_roles(
    two_sites: TwoSites, browsers: dict[str, Browser]
) -> None:
    refused: list[str] = []
    for route in _routes(two_sites):
        if not route.path.startswith(ADMIN_ONLY):
            continue
        for method in sorted(route.methods - {"HEAD"}):
            path = _fill(route.path, two_sites)
            for name in ("coord_a", "viewer_a", "coord_b"):
                status = browsers[name].call(method, path).status_code
                if status != 403:
                    refused.append(f"{name} {method} {route.path}: {status}")
            assert browsers["admin"].call(method, path).status_code != 403, route.path
    assert not refused, "\n".join(refused)
