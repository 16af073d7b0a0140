"""DLT assessment against a declared DLT definition, and counts for the escalation design."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from pydantic import ValidationError

from cartrial.criteria.protocol import DltDefinition, DltRule
from cartrial.designs import Action, Boin
from cartrial.domain.errors import DataError
from cartrial.schedule import (
    EXAMPLE_DLT_DEFINITION as DEF,
)
from cartrial.schedule import (
    AdverseEvent,
    DltAssessment,
    DltStatus,
    assess_dlt,
    dlt_counts_by_dose,
)

D0 = dt.date(2027, 3, 1)
AFTER_WINDOW = dt.date(2027, 4, 15)


def _ae(
    term: str,
    grade: int,
    onset: dt.date | dt.datetime,
    resolution: dt.date | dt.datetime | None = None,
    **kw: Any,
) -> AdverseEvent:
    return AdverseEvent(term=term, grade=grade, onset=onset, resolution=resolution, **kw)


def _assess(*events: AdverseEvent, as_of: dt.date = AFTER_WINDOW) -> DltAssessment:
    return assess_dlt(DEF, events, infusion_date=D0, as_of=as_of)


def test_crs_grade_3_astct_is_a_dlt() -> None:
    a = _assess(
        _ae(
            "cytokine release syndrome",
            3,
            dt.date(2027, 3, 3),
            dt.date(2027, 3, 5),
            category="crs",
            scale="astct",
        )
    )
    assert a.dlt and a.status is DltStatus.DLT
    assert [h.rule_id for h in a.fired] == ["crs-3"]


def test_crs_grade_2_is_not_and_window_complete_gives_no_dlt() -> None:
    a = _assess(
        _ae("CRS", 2, dt.date(2027, 3, 3), dt.date(2027, 3, 5), category="crs", scale="astct")
    )
    assert a.status is DltStatus.NO_DLT and not a.fired


def test_icans_graded_on_ctcae_does_not_match_an_astct_rule() -> None:
    a = _assess(
        _ae(
            "ICANS", 3, dt.date(2027, 3, 6), dt.date(2027, 3, 7), category="icans", scale="ctcae_v5"
        )
    )
    assert not a.dlt


def test_non_haematological_duration_strictly_over_72_hours() -> None:
    onset = dt.datetime(2027, 3, 5, 8, 0)
    exactly_72 = _ae(
        "hepatitis", 3, onset, onset + dt.timedelta(hours=72), category="non_hematologic"
    )
    over_72 = _ae("hepatitis", 3, onset, onset + dt.timedelta(hours=73), category="non_hematologic")
    assert not _assess(exactly_72).dlt
    a = _assess(over_72)
    assert a.dlt and a.fired[0].rule_id == "nonheme-3-72h" and "73 h" in a.fired[0].detail
    # Dates only count as midnight: 1 March to 5 March = 96 h.
    assert _assess(
        _ae("rash", 3, dt.date(2027, 3, 1), dt.date(2027, 3, 5), category="non_hematologic")
    ).dlt
    # Grade 2 never matches.
    assert not _assess(
        _ae("rash", 2, dt.date(2027, 3, 1), dt.date(2027, 3, 9), category="non_hematologic")
    ).dlt


def test_unresolved_event_is_pending_until_it_lasts_long_enough() -> None:
    ae = _ae("pneumonitis", 3, dt.date(2027, 3, 10), None, category="non_hematologic")
    early = _assess(ae, as_of=dt.date(2027, 3, 11))
    assert early.status is DltStatus.PENDING and early.pending[0].rule_id == "nonheme-3-72h"
    later = _assess(ae, as_of=dt.date(2027, 3, 14))
    assert later.status is DltStatus.DLT


def test_grade_4_neutropenia_beyond_day_28() -> None:
    onset = dt.date(2027, 3, 3)
    resolved_early = _ae(
        "Neutrophil count decreased", 4, onset, dt.date(2027, 3, 20), category="hematologic"
    )
    assert _assess(resolved_early).status is DltStatus.NO_DLT
    resolved_late = _ae(
        "neutrophil_count_decreased", 4, onset, dt.date(2027, 3, 31), category="hematologic"
    )
    a = _assess(resolved_late)
    assert a.dlt and a.fired[0].rule_id == "neutropenia-4-d28"  # day 28 = 2027-03-29
    ongoing = _ae("neutropenia", 4, onset, None, category="hematologic")
    assert _assess(ongoing, as_of=dt.date(2027, 3, 20)).status is DltStatus.PENDING
    assert _assess(ongoing, as_of=dt.date(2027, 3, 30)).dlt
    grade3 = _ae("neutropenia", 3, onset, None, category="hematologic")
    assert not _assess(grade3, as_of=dt.date(2027, 4, 30)).dlt


def test_events_outside_the_window_do_not_count() -> None:
    before = _ae(
        "CRS", 4, dt.date(2027, 2, 26), dt.date(2027, 2, 27), category="crs", scale="astct"
    )
    after = _ae("CRS", 4, dt.date(2027, 3, 30), dt.date(2027, 3, 31), category="crs", scale="astct")
    assert _assess(before, after).status is DltStatus.NO_DLT
    on_last_day = _ae(
        "CRS", 4, dt.date(2027, 3, 29), dt.date(2027, 3, 30), category="crs", scale="astct"
    )
    assert _assess(on_last_day).dlt


def test_no_events_before_window_end_is_pending() -> None:
    assert _assess(as_of=dt.date(2027, 3, 20)).status is DltStatus.PENDING
    assert _assess(as_of=dt.date(2027, 3, 29)).status is DltStatus.NO_DLT


def test_several_rules_fire_and_are_all_reported() -> None:
    a = _assess(
        _ae("CRS", 3, dt.date(2027, 3, 2), dt.date(2027, 3, 4), category="crs", scale="astct"),
        _ae("ICANS", 4, dt.date(2027, 3, 5), dt.date(2027, 3, 6), category="icans", scale="astct"),
    )
    assert {h.rule_id for h in a.fired} == {"crs-3", "icans-3"}
    assert a.to_dict()["fired"][0]["rule"] == "crs-3"


def test_bad_events_are_refused() -> None:
    with pytest.raises(ValidationError, match="resolution is before onset"):
        _ae("CRS", 3, dt.date(2027, 3, 5), dt.date(2027, 3, 4))
    with pytest.raises(ValidationError):
        _ae("CRS", 6, dt.date(2027, 3, 5))


def test_counts_by_dose_feed_the_escalation_design() -> None:
    dlt = _assess(
        _ae("CRS", 3, dt.date(2027, 3, 3), dt.date(2027, 3, 5), category="crs", scale="astct")
    )
    clean = _assess()
    pending = _assess(as_of=dt.date(2027, 3, 10))
    counts = dlt_counts_by_dose(
        [(0, clean), (0, clean), (0, clean), (1, clean), (1, dlt), (1, clean), (1, pending)],
        n_doses=3,
    )
    assert counts.n == (3, 3, 0) and counts.y == (0, 1, 0) and counts.pending == (0, 1, 0)
    d = Boin(0.3).decide(counts.n, counts.y, 1)
    assert d.action is Action.STAY  # 1/3 at level 2
    with pytest.raises(DataError, match="dose"):
        dlt_counts_by_dose([(3, clean)], n_doses=3)


def test_custom_definition_with_terms() -> None:
    definition = DltDefinition(
        window_days=21,
        rules=(DltRule(id="seizure", text="any seizure", terms=("Seizure",), min_grade=1),),
    )
    a = assess_dlt(
        definition,
        [_ae("seizure", 1, dt.date(2027, 3, 8), dt.date(2027, 3, 8))],
        infusion_date=D0,
        as_of=dt.date(2027, 3, 9),
    )
    assert a.dlt and a.window_end == dt.date(2027, 3, 22)
