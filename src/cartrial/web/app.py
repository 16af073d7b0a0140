"""The application factory: ``create_app(settings)`` — no module-level state.

Start-up (the lifespan) migrates the database (Alembic, programmatically), loads the bundled
trials and, on the very first start, seeds the admin user and the demo patients.
"""

from __future__ import annotations

import gc
import sys
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import date
from pathlib import Path

from fastapi import Depends, FastAPI
from fastapi.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send

import cartrial
from cartrial.persistence.auth import HashProfile, use_profile
from cartrial.persistence.db import make_engine, read_session_factory, session_factory, upgrade
from cartrial.services.bundled_protocols import load_protocols
from cartrial.web import errors
from cartrial.web.api import router as api_router
from cartrial.web.bodies import FORM_OVERHEAD, BodySizeLimit, JsonGuard
from cartrial.web.catalog import Catalog
from cartrial.web.contract import bounded_integers, document_problems, reject_repeated_query
from cartrial.web.deps import AppState, prefetch_body
from cartrial.web.pages import router as pages_router
from cartrial.web.seed import seed_first_start
from cartrial.web.sessions import ServerSessions
from cartrial.web.settings import Settings
from cartrial.web.templating import make_templates

STATIC_DIR = Path(__file__).resolve().parent / "static"

SECURITY_HEADERS = [
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"same-origin"),
    (
        b"content-security-policy",
        b"default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; "
        b"script-src 'self'; frame-ancestors 'none'; form-action 'self'",
    ),
]

NO_STORE = (b"cache-control", b"no-store")
"""Pages and API answers may hold patient data: no browser or proxy keeps a copy."""


class SecurityHeaders:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        static = scope.get("path", "").startswith("/static/")

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                names = {k.lower() for k, _ in headers}
                extra = SECURITY_HEADERS if static else [*SECURITY_HEADERS, NO_STORE]
                for key, value in extra:
                    if key not in names:
                        headers.append((key, value))
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_with_headers)


def create_app(
    settings: Settings | None = None,
    *,
    say: Callable[[str], None] | None = None,
) -> FastAPI:
    """Build the web application; ``say`` prints the one-time start-up messages."""
    settings = settings or Settings()
    use_profile(
        HashProfile(
            time_cost=settings.argon2_time_cost,
            memory_kib=settings.argon2_memory_kib,
            parallelism=settings.argon2_parallelism,
        )
    )
    engine = make_engine(settings.database_url)
    readers = read_session_factory(engine)
    secret_key = settings.resolved_secret_key()
    state = AppState(
        settings=settings,
        engine=engine,
        sessions=session_factory(engine),
        secret_key=secret_key,
        read_sessions=readers,
    )
    speak = say or (lambda text: print(text, file=sys.stderr, flush=True))

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if settings.migrate_on_start:
            upgrade(engine)
        if state.catalog is None:
            state.catalog = Catalog(load_protocols(settings.trials_dir))
        seed_first_start(state.sessions, settings, state.catalog, today=date.today(), say=speak)
        if settings.gc_freeze:
            # the catalogue, vocabularies and validators live as long as the process: keep them
            # out of the cyclic collector's full passes (shorter pauses on every request)
            state.catalog.finder(settings.var_dir).warm()  # finder indexes before the freeze
            gc.collect()
            gc.freeze()
        try:
            yield
        finally:
            engine.dispose()

    app = FastAPI(
        title="cartrial",
        version=cartrial.__version__,
        summary="Computable protocols for CAR-cell therapy trials in refractory autoimmune "
        "disease: catalogue, eligibility trees, screening, calculators, escalation.",
        lifespan=lifespan,
        docs_url=None,  # the interactive explorers load assets from a CDN: /api/docs is ours
        redoc_url=None,
        openapi_url="/api/v1/openapi.json",
        dependencies=[
            Depends(reject_repeated_query),
            Depends(bounded_integers),
            Depends(prefetch_body),
        ],
    )
    app.openapi = document_problems(app)  # type: ignore[method-assign]
    app.state.cartrial = state
    app.state.templates = make_templates()
    errors.install(app)

    app.include_router(api_router)
    app.include_router(pages_router)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")

    # innermost first: the catch-all sees what the exception handlers did not answer
    app.add_middleware(errors.CatchAll)
    app.add_middleware(
        JsonGuard,
        max_depth=settings.max_json_depth,
        max_number_chars=settings.max_json_number_chars,
    )
    app.add_middleware(
        BodySizeLimit,
        limit=settings.max_bundle_bytes + FORM_OVERHEAD,
        bundle_limit=settings.max_bundle_bytes,
    )
    app.add_middleware(
        ServerSessions,
        sessions=state.sessions,
        read_sessions=readers,
        write_lock=state.write_lock,
        idle_seconds=settings.session_idle_seconds,
        max_age_seconds=settings.session_max_age_seconds,
        secure=settings.session_cookie_secure,
    )
    app.add_middleware(SecurityHeaders)
    app.add_middleware(errors.AccessLog)
    return app
