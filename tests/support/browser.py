"""What the browser tests share: the real app under uvicorn on 127.0.0.1 (a background thread)
and headless Chromium driven by Playwright.

``browser`` is a pytest fixture (one Chromium per test module), registered for ``tests/web`` by
its conftest; a module's ``ARTIFACTS`` folder, when it names one, is created before Chromium
starts (screenshots; ``test-artifacts/`` is gitignored). :func:`serve` runs any ASGI app
(lifespan included) and yields its base URL; the same server serves the tests that need true
concurrency (several HTTP connections at once).
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
import uvicorn

CHROMIUM = Path("/usr/bin/chromium")
LAUNCH_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
"""Screenshots and rendered pages of the browser tests (gitignored)."""
AXE = Path(__file__).resolve().parents[1] / "web" / "vendor" / "axe.min.js"
"""axe-core, vendored from npm: the accessibility checks run in the page."""


def free_port() -> int:
    """A port free on 127.0.0.1 now (for a URL that must be known before the server starts)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def serve(app: Any, *, port: int = 0, **config: Any) -> Iterator[str]:
    """Run ``app`` under uvicorn on 127.0.0.1 (``port`` 0: any free one) in a thread, yield its
    base URL, stop it at the end. ``config``: more ``uvicorn.Config`` options (logging)."""
    config.setdefault("log_level", "warning")
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, **config))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            server.should_exit = True
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.02)
    bound = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{bound}"
    finally:
        server.should_exit = True
        thread.join(timeout=30)


@contextmanager
def chromium() -> Iterator[Any]:
    """Headless Chromium (Debian's, at /usr/bin/chromium); the test is skipped without it."""
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


@pytest.fixture(scope="module")
def browser(request: pytest.FixtureRequest) -> Iterator[Any]:
    """One headless Chromium for the test module (its ``ARTIFACTS`` folder made first)."""
    folder = getattr(request.module, "ARTIFACTS", None)
    if isinstance(folder, Path):
        folder.mkdir(parents=True, exist_ok=True)
    with chromium() as b:
        yield b
