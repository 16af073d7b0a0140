"""Error types that carry a message naming what is wrong (file, resource, field)."""

from __future__ import annotations


class CartrialError(Exception):
    """Base class: every error the library raises on bad input derives from this."""


class DataError(CartrialError, ValueError):
    """Input data is malformed or impossible; the message names the place and the field."""

    def __init__(self, message: str, *, where: str | None = None, field: str | None = None) -> None:
        self.where = where
        self.field = field
        parts = [p for p in (where, field) if p]
        prefix = f"{' / '.join(parts)}: " if parts else ""
        super().__init__(prefix + message)


class UnknownUnitError(DataError):
    """A unit the vocabulary does not know for this concept: reported, never guessed."""
