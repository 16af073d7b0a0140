"""The escalation decision form of the workspace: form strings → a design's decision.

Dose levels are 1-based here as everywhere people read them; :mod:`cartrial.designs` works
0-based underneath. Every problem is a :class:`FormError` naming the form field it concerns.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from cartrial.designs import Boin, Decision, DecisionRow, DecisionTable, ThreePlusThree
from cartrial.designs.base import DoseEscalationDesign
from cartrial.domain.errors import DataError

DESIGNS: tuple[str, ...] = ("boin", "3+3")
MAX_LEVELS = 30
FIELDS: tuple[str, ...] = (
    "design",
    "target",
    "n",
    "y",
    "current_level",
    "cohort_size",
    "n_cohorts",
)
LABELS: dict[str, str] = {
    "design": "design",
    "target": "target DLT rate",
    "n": "n (patients treated per level)",
    "y": "y (patients with a DLT per level)",
    "current_level": "current level",
    "cohort_size": "cohort size",
    "n_cohorts": "maximum cohorts",
}
# a library parameter derived from a form field is reported against that field
_LIBRARY_FIELDS = {"current": "current_level", "phi1": "target", "phi2": "target"}
_SEPARATORS = re.compile(r"[,;\s]+")


class FormError(ValueError):
    """Unusable input; ``field`` is the name of the form field, the message names it too."""

    def __init__(self, field: str, message: str) -> None:
        self.field = field
        self.message = f"{LABELS.get(field, field)}: {message}"
        super().__init__(self.message)


@dataclass(frozen=True)
class LevelRow:
    level: int
    n: int
    y: int
    current: bool
    next: bool

    @property
    def rate(self) -> float | None:
        return self.y / self.n if self.n else None


@dataclass(frozen=True)
class EscalationResult:
    design: str
    decision: Decision
    table: DecisionTable
    levels: tuple[LevelRow, ...]
    n_current: int
    notes: tuple[str, ...]

    @property
    def rows(self) -> tuple[DecisionRow, ...]:
        """The boundary rows shown first: whole cohorts, plus the current n if it is not one."""
        rows = list(self.table.cohort_rows())
        shown = {r.n for r in rows}
        if self.n_current not in shown:
            rows.extend(r for r in self.table.rows if r.n == self.n_current)
            rows.sort(key=lambda r: r.n)
        return tuple(rows)


def _counts(text: str, field: str) -> list[int]:
    parts = [p for p in _SEPARATORS.split(text.strip()) if p]
    if not parts:
        raise FormError(field, "give at least one dose level (e.g. 3, 6, 0)")
    if len(parts) > MAX_LEVELS:
        raise FormError(field, f"at most {MAX_LEVELS} dose levels, got {len(parts)}")
    out = []
    for i, part in enumerate(parts, 1):
        try:
            value = int(part)
        except ValueError:
            raise FormError(field, f"level {i}: {part!r} is not a whole number") from None
        if value < 0:
            raise FormError(field, f"level {i}: must not be negative, got {value}")
        out.append(value)
    return out


def _int(text: str, field: str, *, lo: int, hi: int, default: int | None) -> int | None:
    text = text.strip()
    if not text:
        return default
    try:
        value = int(text)
    except ValueError:
        raise FormError(field, f"{text!r} is not a whole number") from None
    if not lo <= value <= hi:
        raise FormError(field, f"must be between {lo} and {hi}, got {value}")
    return value


def _design(values: dict[str, str]) -> tuple[str, DoseEscalationDesign, list[str]]:
    name = values.get("design", "").strip().lower()
    notes: list[str] = []
    if name not in DESIGNS:
        raise FormError("design", f"choose one of {', '.join(DESIGNS)}, got {name!r}")
    n_cohorts = _int(values.get("n_cohorts", ""), "n_cohorts", lo=1, hi=100, default=None)
    if name == "3+3":
        if values.get("cohort_size", "").strip() not in ("", "3"):
            notes.append("3+3 treats cohorts of 3: the cohort size was not used.")
        if values.get("target", "").strip():
            notes.append("3+3 has no target DLT rate: the target was not used.")
        return name, ThreePlusThree(n_cohorts=n_cohorts), notes
    raw = values.get("target", "").strip()
    if not raw:
        raise FormError("target", "BOIN needs a target DLT rate (e.g. 0.25)")
    try:
        target = float(raw)
    except ValueError:
        raise FormError("target", f"{raw!r} is not a number") from None
    if not 0 < target < 1:
        raise FormError("target", f"{target:g} must lie strictly between 0 and 1")
    cohort_size = _int(values.get("cohort_size", ""), "cohort_size", lo=1, hi=12, default=3)
    assert cohort_size is not None
    return (
        name,
        Boin(target, cohort_size=cohort_size, n_cohorts=n_cohorts or 10),
        notes,
    )


def decide(values: dict[str, Any]) -> EscalationResult:
    """The decision for the next cohort from the form's values; FormError on bad input."""
    text = {k: str(values.get(k) or "") for k in FIELDS}
    name, design, notes = _design(text)
    n = _counts(text["n"], "n")
    y = _counts(text["y"], "y")
    if len(y) != len(n):
        raise FormError("y", f"n lists {len(n)} dose levels but y lists {len(y)}")
    current = _int(text["current_level"], "current_level", lo=1, hi=len(n), default=None)
    if current is None:
        raise FormError("current_level", f"give the level (1 to {len(n)}) the last cohort received")
    try:
        design.validate()
        decision = design.decide(n, y, current - 1)
        table = design.boundaries()
    except DataError as exc:
        field = _LIBRARY_FIELDS.get(exc.field or "", exc.field or "n")
        message = str(exc)
        if exc.field and message.startswith(f"{exc.field}: "):
            message = message[len(exc.field) + 2 :]
        raise FormError(field, message) from None
    levels = tuple(
        LevelRow(
            level=j,
            n=nj,
            y=yj,
            current=j == current,
            next=decision.next_level == j,
        )
        for j, (nj, yj) in enumerate(zip(n, y, strict=True), 1)
    )
    return EscalationResult(
        design=name,
        decision=decision,
        table=table,
        levels=levels,
        n_current=n[current - 1],
        notes=tuple(notes),
    )


def board_values(
    *,
    design: str,
    target: float | None,
    cohort_size: int,
    n_cohorts: int | None,
    n: tuple[int, ...] | list[int],
    y: tuple[int, ...] | list[int],
    current_level: int,
) -> dict[str, str]:
    """The escalation form's values filled from the conduct DLT board's counts (issue 17):
    posting them to the escalation page gives the decision the board shows."""
    return {
        "design": design,
        "target": "" if target is None else f"{target:g}",
        "n": ", ".join(str(v) for v in n),
        "y": ", ".join(str(v) for v in y),
        "current_level": str(current_level),
        "cohort_size": str(cohort_size) if design == "boin" else "",
        "n_cohorts": "" if n_cohorts is None else str(n_cohorts),
    }
