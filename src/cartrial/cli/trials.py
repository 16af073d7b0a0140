"""``cartrial trials list|show|lint`` over the bundled computable protocols, and
``cartrial trials find|snapshot`` over the finder (every trial of the registry snapshot plus the
records ``trials import|sync`` fetched into the data directory)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from cartrial.cli._common import choice, clear_errors, fail, stdout_write
from cartrial.cli.trials_registry import register_trials
from cartrial.criteria.checks import lint
from cartrial.criteria.render import render_tree
from cartrial.domain.errors import DataError
from cartrial.ingest.store import data_dir as default_data_dir
from cartrial.services.bundled_protocols import get_protocol, load_protocols

trials_app = typer.Typer(help="The bundled computable protocols.", no_args_is_help=True)


@trials_app.command("list")
def list_(fmt: Annotated[str, typer.Option("--format", help="table or json.")] = "table") -> None:
    """One line per bundled trial."""
    fmt = choice(fmt, ("table", "json"), "--format")
    with clear_errors():
        protocols = load_protocols()
    rows: list[dict[str, Any]] = [
        {
            "nct_id": p.nct_id,
            "title": p.trial.brief_title or p.trial.title,
            "status": p.trial.status,
            "phases": list(p.trial.phases),
            "cell_type": p.trial.cell_type,
            "targets": list(p.trial.target_antigens),
            "diseases": list(p.trial.diseases),
        }
        for p in protocols.values()
    ]
    if fmt == "json":
        stdout_write(json.dumps(rows, indent=2, ensure_ascii=False))
        return
    table = Table()
    for col in ("NCT", "title", "status", "cell", "targets", "diseases"):
        table.add_column(col)
    for r in rows:
        table.add_row(
            str(r["nct_id"]),
            str(r["title"]),
            str(r["status"] or "-"),
            str(r["cell_type"] or "-"),
            ", ".join(r["targets"]),
            ", ".join(r["diseases"]),
        )
    Console().print(table)


@trials_app.command("show")
def show(
    nct_id: Annotated[str, typer.Argument(help="NCT id of a bundled trial.")],
    fmt: Annotated[str, typer.Option("--format", help="text or json.")] = "text",
) -> None:
    """The trial's metadata and its criteria tree beside the protocol's own words."""
    fmt = choice(fmt, ("text", "json"), "--format")
    with clear_errors():
        protocol = get_protocol(nct_id)
    if fmt == "json":
        stdout_write(protocol.model_dump_json(indent=2, exclude_none=True))
        return
    console = Console()
    t = protocol.trial
    console.print(f"[bold]{t.nct_id}[/] {t.title}")
    console.print(
        f"status {t.status or '-'} · phase {', '.join(t.phases) or '-'} · "
        f"{t.cell_type or '-'} · targets {', '.join(t.target_antigens) or '-'}"
    )
    for section, items in protocol.sections():
        console.print(f"\n[bold]{section.upper()}[/]")
        for item in items:
            for line in render_tree(item):
                console.print(line, markup=False, highlight=False)


@trials_app.command("lint")
def lint_(
    nct_id: Annotated[
        list[str] | None, typer.Argument(help="Trials to check (default all).")
    ] = None,
    fmt: Annotated[str, typer.Option("--format", help="table or json.")] = "table",
) -> None:
    """Counts per trial (criteria, computable, manual, review) and structural problems."""
    fmt = choice(fmt, ("table", "json"), "--format")
    with clear_errors():
        protocols = load_protocols()
        chosen = [get_protocol(n) for n in nct_id] if nct_id else list(protocols.values())
    reports = [lint(p) for p in chosen]
    if fmt == "json":
        stdout_write(json.dumps([r.model_dump(mode="json") for r in reports], indent=2))
    else:
        console = Console()
        table = Table(title="Protocol lint (atoms = computable + manual review)")
        table.add_column("trial", no_wrap=True)
        for col in (
            "top",
            "atoms",
            "computable",
            "manual",
            "hand-written",
            "auto",
            "reviewed",
            "text gaps",
            "errors",
        ):
            table.add_column(col, justify="right")
        for r in reports:
            table.add_row(
                r.trial,
                str(r.top_level),
                str(r.criteria),
                str(r.computable),
                str(r.manual),
                str(r.review["unset"] + r.review["manual"]),
                str(r.review["auto"]),
                str(r.review["reviewed"]),
                str(len(r.uncovered)),
                str(r.errors),
            )
        console.print(table)
        for r in reports:
            if not r.uncovered:
                console.print(
                    f"{r.trial}: every line of the eligibility text is carried by a criterion",
                    markup=False,
                )
            for f in r.findings:
                console.print(
                    f"{r.trial} {f.severity}: {f.criterion or '-'}: {f.message}", markup=False
                )
    if any(r.errors for r in reports):
        raise fail(f"{sum(r.errors for r in reports)} structural problem(s)", code=1)


def _finder(data_dir: Path | None) -> Any:
    from cartrial.finder.service import load_finder

    return load_finder(load_protocols(), data_dir=data_dir or default_data_dir())


@trials_app.command("find")
def find(
    query: Annotated[
        str | None, typer.Argument(help="Disease or words (lupus, SSc, CD19…).")
    ] = None,
    near: Annotated[
        str | None, typer.Option("--near", help="City, postal code or LAT,LON.")
    ] = None,
    within: Annotated[float | None, typer.Option("--within", min=0.1, help="Kilometres.")] = None,
    open_only: Annotated[
        bool, typer.Option("--open", help="Only trials open to enrolment.")
    ] = False,
    limit: Annotated[int, typer.Option("--limit", min=1)] = 20,
    fmt: Annotated[str, typer.Option("--format", help="table or json.")] = "table",
    data_dir: Annotated[
        Path | None, typer.Option("--data-dir", help="Synced records (default var/).")
    ] = None,
) -> None:
    """Every CAR-cell trial of the finder, filtered; nearest first with --near."""
    from cartrial.finder.places import PlaceNotFound
    from cartrial.finder.store import FinderQuery

    fmt = choice(fmt, ("table", "json"), "--format")
    if within is not None and near is None:
        raise fail("--within needs --near (a place or LAT,LON)")
    with clear_errors():
        finder = _finder(data_dir)
    origin = None
    if near:
        try:
            origin = finder.store.gazetteer.find(near)
        except PlaceNotFound as exc:
            raise fail(str(exc)) from None
        except ValueError as exc:
            raise fail(f"--near: {exc}") from None
    found = finder.store.search(
        FinderQuery(
            q=query, near=origin.point if origin else None, within_km=within, open_only=open_only
        )
    )
    rows = [
        {
            "nct_id": e.nct_id,
            "title": e.trial.brief_title or e.trial.title,
            "status": e.trial.status,
            "conditions": [c.abbreviation or c.display for c in e.conditions],
            "nearest_site_km": None if km is None else round(km, 1),
            "reviewed_protocol": e.reviewed,
        }
        for e, km in found[:limit]
    ]
    if fmt == "json":
        stdout_write(
            json.dumps({"count": len(found), "trials": rows}, indent=2, ensure_ascii=False)
        )
        return
    table = Table(title=f"{len(found)} trial(s)" + (f" near {origin.label}" if origin else ""))
    for col in ("NCT", "title", "status", "conditions", "km"):
        table.add_column(col)
    for r in rows:
        km = r["nearest_site_km"]
        table.add_row(
            str(r["nct_id"]),
            str(r["title"]),
            str(r["status"] or "-"),
            ", ".join(r["conditions"]),
            "-" if km is None else f"{km:,.0f}",
        )
    Console().print(table)


@trials_app.command("snapshot")
def snapshot(
    data_dir: Annotated[
        Path | None, typer.Option("--data-dir", help="Synced records (default var/).")
    ] = None,
) -> None:
    """The finder's registry snapshot: date, source, licence, and how many trials were synced."""
    try:
        finder = _finder(data_dir)
    except DataError as exc:
        raise fail(str(exc)) from None
    info = finder.info
    synced = sum(1 for e in finder.store.entries.values() if e.info.synced_at is not None)
    located = sum(len(e.points) for e in finder.store.entries.values())
    Console(highlight=False, soft_wrap=True).print(
        f"snapshot {info.date}: {len(finder.store.entries)} trials ({synced} refreshed by sync), "
        f"{located} sites with coordinates\n{info.attribution}\nsource {info.url} "
        f"(commit {info.commit or '-'}), licence {info.licence}",
        markup=False,
    )


def register(app: typer.Typer) -> None:
    register_trials(trials_app)  # import, sync, draft (registry records)
    app.add_typer(trials_app, name="trials")
