"""Screen a patient (a FHIR bundle) against one or all bundled protocols."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from cartrial.criteria.protocol import Protocol
from cartrial.domain.patient import Patient
from cartrial.evaluate import ScreeningResult, screen
from cartrial.services.catalog import load_protocols


def screen_patient(
    patient: Patient,
    *,
    as_of: date,
    protocols: Iterable[Protocol] | None = None,
    trial_ids: Iterable[str] | None = None,
) -> list[ScreeningResult]:
    """One result per protocol, in NCT order; ``as_of`` is explicit (no hidden clock)."""
    chosen = list(protocols) if protocols is not None else list(load_protocols().values())
    if trial_ids is not None:
        wanted = {t.strip().upper() for t in trial_ids}
        chosen = [p for p in chosen if p.nct_id in wanted]
    return [screen(p, patient, as_of=as_of) for p in chosen]
