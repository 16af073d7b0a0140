"""The real app (uvicorn on 127.0.0.1, demo patients seeded) for the coordinator-screen browser
tests (headless Chromium: the shared ``browser`` fixture); screenshots go to a tmp dir (never
committed)."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from cartrial.web.app import create_app
from cartrial.web.deps import get_today
from tests.support.browser import AXE, serve
from tests.web.helpers import ADMIN_PASSWORD, AS_OF, make_settings


@pytest.fixture(scope="session")
def shots() -> Path:
    """Where screenshots go: $CARTRIAL_SCREENSHOTS or a fresh tmp dir (never the repo)."""
    path = Path(
        os.environ.get("CARTRIAL_SCREENSHOTS") or tempfile.mkdtemp(prefix="cartrial-screen-")
    )
    path.mkdir(parents=True, exist_ok=True)
    return path


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    tmp = tmp_path_factory.mktemp("screen")
    app = create_app(make_settings(tmp, seed_demo=True), say=lambda _text: None)
    app.dependency_overrides[get_today] = lambda: AS_OF
    with serve(app) as url:
        yield url


def login(page: Any, server: str, next_url: str) -> None:
    page.goto(f"{server}/login?next={next_url}")
    page.fill("#username", "admin")
    page.fill("#password", ADMIN_PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_url(f"**{next_url}")


def axe_violations(page: Any) -> list[str]:
    """axe-core (WCAG 2 A/AA rules) on the page as it stands: one line per violation."""
    # evaluated through the DevTools protocol, not a <script> tag: the app's CSP forbids
    # inline scripts and the page itself is what is checked
    page.evaluate(AXE.read_text(encoding="utf-8") + "\n;undefined")
    result = page.evaluate(
        """async () => await axe.run(document, {runOnly: {type: 'tag',
             values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']}})"""
    )
    return [
        f"{v['id']} ({v['impact']}): {v['help']} — "
        + "; ".join(
            n["target"][0] if isinstance(n["target"][0], str) else str(n["target"])
            for n in v["nodes"][:4]
        )
        for v in result["violations"]
    ]
