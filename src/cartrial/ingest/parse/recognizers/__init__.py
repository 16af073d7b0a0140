"""Recognizers: one clause of cleaned eligibility text -> hits that build criteria nodes.

This module holds only the composition rules; each family of readings lives in its own module:

==================  ==============================================================
``thresholds``      lab values, scores, renal function against a number or xULN
``names``           the names a threshold may follow, the units each analyte takes
``pairs``           two bounds on one name (ranges, "<= 18.5 or >= 35"), scale sets
``renal``           eGFR / creatinine clearance: which calculator, which unit
``scores``          joint counts, "score >= 6 for X", CTCAE grades, BILAG counts
``classification``  "meets the 2019 EULAR/ACR criteria" (and their total score)
``serology``        antibodies, antigens, viral loads and their polarity
``reproductive``    pregnancy tests, contraception, pregnancy plans
``prior_therapy``   CAR-T, CD19/BCMA-targeted, gene therapy, live vaccines, trials
``medications``     drug and class exposure, failure, minimum doses, route exceptions
``demographics``    age and sex
``conditions``      diseases (read last, on what the others left unclaimed)
``windows``         which hit a time window belongs to
``history``         what a window does to a history node (washout, per-drug window)
``review``          what is left to a person: unread words, bounds, spans, anchors
``common``          what several families share (guards, list joins, exceptions)
==================  ==============================================================

A :class:`Hit` marks the evidence it was read from (cleaned offsets) and knows how to build
its node once a time window has been attached. Recognizers run in the fixed order of
``_RECOGNIZERS`` and *claim* their evidence, so a later, vaguer recognizer (conditions) never
re-reads a threshold or a serology. :func:`recognize` runs them all over one clause, attaches
windows, and joins the nodes by the words between them ("or" -> any of, otherwise all of;
an exclusion list defaults to "any of").

Every node gets ``text``/``span`` from the original text, ``review: auto`` and a confidence.
"""

from __future__ import annotations

import dataclasses
import re
from bisect import bisect_right
from collections.abc import Callable
from dataclasses import dataclass

from cartrial.criteria.nodes import (
    AllOf,
    AnyOf,
    Criterion,
    ManualReview,
    MedicationHistory,
)
from cartrial.ingest.parse import therapy
from cartrial.ingest.parse.hits import Ctx, Hit
from cartrial.ingest.parse.recognizers.classification import classification
from cartrial.ingest.parse.recognizers.conditions import conditions, merge_conditions
from cartrial.ingest.parse.recognizers.demographics import age, sex
from cartrial.ingest.parse.recognizers.history import (
    not_computable,
    per_item_window,
    remember_therapy,
    stable_dose,
    washout,
)
from cartrial.ingest.parse.recognizers.medications import medications
from cartrial.ingest.parse.recognizers.prior_therapy import prior_therapy
from cartrial.ingest.parse.recognizers.reproductive import contraception, pregnancy_tests
from cartrial.ingest.parse.recognizers.review import (
    EVIDENCE,
    content_words,
    unexplained_runs,
    unread_note,
    unread_stretches,
    unresolved_anchor,
)
from cartrial.ingest.parse.recognizers.scores import (
    bilag,
    joint_counts,
    score_named_after,
    toxicity_grades,
)
from cartrial.ingest.parse.recognizers.serology import serology
from cartrial.ingest.parse.recognizers.thresholds import thresholds
from cartrial.ingest.parse.recognizers.windows import (
    STOPPED,
    attach_windows,
    is_used,
    shared_anchors,
)
from cartrial.ingest.parse.temporal import WindowHit

__all__ = ["ClauseResult", "Ctx", "Hit", "recognize"]

_I = re.IGNORECASE
_ALNUM = re.compile(r"[a-z0-9]+")
_ALNUM_ANY = re.compile(r"[^\W_]")
#: "Liver function: ..." (a label is no content word)
_LABEL = re.compile(r"\s*[A-Za-z][A-Za-z /-]{1,40}:\s*")
_OR = re.compile(r"\bor\b", _I)
_AND = re.compile(r"\band\b", _I)
_AND_WITH = re.compile(r"\band\b|\bwith\b", _I)
_MULTIPLE = re.compile(r"x[UL]LN")  # the normaliser's spelling of every ULN / LLN multiple


_RECOGNIZERS: list[Callable[[Ctx, str, int], list[Hit]]] = [
    joint_counts,
    thresholds,
    score_named_after,
    toxicity_grades,
    bilag,
    age,
    classification,
    pregnancy_tests,
    serology,
    contraception,
    therapy.doses,
    therapy.counts,
    prior_therapy,
    medications,
    sex,
]


@dataclass
class ClauseResult:
    node: Criterion | None
    computable: bool
    windows: list[WindowHit]


def recognize(ctx: Ctx, text: str, start: int, end: int) -> ClauseResult:
    """Nodes for the clause ``text[start:end]`` (cleaned offsets)."""
    clause = text[start:end]
    ctx.low = clause.lower()
    ctx.words = frozenset(_ALNUM.findall(ctx.low))
    claimed: list[tuple[int, int]] = []
    age_regions: set[tuple[int, int]] = set()
    hits: list[Hit] = []
    for rec in _RECOGNIZERS:
        found = rec(ctx, clause, start)
        if (
            rec in (medications, serology)
            and claimed
            and any(
                (h.claim or (h.start, h.end))[0] < ce and cs < (h.claim or (h.start, h.end))[1]
                for h in found
                for cs, ce in claimed
            )
        ):
            # the drugs a dose or a count already read are masked: the rest of the list is
            # read on its own ("cyclophosphamide (1.5 g) and mycophenolate (for 3 months)")
            # (also antibodies: "positive ANA (>= 1:80) and/or anti-dsDNA": the titre is read)
            found = rec(ctx, _masked(clause, start, claimed), start)
            for h in found:
                h.kind = "masked"
        for h in found:
            region = h.claim or (h.start, h.end)
            clash = [(cs, ce) for cs, ce in claimed if region[0] < ce and cs < region[1]]
            # a clause-wide reading ("SLE, aged >= 18 ..., fulfilling the 2019 criteria") may
            # enclose an age read inside it
            clash = [
                (cs, ce)
                for cs, ce in clash
                if not ((cs, ce) in age_regions and region[0] <= cs and ce <= region[1])
            ]
            if h.kind == "masked":
                h.kind, clash = "atom", []  # its mentions lie outside what was claimed
            if clash and h.kind == "manual":
                # a manual stretch ("agrees to use contraception ...") yields to what was read
                new_start = max(ce for _, ce in clash)
                if new_start < h.end and all(ce <= h.end for _, ce in clash):
                    h.start = new_start
                    region = (h.start, h.end)
                    clash = []
            if clash:
                continue
            hits.append(h)
            claimed.append(region)
            if rec is age:
                age_regions.add(region)
    for h in conditions(ctx, clause, start, claimed):
        region = h.claim or (h.start, h.end)
        if any(region[0] < ce and cs < region[1] for cs, ce in claimed):
            continue
        hits.append(h)
        claimed.append(region)
    hits.sort(key=lambda h: h.start)
    windows = shared_anchors(text, ctx.windows_in(start, end))
    anchors = [(w.anchor_start, w.end) for w in windows if w.anchor_text]
    if anchors:
        # "5 days before CAR T cell infusion": the anchor is when, not what
        hits = [h for h in hits if not any(a <= h.start and h.end <= b for a, b in anchors)]
    attach_windows(text, hits, windows)
    for h in hits:
        if (
            h.window is not None
            and h.window.direction == "duration"
            and STOPPED.search(text[max(start, h.start - 40) : h.start])
        ):
            # "discontinuation of immunosuppressants for more than 1 week": a washout
            h.window = dataclasses.replace(h.window, direction="at_least")
    hits = merge_conditions(text, hits)

    # how much of the clause the hits explain
    covered = list(claimed) + [(w.start, w.end) for w in windows if is_used(w, hits)]
    label = _LABEL.match(clause) if hits else None
    words = [w for w in content_words(clause) if not (label and w[1] <= label.end())]
    if words:
        rel = [(cs - start, ce - start) for cs, ce in covered]
        explained = 0
        for a, b in words:  # (loops, not generators: this runs for every sentence)
            for cs, ce in rel:
                if a < ce and cs < b:
                    explained += 1
                    break
        coverage = explained / len(words)
        leftover = len(words) - explained
    else:
        coverage, leftover = 1.0, 0
    # bounds and windows the grammar reads that no hit took: never dropped silently
    used = {(w.start, w.end) for h in hits for w in (h.window, h.window2) if w is not None}
    # (a sentence read in nothing is quoted whole; only a ULN multiple is named in it)
    unread = (
        unread_stretches(text, start, end, covered, windows, used)
        if hits or _MULTIPLE.search(clause)
        else []
    )
    computable = [h for h in hits if h.computable]
    nodes: list[Criterion] = []
    add_manual = leftover >= 3 and (not hits or coverage < 0.6 or leftover >= 5)
    single = len(hits) == 1 and not add_manual and not unread
    for h in hits:
        a, b = h.start, h.end
        if h.window is not None:
            a, b = min(a, h.window.start), max(b, h.window.end)
        if single:
            a, b = start, end  # one node reads the whole sentence: it quotes all of it
        conf = h.confidence * (0.8 + 0.2 * coverage) if h.computable else h.confidence
        if h.window is not None and not h.window.resolved and h.computable:
            node = unresolved_anchor(ctx, h.window, a, b)
            computable = [x for x in computable if x is not h]
        elif (
            h.window is not None
            and h.kind in ("condition", "condition_exc")
            and (ev := EVIDENCE.search(text[max(start, h.start - 60) : h.start]))
        ):
            # "MRI evidence of active myositis within 3 months": the finding is dated, not the
            # onset of the disease
            word = ev.group(0).split()[0].lower()
            node = ManualReview(
                data_hint=word if word != "evidence" else "dated finding",
                **ctx.common(
                    a, b, 1.0, "a finding dated by the window, not the onset of the disease"
                ),
            )
            computable = [x for x in computable if x is not h]
        else:
            node = h.build(ctx, h.window, a, b, conf)
            review = not_computable(ctx, node, h.window)
            if review is not None:
                node = review
                computable = [x for x in computable if x is not h]
            elif h.window is not None and h.window.direction == "at_least":
                node = washout(ctx, node, h.window)
            elif h.window is not None and isinstance(node, MedicationHistory):
                node = per_item_window(ctx, text, node, h.window)
        if isinstance(node, ManualReview) and h.window is not None:
            ctx.manual_windows[node.span or (0, 0)] = h.window
        remember_therapy(ctx, node)
        nodes.append(node)
    if not hits:
        stable = stable_dose(ctx, clause, start, end, windows)
        if stable is not None:
            return ClauseResult(stable, False, windows)
    if unread and hits and not add_manual:
        _insert_unread(ctx, unread, hits, nodes)
    if add_manual:
        note = "not understood by the parser: needs a person"
        if hits:
            spans = [(a, b) for a, b, _why in unread]
            runs = unexplained_runs([(start + a, start + b) for a, b in words], covered + spans)
            note = "part of this sentence was not understood" + (
                ": " + ", ".join(f'"{ctx.text(a, b)}"' for a, b in runs) if runs else ""
            )
        manual = ManualReview(**ctx.common(start, end, 1.0, unread_note(ctx, note, unread)))
        free_windows = [w for w in windows if not is_used(w, hits) and w.direction != "after"]
        if free_windows:
            ctx.manual_windows[manual.span or (0, 0)] = free_windows[0]
        nodes.append(manual)
        hits.append(Hit(start, end, lambda *a: manual, computable=False, kind="manual"))
    if not nodes:
        if not _ALNUM_ANY.search(ctx.text(start, end)):
            return ClauseResult(None, False, windows)
        note = "not understood by the parser: needs a person"
        manual = ManualReview(**ctx.common(start, end, 1.0, unread_note(ctx, note, unread)))
        free_windows = [w for w in windows if w.direction != "after"]
        if free_windows:
            ctx.manual_windows[manual.span or (0, 0)] = free_windows[0]
        return ClauseResult(manual, False, windows)
    node = _join(ctx, text, hits, nodes, start, end)
    return ClauseResult(node, bool(computable), windows)


def _insert_unread(
    ctx: Ctx, unread: list[tuple[int, int, str]], hits: list[Hit], nodes: list[Criterion]
) -> None:
    """One review node per stretch not read, in its place among the hits, so the words around
    it join it ("ALT <= 3 x ULN or <= 5 x ULN with liver metastases": any of the two)."""
    for a, b, why in unread:
        node = ManualReview(**ctx.common(a, b, 1.0, f"not read: {why}"))
        i = bisect_right([h.start for h in hits], a)
        hits.insert(i, Hit(a, b, lambda *_a, n=node: n, computable=False, kind="unread"))
        nodes.insert(i, node)


def _masked(clause: str, start: int, claimed: list[tuple[int, int]]) -> str:
    """``clause`` with the claimed stretches blanked (same length: offsets do not move)."""
    chars = list(clause)
    for cs, ce in claimed:
        for i in range(max(cs - start, 0), min(ce - start, len(chars))):
            chars[i] = " "
    return "".join(chars)


def _join(
    ctx: Ctx, text: str, hits: list[Hit], nodes: list[Criterion], start: int, end: int
) -> Criterion:
    if len(nodes) == 1:
        return nodes[0]
    default_or = ctx.section == "exclusion"
    groups: list[list[Criterion]] = [[nodes[0]]]
    for i in range(1, len(nodes)):
        gap = text[hits[i - 1].end : hits[i].start] if hits[i].start >= hits[i - 1].end else ""
        is_or = bool(_OR.search(gap)) and not _AND.search(gap)
        is_and = bool(_AND_WITH.search(gap)) and not is_or
        if hits[i].kind == "manual" and hits[i].start == start and hits[i].end == end:
            is_or, is_and = default_or, not default_or
        if is_or or (default_or and not is_and):
            groups.append([nodes[i]])
        else:
            groups[-1].append(nodes[i])
    conf = min((n.confidence or 1.0) for n in nodes)
    parts: list[Criterion] = [
        g[0] if len(g) == 1 else AllOf(items=tuple(g), **ctx.common(start, end, conf))
        for g in groups
    ]
    if len(parts) == 1:
        return parts[0]
    return AnyOf(items=tuple(parts), **ctx.common(start, end, conf))
