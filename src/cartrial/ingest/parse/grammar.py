"""The quantity grammar: comparators, numbers, units, ranges — concept-agnostic.

A small recursive-descent parser over normalized text (see :mod:`.normalize`), one function per
rule of the grammar written out in ``docs/parse-grammar.md`` (section *Quantities*)::

    constraint := either | conjunction | range | comparison
    either     := comparison "or" comparison                     "<= 18.5 or >= 35 kg/m2"
    conjunction:= comparison "and" comparison                    ">= 18 and <= 65 years"
    range      := ["between" | "from"] quantity ("-" | "to" | "through" | "and") quantity ["inclusive"]
    comparison := prefix quantity [postfix] | quantity postfix
    quantity   := titre | number [multiple | unit]
    titre      := "1" ":" number                                 "1:80"
    multiple   := "xULN" | "xLLN"                               (the normaliser's spelling)
    prefix     := ">=" | "<=" | ">" | "<" | "at least" | "no more than" | "not exceed" ...
    postfix    := "or more" | "or higher" | "or less" | "and above" ...

A unit written once at the end of a range or an ``either``/``and`` pair applies to both numbers
("<= 18.5 or >= 35 kg/m2"). The parser never guesses: a bare ``=`` or ``of`` is no comparator,
and text that does not fit the grammar yields ``None``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from typing import Literal

from cartrial.criteria.nodes import Comparator
from cartrial.ingest.parse.patterns import ANYNUM, UNIT, comparator, to_number, ucum

__all__ = ["Bound", "Constraint", "constraint", "quantity"]


@dataclass(frozen=True)
class Bound:
    """One comparison: ``comparator value unit`` (or ``comparator value x ULN``)."""

    comparator: Comparator
    value: float
    unit: str | None = None
    multiple: Literal["ULN", "LLN"] | None = None
    start: int = 0
    end: int = 0


@dataclass(frozen=True)
class Constraint:
    """One or two bounds; ``joiner`` says whether both must hold (``and``) or either (``or``)."""

    bounds: tuple[Bound, ...]
    joiner: Literal["and", "or"]
    start: int
    end: int


@dataclass(frozen=True)
class _Quantity:
    value: float
    unit: str | None
    multiple: Literal["ULN", "LLN"] | None
    start: int
    end: int


_WS = re.compile(r"\s*")
_PREFIX_WORDS = (
    r"(?:greater|more|higher)\s+than\s+or\s+equal\s+(?:to\s+)?|"
    r"(?:less|lower)\s+than\s+or\s+equal\s+(?:to\s+)?|"
    r"equal\s+to\s+or\s+(?:greater|more|higher)\s+than|equal\s+to\s+or\s+(?:less|lower)\s+than|"
    r"(?:must\s+)?(?:not|no)\s+(?:more|greater|higher)\s+than|"
    r"(?:must\s+)?(?:not|no)\s+(?:less|lower|fewer)\s+than|"
    r"(?:must\s+|should\s+)?not\s+exceed(?:ing)?|does\s+not\s+exceed|"
    r"(?:a\s+)?minimum(?:\s+daily)?(?:\s+dose)?\s+of|(?:a\s+)?maximum(?:\s+daily)?(?:\s+dose)?\s+of|"
    r"at\s+least|at\s+most|up\s+to|in\s+excess\s+of|exceed(?:s|ing)?|"
    r"(?:greater|more|higher|larger|older)\s+than|(?:less|lower|fewer|smaller|younger)\s+than|"
    r"above|below|over|under"
)
_PREFIX = re.compile(rf"(?:>=|<=|>|<)|(?:{_PREFIX_WORDS})(?![\w])", re.IGNORECASE)
_WORD_CMP: tuple[tuple[re.Pattern[str], Comparator], ...] = tuple(
    (re.compile(p, re.IGNORECASE), c)
    for p, c in (
        (
            r"(?:greater|more|higher)\s+than\s+or\s+equal|equal\s+to\s+or\s+(?:greater|more|higher)",
            Comparator.GE,
        ),
        (r"(?:less|lower)\s+than\s+or\s+equal|equal\s+to\s+or\s+(?:less|lower)", Comparator.LE),
        (r"(?:must\s+)?(?:not|no)\s+(?:more|greater|higher)\s+than", Comparator.LE),
        (r"(?:must\s+)?(?:not|no)\s+(?:less|lower|fewer)\s+than", Comparator.GE),
        (r"(?:must\s+|should\s+|does\s+)?not\s+exceed", Comparator.LE),
        (r"(?:a\s+)?minimum", Comparator.GE),
        (r"(?:a\s+)?maximum", Comparator.LE),
    )
)
_POSTFIX = re.compile(
    r"\s*(?:or\s+(?:more|greater|higher|above|over|larger|older)|and\s+(?:above|over|more|higher|older)|"
    r"or\s+(?:less|lower|below|fewer|under)|and\s+(?:below|under|less))(?![\w])(?!\s*than\b)",
    re.IGNORECASE,
)
_NUMBER = re.compile(rf"(?<![\w.]){ANYNUM}(?![\w])|(?<![\w.]){ANYNUM}(?=[a-zA-Z%/])", re.IGNORECASE)
_TITRE = re.compile(r"1\s*:\s*(\d+)(?![\d.])")
_UNIT = re.compile(
    r"\s*(?:(?P<dose0>g\s*/\s*(?:day|d)\b|mg\s*/\s*(?:week|wk|month|mo)\b)"  # before lab units' g/(24.h)
    rf"|{UNIT}|(?P<time>years?|yrs?|months?|weeks?|days?)\b(?:[\s-]*(?:old|of\s+age)\b)?"
    r"|(?P<dose>mg\s*/\s*kg(?:\s*/\s*(?:day|d))?\b|mg\s*/\s*(?:day|d)\b|mg\b|g\b)"
    r"|(?P<cm>cm)\b)",
    re.IGNORECASE,
)
_MULT = re.compile(r"\s*(?:x\s*)?(?P<m>xULN|xLLN|ULN|LLN)\b")
_RANGE_SEP = re.compile(r"\s*(?:-|–|to|through|and)\s*", re.IGNORECASE)
_TIME_UCUM = {"y": "a", "m": "mo", "w": "wk", "d": "d"}
_DOSE_UCUM = {
    "mg/kg/day": "mg/kg/d",
    "mg/kg/d": "mg/kg/d",
    "mg/kg": "mg/kg",
    "mg/day": "mg/d",
    "mg/d": "mg/d",
    "mg/week": "mg/wk",
    "mg/wk": "mg/wk",
    "mg/month": "mg/mo",
    "mg/mo": "mg/mo",
    "g/day": "g/d",
    "g/d": "g/d",
    "mg": "mg",
    "g": "g",
}


def _skip(text: str, i: int) -> int:
    m = _WS.match(text, i)
    return m.end() if m else i


def _unit(text: str, i: int) -> tuple[str | None, int]:
    m = _UNIT.match(text, i)
    if m is None or m.end() == i:
        return None, i
    if m.group("time"):
        return _TIME_UCUM[m.group("time")[0].lower()], m.end()
    if m.group("dose0") or m.group("dose"):
        return _DOSE_UCUM[
            re.sub(r"\s+", "", (m.group("dose0") or m.group("dose")).lower())
        ], m.end()
    if m.group("cm"):
        return "cm", m.end()
    return ucum(m.group(0)), m.end()


def quantity(text: str, i: int) -> _Quantity | None:
    """``titre | number [multiple | unit]`` at ``i`` (after spaces)."""
    i = _skip(text, i)
    t = _TITRE.match(text, i)
    if t is not None:
        return _Quantity(float(t.group(1)), "{titer}", None, i, t.end())
    m = _NUMBER.match(text, i)
    if m is None:
        return None
    try:
        value = to_number(m.group(0))
    except ValueError:
        return None
    end = m.end()
    mm = _MULT.match(text, end)
    if mm is not None:
        kind: Literal["ULN", "LLN"] = "ULN" if mm.group("m").upper().endswith("ULN") else "LLN"
        return _Quantity(value, None, kind, i, mm.end())
    unit, end = _unit(text, end)
    return _Quantity(value, unit, None, i, end)


def _prefix(text: str, i: int) -> tuple[Comparator, int] | None:
    i = _skip(text, i)
    m = _PREFIX.match(text, i)
    if m is None:
        return None
    raw = m.group(0)
    for rx, word_cmp in _WORD_CMP:
        if rx.match(raw):
            return word_cmp, m.end()
    cmp = comparator(raw)
    return (cmp, m.end()) if cmp is not None else None


def _comparison(text: str, i: int) -> Bound | None:
    """``prefix quantity [postfix] | quantity postfix``."""
    start = _skip(text, i)
    pre = _prefix(text, start)
    q = quantity(text, pre[1] if pre else start)
    if q is None:
        return None
    post = _POSTFIX.match(text, q.end)
    cmp: Comparator | None = None
    end = q.end
    if post is not None:
        up = re.search(r"more|greater|higher|above|over|larger|older", post.group(0), re.IGNORECASE)
        cmp = Comparator.GE if up else Comparator.LE
        end = post.end()
        if pre is not None and (pre[0] in (Comparator.GE, Comparator.GT)) != bool(up):
            cmp, end = pre[0], q.end  # "at least 18 ... and less than 65": a second comparison
    elif pre is not None:
        cmp = pre[0]
    if cmp is None:
        return None
    return Bound(cmp, q.value, q.unit, q.multiple, start, end)


def _range(text: str, i: int) -> Constraint | None:
    """``["between" | "from"] quantity ("-" | "to" | "and") quantity ["inclusive"]``."""
    start = _skip(text, i)
    lead = re.compile(r"(?:between|from)\s+", re.IGNORECASE).match(text, start)
    a = quantity(text, lead.end() if lead else start)
    if a is None or a.multiple:
        return None
    sep = _RANGE_SEP.match(text, a.end)
    if sep is None or (sep.group(0).strip().lower() == "and" and lead is None):
        return None
    b = quantity(text, sep.end())
    if b is None or b.multiple or b.value < a.value:
        return None
    unit = b.unit or a.unit
    if a.unit and b.unit and a.unit != b.unit:
        return None
    end = b.end
    excl = re.compile(r"\s*\(?\s*(inclusive|exclusive)\)?", re.IGNORECASE).match(text, end)
    lo, hi = Comparator.GE, Comparator.LE
    if excl is not None:
        end = excl.end()
        if excl.group(1).lower() == "exclusive":
            lo, hi = Comparator.GT, Comparator.LT
    return Constraint(
        (
            Bound(lo, a.value, unit, None, a.start, a.end),
            Bound(hi, b.value, unit, None, b.start, b.end),
        ),
        "and",
        start,
        end,
    )


def _pair(text: str, first: Bound) -> Constraint | None:
    """``comparison ("or" | "and") comparison`` with the unit written once, at the end."""
    m = re.compile(r"\s*,?\s*(or|and)\s+", re.IGNORECASE).match(text, first.end)
    if m is None:
        return None
    second = _comparison(text, m.end())
    if second is None or (first.multiple is None) != (second.multiple is None):
        return None
    unit = second.unit or first.unit
    if first.unit and second.unit and first.unit != second.unit:
        return None
    joiner: Literal["and", "or"] = "or" if m.group(1).lower() == "or" else "and"
    return Constraint(
        (replace(first, unit=first.unit or unit), replace(second, unit=unit)),
        joiner,
        first.start,
        second.end,
    )


def constraint(text: str, i: int) -> Constraint | None:
    """The constraint starting at ``i`` (after spaces), or None when the text does not fit."""
    first = _comparison(text, i)
    if first is not None:
        pair = _pair(text, first)
        if pair is not None:
            return pair
        return Constraint((first,), "and", first.start, first.end)
    return _range(text, i)
