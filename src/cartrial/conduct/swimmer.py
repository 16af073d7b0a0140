"""Swimmer lanes from the report rows: days on study, AEs by grade, responses, DLTs."""

from __future__ import annotations

from cartrial.conduct.plots import Lane
from cartrial.conduct.report import ReportData, safety_population, teaes

RESPONSE_CATEGORIES = ("remission", "responder", "response", "lldas", "complete")
"""Efficacy categories drawn as responses (matched case-insensitively, not 'no ...'/'non')."""


def _is_response(category: str | None) -> bool:
    if not category:
        return False
    text = category.lower()
    if text.startswith(("no ", "not ", "non")):
        return False
    return any(word in text for word in RESPONSE_CATEGORIES)


def lanes_from_report(data: ReportData) -> list[Lane]:
    events = teaes(data)
    lanes = []
    for s in safety_population(data):
        assert s.infusion is not None
        last = max(s.last_contact or s.infusion, s.infusion)
        aes = tuple(
            ((ae.onset - s.infusion).days, ae.grade, ae.term)
            for ae in events
            if ae.subject == s.subject
        )
        responses = tuple(
            ((e.assessed_on - s.infusion).days, e.category or "")
            for e in data.efficacy
            if e.subject == s.subject and e.assessed_on <= data.cut and _is_response(e.category)
        )
        lanes.append(
            Lane(
                subject=s.subject,
                dose_level=s.dose_level,
                days_on_study=(min(data.cut, last) - s.infusion).days,
                events=aes,
                responses=responses,
                dlt=s.dlt_status == "dlt",
            )
        )
    return lanes
