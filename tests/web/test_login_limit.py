"""Login attempt limiting: per username, in the database, no enumeration, nothing in the logs."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text

from cartrial.persistence.auth import login_key
from cartrial.web.deps import get_now
from cartrial.web.settings import Settings
from tests.web.helpers import ADMIN_PASSWORD, PASSWORD, Env, csrf_of, make_settings, start

T0 = datetime(2026, 11, 22, 9, 0, tzinfo=UTC)
ATTEMPTS = 3
WINDOW = 600


class Clock:
    """A settable ``get_now`` for the app under test."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def limited(tmp_path: Path) -> Iterator[tuple[Env, Clock]]:
    settings = make_settings(tmp_path, login_max_attempts=ATTEMPTS, login_window_seconds=WINDOW)
    for env in start(settings):
        clock = Clock(T0)
        env.app.dependency_overrides[get_now] = clock
        yield env, clock


def _user_failures(env: Env, username: str) -> int:
    """Rows counted under the username's keyed hash (not those of the client address)."""
    key = login_key(env.app.state.cartrial.secret_key, username)
    with env.sessions.begin() as db:
        return int(
            db.execute(
                text("SELECT count(*) FROM login_failures WHERE username_key = :k"), {"k": key}
            ).scalar_one()
        )


def _try(client: TestClient, username: str, password: str) -> tuple[int, str, dict[str, str]]:
    token = csrf_of(client, "/login")
    r = client.post(
        "/login",
        data={"username": username, "password": password, "csrf_token": token},
        follow_redirects=False,
    )
    alert = re.search(r'role="alert">([^<]*)<', r.text)
    return r.status_code, alert.group(1) if alert else "", dict(r.headers)


def test_defaults_and_environment() -> None:
    settings = Settings()
    assert settings.login_max_attempts == 5 and settings.login_window_seconds == 15 * 60
    env = {"CARTRIAL_LOGIN_MAX_ATTEMPTS": "7", "LOGIN_WINDOW_SECONDS": "60"}
    with pytest.MonkeyPatch.context() as mp:
        for k, v in env.items():
            mp.setenv(k, v)
        settings = Settings()
    assert settings.login_max_attempts == 7 and settings.login_window_seconds == 60


def test_failed_logins_pause_the_username_until_the_window_passes(
    limited: tuple[Env, Clock],
) -> None:
    env, clock = limited
    env.add_user("carol", "coordinator")
    for i in range(ATTEMPTS):
        clock.now = T0 + timedelta(seconds=10 * i)
        status, message, _ = _try(env.client, "carol", "wrong-password")
        assert (status, message) == (401, "Unknown user or wrong password."), i
    # the next attempt is refused without looking at the password — even the right one
    clock.now = T0 + timedelta(seconds=60)
    status, message, headers = _try(env.client, "carol", PASSWORD)
    assert status == 429
    assert (
        "Too many failed sign-in attempts" in message and "try again in about 9 minutes" in message
    )
    assert headers["retry-after"] == str(WINDOW - 60)
    assert env.client.get("/workspace/patients", follow_redirects=False).status_code == 303
    # case and spaces do not make a new username
    assert _try(env.client, "  CAROL ", PASSWORD)[0] == 429
    # other usernames are not affected
    assert _try(env.client, "admin", ADMIN_PASSWORD)[0] == 303
    env.client.cookies.clear()
    # still paused just before the first failure leaves the window, free right after
    clock.now = T0 + timedelta(seconds=WINDOW - 1)
    assert _try(env.client, "carol", PASSWORD)[0] == 429
    clock.now = T0 + timedelta(seconds=WINDOW + 1)
    assert _try(env.client, "carol", PASSWORD)[0] == 303
    assert env.client.get("/workspace/patients").status_code == 200
    # a successful sign-in forgets the username's failures (the address's stay counted)
    assert _user_failures(env, "carol") == 0


def test_sliding_window_counts_only_recent_failures(limited: tuple[Env, Clock]) -> None:
    env, clock = limited
    env.add_user("carol", "coordinator")
    for i in range(ATTEMPTS - 1):
        clock.now = T0 + timedelta(seconds=i)
        assert _try(env.client, "carol", "nope-nope")[0] == 401
    clock.now = T0 + timedelta(seconds=WINDOW + 5)  # those two have left the window
    for _ in range(ATTEMPTS - 1):
        assert _try(env.client, "carol", "nope-nope")[0] == 401
    assert _try(env.client, "carol", PASSWORD)[0] == 303
    assert _user_failures(env, "carol") == 0  # expired rows pruned, the rest cleared on success


def test_unknown_usernames_get_the_same_answers(limited: tuple[Env, Clock]) -> None:
    env, _ = limited
    env.add_user("carol", "coordinator")
    known = [_try(env.client, "carol", "wrong-password")[:2] for _ in range(ATTEMPTS + 1)]
    unknown = [_try(env.client, "mallory", "wrong-password")[:2] for _ in range(ATTEMPTS + 1)]
    assert known == unknown
    assert [s for s, _ in known] == [401] * ATTEMPTS + [429]


def test_the_database_keeps_no_username_and_the_logs_neither(
    limited: tuple[Env, Clock], caplog: pytest.LogCaptureFixture
) -> None:
    env, _ = limited
    caplog.set_level(logging.DEBUG)
    secret_name, secret_password = "jane.doe.1985", "Hunter2-typed-by-mistake"
    for _ in range(ATTEMPTS + 1):
        _try(env.client, secret_name, secret_password)
    with env.sessions.begin() as db:
        rows = db.execute(text("SELECT * FROM login_failures")).all()
    assert _user_failures(env, secret_name) == ATTEMPTS
    stored = " ".join(str(v) for row in rows for v in row)
    assert secret_name not in stored.lower() and "jane" not in stored.lower()
    logged = "\n".join(rec.getMessage() for rec in caplog.records)
    assert "sign-in failed (user key" in logged and "sign-in refused" in logged
    for needle in (secret_name, "jane", secret_password, "Hunter2"):
        assert needle not in logged


def test_the_count_is_shared_by_every_worker(tmp_path: Path) -> None:
    """Two app instances (two worker processes) on one database see the same failures."""
    settings = make_settings(tmp_path, login_max_attempts=ATTEMPTS)
    for first in start(settings):
        first.add_user("carol", "coordinator")
        for second in start(settings):
            for _ in range(ATTEMPTS):
                assert _try(first.client, "carol", "wrong-password")[0] == 401
            assert _try(second.client, "carol", PASSWORD)[0] == 429
