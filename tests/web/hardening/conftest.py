"""Two sites, a coordinator and a viewer at each, one patient (with a screening run) at each."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from cartrial.persistence.repositories import Sites, Users
from tests.web.helpers import Env, make_settings, sle_bundle, start


@dataclass
class TwoSites:
    env: Env
    site: dict[str, int] = field(default_factory=dict)  # "A"/"B" -> site id
    patient: dict[str, int] = field(default_factory=dict)  # "A"/"B" -> patient id
    run: dict[str, str] = field(default_factory=dict)  # "A"/"B" -> run id
    tokens: dict[str, str] = field(default_factory=dict)  # username -> bearer token
    user_ids: dict[str, int] = field(default_factory=dict)  # username -> user id

    def auth(self, username: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[username]}"}


USERS = {
    "admin": ("admin", "A"),
    "coord_a": ("coordinator", "A"),
    "viewer_a": ("viewer", "A"),
    "coord_b": ("coordinator", "B"),
    "viewer_b": ("viewer", "B"),
}


@pytest.fixture
def two_sites(tmp_path: Path) -> Iterator[TwoSites]:
    for env in start(make_settings(tmp_path)):
        world = TwoSites(env)
        with env.sessions.begin() as db:
            sites = Sites(db)
            first = sites.default()
            assert first is not None
            world.site = {"A": first.id, "B": sites.create("Site B").id}
            for name, (role, site) in USERS.items():
                if name != "admin":
                    Users(db).create(name, "password-123", role, site_id=world.site[site])
        world.tokens = {name: env.token(name) for name in USERS}
        with env.sessions.begin() as db:
            for name in USERS:
                account = Users(db).by_username(name)
                assert account is not None
                world.user_ids[name] = account.id
        for site, coord in (("A", "coord_a"), ("B", "coord_b")):
            r = env.client.post(
                f"/api/v1/patients?label=Patient%20of%20site%20{site}",
                json=sle_bundle(f"p-{site}"),
                headers=world.auth(coord),
            )
            assert r.status_code == 201, r.text
            world.patient[site] = r.json()["id"]
            run = env.client.post(
                f"/api/v1/patients/{world.patient[site]}/screenings", headers=world.auth(coord)
            )
            assert run.status_code == 201, run.text
            world.run[site] = run.json()["run_id"]
        yield world
