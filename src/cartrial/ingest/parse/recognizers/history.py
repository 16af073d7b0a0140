"""What a window does to a history node: a washout ("at least 4 weeks since prior X" =
not X within 4 weeks), a per-drug window inside a list, a stable dose named after the drug,
and histories the vocabulary cannot code (kept for review with the window read)."""

from __future__ import annotations

import re

from cartrial.criteria.nodes import (
    AnyOf,
    ConditionHistory,
    Criterion,
    ManualReview,
    MedicationHistory,
    Not,
    ProcedureHistory,
)
from cartrial.domain.timewindow import TimeUnit, Window
from cartrial.ingest.parse import lexicon as lx
from cartrial.ingest.parse.hits import TIME_CODES, Ctx
from cartrial.ingest.parse.patterns import (
    ANYNUM,
    to_number,
)
from cartrial.ingest.parse.temporal import WindowHit, time_unit

_I = re.IGNORECASE


def _history_concepts(node: Criterion) -> tuple[str, ...] | None:
    if isinstance(node, MedicationHistory):
        return node.drugs + node.classes
    if isinstance(node, (ProcedureHistory, ConditionHistory)):
        return node.concepts
    return None


def not_computable(ctx: Ctx, node: Criterion, w: WindowHit | None) -> ManualReview | None:
    """A history of things the vocabulary cannot code (chemotherapy, radiotherapy, surgery), or a
    washout written in an exclusion list ("At least 3 weeks since prior X" listed as an
    exclusion: the polarity is the reader's call): review, with the window read kept."""
    concepts = _history_concepts(node)
    if concepts is None:
        return None
    unknown = all(c in lx.UNCODABLE for c in concepts)
    washout_in_exclusion = (
        w is not None and w.direction == "at_least" and ctx.section == "exclusion"
    )
    if not (unknown or washout_in_exclusion):
        return None
    reason = (
        f"{', '.join(concepts)}: not in the vocabulary, no record can be matched"
        if unknown
        else "a washout written in the exclusion list: decide its polarity"
    )
    review = ManualReview(
        data_hint=",".join(concepts),
        **ctx.common_of(node, f"{reason}; read: {node.text!r}"),
    )
    if w is not None and w.resolved:
        facts = [
            {
                "category": "window",
                "concept": list(concepts),
                "comparator": "<=" if w.direction == "within" else ">=",
                "value": w.amount,
                "unit": TIME_CODES[w.unit],
                "anchor": None if w.direction == "duration" else w.reference,
                "direction": "duration" if w.direction == "duration" else "before",
            }
        ]
        ctx.doc.setdefault("manual_facts", {})[review.span or (0, 0)] = tuple(facts)
    return review


def washout(ctx: Ctx, node: Criterion, w: WindowHit) -> Criterion:
    """ "At least 4 weeks since prior X" (inclusion): no X inside those 4 weeks."""
    if (
        not isinstance(node, (MedicationHistory, ProcedureHistory))
        or w.unit is TimeUnit.HALF_LIVES
        and isinstance(node, ProcedureHistory)
    ):
        return node
    inner = node.model_copy(
        update={"within": Window(amount=w.amount, unit=w.unit, reference=w.reference)}
    )
    ctx.doc.setdefault("washouts", set()).add(inner.span)
    return Not(
        item=inner, **ctx.common_of(node, f"washout: at least {w.amount:g} {w.unit.value} since")
    )


_STABLE_DOSE = re.compile(
    r"^\W*(?:and\s+)?(?:the\s+)?(?:daily\s+)?(?:dose|dosage|regimen|treatment)\b[^;]*\bstable\b", _I
)


def remember_therapy(ctx: Ctx, node: Criterion) -> None:
    """The drugs the last therapy node of the item named (for "the dose must be stable...")."""
    concepts = _history_concepts(node) if isinstance(node, MedicationHistory) else None
    if concepts is None and isinstance(node, ManualReview) and node.data_hint == "dose":
        read = ctx.doc.get("manual_facts", {}).get(node.span) or ()
        concepts = tuple(read[0]["concept"]) if read else None
    if concepts:
        ctx.doc["last_therapy"] = (node.span, concepts)


def stable_dose(
    ctx: Ctx, clause: str, start: int, end: int, windows: list[WindowHit]
) -> ManualReview | None:
    """ "The dose must be stable for >= 8 weeks prior to baseline." right after a sentence naming
    the drug: the duration belongs to that drug. Kept for review (a stable dose is more than
    a treatment lasting that long), with the window read."""
    last = ctx.doc.get("last_therapy")
    w = next((x for x in windows if x.direction == "duration" and x.resolved), None)
    if last is None or w is None or not _STABLE_DOSE.match(clause):
        return None
    span, concepts = last
    if span is None or start - span[1] > 400:
        return None
    node = ManualReview(
        data_hint=",".join(concepts),
        **ctx.common(start, end, 1.0, f"stable dose of {', '.join(concepts)} named before"),
    )
    fact = {
        "category": "window",
        "concept": list(concepts),
        "comparator": ">=",
        "value": w.amount,
        "unit": TIME_CODES[w.unit],
        "anchor": None,
        "direction": "duration",
    }
    ctx.doc.setdefault("manual_facts", {})[node.span or (0, 0)] = (fact,)
    return node


_PER_ITEM = re.compile(
    rf"\(\s*(?P<amt>{ANYNUM})\s*(?P<unit>days?|weeks?|months?|years?)\s+for\s+(?P<names>[^()]{{1,80}})\)",
    _I,
)


def per_item_window(ctx: Ctx, text: str, node: MedicationHistory, w: WindowHit) -> Criterion:
    """ "within 3 months (6 months for rituximab)": the named drugs get their own window,
    ``AnyOf(the list within 3 months, rituximab within 6 months)``."""
    # inside the window's words, or right after its anchor ("... prior to enrolment (6 months
    # for rituximab)")
    m = _PER_ITEM.search(text, w.start, w.end) or _PER_ITEM.match(
        text, w.end + (len(text[w.end :]) - len(text[w.end :].lstrip(" ,")))
    )
    if m is None or node.within is None:
        return node
    named = tuple(dict.fromkeys(k for k, _s, _e in lx.find_all(lx.DRUGS, m.group("names"))))
    if not named:
        return node
    try:
        amount = to_number(m.group("amt"))
    except ValueError:
        return node
    unit = time_unit(m.group("unit"))
    own = MedicationHistory(
        drugs=named,
        within=Window(amount=amount, unit=unit, reference=node.within.reference),
        **ctx.common_of(node, f"its own window: {m.group(0)}"),
    )
    rest_drugs = tuple(d for d in node.drugs if d not in named)
    if not rest_drugs and not node.classes:
        return own
    rest = node.model_copy(update={"drugs": rest_drugs})
    return AnyOf(items=(rest, own), **ctx.common_of(node, "a window with a per-drug exception"))
