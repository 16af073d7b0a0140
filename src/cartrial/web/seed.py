"""First start: create the admin user and load the demo patients into the workspace.

Runs at every start but acts once: the admin is created only when there is no user at all
(its password is printed once, or taken from ``CARTRIAL_ADMIN_PASSWORD``); the demo patients
are imported only if the ``demo_seeded`` marker is absent, so deleting them later sticks.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from datetime import date
from pathlib import Path

from sqlalchemy.orm import Session, sessionmaker

from cartrial.domain.errors import DataError
from cartrial.ingest.fhir import patient_from_bundle
from cartrial.persistence.auth import new_password
from cartrial.persistence.models import User
from cartrial.persistence.repositories import Audit, Meta, Patients, Screenings, Users
from cartrial.services.bundled_protocols import examples_dir
from cartrial.services.screening import screen_patient
from cartrial.web.catalog import Catalog
from cartrial.web.settings import Settings

log = logging.getLogger("cartrial.web")


def seed_first_start(
    sessions: sessionmaker[Session],
    settings: Settings,
    catalog: Catalog,
    *,
    today: date,
    say: Callable[[str], None],
) -> None:
    with sessions.begin() as db:
        users = Users(db)
        admin: User | None = None
        if users.count() == 0:
            given = settings.admin_password.get_secret_value() if settings.admin_password else ""
            password = given or new_password()
            admin = users.create(settings.admin_username, password, "admin")
            if given:
                say(
                    f"cartrial: created admin user {admin.username!r} with the password from "
                    "CARTRIAL_ADMIN_PASSWORD"
                )
            else:
                say(
                    f"cartrial: created admin user {admin.username!r} with password {password}\n"
                    "          (shown once: note it now; add users with `cartrial users add`)"
                )
        meta = Meta(db)
        if not settings.seed_demo or meta.get("demo_seeded") is not None:
            return
        admin = admin or users.by_username(settings.admin_username)
        folder = (settings.examples_dir or examples_dir()) / "patients"
        count = _import_demo_patients(db, folder, admin, catalog, today)
        meta.set("demo_seeded", today.isoformat())
        if count:
            say(f"cartrial: loaded {count} demo patients into the workspace")


def _import_demo_patients(
    db: Session,
    folder: Path,
    owner: User | None,
    catalog: Catalog,
    today: date,
) -> int:
    patients, screenings, audit = Patients(db), Screenings(db), Audit(db)
    count = 0
    for file in sorted(folder.glob("*.json")) if folder.is_dir() else []:
        try:
            data = json.loads(file.read_text(encoding="utf-8"))
            patient = patient_from_bundle(data)
        except (OSError, ValueError, DataError) as exc:
            log.warning("demo bundle %s skipped: %s", file.name, type(exc).__name__)
            continue
        record = patients.create(
            owner=owner,
            label=f"Demo – {file.stem}",
            bundle=data,
            source_id=patient.id,
            notes="Demo patient loaded at first start.",
        )
        audit.record(owner, "create", record.id, "demo patient loaded at first start")
        results = screen_patient(patient, as_of=today, protocols=catalog.protocols.values())
        screenings.add_run(record, [r.to_json() for r in results], catalog.hashes, owner)
        count += 1
    return count
