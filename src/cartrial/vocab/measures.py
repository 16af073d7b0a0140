"""Units of measurements (conversion to the canonical unit) and documented ranges."""

from __future__ import annotations

import functools
import re
from typing import Any

from cartrial.domain.errors import UnknownUnitError
from cartrial.vocab.store import _read, lab
from cartrial.vocab.units import UnitParseError, convert_units, normalize_unit

# ---------------------------------------------------------------------------------------------
# units


def _round(x: float) -> float:
    return float(f"{x:.12g}")


_COUNT_OR_SCORE = frozenset({"{score}", "{count}", "{#}"})
_GENERIC_DIMENSIONLESS = frozenset({"", "1", "{#}", "{count}", "{points}", "{score}", "{total}"})


def convert(key: str, value: float, unit: str | None) -> tuple[float, str]:
    """Convert ``value`` in ``unit`` to the lab concept's canonical unit: ``(value, canonical)``.

    Raises ``UnknownUnitError`` (naming the concept and the unit) when the unit is unknown or not
    convertible, or when the concept has no canonical unit (qualitative tests).
    """
    info = lab(key)
    canonical = info.canonical_unit
    if canonical is None:
        raise UnknownUnitError(
            f"{key} is qualitative (no canonical unit); cannot convert unit {unit!r}",
            where=f"concept {key}",
            field="unit",
        )
    given = normalize_unit(unit)
    norm_canonical = normalize_unit(canonical)
    if given == norm_canonical:
        return (float(value), canonical)
    for alt in info.alternative_units:
        if normalize_unit(alt.unit) == given and alt.factor is not None:
            return (_round(value * alt.factor), canonical)
    # case-insensitive match against this concept's own units only (e.g. MG/DL)
    if given.casefold() == norm_canonical.casefold():
        return (float(value), canonical)
    for alt in info.alternative_units:
        if normalize_unit(alt.unit).casefold() == given.casefold() and alt.factor is not None:
            return (_round(value * alt.factor), canonical)
    if norm_canonical in _COUNT_OR_SCORE and given in _GENERIC_DIMENSIONLESS:
        # UCUM annotations carry no dimension: a count or score sent as {#}, {points}, {score},
        # 1 or without a unit is the same number (a {titer} or {INR} is not a score)
        return (float(value), canonical)
    if given == "" and re.fullmatch(r"(\{[^}]*\})+", norm_canonical):
        # a unitless value for an annotation-only canonical unit ({titer}, {INR})
        return (float(value), canonical)
    if given == "":
        raise UnknownUnitError(
            f"missing unit for {key} (canonical unit {canonical})",
            where=f"concept {key}",
            field="unit",
        )
    try:
        return (_round(convert_units(value, given, norm_canonical)), canonical)
    except UnitParseError as exc:
        raise UnknownUnitError(
            f"unit {unit!r} is not known or not convertible to {canonical} for {key}: {exc}",
            where=f"concept {key}",
            field="unit",
        ) from exc


@functools.cache
def _reference_ranges() -> dict[str, dict[str, Any]]:
    data: dict[str, dict[str, Any]] = _read("reference_ranges.json")["ranges"]
    return data


@functools.cache
def _plausible() -> dict[str, Any]:
    data: dict[str, Any] = _read("plausible_ranges.json")
    return data


def plausible_range(key: str) -> tuple[float | None, float | None]:
    """Physical limits of a measurement (not a reference interval): outside them it is impossible."""
    data = _plausible()
    low, high = data["ranges"].get(key, (data["default_min"], None))
    return (None if low is None else float(low), None if high is None else float(high))


def default_range(key: str) -> tuple[float | None, float | None, str] | None:
    """The documented DEFAULT adult reference range (low, high, source) in the canonical unit.

    Only for Observations that carry no referenceRange; None when no default is documented.
    """
    r = _reference_ranges().get(key)
    if r is None:
        return None
    low = None if r.get("low") is None else float(r["low"])
    high = None if r.get("high") is None else float(r["high"])
    return (low, high, str(r["source"]))
