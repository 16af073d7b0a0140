"""Persistence on SQLite and PostgreSQL: migrations, repositories, one transaction per request."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect, text

from cartrial.persistence.auth import hash_password, login_key
from cartrial.persistence.db import (
    current_revision,
    downgrade,
    head_revision,
    make_engine,
    session_factory,
    upgrade,
)
from cartrial.persistence.models import Base
from cartrial.persistence.repositories import (
    Audit,
    LoginThrottle,
    Meta,
    Patients,
    RepositoryError,
    Screenings,
    Tokens,
    Users,
)
from cartrial.web.diff import diff_runs
from tests.web.helpers import (
    AS_OF,
    PASSWORD,
    csrf_of,
    login,
    make_settings,
    sle_bundle,
    start,
)

TABLES = {
    "users",
    "api_tokens",
    "patients",
    "screenings",
    "audit_log",
    "app_meta",
    "login_failures",
}


def test_migrations_upgrade_downgrade_and_match_the_models(db_url: str) -> None:
    engine = make_engine(db_url)
    try:
        upgrade(engine)
        upgrade(engine)  # idempotent: every start runs it
        assert current_revision(engine) == head_revision()
        assert set(inspect(engine).get_table_names()) >= TABLES
        with engine.connect() as conn:
            diff = compare_metadata(
                MigrationContext.configure(conn, opts={"compare_type": True}), Base.metadata
            )
        assert diff == [], f"models and migrations disagree: {diff}"
        downgrade(engine, "base")
        assert not TABLES & set(inspect(engine).get_table_names())
        upgrade(engine)
        assert current_revision(engine) == head_revision()
    finally:
        engine.dispose()


def test_repositories_round_trip(migrated_url: str) -> None:
    engine = make_engine(migrated_url)
    sessions = session_factory(engine)
    bundle = sle_bundle()
    try:
        with sessions.begin() as db:
            users = Users(db)
            alice = users.create("alice", PASSWORD, "coordinator")
            users.create("vera", PASSWORD, "viewer")
            with pytest.raises(RepositoryError, match="already exists"):
                users.create("alice", PASSWORD, "viewer")
        with sessions.begin() as db, pytest.raises(RepositoryError, match="role"):
            Users(db).create("bob", PASSWORD, "superuser")
        with sessions.begin() as db:
            users = Users(db)
            assert users.authenticate("alice", PASSWORD) is not None
            assert users.authenticate("alice", "wrong-password") is None
            assert users.authenticate("nobody", PASSWORD) is None
            alice = users.by_username("alice")
            assert alice is not None and alice.password_hash.startswith("$argon2")
            token, plain = Tokens(db).create(alice, "ci")
            assert plain not in token.token_hash and len(token.token_hash) == 64
            assert Tokens(db).user_for(plain) is alice
            record = Patients(db).create(
                owner=alice, label="  Referral   #1 ", bundle=bundle, source_id="web-sle-1"
            )
            assert record.label == "Referral #1"
            pid = record.id
        with sessions.begin() as db:
            record = Patients(db).get(pid)
            assert record is not None and record.bundle == bundle  # JSON round trip
            assert record.created_at.tzinfo is not None
            assert Patients(db).update(record, label="Referral #1") == []
            changed = Patients(db).update(record, bundle=sle_bundle(creatinine_umol=300))
            assert changed == ["bundle"] and record.version == 2
            alice = Users(db).by_username("alice")
            result: dict[str, Any] = {
                "trial": "NCT00000001",
                "verdict": "ELIGIBLE",
                "as_of": AS_OF.isoformat(),
                "criteria": [],
                "missing": [],
            }
            screenings = Screenings(db)
            r1 = screenings.add_run(record, [result], {"NCT00000001": "a" * 64}, alice)
            r2 = screenings.add_run(
                record, [{**result, "verdict": "INELIGIBLE"}], {"NCT00000001": "b" * 64}, alice
            )
            run2 = screenings.run(r2)
            assert run2 is not None
            previous = screenings.previous(run2)
            assert previous is not None and previous.run_id == r1
            assert [r.run_id for r in screenings.runs_for(pid)] == [r2, r1]
            latest = screenings.latest_for_trial("NCT00000001")
            assert [(s.run_id, s.verdict) for s in latest] == [(r2, "INELIGIBLE")]
            diff = diff_runs(previous, run2)
            assert any("protocol updated" in c for c in diff.causes)
            assert diff.changes[0].before == "ELIGIBLE" and diff.changes[0].after == "INELIGIBLE"
            Audit(db).record(alice, "view", pid, "test")
            Meta(db).set("k", "v")
        with sessions.begin() as db:
            record = Patients(db).get(pid)
            assert record is not None
            Audit(db).record(None, "delete", pid, "test")
            Patients(db).delete(record)
        with sessions.begin() as db:
            assert Patients(db).get(pid) is None
            assert Screenings(db).runs_for(pid) == []
            trail = Audit(db).entries(patient_id=pid)
            assert [e.action for e in trail] == ["delete", "view"]  # the trail outlives the record
            assert Meta(db).get("k") == "v"
            alice = Users(db).by_username("alice")
            assert alice is not None
            assert Tokens(db).revoke(alice, token.id)
            assert Tokens(db).user_for(plain) is None
    finally:
        engine.dispose()


def test_one_transaction_per_request_nothing_half_stored(
    migrated_url: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A failure after the patient row is written rolls the whole request back."""
    for env in start(make_settings(tmp_path, database_url=migrated_url)):
        env.add_user("carol", "coordinator")
        token = env.token("carol")
        headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/fhir+json"}
        import json

        body = json.dumps(sle_bundle())
        r = env.client.post("/api/v1/patients", content=body, headers=headers)
        assert r.status_code == 201
        before = (env.count("patients"), env.count("audit_log"))

        def boom(*args: Any, **kwargs: Any) -> Any:
            raise RuntimeError("storage failure with patient data web-sle-1")

        monkeypatch.setattr("cartrial.web.workspace_actions.Audit.record", boom)
        r = env.client.post("/api/v1/patients", content=body, headers=headers)
        assert r.status_code == 500
        assert "web-sle-1" not in r.text and "Traceback" not in r.text
        assert (env.count("patients"), env.count("audit_log")) == before


def test_workspace_flow_on_each_backend(migrated_url: str, tmp_path: Path) -> None:
    """Import, screen, edit, re-screen and see what changed — on SQLite and PostgreSQL."""
    for env in start(make_settings(tmp_path, database_url=migrated_url)):
        env.add_user("carol", "coordinator")
        login(env.client, "carol")
        token = env.token("carol")
        auth = {"Authorization": f"Bearer {token}"}
        r = env.client.post(
            "/api/v1/patients?label=Backend%20test", json=sle_bundle(), headers=auth
        )
        assert r.status_code == 201, r.text
        pid = r.json()["id"]
        first = env.client.post(f"/api/v1/patients/{pid}/screenings", headers=auth).json()
        assert first["changes"] is None
        r = env.client.put(
            f"/api/v1/patients/{pid}/bundle", json=sle_bundle(creatinine_umol=400), headers=auth
        )
        assert r.json()["version"] == 2
        second = env.client.post(f"/api/v1/patients/{pid}/screenings", headers=auth).json()
        assert "patient record changed (version 1 → 2)" in second["changes"]["causes"]
        page = env.client.get(f"/workspace/screenings/{second['run_id']}")
        assert page.status_code == 200 and "What changed since the previous screening" in page.text
        candidates = env.client.get(f"/workspace/trials/{first['results'][0]['trial']}/candidates")
        assert "Backend test" in candidates.text


def test_migration_0002_upgrades_a_0001_database_with_data(db_url: str) -> None:
    """An installation on the first schema keeps its users when login_failures is added."""
    engine = make_engine(db_url)
    try:
        upgrade(engine, "0001")
        assert "login_failures" not in inspect(engine).get_table_names()
        with engine.begin() as conn:  # the 0001 schema: written as that version's code did
            conn.execute(
                text(
                    "INSERT INTO users (username, password_hash, role, is_active, created_at) "
                    "VALUES ('alice', :h, 'coordinator', :t, :c)"
                ),
                {"h": hash_password(PASSWORD), "t": True, "c": datetime(2026, 11, 1, tzinfo=UTC)},
            )
        upgrade(engine)
        assert "login_failures" in inspect(engine).get_table_names()
        with session_factory(engine).begin() as db:
            assert Users(db).authenticate("alice", PASSWORD) is not None
        downgrade(engine, "0001")
        assert "login_failures" not in inspect(engine).get_table_names()
        assert current_revision(engine) == "0001"
    finally:
        engine.dispose()


def test_login_throttle_on_each_backend(migrated_url: str, tmp_path: Path) -> None:
    t0 = datetime(2026, 11, 22, 9, 0, tzinfo=UTC)
    window = timedelta(minutes=15)
    carol, other = login_key("k", "carol"), login_key("k", "dave")
    assert carol == login_key("k", " Carol ") != login_key("other-secret", "carol")
    engine = make_engine(migrated_url)
    sessions = session_factory(engine)
    try:
        with sessions.begin() as db:
            throttle = LoginThrottle(db, max_failures=2, window=window)
            assert throttle.blocked_until(carol, t0) is None
            throttle.record_failure(carol, t0)
            throttle.record_failure(carol, t0 + timedelta(minutes=1))
            throttle.record_failure(other, t0)
        with sessions.begin() as db:
            throttle = LoginThrottle(db, max_failures=2, window=window)
            assert throttle.blocked_until(carol, t0 + timedelta(minutes=2)) == t0 + window
            assert throttle.failures(carol, t0 + timedelta(minutes=2)) == 2
            assert throttle.blocked_until(carol, t0 + window + timedelta(seconds=1)) is None
            # a later failure prunes every row that left the window (any username)
            throttle.record_failure(carol, t0 + window + timedelta(seconds=30))
        with sessions.begin() as db:
            throttle = LoginThrottle(db, max_failures=2, window=window)
            later = t0 + window + timedelta(seconds=30)
            rows = db.scalar(text("SELECT count(*) FROM login_failures"))
            assert rows == 2  # carol's and dave's failures at t0 were deleted
            assert throttle.failures(carol, later) == 2 and throttle.failures(other, later) == 0
            throttle.clear(carol)
            assert throttle.failures(carol, later) == 0
        with sessions.begin() as db, pytest.raises(RepositoryError):
            LoginThrottle(db, max_failures=0, window=window)
    finally:
        engine.dispose()
    # two app instances (two worker processes) share the count through the database
    settings = make_settings(tmp_path, database_url=migrated_url, login_max_attempts=2)
    for first in start(settings):
        first.add_user("carol", "coordinator")
        for second in start(settings):
            for client, status in ((first.client, 401), (second.client, 401), (first.client, 429)):
                token = csrf_of(client, "/login")
                r = client.post(
                    "/login",
                    data={"username": "carol", "password": "wrong-pass", "csrf_token": token},
                )
                assert r.status_code == status
            token = csrf_of(second.client, "/login")
            r = second.client.post(
                "/login", data={"username": "carol", "password": PASSWORD, "csrf_token": token}
            )
            assert r.status_code == 429 and "Too many failed sign-in attempts" in r.text
