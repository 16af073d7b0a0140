"""Conduct records: grades computed from observations, overrides keeping both values, visits
out of window, labs from FHIR graded at once, decisions reproducible from their snapshot."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from cartrial.conduct.board import board_from_snapshot, decide_snapshot, snapshot
from cartrial.conduct.fhir_labs import labs_from_bundle, observation, observation_bundle
from cartrial.conduct.service import trial_board
from cartrial.conduct.store import ConductStore
from cartrial.domain.errors import DataError
from cartrial.persistence.conduct_models import AdverseEventVersion, ConductAudit, VisitMark
from tests.unit.conduct.helpers import bundle, enrol, protocol, session, set_up

D0 = dt.date(2026, 3, 2)


@pytest.fixture
def db(tmp_path: Path) -> Iterator[Session]:
    yield from session(tmp_path)


@pytest.fixture
def store(db: Session) -> ConductStore:
    s = ConductStore(db, None)
    set_up(s)
    return s


def test_crs_grade_from_observations_with_components(store: ConductStore) -> None:
    e = enrol(store, "a", level=1, infusion=D0)
    ae = store.record_ae(
        e, term="Cytokine release syndrome", onset=D0 + dt.timedelta(days=2),
        observations={"temperature_c": 39.2, "hypotension": True},
    )  # fmt: skip
    assert ae.computed_grade == 2 and ae.investigator_grade is None
    assert ae.grade_status == "computed" and ae.scale == "astct" and ae.category == "crs"
    assert ae.computed is not None and ae.computed["components"]["hypotension_grade"] == 2
    icans = store.record_ae(
        e, term="Immune effector cell-associated neurotoxicity syndrome", onset=D0,
        observations={"ice_score": 5},
    )  # fmt: skip
    assert icans.computed_grade == 2  # ICE 3-6 -> grade 2


def test_bad_observation_names_the_field_and_writes_nothing(
    store: ConductStore, db: Session
) -> None:
    e = enrol(store, "a", level=1, infusion=D0)
    before = db.scalar(select(func.count()).select_from(AdverseEventVersion))
    with pytest.raises(DataError, match="temperature_c"):
        store.record_ae(e, term="Cytokine release syndrome", onset=D0,
                        observations={"temperature_c": 51.0})  # fmt: skip
    with pytest.raises(DataError, match="enter the grade"):
        store.record_ae(e, term="Fatigue", onset=D0)
    with pytest.raises(DataError, match="not in the AE term list"):
        store.record_ae(e, term="Made-up term", onset=D0, investigator_grade=2)
    assert db.scalar(select(func.count()).select_from(AdverseEventVersion)) == before


def test_override_keeps_both_grades_in_versions_and_audit(store: ConductStore, db: Session) -> None:
    e = enrol(store, "a", level=1, infusion=D0)
    ae = store.record_ae(e, term="Cytokine release syndrome", onset=D0,
                         observations={"temperature_c": 38.7})  # fmt: skip
    assert ae.computed_grade == 1
    with pytest.raises(DataError, match="reason"):
        store.confirm_grade(ae.ae_key, investigator_grade=2)
    new = store.confirm_grade(ae.ae_key, investigator_grade=2, reason="rigors, IV fluids given")
    assert (new.version, new.computed_grade, new.investigator_grade) == (2, 1, 2)
    assert new.grade_status == "overridden" and new.grade == 2
    history = store.ae_history(ae.ae_key)
    assert [(v.version, v.computed_grade, v.investigator_grade) for v in history] == [
        (1, 1, None),
        (2, 1, 2),
    ]
    trail = store.audit_trail(e.trial_id, entity_key=ae.ae_key)
    assert [a.action for a in trail] == ["create", "override"]
    override = trail[-1]
    assert override.reason == "rigors, IV fluids given"
    assert override.before is not None and override.after is not None
    assert (override.before["computed_grade"], override.before["investigator_grade"]) == (1, None)
    assert (override.after["computed_grade"], override.after["investigator_grade"]) == (1, 2)
    same = store.confirm_grade(ae.ae_key, investigator_grade=1)
    assert same.grade_status == "confirmed" and same.version == 3
    assert db.scalar(select(func.count()).select_from(ConductAudit).where(
        ConductAudit.entity_key == ae.ae_key)) == 3  # fmt: skip


def test_visit_out_of_window_and_correction_needs_reason(store: ConductStore, db: Session) -> None:
    e = enrol(store, "a", level=1, infusion=D0)
    d7 = next(v for v in store.visits(e) if v.kind == "visit" and v.day == 7)
    ok = store.mark_visit(e, d7.key, status="done", visit_date=d7.window_end)
    assert not ok.out_of_window
    with pytest.raises(DataError, match="reason"):
        store.mark_visit(e, d7.key, status="done", visit_date=d7.window_end + dt.timedelta(days=1))
    late = store.mark_visit(e, d7.key, status="done",
                            visit_date=d7.window_end + dt.timedelta(days=1), reason="typo")  # fmt: skip
    assert late.out_of_window and late.supersedes_id == ok.id
    assert db.scalar(select(func.count()).select_from(VisitMark).where(
        VisitMark.visit_key == d7.key)) == 2  # fmt: skip  # nothing overwritten


def test_fhir_labs_converted_and_graded_at_once(store: ConductStore) -> None:
    e = enrol(store, "a", level=1, infusion=D0)
    obs = [
        observation("anc", 3200, "/uL", D0 - dt.timedelta(days=8), ident="o1", subject="a",
                    ref_low=1800, ref_high=7500),
        observation("anc", 900, "/uL", D0 + dt.timedelta(days=3), ident="o2", subject="a",
                    ref_low=1800, ref_high=7500),
        observation("anc", 300, "/uL", D0 + dt.timedelta(days=7), ident="o3", subject="a",
                    ref_low=1800, ref_high=7500),
        observation("anc", 2100, "/uL", D0 + dt.timedelta(days=21), ident="o4", subject="a",
                    ref_low=1800, ref_high=7500),
    ]  # fmt: skip
    patient = bundle("a")["entry"][0]["resource"]
    labs, skipped = labs_from_bundle(observation_bundle("a", obs), patient)
    assert skipped == []
    assert [(a, round(v, 3), u) for a, v, u, *_ in labs][:2] == [
        ("anc", 3.2, "10*9/L"),
        ("anc", 0.9, "10*9/L"),
    ]  # /uL converted to the canonical 10*9/L by the FHIR ingest
    store.add_labs(e, labs, source="fhir")
    aes = [a for a in store.current_aes([e.id]) if a.term == "Neutrophil count decreased"]
    assert len(aes) == 1  # opened at day 3 (grade 3), raised at day 7 (grade 4), resolved day 21
    ae = aes[0]
    assert ae.onset == D0 + dt.timedelta(days=3) and ae.computed_grade == 4
    assert ae.resolution == D0 + dt.timedelta(days=21) and ae.source == "lab"
    assert [v.computed_grade for v in store.ae_history(ae.ae_key)] == [3, 4, 4]
    icaht = store.record_ae(e, term="Immune effector cell-associated hematotoxicity", onset=D0)
    assert icaht.observations["anc_per_ul_by_day"]["7"] == 300.0
    assert icaht.computed_grade is not None and icaht.computed_grade >= 1
    other = observation_bundle("b", [observation("anc", 1, "10*9/L", D0, ident="x", subject="b")])
    other["entry"].insert(0, {"resource": {"resourceType": "Patient", "id": "b"}})
    with pytest.raises(DataError, match="another patient"):
        labs_from_bundle(other, patient)


def test_board_decision_reproducible_from_snapshot(store: ConductStore) -> None:
    as_of = D0 + dt.timedelta(days=120)
    for i in range(3):
        enrol(store, f"l1-{i}", level=1, infusion=D0 + dt.timedelta(days=i))
    e = enrol(store, "l2-0", level=2, infusion=D0 + dt.timedelta(days=40))
    board = trial_board(store, protocol(), store.setup("NCT05858684"), as_of)
    assert board.counts.n == (3, 1, 0) and board.current_level == 2
    assert board.decision is not None and board.decision.action.label == "escalate"
    data = json.loads(json.dumps(snapshot(board)))
    store.record_ae(e, term="Cytokine release syndrome", onset=D0 + dt.timedelta(days=42),
                    observations={"temperature_c": 39.5, "vasopressors_excluding_vasopressin": 1})  # fmt: skip
    after = trial_board(store, protocol(), store.setup("NCT05858684"), as_of)
    assert after.counts.y == (0, 1, 0)
    assert after.decision is not None and after.decision.action.label == "de-escalate"
    again = decide_snapshot(data)  # the stored snapshot still gives the decision of its day
    assert again is not None and again.to_dict() == board.decision.to_dict()
    assert board_from_snapshot(data).counts == board.counts
    assert "not from a trial" in board.definition_label


def test_enrolment_records_the_decision_and_whether_it_was_followed(store: ConductStore) -> None:
    for i in range(3):
        enrol(store, f"l1-{i}", level=1, infusion=D0 + dt.timedelta(days=i))
    as_of = D0 + dt.timedelta(days=60)
    board = trial_board(store, protocol(), store.setup("NCT05858684"), as_of)
    assert board.decision is not None and board.decision.next_level == 2
    record = store.record_decision(
        "NCT05858684", as_of=as_of, design="boin", snapshot=snapshot(board),
        decision=board.decision.to_dict(),
    )  # fmt: skip
    from cartrial.ingest.fhir import patient_from_bundle
    from cartrial.persistence.repositories import Patients

    data = bundle("next")
    patient = Patients(store.db).create(owner=None, label="next", bundle=data)
    e = store.enrol(
        protocol().trial, patient, patient_from_bundle(data), dose_level=1,
        planned_infusion=as_of + dt.timedelta(days=10), enrolled_on=as_of, decision=record,
    )  # fmt: skip
    assert e.decision_id == record.id and e.accepted_by == "system"
    created = store.audit_trail("NCT05858684", entity_key=e.subject_code)[0]
    assert created.after is not None
    assert (created.after["decided_level"], created.after["follows_decision"]) == (2, False)
