"""Fixtures of the engage web tests: a local SMTP server, apps wired to it, a settable clock."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from cartrial.engage.settings import EngageSettings
from cartrial.web.app import create_app
from cartrial.web.deps import get_now, get_today
from tests.web.engage.smtp import SmtpServer
from tests.web.helpers import AS_OF, make_settings

NOW = datetime(2026, 11, 22, 9, 0, tzinfo=UTC)


@dataclass
class Clock:
    now: datetime = NOW

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **kw: float) -> None:
        self.now += timedelta(**kw)


def engage_settings(smtp: SmtpServer | None, **overrides: Any) -> EngageSettings:
    values: dict[str, Any] = {
        "smtp_url": smtp.url if smtp else None,
        "mail_from": "cartrial <noreply@cartrial.test>",
        "contact_notify_email": "coordinator@site.test",
        "public_base_url": "http://testserver",
        "passcode_time_cost": 1,  # a cheap argon2 profile: tests only
        "passcode_memory_kib": 1024,
        "smtp_timeout_seconds": 3,
    }
    values.update(overrides)
    return EngageSettings(**values)


@pytest.fixture
def smtp() -> Iterator[SmtpServer]:
    server = SmtpServer()
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def clock() -> Clock:
    return Clock()


@dataclass
class EngageEnv:
    app: Any
    client: TestClient
    clock: Clock

    @property
    def sessions(self) -> Any:
        return self.app.state.cartrial.sessions

    @property
    def engage(self) -> Any:
        from cartrial.web.pages.engage import get_engage

        class _Req:
            app = self.app

        return get_engage(_Req())  # type: ignore[arg-type]


def start_engage(
    tmp_path: Path,
    smtp: SmtpServer | None,
    clock: Clock,
    *,
    database_url: str | None = None,
    trials_dir: Path | None = None,
    **overrides: Any,
) -> Iterator[EngageEnv]:
    extra: dict[str, Any] = {}
    if database_url:
        extra["database_url"] = database_url
    if trials_dir:
        extra["trials_dir"] = trials_dir
    app = create_app(make_settings(tmp_path, **extra), say=lambda _t: None)
    app.state.engage_settings = engage_settings(smtp, **overrides)
    app.dependency_overrides[get_today] = lambda: AS_OF
    app.dependency_overrides[get_now] = clock
    with TestClient(app) as client:
        yield EngageEnv(app=app, client=client, clock=clock)


@pytest.fixture
def eng(tmp_path: Path, smtp: SmtpServer, clock: Clock) -> Iterator[EngageEnv]:
    yield from start_engage(tmp_path, smtp, clock)
