"""Handlers for who the patient is (age, sex) and for ManualReview."""

from __future__ import annotations

import functools
import math
from datetime import date, timedelta
from typing import Any

from cartrial.criteria.nodes import Age, ManualReview, SexIs
from cartrial.domain.patient import Patient, Sex
from cartrial.domain.timewindow import add_months
from cartrial.evaluate.context import Context, handles
from cartrial.evaluate.result import Evidence, NodeResult
from cartrial.evaluate.truth import Truth


@handles(Age)
def _age(node: Age, ctx: Context) -> NodeResult:
    patient = ctx.patient
    age = patient.age_on(ctx.as_of)
    base: dict[str, Any] = {
        "id": node.id or "",
        "kind": node.kind,
        "text": node.text,
        "note": node.note,
    }
    if patient.birth_date is None and patient.birth_date_range is not None:
        return _age_interval(node, ctx, base)
    if age is None or patient.birth_date is None:
        return NodeResult(
            **base,
            status=Truth.UNKNOWN,
            reason="no birth date in the record",
            missing=("Patient.birthDate",),
        )
    ok_min = node.min_years is None or (
        age >= node.min_years if node.min_inclusive else age > node.min_years
    )
    ok_max = node.max_years is None or (
        age <= node.max_years if node.max_inclusive else age < node.max_years
    )
    status = Truth.of(ok_min and ok_max)
    flips = None
    if not ok_min and node.min_years is not None:
        # the first whole age that meets the lower bound
        years = math.ceil(node.min_years) if node.min_inclusive else math.floor(node.min_years) + 1
        flips = _birthday(patient, years)
    elif status is Truth.TRUE and node.max_years is not None:
        # the first whole age beyond the upper bound
        years = math.floor(node.max_years) + 1 if node.max_inclusive else math.ceil(node.max_years)
        flips = _birthday(patient, years)
    return NodeResult(
        **base,
        status=status,
        reason=f"age {age} years on {ctx.as_of.isoformat()}",
        evidence=(
            Evidence(
                resource="Patient",
                concept="age",
                value=age,
                unit="a",
                date=patient.birth_date,
                detail="birth date",
            ),
        ),
        flips_on=flips,
        window_based=flips is not None and not ok_min,
    )


def _age_ok(node: Age, age: int) -> bool:
    ok_min = node.min_years is None or (
        age >= node.min_years if node.min_inclusive else age > node.min_years
    )
    ok_max = node.max_years is None or (
        age <= node.max_years if node.max_inclusive else age < node.max_years
    )
    return ok_min and ok_max


def _age_interval(node: Age, ctx: Context, base: dict[str, Any]) -> NodeResult:
    """A partial birth date (``1980`` or ``1980-05``): every possible age is tried; the bounds
    are decided only when all of them agree."""
    rng = ctx.patient.age_range_on(ctx.as_of)
    assert rng is not None and ctx.patient.birth_date_range is not None
    first, last = ctx.patient.birth_date_range
    verdicts = {_age_ok(node, a) for a in range(rng[0], rng[1] + 1)}
    shown = f"{rng[0]}" if rng[0] == rng[1] else f"{rng[0]}-{rng[1]}"
    ev = (
        Evidence(
            resource="Patient",
            concept="age",
            value=shown,
            unit="a",
            detail=f"partial birth date: born between {first} and {last}",
        ),
    )
    if len(verdicts) == 1:
        ok = verdicts.pop()
        return NodeResult(
            **base,
            status=Truth.of(ok),
            evidence=ev,
            reason=f"age {shown} years on {ctx.as_of.isoformat()} "
            f"(partial birth date): {'every' if ok else 'no'} possible age fits",
        )
    return NodeResult(
        **base,
        status=Truth.UNKNOWN,
        evidence=ev,
        reason=f"age {shown} years on {ctx.as_of.isoformat()} (partial birth "
        "date): some possible ages fit, some do not",
        missing=("Patient.birthDate (the full date)",),
    )


def _birthday(patient: Patient, years: int) -> date:
    """The first day on which ``patient.age_on`` reaches ``years`` (a 29 February birthday
    falls on 1 March in common years, as ``age_on`` counts it)."""
    assert patient.birth_date is not None
    day = add_months(patient.birth_date, 12 * years)
    while (patient.age_on(day) or 0) < years:
        day += timedelta(days=1)
    return day


@handles(SexIs)
def _sex(node: SexIs, ctx: Context) -> NodeResult:
    base: dict[str, Any] = {
        "id": node.id or "",
        "kind": node.kind,
        "text": node.text,
        "note": node.note,
    }
    sex = ctx.patient.sex
    if sex is Sex.UNKNOWN:
        return NodeResult(
            **base, status=Truth.UNKNOWN, reason="sex not recorded", missing=("Patient.gender",)
        )
    return NodeResult(
        **base,
        status=Truth.of(sex in node.allowed),
        reason=f"sex {sex.value}",
        evidence=(Evidence(resource="Patient", concept="sex", value=sex.value),),
    )


@handles(ManualReview)
def _manual(node: ManualReview, ctx: Context) -> NodeResult:
    return _manual_result(
        node.id or "", node.kind, node.text, node.note, node.data_hint, ctx.favourable
    )


@functools.lru_cache(maxsize=4096)
def _manual_result(
    node_id: str, kind: str, text: str, note: str | None, hint: str | None, favourable: bool
) -> NodeResult:
    """A ManualReview's result depends on the node and the favourable value only: built once
    per node and side, shared by every patient (results are never modified in place)."""
    return NodeResult(
        id=node_id,
        kind=kind,
        text=text,
        note=note,
        status=Truth.of(favourable),
        manual=True,
        assumed=True,
        reason="needs the investigator's judgment; assumed favourable pending review",
        missing=((hint,) if hint else ()),
    )
