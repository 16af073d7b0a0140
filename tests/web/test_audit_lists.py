"""Listing views are audited: the patient list, a trial's candidates, the screening tallies."""

from __future__ import annotations

from tests.web.helpers import ADMIN_PASSWORD, Env, login, sle_bundle


def test_listing_views_are_audited_and_shown_to_admins(env: Env) -> None:
    env.add_user("vera", "viewer")
    env.add_user("carol", "coordinator")
    auth = {"Authorization": f"Bearer {env.token('carol')}"}
    r = env.client.post("/api/v1/patients?label=Jane%20Doe", json=sle_bundle(), headers=auth)
    pid = r.json()["id"]
    assert env.client.post(f"/api/v1/patients/{pid}/screenings", headers=auth).status_code == 201
    nct = sorted(env.app.state.cartrial.catalog.entries)[0]
    before = len(env.audit())

    login(env.client, "vera")
    assert "Jane Doe" in env.client.get("/workspace/patients?q=Jane").text
    assert env.client.get("/workspace/trials").status_code == 200
    assert "Jane Doe" in env.client.get(f"/workspace/trials/{nct}/candidates").text
    assert env.client.get("/workspace/trials/NCT00000000/candidates").status_code == 404
    assert env.client.get("/api/v1/patients", headers=auth).status_code == 200

    new = [e for e in env.audit()[before:] if e[1] != "login"]  # sign-ins are audited too
    assert new == [
        ("vera", "view", None, "patient list"),
        ("vera", "view", None, "screening list (verdicts per trial)"),
        ("vera", "view", None, f"candidates {nct}"),
        ("carol", "view", None, "api: patient list"),
    ]
    assert all("Jane" not in detail for *_, detail in env.audit())  # never the search text

    # admins see them at /workspace/audit (filterable by action); others may not
    assert env.client.get("/workspace/audit").status_code == 403
    login(env.client, "admin", ADMIN_PASSWORD)
    page = env.client.get("/workspace/audit?action=view")
    assert page.status_code == 200
    for text in ("patient list", f"candidates {nct}", "screening list (verdicts per trial)"):
        assert f"<td>{text}</td>" in page.text, text
    assert "<td>vera</td>" in page.text and "action-view" in page.text
