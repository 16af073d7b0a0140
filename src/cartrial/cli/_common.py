"""Shared CLI plumbing: clear errors on stderr with exit code 2, never a traceback."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date

import typer

from cartrial.domain.errors import CartrialError


def fail(message: str, code: int = 2) -> typer.Exit:
    # rich is imported when there is an error to colour, not on every start
    from rich.console import Console

    err_console = Console(stderr=True, highlight=False)
    err_console.print(f"[bold red]error:[/] {message}", markup=True, soft_wrap=True)
    return typer.Exit(code)


@contextmanager
def clear_errors() -> Iterator[None]:
    """Turn library errors (bad input) into one clear line and exit code 2."""
    try:
        yield
    except CartrialError as exc:
        raise fail(str(exc)) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise fail(str(exc)) from None


def parse_date(value: str | None, option: str) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise fail(f"{option}: {value!r} is not a date (YYYY-MM-DD)") from None


def today() -> date:
    """The CLI edge is the only place that reads the clock; the library takes ``as_of``."""
    return date.today()


def choice(value: str, allowed: tuple[str, ...], option: str) -> str:
    if value not in allowed:
        raise fail(f"{option}: {value!r} is not one of {', '.join(allowed)}")
    return value


def stdout_write(text: str) -> None:
    sys.stdout.write(text if text.endswith("\n") else text + "\n")


Command = Callable[..., None]
