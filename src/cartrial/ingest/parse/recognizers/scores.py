"""Scores other than "name then value": joint counts ("6 of 66 swollen joints"), the value
before the instrument ("a score of at least 4 on the ESSDAI"), CTCAE grades of adverse
events, and BILAG-2004 A/B domain counts."""

from __future__ import annotations

import re

from cartrial.criteria.nodes import (
    AnyOf,
    Comparator,
    Criterion,
    Score,
)
from cartrial.ingest.parse import lexicon as lx
from cartrial.ingest.parse.hits import Ctx, Hit, window
from cartrial.ingest.parse.patterns import (
    CMP_POSTFIX,
    CMP_PREFIX,
    NUM,
    comparator,
    to_number,
)
from cartrial.ingest.parse.recognizers.common import is_relative, vocab_note
from cartrial.ingest.parse.temporal import WindowHit

_I = re.IGNORECASE


_JOINTS = re.compile(
    rf"(?P<cmp>{CMP_PREFIX})?\s*(?P<n>\d{{1,2}})\s*(?:or\s+more\s+)?(?:of|/|out\s+of)\s*(?:the\s+)?"
    r"(?P<total>28|66|68)\s+(?:joints?\s+)?(?P<kind>swollen|tender)(?:\s+joints?)?"
    r"|(?P<cmp2>"
    + CMP_PREFIX
    + r")?\s*(?P<n2>\d{1,2})\s*(?:or\s+more\s+)?(?P<kind2>swollen|tender)\s+joints?"
    r"\s*\(?\s*(?:of|out\s+of|on\s+a)\s+(?P<total2>28|66|68)(?:[- ]joint\s+count)?\)?",
    _I,
)
_PAIR_GAP = re.compile(r"\s*(?:,|;)?\s*(?:and|or|plus)?\s*", _I)
_JOINT_KEYS = {
    ("swollen", "66"): "swollen_joint_count_66",
    ("swollen", "28"): "swollen_joint_count_28",
    ("tender", "68"): "tender_joint_count_68",
    ("tender", "28"): "tender_joint_count_28",
}


def joint_counts(ctx: Ctx, text: str, base: int) -> list[Hit]:
    """ "≥ 6 of 66 swollen joints", "6 or more tender joints (of 68)": a joint count score."""
    if "joint" not in ctx.low:
        return []
    hits: list[Hit] = []
    last: tuple[Comparator, int] | None = None
    for m in _JOINTS.finditer(text):
        kind = (m.group("kind") or m.group("kind2") or "").lower()
        total = m.group("total") or m.group("total2")
        key = _JOINT_KEYS.get((kind, total or ""))
        raw_cmp = m.group("cmp") or m.group("cmp2")
        or_more = "or more" in m.group(0).lower()
        cmp = Comparator.GE if or_more else comparator(raw_cmp)
        if cmp is None and last is not None and _PAIR_GAP.fullmatch(text, last[1], m.start()):
            cmp = last[0]  # "at least 6 of 66 swollen and 6 of 68 tender joints": shared
        if key is None or cmp is None:
            continue
        last = (cmp, m.end())
        value = float(m.group("n") or m.group("n2"))
        hits.append(_joint_hit(base + m.start(), base + m.end(), key, cmp, value))
    return hits


_SCORE_FIRST = re.compile(
    rf"\b(?:total\s+)?score\s*(?:of\s+)?(?P<cmp>{CMP_PREFIX})?\s*(?P<val>{NUM})"
    rf"(?:\s*(?P<post>{CMP_POSTFIX}))?\s*(?:points?\s+)?(?:for|on|in|of)\s+(?:the\s+)?",
    _I,
)


def score_named_after(ctx: Ctx, text: str, base: int) -> list[Hit]:
    """ "Score >= 6 for SELENA-SLEDAI clinical symptoms", "a score of at least 4 on the
    ESSDAI": the value before the instrument's name."""
    if "score" not in ctx.low:
        return []
    hits: list[Hit] = []
    names = {s: (k, e) for k, s, e in lx.find_all(lx.SCORES, text, base)}
    for m in _SCORE_FIRST.finditer(text):
        named = names.get(m.end())
        cmp = comparator(m.group("cmp"), m.group("post"))
        if named is None or cmp is None or is_relative(text, m.start(), m.end("val")):
            continue
        try:
            value = to_number(m.group("val"))
        except ValueError:
            continue
        key, end = named
        hits.append(_joint_hit(base + m.start(), base + end, key, cmp, value))
    return hits


_GRADE_AFTER = re.compile(
    rf"\s*(?:of\s+)?(?:\(?\s*(?-i:CTCAE)\s*\)?\s*)?(?P<g1>grade\s*)?(?P<cmp>{CMP_PREFIX})?\s*"
    rf"(?P<g2>grade\s*)?(?P<n>[0-5])\b(?:\s*(?P<post>{CMP_POSTFIX}))?",
    _I,
)
_GRADE_BEFORE = re.compile(
    rf"(?P<cmp>{CMP_PREFIX})?\s*(?:(?-i:CTCAE)\s+)?grade\s*(?P<cmp2>{CMP_PREFIX})?\s*(?P<n>[0-5])"
    rf"(?:\s*(?P<post>{CMP_POSTFIX}))?\s*(?:\(?\s*(?-i:CTCAE)[^()]{{0,20}}\)?\s*)?$",
    _I,
)


def toxicity_grades(ctx: Ctx, text: str, base: int) -> list[Hit]:
    """A bound on the CTCAE grade of an adverse event: "peripheral neuropathy >= grade 2",
    "grade 3 or higher CRS", "toxicities of grade >= 2 from prior therapy". No comparator
    written ("grade 2 neuropathy"): nothing is read."""
    if "grade" not in ctx.low:
        return []
    hits: list[Hit] = []
    for key, s, e in lx.find_all(lx.TOXICITIES, text, base):
        after = _GRADE_AFTER.match(text, e)
        before = _GRADE_BEFORE.search(text[max(0, s - 45) : s])
        if after is not None and (after.group("g1") or after.group("g2")):
            cmp = comparator(after.group("cmp"), after.group("post"))
            a, b, n = s, after.end(), after.group("n")
        elif before is not None:
            cmp = comparator(before.group("cmp") or before.group("cmp2"), before.group("post"))
            a, b, n = max(0, s - 45) + before.start(), e, before.group("n")
        else:
            continue
        if cmp is None:
            continue
        while a < b and text[a].isspace():
            a += 1
        hits.append(_grade_hit(base + a, base + b, f"{key}_grade", cmp, float(n)))
    return hits


def _grade_hit(start: int, end: int, key: str, cmp: Comparator, value: float) -> Hit:
    def build(c: Ctx, w: WindowHit | None, a: int, b: int, cf: float) -> Criterion:
        note = f"CTCAE grade ('{key}' is not in the shared vocabulary yet)"
        return Score(
            instrument=key,
            comparator=cmp,
            value=value,
            lookback=window(w),
            **c.common(a, b, cf, note),
        )

    return Hit(start, end, build, frozenset({"within"}), 0.85)


def _joint_hit(start: int, end: int, key: str, cmp: Comparator, value: float) -> Hit:
    def build(c: Ctx, w: WindowHit | None, a: int, b: int, cf: float) -> Criterion:
        return Score(
            instrument=key,
            comparator=cmp,
            value=value,
            lookback=window(w),
            **c.common(a, b, cf, vocab_note(key)),
        )

    return Hit(start, end, build, frozenset({"within"}), 0.9)


_BILAG_RX = re.compile(
    r"(?:at\s+least\s+|>=\s*)?(?P<na>one|1|two|2)\s+(?:[^;]{0,80}?)\bBILAG\b[^;]{0,40}?"
    r"(?:category|grade|domain|score)?\s*['\"]?A['\"]?\b(?P<mid>[^;]{0,80}?)\bor\s+"
    r"(?:at\s+least\s+)?(?P<nb>one|1|two|2)\s+(?:(?:BILAG[^;]{0,20}?)?(?:category|grade|domain)?\s*)"
    r"['\"]?B\b",
    _I,
)
_BILAG_RX2 = re.compile(
    r"\bBILAG(?:[- ]2004)?\s+['\"]?A['\"]?\s+(?:score\s+)?in\s+(?:at\s+least\s+|>=\s*)?"
    r"(?P<na>one|1|two|2)\s+(?:organs?|domains?|systems?)[^;]{0,20}?\s+or\s+['\"]?B['\"]?\s+"
    r"(?:score\s+)?in\s+(?:at\s+least\s+|>=\s*)?(?P<nb>one|1|two|2)",
    _I,
)


def bilag(ctx: Ctx, text: str, base: int) -> list[Hit]:
    hits: list[Hit] = []
    if "bilag" not in text.lower():
        return hits
    for rx in (_BILAG_RX, _BILAG_RX2):
        for m in rx.finditer(text):
            na, nb = to_number(m.group("na")), to_number(m.group("nb"))
            s, e = base + m.start(), base + m.end()

            def build(
                c: Ctx,
                w: WindowHit | None,
                a: int,
                b: int,
                cf: float,
                na: float = na,
                nb: float = nb,
                s: int = s,
                e: int = e,
            ) -> Criterion:
                note = "count of BILAG-2004 organ domains scoring A / B"
                return AnyOf(
                    items=(
                        Score(
                            instrument="bilag_a_count",
                            comparator=Comparator.GE,
                            value=na,
                            lookback=window(w),
                            **c.common(s, e, cf, note),
                        ),
                        Score(
                            instrument="bilag_b_count",
                            comparator=Comparator.GE,
                            value=nb,
                            lookback=window(w),
                            **c.common(s, e, cf, note),
                        ),
                    ),
                    **c.common(a, b, cf),
                )

            hits.append(Hit(s, e, build, frozenset({"within"}), 0.8))
        if hits:
            break
    return hits
