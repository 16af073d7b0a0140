"""A demo conduct dataset (synthetic, written here): one SLE trial set up for BOIN with three
demo dose levels, eight patients infused over the past year with their visits, adverse events
entered as observations, labs arriving as FHIR Observations, kinetics and SLEDAI-2K/DORIS
assessments. Every write goes through :class:`~cartrial.conduct.store.ConductStore`, so the
demo is audited like real entries. Dates are relative to ``today``.

The trial (NCT05858684, GC012F in SLE) states neither dose levels, DLT rules nor FC doses: the
demo labels its dose levels "demo", uses the example DLT rules (labelled as not from a trial)
and enters the FC doses of NCT06464679 at set-up with that source.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Mapping
from typing import Any

from sqlalchemy.orm import Session

from cartrial.conduct.fhir_labs import labs_from_bundle, observation, observation_bundle
from cartrial.conduct.store import ConductStore
from cartrial.criteria.protocol import Protocol
from cartrial.domain.errors import DataError
from cartrial.ingest.fhir import patient_from_bundle
from cartrial.persistence.models import User
from cartrial.persistence.repositories import Patients
from cartrial.schedule.defaults import SEED_FC_REGIMEN

DEMO_TRIAL = "NCT05858684"
DEMO_LEVELS = ("demo dose level 1", "demo dose level 2", "demo dose level 3")
DEMO_REGIMEN = SEED_FC_REGIMEN.model_copy(
    update={
        "source_text": "Demo set-up: the NCT05858684 registry text gives no FC doses; the doses of "
        "NCT06464679 (fludarabine 25 mg/m2/day, cyclophosphamide 300 mg/m2/day, days -5 to -3) "
        "were entered for the demo."
    }
)
# (dose level, days before today of the infusion, CRS observations or None, extra AE)
PATIENTS: tuple[tuple[int, int, dict[str, Any] | None, str | None], ...] = (
    (1, 300, {"temperature_c": 38.6}, None),
    (1, 280, {"temperature_c": 39.0, "hypotension": True}, None),
    (1, 260, {"temperature_c": 39.5, "hypotension": True, "vasopressors_excluding_vasopressin": 1}, "sae"),
    (1, 235, None, None),
    (1, 215, {"temperature_c": 38.4, "oxygen": "low_flow"}, "icans"),
    (1, 200, {"temperature_c": 38.2}, None),
    (2, 120, {"temperature_c": 38.9}, "alt"),
    (2, 100, {"temperature_c": 38.3, "hypotension": True}, None),
)  # fmt: skip
ANC = ((-8, 3.4), (0, 1.9), (3, 0.9), (7, 0.3), (10, 0.6), (14, 1.2), (21, 1.7), (28, 2.1))
CD19 = ((-8, 160.0), (4, 40.0), (7, 3.0), (14, 0.0), (28, 0.0), (84, 0.0), (168, 35.0))
CAR = (
    (2, 800.0),
    (4, 9000.0),
    (7, 42000.0),
    (10, 65000.0),
    (14, 21000.0),
    (28, 2500.0),
    (84, 120.0),
)
IGG = ((-8, 1150.0), (28, 900.0), (84, 780.0), (168, 820.0))
DSDNA = ((-8, 310.0), (28, 160.0), (84, 45.0), (168, 22.0))


def _bundle(i: int, today: dt.date) -> dict[str, Any]:
    pid = f"demo-conduct-{i}"
    born = dt.date(today.year - 28 - 3 * i, 1 + i, 10)
    when = (today - dt.timedelta(days=330)).isoformat()
    ucum = "http://unitsofmeasure.org"

    def obs(n: int, code: str, value: float, unit: str) -> dict[str, Any]:
        return {
            "resourceType": "Observation", "id": f"{pid}-o{n}", "status": "final",
            "code": {"coding": [{"system": "http://loinc.org", "code": code}]},
            "subject": {"reference": f"Patient/{pid}"}, "effectiveDateTime": when,
            "valueQuantity": {"value": value, "unit": unit, "system": ucum, "code": unit},
        }  # fmt: skip

    resources = [
        {"resourceType": "Patient", "id": pid, "gender": "female" if i % 4 else "male",
         "birthDate": born.isoformat()},
        obs(1, "8302-2", 158.0 + 2 * i, "cm"),
        obs(2, "29463-7", 54.0 + 3 * i, "kg"),
        obs(3, "2160-0", 0.7 + 0.03 * i, "mg/dL"),
        {"resourceType": "Condition", "id": f"{pid}-c1", "subject": {"reference": f"Patient/{pid}"},
         "clinicalStatus": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/condition-clinical", "code": "active"}]},
         "code": {"coding": [{"system": "http://snomed.info/sct", "code": "55464009"}]},
         "onsetDateTime": (today - dt.timedelta(days=3000)).isoformat()},
    ]  # fmt: skip
    return {
        "resourceType": "Bundle",
        "type": "collection",
        "entry": [{"fullUrl": f"urn:uuid:{r['id']}", "resource": r} for r in resources],
    }


def _lab_bundle(pid: str, infusion: dt.date, today: dt.date, alt_high: bool) -> dict[str, Any]:
    out: list[dict[str, Any]] = []

    def add(key: str, series: tuple[tuple[int, float], ...], unit: str, **rr: float) -> None:
        for day, value in series:
            when = infusion + dt.timedelta(days=day)
            if when <= today:
                ident = f"{pid}-{key}-{day}".replace("_", "-")
                out.append(observation(key, value, unit, when, ident=ident, subject=pid, **rr))

    add("anc", ANC, "10*9/L", ref_low=1.8, ref_high=7.5)
    add("cd19_abs", CD19, "/uL", ref_low=90.0, ref_high=660.0)
    add("igg", IGG, "mg/dL", ref_low=700.0, ref_high=1600.0)
    add("anti_dsdna", DSDNA, "[IU]/mL", ref_high=30.0)
    alt = ((-8, 22.0), (7, 150.0), (14, 45.0), (21, 30.0)) if alt_high else ((-8, 20.0), (7, 28.0))
    add("alt", alt, "U/L", ref_high=40.0)
    return observation_bundle(pid, out)


def seed_conduct_demo(
    db: Session, user: User | None, protocols: Mapping[str, Protocol], *, today: dt.date
) -> int:
    """Create the demo dataset; returns the number of enrolled patients (0 if the trial is
    already set up for conduct or not in the catalogue)."""
    protocol = protocols.get(DEMO_TRIAL)
    store = ConductStore(db, user)
    if protocol is None or store.setup(DEMO_TRIAL) is not None:
        return 0
    trial = protocol.trial
    store.create_setup(
        trial, design="boin", target=0.3, cohort_size=3, dose_levels=DEMO_LEVELS, n_cohorts=10,
        regimen=DEMO_REGIMEN,
    )  # fmt: skip
    records = Patients(db)
    for i, (level, days_ago, crs, extra) in enumerate(PATIENTS, 1):
        infusion = today - dt.timedelta(days=days_ago)
        bundle = _bundle(i, today)
        record = records.create(
            owner=user, label=f"Demo conduct – SLE {i}", bundle=bundle,
            source_id=f"demo-conduct-{i}", notes="Synthetic patient of the conduct demo.",
        )  # fmt: skip
        e = store.enrol(
            trial, record, patient_from_bundle(bundle), dose_level=level,
            planned_infusion=infusion, enrolled_on=infusion - dt.timedelta(days=30),
        )  # fmt: skip
        for ev in e.course["events"]:
            when = dt.date.fromisoformat(ev["date"])
            if ev["kind"] not in ("lymphodepletion", "infusion", "visit") or when > today:
                continue
            if ev["key"].endswith("d7") and i == 2:
                when += dt.timedelta(days=2)  # one visit out of its window
            store.mark_visit(e, ev["key"], status="done", visit_date=when)
        labs, _ = labs_from_bundle(
            _lab_bundle(f"demo-conduct-{i}", infusion, today, extra == "alt"), bundle["entry"][0]["resource"]
        )  # fmt: skip
        store.add_labs(e, labs, source="fhir")
        car = [("car_copies", v, "copies/ug DNA", infusion + dt.timedelta(days=d), None, None, None)
               for d, v in CAR if infusion + dt.timedelta(days=d) <= today]  # fmt: skip
        store.add_labs(e, car, source="form")
        if crs is not None:
            grade3 = crs.get("vasopressors_excluding_vasopressin")
            store.record_ae(
                e, term="Cytokine release syndrome", onset=infusion + dt.timedelta(days=2),
                resolution=infusion + dt.timedelta(days=6 if grade3 else 4), observations=crs,
                serious=extra == "sae", related_car="definite", related_ld="unlikely",
                action="treatment_given", outcome="recovered",
            )  # fmt: skip
        if extra == "icans":
            store.record_ae(
                e, term="Immune effector cell-associated neurotoxicity syndrome",
                onset=infusion + dt.timedelta(days=5), resolution=infusion + dt.timedelta(days=7),
                observations={"ice_score": 8}, related_car="probable", outcome="recovered",
            )  # fmt: skip
        with contextlib.suppress(DataError):  # an ANC series that grades 0 is no ICAHT
            store.record_ae(
                e, term="Immune effector cell-associated hematotoxicity",
                onset=infusion + dt.timedelta(days=3), resolution=infusion + dt.timedelta(days=14),
                related_car="possible", related_ld="probable", outcome="recovered",
            )  # fmt: skip
        base = ["arthritis", "rash", "proteinuria", "low_complement", "increased_dna_binding"]
        visits = {ev["key"]: ev for ev in e.course["events"]}
        plan: tuple[tuple[str, list[str], float | None], ...] = (
            ("screening", base, None),
            ("visit-efficacy-efficacy-w4", ["proteinuria", "low_complement"], None),
            ("visit-efficacy-efficacy-w12", ["low_complement"], None),
            ("visit-follow-up-follow-up-w24", [], 0.3),
        )
        for key, descriptors, pga in plan:
            ev = visits.get(key)
            if ev is None:
                continue
            when = dt.date.fromisoformat(ev["date"]) + (
                dt.timedelta(days=-10) if key == "screening" else dt.timedelta()
            )
            if when > today:
                continue
            store.record_efficacy(e, visit_key=key, instrument="sledai_2k", assessed_on=when,
                                  items={"descriptors": descriptors})  # fmt: skip
            if pga is not None:
                clinical = len(
                    [d for d in descriptors if d not in ("low_complement", "increased_dna_binding")]
                )
                store.record_efficacy(
                    e, visit_key=key, instrument="doris_remission", assessed_on=when,
                    items={"clinical_sledai": clinical, "pga": pga, "prednisolone_mg_day": 5.0},
                )  # fmt: skip
    return len(PATIENTS)
