"""``cartrial db backup`` / ``restore``: a live copy, restored later, on SQLite and PostgreSQL."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from cartrial.cli.main import app
from tests.web.helpers import Env, make_settings, sle_bundle, start

runner = CliRunner()


def _patients(env: Env) -> int:
    return env.count("patients")


def _import(env: Env, auth: dict[str, str], label: str) -> None:
    r = env.client.post(f"/api/v1/patients?label={label}", json=sle_bundle(), headers=auth)
    assert r.status_code == 201, r.text


@pytest.mark.parametrize(
    "backend", ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]
)
def test_backup_then_restore_brings_back_the_data(
    backend: str, tmp_path: Path, request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch
) -> None:
    if backend == "sqlite":
        url = f"sqlite:///{tmp_path / 'live.db'}"
    else:
        url = request.getfixturevalue("pg_server").new_database()
    monkeypatch.setenv("DATABASE_URL", url)
    backup = tmp_path / "backup.db"
    for env in start(make_settings(tmp_path, database_url=url)):
        env.add_user("carol", "coordinator")
        auth = {"Authorization": f"Bearer {env.token('carol')}"}
        _import(env, auth, "Kept")
        # taken while the app is running (its engine holds open connections)
        res = runner.invoke(app, ["db", "backup", str(backup)])
        assert res.exit_code == 0, res.output
        assert backup.is_file() and backup.stat().st_size > 0
        again = runner.invoke(app, ["db", "backup", str(backup)])
        assert again.exit_code == 2 and "exists" in again.output
        _import(env, auth, "Lost")
        assert _patients(env) == 2
        env.app.state.cartrial.engine.dispose()
        res = runner.invoke(app, ["db", "restore", str(backup), "--yes"])
        assert res.exit_code == 0, res.output
        assert _patients(env) == 1
        labels = env.client.get("/api/v1/patients", headers=auth).json()
        assert [p["label"] for p in labels] == ["Kept"]
        actions = [a for _, a, _, _ in env.audit()]
        assert actions.count("create") >= 2  # the trail came back with the data


def test_restore_refuses_what_is_not_a_backup(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'live.db'}")
    junk = tmp_path / "junk.db"
    junk.write_bytes(b"this is not a database at all" * 100)
    res = runner.invoke(app, ["db", "restore", str(junk), "--yes"])
    assert res.exit_code == 2 and "not a SQLite database" in res.output
    missing = runner.invoke(app, ["db", "restore", str(tmp_path / "nope.db"), "--yes"])
    assert missing.exit_code == 2 and "does not exist" in missing.output
