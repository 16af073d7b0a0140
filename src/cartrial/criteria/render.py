"""Render a criteria tree as readable text (one line per node), used by the CLI and the web app."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

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
from cartrial.criteria.walk import children

RENDERER: Interpreter[Callable[[Any], str]] = Interpreter("render")


def _r(cls: type) -> Callable[[Callable[[Any], str]], Callable[[Any], str]]:
    return RENDERER.register(cls)


@_r(AllOf)
def _all(n: AllOf) -> str:
    return "ALL of:"


@_r(AnyOf)
def _any(n: AnyOf) -> str:
    return "ANY of:"


@_r(AtLeast)
def _atl(n: AtLeast) -> str:
    return f"AT LEAST {n.n} of:"


@_r(Not)
def _not(n: Not) -> str:
    return "NOT:"


@_r(Age)
def _age(n: Age) -> str:
    lo = "" if n.min_years is None else f"{'≥' if n.min_inclusive else '>'} {n.min_years:g}"
    hi = "" if n.max_years is None else f"{'≤' if n.max_inclusive else '<'} {n.max_years:g}"
    return f"age {' and '.join(p for p in (lo, hi) if p)} years"


@_r(SexIs)
def _sex(n: SexIs) -> str:
    return "sex " + " or ".join(s.value for s in n.allowed)


@_r(Measurement)
def _meas(n: Measurement) -> str:
    if n.value is not None:
        thr = f"{n.value:g} {n.unit}"
    elif n.uln_multiple is not None:
        thr = f"{n.uln_multiple:g} × ULN"
    else:
        thr = f"{n.lln_multiple:g} × LLN"
    look = f" (within {n.lookback})" if n.lookback else ""
    return f"{n.concept} {n.comparator.value} {thr}{look}"


@_r(Derived)
def _derived(n: Derived) -> str:
    return f"{n.calculator} {n.comparator.value} {n.value:g} {n.unit}"


@_r(Score)
def _score(n: Score) -> str:
    return f"{n.instrument} {n.comparator.value} {n.value:g}"


@_r(Serology)
def _sero(n: Serology) -> str:
    return f"{n.concept} {n.result}" + (" (ever)" if n.ever else "")


@_r(ConditionHistory)
def _cond(n: ConditionHistory) -> str:
    s = ("active " if n.active_only else "") + "condition " + " | ".join(n.concepts)
    if n.onset_within:
        s += f", onset within {n.onset_within}"
    if n.onset_at_least:
        s += f", onset at least {n.onset_at_least}"
    return s


@_r(MedicationHistory)
def _med(n: MedicationHistory) -> str:
    s = "therapy " + " | ".join(n.drugs + n.classes)
    if n.min_distinct > 1:
        s += f" (≥ {n.min_distinct} distinct {n.distinct_by}s)"
    if n.within:
        s += f", within {n.within}"
    if n.min_duration:
        s += f", for ≥ {n.min_duration.amount:g} {n.min_duration.unit.value}"
    if n.min_dose_mg_per_kg_day:
        s += f", ≥ {n.min_dose_mg_per_kg_day:g} mg/kg/day"
    if n.min_daily_dose_mg:
        s += f", ≥ {n.min_daily_dose_mg:g} mg/day"
    if n.outcome != "any":
        s += f", {n.outcome.replace('_', ' ')}"
    return s


@_r(Vaccination)
def _vac(n: Vaccination) -> str:
    what = "live vaccine" if n.live_only else "vaccine"
    return what + (f" within {n.within}" if n.within else "")


@_r(ProcedureHistory)
def _proc(n: ProcedureHistory) -> str:
    return "procedure " + " | ".join(n.concepts) + (f" within {n.within}" if n.within else "")


@_r(ManualReview)
def _manual(n: ManualReview) -> str:
    return "MANUAL REVIEW"


def summary(node: Criterion) -> str:
    """One-line computable reading of a node (its own words are in ``node.text``)."""
    return RENDERER.handler(type(node))(node)


def render_tree(node: Criterion, indent: int = 0) -> list[str]:
    lines = [f"{'  ' * indent}[{node.id}] {summary(node)}"]
    for kid in children(node):
        lines.extend(render_tree(kid, indent + 1))
    return lines
