"""``cartrial serve`` (the web app and REST API) and ``cartrial users add|list|token``.

Both read the same settings as the app (``DATABASE_URL``, ``SECRET_KEY`` … see
:mod:`cartrial.web.settings`) and migrate the database before touching it.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Annotated

import typer

from cartrial.cli._common import fail, stdout_write

if TYPE_CHECKING:
    from sqlalchemy.orm import Session, sessionmaker

users_app = typer.Typer(
    help="Workspace users (roles: admin, coordinator, viewer).", no_args_is_help=True
)


def register(app: typer.Typer) -> None:
    @app.command("serve")
    def serve(
        host: Annotated[str, typer.Option("--host", help="Interface to listen on.")] = "127.0.0.1",
        port: Annotated[int, typer.Option("--port", help="TCP port.", min=1, max=65535)] = 8000,
        log_level: Annotated[str, typer.Option("--log-level", help="uvicorn log level.")] = "info",
    ) -> None:
        """Run the web application and the REST API (http://HOST:PORT)."""
        import uvicorn

        from cartrial.web.app import create_app
        from cartrial.web.settings import Settings

        application = create_app(Settings())
        stdout_write(f"cartrial: serving on http://{host}:{port} (API docs at /api/docs)")
        logging.basicConfig(
            level=log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s"
        )
        # uvicorn's access log prints raw paths and query strings; the app logs route
        # templates instead (cartrial.access), never patient data
        uvicorn.run(
            application,
            host=host,
            port=port,
            log_level=log_level,
            access_log=False,
            proxy_headers=False,
            server_header=False,
        )

    app.add_typer(users_app, name="users")


def _sessions() -> sessionmaker[Session]:
    from cartrial.persistence.db import make_engine, session_factory, upgrade
    from cartrial.web.settings import Settings

    engine = make_engine(Settings().database_url)
    upgrade(engine)
    return session_factory(engine)


@users_app.command("add")
def add(
    username: Annotated[str, typer.Argument(help="Login name.")],
    role: Annotated[
        str, typer.Option("--role", help="admin, coordinator or viewer.")
    ] = "coordinator",
    password: Annotated[
        str | None,
        typer.Option("--password", help="Password (8+ characters); prompted for when omitted."),
    ] = None,
) -> None:
    """Create a user (e.g. the first admin: `cartrial users add alice --role admin`)."""
    from cartrial.persistence.repositories import RepositoryError, Users

    if password is None:
        password = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    try:
        with _sessions().begin() as db:
            user = Users(db).create(username, password, role)
            name, chosen = user.username, user.role
    except RepositoryError as exc:
        raise fail(str(exc)) from None
    stdout_write(f"created user {name!r} with role {chosen}")


@users_app.command("list")
def list_users() -> None:
    """Usernames, roles and whether each is active."""
    from cartrial.persistence.repositories import Users

    with _sessions().begin() as db:
        for u in Users(db).all():
            stdout_write(f"{u.username}\t{u.role}\t{'active' if u.is_active else 'inactive'}")


@users_app.command("token")
def token(
    username: Annotated[str, typer.Argument(help="The token acts as this user.")],
    name: Annotated[str, typer.Option("--name", help="A label for the token.")] = "cli",
) -> None:
    """Create an API token (printed once) for /api/v1/patients and screenings."""
    from cartrial.persistence.repositories import Tokens, Users

    with _sessions().begin() as db:
        user = Users(db).by_username(username)
        if user is None:
            raise fail(f"no user {username!r}")
        _, plain = Tokens(db).create(user, name)
    stdout_write(plain)
