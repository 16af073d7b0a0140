"""Shared plumbing for the patient vignettes (issue 2, "Must show").

Every vignette is a small clinical story: a synthetic FHIR R4 bundle built with
:class:`~tests.support.fhir_builder.BundleBuilder`, read through the real FHIR ingest
(:func:`cartrial.ingest.fhir.patient_from_bundle`) and screened against a bundled protocol
(``trials/NCT*.yaml``) on the fixed screening date :data:`AS_OF`.

Expected values are worked out by hand from the protocol's words and the published formulas
(never copied from the program's output); the arithmetic is written next to each assertion.

Dates used throughout
---------------------
* ``AS_OF`` = 2026-11-22 (the screening date).
* The default look-back for labs/observations/scores is the 28-day screening window, which
  opens on 2026-11-22 - 28 days = **2026-10-25** (:data:`WINDOW_OPENS`).
* ``LAB_DAY`` (2026-11-12) lies inside that window.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta
from typing import Any

from cartrial.evaluate import Verdict, screen
from cartrial.evaluate.screening import CriterionReport, ScreeningResult
from cartrial.ingest.fhir import patient_from_bundle
from cartrial.services.bundled_protocols import get_protocol
from tests.support.fhir_builder import BundleBuilder

AS_OF = date(2026, 11, 22)
WINDOW_OPENS = AS_OF - timedelta(days=28)  # 2026-10-25
assert date(2026, 10, 25) == WINDOW_OPENS
LAB_DAY = "2026-11-12"

ELIGIBLE = Verdict.ELIGIBLE
INELIGIBLE = Verdict.INELIGIBLE
NEEDS_DATA = Verdict.NEEDS_DATA

__all__ = [
    "AS_OF",
    "ELIGIBLE",
    "INELIGIBLE",
    "LAB_DAY",
    "NEEDS_DATA",
    "WINDOW_OPENS",
    "BundleBuilder",
    "check",
    "crit",
    "missing_for",
    "outcome",
    "run",
]


def run(nct_id: str, builder: BundleBuilder, *, as_of: date = AS_OF) -> ScreeningResult:
    """Bundle -> FHIR ingest -> screen against the bundled protocol ``nct_id``."""
    patient = patient_from_bundle(builder.build())
    return screen(get_protocol(nct_id), patient, as_of=as_of)


def crit(res: ScreeningResult, cid: str) -> CriterionReport:
    """The flattened report of one criterion (any depth) by its id."""
    found = [c for c in res.criteria if c.id == cid]
    assert found, f"criterion {cid!r} not in the result of {res.trial}"
    assert len(found) == 1, f"criterion id {cid!r} is not unique in {res.trial}"
    return found[0]


def outcome(res: ScreeningResult, cid: str) -> str:
    """pass / fail / unknown / manual, read from the patient's side."""
    return crit(res, cid).outcome


def check(
    res: ScreeningResult,
    verdict: Verdict,
    decisive: Iterable[str] = (),
    *,
    manual: Iterable[str] | None = None,
    settled_by_data: Iterable[str] = (),
    earliest: date | None | Any = ...,
) -> None:
    """Assert the verdict, the exact set of decisive criteria, and optionally more.

    ``manual``: the exact set of ManualReview ids listed for the investigator - the items whose
    assumed answer could still change this patient's verdict.
    ``settled_by_data``: ManualReview ids removed from ``manual`` and asserted NOT listed, because
    data alone already settle the branch they sit in (a cohort the patient is not in, a lab that
    passes on its own value), so their assumed answer cannot change the verdict.
    ``earliest``: the exact ``earliest_eligible_date`` (``None`` = none reported).
    """
    detail = _explain(res)
    assert res.verdict is verdict, f"verdict {res.verdict} != {verdict}\n{detail}"
    expected = set(decisive)
    assert set(res.decisive) == expected, (
        f"decisive {sorted(res.decisive)} != {sorted(expected)}\n{detail}"
    )
    assert len(res.decisive) == len(set(res.decisive)), "a decisive criterion is listed twice"
    if verdict is not INELIGIBLE:
        assert res.decisive == ()
    if manual is not None:
        got, want = set(res.manual_review), set(manual) - set(settled_by_data)
        assert got == want, (
            f"manual review: unexpected {sorted(got - want)}, absent {sorted(want - got)}"
        )
    if earliest is not ...:
        assert res.earliest_eligible_date == earliest, (
            f"earliest eligible date {res.earliest_eligible_date} != {earliest}"
        )


def missing_for(res: ScreeningResult, what: str) -> list[str]:
    """The entries of ``res.missing`` that start with ``what`` (e.g. ``"alt (U/L)"``)."""
    return [m for m in res.missing if m.startswith(what)]


def _explain(res: ScreeningResult) -> str:
    lines = [f"{res.trial} {res.verdict} decisive={list(res.decisive)} missing={list(res.missing)}"]
    for c in res.criteria:
        if c.outcome in ("fail", "unknown") and c.relevant:
            lines.append(f"  {'  ' * c.depth}{c.id}: {c.outcome} - {c.reason}")
    return "\n".join(lines)
