"""Screen one patient against one protocol: the verdict and a per-criterion explanation.

Verdict rules (issue 2): INELIGIBLE when an inclusion criterion is FALSE or an exclusion is
TRUE; NEEDS_DATA when nothing fails but a computable criterion is UNKNOWN; ELIGIBLE when every
computable criterion is satisfied, with the ManualReview items listed for the investigator.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import date
from typing import Any

from pydantic import TypeAdapter
from pydantic_core import to_jsonable_python

from cartrial.criteria.protocol import Protocol
from cartrial.domain.errors import DataError
from cartrial.domain.patient import Patient, Unrecognized
from cartrial.evaluate.context import Context, evaluate_node
from cartrial.evaluate.result import Evidence, NodeResult, Verdict
from cartrial.evaluate.truth import Truth


@dataclass(slots=True, kw_only=True)
class CriterionReport:
    """One node of the tree, flattened for output; ``outcome`` reads the status for the patient.

    ``outcome`` is ``pass`` / ``fail`` / ``unknown`` / ``manual`` from the patient's side: an
    exclusion that is met is a ``fail``.
    """

    id: str
    section: str
    kind: str
    depth: int
    parent: str | None
    status: str
    outcome: str
    text: str
    reason: str
    evidence: tuple[Evidence, ...]
    missing: tuple[str, ...]
    note: str | None = None
    relevant: bool = True
    flips_on: date | None = None
    # computable children whose UNKNOWN kept a protocol exception from applying (issue 9)
    blocked: tuple[str, ...] = ()


@dataclass(slots=True, kw_only=True)
class ScreeningResult:
    """The answer for one patient × trial (a plain dataclass: see :mod:`.result`).

    :meth:`to_json` is the stable JSON shape (CLI, API, stored runs); :meth:`model_validate`
    reads it back, validated by pydantic.
    """

    trial: str
    title: str
    as_of: date
    patient: str
    verdict: Verdict
    decisive: tuple[str, ...]
    criteria: tuple[CriterionReport, ...]
    manual_review: tuple[str, ...]
    overridden_pending_review: tuple[str, ...] = ()
    missing: tuple[str, ...]
    earliest_eligible_date: date | None
    unrecognized: tuple[Unrecognized, ...]

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = to_jsonable_python(self)
        return data

    @classmethod
    def model_validate(cls, data: Any) -> ScreeningResult:
        """A result from its JSON (a stored screening run); raises pydantic's ValidationError."""
        return _result_adapter().validate_python(data)


@functools.cache
def _result_adapter() -> TypeAdapter[ScreeningResult]:
    return TypeAdapter(ScreeningResult)


_TRUE, _FALSE, _UNKNOWN = Truth.TRUE, Truth.FALSE, Truth.UNKNOWN
_STATUS_TEXT = {t: t.value for t in Truth}
_COUNTED = frozenset({"all_of", "any_of", "at_least"})


def _outcome(result: NodeResult, favourable: bool) -> str:
    if result.manual:
        return "manual"
    if result.status is _UNKNOWN:
        return "unknown"
    return "pass" if (result.status is _TRUE) == favourable else "fail"


def _needed(res: NodeResult) -> int:
    """How many children with the node's own status that status needs (k TRUE, or n-k+1 FALSE)."""
    n = len(res.children)
    k = res.needs if res.needs is not None else (n if res.kind == "all_of" else 1)
    return k if res.status is _TRUE else n - k + 1


def _assumed(res: NodeResult) -> bool:
    """True when the node's status would not hold without a ManualReview assumption (set by the
    evaluator: ``NodeResult.assumed``, see ``composites.py``)."""
    return res.manual or res.assumed


def _flatten(
    res: NodeResult,
    section: str,
    depth: int,
    parent: str | None,
    favourable: bool,
    relevant: bool,
    out: list[CriterionReport],
    pending: list[str],
) -> None:
    out.append(
        CriterionReport(
            id=res.id,
            section=section,
            kind=res.kind,
            depth=depth,
            parent=parent,
            status=_STATUS_TEXT[res.status],
            outcome=_outcome(res, favourable),
            text=res.text,
            reason=res.reason,
            evidence=res.evidence,
            missing=res.missing,
            note=res.note,
            relevant=relevant,
            flips_on=res.flips_on,
            blocked=res.blocked,
        )
    )
    kids = res.children
    if not kids:
        return
    kind = res.kind
    status = res.status
    child_fav = (not favourable) if kind == "not" else favourable
    composite = kind in _COUNTED and status is not _UNKNOWN
    settled = False
    if composite:
        # settled by data alone: the assumed ManualReview items below are not needed for it
        real = 0
        for c in kids:
            if c.status is status and not (c.manual or c.assumed):
                real += 1
        settled = real >= _needed(res)
        if relevant and not settled:
            # the answer holds only by an assumption: show the data that says otherwise
            pending.extend(
                c.id
                for c in kids
                if c.status is not status and c.status is not _UNKNOWN and not _assumed(c)
            )
    # a child's gaps are worth listing when its status helps decide this node's: a FALSE
    # all_of is decided by its FALSE children, a TRUE any_of by its TRUE children, an UNKNOWN
    # one by its UNKNOWN children (plus, for all_of/at_least, the TRUE ones it still needs);
    # not when the data settled the node without the assumed ones
    open_group = status is _UNKNOWN and kind in ("all_of", "at_least")
    depth += 1
    for kid in kids:
        keep = relevant and (
            kind == "not" or kid.status is status or (open_group and kid.status is _TRUE)
        )
        if keep and settled and (kid.manual or kid.assumed):
            keep = False
        _flatten(kid, section, depth, res.id, child_fav, keep, out, pending)


def _fails_again(protocol: Protocol, patient: Patient, day: date) -> bool:
    """Would the record, unchanged, still be excluded on ``day``? (Labs may then be too old:
    that is missing data, not a failure, and the date stands.)"""
    base = Context(
        patient=patient,
        as_of=day,
        screening_window_days=protocol.screening_window_days,
        lean=True,  # the statuses alone
    )
    for section, items in protocol.sections():
        favourable = section == "inclusion"
        ctx = base if favourable else base.flipped()
        for node in items:
            res = evaluate_node(node, ctx)
            if res.status is not Truth.UNKNOWN and (res.status is Truth.TRUE) != favourable:
                return True
    return False


def _check_dates(patient: Patient, as_of: date) -> None:
    if patient.birth_date is not None and patient.birth_date > as_of:
        raise DataError(
            f"birth date {patient.birth_date} is after the screening date {as_of}",
            where=f"Patient/{patient.id}",
            field="birthDate",
        )
    rng = patient.birth_date_range
    if rng is not None and rng[0] > as_of:
        raise DataError(
            f"birth date (between {rng[0]} and {rng[1]}) is after the screening date {as_of}",
            where=f"Patient/{patient.id}",
            field="birthDate",
        )


def verdict_only(protocol: Protocol, patient: Patient, *, as_of: date) -> Verdict:
    """The verdict of :func:`screen`, without the explanation: for candidate lists and
    population fallbacks, where only ELIGIBLE / NEEDS_DATA / INELIGIBLE is shown.

    Same rules, same evaluator; it stops at the first decisive criterion (one failing inclusion
    or met exclusion settles INELIGIBLE) and builds no per-criterion report.
    """
    _check_dates(patient, as_of)
    base = Context(
        patient=patient,
        as_of=as_of,
        screening_window_days=protocol.screening_window_days,
        lean=True,
    )
    unknown = False
    for section, items in protocol.sections():
        favourable = section == "inclusion"
        ctx = base if favourable else base.flipped()
        for node in items:
            status = evaluate_node(node, ctx).status
            if status is _UNKNOWN:
                unknown = True
            elif (status is _TRUE) != favourable:
                return Verdict.INELIGIBLE
    return Verdict.NEEDS_DATA if unknown else Verdict.ELIGIBLE


def screen(protocol: Protocol, patient: Patient, *, as_of: date) -> ScreeningResult:
    """Evaluate every criterion of ``protocol`` for ``patient`` on the date ``as_of``.

    Every criterion with its status, evidence and what is missing; for the verdict alone see
    :func:`verdict_only` (several times faster: bench/match_bench.py).
    """
    _check_dates(patient, as_of)
    base = Context(
        patient=patient, as_of=as_of, screening_window_days=protocol.screening_window_days
    )
    reports: list[CriterionReport] = []
    decisive: list[str] = []
    pending: list[str] = []
    flips: list[date | None] = []
    unknown = False
    for section, items in protocol.sections():
        favourable = section == "inclusion"
        ctx = base if favourable else base.flipped()
        for node in items:
            res = evaluate_node(node, ctx)
            _flatten(res, section, 0, None, favourable, True, reports, pending)
            if res.status is Truth.UNKNOWN:
                unknown = True
            elif (res.status is Truth.TRUE) != favourable:
                decisive.append(res.id)
                flips.append(res.flips_on if res.window_based or res.flips_on else None)
    if decisive:
        verdict = Verdict.INELIGIBLE
    elif unknown:
        verdict = Verdict.NEEDS_DATA
    else:
        verdict = Verdict.ELIGIBLE
    earliest = None
    if decisive and all(f is not None for f in flips):
        earliest = max(f for f in flips if f is not None)
        if _fails_again(protocol, patient, earliest):
            earliest = None  # something that passes today (a window, an age) fails by then
    manual = tuple(r.id for r in reports if r.outcome == "manual" and r.relevant)
    missing = tuple(
        dict.fromkeys(
            m for r in reports if r.outcome == "unknown" and r.relevant for m in r.missing
        )
    )
    return ScreeningResult(
        trial=protocol.nct_id,
        title=protocol.trial.brief_title or protocol.trial.title,
        as_of=as_of,
        patient=patient.id,
        verdict=verdict,
        decisive=tuple(decisive),
        criteria=tuple(reports),
        manual_review=manual,
        missing=missing,
        overridden_pending_review=tuple(dict.fromkeys(pending)),
        earliest_eligible_date=earliest,
        unrecognized=patient.unrecognized,
    )
