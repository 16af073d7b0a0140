"""``cartrial match``: screen one FHIR bundle against the bundled trials."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from cartrial.cli._common import choice, clear_errors, parse_date, stdout_write, today
from cartrial.ingest.fhir import load_bundle_file
from cartrial.services.bundled_protocols import load_protocols
from cartrial.services.screening import explained_all, screen_patient

if TYPE_CHECKING:  # rich is imported by the table output only: ``--format json`` starts faster
    from rich.console import Console

    from cartrial.evaluate import ScreeningResult

_STYLE = {"ELIGIBLE": "green", "NEEDS_DATA": "yellow", "INELIGIBLE": "red"}
_MARK = {
    "pass": "[green]✓[/]",
    "fail": "[red]✗[/]",
    "unknown": "[yellow]?[/]",
    "manual": "[cyan]◆[/]",
}


def print_results(results: list[ScreeningResult], console: Console, *, detail: bool) -> None:
    """The verdict table (with the same ``reason`` text as the JSON and the web pages), then,
    with ``detail``, the explanation and every relevant criterion of each trial."""
    from rich.markup import escape
    from rich.table import Table

    protocols = load_protocols()
    explained = {r.trial: explained_all([r], protocols)[0] for r in results}
    table = Table(title=f"Screening as of {results[0].as_of}" if results else "Screening")
    for col in ("trial", "verdict", "reason", "earliest date"):
        table.add_column(col, overflow="fold")
    for r in results:
        table.add_row(
            r.trial,
            f"[{_STYLE[r.verdict.value]}]{r.verdict.value}[/]",
            escape(explained[r.trial]["reason"]),
            r.earliest_eligible_date.isoformat() if r.earliest_eligible_date else "-",
        )
    console.print(table)
    if not detail:
        return
    for r in results:
        console.print(
            f"\n[bold]{r.trial}[/] {r.title} — [{_STYLE[r.verdict.value]}]{r.verdict.value}[/]"
        )
        _print_explanation(explained[r.trial].get("explanation"), console)
        for c in r.criteria:
            if not c.relevant and c.outcome != "fail":
                continue
            text = c.text.replace("\n", " ")
            short = (text[:90] + "…") if len(text) > 90 else text
            console.print(f"{'  ' * (c.depth + 1)}{_MARK[c.outcome]} {c.id} [dim]{short}[/]")
            if (
                c.outcome in ("fail", "unknown")
                and c.reason
                and c.kind not in ("all_of", "any_of", "not", "at_least")
            ):
                console.print(f"{'  ' * (c.depth + 3)}{c.reason}", markup=False)
        for o in r.overridden_pending_review:
            console.print(
                f"  [magenta]fails unless the investigator confirms the exception:[/] {o}"
            )
        if r.earliest_eligible_date:
            console.print(f"  windows clear on {r.earliest_eligible_date.isoformat()}")


def _print_reason(reason: dict[str, Any], console: Console, indent: int) -> None:
    console.print(f"{'  ' * indent}• {reason['text']}", markup=False)
    for alt in reason.get("alternatives", ()):
        console.print(f"{'  ' * (indent + 1)}- {alt['label']}", markup=False, style="dim")
        for sub in alt["reasons"]:
            _print_reason(sub, console, indent + 2)


def _print_explanation(ex: dict[str, Any] | None, console: Console) -> None:
    from rich.markup import escape

    if not ex:
        return
    if ex["reasons"]:
        console.print("  [bold]why not eligible:[/]")
        for reason in ex["reasons"]:
            _print_reason(reason, console, 2)
    for group in ex["missing"]:
        console.print(f"  [yellow]{escape(group['title'])} to order:[/]")
        for item in group["items"]:
            console.print(f"      {item['name']} — {item['when']}", markup=False)
    console.print("  [dim]criteria:[/]")


def register(app: typer.Typer) -> None:
    @app.command("match")
    def match(
        bundle: Annotated[Path, typer.Argument(help="FHIR R4 Bundle (JSON) of one patient.")],
        trial: Annotated[
            list[str] | None, typer.Option("--trial", help="NCT id (repeatable).")
        ] = None,
        as_of: Annotated[
            str | None, typer.Option("--as-of", help="Screening date YYYY-MM-DD (default today).")
        ] = None,
        fmt: Annotated[str, typer.Option("--format", help="table or json.")] = "table",
    ) -> None:
        """Is this patient eligible? Verdict, failing criteria and missing data per trial."""
        fmt = choice(fmt, ("table", "json"), "--format")
        day = parse_date(as_of, "--as-of") or today()
        with clear_errors():
            patient = load_bundle_file(bundle)
            results = screen_patient(patient, as_of=day, trial_ids=trial)
        if trial and len(results) < len(set(t.upper() for t in trial)):
            from cartrial.services.bundled_protocols import get_protocol

            with clear_errors():
                for t in trial:
                    get_protocol(t)
        if fmt == "json":
            stdout_write(json.dumps(explained_all(results), indent=2, ensure_ascii=False))
        else:
            from rich.console import Console

            print_results(results, Console(), detail=True)
