"""ICAHT (Rejeski 2023, reference sheet §3.3): grade tables and hand-built ANC series."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cartrial.calculators.icaht import icaht_grade, icaht_grade_from_series
from cartrial.domain import DataError


@pytest.mark.parametrize(
    ("d500", "d100", "no_rec", "grade"),
    [
        (0, 0, False, 0),
        (1, 0, False, 1),  # < 7 days (1-6)
        (6, 0, False, 1),
        (7, 0, False, 2),  # 7-13 days
        (13, 6, False, 2),
        (14, 0, False, 3),  # >= 14 days
        (10, 7, False, 3),  # <= 100 for >= 7 days
        (20, 13, False, 3),
        (20, 14, False, 4),  # <= 100 for >= 14 days
        (31, 0, False, 4),  # never above 500 in d0-30
        (5, 0, True, 4),  # no count recovery
    ],
)
def test_early_grade_table(d500: int, d100: int, no_rec: bool, grade: int) -> None:
    r = icaht_grade(
        phase="early", days_anc_le_500=d500, days_anc_le_100=d100, no_recovery_above_500=no_rec
    )
    assert r.value == grade
    assert "Rejeski" in r.reference


@pytest.mark.parametrize(
    ("anc", "grade"),
    [(1501, 0), (1500, 1), (1001, 1), (1000, 2), (501, 2), (500, 3), (101, 3), (100, 4), (0, 4)],
)
def test_late_grade_thresholds_inclusive(anc: float, grade: int) -> None:
    assert icaht_grade(phase="late", anc_per_ul=anc).value == grade


def test_late_transient_is_not_graded() -> None:
    r = icaht_grade(phase="late", anc_per_ul=400, non_transient=False)
    assert r.value == 0
    assert r.components["grade_if_non_transient"] == 3
    assert r.category.startswith("transient")  # type: ignore[union-attr]


def test_icaht_bad_inputs() -> None:
    with pytest.raises(DataError) as e1:
        icaht_grade(phase="early")
    assert e1.value.field == "days_anc_le_500"
    with pytest.raises(DataError) as e2:
        icaht_grade(phase="early", days_anc_le_500=3, days_anc_le_100=5)
    assert e2.value.field == "days_anc_le_100"
    with pytest.raises(DataError) as e3:
        icaht_grade(phase="late", anc_per_ul=-1)
    assert e3.value.field == "anc_per_ul"
    with pytest.raises(DataError) as e4:
        icaht_grade(phase="middle", anc_per_ul=100)
    assert e4.value.field == "phase"


def _series(*segments: tuple[int, int, float]) -> dict[int, float]:
    out: dict[int, float] = {}
    for start, end, anc in segments:
        for d in range(start, end + 1):
            out[d] = anc
    return out


def test_series_joins_non_stable_recovery_and_counts_gap_days() -> None:
    # d3-7 ANC 300 (5 d), d8-9 800 (2 d above: non-stable), d10-12 400 (3 d): joined 3..12 = 10 d
    s = _series((0, 2, 2000), (3, 7, 300), (8, 9, 800), (10, 12, 400), (13, 30, 2000))
    r = icaht_grade_from_series(anc_per_ul_by_day=s)
    assert r.components["early"]["runs_anc_le_500"] == [[3, 12]]
    assert r.components["early"]["longest_days_anc_le_500"] == 10
    assert r.value == 2  # 7-13 days
    # without joining the longest run is 5 days: grade 1
    assert icaht_grade_from_series(anc_per_ul_by_day=s, join_gap_days=0).value == 1


def test_series_stable_recovery_separates_runs_longest_counts() -> None:
    # d3-7 300 (5 d), d8-10 800 (3 d above = stable recovery), d11-13 400 (3 d): longest 5 -> G1
    s = _series((0, 2, 2000), (3, 7, 300), (8, 10, 800), (11, 13, 400), (14, 30, 2000))
    r = icaht_grade_from_series(anc_per_ul_by_day=s)
    assert r.components["early"]["runs_anc_le_500"] == [[3, 7], [11, 13]]
    assert r.value == 1


def test_series_anc_le_100_for_seven_days_is_grade_3() -> None:
    # d1-10 ANC 50: 10 days <= 500 (G2 alone) and 10 days <= 100 (>= 7: G3)
    s = _series((0, 0, 1200), (1, 10, 50), (11, 30, 2500))
    r = icaht_grade_from_series(anc_per_ul_by_day=s)
    assert r.components["early"]["longest_days_anc_le_100"] == 10
    assert r.value == 3


def test_series_no_recovery_grade_4_and_interim_assessment() -> None:
    # neutropenia from day 2 to death on day 16 (15 days: G3 by duration) without recovery -> G4
    s = _series((0, 1, 1500), (2, 16, 200))
    r = icaht_grade_from_series(anc_per_ul_by_day=s)
    assert r.components["early"]["longest_days_anc_le_500"] == 15
    assert r.components["early"]["no_recovery_above_500"] is True
    assert r.value == 4
    interim = icaht_grade_from_series(anc_per_ul_by_day=s, series_complete=False)
    assert interim.value == 3
    assert interim.category == "early grade 3 (provisional)"


def test_series_whole_window_neutropenic() -> None:
    r = icaht_grade_from_series(anc_per_ul_by_day=_series((0, 30, 200)))
    assert r.components["early"]["longest_days_anc_le_500"] == 31
    assert r.value == 4


def test_series_linear_interpolation_of_short_gaps() -> None:
    # d0 1000, d5 0, d12 1000: interpolated d1-4 = 800, 600, 400, 200; d6-11 = 1000*(d-5)/7
    # = 142.9, 285.7, 428.6, 571.4, 714.3, 857.1 -> <= 500 on d3..d8 (6 days): G1
    r = icaht_grade_from_series(anc_per_ul_by_day={0: 1000, 5: 0, 12: 1000})
    early = r.components["early"]
    assert early["interpolated_days"] == [1, 2, 3, 4, 6, 7, 8, 9, 10, 11]
    assert early["runs_anc_le_500"] == [[3, 8]]
    assert early["longest_days_anc_le_100"] == 1  # only day 5 (day 4 = 200, day 6 = 142.9)
    assert r.value == 1


def test_series_long_gaps_are_not_interpolated() -> None:
    # 9 missing days between d0 and d10 (> 7): left missing, two 1-day runs
    r = icaht_grade_from_series(anc_per_ul_by_day={0: 300, 10: 300})
    assert r.components["early"]["runs_anc_le_500"] == [[0, 0], [10, 10]]
    assert r.value == 1


def test_series_late_rules() -> None:
    base = _series((0, 30, 2000))
    # nadir 1200 confirmed by 1400 <= 1500 -> G1
    assert (
        icaht_grade_from_series(anc_per_ul_by_day=base | {40: 1200, 60: 1400}, phase="late").value
        == 1
    )
    two = base | {40: 400, 60: 1400}
    assert icaht_grade_from_series(anc_per_ul_by_day=two, phase="late").value == 3  # nadir 400
    assert (
        icaht_grade_from_series(
            anc_per_ul_by_day=two, phase="late", late_rule="second_lowest"
        ).value
        == 1
    )  # 1400
    single = icaht_grade_from_series(anc_per_ul_by_day=base | {45: 400}, phase="late")
    assert single.value is None and single.category.startswith("unconfirmed")  # type: ignore[union-attr]
    assert (
        icaht_grade_from_series(
            anc_per_ul_by_day=base | {45: 400}, phase="late", documented_non_transient=True
        ).value
        == 3
    )
    transient = icaht_grade_from_series(anc_per_ul_by_day=base | {40: 400, 50: 3000}, phase="late")
    assert transient.value == 0
    # day 120 is outside the default day +31..+100 window
    assert (
        icaht_grade_from_series(anc_per_ul_by_day=base | {120: 50, 121: 50}, phase="late").value
        is None
    )


def test_series_bad_input_names_field() -> None:
    with pytest.raises(DataError) as e1:
        icaht_grade_from_series(anc_per_ul_by_day={})
    assert e1.value.field == "anc_per_ul_by_day"
    with pytest.raises(DataError) as e2:
        icaht_grade_from_series(anc_per_ul_by_day={0: -5})
    assert e2.value.field == "anc_per_ul_by_day[0]"


# counts per µL are whole numbers (a fractional count below 100 is refused as 10⁹/L, issue 9)
@given(st.dictionaries(st.integers(0, 30), st.integers(0, 5000), min_size=1, max_size=31))
def test_series_grade_never_falls_when_counts_fall(series: dict[int, int]) -> None:
    lower = {d: v // 2 for d, v in series.items()}
    a = icaht_grade_from_series(anc_per_ul_by_day=series).value
    b = icaht_grade_from_series(anc_per_ul_by_day=lower).value
    assert b >= a  # type: ignore[operator]
