"""The safety report's TEAE table for a synthetic cohort of 36 patients, stored through the
conduct store, equals an independent pandas group-by over the generating data."""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest
from sqlalchemy.orm import Session

from cartrial.conduct.report import teae_table
from cartrial.conduct.service import report_data
from cartrial.conduct.store import ConductStore
from tests.unit.conduct.helpers import enrol, protocol, session, set_up

CUT = dt.date(2026, 6, 30)
# ASTCT 2019 (Lee 2019, Table 2): fever alone 1; hypotension without vasopressor 2; one
# vasopressor 3; two vasopressors (excluding vasopressin) 4.
CRS_SCENARIOS = (
    ({"temperature_c": 38.6}, 1),
    ({"temperature_c": 39.1, "hypotension": True}, 2),
    ({"temperature_c": 39.4, "vasopressors_excluding_vasopressin": 1}, 3),
    ({"temperature_c": 39.8, "vasopressors_excluding_vasopressin": 2}, 4),
)
ENTERED_TERMS = ("Fatigue", "Headache", "Nausea", "Upper respiratory infection", "Hypotension")


@pytest.fixture
def db(tmp_path: Path) -> Iterator[Session]:
    yield from session(tmp_path)


def test_teae_table_equals_pandas_groupby(db: Session) -> None:
    rng = random.Random(17)
    store = ConductStore(db, None)
    set_up(store)
    rows: list[dict[str, object]] = []  # what the test wrote: the independent truth
    subjects: list[dict[str, object]] = []
    for i in range(36):
        level = i % 3 + 1
        infusion = dt.date(2026, 1, 10) + dt.timedelta(days=4 * i)
        infused = i % 9 != 8  # four patients never infused: not in the safety population
        e = enrol(store, f"p{i}", level=level, infusion=infusion, infused=infused)
        ld_start = infusion - dt.timedelta(days=5)
        subjects.append(
            {"subject": e.subject_code, "level": level, "infusion": infusion if infused else None}
        )
        for _ in range(rng.randint(0, 4)):
            onset = infusion + dt.timedelta(days=rng.randint(-12, 60))
            if rng.random() < 0.4:
                obs, grade = rng.choice(CRS_SCENARIOS)
                override = rng.random() < 0.25
                inv = (grade % 4) + 1 if override else None
                store.record_ae(
                    e, term="Cytokine release syndrome", onset=onset, observations=obs,
                    investigator_grade=inv, override_reason="clinical judgement" if override else "",
                )  # fmt: skip
                term, final = "Cytokine release syndrome", inv if inv is not None else grade
            else:
                term, final = rng.choice(ENTERED_TERMS), rng.randint(1, 5)
                store.record_ae(e, term=term, onset=onset, investigator_grade=final)
            rows.append(
                {"subject": e.subject_code, "level": level, "term": term, "grade": final,
                 "onset": onset, "ld_start": ld_start}
            )  # fmt: skip
    db.commit()
    assert len(subjects) >= 30

    got = pd.DataFrame(teae_table(report_data(store, protocol(), store.setup("NCT05858684"), CUT)))

    subj = pd.DataFrame(subjects)
    safety = subj[subj["infusion"].notna() & (subj["infusion"] <= CUT)]
    ae = pd.DataFrame(rows)
    ae = ae[ae["subject"].isin(safety["subject"])]
    ae = ae[(ae["onset"] >= ae["ld_start"]) & (ae["onset"] <= CUT)]
    per_term = ae.groupby(["term", "subject", "level"], as_index=False)["grade"].max()
    per_any = (
        ae.groupby(["subject", "level"], as_index=False)["grade"].max().assign(term="Any TEAE")
    )
    worst = pd.concat([per_term, per_any])
    n_by_level = safety.groupby("level")["subject"].count().to_dict()
    expected = []
    for term in ["Any TEAE", *sorted(per_term["term"].unique())]:
        for level in (1, 2, 3, "all"):
            sel = worst[(worst["term"] == term) & ((worst["level"] == level) | (level == "all"))]
            n_total = len(safety) if level == "all" else n_by_level.get(level, 0)
            counts = sel["grade"].value_counts().to_dict()
            expected.append(
                {"term": term, "dose_level": level, "N": n_total, "n": len(sel),
                 **{f"grade_{g}": counts.get(g, 0) for g in range(1, 6)}}
            )  # fmt: skip
    want = pd.DataFrame(expected)
    got_terms = set(got["term"])
    assert got_terms == set(want["term"])
    cols = ["term", "dose_level", "N", "n", *[f"grade_{g}" for g in range(1, 6)]]
    key = ["term", "dose_level"]
    got_cmp = got[cols].astype({"dose_level": str}).sort_values(key).reset_index(drop=True)
    want_cmp = want[cols].astype({"dose_level": str}).sort_values(key).reset_index(drop=True)
    pd.testing.assert_frame_equal(got_cmp, want_cmp, check_dtype=False)
    # and the percentages are n / N
    for row in teae_table(report_data(store, protocol(), store.setup("NCT05858684"), CUT)):
        if row["N"]:
            assert row["pct"] == round(100 * row["n"] / row["N"], 1)
    assert got.loc[got["term"] == "Any TEAE", "n"].max() > 0
