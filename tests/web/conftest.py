"""Fixtures of the web tests: an app per test on a tmp SQLite file, a throwaway PostgreSQL
cluster per session, users, tokens, CSRF-aware logins and synthetic FHIR bundles.

Nothing is written outside tmp dirs: every Settings points DATABASE_URL and var/ at tmp paths.
"""

from __future__ import annotations

import os
import pwd
import re
import shutil
import socket
import subprocess
import tempfile
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import text

from cartrial.persistence.db import make_engine, upgrade
from cartrial.persistence.repositories import Tokens, Users
from cartrial.web.app import create_app
from cartrial.web.deps import get_today
from cartrial.web.settings import Settings
from tests.support.fhir_builder import BundleBuilder

AS_OF = date(2026, 11, 22)
ADMIN_PASSWORD = "admin-pass-123"
PASSWORD = "password-123"


# ------------------------------------------------------------------ bundles


def sle_bundle(pid: str = "web-sle-1") -> dict[str, Any]:
    """A woman of 41 with refractory SLE: labs, scores and prior therapies (real FHIR ingest)."""
    b = BundleBuilder(pid, birth="1985-04-02", gender="female")
    b.condition("sle", "2015-03-01")
    b.lab("creatinine", 70, "umol/L", "2026-11-10")
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


# ------------------------------------------------------------------ apps


def make_settings(tmp_path: Path, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "database_url": f"sqlite:///{tmp_path / 'app.db'}",
        "var_dir": tmp_path / "var",
        "secret_key": "test-secret-key-not-for-production",
        "admin_password": ADMIN_PASSWORD,
        "seed_demo": False,
    }
    values.update(overrides)
    return Settings(**values)


@dataclass
class Env:
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
            return int(db.execute(text(f"SELECT count(*) FROM {table}")).scalar_one())  # noqa: S608


def start(settings: Settings, **client_kw: Any) -> Iterator[Env]:
    said: list[str] = []
    app = create_app(settings, say=said.append)
    app.dependency_overrides[get_today] = lambda: AS_OF
    with TestClient(app, **client_kw) as client:
        yield Env(app=app, client=client, said=said)


@pytest.fixture
def env(tmp_path: Path) -> Iterator[Env]:
    yield from start(make_settings(tmp_path))


@pytest.fixture
def client(env: Env) -> TestClient:
    return env.client


# ------------------------------------------------------------------ pages: CSRF and login

CSRF_RE = re.compile(r'name="csrf_token" value="([^"]+)"')


def csrf_of(client: TestClient, path: str = "/login") -> str:
    page = client.get(path)
    found = CSRF_RE.search(page.text)
    assert found, f"no CSRF token on {path}"
    return found.group(1)


def login(client: TestClient, username: str, password: str) -> None:
    token = csrf_of(client, "/login")
    r = client.post("/login", data={"username": username, "password": password,
                                    "csrf_token": token, "next": "/workspace"},
                    follow_redirects=False)
    assert r.status_code == 303, r.text


@pytest.fixture
def admin_client(env: Env) -> TestClient:
    login(env.client, "admin", ADMIN_PASSWORD)
    return env.client


# ------------------------------------------------------------------ PostgreSQL (throwaway)


def _pg_bin() -> Path | None:
    for candidate in sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True):
        if (candidate / "initdb").exists() and (candidate / "pg_ctl").exists():
            return candidate
    found = shutil.which("initdb")
    return Path(found).parent if found else None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class PgServer:
    port: int
    admin_url: str
    counter: int = 0

    def new_database(self) -> str:
        """A fresh empty database; returns its SQLAlchemy URL."""
        self.counter += 1
        name = f"t{self.counter}_{uuid.uuid4().hex[:8]}"
        engine = make_engine(self.admin_url, isolation_level="AUTOCOMMIT")
        with engine.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        engine.dispose()
        return self.admin_url.rsplit("/", 1)[0] + f"/{name}"


@pytest.fixture(scope="session")
def pg_server() -> Iterator[PgServer]:
    """A PostgreSQL cluster of its own on 127.0.0.1:<free port>, stopped at session end."""
    bin_dir = _pg_bin()
    if bin_dir is None:
        pytest.skip("PostgreSQL binaries (initdb, pg_ctl) not found: install the Debian "
                    "'postgresql' package (make system-deps) to run the PostgreSQL tests")
    root = Path(tempfile.mkdtemp(prefix="cartrial-pg-"))
    os.chmod(root, 0o755)
    data, sock, log = root / "data", root / "sock", root / "server.log"
    sock.mkdir()
    prefix: list[str] = []
    if os.geteuid() == 0:  # initdb refuses root: run the cluster as the postgres user
        try:
            pw = pwd.getpwnam("postgres")
        except KeyError:
            shutil.rmtree(root, ignore_errors=True)
            pytest.skip("running as root and there is no 'postgres' user to own the cluster")
        for path in (root, sock):
            os.chown(path, pw.pw_uid, pw.pw_gid)
        prefix = ["runuser", "-u", "postgres", "--"]
    port = _free_port()

    def run(*args: str) -> None:
        subprocess.run([*prefix, *args], check=True, capture_output=True, timeout=120)

    run(str(bin_dir / "initdb"), "--auth=trust", "-U", "postgres", "-E", "UTF8",
        "--locale=C", "-D", str(data))
    run(str(bin_dir / "pg_ctl"), "-D", str(data), "-l", str(log), "-w", "-t", "60",
        "-o", f"-p {port} -k {sock} -c listen_addresses=127.0.0.1 -c fsync=off "
              "-c synchronous_commit=off -c full_page_writes=off", "start")
    try:
        yield PgServer(port=port,
                       admin_url=f"postgresql+psycopg://postgres@127.0.0.1:{port}/postgres")
    finally:
        subprocess.run([*prefix, str(bin_dir / "pg_ctl"), "-D", str(data), "-m", "fast", "-w",
                        "stop"], capture_output=True, timeout=120)
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """An empty database on each backend (parametrised: SQLite file, PostgreSQL cluster)."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'persist.db'}"
    server: PgServer = request.getfixturevalue("pg_server")
    return server.new_database()


@pytest.fixture
def migrated_url(db_url: str) -> str:
    engine = make_engine(db_url)
    upgrade(engine)
    engine.dispose()
    return db_url


EnvFactory = Callable[..., Env]
