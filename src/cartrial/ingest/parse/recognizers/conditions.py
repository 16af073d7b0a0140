"""Diseases named in a clause (read last, on the stretches the other recognizers left
unclaimed): the cohort's own disease only in a diagnosis sentence, exceptions as "and not",
neighbouring mentions merged into one history node."""

from __future__ import annotations

import re

from cartrial.criteria.nodes import (
    AllOf,
    ConditionHistory,
    Criterion,
    Not,
)
from cartrial.ingest.parse import lexicon as lx
from cartrial.ingest.parse.hits import BuildFn, Ctx, Hit, window
from cartrial.ingest.parse.recognizers.common import DEFINITION_RX, IIM_RX
from cartrial.ingest.parse.temporal import WindowHit, find_windows

_I = re.IGNORECASE


_ACTIVE_RX = re.compile(
    r"\b(?:active|current\w*|uncontrolled|ongoing|existing|present|acute)\b", _I
)
_EXC_WORDS = re.compile(
    r"\b(?:except(?:\s+for)?|excluding|other\s+than|with\s+the\s+exception\s+of|apart\s+from)\b", _I
)
_MODIFIER_AFTER = re.compile(r"[- ](?:associated|induced|related|caused)\b", _I)
_MODIFIER_BEFORE = re.compile(
    r"(?:due\s+to|caused\s+by|secondary\s+to|(?:years?|months?|weeks?)\s+of)\s+$", _I
)
_DIAGNOSIS_CUE = re.compile(
    r"diagnos\w*|\bmeets?\b|\bmeeting\b|fulfil\w*|classif\w*|criteria|confirmed|\bconform|"
    r"^\W*(?:patients?|subjects?|participants?)\s+with\b|biopsy|\bactive\b|history\s+of|"
    r"^\W*(?:relaps\w*|refractory|recurrent|progressive)",
    _I,
)
_NEG_CONTEXT = re.compile(
    r"\b(?:no|without|not|negative\s+for|free\s+of|exclude)\s+(?:\w+\s+){0,2}$", _I
)


def conditions(ctx: Ctx, text: str, base: int, claimed: list[tuple[int, int]]) -> list[Hit]:
    def free(s: int, e: int) -> bool:
        return not any(s + base < ce and cs < e + base for cs, ce in claimed)

    found = [(k, s, e) for k, s, e in lx.find_all(lx.CONDITIONS, text, base) if free(s, e)]
    for m in IIM_RX.finditer(text):
        if free(m.start(), m.end()) and not any(s <= m.start() < e for _, s, e in found):
            found.append(("iim", m.start(), m.end()))
    found.sort(key=lambda x: x[1])
    if not found:
        return []
    exc = _EXC_WORDS.search(text)
    hits: list[Hit] = []
    exceptions = [f for f in found if exc and f[1] >= exc.end()]
    mains = [f for f in found if not (exc and f[1] >= exc.end())]
    cohort = set(ctx.cohort_keys)
    seen: dict[tuple[str, ...], int] = {}
    for key, s, e in mains:
        if _NEG_CONTEXT.search(text[max(0, s - 30) : s]) and ctx.section == "inclusion":
            continue
        if _MODIFIER_AFTER.match(text[e:]) or _MODIFIER_BEFORE.search(text[max(0, s - 30) : s]):
            continue  # "tumor-associated myositis", "within 2 years of tumor diagnosis"
        paren = re.match(r"\s*\(", text[e:])
        if paren is not None and any(
            base + e < cs < base + e + 80 and cs <= base + e + paren.end() + 25
            for cs, _ce in claimed
        ):
            continue  # "severe lupus nephritis (serum creatinine > 2.5 mg/dL)": defined by the test
        concepts = lx.IIM_KEYS if key == "iim" else (key,)
        if cohort and set(concepts) <= cohort:
            # the cohort's own disease: context in its exclusions; in its inclusions only a
            # diagnosis sentence ("meets", "diagnosed with", a cohort title) counts
            if ctx.section == "exclusion":
                continue
            if DEFINITION_RX.match(text) or not (
                _DIAGNOSIS_CUE.search(text) or len(text.split()) <= 8
            ):
                continue
        active = key in ("pregnancy", "lactation") or bool(
            _ACTIVE_RX.search(text[max(0, s - 30) : s])
        )
        if (
            concepts in seen
            and not any(hits[seen[concepts]].end - base <= fs < s for _k, fs, _e in found)
            and not ctx.windows_in(hits[seen[concepts]].end, base + s)
        ):
            # the same disease named twice ("active RA with a diagnosis of RA >= 6 months");
            # not across another disease ("infection ..., zoster ..., or any infection ...":
            # two readings, each with its own window; nor across a window of the first)
            i = seen[concepts]
            prev = hits[i]
            prev_active = prev.active_only or active

            def build_same(
                c: Ctx,
                w: WindowHit | None,
                a: int,
                b: int,
                cf: float,
                concepts: tuple[str, ...] = concepts,
                active: bool = prev_active,
            ) -> Criterion:
                return _condition_node(c, concepts, active, w, a, b, cf)

            hits[i] = Hit(
                prev.start,
                base + e,
                build_same,
                prev.accepts,
                prev.confidence,
                kind="condition",
                concepts=concepts,
                active_only=prev_active,
            )
            continue
        conf = 0.75 if ctx.section == "exclusion" else 0.7

        def build(
            c: Ctx,
            w: WindowHit | None,
            a: int,
            b: int,
            cf: float,
            concepts: tuple[str, ...] = concepts,
            active: bool = active,
        ) -> Criterion:
            return _condition_node(c, concepts, active, w, a, b, cf)

        seen[concepts] = len(hits)
        hits.append(
            Hit(
                base + s,
                base + e,
                build,
                frozenset({"within", "at_least", "duration"}),
                conf,
                kind="condition",
                concepts=concepts,
                active_only=active,
            )
        )
    main_concepts = {k for h in hits for k in h.concepts}
    exc_concepts = tuple(
        dict.fromkeys(
            k
            for key, _, _ in exceptions
            for k in (lx.IIM_KEYS if key == "iim" else (key,))
            if k not in main_concepts
        )
    )
    if exc_concepts and hits and exc is not None:
        es = min(s for _, s, _ in exceptions) + base
        ee = max(e for _, _, e in exceptions) + base
        last = hits[-1]
        inner = last.build
        exc_windows = [w for w in find_windows(text[exc.start() :]) if w.direction != "after"]
        exc_w = exc_windows[0] if exc_windows else None
        if exc_w is not None:
            ee = max(ee, base + exc.start() + exc_w.end)

        def build_exc(
            c: Ctx,
            w: WindowHit | None,
            a: int,
            b: int,
            cf: float,
            inner: BuildFn = inner,
            last: Hit = last,
        ) -> Criterion:
            node = inner(c, w, last.start, last.end, cf)
            # "except NMSC disease-free for more than 5 years": the carve-out is old enough
            other = ConditionHistory(
                concepts=exc_concepts,
                onset_at_least=window(exc_w),
                **c.common(es, ee, cf),
            )
            return AllOf(
                items=(node, Not(item=other, **c.common(es, ee, cf))),
                **c.common(a, b, cf * 0.8, "exceptions read as 'and not'; check"),
            )

        hits[-1] = Hit(
            last.start,
            last.end,
            build_exc,
            last.accepts,
            last.confidence * 0.8,
            kind="condition_exc",
            claim=(last.start, max(ee, last.end)),
            exc_zone=(base + exc.start(), base + len(text)),
        )
    return hits


def _condition_node(
    c: Ctx, concepts: tuple[str, ...], active: bool, w: WindowHit | None, a: int, b: int, cf: float
) -> Criterion:
    within = at_least = None
    if w is not None:
        if w.direction == "within":
            within = window(w)
        elif w.direction in ("at_least", "duration"):
            at_least = window(w)
    return ConditionHistory(
        concepts=concepts,
        active_only=active,
        onset_within=within,
        onset_at_least=at_least,
        **c.common(a, b, cf),
    )


def merge_conditions(text: str, hits: list[Hit]) -> list[Hit]:
    out: list[Hit] = []
    for h in hits:
        prev = out[-1] if out else None
        if (
            prev is not None
            and prev.kind == "condition"
            and h.kind == "condition"
            and prev.window == h.window
            and prev.active_only == h.active_only
            and not re.search(r";|\.\s|\band\b", text[prev.end : h.start], _I)
        ):
            concepts = tuple(dict.fromkeys(prev.concepts + h.concepts))
            active = prev.active_only
            merged_conf = min(prev.confidence, h.confidence)

            def build(
                c: Ctx,
                w: WindowHit | None,
                a: int,
                b: int,
                cf: float,
                concepts: tuple[str, ...] = concepts,
                active: bool = active,
            ) -> Criterion:
                return _condition_node(c, concepts, active, w, a, b, cf)

            out[-1] = Hit(
                prev.start,
                h.end,
                build,
                prev.accepts,
                merged_conf,
                kind="condition",
                window=prev.window,
                concepts=concepts,
                active_only=active,
            )
            continue
        out.append(h)
    return out
