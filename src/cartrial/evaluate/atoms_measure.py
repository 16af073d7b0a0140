"""Handlers for point-in-time data: labs, observations, derived values, scores, serologies.

Absent data, or data older than the look-back, is UNKNOWN (never FALSE); the result says which
value, measured since when, would settle it.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

from cartrial import vocab
from cartrial.calculators import crcl_cockcroft_gault, egfr_bedside_schwartz, egfr_ckd_epi_2021
from cartrial.criteria.nodes import Comparator, Derived, Measurement, Score, Serology, Window
from cartrial.domain.errors import CartrialError
from cartrial.domain.patient import Observation, Sex, newest_first
from cartrial.evaluate.context import Context, handles
from cartrial.evaluate.result import Evidence, NodeResult
from cartrial.evaluate.truth import Truth


def _base(node: Any) -> dict[str, Any]:
    return {"id": node.id or "", "kind": node.kind, "text": node.text, "note": node.note}


def latest(
    ctx: Context,
    concept: str | tuple[str, ...],
    window: Window | None,
    *,
    accept: Callable[[Observation], bool],
) -> tuple[Observation | None, Observation | None]:
    """(latest acceptable value inside the look-back, latest acceptable value before it)."""
    start = ctx.lookback_start(window)
    stale: Observation | None = None
    if isinstance(concept, str):
        found = ctx.patient.observations_of(concept)  # already newest first
    else:
        found = [o for c in concept for o in ctx.patient.observations_of(c)]
        found.sort(key=newest_first)
    for obs in found:
        if obs.effective > ctx.as_of or not accept(obs):
            continue
        if obs.effective >= start:
            return obs, None
        stale = stale or obs
        break
    return None, stale


def _numeric(obs: Observation) -> bool:
    return obs.value is not None


def _obs_evidence(obs: Observation, **extra: Any) -> Evidence:
    if obs.recognized_by and "detail" not in extra:
        extra["detail"] = f"recognised by {obs.recognized_by}"
    return Evidence(
        resource=f"Observation/{obs.id}",
        concept=obs.concept,
        date=obs.effective,
        value=obs.value if obs.value is not None else obs.result,
        unit=obs.unit,
        original_value=obs.original_value,
        original_unit=obs.original_unit,
        **extra,
    )


def _missing(ctx: Context, what: str, window: Window | None, stale: Observation | None) -> str:
    since = ctx.lookback_start(window).isoformat()
    msg = f"{what} measured on or after {since} ({ctx.lookback_label(window)})"
    if stale is not None:
        msg += f"; latest on record is {stale.effective.isoformat()}, too old"
    return msg


@handles(Measurement)
def _measurement(node: Measurement, ctx: Context) -> NodeResult:
    if node.aggregate == "any":
        return _measurement_any(node, ctx)
    obs, stale = latest(ctx, node.concept, node.lookback, accept=_numeric)
    if obs is None:
        return _no_value(node, ctx, stale)
    ties = same_instant(ctx, obs, node.concept, _numeric)
    judged = [_judge(node, o) for o in ties]
    status, reason, evidence, missing = conservative(ctx, judged, lambda j: j[0])
    if len(ties) > 1:
        shown = ", ".join(f"{o.value:g}" for o in ties if o.value is not None)
        reason += (
            f" ({len(ties)} {node.concept} results at the same time ({shown}): the more "
            "conservative one counts)"
        )
    return NodeResult(
        **_base(node), status=status, reason=reason, evidence=(evidence,), missing=missing
    )


def same_instant(
    ctx: Context,
    obs: Observation,
    concept: str | tuple[str, ...],
    accept: Callable[[Observation], bool],
) -> list[Observation]:
    """``obs`` and every other acceptable value taken at the same instant (their order unknown)."""
    concepts = (concept,) if isinstance(concept, str) else concept
    others = [
        o
        for c in concepts
        for o in ctx.patient.observations_of(c)
        if o is not obs and accept(o) and o.same_instant(obs)
    ]
    return [obs, *others]


T = TypeVar("T")


def conservative(ctx: Context, items: list[T], status: Callable[[T], Truth]) -> T:
    """Of several readings taken at the same instant, the one least favourable to the patient
    (FALSE before UNKNOWN before TRUE under an inclusion; the mirror under an exclusion)."""
    order = (
        [Truth.FALSE, Truth.UNKNOWN, Truth.TRUE]
        if ctx.favourable
        else [Truth.TRUE, Truth.UNKNOWN, Truth.FALSE]
    )
    return min(items, key=lambda item: order.index(status(item)))


def _measurement_any(node: Measurement, ctx: Context) -> NodeResult:
    """Any value inside the look-back meeting the threshold settles it (a peak counts)."""
    start = ctx.lookback_start(node.lookback)
    values = [
        o
        for o in ctx.patient.observations_of(node.concept)
        if o.value is not None and start <= o.effective <= ctx.as_of
    ]
    if not values:
        _, stale = latest(ctx, node.concept, node.lookback, accept=_numeric)
        return _no_value(node, ctx, stale)
    judged = [_judge(node, o) for o in values]
    for status, reason, evidence, _ in judged:
        if status is Truth.TRUE:
            return NodeResult(**_base(node), status=status, reason=reason, evidence=(evidence,))
    unknown = [j for j in judged if j[0] is Truth.UNKNOWN]
    if unknown:
        return NodeResult(
            **_base(node),
            status=Truth.UNKNOWN,
            reason=unknown[0][1],
            evidence=tuple(j[2] for j in judged),
            missing=tuple(m for j in unknown for m in j[3]),
        )
    return NodeResult(
        **_base(node),
        status=Truth.FALSE,
        reason=f"none of {len(values)} {node.concept} values inside "
        f"{ctx.lookback_label(node.lookback)} meets it (latest: {judged[0][1]})",
        evidence=tuple(j[2] for j in judged),
    )


def _no_value(node: Measurement, ctx: Context, stale: Observation | None) -> NodeResult:
    unit = _canonical_unit(node.concept)
    return NodeResult(
        **_base(node),
        status=Truth.UNKNOWN,
        reason=f"no {node.concept} value inside {ctx.lookback_label(node.lookback)}",
        missing=(_missing(ctx, f"{node.concept} ({unit})", node.lookback, stale),),
    )


def _judge(node: Measurement, obs: Observation) -> tuple[Truth, str, Evidence, tuple[str, ...]]:
    """Compare one observation with the node's threshold (absolute, or a multiple of ULN/LLN)."""
    assert obs.value is not None
    threshold: float
    extra: dict[str, Any] = {}
    if node.value is not None:
        assert node.unit is not None
        threshold = _threshold(node.concept, node.value, node.unit)
        extra["threshold"] = threshold
        reason_thr = f"{node.value:g} {node.unit}"
    else:
        upper = node.uln_multiple is not None
        bound, source = _limit(obs, node.concept, upper=upper)
        if bound is None:
            which = "upper" if upper else "lower"
            return (
                Truth.UNKNOWN,
                f"no {which} limit of normal for {node.concept}",
                _obs_evidence(obs),
                (f"reference range of {node.concept} (Observation.referenceRange)",),
            )
        multiple = node.uln_multiple if upper else node.lln_multiple
        assert multiple is not None
        threshold = multiple * bound
        extra.update(threshold=threshold, uln=bound, uln_source=source)
        reason_thr = f"{multiple:g} x {'ULN' if upper else 'LLN'} ({bound:g} {obs.unit}, {source})"
    censor = obs.components.get("comparator")
    status = censored_compare(node.comparator, threshold, obs.value, censor)
    shown = f"{censor if isinstance(censor, str) else ''}{obs.value:g}"
    verb = {Truth.TRUE: "meets", Truth.FALSE: "fails", Truth.UNKNOWN: "cannot settle"}[status]
    reason = (
        f"{node.concept} {shown} {obs.unit} on {obs.effective} "
        f"{verb} {node.comparator.value} {reason_thr}"
    )
    missing = (
        (f"an exact {node.concept} value (result reported as {shown})",)
        if status is Truth.UNKNOWN
        else ()
    )
    return status, reason, _obs_evidence(obs, **extra), missing


@functools.lru_cache(maxsize=4096)
def _threshold(concept: str, value: float, unit: str) -> float:
    """A protocol threshold in the concept's canonical unit: converted once per node (the
    protocol's thresholds are few and fixed), not once per patient."""
    return vocab.convert(concept, value, unit)[0]


def censored_compare(
    comparator: Comparator, threshold: float, value: float, censor: object
) -> Truth:
    """Compare a value that may be reported as ``<x``/``>x`` (below/above the assay's range).

    TRUE if every value the report allows meets the threshold, FALSE if none does, else UNKNOWN.
    """
    if censor not in ("<", "<=", ">", ">="):
        return Truth.of(comparator.holds(value, threshold))
    below = censor in ("<", "<=")
    closed = censor in ("<=", ">=")
    equal = round(value, 10) == round(threshold, 10)
    if comparator is Comparator.EQ:
        # a censored report allows many values: never certainly equal; possibly, when the
        # threshold lies inside what the report allows
        reachable = closed if equal else (threshold < value if below else threshold > value)
        return Truth.UNKNOWN if reachable else Truth.FALSE
    # the extreme value the report allows, and whether the bound itself is possible
    at_bound = comparator.holds(value, threshold)
    upward = comparator in (Comparator.GT, Comparator.GE)
    if below != upward:
        # values run away from the threshold's side: all satisfy iff the bound does (open bound:
        # values strictly beyond it, so a strict comparison at equality still holds)
        if at_bound or (not closed and equal):
            return Truth.TRUE
        return Truth.UNKNOWN
    # values run towards the threshold's side: none satisfy iff the bound fails (or, open,
    # sits exactly on the threshold)
    if not at_bound or (not closed and equal):
        return Truth.FALSE
    return Truth.UNKNOWN


def _canonical_unit(concept: str) -> str:
    try:
        return vocab.lab(concept).canonical_unit or "unit"
    except (KeyError, CartrialError):
        return "unit"


def _limit(obs: Observation, concept: str, *, upper: bool) -> tuple[float | None, str]:
    own = obs.ref_high if upper else obs.ref_low
    if own is not None:
        return own, "reference range on the result"
    default = vocab.default_range(concept)
    if default is None:
        return None, ""
    low, high, source = default
    value = high if upper else low
    return value, f"default range: {source}"


# ------------------------------------------------------------------- derived values


_CALC_UNIT = {
    "crcl_cockcroft_gault": "mL/min",
    "egfr_ckd_epi_2021": "mL/min/{1.73_m2}",
    "egfr_bedside_schwartz": "mL/min/{1.73_m2}",
}


@handles(Derived)
def _derived(node: Derived, ctx: Context) -> NodeResult:
    inputs: dict[str, Any] = {}
    evidence: list[Evidence] = []
    missing: list[str] = []
    unsettled: tuple[str, ...] = ()  # a censored report that could not settle it
    if node.accept_reported:
        reported, _ = latest(ctx, node.calculator, node.lookback, accept=_numeric)
        if reported is not None and reported.value is not None:
            censor = reported.components.get("comparator")
            status = censored_compare(node.comparator, node.value, reported.value, censor)
            shown = f"{censor if isinstance(censor, str) else ''}{reported.value:g}"
            if status is not Truth.UNKNOWN:
                ok = status is Truth.TRUE
                return NodeResult(
                    **_base(node),
                    status=status,
                    reason=f"reported {node.calculator} {shown} {reported.unit} "
                    f"{'meets' if ok else 'fails'} {node.comparator.value} {node.value:g} "
                    f"{node.unit}",
                    evidence=(_obs_evidence(reported, threshold=node.value),),
                )
            # a censored report (">60") that cannot settle the threshold: compute it instead
            evidence.append(_obs_evidence(reported, threshold=node.value))
            unsettled = (f"an exact {node.calculator} value (reported as {shown})",)
    scr, stale = latest(ctx, "creatinine", node.lookback, accept=_numeric)
    tie_note = ""
    if scr is not None:
        ties = same_instant(ctx, scr, "creatinine", _numeric)
        if len(ties) > 1:
            # several creatinines at the same instant: the conservative one (CrCl/eGFR fall as
            # creatinine rises; the highest fails a lower bound in an inclusion first)
            upward = node.comparator in (Comparator.GE, Comparator.GT)
            pick = max if upward == ctx.favourable else min
            scr = pick(ties, key=lambda o: o.value or 0.0)
            tie_note = (
                f"{len(ties)} creatinine results at the same time "
                f"({', '.join(f'{o.value:g}' for o in ties)}): the more conservative "
                "one counts"
            )
    if scr is None or scr.value is None:
        missing.append(_missing(ctx, "serum creatinine (mg/dL)", node.lookback, stale))
    else:
        inputs["scr_mg_dl"] = scr.value
        evidence.append(_obs_evidence(scr, **({"detail": tie_note} if tie_note else {})))
    patient = ctx.patient
    ages = patient.age_range_on(ctx.as_of)
    needs_sex = node.calculator != "egfr_bedside_schwartz"
    if ages is None:
        missing.append("Patient.birthDate")
    else:
        inputs["age_years"] = ages[0]
    if needs_sex:
        if patient.sex in (Sex.FEMALE, Sex.MALE):
            inputs["sex"] = patient.sex
        else:
            missing.append("Patient.gender (female/male) for the formula")
    needs_weight = node.calculator == "crcl_cockcroft_gault"
    needs_height = node.calculator == "egfr_bedside_schwartz" or (
        needs_weight and node.weight_basis != "actual"
    )
    body_window = node.lookback
    if needs_weight:
        w, w_stale = latest(ctx, "body_weight", body_window, accept=_numeric)
        if w is None or w.value is None:
            missing.append(_missing(ctx, "body weight (kg)", body_window, w_stale))
        else:
            inputs["weight_kg"] = w.value
            evidence.append(_obs_evidence(w))
    if needs_height:
        h = next(
            (
                o
                for o in patient.observations_of("body_height")
                if o.value is not None and o.effective <= ctx.as_of
            ),
            None,
        )
        if h is None or h.value is None:
            missing.append("body height (cm)")
        else:
            inputs["height_cm"] = h.value
            evidence.append(_obs_evidence(h))
    if missing:
        return NodeResult(
            **_base(node),
            status=Truth.UNKNOWN,
            reason=f"cannot compute {node.calculator}: inputs missing",
            evidence=tuple(evidence),
            missing=unsettled + tuple(missing),
        )
    assert ages is not None
    try:
        # a partial birth date gives an interval of ages: the formula is run at both ends (each
        # is monotone in age) and decides only when both agree
        results = [_calculate(node, {**inputs, "age_years": a}) for a in sorted(set(ages))]
    except CartrialError as exc:
        return NodeResult(
            **_base(node),
            status=Truth.UNKNOWN,
            reason=f"{node.calculator} not applicable: {exc}",
            evidence=tuple(evidence),
            missing=(f"a value of {node.calculator} by another method ({exc})",),
        )
    oks = {node.comparator.holds(float(_num(r.value)), node.value) for r in results}
    if len(oks) > 1:
        shown = " to ".join(f"{float(_num(r.value)):.1f}" for r in results)
        return NodeResult(
            **_base(node),
            status=Truth.UNKNOWN,
            evidence=tuple(evidence),
            reason=f"{node.calculator} between {shown} {_CALC_UNIT[node.calculator]} over the "
            f"possible ages {ages[0]}-{ages[1]}: the threshold falls inside",
            missing=("Patient.birthDate (the full date)",),
        )
    result = results[0]
    if len(results) > 1:
        inputs["age_years"] = f"{ages[0]}-{ages[1]}"
    value = _num(result.value)
    ok = oks.pop()
    evidence.append(
        Evidence(
            concept=node.calculator,
            value=round(float(value), 2),
            unit=_CALC_UNIT[node.calculator],
            threshold=node.value,
            detail=result.reference,
            inputs={k: (v.value if isinstance(v, Sex) else v) for k, v in inputs.items()},
        )
    )
    return NodeResult(
        **_base(node),
        status=Truth.of(ok),
        reason=f"{node.calculator} = {float(value):.1f} {_CALC_UNIT[node.calculator]} "
        f"{'meets' if ok else 'fails'} {node.comparator.value} {node.value:g}",
        evidence=tuple(evidence),
    )


def _num(value: object) -> float:
    assert isinstance(value, (int, float))
    return float(value)


def _calculate(node: Derived, inputs: dict[str, Any]) -> Any:
    if node.calculator == "crcl_cockcroft_gault":
        return crcl_cockcroft_gault(
            age_years=inputs["age_years"],
            weight_kg=inputs["weight_kg"],
            scr_mg_dl=inputs["scr_mg_dl"],
            sex=inputs["sex"],
            weight_basis=node.weight_basis,
            height_cm=inputs.get("height_cm"),
        )
    if node.calculator == "egfr_ckd_epi_2021":
        return egfr_ckd_epi_2021(
            scr_mg_dl=inputs["scr_mg_dl"], age_years=inputs["age_years"], sex=inputs["sex"]
        )
    return egfr_bedside_schwartz(
        height_cm=inputs["height_cm"],
        scr_mg_dl=inputs["scr_mg_dl"],
        age_years=inputs["age_years"],
    )


# ------------------------------------------------------------------- scores


_DESCRIPTOR_SCORES = {"sledai_2k", "selena_sledai", "clinical_sledai"}


_CLASSIFICATION_FLAGS = {
    "sle_eular_acr_2019": frozenset({"ana_titer", "ana_equivalent_positive"}),
    "ssc_acr_eular_2013": frozenset(
        {"skin_thickening_sparing_fingers", "better_explained_by_other_disorder"}
    ),
}


def score_from_items(
    instrument: str, components: Mapping[str, Any]
) -> tuple[float | None, str, str | None]:
    """(total, citation, category) from item-level observation components through the
    calculator registry. The total is None when the instrument gives none (the 2019 EULAR/ACR
    SLE entry criterion not met): such a result meets no threshold of that score."""
    if instrument in _DESCRIPTOR_SCORES:
        inputs: dict[str, Any] = {"descriptors": [k for k, v in components.items() if v is True]}
    elif instrument == "mrss":
        inputs = {"scores": dict(components)}
    elif instrument == "essdai":
        inputs = {"levels": dict(components)}
    elif instrument in _CLASSIFICATION_FLAGS:
        # classification criteria as components: one boolean per criterion present, plus the
        # instrument's own flags (and for SLE 2019 the ANA titre, "1:N" or N)
        flags = _CLASSIFICATION_FLAGS[instrument]
        inputs = {k: v for k, v in components.items() if k in flags}
        listed = "criteria" if instrument == "sle_eular_acr_2019" else "items"
        inputs[listed] = sorted(k for k, v in components.items() if v is True and k not in flags)
        titre = inputs.get("ana_titer")
        if isinstance(titre, (int, float)) and not isinstance(titre, bool):
            inputs["ana_titer"] = f"1:{titre:g}"
        if instrument == "sle_eular_acr_2019":
            inputs.setdefault("ana_titer", None)
    else:
        inputs = dict(components)
    # deferred: the registry builds a pydantic model per calculator (~80 ms at start-up), which
    # only item-level scores need
    from cartrial.calculators.registry import run_calculator

    result = run_calculator(instrument, inputs)
    if result.value is None:
        return None, result.reference, result.category
    assert isinstance(result.value, (int, float))
    return float(result.value), result.reference, result.category


@handles(Score)
def _score(node: Score, ctx: Context) -> NodeResult:
    def usable(obs: Observation) -> bool:
        return obs.value is not None or bool(obs.components)

    obs, stale = latest(ctx, node.instrument, node.lookback, accept=usable)
    if obs is None:
        return NodeResult(
            **_base(node),
            status=Truth.UNKNOWN,
            reason=f"no {node.instrument} score inside {ctx.lookback_label(node.lookback)}",
            missing=(
                _missing(ctx, f"{node.instrument} score (or its items)", node.lookback, stale),
            ),
        )
    if obs.value is not None:
        ties = [o for o in same_instant(ctx, obs, node.instrument, usable) if o.value is not None]
        if len(ties) > 1:

            def _ok(o: Observation) -> Truth:
                assert o.value is not None
                return Truth.of(node.comparator.holds(o.value, node.value))

            obs = conservative(ctx, ties, _ok)
        value, how = obs.value, "reported"
        assert value is not None
        if len(ties) > 1:
            how += f"; {len(ties)} results at the same time, the more conservative counts"
        ev = _obs_evidence(obs, threshold=node.value)
    else:
        try:
            total, ref, category = score_from_items(node.instrument, obs.components)
        except CartrialError as exc:
            return NodeResult(
                **_base(node),
                status=Truth.UNKNOWN,
                reason=f"items of {node.instrument} could not be scored: {exc}",
                missing=(f"a complete {node.instrument} assessment",),
            )
        if total is None:
            # no total (entry criterion not met): below every threshold of the score, whatever
            # the comparator; the rest of the items are not added up
            return NodeResult(
                **_base(node),
                status=Truth.FALSE,
                reason=f"{node.instrument}: {category} ({obs.effective}); no total, so it meets "
                f"no threshold of the score",
                evidence=(
                    Evidence(
                        resource=f"Observation/{obs.id}",
                        concept=node.instrument,
                        date=obs.effective,
                        value=None,
                        detail=ref,
                        inputs=dict(obs.components),
                    ),
                ),
            )
        value = total
        how = "computed from items"
        ev = Evidence(
            resource=f"Observation/{obs.id}",
            concept=node.instrument,
            date=obs.effective,
            value=value,
            threshold=node.value,
            detail=ref,
            inputs=dict(obs.components),
        )
    ok = node.comparator.holds(value, node.value)
    return NodeResult(
        **_base(node),
        status=Truth.of(ok),
        reason=f"{node.instrument} {value:g} ({how}, {obs.effective}) "
        f"{'meets' if ok else 'fails'} {node.comparator.value} {node.value:g}",
        evidence=(ev,),
    )


# ------------------------------------------------------------------- serology


def qualitative(obs: Observation) -> str | None:
    """positive/negative from the coded result, else from a numeric value vs its range."""
    if obs.result in ("positive", "negative"):
        return obs.result
    if obs.value is None:
        return None
    high = obs.ref_high
    if high is None:
        default = vocab.default_range(obs.concept)
        high = default[1] if default is not None else None
    if high is None:
        return None
    # positive = above the upper limit; a censored report (">20", "<1000") may not settle it
    above = censored_compare(Comparator.GT, high, obs.value, obs.components.get("comparator"))
    if above is Truth.UNKNOWN:
        return None
    return "positive" if above is Truth.TRUE else "negative"


def _inconclusive(node: Serology, obs: Observation, label: str) -> NodeResult:
    said = obs.components.get("value_text")
    shown = (
        said
        if isinstance(said, str)
        else (f"{obs.value:g} {obs.unit or ''}".strip() if obs.value is not None else "no result")
    )
    return NodeResult(
        **_base(node),
        status=Truth.UNKNOWN,
        reason=f"{obs.concept} on {obs.effective} is inconclusive ({shown})",
        evidence=(_obs_evidence(obs, detail=shown),),
        missing=(
            f"a conclusive {label} result (the latest, {obs.concept} on "
            f"{obs.effective}, was inconclusive: {shown})",
        ),
    )


@handles(Serology)
def _serology(node: Serology, ctx: Context) -> NodeResult:
    """The latest test (across ``concept`` and ``also``) decides, a positive result winning over a
    negative one of the same day; an inconclusive latest test
    (indeterminate, or a censored/uninterpretable number) is UNKNOWN, never passed over for an
    older result. With ``ever``, any matching result decides; else an inconclusive one leaves
    it UNKNOWN."""

    tests = (node.concept, *node.also)
    label = " / ".join(tests)
    if node.ever:
        found = sorted(
            (o for c in tests for o in ctx.patient.observations_of(c) if o.effective <= ctx.as_of),
            key=lambda o: o.effective,
            reverse=True,
        )
        if not found:
            return NodeResult(
                **_base(node),
                status=Truth.UNKNOWN,
                reason=f"no {label} result on record",
                missing=(f"{label} result (any date)",),
            )
        hits = [o for o in found if qualitative(o) == node.result]
        if not hits:
            unclear = [o for o in found if qualitative(o) is None]
            if unclear:
                return _inconclusive(node, unclear[0], label)
        chosen = hits[0] if hits else found[0]
        return NodeResult(
            **_base(node),
            status=Truth.of(bool(hits)),
            reason=f"{chosen.concept} {qualitative(chosen)} on {chosen.effective} (ever)",
            evidence=(_serology_evidence(chosen),),
        )
    obs, stale = latest(ctx, tests, node.lookback, accept=lambda o: True)
    if obs is None:
        return NodeResult(
            **_base(node),
            status=Truth.UNKNOWN,
            reason=f"no {label} result inside {ctx.lookback_label(node.lookback)}",
            missing=(_missing(ctx, f"{label} result", node.lookback, stale),),
        )
    # several results on that latest day (serum and urine hCG, HIV Ab and Ag/Ab): a positive
    # one wins, since a negative test does not cancel a positive one taken the same day
    same_day = [
        o for c in tests for o in ctx.patient.observations_of(c) if o.effective == obs.effective
    ]
    readings = [(qualitative(o), o) for o in same_day]
    positive = [o for got, o in readings if got == "positive"]
    unclear = [o for got, o in readings if got is None]
    if positive:
        obs, got = positive[0], "positive"
    elif unclear:
        return _inconclusive(node, unclear[0], label)
    else:
        got = "negative"
    return NodeResult(
        **_base(node),
        status=Truth.of(got == node.result),
        reason=f"{obs.concept} {got} on {obs.effective}",
        evidence=(_serology_evidence(obs),),
    )


def _serology_evidence(obs: Observation) -> Evidence:
    """The result, with the documented default limit when a number was read against it."""
    default = vocab.default_range(obs.concept) if obs.value is not None else None
    if obs.result is None and obs.ref_high is None and default is not None:
        return _obs_evidence(obs, uln=default[1], uln_source=f"default range: {default[2]}")
    return _obs_evidence(obs)
