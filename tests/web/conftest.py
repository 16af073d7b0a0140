"""Fixtures of the web tests: an app per test on a tmp SQLite file, and a throwaway PostgreSQL
cluster per session for the persistence tests (parametrised over both backends); ``browser``
(headless Chromium per module) comes from ``tests/support/browser.py``."""

from __future__ import annotations

import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text

from cartrial.persistence.db import make_engine, upgrade
from tests.support.browser import browser  # noqa: F401 - the shared Chromium fixture
from tests.web.helpers import ADMIN_PASSWORD, Env, login, make_settings, sle_bundle, start


@pytest.fixture
def bundle() -> dict[str, Any]:
    return sle_bundle()


@pytest.fixture
def env(tmp_path: Path) -> Iterator[Env]:
    yield from start(make_settings(tmp_path))


@pytest.fixture
def client(env: Env) -> TestClient:
    return env.client


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
    return Path(found).parent if found and shutil.which("pg_ctl") else None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class PgServer:
    port: int
    admin_url: str

    def new_database(self) -> str:
        """A fresh empty database; returns its SQLAlchemy URL."""
        name = f"t_{uuid.uuid4().hex[:12]}"
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
        pytest.skip(
            "PostgreSQL binaries (initdb, pg_ctl) not found: install the Debian "
            "'postgresql' package (make system-deps) to run the PostgreSQL tests"
        )
    root = Path(tempfile.mkdtemp(prefix="cartrial-pg-"))
    os.chmod(root, 0o755)
    data, sock, log = root / "data", root / "sock", root / "server.log"
    sock.mkdir()
    prefix: list[str] = []
    if os.geteuid() == 0:  # initdb refuses root: the cluster runs as the postgres user
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

    try:
        run(
            str(bin_dir / "initdb"),
            "--auth=trust",
            "-U",
            "postgres",
            "-E",
            "UTF8",
            "--locale=C",
            "-D",
            str(data),
        )
        run(
            str(bin_dir / "pg_ctl"),
            "-D",
            str(data),
            "-l",
            str(log),
            "-w",
            "-t",
            "60",
            "-o",
            f"-p {port} -k {sock} -c listen_addresses=127.0.0.1 -c fsync=off "
            "-c synchronous_commit=off -c full_page_writes=off",
            "start",
        )
        yield PgServer(
            port=port, admin_url=f"postgresql+psycopg://postgres@127.0.0.1:{port}/postgres"
        )
    finally:
        subprocess.run(
            [*prefix, str(bin_dir / "pg_ctl"), "-D", str(data), "-m", "fast", "-w", "stop"],
            capture_output=True,
            timeout=120,
        )
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
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
