"""The ``cartrial`` command. Each command group lives in its own module and registers there.

Command modules are imported only when their command runs: ``cartrial --help`` lists the table
below without importing pint, fhir.resources, the parser or the web app (issue 11: ≤ 0.15 s).
``tests/cli/test_cli_table.py`` checks that the table matches what the modules register.
"""

from __future__ import annotations

import atexit
import gc
import importlib
import os
from typing import Any

import typer
from typer.core import TyperGroup

COMMANDS: dict[str, tuple[str, str]] = {
    "match": (
        "match",
        "Is this patient eligible? Verdict, failing criteria and missing data per trial.",
    ),
    "demo": ("demo", "Verdict table: every demo patient × every bundled trial."),
    "calc": ("calc", "Clinical calculators: --list, NAME --input JSON, --batch FILE."),
    "plan": (
        "plan",
        "Plan a patient's course: screening, lymphodepletion doses, infusion and visit windows.",
    ),
    "serve": ("serve", "Run the web application and the REST API (http://HOST:PORT)."),
    "users": ("serve", "Workspace users (roles: admin, coordinator, viewer)."),
    "trials": ("trials", "The bundled computable protocols."),
    "escalate": (
        "escalate",
        "Dose escalation (3+3, BOIN): boundaries, next dose, simulated operating characteristics.",
    ),
    "criteria": ("criteria_cmd", "Eligibility criteria: parse free text into criteria nodes."),
    "screen": ("population", "Population screening of an OMOP CDM: funnel and candidates."),
    "omop": ("population", "OMOP CDM exports: load CSV/parquet into DuckDB."),
    "synth": ("population", "Synthetic data: OMOP CDM populations for testing and benchmarks."),
    "mail": ("engage_cmd", "Outgoing mail: send what is pending in the outbox."),
    "alerts": ("engage_cmd", "Volunteer alerts: email new fitting trials (idempotent)."),
    "db": ("db_cmd", "Database maintenance: online backup and restore."),
    "conduct": ("conduct_cmd", "Trial conduct: enrolment, adverse events, DLT board, reports."),
}
"""Command name -> (module under ``cartrial.cli``, one-line help shown by ``--help``)."""

READ_ONLY = frozenset({"match", "demo", "calc"})
"""Commands that read files and print, writing nothing: see :func:`main`."""

_ENTRY = {"console": False}
"""True when the process was started by :func:`main` (not a test runner calling :data:`app`)."""


def load_group(module: str) -> Any:
    """Import one command module and return the click group of everything it registers."""
    sub = typer.Typer(add_completion=False, pretty_exceptions_enable=False)
    importlib.import_module(f"cartrial.cli.{module}").register(sub)
    return typer.main.get_group(sub)


class LazyGroup(TyperGroup):
    """A click group that imports a command's module on first use."""

    def list_commands(self, ctx: Any) -> list[str]:
        return list(COMMANDS)

    def get_command(self, ctx: Any, cmd_name: str) -> Any:
        entry = COMMANDS.get(cmd_name)
        if entry is None:
            return None
        if _ENTRY["console"] and cmd_name in READ_ONLY:
            atexit.register(gc.freeze)
        return load_group(entry[0]).get_command(ctx, cmd_name)

    def format_commands(self, ctx: Any, formatter: Any) -> None:
        rows = [(name, help_) for name, (_, help_) in COMMANDS.items()]
        with formatter.section("Commands"):
            formatter.write_dl(rows)


app = typer.Typer(
    name="cartrial",
    cls=LazyGroup,
    help="Computable protocols for CAR-cell therapy trials in refractory autoimmune disease.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)


@app.callback()
def _root() -> None:
    """Computable protocols for CAR-cell therapy trials in refractory autoimmune disease."""


def main() -> None:
    """The console entry (``cartrial``, ``python -m cartrial.cli``): tunes the process for a
    short run, then runs :data:`app`.

    * Before its first schema pydantic scans every installed distribution's entry points for
      third-party plugins (10-20 ms); the CLI uses none. Setting the variable yourself wins.
    * Start-up leaves some 60,000 long-lived objects (modules, pydantic and FHIR model schemas);
      at the default gen-0 threshold (700) the collector walks them about 125 times before
      ``cartrial match`` has screened (~35 ms). A larger threshold collects in fewer, larger
      steps; a long command (``serve``) still collects its cyclic garbage.
    * The commands that only read and print (:data:`READ_ONLY`) also skip the final collection
      at exit (40-80 ms): what is alive then is frozen and left to the operating system. They
      hold no open file or connection whose buffers a finaliser would have to flush.
    """
    os.environ.setdefault("PYDANTIC_DISABLE_PLUGINS", "__all__")
    gc.set_threshold(10_000, 10, 10)
    _ENTRY["console"] = True
    app()
