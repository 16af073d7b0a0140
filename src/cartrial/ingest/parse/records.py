"""The parser's flat view of a criteria tree: one record per leaf, and the facts it states.

:data:`RECORD` is an :class:`~cartrial.criteria.interpret.Interpreter` with one handler per node
kind (the completeness test covers it): each handler returns the node-specific fields of its
record. :func:`node_records` walks a :class:`ParseResult` and merges those fields into the common
record (id, section, span, negation...). :func:`facts` turns a record into the comparable facts
the gold-set benchmark scores: ``age``, ``threshold``, ``count``, ``dose``, ``titre``, ``window``,
each with concept, comparator, value, unit and — for windows — anchor and direction. A manual-review
leaf states only what the parser read exactly but the criteria model cannot compute (a dose cap, a
forward-looking period); what the parser did not read is not counted as read.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

from cartrial.criteria.interpret import Interpreter
from cartrial.criteria.nodes import (
    Age,
    AllOf,
    AnyOf,
    AtLeast,
    ConditionHistory,
    Criterion,
    Derived,
    ManualReview,
    Measurement,
    MedicationHistory,
    Not,
    ProcedureHistory,
    Score,
    Serology,
    SexIs,
    Vaccination,
)
from cartrial.criteria.walk import assign_ids, children
from cartrial.domain.timewindow import Window

if TYPE_CHECKING:
    from cartrial.ingest.parse import ParseResult

Fields = dict[str, Any]
RECORD: Interpreter[Callable[[Any], Fields]] = Interpreter("parse_records")

__all__ = ["RECORD", "facts", "node_records"]


def _window(w: Window | None, direction: str) -> Fields | None:
    if w is None:
        return None
    return {
        "amount": w.amount,
        "unit": w.unit.value,
        "direction": direction,
        "reference": w.reference,
    }


@RECORD.register(AllOf, AnyOf, Not, AtLeast)
def _group(node: Criterion) -> Fields:
    return {}


@RECORD.register(Age)
def _age(node: Age) -> Fields:
    return {
        "min_years": node.min_years,
        "max_years": node.max_years,
        "min_inclusive": node.min_inclusive,
        "max_inclusive": node.max_inclusive,
    }


@RECORD.register(SexIs)
def _sex(node: SexIs) -> Fields:
    return {"value": [s.value for s in node.allowed]}


@RECORD.register(Measurement)
def _measurement(node: Measurement) -> Fields:
    return {
        "concept": node.concept,
        "comparator": node.comparator.value,
        "value": node.value,
        "unit": node.unit,
        "uln_multiple": node.uln_multiple,
        "lln_multiple": node.lln_multiple,
        "window": _window(node.lookback, "within"),
    }


@RECORD.register(Derived)
def _derived(node: Derived) -> Fields:
    return {
        "concept": node.calculator,
        "comparator": node.comparator.value,
        "value": node.value,
        "unit": node.unit,
        "window": _window(node.lookback, "within"),
    }


@RECORD.register(Score)
def _score(node: Score) -> Fields:
    return {
        "concept": node.instrument,
        "comparator": node.comparator.value,
        "value": node.value,
        "window": _window(node.lookback, "within"),
    }


@RECORD.register(Serology)
def _serology(node: Serology) -> Fields:
    return {
        "concept": node.concept,
        "value": node.result,
        "window": _window(node.lookback, "within"),
    }


@RECORD.register(ConditionHistory)
def _condition(node: ConditionHistory) -> Fields:
    return {
        "concept": ",".join(node.concepts),
        "window": _window(node.onset_within, "within") or _window(node.onset_at_least, "at_least"),
    }


@RECORD.register(MedicationHistory)
def _medication(node: MedicationHistory) -> Fields:
    return {
        "concept": ",".join(node.drugs + node.classes),
        "window": _window(node.within, "within") or _window(node.min_duration, "duration"),
        "duration": _window(node.min_duration, "duration"),
        "min_distinct": node.min_distinct,
        "min_daily_dose_mg": node.min_daily_dose_mg,
        "min_dose_mg_per_kg_day": node.min_dose_mg_per_kg_day,
    }


@RECORD.register(Vaccination)
def _vaccine(node: Vaccination) -> Fields:
    concept = "live_vaccine" if node.live_only else ",".join(node.concepts) or "vaccine"
    return {"concept": concept, "window": _window(node.within, "within")}


@RECORD.register(ProcedureHistory)
def _procedure(node: ProcedureHistory) -> Fields:
    return {"concept": ",".join(node.concepts), "window": _window(node.within, "within")}


@RECORD.register(ManualReview)
def _manual(node: ManualReview) -> Fields:
    return {"concept": node.data_hint}


def node_records(result: ParseResult) -> list[Fields]:
    """Every leaf node (atoms and ManualReview) as a flat JSON-ready record."""
    out: list[Fields] = []
    counters = {"inclusion": 0, "exclusion": 0}
    for crit in result.criteria:
        counters[crit.section] += 1
        prefix = ("inc" if crit.section == "inclusion" else "exc") + f"-{counters[crit.section]}"
        tree = assign_ids(crit.node, prefix)
        for node, negated in _leaves(tree, False):
            rec: Fields = {
                "id": node.id,
                "section": crit.section,
                "cohort": crit.cohort,
                "kind": node.kind,
                "concept": None,
                "comparator": None,
                "value": None,
                "unit": None,
                "uln_multiple": None,
                "lln_multiple": None,
                "window": None,
                "negated": negated,
                "text": node.text,
                "span": list(node.span) if node.span else None,
                "confidence": node.confidence,
                "note": node.note,
            }
            rec.update(RECORD(node))
            if node.span in result.washouts and isinstance(rec.get("window"), dict):
                rec["window"] = {**rec["window"], "direction": "at_least"}  # as written
            if isinstance(node, ManualReview) and node.span in result.manual_facts:
                rec["read_facts"] = [dict(f) for f in result.manual_facts[node.span]]
            if isinstance(node, ManualReview) and node.span in result.manual_windows:
                w = result.manual_windows[node.span]
                rec["window"] = {
                    "amount": w.amount,
                    "unit": w.unit.value,
                    "direction": w.direction,
                    "reference": w.reference,
                }
            out.append(rec)
    return out


def _leaves(node: Criterion, negated: bool) -> Iterator[tuple[Criterion, bool]]:
    kids = children(node)
    if not kids:
        yield node, negated
        return
    for c in kids:
        yield from _leaves(c, not negated if isinstance(node, Not) else negated)


# ---------------------------------------------------------------------------- facts

_FLIP = {">=": "<", ">": "<=", "<=": ">", "<": ">=", "==": "!=", "!=": "=="}
_DERIVED = {
    "egfr_ckd_epi_2021": "egfr",
    "egfr_bedside_schwartz": "egfr",
    "crcl_cockcroft_gault": "crcl",
}
_TIME_UNITS = {"days": "d", "weeks": "wk", "months": "mo", "years": "a", "half_lives": "half_lives"}


def _cmp(c: str, negated: bool) -> str:
    return _FLIP[c] if negated else c


def _fact(
    category: str, concepts: list[str], cmp: str, value: float, unit: str, rec: Fields
) -> Fields:
    return {
        "category": category,
        "concept": concepts,
        "comparator": cmp,
        "value": float(value),
        "unit": unit,
        "text": rec.get("text"),
        "id": rec.get("id"),
    }


def _window_fact(concepts: list[str], w: Fields, rec: Fields) -> Fields:
    direction = w["direction"]
    f = _fact(
        "window",
        concepts,
        ">=" if direction in ("at_least", "duration") else "<=",
        w["amount"],
        _TIME_UNITS.get(w["unit"], str(w["unit"])),
        rec,
    )
    if direction == "duration":
        f["anchor"], f["direction"] = None, "duration"
    else:
        f["anchor"] = w["reference"]
        f["direction"] = "after" if direction == "after" else "before"
    return f


def facts(rec: Fields) -> list[Fields]:
    """The scored facts one record states (none for manual-review leaves)."""
    kind = rec["kind"]
    w = rec.get("window")
    if kind == "manual":
        if rec.get("read_facts"):
            return [{**f, "text": rec.get("text"), "id": rec.get("id")} for f in rec["read_facts"]]
        # a window read exactly on a named review node (contraception until N after the
        # infusion, other trials within 30 days) is kept, though not computable; an unnamed
        # manual leaf ("not understood") states nothing
        if (
            isinstance(w, dict)
            and rec.get("concept")
            and w.get("reference") != "unresolved"
            and w.get("direction") != "duration"
        ):
            return [_window_fact([str(rec["concept"]).replace(" ", "_")], w, rec)]
        return []
    neg = bool(rec.get("negated"))
    out: list[Fields] = []
    concepts = [c for c in str(rec.get("concept") or "").split(",") if c]
    if kind == "age":
        if rec.get("min_years") is not None:
            c = ">=" if rec.get("min_inclusive", True) else ">"
            out.append(_fact("age", ["age"], _cmp(c, neg), rec["min_years"], "a", rec))
        if rec.get("max_years") is not None:
            c = "<=" if rec.get("max_inclusive", True) else "<"
            out.append(_fact("age", ["age"], _cmp(c, neg), rec["max_years"], "a", rec))
        return out
    if kind in ("measurement", "derived", "score"):
        cmp = _cmp(str(rec["comparator"]), neg)
        if kind == "derived":
            concepts = [_DERIVED.get(concepts[0], concepts[0])]
        if rec.get("uln_multiple") is not None:
            val, unit = rec["uln_multiple"], "xULN"
        elif rec.get("lln_multiple") is not None:
            val, unit = rec["lln_multiple"], "xLLN"
        else:
            val, unit = rec.get("value"), str(rec.get("unit") or "")
        if val is not None:
            cat = "threshold"
            if unit == "{titer}":
                cat, unit = "titre", ""
            elif kind == "score" and concepts and concepts[0].endswith("_count"):
                cat = "count"
            out.append(_fact(cat, concepts, cmp, val, unit, rec))
    if kind == "medication":
        if (rec.get("min_distinct") or 1) > 1:
            out.append(_fact("count", concepts, _cmp(">=", neg), rec["min_distinct"], "", rec))
        if rec.get("min_daily_dose_mg") is not None:
            out.append(
                _fact("dose", concepts, _cmp(">=", neg), rec["min_daily_dose_mg"], "mg/d", rec)
            )
        if rec.get("min_dose_mg_per_kg_day") is not None:
            out.append(
                _fact(
                    "dose", concepts, _cmp(">=", neg), rec["min_dose_mg_per_kg_day"], "mg/kg/d", rec
                )
            )
        if rec.get("duration") and rec.get("window") != rec.get("duration"):
            out.append(_window_fact(concepts, rec["duration"], rec))
    if isinstance(w, dict) and w.get("amount") is not None:
        out.append(_window_fact(concepts, w, rec))
    return out
