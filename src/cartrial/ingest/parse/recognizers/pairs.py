"""A threshold with two bounds read by the quantity grammar ("BMI <= 18.5 or >= 35 kg/m2",
"EDSS 0 - 5.5") and a score written as a set of grades from 0 ("ECOG 0 or 1" = at most 1)."""

from __future__ import annotations

import re

from cartrial.criteria.nodes import (
    AllOf,
    AnyOf,
    Comparator,
    Criterion,
    Measurement,
    Score,
)
from cartrial.ingest.parse import grammar
from cartrial.ingest.parse import lexicon as lx
from cartrial.ingest.parse.hits import Ctx, Hit, window
from cartrial.ingest.parse.recognizers.common import vocab_note
from cartrial.ingest.parse.recognizers.names import ALLOWED_UNITS, group_keys, score_key
from cartrial.ingest.parse.temporal import WindowHit

_I = re.IGNORECASE


_SCALE_SET = re.compile(
    r"(?:of\s+)?0(?:\s*,\s*(?:1|2|3))*\s*,?\s*(?:or|and)\s+(?P<max>[1-4])\b", _I
)


def grammar_bounds(
    text: str, m: re.Match[str], family: str
) -> tuple[tuple[grammar.Bound, ...], str, int] | None:
    """Two bounds (a range, or an either/and pair with a shared unit), or a score read as a
    contiguous set of grades from 0 ("ECOG 0 or 1" = at most 1), by the quantity grammar."""
    pos = m.start("cmp") if m.group("cmp") is not None else m.start("val")
    bare = m.group("cmp") is None or m.group("cmp").strip().lower() in ("of", "=", "==")
    if family == "score" and bare:
        s = _SCALE_SET.match(text, m.start("val"))
        if s is not None and re.fullmatch(
            r"[\s(]*(?:of|score\s+of|status\s+of|=)?\s*", m.group("fill") or ""
        ):
            b = grammar.Bound(Comparator.LE, float(s.group("max")), None, None, s.start(), s.end())
            return (b,), "and", s.end()
    gc = grammar.constraint(text, pos)
    if gc is not None and len(gc.bounds) == 1 and gc.bounds[0].unit == "{titer}":
        return gc.bounds, gc.joiner, gc.end  # "ANA >= 1:80"
    if gc is None or len(gc.bounds) != 2:
        return None
    return gc.bounds, gc.joiner, gc.end


def pair_hit(
    ctx: Ctx,
    text: str,
    base: int,
    m: re.Match[str],
    family: str,
    bounds: tuple[grammar.Bound, ...],
    joiner: str,
    end: int,
) -> Hit | None:
    """Nodes for a threshold with two bounds ("BMI <= 18.5 or >= 35 kg/m2", "EDSS 0 - 5.5")."""
    table = lx.SCORES if family == "score" else lx.ANALYTES
    keys, _j = group_keys(table, m.group("names"), text[m.end("names") : m.end("names") + 60])
    if not keys or len(keys) > 1 or any(b.comparator is Comparator.EQ for b in bounds):
        return None
    key = score_key(keys[0], text) if family == "score" else keys[0]
    lo_end, hi_end = lx.SCALE_RANGES.get(key, (None, None))
    bounds = tuple(
        b
        for b in bounds
        if not (b.comparator is Comparator.GE and b.value == lo_end)
        and not (b.comparator is Comparator.LE and b.value == hi_end)
    )
    fields: list[dict[str, object]] = []
    for b in bounds:
        f: dict[str, object] = {"comparator": b.comparator}
        if family == "score":
            if b.multiple or (
                b.unit not in (None, "%") or (b.unit == "%" and key not in lx.PERCENT_SCORES)
            ):
                return None
            f["instrument"], f["value"] = key, b.value
        else:
            if b.multiple:
                f["uln_multiple" if b.multiple == "ULN" else "lln_multiple"] = b.value
            else:
                unit = b.unit or lx.DEFAULT_UNITS.get(key)
                allowed = ALLOWED_UNITS.get(key)
                if unit is None or (allowed is not None and unit not in allowed):
                    return None
                f["value"], f["unit"] = b.value, unit
            f["concept"] = key
        fields.append(f)
    start = m.start()
    note = vocab_note(key)

    def build(c: Ctx, w: WindowHit | None, a: int, b: int, cf: float) -> Criterion:
        cls = Score if family == "score" else Measurement
        nodes: list[Criterion] = [
            cls(lookback=window(w), **f, **c.common(base + start, base + end, cf, note))
            for f in fields
        ]
        if len(nodes) == 1:
            return nodes[0]
        group = AnyOf if joiner == "or" else AllOf
        return group(items=tuple(nodes), **c.common(a, b, cf))

    return Hit(base + start, base + end, build, frozenset({"within"}), 0.9)
