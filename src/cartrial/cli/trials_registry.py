"""``cartrial trials import|sync|draft``: registry records in, draft protocols out.

- ``import FILE...``: ClinicalTrials.gov API v2 studies or list pages -> the data directory
  (``$CARTRIAL_DATA_DIR`` or ``var/``), one JSON per trial, written atomically.
- ``sync``: the live API v2 (or ``--base-url``), paged, with retries and progress.
- ``draft NCT...``: a protocol YAML from an imported record (or ``--from FILE``) and the parser;
  every criterion ``review: auto`` with a confidence, for a coordinator to review.

The lead's ``cli/trials.py`` attaches these with :func:`register_trials`.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Annotated, Any

import typer
import yaml
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from cartrial.cli._common import clear_errors, fail, stdout_write
from cartrial.criteria.serde import dump_protocol, parse_protocol
from cartrial.domain.errors import DataError
from cartrial.domain.trial import Trial
from cartrial.ingest.ctgov import CtgovError, load_studies, nct_id_of, study_to_trial
from cartrial.ingest.parse.draft import draft_protocol, not_read, review_shares
from cartrial.ingest.registry_client import (
    DEFAULT_BASE_URL,
    RegistryClient,
    RegistryError,
    SearchQuery,
)
from cartrial.ingest.store import TrialStore, atomic_write_text

__all__ = ["draft", "import_", "register_trials", "sync"]

DataDirOption = Annotated[
    Path | None,
    typer.Option(
        "--data-dir", help="Where imported trials are kept (default: $CARTRIAL_DATA_DIR or var/)."
    ),
]


def _now() -> datetime:
    """The CLI edge reads the clock; the library takes timestamps as arguments."""
    return datetime.now(UTC).replace(microsecond=0)


def _trial_row(table: Table, trial: Trial, extra: str) -> None:
    title = trial.brief_title or trial.title
    table.add_row(
        trial.nct_id,
        title if len(title) <= 60 else title[:57] + "...",
        trial.status or "-",
        str(len(trial.sites)),
        ", ".join(trial.diseases) or "-",
        extra,
    )


# ------------------------------------------------------------------------------- import


def import_(
    files: Annotated[list[Path], typer.Argument(help="API v2 study JSON files or list pages.")],
    data_dir: DataDirOption = None,
    fmt: Annotated[str, typer.Option("--format", help="table or json summary.")] = "table",
) -> None:
    """Import ClinicalTrials.gov API v2 JSON (single studies or list pages) into the data directory."""
    store = TrialStore(data_dir)
    err = Console(stderr=True, highlight=False)
    imported: list[tuple[Trial, str]] = []
    failed: list[tuple[str, str]] = []
    stamp = _now()
    for path in files:
        try:
            studies = load_studies(path)
            # every study of the file is read before anything of it is written
            pairs = [(study_to_trial(s, where=str(path)), s) for s in studies]
        except CtgovError as exc:
            failed.append((str(path), str(exc)))
            err.print(f"[bold red]error:[/] {exc}", markup=True, soft_wrap=True)
            continue
        if not pairs:
            failed.append((str(path), f"{path}: no studies in the file"))
            err.print(f"[bold red]error:[/] {path}: no studies in the file", markup=True)
            continue
        for trial, study in pairs:
            try:
                store.save(trial, study, imported_at=stamp, source=str(path))
            except OSError as exc:
                raise fail(f"{store.folder}: cannot write: {exc.strerror or exc}") from None
            imported.append((trial, str(path)))
    if fmt == "json":
        stdout_write(
            json.dumps(
                {
                    "data_dir": str(store.root),
                    "imported": [
                        {
                            "nct_id": t.nct_id,
                            "title": t.title,
                            "status": t.status,
                            "sites": len(t.sites),
                            "file": f,
                        }
                        for t, f in imported
                    ],
                    "failed": [{"file": f, "error": e} for f, e in failed],
                },
                indent=2,
                ensure_ascii=False,
            )
        )
    else:
        console = Console()
        if imported:
            table = Table(title=f"Imported into {store.folder}")
            for col in ("NCT", "title", "status", "sites", "diseases", "file"):
                table.add_column(col)
            for trial, f in imported:
                _trial_row(table, trial, f)
            console.print(table)
        console.print(
            f"{len(imported)} trial(s) imported from {len(files) - len(failed)} file(s); "
            f"{len(failed)} file(s) failed."
        )
    if failed:
        raise typer.Exit(1)


# ------------------------------------------------------------------------------- sync


def _parse_day(value: str | None, option: str) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise fail(f"{option}: {value!r} is not a date (YYYY-MM-DD)") from None


def sync(
    query: Annotated[
        str | None, typer.Option("--query", help="Free-text search (query.term).")
    ] = None,
    condition: Annotated[
        list[str] | None,
        typer.Option("--condition", help="Condition (query.cond); repeat for several."),
    ] = None,
    since: Annotated[
        str | None,
        typer.Option("--since", help="Only studies updated on or after this date (YYYY-MM-DD)."),
    ] = None,
    base_url: Annotated[
        str, typer.Option("--base-url", help="API v2 base URL.")
    ] = DEFAULT_BASE_URL,
    page_size: Annotated[int, typer.Option("--page-size", min=1, max=1000)] = 100,
    max_pages: Annotated[
        int | None, typer.Option("--max-pages", min=1, help="Stop after this many pages.")
    ] = None,
    page_token: Annotated[
        str | None, typer.Option("--page-token", help="Resume from this page token.")
    ] = None,
    retries: Annotated[int, typer.Option("--retries", min=0)] = 5,
    backoff: Annotated[
        float, typer.Option("--backoff", min=0.0, help="First retry delay, seconds (doubles).")
    ] = 1.0,
    timeout: Annotated[
        float, typer.Option("--timeout", min=0.1, help="Per-request timeout, seconds.")
    ] = 30.0,
    data_dir: DataDirOption = None,
    alerts: Annotated[
        bool,
        typer.Option(
            "--alerts/--no-alerts",
            help="After a complete sync, run the volunteer alerts over what the web app now "
            "shows and send the digests (the app's DATABASE_URL, SMTP_URL ...); --no-alerts "
            "leaves them to `cartrial alerts run`.",
        ),
    ] = True,
) -> None:
    """Fetch studies from ClinicalTrials.gov API v2 into the data directory (paged, with
    retries), then alert volunteers about newly open trials that fit them."""
    if not query and not condition and since is None:
        raise fail(
            "give --query, --condition or --since (a sync of the whole registry is not supported)"
        )
    search = SearchQuery(
        term=query, conditions=tuple(condition or ()), since=_parse_day(since, "--since")
    )
    store = TrialStore(data_dir)
    err = Console(stderr=True, highlight=False)
    counts = {"new": 0, "updated": 0, "unchanged": 0, "invalid": 0}
    stamp = _now()

    def on_retry(attempt: int, delay: float, why: str) -> None:
        err.print(f"retry {attempt} in {delay:.1f}s ({why})")

    client = RegistryClient(
        base_url,
        timeout=timeout,
        retries=retries,
        backoff=backoff,
        page_size=page_size,
        on_retry=on_retry,
    )
    seen: set[str] = set()
    pages = 0
    try:
        with (
            client,
            Progress(
                TextColumn("[progress.description]{task.description}"),
                BarColumn(),
                MofNCompleteColumn(),
                TimeElapsedColumn(),
                console=err,
                transient=False,
            ) as progress,
        ):
            task = progress.add_task("syncing", total=None)
            for page in client.pages(search, page_token=page_token, max_pages=max_pages):
                pages += 1
                if page.total_count is not None:
                    progress.update(task, total=page.total_count)
                for study in page.studies:
                    nct = nct_id_of(study)
                    if nct is None or nct in seen:
                        continue
                    seen.add(nct)
                    try:
                        trial = study_to_trial(study, where=f"{base_url} ({nct})")
                    except CtgovError as exc:
                        counts["invalid"] += 1
                        err.print(f"skipped: {exc}")
                        continue
                    counts[_store(store, trial, study, stamp, base_url)] += 1
                    progress.advance(task)
                progress.update(task, description=f"syncing (page {pages})")
    except RegistryError as exc:
        where = f"; resume with --page-token {exc.page_token}" if exc.page_token else ""
        _summary(counts, pages, store)
        raise fail(f"{exc}{where}", code=1) from None
    _summary(counts, pages, store)
    if alerts:
        _run_alerts(store.root)


def _run_alerts(root: Path) -> None:
    """The volunteer alerts over the finder with the records just written (idempotent: a
    trial is never mailed twice). A failure leaves the records in place and says so."""
    from sqlalchemy.exc import SQLAlchemyError

    from cartrial.cli.engage_cmd import alerts_after_sync, alerts_summary
    from cartrial.domain.errors import CartrialError

    try:
        report = alerts_after_sync(root)
    # database unreachable, a malformed SMTP_URL, an unreadable protocol in TRIALS_DIR
    except (SQLAlchemyError, ValueError, OSError, CartrialError) as exc:
        # a database error's own words only: never the statement or its parameters
        why = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]
        raise fail(
            f"the records are synced, but the volunteer alerts failed: {why}; run "
            "`cartrial alerts run` once this is fixed",
            code=1,
        ) from None
    stdout_write("alerts: " + alerts_summary(report))


def _store(
    store: TrialStore, trial: Trial, study: Mapping[str, Any], stamp: datetime, source: str
) -> str:
    status = "new"
    if store.exists(trial.nct_id):
        try:
            old = store.load(trial.nct_id)
        except DataError:
            old = None
        if old is not None and old.trial == trial:
            return "unchanged"
        status = "updated"
    try:
        store.save(trial, study, imported_at=stamp, source=source)
    except OSError as exc:
        raise fail(f"{store.folder}: cannot write: {exc.strerror or exc}") from None
    return status


def _summary(counts: dict[str, int], pages: int, store: TrialStore) -> None:
    Console().print(
        f"{pages} page(s): {counts['new']} new, {counts['updated']} updated, "
        f"{counts['unchanged']} unchanged, {counts['invalid']} invalid -> {store.folder}"
    )
    try:
        trials = store.trials()
    except DataError:
        return
    located = sum(1 for t in trials for s in t.sites if s.latitude is not None)
    every = sum(len(t.sites) for t in trials)
    Console(highlight=False, soft_wrap=True).print(
        f"finder: {len(trials)} synced trial(s) replace their snapshot version "
        f"({located} of {every} sites with coordinates from geoPoint); "
        "`cartrial trials find` and the web app (same data directory) serve them from the next request",
        markup=False,
    )


# ------------------------------------------------------------------------------- draft


def _study_from_file(path: Path, nct: str) -> Mapping[str, Any]:
    studies = load_studies(path)
    for s in studies:
        if nct_id_of(s) == nct:
            return s
    if len(studies) == 1 and nct_id_of(studies[0]) is None:
        return studies[0]
    known = ", ".join(sorted(filter(None, (nct_id_of(s) for s in studies)))) or "none"
    raise DataError(f"{nct} is not in the file (it holds: {known})", where=str(path))


def draft(
    nct_ids: Annotated[
        list[str], typer.Argument(help="NCT ids to draft (imported, or found in --from).")
    ],
    from_file: Annotated[
        Path | None, typer.Option("--from", help="Read the study from this API v2 JSON file.")
    ] = None,
    output: Annotated[
        Path | None,
        typer.Option(
            "--output", "-o", help="File (one trial) or folder; default trials/NCTxxxxxxxx.yaml."
        ),
    ] = None,
    force: Annotated[
        bool, typer.Option("--force", help="Overwrite an existing protocol file.")
    ] = False,
    to_stdout: Annotated[
        bool, typer.Option("--stdout", help="Print the YAML instead of writing a file.")
    ] = False,
    data_dir: DataDirOption = None,
) -> None:
    """Draft a protocol YAML from a registry record: every criterion review: auto with a confidence."""
    from cartrial.services.bundled_protocols import trials_dir

    store = TrialStore(data_dir)
    ids = [n.strip().upper() for n in nct_ids]
    if output is not None and len(ids) > 1 and output.suffix in (".yaml", ".yml"):
        raise fail("--output names one file but several NCT ids were given: give a folder")
    console = Console(stderr=to_stdout, highlight=False)
    for nct in ids:
        with clear_errors():
            study = _study_from_file(from_file, nct) if from_file else store.load(nct).study
            trial = study_to_trial(study, where=str(from_file or store.path(nct)))
            protocol, result = draft_protocol(trial)
            unread = not_read(protocol)
            text = _header(
                trial, from_file or store.path(nct), result.warnings, unread
            ) + dump_protocol(protocol)
            parse_protocol(yaml.safe_load(text), where=f"draft of {nct}")  # round trip
        if to_stdout:
            stdout_write(text)
            continue
        target = _target(output, nct, trials_dir())
        if target.exists() and not force:
            raise fail(
                f"{target} exists (a reviewed protocol?): use --force to overwrite or --output elsewhere"
            )
        try:
            atomic_write_text(target, text)
        except OSError as exc:
            raise fail(f"{target}: cannot write: {exc.strerror or exc}") from None
        shares = review_shares(protocol)
        console.print(
            f"{nct}: wrote {target} - {shares['total']} criteria (all auto), "
            f"{shares['needs_judgment']} manual node(s), {shares['low_confidence']} low-confidence; "
            f"{result.computable_clause_count}/{result.clause_count} sentences computable; "
            f"{len(unread)} stretch(es) not read, listed at the top of the file"
        )


def _target(output: Path | None, nct: str, default_dir: Path) -> Path:
    if output is None:
        return default_dir / f"{nct}.yaml"
    if output.suffix in (".yaml", ".yml"):
        return output
    return output / f"{nct}.yaml"


def _header(
    trial: Trial, source: Path, warnings: tuple[str, ...], unread: list[dict[str, Any]]
) -> str:
    """The comment block a reviewer reads first: provenance, then every stretch of the text the
    parser left to a person (its node id, section and reason), so nothing unread hides in the tree."""
    lines = [
        f"# Draft protocol for {trial.nct_id}, generated by `cartrial trials draft` from {source}.",
        "# Every criterion was read by the parser: review: auto, with the parser's confidence.",
        "# A coordinator checks each against the text, edits it and sets review: reviewed.",
        "# kind: manual nodes carry sentences the parser did not understand.",
    ]
    lines += [f"# parser warning: {w}" for w in warnings]
    if unread:
        lines.append(f"# Not read by the parser ({len(unread)}), to be read by a person:")
    for r in unread:
        quoted = " ".join(str(r["text"]).split())
        if len(quoted) > 100:
            quoted = quoted[:97] + "..."
        why = " ".join(str(r["why"]).split())
        lines.append(f'#   {r["id"] or "-"} ({r["section"]}): "{quoted}" - {why}')
    return "\n".join(lines) + "\n"


# ------------------------------------------------------------------------------- wiring


def register_trials(trials_app: typer.Typer) -> None:
    """Attach ``import``, ``sync`` and ``draft`` to the ``trials`` command group."""
    trials_app.command("import")(import_)
    trials_app.command("sync")(sync)
    trials_app.command("draft")(draft)
