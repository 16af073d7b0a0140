"""Age (read by the quantity grammar after an age cue, or in years + "old") and sex."""

from __future__ import annotations

import re
from collections.abc import Sequence

from cartrial.criteria.nodes import (
    Age,
    AnyOf,
    Comparator,
    Criterion,
    SexIs,
)
from cartrial.domain.patient import Sex
from cartrial.ingest.parse import grammar
from cartrial.ingest.parse.hits import Ctx, Hit
from cartrial.ingest.parse.temporal import WindowHit

_I = re.IGNORECASE


_AGE_CUE = re.compile(
    r"\b(?:aged?|ages)\b\s*(?:range\s*)?(?::|of|is|at)?\s*(?=[<>\d]|between|from|at\s+least|"
    r"(?:greater|more|less|older|younger|over|under|above|below|no|not)\b|equal)",
    _I,
)
_AGE_TAIL = re.compile(r"[\s-]*(?:old|of\s+age)\b", _I)  # also found inside the grammar's unit
_AGE_HINT = re.compile(
    r"\bold\b|of\s+age|adults?|patients?|participants?|subjects?|\bmen\b|women|males?|females?|"
    r"children|persons?",
    _I,
)
_AGE_START = re.compile(
    r"(?<![\w.])(?:\d|[<>]|at\s+least|between|from|greater|more|less|older|younger)", _I
)
_AGE_WHO = re.compile(
    r"(?:adults?|patients?|participants?|subjects?|men|women|males?|females?|children|persons?)"
    r"\s*(?:,\s*|\(\s*)?(?:aged?\s*)?$",
    _I,
)


def _age_constraint(text: str, pos: int) -> tuple[grammar.Constraint, int] | None:
    """A constraint in years at ``pos`` ("18-65 years", ">= 18 and <= 65", "18 and over")."""
    c = grammar.constraint(text, pos)
    if c is None or any(b.multiple or b.unit not in (None, "a") for b in c.bounds):
        return None
    if any(not (0 <= b.value <= 120) or b.value != int(b.value) for b in c.bounds):
        return None
    end = c.end
    tail = _AGE_TAIL.match(text, end)
    if tail is not None:
        end = tail.end()
    return c, end


def age(ctx: Ctx, text: str, base: int) -> list[Hit]:
    """Age constraints read by the quantity grammar after an age cue, or in years + "old"."""
    if not ctx.has("age", "year", "yr", "old"):
        return []
    found: tuple[grammar.Constraint, int, int] | None = None
    for m in _AGE_CUE.finditer(text):
        got = _age_constraint(text, m.end())
        if got is not None:
            found = (got[0], m.start(), got[1])
            break
    if found is None and (len(text) < 60 or _AGE_HINT.search(text)):
        for m in _AGE_START.finditer(text):
            got = _age_constraint(text, m.start())
            if got is None:
                continue
            c, end = got
            in_years = any(b.unit == "a" for b in c.bounds)
            aged = _AGE_TAIL.search(text, m.start(), end) or _AGE_WHO.search(
                text[max(0, m.start() - 40) : m.start()]
            )
            whole = re.fullmatch(r"\W*", text[: m.start()] + text[end:]) is not None
            if in_years and (aged or whole):
                found = (c, m.start(), end)
                break
    if found is None:
        return []
    c, start, end = found
    # "ages 0-75": an age of at least 0 says nothing
    bounds = tuple(b for b in c.bounds if not (b.value == 0 and b.comparator is Comparator.GE))
    if not bounds:
        return []
    if c.joiner == "and" and len(bounds) == 2 and bounds[0].value > bounds[1].value:
        return []

    def age_node(cc: Ctx, bs: Sequence[grammar.Bound], a: int, b: int, cf: float) -> Age:
        lo = next((x for x in bs if x.comparator in (Comparator.GE, Comparator.GT)), None)
        hi = next((x for x in bs if x.comparator in (Comparator.LE, Comparator.LT)), None)
        return Age(
            min_years=lo.value if lo else None,
            max_years=hi.value if hi else None,
            min_inclusive=lo is None or lo.comparator is Comparator.GE,
            max_inclusive=hi is None or hi.comparator is Comparator.LE,
            **cc.common(a, b, cf),
        )

    if any(
        b.comparator not in (Comparator.GE, Comparator.GT, Comparator.LE, Comparator.LT)
        for b in bounds
    ):
        return []

    def build(cc: Ctx, w: WindowHit | None, a: int, b: int, cf: float) -> Criterion:
        if c.joiner == "or" and len(bounds) == 2:
            return AnyOf(
                items=tuple(age_node(cc, [x], a, b, cf) for x in bounds), **cc.common(a, b, cf)
            )
        return age_node(cc, bounds, a, b, cf)

    return [Hit(base + start, base + end, build, frozenset(), 0.95)]


_SEX_RX = re.compile(
    r"\b(?:male\s+(?:or|and|/)\s+female|female\s+(?:or|and|/)\s+male|men\s+(?:and|or)\s+women|"
    r"women\s+(?:and|or)\s+men|both\s+(?:sexes|genders)|gender\s+(?:is\s+)?(?:unlimited|not\s+limited|"
    r"not\s+restricted|unrestricted)|(?:any|either)\s+(?:sex|gender)|all\s+genders|sex\s*:\s*all)\b",
    _I,
)
_SEX_ONLY_RX = re.compile(
    r"\b(?:(?P<f>female|women)\s+(?:patients?|participants?|subjects?)?\s*only|only\s+(?P<f2>female|women)"
    r"|(?P<m>male|men)\s+(?:patients?|participants?|subjects?)?\s*only|only\s+(?P<m2>male|men))\b",
    _I,
)


def sex(ctx: Ctx, text: str, base: int) -> list[Hit]:
    if ctx.section != "inclusion" or not ctx.has_word(
        "male", "female", "men", "women", "sex", "sexes", "gender", "genders"
    ):
        return []
    m = _SEX_RX.search(text)
    allowed: tuple[Sex, ...]
    if m:
        allowed = (Sex.FEMALE, Sex.MALE)
    else:
        m = _SEX_ONLY_RX.search(text)
        if not m:
            return []
        allowed = (Sex.FEMALE,) if (m.group("f") or m.group("f2")) else (Sex.MALE,)

    def build(c: Ctx, w: WindowHit | None, a: int, b: int, cf: float) -> Criterion:
        return SexIs(allowed=allowed, **c.common(a, b, cf))

    return [Hit(base + m.start(), base + m.end(), build, frozenset(), 0.9)]
