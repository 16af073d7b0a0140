"""``cartrial demo``: screen the bundled demo patients against every bundled trial."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from cartrial.cli._common import clear_errors, parse_date
from cartrial.ingest.fhir import load_bundle_file
from cartrial.resources import examples_dir
from cartrial.services.bundled_protocols import load_protocols
from cartrial.services.screening import screen_patient

DEMO_AS_OF = (
    "2026-11-22"  # the date the demo bundles were written against (examples/patients/README.md)
)


def register(app: typer.Typer) -> None:
    @app.command("demo")
    def demo(
        as_of: Annotated[
            str, typer.Option("--as-of", help="Screening date YYYY-MM-DD.")
        ] = DEMO_AS_OF,
    ) -> None:
        """Verdict table: every demo patient × every bundled trial."""
        day = parse_date(as_of, "--as-of")
        assert day is not None
        console = Console()
        if not console.is_terminal:
            console = Console(width=160)  # piped output: do not squeeze the table to 80 columns
        with clear_errors():
            protocols = load_protocols()
            files = sorted((examples_dir() / "patients").glob("*.json"))
            table = Table(title=f"Demo patients × bundled trials, as of {day}")
            table.add_column("patient", no_wrap=True)
            for nct in protocols:
                table.add_column(nct, no_wrap=True, min_width=len(nct))
            style = {"ELIGIBLE": "green", "NEEDS_DATA": "yellow", "INELIGIBLE": "red"}
            for f in files:
                results = screen_patient(
                    load_bundle_file(f), as_of=day, protocols=protocols.values()
                )
                table.add_row(
                    f.stem, *[f"[{style[r.verdict.value]}]{r.verdict.value}[/]" for r in results]
                )
        console.print(table)
        console.print(
            "ELIGIBLE = every computable criterion met (manual items to confirm); "
            "NEEDS_DATA = nothing fails but data is missing; INELIGIBLE = a criterion fails."
        )
