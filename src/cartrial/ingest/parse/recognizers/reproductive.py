"""Pregnancy tests (serum/urine, with their result), contraception agreements, pregnancy
plans and no pregnancy / breast-feeding for a period after treatment: the last three are asked,
not recorded, and become review nodes."""

from __future__ import annotations

import re

from cartrial.criteria.nodes import (
    AnyOf,
    Criterion,
    ManualReview,
    Serology,
)
from cartrial.ingest.parse.hits import Ctx, Hit, merge_notes, window
from cartrial.ingest.parse.recognizers.serology import polarity
from cartrial.ingest.parse.temporal import WindowHit

_I = re.IGNORECASE


_PREG_TEST_RX = re.compile(
    r"(?:(?P<k1>serum|blood|urine|urinary|plasma)\s+(?:or\s+(?P<k2>serum|blood|urine|urinary)\s+)?)?"
    r"(?:\(?(?:beta-?\s?|β-?)?h?CG\)?\s+)?(?:pregnancy\s+tests?|(?:beta-?\s?|β-?)?(?-i:HCG|hCG)(?:\s+tests?)?)"
    r"(?:\s*\((?P<k3>serum|blood|urine)[^)]*\))?",
    _I,
)


def pregnancy_tests(ctx: Ctx, text: str, base: int) -> list[Hit]:
    hits: list[Hit] = []
    if not ctx.has("pregnan", "hcg"):
        return hits
    for m in _PREG_TEST_RX.finditer(text):
        kinds = {(k or "").lower() for k in (m.group("k1"), m.group("k2"), m.group("k3")) if k}
        before = text[max(0, m.start() - 40) : m.start()]
        k_before = re.findall(r"\b(serum|blood|urine)\b", before, _I)
        kinds |= {k.lower() for k in k_before}
        concepts: list[str] = []
        if kinds & {"serum", "blood", "plasma"}:
            concepts.append("hcg_serum_qual")
        if kinds & {"urine", "urinary"}:
            concepts.append("hcg_urine_qual")
        note = None
        if not concepts:
            concepts = ["hcg_urine_qual", "hcg_serum_qual"]
            note = "test type not stated: urine or serum"
        res, ps, pe = polarity(
            text, m.start(), m.end(), max(0, m.start() - 40), min(len(text), m.end() + 40)
        )
        result = res or ("negative" if ctx.section == "inclusion" else "positive")
        conf = 0.85 if res else 0.65
        if ctx.section == "inclusion":
            note = merge_notes(note, "applies to participants of childbearing potential")
        s, e = min(m.start(), ps), max(m.end(), pe)

        def build(
            c: Ctx,
            w: WindowHit | None,
            a: int,
            b: int,
            cf: float,
            concepts: list[str] = concepts,
            result: str = result,
            note: str | None = note,
        ) -> Criterion:
            nodes = [
                Serology(
                    concept=k,
                    result=result,
                    lookback=window(w),
                    **c.common(a, b, cf, note),
                )
                for k in concepts
            ]
            if len(nodes) == 1:
                return nodes[0]
            return AnyOf(items=tuple(nodes), **c.common(a, b, cf, note))

        hits.append(Hit(base + s, base + e, build, frozenset({"within"}), conf))
    return hits


_CONTRA_RX = re.compile(
    r"contracept\w*|birth\s+control|abstain\w*|abstinen\w*|steriliz\w*|barrier\s+method",
    _I,
)
_INTENT_RX = re.compile(
    r"(?:plan(?:s|ning)?|intend(?:s|ing)?|wish(?:es|ing)?|want(?:s|ing)?)\s+to\s+"
    r"(?:become\s+pregnant|conceive|have\s+(?:a\s+)?(?:child|children|baby)|get\s+pregnant|"
    r"father\s+a\s+child|donate\s+(?:sperm|eggs|ova))[^;,.]*|planning\s+(?:a\s+)?pregnancy|"
    r"pregnancy\s+(?:plan|planning)[^;,.]*",
    _I,
)


def _segment(text: str, pos: int) -> tuple[int, int]:
    """The comma/'and'-delimited stretch of ``text`` around ``pos``."""
    starts = [
        m.end()
        for m in re.finditer(
            r"[;:]|\.\s|,\s*(?:and\s+)?|\b(?:and|but)\s+(?=(?:agree\w*|must|are|is|should|will|be|"
            r"use\w*|take\w*|willing|consent\w*|practi[cs]\w*)\b)",
            text[:pos],
        )
    ]
    a = starts[-1] if starts else 0
    return a, len(text)


_REPRO_RX = re.compile(r"\b(?P<bf>breast[- ]?feed\w*|lactat\w*|nursing)|\b(?P<preg>pregnan\w*)", _I)


def _forward_reproductive(ctx: Ctx, text: str, base: int, claimed: list[Hit]) -> list[Hit]:
    """No pregnancy / breast-feeding for a period after the treatment ("no breast-feeding
    during RTX treatment and in the 12 months following RTX treatment stop"): asked, not
    recorded; a review node that keeps the forward window."""
    if not any(w.direction == "after" for w in ctx.windows_in(base, base + len(text))):
        return []
    m = _REPRO_RX.search(text)
    if m is None or any(h.start <= base + m.start() < h.end for h in claimed):
        return []
    hint = "breastfeeding" if m.group("bf") else "pregnancy"
    a, b = _segment(text, m.start())

    def build(c: Ctx, w: WindowHit | None, s: int, e: int, cf: float) -> Criterion:
        return ManualReview(
            data_hint=hint,
            **c.common(s, e, 1.0, f"no {hint} for a period after treatment: ask the participant"),
        )

    return [
        Hit(base + a, base + b, build, frozenset({"after"}), 1.0, computable=False, kind="manual")
    ]


def contraception(ctx: Ctx, text: str, base: int) -> list[Hit]:
    hits: list[Hit] = []
    if not ctx.has(
        "contracep",
        "birth",
        "abstain",
        "abstinen",
        "sterili",
        "barrier",
        "plan",
        "intend",
        "wish",
        "want",
        "pregnan",
        "feed",
        "lactat",
        "nursing",
    ):
        return hits
    m = _CONTRA_RX.search(text)
    if m:
        a, b = _segment(text, m.start())

        def build(c: Ctx, w: WindowHit | None, s: int, e: int, cf: float) -> Criterion:
            return ManualReview(
                data_hint="contraception",
                **c.common(s, e, 1.0, "contraception agreement: confirm with the participant"),
            )

        hits.append(
            Hit(
                base + a,
                base + b,
                build,
                frozenset({"after"}),
                1.0,
                computable=False,
                kind="manual",
            )
        )
    hits.extend(_forward_reproductive(ctx, text, base, claimed=hits))
    for m in _INTENT_RX.finditer(text):

        def build_i(c: Ctx, w: WindowHit | None, s: int, e: int, cf: float) -> Criterion:
            return ManualReview(
                data_hint="pregnancy plans",
                **c.common(s, e, 1.0, "plans are asked, not recorded"),
            )

        hits.append(
            Hit(
                base + m.start(),
                base + m.end(),
                build_i,
                frozenset(),
                1.0,
                computable=False,
                kind="manual",
            )
        )
    return hits
