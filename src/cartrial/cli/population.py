"""``cartrial screen`` (population funnel on an OMOP CDM), ``cartrial omop load``,
``cartrial synth omop``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from cartrial.cli._common import clear_errors, fail, parse_date, stdout_write, today
from cartrial.sql.funnel import Funnel


def print_funnel(f: Funnel, console: Console) -> None:
    table = Table(title=f"{f.trial}: {f.persons:,} persons")
    for name in ("criterion", "removes", "unknown", "remaining", "met", "not met", "unknown (all)"):
        table.add_column(name, justify="left" if name == "criterion" else "right", overflow="fold")
    for r in f.rows:
        label = f"{r.id} ({r.section[:3]})" + (" [manual review]" if r.manual else "")
        table.add_row(
            escape(label),
            f"{r.removed:,}",
            f"{r.unknown:,}",
            f"{r.remaining:,}",
            f"{r.met:,}",
            f"{r.not_met:,}",
            f"{r.unknown_all:,}",
        )
    console.print(table)
    console.print("verdicts: " + ", ".join(f"{k} {v:,}" for k, v in f.verdicts.items()))


def register(app: typer.Typer) -> None:
    @app.command("screen")
    def screen(
        cdm: Annotated[
            str,
            typer.Option(
                help="duckdb:///file.duckdb | postgresql://... | spark://local[2]/parquet_dir"
            ),
        ],
        trial: Annotated[list[str], typer.Option(help="NCT id (repeatable); default: all")] = [],  # noqa: B006
        as_of: Annotated[str | None, typer.Option(help="screening date (default today)")] = None,
        schema: Annotated[str | None, typer.Option(help="schema holding the CDM tables")] = None,
        out: Annotated[Path | None, typer.Option(help="candidates parquet (one trial)")] = None,
        explain: Annotated[bool, typer.Option(help="print the generated SQL")] = False,
    ) -> None:
        """Screen every person of an OMOP CDM: the funnel per trial, and candidates."""
        import pyarrow.parquet as pq

        from cartrial.services.bundled_protocols import load_protocols
        from cartrial.sql import cdm as cdm_mod
        from cartrial.sql.compile import compile_protocol
        from cartrial.sql.funnel import candidates, funnel

        day = parse_date(as_of, "--as-of") or today()
        console = Console()
        with clear_errors():
            protocols = load_protocols()
            chosen = trial or list(protocols)
            unknown = [t for t in chosen if t not in protocols]
            if unknown:
                raise fail(
                    f"--trial: unknown trial(s) {', '.join(unknown)}; bundled: "
                    f"{', '.join(protocols)}"
                )
            if out is not None and len(chosen) != 1:
                raise fail("--out writes the candidates of one trial: give one --trial")
            con = cdm_mod.connect(cdm)
            try:
                found = cdm_mod.inspect(con, schema)
                with Progress(
                    SpinnerColumn(),
                    TextColumn("{task.description}"),
                    TimeElapsedColumn(),
                    console=Console(stderr=True),
                    transient=True,
                ) as progress:
                    task = progress.add_task("screening", total=len(chosen))
                    for nct in chosen:
                        progress.update(task, description=f"screening {nct}")
                        compiled = compile_protocol(protocols[nct], found, as_of=day)
                        sql = compiled.sql(con.dialect)
                        if explain:
                            stdout_write(compiled.query.sql(dialect=con.dialect, pretty=True))
                        result = con.query(sql)
                        progress.advance(task)
                        print_funnel(funnel(compiled, result), console)
                        if out is not None:
                            pq.write_table(candidates(compiled, result), out)
                            console.print(f"candidates written to {out}")
            finally:
                con.close()

    omop = typer.Typer(help="OMOP CDM exports.", no_args_is_help=True)
    app.add_typer(omop, name="omop")

    @omop.command("load")
    def load(
        directory: Annotated[Path, typer.Argument(help="folder of <table>.csv / .parquet")],
        into: Annotated[Path, typer.Option(help="DuckDB file to create or update")],
    ) -> None:
        """Load an OMOP CSV/parquet export into a DuckDB file (names lower-cased, typed)."""
        from cartrial.sql.load import load_directory

        if not directory.is_dir():
            raise fail(f"{directory} is not a folder")
        with clear_errors():
            counts = load_directory(directory, into)
        for name, rows in counts.items():
            stdout_write(f"{name}\t{rows}")

    synth = typer.Typer(help="Synthetic data.", no_args_is_help=True)
    app.add_typer(synth, name="synth")

    @synth.command("omop")
    def synth_omop(
        persons: Annotated[int, typer.Option(min=1, help="number of persons")],
        out: Annotated[Path, typer.Option(help="folder (parquet) or file.duckdb")],
        seed: Annotated[int, typer.Option(help="random seed")] = 0,
        as_of: Annotated[str | None, typer.Option(help="reference date of the data")] = None,
    ) -> None:
        """A synthetic OMOP CDM (referral cohort of the target diseases)."""
        from cartrial.synth.omop import DEFAULT_AS_OF, write_duckdb, write_parquet

        day = parse_date(as_of, "--as-of") or DEFAULT_AS_OF
        try:
            if out.suffix == ".duckdb":
                write_duckdb(persons, seed, out, as_of=day)
            else:
                write_parquet(persons, seed, out, as_of=day)
        except FileExistsError as exc:
            raise fail(str(exc)) from None
        stdout_write(f"{persons} persons written to {out}")
