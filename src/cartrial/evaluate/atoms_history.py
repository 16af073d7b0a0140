"""Handlers for history: conditions, therapies, vaccines, procedures.

The record is read as the patient's full history, so an absent event did not happen (FALSE).
An event whose date is needed but missing makes the answer UNKNOWN, naming the date wanted.
``flips_on`` says when time alone changes the answer (a washout ending, a diagnosis ageing).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, replace
from datetime import date, timedelta
from typing import Any

from cartrial import vocab
from cartrial.criteria.nodes import (
    ConditionHistory,
    MedicationHistory,
    ProcedureHistory,
    TimeUnit,
    Vaccination,
    Window,
)
from cartrial.domain.patient import MedicationExposure
from cartrial.domain.timewindow import shift
from cartrial.evaluate.context import Context, handles
from cartrial.evaluate.result import Evidence, NodeResult
from cartrial.evaluate.truth import Truth

DAY = timedelta(days=1)


def _base(node: Any) -> dict[str, Any]:
    return {"id": node.id or "", "kind": node.kind, "text": node.text, "note": node.note}


def _exit_date(event: date, window: Window, *, half_life_days: float | None = None) -> date:
    """First day D on which an event on ``event`` is no longer inside ``window`` before D.

    Found from the same ``Window.start`` the evaluation uses, so the two always agree (calendar
    months clamp at month ends: 30 Sept + 3 months is still inside on 31 Dec).
    """
    day = shift(event, window.amount, window.unit, half_life_days=half_life_days) + DAY
    while window.start(day, half_life_days=half_life_days) <= event:
        day += DAY
    while window.start(day - DAY, half_life_days=half_life_days) > event:
        day -= DAY
    return day


def _entry_date(event: date, window: Window) -> date:
    """First day D on which an event on ``event`` is at least ``window`` before D, i.e. on or
    before ``window.start(D)`` (the complement of :func:`_exit_date`'s test)."""
    day = shift(event, window.amount, window.unit)
    while window.start(day) < event:
        day += DAY
    while window.start(day - DAY) >= event:
        day -= DAY
    return day


# ------------------------------------------------------------------- unrecognised records

_ICD = ("http://hl7.org/fhir/sid/icd-10-cm", "http://hl7.org/fhir/sid/icd-10")


def _icd_categories(group: str, key: str) -> set[str]:
    """The 3-character ICD-10 categories (one body system's family) of a concept's codes."""
    cats = {
        c.code.replace(".", "").upper()[:3] for c in vocab.codes(group, key) if c.system in _ICD
    }
    if group == "conditions":
        for prefixes in vocab.condition(key).prefix_match.values():
            cats |= {p.replace(".", "").upper()[:3] for p in prefixes}
    return cats


@functools.lru_cache(maxsize=256)
def _drug_words(keys: frozenset[str]) -> list[tuple[str, str]]:
    """(drug key, a name of it) for each key: its display name and its key read as words."""
    out = []
    for key in keys:
        info = vocab.drug(key)
        out += [(key, info.display.lower()), (key, key.replace("_", " "))]
    return out


def possible_matches(
    ctx: Context,
    resource_types: tuple[str, ...],
    group: str,
    concepts: set[str],
    since: date | None = None,
) -> tuple[str, ...]:
    """Records the engine could not recognise by code that could be one of ``concepts``: their
    words name it (``vocab.mentions``; drug names for medications) or an ICD-10 code falls in
    the same 3-character category (the same body system's family), and its date (when known)
    is inside the criterion's window (``since``). Each becomes a question for the investigator;
    a criterion resting on the record's absence is then UNKNOWN, not FALSE."""
    out: list[str] = []
    drug_words: list[tuple[str, str]] | None = None  # built when a record needs it
    for u in ctx.patient.unrecognized:
        if u.resource_type not in resource_types or not (u.text or u.codes):
            continue
        if u.date is not None and (u.date > ctx.as_of or (since is not None and u.date < since)):
            continue  # dated outside the criterion's window: it cannot be what is asked
        text = " ".join((u.text or "").lower().split())
        if group == "medications":
            if drug_words is None:
                drug_words = _drug_words(frozenset(concepts))
            hit = {k for k, w in drug_words if vocab.mentions_phrase(text, w)}
        else:
            hit = set(vocab.mentions(u.text, group)) & concepts
            for code in u.codes:
                system = vocab.canonical_system(code.system)
                if system in _ICD:
                    cat = code.code.replace(".", "").upper()[:3]
                    hit |= {k for k in concepts if cat in _icd_categories(group, k)}
        if hit:
            said = f" {u.text!r}" if u.text else ""
            out.append(
                f"{u.resource_type}/{u.id}{said} is not coded in the vocabulary: is it "
                f"{' / '.join(sorted(hit))}? (investigator to confirm)"
            )
    return tuple(out)


def _or_unknown(result: NodeResult, candidates: tuple[str, ...]) -> NodeResult:
    """A FALSE that rests on absence becomes UNKNOWN when an unrecognised record may be it."""
    if result.status is not Truth.FALSE or not candidates:
        return result
    return replace(
        result,
        status=Truth.UNKNOWN,
        flips_on=None,
        window_based=False,
        reason=result.reason + "; but an unrecognised record may be it",
        missing=result.missing + candidates,
    )


# ------------------------------------------------------------------- conditions


@handles(ConditionHistory)
def _condition(node: ConditionHistory, ctx: Context) -> NodeResult:
    as_of = ctx.as_of
    records = [
        c
        for c in ctx.patient.conditions
        if c.concept in node.concepts and (c.onset is None or c.onset <= as_of)
    ]
    if node.active_only:
        records = [c for c in records if c.active and (c.abatement is None or c.abatement > as_of)]
    hits: list[Evidence] = []
    maybe: list[str] = []
    pending: list[date] = []  # when a too-recent diagnosis becomes old enough
    leaving: list[date] = []  # when a recent diagnosis leaves the "within" window
    for c in records:
        status = "active" if c.active else "resolved"
        ev = Evidence(
            resource=f"Condition/{c.id}",
            concept=c.concept,
            date=c.onset,
            detail=f"{status}; recognised as {c.recognized_by}" if c.recognized_by else status,
        )
        if (node.onset_within or node.onset_at_least) and c.onset is None:
            maybe.append(f"onset date of Condition/{c.id} ({c.concept})")
            continue
        ok = True
        if node.onset_within is not None and c.onset is not None:
            if c.onset < node.onset_within.start(as_of):
                ok = False
            else:
                leaving.append(_exit_date(c.onset, node.onset_within))
        # the same window arithmetic as onset_within: at least N before screening means on or
        # before the start of the N-long window that ends at screening
        if (
            node.onset_at_least is not None
            and c.onset is not None
            and c.onset > node.onset_at_least.start(as_of)
        ):
            ok = False
            pending.append(_entry_date(c.onset, node.onset_at_least))
        if ok:
            hits.append(ev)
    label = ", ".join(node.concepts)
    if hits:
        return NodeResult(
            **_base(node),
            status=Truth.TRUE,
            reason=f"{label} on record",
            evidence=tuple(hits),
            flips_on=max(leaving) if leaving and len(leaving) == len(hits) else None,
            window_based=bool(leaving),
        )
    if maybe:
        return NodeResult(
            **_base(node),
            status=Truth.UNKNOWN,
            reason=f"{label} on record without the onset date the window needs",
            missing=tuple(maybe),
        )
    if pending:
        return NodeResult(
            **_base(node),
            status=Truth.FALSE,
            reason=f"{label} diagnosed too recently",
            flips_on=min(pending),
            window_based=True,
        )
    absent = NodeResult(**_base(node), status=Truth.FALSE, reason=f"no {label} in the record")
    since = node.onset_within.start(as_of) if node.onset_within else None
    return _or_unknown(
        absent, possible_matches(ctx, ("Condition",), "conditions", set(node.concepts), since)
    )


# ------------------------------------------------------------------- medications


@dataclass(frozen=True)
class _Exposure:
    rec: MedicationExposure
    start: date | None
    end: date | None  # None = unknown end


def _period(rec: MedicationExposure, as_of: date) -> _Exposure:
    end = rec.end
    if rec.ongoing:
        end = as_of
    elif end is None and rec.start is not None and rec.status in ("completed", "stopped"):
        end = rec.start
    return _Exposure(rec, rec.start, end)


def _matches(node: MedicationHistory, rec: MedicationExposure) -> bool:
    if rec.concept in node.drugs:
        return True
    return any(
        cls in rec.drug_classes or rec.concept in _class_members(cls) for cls in node.classes
    )


def _class_members(cls: str) -> frozenset[str]:
    try:
        return vocab.drugs_in_class(cls)
    except KeyError:
        return frozenset()  # the linter reports unknown classes


# drug classes whose doses are compared as prednisone-equivalent (vocabulary class keys)
_GLUCOCORTICOID_CLASSES = frozenset(
    {"glucocorticoids", "glucocorticoids_systemic", "corticosteroids_systemic"}
)


def _half_life(drug: str) -> float | None:
    hl = vocab.half_life_days(drug)
    return None if hl is None else hl.days


def _weight_during(ctx: Context, exp: _Exposure) -> float | None:
    """Body weight when the drug was taken: the latest on or before the exposure's end
    (else the earliest recorded after it), since mg/kg doses refer to the weight at the time."""
    until = min(exp.end, ctx.as_of) if exp.end is not None else ctx.as_of
    weights = [
        o
        for o in ctx.patient.observations_of("body_weight")
        if o.value is not None and o.effective <= ctx.as_of
    ]
    before = [o for o in weights if o.effective <= until]
    chosen = before[0] if before else (weights[-1] if weights else None)
    return None if chosen is None else chosen.value


@handles(MedicationHistory)
def _medication(node: MedicationHistory, ctx: Context) -> NodeResult:
    as_of = ctx.as_of
    definite: dict[str, list[Evidence]] = {}
    maybe: dict[str, list[str]] = {}
    exits: dict[str, list[date | None]] = {}
    for rec in ctx.patient.medications:
        if not _matches(node, rec):
            continue
        if rec.route and any(r.lower() in rec.route.lower() for r in node.exclude_routes):
            continue
        exp = _period(rec, as_of)
        if exp.start is not None and exp.start > as_of:
            continue
        key = _distinct_key(node, rec)
        verdict, why, exit_on = _qualifies(node, exp, ctx)
        if verdict is Truth.TRUE:
            definite.setdefault(key, []).append(
                Evidence(
                    resource=f"{rec.resource_type}/{rec.id}",
                    concept=rec.concept,
                    date=exp.start,
                    detail=why,
                    value=rec.daily_dose_mg,
                    unit="mg/d" if rec.daily_dose_mg else None,
                )
            )
            exits.setdefault(key, []).append(exit_on)
        elif verdict is Truth.UNKNOWN:
            maybe.setdefault(key, []).append(why)
    n_def = len(definite)
    n_maybe = len(set(maybe) - set(definite))
    label = ", ".join(node.drugs + node.classes)
    evidence = tuple(e for evs in definite.values() for e in evs)
    if n_def >= node.min_distinct:
        # time alone ends the exposure window when enough agents leave it; an agent leaves
        # when its last exposure does (never, if one is ongoing or has no end date)
        flips = None
        leave: list[date] = []
        for ds in exits.values():
            known = [d for d in ds if d is not None]
            if len(known) == len(ds):
                leave.append(max(known))
        leave.sort()
        needed = n_def - node.min_distinct + 1
        if node.within is not None and len(leave) >= needed:
            flips = leave[needed - 1]
        return NodeResult(
            **_base(node),
            status=Truth.TRUE,
            reason=f"{n_def} qualifying {node.distinct_by}(s) of {label} (needs {node.min_distinct})",
            evidence=evidence,
            flips_on=flips,
            window_based=flips is not None,
        )
    if n_def + n_maybe >= node.min_distinct:
        return NodeResult(
            **_base(node),
            status=Truth.UNKNOWN,
            reason=f"{n_def} qualifying and {n_maybe} undetermined {node.distinct_by}(s) of {label}",
            evidence=evidence,
            missing=tuple(sorted({m for ms in maybe.values() for m in ms})),
        )
    failed = NodeResult(
        **_base(node),
        status=Truth.FALSE,
        reason=f"{n_def} qualifying {node.distinct_by}(s) of {label} (needs {node.min_distinct})",
        evidence=evidence,
    )
    drugs = set(node.drugs) | {d for c in node.classes for d in _class_members(c)}
    since = None
    if node.within is not None and node.within.unit is not TimeUnit.HALF_LIVES:
        since = node.within.start(as_of)
    candidates = possible_matches(
        ctx,
        ("MedicationStatement", "MedicationRequest", "MedicationAdministration"),
        "medications",
        drugs,
        since,
    )
    if n_def + n_maybe + len(candidates) < node.min_distinct:
        return failed  # even if every unrecognised one were a match, too few
    return _or_unknown(failed, candidates)


def _distinct_key(node: MedicationHistory, rec: MedicationExposure) -> str:
    if node.distinct_by == "class":
        for cls in node.classes:
            if cls in rec.drug_classes or rec.concept in _class_members(cls):
                return cls
        return rec.drug_classes[0] if rec.drug_classes else rec.concept
    return rec.concept


def _qualifies(
    node: MedicationHistory, exp: _Exposure, ctx: Context
) -> tuple[Truth, str, date | None]:
    """Does one exposure satisfy every clause? Returns (truth, why, date it leaves the window);
    for UNKNOWN, ``why`` names only the data that would settle it."""
    rec = exp.rec
    as_of = ctx.as_of
    reasons: list[str] = []  # what was found (the explanation)
    wanted: list[str] = []  # data that would settle an UNKNOWN clause
    results: list[Truth] = []
    exit_on: date | None = None
    # ---- window (washout)
    if node.within is not None:
        hl: float | None = None
        if node.within.unit is TimeUnit.HALF_LIVES:
            hl = _half_life(rec.concept)
            if hl is None:
                return Truth.UNKNOWN, f"no verified half-life for {rec.concept}", None
        start = node.within.start(as_of, half_life_days=hl)
        if exp.end is None and exp.start is not None and exp.start >= start:
            # started inside the window (and not after screening): taken inside it whatever
            # its end; with no end date, time alone cannot say when it leaves
            results.append(Truth.TRUE)
            reasons.append(f"started {exp.start}, end date not recorded")
        elif exp.end is None:
            results.append(Truth.UNKNOWN)
            wanted.append(f"end date of {rec.resource_type}/{rec.id} ({rec.concept})")
        elif exp.end < start:
            results.append(Truth.FALSE)
        else:
            results.append(Truth.TRUE)
            exit_on = None if rec.ongoing else _exit_date(exp.end, node.within, half_life_days=hl)
            reasons.append(f"taken until {'now' if rec.ongoing else exp.end}")
    # ---- dose
    if node.min_daily_dose_mg is not None or node.min_dose_mg_per_kg_day is not None:
        dose = rec.daily_dose_mg
        factor = vocab.glucocorticoid_factor(rec.concept)
        if dose is None:
            results.append(Truth.UNKNOWN)
            wanted.append(f"daily dose of {rec.resource_type}/{rec.id} ({rec.concept})")
        elif factor is None and _GLUCOCORTICOID_CLASSES & {rec.concept, *rec.drug_classes}:
            # a steroid dose is compared as prednisone-equivalent: without a factor it is not
            # known (the raw mg of another steroid is not mg of prednisone)
            results.append(Truth.UNKNOWN)
            wanted.append(
                f"the named glucocorticoid of {rec.resource_type}/{rec.id} "
                f"({rec.concept}, {dose:g} mg/day) for its prednisone-equivalent dose"
            )
        else:
            eq = dose * factor if factor is not None else dose
            if node.min_daily_dose_mg is not None:
                results.append(Truth.of(eq >= node.min_daily_dose_mg))
            if node.min_dose_mg_per_kg_day is not None:
                weight = _weight_during(ctx, exp)
                if weight is None:
                    results.append(Truth.UNKNOWN)
                    wanted.append("body weight (kg) for a mg/kg/day dose")
                else:
                    results.append(Truth.of(eq / weight >= node.min_dose_mg_per_kg_day - 1e-9))
            unit = "prednisone-equivalent " if factor is not None else ""
            reasons.append(f"{eq:g} mg/day {unit}".strip())
    # ---- duration and outcome
    duration_ok: Truth = Truth.TRUE
    duration_wanted: list[str] = []
    if node.min_duration is not None:
        if exp.start is None or exp.end is None:
            duration_ok = Truth.UNKNOWN
            duration_wanted.append(
                f"start and end dates of {rec.resource_type}/{rec.id} ({rec.concept})"
            )
        else:
            needed = shift(exp.start, node.min_duration.amount, node.min_duration.unit)
            # only exposure up to screening counts (a planned end date is not yet exposure)
            duration_ok = Truth.of(min(exp.end, as_of) >= needed)
    if node.outcome == "any":
        results.append(duration_ok)
        wanted += duration_wanted
    else:
        allowed = {"failure"} if node.outcome == "failure" else {"failure", "intolerance"}
        if rec.outcome in allowed:
            results.append(Truth.TRUE)
            reasons.append(f"stopped for {rec.outcome}")
        elif node.min_duration is not None and node.active_disease:
            active = any(
                c.concept in node.active_disease
                and c.active
                and (c.abatement is None or c.abatement > as_of)
                for c in ctx.patient.conditions
            )
            results.append(duration_ok if active else Truth.FALSE)
            wanted += duration_wanted
            if duration_ok is Truth.TRUE and active:
                reasons.append(
                    f"taken for at least {node.min_duration.amount:g} "
                    f"{node.min_duration.unit.value} with the disease still active"
                )
        else:
            results.append(Truth.FALSE)
    truth = Truth.TRUE
    for r in results:
        if r is Truth.FALSE:
            return Truth.FALSE, "; ".join(reasons), None
        if r is Truth.UNKNOWN:
            truth = Truth.UNKNOWN
    if truth is Truth.UNKNOWN:
        return truth, "; ".join(wanted), None
    return truth, "; ".join(reasons), exit_on


# ------------------------------------------------------------------- vaccines, procedures


@handles(Vaccination)
def _vaccine(node: Vaccination, ctx: Context) -> NodeResult:
    as_of = ctx.as_of
    start = node.within.start(as_of) if node.within else None
    hits: list[Evidence] = []
    unsure: list[str] = []
    exits: list[date] = []
    for imm in ctx.patient.immunizations:
        if node.concepts and imm.concept not in node.concepts:
            continue
        if imm.date > as_of or (start is not None and imm.date < start):
            continue
        live = imm.live if imm.live is not None else vocab.vaccine_is_live(imm.concept)
        if node.live_only and live is None:
            unsure.append(f"whether Immunization/{imm.id} ({imm.concept}) is a live vaccine")
            continue
        if node.live_only and not live:
            continue
        hits.append(
            Evidence(
                resource=f"Immunization/{imm.id}",
                concept=imm.concept,
                date=imm.date,
                detail="live" if live else None,
            )
        )
        if node.within is not None:
            exits.append(_exit_date(imm.date, node.within))
    if hits:
        flips = max(exits) if exits else None
        return NodeResult(
            **_base(node),
            status=Truth.TRUE,
            reason=f"{len(hits)} vaccination(s) in the window",
            evidence=tuple(hits),
            flips_on=flips,
            window_based=flips is not None,
        )
    if unsure:
        return NodeResult(
            **_base(node),
            status=Truth.UNKNOWN,
            reason="vaccination of unknown type in the window",
            missing=tuple(unsure),
        )
    return NodeResult(**_base(node), status=Truth.FALSE, reason="no such vaccination in the window")


@handles(ProcedureHistory)
def _procedure(node: ProcedureHistory, ctx: Context) -> NodeResult:
    as_of = ctx.as_of
    start = node.within.start(as_of) if node.within else None
    hits: list[Evidence] = []
    unsure: list[str] = []
    exits: list[date] = []
    for proc in ctx.patient.procedures:
        if proc.concept not in node.concepts:
            continue
        if proc.date is None:
            if start is not None:
                unsure.append(f"date of Procedure/{proc.id} ({proc.concept})")
                continue
        elif proc.date > as_of or (start is not None and proc.date < start):
            continue
        hits.append(Evidence(resource=f"Procedure/{proc.id}", concept=proc.concept, date=proc.date))
        if node.within is not None and proc.date is not None:
            exits.append(_exit_date(proc.date, node.within))
    label = ", ".join(node.concepts)
    if hits:
        flips = max(exits) if exits and len(exits) == len(hits) else None
        return NodeResult(
            **_base(node),
            status=Truth.TRUE,
            reason=f"{label} on record",
            evidence=tuple(hits),
            flips_on=flips,
            window_based=flips is not None,
        )
    if unsure:
        return NodeResult(
            **_base(node),
            status=Truth.UNKNOWN,
            reason=f"{label} on record without a date",
            missing=tuple(unsure),
        )
    absent = NodeResult(**_base(node), status=Truth.FALSE, reason=f"no {label} in the window")
    return _or_unknown(
        absent,
        possible_matches(ctx, ("Procedure", "Condition"), "procedures", set(node.concepts), start),
    )
