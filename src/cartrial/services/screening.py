"""Screen a patient (a FHIR bundle) against one or all bundled protocols."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date
from typing import Any

from pydantic import ValidationError

from cartrial.criteria.protocol import Protocol
from cartrial.domain.patient import Patient
from cartrial.evaluate import ScreeningResult, screen
from cartrial.explain import explain
from cartrial.services.bundled_protocols import load_protocols


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


def explained(result: ScreeningResult, protocol: Protocol | None) -> dict[str, Any]:
    """The result's JSON with ``reason`` (one line, for people) and ``explanation`` (the same,
    structured) beside the machine fields; unchanged fields keep the stable shape."""
    out = result.to_json()
    if protocol is None:  # a trial no longer bundled: the machine fields only
        out["reason"] = ""
        out["explanation"] = None
        return out
    ex = explain(protocol, result)
    out["reason"] = ex.reason
    out["explanation"] = ex.model_dump(mode="json")
    return out


def explained_all(
    results: Iterable[ScreeningResult], protocols: Mapping[str, Protocol] | None = None
) -> list[dict[str, Any]]:
    table = protocols if protocols is not None else load_protocols()
    return [explained(r, table.get(r.trial)) for r in results]


def explained_json(
    rows: Iterable[Mapping[str, Any]], protocols: Mapping[str, Protocol]
) -> list[dict[str, Any]]:
    """Stored result JSON (a saved screening run) with its explanation added."""
    out = []
    for row in rows:
        try:
            result = ScreeningResult.model_validate(dict(row))
        except ValidationError:
            out.append({**row, "reason": "", "explanation": None})
            continue
        out.append(explained(result, protocols.get(result.trial)))
    return out
