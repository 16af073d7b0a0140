"""The ``cartrial`` command. Each command group lives in its own module and registers here."""

from __future__ import annotations

import typer

app = typer.Typer(
    name="cartrial",
    help="Computable protocols for CAR-cell therapy trials in refractory autoimmune disease.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

# Command groups (each module exposes `register(app)`).
from cartrial.cli import calc as _calc  # noqa: E402

_calc.register(app)
from cartrial.cli import escalate as _escalate  # noqa: E402

_escalate.register(app)
from cartrial.cli import plan as _plan  # noqa: E402

_plan.register(app)

from cartrial.cli import demo as _demo  # noqa: E402
from cartrial.cli import match as _match  # noqa: E402
from cartrial.cli import trials as _trials  # noqa: E402

_match.register(app)
_trials.register(app)
_demo.register(app)


def main() -> None:  # pragma: no cover - console entry
    app()

from cartrial.cli import serve as _serve  # noqa: E402

_serve.register(app)

from cartrial.cli import criteria_cmd as _criteria  # noqa: E402

_criteria.register(app)
