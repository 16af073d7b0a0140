from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cartrial.domain.timewindow import TimeUnit, Window, add_months, shift


def test_month_end_clamps() -> None:
    assert add_months(date(2027, 3, 31), -1) == date(2027, 2, 28)
    assert add_months(date(2028, 3, 31), -1) == date(2028, 2, 29)
    assert add_months(date(2026, 1, 31), 1) == date(2026, 2, 28)
    assert add_months(date(2026, 12, 15), 1) == date(2027, 1, 15)


def test_leap_day_years() -> None:
    assert shift(date(2028, 2, 29), 1, TimeUnit.YEARS) == date(2029, 2, 28)
    assert shift(date(2028, 2, 29), 4, TimeUnit.YEARS) == date(2032, 2, 29)


def test_window_start_weeks_and_half_lives() -> None:
    w = Window(amount=4, unit=TimeUnit.WEEKS)
    assert w.start(date(2026, 11, 22)) == date(2026, 10, 25)
    h = Window(amount=5, unit=TimeUnit.HALF_LIVES)
    # belimumab-like 19.4 days x 5 = 97 days
    assert h.start(date(2026, 11, 22), half_life_days=19.4) == date(2026, 8, 17)
    with pytest.raises(ValueError):
        h.start(date(2026, 11, 22))


def test_window_rejects_non_positive() -> None:
    with pytest.raises(ValueError):
        Window(amount=0, unit=TimeUnit.DAYS)


@given(
    st.dates(min_value=date(1950, 1, 1), max_value=date(2090, 1, 1)),
    st.integers(min_value=0, max_value=600),
)
def test_month_shift_round_trip_never_overshoots(d: date, months: int) -> None:
    forward = add_months(d, months)
    back = add_months(forward, -months)
    assert back <= d
    assert (d - back).days <= 3
