"""The normaliser's spelling variants (``ingest/parse/normalize.py``), offsets kept."""

from __future__ import annotations

import pytest

from cartrial.ingest.parse.normalize import normalize
from cartrial.ingest.parse.patterns import ucum


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("AST ≤ 1.5-fold ULN", "AST <= 1.5 xULN"),
        ("ALT < 3x upper limits of normal (GOT, GPT)", "ALT < 3 xULN (GOT, GPT)"),
        ("TBIL ≤ 2.5 times the upper limit of the institutional normal", "TBIL <= 2.5 xULN"),
        ("ALT \\> 2 x UNL", "ALT > 2 xULN"),
        (
            "titer must be above the reference laboratory upper normal limit (UNL)",
            "titer must be > 1 xULN",
        ),
        ("SGOT/SGPT less than 2 times normal", "SGOT/SGPT less than 2 xULN"),
        ("score greater than or equal to \\[\\>=\\] 6", "score >= 6"),
        ("platelets < 30 x 109 / L", "platelets < 30 10^9/L"),
        ("Hb \\>= 9 g/dL", "Hb >= 9 g/dL"),
        ("dose not to exceed 40 mg", "dose <= 40 mg"),
    ],
)
def test_spelling_variants(raw: str, clean: str) -> None:
    n = normalize(raw)
    assert n.text == clean
    # every cleaned offset maps back into the original text
    a, b = n.span(0, len(n.text))
    assert raw[a:b] == raw


def test_a_normal_range_is_not_a_multiple() -> None:
    assert (
        normalize("values within 2 times normal range").text == "values within 2 times normal range"
    )


@pytest.mark.parametrize(
    ("raw", "unit"),
    [("/mm(3)", "/uL"), ("/microliter", "/uL"), ("/mm^3", "/uL"), ("millimeter per hour", "mm/h")],
)
def test_unit_spellings(raw: str, unit: str) -> None:
    assert ucum(raw) == unit
