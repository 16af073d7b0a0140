"""The conduct tables on both backends (SQLite file, throwaway PostgreSQL cluster): migration
0005 applies, a grade override keeps both values, and the JSON columns round-trip."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import inspect

from cartrial.conduct.service import report_data, trial_board
from cartrial.conduct.store import ConductStore
from cartrial.persistence.db import downgrade, make_engine, session_factory, upgrade
from tests.unit.conduct.helpers import enrol, protocol, set_up

D0 = dt.date(2026, 5, 4)


def test_override_round_trip_on_each_backend(migrated_url: str) -> None:
    engine = make_engine(migrated_url)
    try:
        tables = set(inspect(engine).get_table_names())
        assert {"conduct_adverse_events", "conduct_audit", "conduct_decisions"} <= tables
        sessions = session_factory(engine)
        with sessions.begin() as db:
            store = ConductStore(db, None)
            set_up(store)
            e = enrol(store, "pg-1", level=1, infusion=D0)
            ae = store.record_ae(
                e, term="Immune effector cell-associated neurotoxicity syndrome",
                onset=D0 + dt.timedelta(days=4), observations={"ice_score": 8},
            )  # fmt: skip
            store.confirm_grade(ae.ae_key, investigator_grade=3, reason="seizure witnessed")
            key = ae.ae_key
        with sessions.begin() as db:
            store = ConductStore(db, None)
            versions = store.ae_history(key)
            assert [(v.computed_grade, v.investigator_grade) for v in versions] == [
                (1, None),
                (1, 3),
            ]
            assert versions[0].computed is not None
            assert versions[0].computed["components"]["ice_score"] == 8
            trail = store.audit_trail("NCT05858684", entity_key=key)
            assert trail[-1].action == "override" and trail[-1].reason == "seizure witnessed"
            setup = store.setup("NCT05858684")
            assert setup is not None
            board = trial_board(store, protocol(), setup, D0 + dt.timedelta(days=40))
            assert board.counts.y == (1, 0, 0)  # ICANS grade 3 (investigator) is a DLT
            data = report_data(store, protocol(), setup, D0 + dt.timedelta(days=40))
            assert [a.grade for a in data.aes] == [3]
        downgrade(engine, "0004")
        assert "conduct_adverse_events" not in set(inspect(engine).get_table_names())
        upgrade(engine)
    finally:
        engine.dispose()
