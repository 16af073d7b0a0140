"""``cartrial calc``: list, run and batch-run the clinical calculators.

Thin shell over :mod:`cartrial.calculators.registry`. Bad input gets a one-line message on
stderr and exit code 2 (never a traceback). In batch mode every line gets exactly one output
line, a result or ``{"error": ..., "line": N}``; the exit code is 1 if any line failed.
"""

from __future__ import annotations

import inspect
import json
import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from cartrial.calculators.registry import get_calculator, list_calculators, run_calculator
from cartrial.domain import DataError

EXIT_BAD_INPUT = 2
EXIT_SOME_LINES_FAILED = 1


def _fail(message: str) -> typer.Exit:
    typer.echo(f"error: {message}", err=True)
    return typer.Exit(EXIT_BAD_INPUT)


def _load_json(text: str, what: str) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise _fail(
            f"{what} is not valid JSON: {exc.msg} (line {exc.lineno}, column {exc.colno})"
        ) from None


def _read_input(spec: str) -> Any:
    if spec.startswith("@"):
        path = Path(spec[1:])
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as exc:
            raise _fail(f"cannot read input file {path}: {exc.strerror or exc}") from None
        return _load_json(text, f"input file {path}")
    return _load_json(spec, "--input")


def _dumps(obj: Any) -> str:
    return json.dumps(obj, ensure_ascii=False, allow_nan=False, default=str)


def _print_list() -> None:
    console = Console(width=None if sys.stdout.isatty() else 200)
    table = Table(title="cartrial calculators", show_lines=False)
    table.add_column("calculator", no_wrap=True, style="bold")
    table.add_column("description")
    table.add_column("inputs (* = required)")
    for calc in list_calculators():
        fields = [
            (f"{f['name']}*" if f["required"] else f"{f['name']}={f['default']!r}")
            + (f" [{f['unit']}]" if f["unit"] else "")
            for f in calc.input_fields()
        ]
        table.add_row(calc.name, calc.description, ", ".join(fields))
    console.print(table)


def _run_batch(path: Path) -> int:
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise _fail(f"cannot read batch file {path}: {exc.strerror or exc}") from None
    failed = 0
    for number, raw in enumerate(lines, start=1):
        if not raw.strip():
            continue
        try:
            try:
                record = json.loads(raw)
            except json.JSONDecodeError as exc:
                raise DataError(f"not valid JSON: {exc.msg} (column {exc.colno})") from None
            if not isinstance(record, dict) or set(record) - {"calculator", "inputs"}:
                raise DataError('each line must be {"calculator": NAME, "inputs": {...}}')
            name = record.get("calculator")
            if not isinstance(name, str):
                raise DataError("is required (a string)", field="calculator")
            inputs = record.get("inputs", {})
            if not isinstance(inputs, dict):
                raise DataError("must be a JSON object", field="inputs")
            typer.echo(_dumps(run_calculator(name, inputs).to_json_dict()))
        except DataError as exc:
            failed += 1
            error: dict[str, Any] = {"error": str(exc), "line": number}
            if exc.field:
                error["field"] = exc.field
            typer.echo(_dumps(error))
        except Exception as exc:  # noqa: BLE001 - one line per input, never a traceback
            failed += 1
            typer.echo(
                _dumps(
                    {
                        "error": f"the calculator could not compute this input "
                        f"({type(exc).__name__})",
                        "line": number,
                    }
                )
            )
    if failed:
        typer.echo(f"error: {failed} of the lines in {path} failed", err=True)
        return EXIT_SOME_LINES_FAILED
    return 0


def calc(
    ctx: typer.Context,
    name: Annotated[str | None, typer.Argument(help="Calculator name (see --list).")] = None,
    input_: Annotated[
        str | None,
        typer.Option("--input", "-i", help="Inputs as a JSON object, or @file.json."),
    ] = None,
    list_: Annotated[bool, typer.Option("--list", help="List calculators and inputs.")] = False,
    batch: Annotated[
        Path | None,
        typer.Option(
            "--batch", help='JSONL file: one {"calculator": NAME, "inputs": {...}} a line.'
        ),
    ] = None,
    help_: Annotated[
        bool,
        typer.Option(
            "--help",
            "-h",
            help="Show this help; with NAME, that calculator's inputs and their units.",
        ),
    ] = False,
) -> None:
    """Run a clinical calculator and print its result as JSON."""
    if help_:
        if name is None:
            typer.echo(ctx.get_help())
        else:
            _print_calculator_help(name)
        raise typer.Exit(0)
    if list_:
        _print_list()
        return
    if batch is not None:
        if name is not None or input_ is not None:
            raise _fail("--batch takes no calculator name and no --input")
        code = _run_batch(batch)
        if code:
            raise typer.Exit(code)
        return
    if name is None:
        raise _fail("give a calculator name (see `cartrial calc --list`), or --batch FILE")
    inputs = {} if input_ is None else _read_input(input_)
    if not isinstance(inputs, dict):
        raise _fail("--input must be a JSON object")
    try:
        result = run_calculator(name, inputs)
    except DataError as exc:
        raise _fail(str(exc)) from None
    except Exception as exc:  # noqa: BLE001 - a clear line, never a traceback
        raise _fail(
            f"{name}: the calculator could not compute this input ({type(exc).__name__})"
        ) from None
    typer.echo(_dumps(result.to_json_dict()))


def _print_calculator_help(name: str) -> None:
    """``cartrial calc NAME --help``: the calculator's description and inputs with units."""
    try:
        calc = get_calculator(name)
    except DataError as exc:
        raise _fail(str(exc)) from None
    typer.echo(f"{calc.name}: {calc.description}")
    doc = inspect.cleandoc(calc.function.__doc__ or "")
    if doc:
        typer.echo("")
        typer.echo(doc)
    typer.echo("")
    typer.echo('Inputs (a bare number is in the unit shown; or {"value": x, "unit": "..."}):')
    for f in calc.input_fields():
        unit = f" [{f['unit']}]" if f["unit"] else ""
        need = "required" if f["required"] else f"default {f['default']!r}"
        typer.echo(f"  {f['name']}{unit}: {f['type']}, {need}")
    typer.echo("")
    typer.echo(f"Example: cartrial calc {calc.name} --input '{{...}}'")


def register(app: typer.Typer) -> None:
    """Add the ``calc`` command to the top-level app."""
    app.command(
        "calc",
        help="Clinical calculators: --list, NAME --input JSON, --batch FILE.",
        add_help_option=False,
    )(calc)
