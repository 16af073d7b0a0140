"""``cartrial mail send-pending|purge|export`` and ``cartrial alerts run`` (cron-friendly).

They read the web app's settings (``DATABASE_URL``, ``SECRET_KEY``, ``TRIALS_DIR``) and the
engage settings (``SMTP_URL``, ``MAIL_FROM``, ``PUBLIC_BASE_URL``, ``RETENTION_DAYS`` ...), so a
cron job on the server sees what the app sees. Output names counts, never addresses.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Annotated

import typer

from cartrial.cli._common import clear_errors, fail, stdout_write

if TYPE_CHECKING:
    from pathlib import Path

    from sqlalchemy.orm import Session, sessionmaker

    from cartrial.engage.alerts import AlertReport
    from cartrial.engage.service import Engage
    from cartrial.web.settings import Settings


@contextmanager
def _context() -> Iterator[tuple[Settings, sessionmaker[Session], Engage]]:
    from cartrial.engage.service import Engage
    from cartrial.engage.settings import EngageSettings
    from cartrial.persistence.db import make_engine, session_factory, upgrade
    from cartrial.web.settings import Settings

    settings = Settings()
    engine = make_engine(settings.database_url)
    try:
        if settings.migrate_on_start:
            upgrade(engine)
        engage = Engage(settings=EngageSettings(), secret=settings.resolved_secret_key())
        yield settings, session_factory(engine), engage
    finally:
        engine.dispose()


def _now() -> datetime:
    """The CLI edge reads the clock; the library takes ``now``."""
    return datetime.now(UTC)


def alerts_after_sync(data_dir: Path | None = None, *, send: bool = True) -> AlertReport:
    """Run the volunteer alerts over what the app shows and send the digests (``trials sync``
    calls it once its records are written, with its data directory; default VAR_DIR)."""
    from cartrial.engage.alerts import run_alerts
    from cartrial.services.bundled_protocols import load_protocols
    from cartrial.web.catalog import Catalog

    with _context() as (settings, sessions, engage):
        protocols = load_protocols(settings.trials_dir)
        finder = Catalog(protocols).finder(data_dir or settings.var_dir)
        with sessions.begin() as db:
            report = run_alerts(db, finder.store.entries.values(), engage, now=_now())
        if send:
            engage.send_pending(sessions, now=_now())
    return report


def alerts_summary(report: AlertReport) -> str:
    """One line for the operator: counts only, never an address."""
    first = " (first run: the current trials are the baseline)" if report.baseline else ""
    return (
        f"{len(report.new_trials)} newly open trials, {report.digests} digests "
        f"({report.alerts} alerts) queued{first}"
    )


def register(app: typer.Typer) -> None:
    """Add this group's commands to the cartrial app."""
    mail = typer.Typer(
        help="Outgoing mail: send what is pending in the outbox.", no_args_is_help=True
    )
    alerts = typer.Typer(
        help="Volunteer alerts: email new fitting trials (idempotent).", no_args_is_help=True
    )

    @mail.command("send-pending")
    def send_pending() -> None:
        """Send due messages (retries with backoff; without SMTP_URL nothing is sent)."""

        with clear_errors(), _context() as (_settings, sessions, engage):
            try:
                report = engage.send_pending(sessions, now=_now())
            except ValueError as exc:  # a malformed SMTP_URL
                raise fail(str(exc)) from None
        if not report.configured:
            stdout_write("SMTP_URL is not set: mail stays in the outbox (see /workspace/outbox)")
            return
        stdout_write(
            f"sent {report.sent}, retrying later {report.retrying}, given up {report.failed}"
        )
        if report.failed:
            raise typer.Exit(1)

    @mail.command("purge")
    def purge() -> None:
        """Delete what the retention settings no longer allow to keep."""
        from cartrial.engage.privacy import purge as run_purge

        with clear_errors(), _context() as (_settings, sessions, engage), sessions.begin() as db:
            r = run_purge(db, engage, now=_now())
        stdout_write(
            f"deleted: {r.contact_requests} closed contact requests, {r.sent_mail} sent mails, "
            f"{r.unconfirmed_volunteers} unconfirmed volunteers, {r.expired_shares} share links, "
            f"{r.rate_events} rate-limit counts"
        )

    @mail.command("export")
    def export(
        email: Annotated[str, typer.Argument(help="The address to export (and mail to).")],
    ) -> None:
        """Queue an email to EMAIL with everything held about it."""
        from cartrial.engage.contact import check_email
        from cartrial.engage.privacy import queue_export

        try:
            address = check_email(email)
        except ValueError as exc:
            raise fail(f"EMAIL: {exc}") from None
        with clear_errors(), _context() as (_settings, sessions, engage):
            with sessions.begin() as db:
                queue_export(db, engage, address, now=_now())
            engage.send_pending(sessions, now=_now())
        stdout_write("export queued")

    @alerts.command("run")
    def run(
        send: Annotated[
            bool, typer.Option("--send/--no-send", help="Send the queued mail now.")
        ] = True,
    ) -> None:
        """Alert confirmed volunteers about newly open trials that fit them (idempotent).

        Reads the trials the web app shows: the finder's store (registry snapshot, records
        synced into VAR_DIR, the computable protocols of TRIALS_DIR).
        """
        with clear_errors():
            report = alerts_after_sync(send=send)
        stdout_write(alerts_summary(report))

    app.add_typer(mail, name="mail")
    app.add_typer(alerts, name="alerts")
