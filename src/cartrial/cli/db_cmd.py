"""``cartrial db backup FILE`` and ``cartrial db restore FILE``: the workspace database.

SQLite: a consistent copy taken with SQLite's online backup API while the app keeps running
(readers and writers are not stopped), checked with ``PRAGMA integrity_check``; restore
copies a backup back the same way, then migrates it to the current schema. PostgreSQL:
``pg_dump`` / ``pg_restore`` (custom format) when they are on PATH, else the exact commands.
Both read ``DATABASE_URL`` like the app.
"""

from __future__ import annotations

import shutil
import sqlite3
import subprocess
from pathlib import Path
from typing import Annotated

import typer

from cartrial.cli._common import fail, stdout_write

db_app = typer.Typer(help="Database maintenance: online backup and restore.", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    """Add this group's commands to the cartrial app."""
    app.add_typer(db_app, name="db")


def _url() -> str:
    from cartrial.web.settings import Settings

    return Settings().database_url


def _revision(path: Path) -> str | None:
    con = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        row = con.execute("SELECT version_num FROM alembic_version").fetchone()
    except sqlite3.DatabaseError:
        return None
    finally:
        con.close()
    return str(row[0]) if row else None


def _check(path: Path) -> None:
    con = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        result = con.execute("PRAGMA integrity_check").fetchone()
    except sqlite3.DatabaseError as exc:
        raise fail(f"{path} is not a SQLite database ({exc})") from None
    finally:
        con.close()
    if not result or result[0] != "ok":
        raise fail(f"{path} failed the integrity check: {result[0] if result else 'no answer'}")


def _pg_tool(name: str) -> str | None:
    found = shutil.which(name)
    if found:
        return found
    for candidate in sorted(Path("/usr/lib/postgresql").glob(f"*/bin/{name}"), reverse=True):
        return str(candidate)
    return None


def _libpq_url(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


@db_app.command("backup")
def backup(
    file: Annotated[Path, typer.Argument(help="Where to write the backup.")],
    force: Annotated[bool, typer.Option("--force", help="Overwrite FILE if it exists.")] = False,
) -> None:
    """Copy the live database to FILE (SQLite: online backup; PostgreSQL: pg_dump)."""
    from cartrial.persistence.db import backup_sqlite, make_engine

    if file.exists() and not force:
        raise fail(f"{file} exists: choose another name or pass --force")
    url = _url()
    engine = make_engine(url)
    try:
        if engine.dialect.name == "postgresql":
            tool = _pg_tool("pg_dump")
            command = [tool or "pg_dump", "--format=custom", f"--file={file}", _libpq_url(url)]
            if tool is None:
                raise fail(
                    "pg_dump is not installed; on the database host run:\n  " + " ".join(command)
                )
            subprocess.run(command, check=True)
            stdout_write(f"cartrial: PostgreSQL dump written to {file}")
            return
        tmp = file.with_name(file.name + ".partial")
        tmp.unlink(missing_ok=True)
        backup_sqlite(engine, tmp)
        _check(tmp)
        tmp.replace(file)  # the backup appears complete or not at all
    except ValueError as exc:
        raise fail(str(exc)) from None
    finally:
        engine.dispose()
    stdout_write(
        f"cartrial: backup of schema {_revision(file) or '?'} written to {file} "
        f"({file.stat().st_size:,} bytes, integrity ok)"
    )


@db_app.command("restore")
def restore(
    file: Annotated[Path, typer.Argument(help="A backup made by `cartrial db backup`.")],
    yes: Annotated[
        bool, typer.Option("--yes", help="Replace the current database without asking.")
    ] = False,
) -> None:
    """Replace the database with FILE, then migrate it to the current schema.

    Stop the web app first: sessions open during a restore would write into the old data.
    """
    from cartrial.persistence.db import head_revision, make_engine, upgrade

    if not file.is_file():
        raise fail(f"{file} does not exist")
    url = _url()
    engine = make_engine(url)
    try:
        if engine.dialect.name == "postgresql":
            tool = _pg_tool("pg_restore")
            command = [
                tool or "pg_restore",
                "--clean",
                "--if-exists",
                "--no-owner",
                f"--dbname={_libpq_url(url)}",
                str(file),
            ]
            if tool is None:
                raise fail(
                    "pg_restore is not installed; on the database host run:\n  " + " ".join(command)
                )
            if not yes:
                typer.confirm("Replace the current database with the backup?", abort=True)
            subprocess.run(command, check=True)
        else:
            _check(file)
            revision = _revision(file)
            if revision is None:
                raise fail(f"{file} is not a cartrial database (no schema revision)")
            known = _known_revisions()
            if revision not in known:
                raise fail(
                    f"{file} has schema {revision}, unknown to this version of cartrial "
                    f"(it knows {', '.join(sorted(known))}): upgrade cartrial first"
                )
            if not yes:
                typer.confirm("Replace the current database with the backup?", abort=True)
            database = engine.url.database
            if not database or database == ":memory:":
                raise fail("DATABASE_URL names no SQLite file to restore into")
            engine.dispose()
            source = sqlite3.connect(f"file:{file}?mode=ro", uri=True)
            target = sqlite3.connect(database)
            try:
                source.backup(target)  # page by page, under the target's lock: all or nothing
            finally:
                target.close()
                source.close()
        upgrade(engine)
    finally:
        engine.dispose()
    stdout_write(f"cartrial: database restored from {file} (schema now {head_revision()})")


def _known_revisions() -> set[str]:
    from alembic.script import ScriptDirectory

    from cartrial.persistence.db import alembic_config

    script = ScriptDirectory.from_config(alembic_config())
    return {rev.revision for rev in script.walk_revisions()}
