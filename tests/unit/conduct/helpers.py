"""A migrated SQLite database per test and a trial set up for conduct, for the conduct tests."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from cartrial.conduct.store import ConductStore
from cartrial.criteria.protocol import Protocol
from cartrial.ingest.fhir import patient_from_bundle
from cartrial.persistence.conduct_models import Enrolment
from cartrial.persistence.db import make_engine, session_factory, upgrade
from cartrial.persistence.repositories import Patients
from cartrial.schedule.defaults import SEED_FC_REGIMEN
from cartrial.services.bundled_protocols import load_protocols
from tests.support.fhir_builder import BundleBuilder

TRIAL = "NCT05858684"
REGIMEN = SEED_FC_REGIMEN.model_copy(update={"source_text": "test: doses of NCT06464679"})


def session(tmp_path: Path) -> Iterator[Session]:
    engine = make_engine(f"sqlite:///{tmp_path / 'conduct.db'}")
    upgrade(engine)
    db = session_factory(engine)()
    try:
        yield db
    finally:
        db.close()
        engine.dispose()


def protocol() -> Protocol:
    return load_protocols()[TRIAL]


def bundle(pid: str, *, birth: str = "1985-04-02", sex: str = "female") -> dict[str, Any]:
    b = BundleBuilder(pid, birth=birth, gender=sex)
    b.condition("sle", "2015-03-01")
    b.lab("body_height", 165, "cm", "2025-01-10")
    b.lab("body_weight", 60, "kg", "2025-01-10")
    b.lab("creatinine", 0.8, "mg/dL", "2025-01-10")
    return b.build()


def set_up(store: ConductStore, levels: int = 3) -> None:
    store.create_setup(
        protocol().trial,
        design="boin",
        target=0.3,
        cohort_size=3,
        dose_levels=[f"level {i}" for i in range(1, levels + 1)],
        regimen=REGIMEN,
    )


def enrol(
    store: ConductStore, pid: str, *, level: int, infusion: dt.date, infused: bool = True
) -> Enrolment:
    data = bundle(pid)
    record = Patients(store.db).create(owner=None, label=pid, bundle=data)
    e = store.enrol(
        protocol().trial,
        record,
        patient_from_bundle(data),
        dose_level=level,
        planned_infusion=infusion,
        enrolled_on=infusion - dt.timedelta(days=20),
    )
    if infused:
        store.mark_visit(e, "infusion", status="done", visit_date=infusion)
    return e
