"""Migration 0003 on SQLite and PostgreSQL: existing users, patients, screenings and audit rows
move to the "Main site", usernames that differ only by case stop the upgrade, and the audit
log becomes append-only; the downgrade restores the 0002 schema."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import inspect, text

from cartrial.persistence.auth import hash_password
from cartrial.persistence.db import current_revision, downgrade, make_engine, upgrade

T = datetime(2026, 11, 1, tzinfo=UTC)


def _seed_0002(url: str, *, usernames: tuple[str, ...] = ("alice",)) -> None:
    engine = make_engine(url)
    upgrade(engine, "0002")
    with engine.begin() as conn:
        for name in usernames:
            conn.execute(
                text(
                    "INSERT INTO users (username, password_hash, role, is_active, created_at) "
                    "VALUES (:n, :h, 'coordinator', :a, :t)"
                ),
                {"n": name, "h": hash_password("password-123"), "a": True, "t": T},
            )
        conn.execute(
            text(
                "INSERT INTO patients (owner_id, label, bundle, version, notes, created_at, "
                "updated_at) VALUES (1, 'P', '{}', 1, '', :t, :t)"
            ),
            {"t": T},
        )
        conn.execute(
            text(
                "INSERT INTO screenings (run_id, patient_id, trial_id, verdict, as_of, "
                "protocol_hash, patient_version, result, created_at) VALUES "
                "('r1', 1, 'NCT1', 'ELIGIBLE', :d, 'h', 1, '{}', :t)"
            ),
            {"d": T.date(), "t": T},
        )
        conn.execute(
            text(
                "INSERT INTO audit_log (at, user_id, username, action, patient_id, detail) "
                "VALUES (:t, 1, 'alice', 'view', 1, 'patient page')"
            ),
            {"t": T},
        )
    engine.dispose()


def test_0003_moves_existing_rows_to_the_main_site(db_url: str) -> None:
    _seed_0002(db_url)
    engine = make_engine(db_url)
    try:
        upgrade(engine, "0003")
        with engine.connect() as conn:
            assert conn.execute(text("SELECT id, name FROM sites")).all() == [(1, "Main site")]
            assert conn.execute(text("SELECT username_key, site_id FROM users")).all() == [
                ("alice", 1)
            ]
            assert conn.execute(text("SELECT site_id, row_version FROM patients")).one() == (1, 1)
            assert conn.execute(text("SELECT site_id FROM screenings")).scalar_one() == 1
            assert conn.execute(text("SELECT site_id FROM audit_log")).scalar_one() == 1
        for statement in ("UPDATE audit_log SET detail = 'x'", "DELETE FROM audit_log"):
            with pytest.raises(Exception, match="append-only"), engine.begin() as conn:
                conn.execute(text(statement))
        downgrade(engine, "0002")
        assert current_revision(engine) == "0002"
        assert "sites" not in inspect(engine).get_table_names()
        with engine.connect() as conn:  # the data survived the round trip
            assert conn.execute(text("SELECT count(*) FROM audit_log")).scalar_one() == 1
            assert conn.execute(text("SELECT label FROM patients")).scalar_one() == "P"
        upgrade(engine, "0003")
        with engine.begin() as conn:  # a new site gets the next id (sequence not clobbered)
            conn.execute(text("INSERT INTO sites (name, created_at) VALUES ('B', :t)"), {"t": T})
            assert conn.execute(text("SELECT max(id) FROM sites")).scalar_one() == 2
    finally:
        engine.dispose()


def test_0003_stops_on_usernames_that_differ_only_by_case(db_url: str) -> None:
    _seed_0002(db_url, usernames=("vera", "VERA"))
    engine = make_engine(db_url)
    try:
        with pytest.raises(RuntimeError, match="differ only by case"):
            upgrade(engine, "0003")
        assert current_revision(engine) == "0002"  # nothing half-done
    finally:
        engine.dispose()
