"""One sentence per criterion for a person: the value found, the limit stated whole, the drug
named, the date a window clears.

``EXPLAINER`` is an interpreter of the criteria tree (one handler per node class, see
:mod:`cartrial.criteria.interpret`); each handler reads the node (the protocol's limits) and the
node's :class:`~cartrial.evaluate.CriterionReport` (status and evidence for this patient).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from cartrial import vocab
from cartrial.criteria.interpret import Interpreter
from cartrial.criteria.nodes import (
    Age,
    AllOf,
    AnyOf,
    AtLeast,
    Comparator,
    ConditionHistory,
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
from cartrial.domain.errors import DataError
from cartrial.domain.timewindow import TimeUnit, Window
from cartrial.evaluate import CriterionReport, Evidence
from cartrial.explain.names import concept_name, join_or
from cartrial.explain.values import fmt_number, fmt_quantity, significant_figures, with_unit

SYMBOL = {
    Comparator.LT: "<",
    Comparator.LE: "≤",
    Comparator.GT: ">",
    Comparator.GE: "≥",
    Comparator.EQ: "=",
}
EVER_YEARS = 100
"""A look-back this long is how a protocol file writes "at any time"."""


@dataclass(frozen=True)
class Ctx:
    """What a sentence needs beyond the node and its report."""

    as_of: date
    window_days: int = 28

    def since(self, window: Window | None) -> tuple[date | None, str]:
        """The first day a value counts, and how the protocol put it."""
        if window is None:
            start = self.as_of - timedelta(days=self.window_days)
            return start, f"the {self.window_days}-day screening window"
        if window.unit is TimeUnit.YEARS and window.amount >= EVER_YEARS:
            return None, "any date"
        return window.start(self.as_of), f"within {window_text(window)}"


Handler = Callable[[Any, CriterionReport, Ctx], str]
EXPLAINER: Interpreter[Handler] = Interpreter("explain")


def _r(cls: type) -> Callable[[Handler], Handler]:
    return EXPLAINER.register(cls)


def sentence(node: Any, report: CriterionReport, ctx: Ctx) -> str:
    return EXPLAINER.handler(type(node))(node, report, ctx)


# ------------------------------------------------------------------ helpers


def _excluding(report: CriterionReport) -> bool:
    """The node is met and that counts against the patient (an exclusion that applies)."""
    return report.status == "met" and report.outcome == "fail"


def _unmet(report: CriterionReport) -> bool:
    return report.status == "not_met" and report.outcome == "fail"


def _evidence(report: CriterionReport, concept: str | None = None) -> Evidence | None:
    for ev in report.evidence:
        if concept is None or ev.concept == concept:
            return ev
    return None


def _on(ev: Evidence | None) -> str:
    return f" on {ev.date.isoformat()}" if ev is not None and ev.date is not None else ""


def _clears(report: CriterionReport) -> str:
    if report.flips_on is None:
        return ""
    verb = "clears on" if report.status == "met" else "met from"
    return f" — {verb} {report.flips_on.isoformat()}"


def _limit(sym: str, amount: str) -> str:
    return f"{sym} {amount}"


def window_text(w: Window) -> str:
    """``4 weeks before screening``, ``1 week before leukapheresis``, ``5 half-lives before …``."""
    unit = w.unit.value.replace("_", "-")
    if w.amount == 1:
        unit = unit.removesuffix("s") if not unit.endswith("lives") else "half-life"
    return f"{w.amount:g} {unit} before {w.reference}"


def _judge(name_value: str, limit: str, report: CriterionReport) -> str:
    if _unmet(report):
        return f"{name_value} — must be {limit}{_clears(report)}"
    if _excluding(report):
        return f"{name_value} — excluded when {limit}{_clears(report)}"
    return f"{name_value} ({limit})"


def _missing(name: str, window: Window | None, ctx: Ctx, *, what: str = "") -> str:
    start, label = ctx.since(window)
    if start is None:
        return f"no {name}{what} on record"
    return f"no {name}{what} on or after {start.isoformat()} ({label})"


def _to_unit(concept: str, value: float, canonical: str | None, unit: str | None) -> float:
    """``value`` (in the canonical unit) expressed in the protocol's ``unit``."""
    if not unit or unit == canonical:
        return value
    try:
        per_unit, _ = vocab.convert(concept, 1.0, unit)
    except DataError:
        return value
    return value / per_unit if per_unit else value


def _measured(concept: str, ev: Evidence, unit: str | None) -> str:
    """The value in the protocol's unit, rounded to the source's precision, the report beside."""
    if not isinstance(ev.value, (int, float)) or isinstance(ev.value, bool):
        return fmt_quantity(ev.value, ev.unit)
    value = _to_unit(concept, float(ev.value), ev.unit, unit)
    shown_unit = unit or ev.unit
    if ev.original_value is not None and ev.original_unit not in (None, shown_unit):
        return fmt_quantity(value, shown_unit, ev.original_value, ev.original_unit)
    sig = significant_figures(ev.original_value) if ev.original_value is not None else None
    same = shown_unit == ev.unit and ev.original_unit in (None, ev.unit)
    text = fmt_number(value, None if same else sig)
    return fmt_quantity(float(text), shown_unit) if text else ""


def _subject(drugs: tuple[str, ...], classes: tuple[str, ...]) -> str:
    names = [concept_name(k) for k in classes + drugs]
    if len(names) > 4:
        return f"{', '.join(names[:3])} or {len(names) - 3} other listed agents"
    return join_or(names)


_UNTIL = re.compile(r"until (\d{4}-\d{2}-\d{2})")


def _exposure(ev: Evidence, show_dose: bool) -> str:
    text = concept_name(ev.concept or "") if ev.concept else (ev.resource or "a therapy")
    if show_dose and isinstance(ev.value, (int, float)) and not isinstance(ev.value, bool):
        text += f" {fmt_quantity(float(fmt_number(float(ev.value), 3)), ev.unit or 'mg/d')}"
    detail = ev.detail or ""
    until = _UNTIL.search(detail)
    if until:
        text += f", last dose {until.group(1)}"
    elif any(w in detail for w in ("ongoing", "active", "until now")):
        text += ", ongoing"
    elif detail:
        text += f" ({detail})"
    return text


# ------------------------------------------------------------------ composites (summaries only)


@_r(AllOf)
@_r(AnyOf)
@_r(AtLeast)
@_r(Not)
def _composite(node: Any, report: CriterionReport, ctx: Ctx) -> str:
    """Composites are explained through their children (see :mod:`cartrial.explain.reasons`)."""
    return report.reason


# ------------------------------------------------------------------ atoms


@_r(Age)
def _age(node: Age, report: CriterionReport, ctx: Ctx) -> str:
    ev = _evidence(report, "age")
    lo = node.min_years
    hi = node.max_years
    if lo is not None and hi is not None and node.min_inclusive and node.max_inclusive:
        limit = f"{lo:g} to {hi:g}"
    else:
        parts = []
        if lo is not None:
            parts.append(f"at least {lo:g}" if node.min_inclusive else f"over {lo:g}")
        if hi is not None:
            parts.append(f"at most {hi:g}" if node.max_inclusive else f"under {hi:g}")
        limit = " and ".join(parts)
    if ev is None or not isinstance(ev.value, (int, float)):
        return "age unknown (no birth date)" if report.status == "unknown" else f"age {limit}"
    age = f"age {ev.value:g}"
    if _unmet(report):
        turns = ""
        if report.flips_on is not None and lo is not None and ev.value < lo:
            turns = f" — turns {lo:g} on {report.flips_on.isoformat()}"
        return f"{age} — must be {limit}{turns}"
    if _excluding(report):
        return f"{age} — excluded when {limit}"
    return f"{age} ({limit})"


@_r(SexIs)
def _sex(node: SexIs, report: CriterionReport, ctx: Ctx) -> str:
    ev = _evidence(report)
    sex = str(ev.value) if ev is not None and ev.value is not None else "unknown"
    allowed = join_or([s.value for s in node.allowed])
    if _unmet(report):
        return f"sex {sex} — must be {allowed}"
    return f"sex {sex}"


@_r(Measurement)
def _measurement(node: Measurement, report: CriterionReport, ctx: Ctx) -> str:
    name = concept_name(node.concept)
    ev = _evidence(report, node.concept) or _evidence(report)
    sym = SYMBOL[node.comparator]
    if node.value is not None:
        limit = _limit(sym, with_unit(fmt_number(node.value), node.unit))
    else:
        mult = node.uln_multiple if node.uln_multiple is not None else node.lln_multiple
        ref = "ULN" if node.uln_multiple is not None else "LLN"
        limit = _limit(sym, f"{mult:g} × {ref}")
    if ev is None or ev.value is None:
        if report.status == "unknown":
            return _missing(name, node.lookback, ctx)
        return f"{name}: {report.reason}"
    value = _measured(node.concept, ev, node.unit if node.value is not None else None)
    if node.value is None and ev.uln is not None and isinstance(ev.value, (int, float)):
        ref_value = fmt_quantity(float(ev.uln), ev.unit)
        ratio = float(ev.value) / float(ev.uln) if ev.uln else 0.0
        ref = "ULN" if node.uln_multiple is not None else "LLN"
        value += f" = {fmt_number(ratio, 2)} × {ref} ({ref} {ref_value}"
        value += f", {ev.uln_source})" if ev.uln_source else ")"
    return _judge(f"{name} {value}{_on(ev)}", limit, report)


@_r(Derived)
def _derived(node: Derived, report: CriterionReport, ctx: Ctx) -> str:
    name = concept_name(node.calculator)
    limit = _limit(SYMBOL[node.comparator], with_unit(fmt_number(node.value), node.unit))
    ev = _evidence(report, node.calculator)
    if ev is None or ev.value is None:
        if report.status != "unknown":
            return f"{name}: {report.reason}"
        if "not applicable" in report.reason:
            why = report.reason.rsplit(";", 1)[-1].strip()
            return f"{name} cannot be used ({why}); a measured value is needed"
        inputs = [concept_name(e.concept) for e in report.evidence if e.concept]
        have = f" (found: {', '.join(inputs)})" if inputs else ""
        return f"{name} cannot be computed: an input is missing{have}"
    value = fmt_quantity(float(fmt_number(float(ev.value), 3)), ev.unit or node.unit)
    used = [
        f"{concept_name(e.concept)} {_measured(e.concept, e, None)}"
        for e in report.evidence
        if e.concept and e.concept != node.calculator and e.value is not None
    ]
    source = f" from {', '.join(used)}" if used else ""
    return _judge(f"{name} {value}{source}", limit, report)


@_r(Score)
def _score(node: Score, report: CriterionReport, ctx: Ctx) -> str:
    name = concept_name(node.instrument)
    limit = _limit(SYMBOL[node.comparator], fmt_number(node.value))
    ev = _evidence(report, node.instrument) or _evidence(report)
    if ev is None or ev.value is None:
        if report.status == "unknown":
            return _missing(name, node.lookback, ctx)
        return f"{name}: {report.reason}"
    value = ev.value if isinstance(ev.value, str) else fmt_number(float(ev.value))
    return _judge(f"{name} {value}{_on(ev)}", limit, report)


@_r(Serology)
def _serology(node: Serology, report: CriterionReport, ctx: Ctx) -> str:
    names = [concept_name(k) for k in (node.concept, *node.also)]
    name = join_or(names)
    window = None if node.ever else node.lookback
    ev = _evidence(report)
    if ev is None or ev.value is None:
        if report.status == "unknown":
            if node.ever:
                return f"no {name} result on record"
            return _missing(name, window, ctx, what=" result")
        return (
            f"no {name} in the record — must be {node.result}" if _unmet(report) else report.reason
        )
    shown = concept_name(ev.concept) if ev.concept else name
    if isinstance(ev.value, (int, float)) and not isinstance(ev.value, bool):
        result = f"{_measured(ev.concept or node.concept, ev, None)} (detectable)"
    else:
        result = str(ev.value)
    if _unmet(report):
        return f"{shown} {result}{_on(ev)} — must be {node.result}"
    return f"{shown} {result}{_on(ev)}"


@_r(ConditionHistory)
def _condition(node: ConditionHistory, report: CriterionReport, ctx: Ctx) -> str:
    names = join_or([concept_name(k) for k in node.concepts])
    qual = ""
    if node.onset_within is not None:
        qual = f" with onset within {window_text(node.onset_within)}"
    elif node.onset_at_least is not None:
        qual = f" with onset at least {window_text(node.onset_at_least)}"
    if report.status == "not_met":
        return f"no {'active ' if node.active_only else ''}{names}{qual} in the record"
    if report.status == "unknown":
        return f"{names}{qual}: {report.reason}"
    found = [
        f"{concept_name(e.concept)}"
        + (f" (since {e.date.isoformat()}" if e.date else " (")
        + (f", {e.detail})" if e.detail and e.date else f"{e.detail})" if e.detail else ")")
        for e in report.evidence
        if e.concept
    ]
    return "; ".join(found) if found else f"{names} on record"


@_r(MedicationHistory)
def _medication(node: MedicationHistory, report: CriterionReport, ctx: Ctx) -> str:
    subject = _subject(node.drugs, node.classes)
    quals = []
    if node.min_duration is not None:
        quals.append(f"for at least {node.min_duration.amount:g} {node.min_duration.unit.value}")
    if node.min_daily_dose_mg is not None:
        quals.append(f"at ≥ {node.min_daily_dose_mg:g} mg/day (prednisone-equivalent)")
    if node.min_dose_mg_per_kg_day is not None:
        quals.append(f"at ≥ {node.min_dose_mg_per_kg_day:g} mg/kg/day")
    if node.outcome == "failure":
        quals.append("that failed")
    elif node.outcome == "failure_or_intolerance":
        quals.append("that failed or was not tolerated")
    window = f" within {window_text(node.within)}" if node.within is not None else ""
    if len(node.drugs) + len(node.classes) > 4 and report.status == "met":
        subject = "listed therapy"
    what = f"{subject}{window}" + (f" ({', '.join(quals)})" if quals else "")
    gc = any(k == "glucocorticoids" for k in node.classes) or any(
        vocab.glucocorticoid_factor(d) is not None for d in node.drugs
    )
    show_dose = gc or node.min_daily_dose_mg is not None or node.min_dose_mg_per_kg_day is not None
    found = [_exposure(ev, show_dose) for ev in report.evidence if ev.concept]
    if report.status == "met":
        text = f"{what}: {'; '.join(found)}" if found else f"{what}: on record"
        return text + _clears(report)
    if report.status == "not_met":
        need = f"{node.min_distinct} different " if node.min_distinct > 1 else ""
        have = f" — found {len(found)}: {'; '.join(found)}" if found else " — none found"
        if node.min_distinct > 1 or found:
            return f"needs {need}{what}{have}"
        return f"no {what} in the record"
    return f"{what}: {report.reason}"


@_r(Vaccination)
def _vaccine(node: Vaccination, report: CriterionReport, ctx: Ctx) -> str:
    what = ("live vaccine" if node.live_only else "vaccination") + (
        f" within {window_text(node.within)}" if node.within else ""
    )
    found = [f"{concept_name(e.concept)}{_on(e)}" for e in report.evidence if e.concept]
    if report.status == "met":
        return f"{what}: {'; '.join(found) or 'on record'}{_clears(report)}"
    if report.status == "not_met":
        return f"no {what} in the record"
    return f"{what}: {report.reason}"


@_r(ProcedureHistory)
def _procedure(node: ProcedureHistory, report: CriterionReport, ctx: Ctx) -> str:
    names = join_or([concept_name(k) for k in node.concepts])
    window = f" within {window_text(node.within)}" if node.within else ""
    if report.status == "met":
        found = [f"{concept_name(e.concept)}{_on(e)}" for e in report.evidence if e.concept]
        return (
            f"{'; '.join(found) or names}{window and ' (' + window.strip() + ')'}{_clears(report)}"
        )
    if report.status == "not_met":
        return f"no {names}{window} in the record"
    return f"{names}: {report.reason}"


@_r(ManualReview)
def _manual(node: ManualReview, report: CriterionReport, ctx: Ctx) -> str:
    return f"to be confirmed by the investigator: {node.text.strip()}"
