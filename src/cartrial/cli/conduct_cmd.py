"""``cartrial conduct``: the demo conduct dataset, the DLT board and the safety report from the
workspace database (``DATABASE_URL``, default ``var/cartrial.db``; migrated first).

Bad input (an unknown trial, a bad date) prints one line and exits with status 2.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from cartrial.cli._common import fail, parse_date, stdout_write, today

if TYPE_CHECKING:
    from sqlalchemy.orm import Session, sessionmaker

    from cartrial.criteria.protocol import Protocol

conduct_app = typer.Typer(
    help="Trial conduct: enrolment, adverse events, DLT board, reports.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
FORMATS = ("pdf", "teae", "adsl", "adae")


def _sessions() -> sessionmaker[Session]:
    from cartrial.persistence.db import make_engine, session_factory, upgrade
    from cartrial.web.settings import Settings

    engine = make_engine(Settings().database_url)
    upgrade(engine)
    return session_factory(engine)


def _protocols() -> dict[str, Protocol]:
    from cartrial.services.bundled_protocols import load_protocols
    from cartrial.web.settings import Settings

    return dict(load_protocols(Settings().trials_dir))


@conduct_app.command("demo")
def demo(
    as_of: Annotated[
        str | None, typer.Option("--today", help="Anchor date of the demo (YYYY-MM-DD).")
    ] = None,
) -> None:
    """Load the demo conduct dataset (NCT05858684, eight synthetic patients) once."""
    from cartrial.conduct.demo import DEMO_TRIAL, seed_conduct_demo
    from cartrial.persistence.repositories import Users
    from cartrial.web.settings import Settings

    anchor = parse_date(as_of, "--today") or today()
    protocols = _protocols()
    with _sessions().begin() as db:
        owner = Users(db).by_username(Settings().admin_username)
        count = seed_conduct_demo(db, owner, protocols, today=anchor)
    if count == 0:
        stdout_write(f"{DEMO_TRIAL} is already set up for conduct (or not bundled): nothing done")
    else:
        stdout_write(
            f"loaded the conduct demo: {count} patients enrolled in {DEMO_TRIAL}; "
            f"see /workspace/trials/{DEMO_TRIAL}/conduct"
        )


@conduct_app.command("board")
def board(
    nct_id: Annotated[str, typer.Argument(help="The trial (NCT id).")],
    as_of: Annotated[str | None, typer.Option("--as-of", help="YYYY-MM-DD; default today.")] = None,
) -> None:
    """The DLT board's counts per dose level and the escalation decision, as JSON."""
    from cartrial.conduct.service import trial_board
    from cartrial.conduct.store import ConductStore

    when = parse_date(as_of, "--as-of") or today()
    protocol = _protocols().get(nct_id)
    with _sessions().begin() as db:
        store = ConductStore(db, None)
        setup = store.setup(nct_id)
        if protocol is None or setup is None:
            raise fail(f"{nct_id} is not a trial in conduct (see `cartrial conduct demo`)")
        b = trial_board(store, protocol, setup, when)
        out = {
            "trial": nct_id,
            "as_of": when.isoformat(),
            "dlt_rules": b.definition_label,
            "n": list(b.counts.n),
            "y": list(b.counts.y),
            "pending": list(b.counts.pending),
            "current_level": b.current_level,
            "decision": b.decision.to_dict() if b.decision else None,
            "note": b.note,
        }
    stdout_write(json.dumps(out, indent=2))


@conduct_app.command("report")
def report(
    nct_id: Annotated[str, typer.Argument(help="The trial (NCT id).")],
    out: Annotated[Path, typer.Option("--out", help="File to write.")],
    cut: Annotated[str | None, typer.Option("--cut", help="Data cut, YYYY-MM-DD.")] = None,
    fmt: Annotated[str, typer.Option("--format", help="pdf, teae, adsl or adae (CSV).")] = "pdf",
) -> None:
    """The safety report at a data cut: PDF, or the TEAE / ADSL / ADAE CSV."""
    import datetime as dt

    from cartrial.conduct.pdf import report_pdf
    from cartrial.conduct.report import adae_csv, adsl_csv, teae_csv
    from cartrial.conduct.service import report_data
    from cartrial.conduct.store import ConductStore

    if fmt not in FORMATS:
        raise fail(f"--format: {fmt!r} is not one of {', '.join(FORMATS)}")
    when = parse_date(cut, "--cut") or today()
    protocol = _protocols().get(nct_id)
    with _sessions().begin() as db:
        store = ConductStore(db, None)
        setup = store.setup(nct_id)
        if protocol is None or setup is None:
            raise fail(f"{nct_id} is not a trial in conduct (see `cartrial conduct demo`)")
        data = report_data(store, protocol, setup, when)
        if fmt == "pdf":
            out.write_bytes(report_pdf(data, generated=dt.datetime.now(dt.UTC)))
        else:
            writer = {"teae": teae_csv, "adsl": adsl_csv, "adae": adae_csv}[fmt]
            out.write_text(writer(data), encoding="utf-8")
        store.record_export(nct_id, f"{fmt} (CLI)", when)
    stdout_write(f"wrote {out} ({fmt}, data cut {when.isoformat()})")


def register(app: typer.Typer) -> None:
    """Add this group's commands to the cartrial app."""
    app.add_typer(conduct_app, name="conduct")
