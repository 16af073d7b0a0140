"""Engines, sessions and programmatic Alembic migrations (SQLite and PostgreSQL)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.orm import Session, sessionmaker

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"


def normalize_url(url: str | URL) -> URL:
    """``postgresql://`` → the psycopg 3 driver; a relative SQLite path stays relative to the CWD."""
    parsed = make_url(url)
    if parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed


def make_engine(url: str | URL, **kwargs: Any) -> Engine:
    """An engine for ``url``; a SQLite file's folder is created and foreign keys are enforced."""
    parsed = normalize_url(url)
    if parsed.get_backend_name() == "sqlite":
        database = parsed.database
        if database and database != ":memory:" and not database.startswith("file:"):
            Path(database).expanduser().parent.mkdir(parents=True, exist_ok=True)
        kwargs.setdefault("connect_args", {"check_same_thread": False})
        engine = create_engine(parsed, **kwargs)
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "begin", _sqlite_begin)
        return engine
    kwargs.setdefault("pool_pre_ping", True)
    return create_engine(parsed, **kwargs)


SQLITE_BUSY_TIMEOUT_MS = 30_000
"""How long a SQLite transaction waits for the write lock before failing ("database is
locked"). Transactions are short, so waiting is the right answer under a burst of writers."""


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # the driver must not open transactions itself: ``_sqlite_begin`` does, as IMMEDIATE
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    cursor.close()


def _sqlite_begin(connection: Connection) -> None:
    """Every transaction takes the write lock when it starts (BEGIN IMMEDIATE), except on a
    read-only engine (``read_session_factory``).

    A deferred transaction that read first and writes later cannot wait for the lock: if
    another writer committed meanwhile SQLite fails it at once with "database is locked"
    (SQLITE_BUSY_SNAPSHOT) — the 500s seen under concurrent writes. Taking the lock up front
    lets the busy timeout queue writers instead. Readers outside transactions are not blocked
    (WAL).
    """
    read_only = connection.get_execution_options().get(READ_ONLY, False)
    connection.exec_driver_sql("BEGIN" if read_only else "BEGIN IMMEDIATE")


READ_ONLY = "cartrial_read_only"


def session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(bind=engine, autoflush=True, expire_on_commit=False)


def read_session_factory(engine: Engine) -> sessionmaker[Session]:
    """Sessions for reading only: on SQLite they take no write lock (a plain deferred BEGIN,
    a consistent WAL snapshot), so they neither wait for nor hold up writers."""
    return sessionmaker(
        bind=engine.execution_options(**{READ_ONLY: True}),
        autoflush=False,
        expire_on_commit=False,
    )


def alembic_config(engine: Engine | None = None) -> Config:
    """An Alembic Config built in code (no alembic.ini): script location inside the package."""
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    if engine is not None:
        cfg.set_main_option(
            "sqlalchemy.url", engine.url.render_as_string(hide_password=False).replace("%", "%%")
        )
    return cfg


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Bring the schema to ``revision`` (idempotent; runs at every start)."""
    _migrate(engine, lambda cfg: command.upgrade(cfg, revision))


def downgrade(engine: Engine, revision: str) -> None:
    _migrate(engine, lambda cfg: command.downgrade(cfg, revision))


def _migrate(engine: Engine, step: Callable[[Config], None]) -> None:
    """Run ``step`` in one transaction.

    On SQLite foreign keys are switched off meanwhile (they can only be, outside a
    transaction): Alembic's batch mode rebuilds a table by copying, dropping and renaming it,
    and dropping ``patients`` with foreign keys on would cascade-delete every screening. The
    keys are checked (``PRAGMA foreign_key_check``) before the transaction commits.
    """
    sqlite = engine.dialect.name == "sqlite"
    with engine.connect() as connection:
        if sqlite:
            connection.connection.driver_connection.execute("PRAGMA foreign_keys=OFF")  # type: ignore[union-attr]
        try:
            with connection.begin():
                cfg = alembic_config()
                cfg.attributes["connection"] = connection
                step(cfg)
                if sqlite:
                    broken = connection.exec_driver_sql("PRAGMA foreign_key_check").all()
                    if broken:
                        raise RuntimeError(f"the migration broke foreign keys: {broken[:5]}")
        finally:
            if sqlite:
                connection.connection.driver_connection.execute("PRAGMA foreign_keys=ON")  # type: ignore[union-attr]


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def head_revision() -> str | None:
    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def backup_sqlite(engine: Engine, target: Path) -> None:
    """A consistent copy of a live SQLite database (the online backup API: readers and
    writers may continue meanwhile)."""
    import sqlite3

    database = engine.url.database
    if engine.url.get_backend_name() != "sqlite" or not database or database == ":memory:":
        raise ValueError("online backup is for SQLite files; for PostgreSQL use pg_dump")
    target.parent.mkdir(parents=True, exist_ok=True)
    source = sqlite3.connect(database)
    try:
        dest = sqlite3.connect(str(target))
        try:
            source.backup(dest)
        finally:
            dest.close()
    finally:
        source.close()
