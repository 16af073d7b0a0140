"""Helpers shared by the web tests: apps on tmp SQLite files, CSRF-aware logins, bundles.

Nothing is written outside tmp dirs: every Settings points DATABASE_URL and var/ at tmp paths.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import text

from cartrial.persistence.repositories import Tokens, Users
from cartrial.web.app import create_app
from cartrial.web.deps import get_today
from cartrial.web.settings import Settings
from tests.support.fhir_builder import BundleBuilder

AS_OF = date(2026, 11, 22)
ADMIN_PASSWORD = "admin-pass-123"
PASSWORD = "password-123"
CSRF_RE = re.compile(r'name="csrf_token" value="([^"]+)"')


def sle_bundle(pid: str = "web-sle-1", *, creatinine_umol: float = 70) -> dict[str, Any]:
    """A woman of 41 with refractory SLE: labs, scores, prior therapies (real FHIR ingest)."""
    b = BundleBuilder(pid, birth="1985-04-02", gender="female")
    b.condition("sle", "2015-03-01")
    b.lab("creatinine", creatinine_umol, "umol/L", "2026-11-10")
    b.lab("hemoglobin", 118, "g/L", "2026-11-10")
    b.lab("platelets", 210, "10*9/L", "2026-11-10")
    b.lab("anc", 3.1, "10*9/L", "2026-11-10")
    b.lab("alt", 22, "U/L", "2026-11-10")
    b.lab("ast", 25, "U/L", "2026-11-10")
    b.lab("bilirubin_total", 0.6, "mg/dL", "2026-11-10")
    b.score("sledai_2k", 10, "2026-11-10")
    b.score("selena_sledai", 10, "2026-11-10")
    b.med("mycophenolate_mofetil", "2020-01-01", "2023-01-01", reason="lack of efficacy")
    b.med("rituximab", "2023-02-01", "2023-08-01", reason="lack of efficacy")
    return b.build()


def make_settings(tmp_path: Path, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "database_url": f"sqlite:///{tmp_path / 'app.db'}",
        "var_dir": tmp_path / "var",
        "secret_key": "test-secret-key-not-for-production",
        "admin_password": ADMIN_PASSWORD,
        "seed_demo": False,
        "gc_freeze": False,  # many apps per test process
        # a cheap argon2 profile for tests (production keeps argon2-cffi's strong default)
        "argon2_time_cost": 1,
        "argon2_memory_kib": 8,
        "argon2_parallelism": 1,
    }
    values.update(overrides)
    return Settings(**values)


@dataclass
class Env:
    """A started app, its client and the one-time messages it printed."""

    app: FastAPI
    client: TestClient
    said: list[str]

    @property
    def sessions(self) -> Any:
        return self.app.state.cartrial.sessions

    def add_user(self, username: str, role: str, password: str = PASSWORD) -> None:
        with self.sessions.begin() as db:
            Users(db).create(username, password, role)

    def token(self, username: str) -> str:
        with self.sessions.begin() as db:
            user = Users(db).by_username(username)
            assert user is not None
            return Tokens(db).create(user, "test")[1]

    def count(self, table: str) -> int:
        with self.sessions.begin() as db:
            return int(db.execute(text(f"SELECT count(*) FROM {table}")).scalar_one())

    def audit(self) -> list[tuple[str, str, int | None, str]]:
        with self.sessions.begin() as db:
            rows = db.execute(
                text("SELECT username, action, patient_id, detail FROM audit_log ORDER BY id")
            ).all()
            return [(r[0], r[1], r[2], r[3]) for r in rows]


def start(settings: Settings, **client_kw: Any) -> Iterator[Env]:
    said: list[str] = []
    app = create_app(settings, say=said.append)
    app.dependency_overrides[get_today] = lambda: AS_OF
    with TestClient(app, **client_kw) as client:
        yield Env(app=app, client=client, said=said)


def csrf_of(client: TestClient, path: str = "/login") -> str:
    page = client.get(path)
    found = CSRF_RE.search(page.text)
    assert found, f"no CSRF token on {path}"
    return found.group(1)


def login(client: TestClient, username: str, password: str = PASSWORD) -> None:
    token = csrf_of(client, "/login")
    r = client.post(
        "/login",
        data={
            "username": username,
            "password": password,
            "csrf_token": token,
            "next": "/workspace",
        },
        follow_redirects=False,
    )
    assert r.status_code == 303, r.text
