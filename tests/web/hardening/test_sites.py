"""Sites: administrators add them and place users; the scope follows a user to a new site;
audit entries and screenings are scoped like patients; the scope is enforced below the routes."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from cartrial.persistence.models import AuditEntry, PatientRecord, Screening
from cartrial.persistence.repositories import Patients, Users
from cartrial.persistence.scope import NOBODY, OutOfScope, SiteScope, set_scope
from tests.web.hardening.conftest import TwoSites
from tests.web.helpers import ADMIN_PASSWORD, PASSWORD, csrf_of, login, sle_bundle


def test_admin_adds_a_site_and_moves_a_coordinator_there(two_sites: TwoSites) -> None:
    w, client = two_sites, two_sites.env.client
    login(client, "admin", ADMIN_PASSWORD)
    token = csrf_of(client, "/workspace/sites")
    r = client.post(
        "/workspace/sites", data={"csrf_token": token, "name": "Site C"}, follow_redirects=False
    )
    assert r.status_code == 303
    dup = client.post("/workspace/sites", data={"csrf_token": token, "name": "site c"})
    assert dup.status_code == 422 and "already exists" in dup.text
    page = client.get("/workspace/sites").text
    assert "Site C" in page and "Site B" in page
    sites = client.get("/api/v1/sites", headers=w.auth("admin")).json()
    site_c = next(s["id"] for s in sites if s["name"] == "Site C")
    # coord_a is signed in elsewhere; moving them ends that session
    other = client.__class__(w.env.app)
    login(other, "coord_a", PASSWORD)
    r = client.post(
        f"/workspace/users/{w.user_ids['coord_a']}/placement",
        data={"csrf_token": token, "role": "coordinator", "site_id": str(site_c)},
        follow_redirects=False,
    )
    assert r.status_code == 303
    assert other.get("/workspace/patients", follow_redirects=False).status_code == 303
    # the token now sees site C's (no) patients, not site A's
    assert client.get("/api/v1/patients", headers=w.auth("coord_a")).json() == []
    trail = [d for _, a, _, d in w.env.audit() if a in ("create", "update")]
    assert "site Site C: created" in trail and "user coord_a: moved to site Site C" in trail
    bad = client.post(
        f"/workspace/users/{w.user_ids['coord_a']}/placement",
        data={"csrf_token": token, "site_id": "999"},
    )
    assert bad.status_code == 422 and "no site 999" in bad.text


def test_api_admin_creates_users_at_a_site_and_others_may_not(two_sites: TwoSites) -> None:
    w, client = two_sites, two_sites.env.client
    body = {
        "username": "Nina",
        "password": "password-123",
        "role": "viewer",
        "site_id": w.site["B"],
    }
    r = client.post("/api/v1/users", json=body, headers=w.auth("admin"))
    assert r.status_code == 201 and r.json()["site_id"] == w.site["B"]
    again = client.post("/api/v1/users", json={**body, "username": "NINA"}, headers=w.auth("admin"))
    assert again.status_code == 422 and "already exists" in again.json()["detail"]
    assert client.post("/api/v1/users", json=body, headers=w.auth("coord_a")).status_code == 403
    nina = r.json()["id"]
    r = client.patch(f"/api/v1/users/{nina}", json={"is_active": False}, headers=w.auth("admin"))
    assert r.status_code == 200 and r.json()["is_active"] is False
    own = w.user_ids["admin"]
    r = client.patch(f"/api/v1/users/{own}", json={"role": "viewer"}, headers=w.auth("admin"))
    assert r.status_code == 422


def test_audit_and_screenings_are_scoped_like_patients(two_sites: TwoSites) -> None:
    w = two_sites
    with w.env.sessions() as db:
        set_scope(db, SiteScope(w.site["B"]))
        audited = {e.patient_id for e in db.scalars(select(AuditEntry)).all()} - {None}
        screened = {s.patient_id for s in db.scalars(select(Screening)).all()}
        assert audited == {w.patient["B"]} and screened == {w.patient["B"]}
        # the scope holds in subqueries and relationship loads too
        coordinator = Users(db).by_username("coord_b")
        assert coordinator is not None
        assert [r.id for r in Patients(db).search()] == [w.patient["B"]]
        set_scope(db, NOBODY)
        assert db.scalars(select(PatientRecord)).all() == []


def test_a_write_into_another_site_is_refused_below_the_routes(two_sites: TwoSites) -> None:
    w = two_sites
    with w.env.sessions() as db:
        set_scope(db, SiteScope(w.site["B"]))
        db.add(PatientRecord(site_id=w.site["A"], label="smuggled", bundle=sle_bundle(), version=1))
        with pytest.raises(OutOfScope):
            db.flush()
        db.rollback()
