"""The ``cartrial`` command. Each command group lives in its own module and registers here."""

from __future__ import annotations

import typer

from cartrial.cli import (
    calc,
    conduct_cmd,
    criteria_cmd,
    db_cmd,
    demo,
    engage_cmd,
    escalate,
    match,
    plan,
    population,
    serve,
    trials,
)

app = typer.Typer(
    name="cartrial",
    help="Computable protocols for CAR-cell therapy trials in refractory autoimmune disease.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

for _group in (
    match,
    trials,
    demo,
    calc,
    escalate,
    plan,
    criteria_cmd,
    serve,
    population,
    engage_cmd,
    db_cmd,
    conduct_cmd,
):
    _group.register(app)


def main() -> None:  # pragma: no cover - console entry
    app()
