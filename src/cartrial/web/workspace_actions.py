"""Use cases of the coordinators' workspace shared by its pages and its API.

Every function works inside the caller's transaction and writes the audit entry that goes with
the action, so a record change and its audit line are stored together or not at all.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy.orm import Session

from cartrial.domain.patient import Patient
from cartrial.persistence.models import PatientRecord, User
from cartrial.persistence.repositories import Audit, Patients, Run, Screenings
from cartrial.services.screening import screen_patient
from cartrial.web.bodies import bundle_to_patient
from cartrial.web.catalog import Catalog
from cartrial.web.diff import RunDiff, diff_runs


def default_label(patient: Patient) -> str:
    return f"Patient {patient.id}"


def import_bundle(
    db: Session,
    user: User,
    data: dict[str, Any],
    *,
    label: str | None,
    via: str,
) -> PatientRecord:
    """Validate the bundle (a Patient must come out of it) and store it as a new record."""
    patient = bundle_to_patient(data)
    record = Patients(db).create(
        owner=user,
        label=(label or "").strip() or default_label(patient),
        bundle=data,
        source_id=patient.id,
    )
    Audit(db).record(user, "create", record.id, f"imported a FHIR bundle ({via})")
    return record


def replace_bundle(
    db: Session,
    user: User,
    record: PatientRecord,
    data: dict[str, Any],
    *,
    via: str,
) -> list[str]:
    patient = bundle_to_patient(data)
    changed = Patients(db).update(record, bundle=data, source_id=patient.id)
    if changed:
        Audit(db).record(user, "update", record.id, f"replaced the FHIR bundle ({via})")
    return changed


def screen_record(
    db: Session,
    catalog: Catalog,
    record: PatientRecord,
    user: User,
    *,
    as_of: date,
    trial_ids: list[str] | None = None,
    via: str,
) -> Run:
    """Screen the stored bundle against the bundled trials and save the run."""
    patient = bundle_to_patient(record.bundle)
    results = screen_patient(
        patient, as_of=as_of, protocols=catalog.protocols.values(), trial_ids=trial_ids
    )
    screenings = Screenings(db)
    run_id = screenings.add_run(record, [r.to_json() for r in results], catalog.hashes, user)
    Audit(db).record(user, "create", record.id, f"saved a screening run ({via})")
    run = screenings.run(run_id)
    assert run is not None
    return run


def run_with_diff(db: Session, run: Run) -> RunDiff | None:
    previous = Screenings(db).previous(run)
    return diff_runs(previous, run) if previous else None


def record_json(record: PatientRecord) -> dict[str, Any]:
    return {
        "id": record.id,
        "label": record.label,
        "source_id": record.source_id,
        "version": record.version,
        "notes": record.notes,
        "owner_id": record.owner_id,
        "created_at": record.created_at.isoformat(),
        "updated_at": record.updated_at.isoformat(),
    }


def run_json(run: Run, diff: RunDiff | None, *, full: bool = True) -> dict[str, Any]:
    out: dict[str, Any] = {
        "run_id": run.run_id,
        "patient_id": run.patient_id,
        "created_at": run.created_at.isoformat(),
        "as_of": run.as_of.isoformat(),
        "patient_version": run.patient_version,
        "verdicts": {r.trial_id: r.verdict for r in run.rows},
        "protocol_versions": {r.trial_id: r.protocol_hash for r in run.rows},
    }
    if full:
        out["results"] = [r.result for r in run.rows]
        out["changes"] = diff.to_json() if diff else None
    return out


def patient_overview(patient: Patient, as_of: date) -> dict[str, Any]:
    """What the record holds, for the patient page (latest value per observed concept)."""
    latest: dict[str, Any] = {}
    for obs in sorted(patient.observations, key=lambda o: o.effective, reverse=True):
        latest.setdefault(obs.concept, obs)
    return {
        "id": patient.id,
        "age": patient.age_on(as_of),
        "birth_date": patient.birth_date,
        "sex": patient.sex.value,
        "conditions": list(patient.conditions),
        "observations": [latest[k] for k in sorted(latest)],
        "observation_count": len(patient.observations),
        "medications": sorted(patient.medications, key=lambda m: m.start or date.min, reverse=True),
        "immunizations": list(patient.immunizations),
        "procedures": list(patient.procedures),
        "unrecognized": list(patient.unrecognized),
    }
