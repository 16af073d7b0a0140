"""The quantity grammar (``ingest/parse/grammar.py``): comparisons, ranges, pairs, titres."""

from __future__ import annotations

import pytest

from cartrial.criteria.nodes import Comparator
from cartrial.ingest.parse.grammar import constraint, quantity
from cartrial.ingest.parse.normalize import normalize


def _read(text: str) -> tuple[list[tuple[str, float, str | None, str | None]], str] | None:
    clean = normalize(text).text
    c = constraint(clean, 0)
    if c is None:
        return None
    return [(b.comparator.value, b.value, b.unit, b.multiple) for b in c.bounds], c.joiner


@pytest.mark.parametrize(
    ("text", "bounds", "joiner"),
    [
        ("≥ 1.5 × 10^9/L", [(">=", 1.5, "10*9/L", None)], "and"),
        ("greater than 1,500/μL", [(">", 1500.0, "/uL", None)], "and"),
        ("no greater than 2.0 mg/dL", [("<=", 2.0, "mg/dL", None)], "and"),
        ("8 or higher", [(">=", 8.0, None, None)], "and"),
        ("at least 18 years of age", [(">=", 18.0, "a", None)], "and"),
        ("18 years of age or older", [(">=", 18.0, "a", None)], "and"),
        ("> 1.5 times the upper limit of normal", [(">", 1.5, None, "ULN")], "and"),
        ("≤ 2.5 x ULN", [("<=", 2.5, None, "ULN")], "and"),
        ("18-65 years", [(">=", 18.0, "a", None), ("<=", 65.0, "a", None)], "and"),
        ("between 18 and 70 years", [(">=", 18.0, "a", None), ("<=", 70.0, "a", None)], "and"),
        ("0 - 5.5 inclusive", [(">=", 0.0, None, None), ("<=", 5.5, None, None)], "and"),
        # the unit written once, after the second number, applies to both
        ("≤18.5 or ≥35 kg/m2", [("<=", 18.5, "kg/m2", None), (">=", 35.0, "kg/m2", None)], "or"),
        ("< 18 or > 38", [("<", 18.0, None, None), (">", 38.0, None, None)], "or"),
        ("≥ 18 and ≤ 65 years old", [(">=", 18.0, "a", None), ("<=", 65.0, "a", None)], "and"),
        ("≥ 1:80", [(">=", 80.0, "{titer}", None)], "and"),
        ("not to exceed 40 mg/day", [("<=", 40.0, "mg/d", None)], "and"),
        ("minimum daily dose of 1.5 mg/kg", [(">=", 1.5, "mg/kg", None)], "and"),
        ("more than 20mg/d", [(">", 20.0, "mg/d", None)], "and"),
        ("\\>= 6", [(">=", 6.0, None, None)], "and"),
    ],
)
def test_constraints(
    text: str, bounds: list[tuple[str, float, str | None, str | None]], joiner: str
) -> None:
    assert _read(text) == (bounds, joiner)


@pytest.mark.parametrize(
    "text",
    [
        "=25",  # mojibake of >= or <=: no comparator is guessed
        "of 6",
        "score 6",
        "65-18 years",  # a range runs upwards
        "1.5 x ULN or ≥ 35 mg/dL",  # a multiple and a unit cannot share one pair
        "",
    ],
)
def test_what_does_not_fit_is_not_read(text: str) -> None:
    assert _read(text) is None


def test_quantity_positions_are_offsets_into_the_text() -> None:
    text = "Hemoglobin ≥ 9.0 g/dL;"
    clean = normalize(text).text
    i = clean.index("9.0")
    q = quantity(clean, i)
    assert q is not None and clean[q.start : q.end] == "9.0 g/dL" and q.unit == "g/dL"


def test_comparator_enum_values_are_the_criteria_comparators() -> None:
    c = constraint(">= 3", 0)
    assert c is not None and c.bounds[0].comparator is Comparator.GE
