"""The real app (uvicorn on 127.0.0.1, demo patients seeded) and headless Chromium for the
coordinator-screen browser tests; screenshots go to a tmp dir (never committed)."""

from __future__ import annotations

import os
import socket
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import uvicorn

from cartrial.web.app import create_app
from cartrial.web.deps import get_today
from tests.web.helpers import ADMIN_PASSWORD, AS_OF, make_settings

CHROMIUM = Path("/usr/bin/chromium")
AXE = Path(__file__).resolve().parents[1] / "vendor" / "axe.min.js"
LAUNCH_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


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
    port = _free_port()
    srv = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not srv.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        srv.should_exit = True
        thread.join(timeout=15)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if not CHROMIUM.exists():
        pytest.skip(
            "Chromium not found at /usr/bin/chromium: install the Debian 'chromium' "
            "package (make system-deps) to run the browser tests"
        )
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=LAUNCH_ARGS)
        try:
            yield b
        finally:
            b.close()


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
