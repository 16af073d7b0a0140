"""BOIN: boundaries, decisions and MTD selection against the published design.

Published figures compared against (cited per test):
- Liu & Yuan, J R Stat Soc C 2015;64:507-523, eq. (2): lambda_e / lambda_d formulas.
- Yuan, Hess, Hilsenbeck & Gilbert, Clin Cancer Res 2016;22:4291-4301, boundary table for
  targets 0.15-0.3 (lambda to 3 decimals).
- BOIN R package (Yan et al., J Stat Softw 2020;94(13)): the ``get.boundary(target = 0.3,
  ncohort = 10, cohortsize = 3)`` table of its documentation example, the ``select.mtd``
  documentation example, and ``lambda_e = 0.1968009, lambda_d = 0.2983922`` printed by
  ``get.oc(target = 0.25, ...)`` in the bfboin vignette "Compare_to_original_BOIN".
"""

from __future__ import annotations

from fractions import Fraction
from math import comb

import numpy as np
import pytest

from cartrial.designs import Action, Boin, posterior_prob_above, posterior_tail_table
from cartrial.domain.errors import DataError


@pytest.mark.parametrize(
    ("target", "lam_e", "lam_d"),
    [(0.15, 0.118, 0.179), (0.2, 0.157, 0.238), (0.25, 0.197, 0.298), (0.3, 0.236, 0.358)],
)
def test_lambdas_match_published_table(target: float, lam_e: float, lam_d: float) -> None:
    # The table prints 3 decimals (0.3585 appears as 0.358): agree to within 0.001.
    got_e, got_d = Boin(target).lambdas()
    assert abs(got_e - lam_e) < 1e-3
    assert abs(got_d - lam_d) < 1e-3


def test_lambdas_target_03_and_025_to_four_and_seven_digits() -> None:
    e, d = Boin(0.3).lambdas()
    assert e == pytest.approx(0.2365, abs=5e-5)
    assert d == pytest.approx(0.3585, abs=5e-5)
    e, d = Boin(0.25).lambdas()
    assert e == pytest.approx(0.1968009, abs=1e-7)
    assert d == pytest.approx(0.2983922, abs=1e-7)


def test_decision_table_target_03_matches_r_get_boundary_example() -> None:
    table = Boin(0.3, cohort_size=3, n_cohorts=10).boundaries()
    rows = table.cohort_rows()
    assert [r.n for r in rows] == [3, 6, 9, 12, 15, 18, 21, 24, 27, 30]
    assert [r.escalate_max for r in rows] == [0, 1, 2, 2, 3, 4, 4, 5, 6, 7]
    assert [r.deescalate_min for r in rows] == [2, 3, 4, 5, 6, 7, 8, 9, 10, 11]
    assert [r.eliminate_min for r in rows] == [3, 4, 5, 7, 8, 9, 10, 11, 12, 14]
    # Full table, n = 1..12 (cohort size 1 rows of the same design).
    full = {r.n: r for r in table.rows}
    assert [full[n].escalate_max for n in range(1, 13)] == [0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2]
    assert [full[n].deescalate_min for n in range(1, 13)] == [1, 1, 2, 2, 2, 3, 3, 3, 4, 4, 4, 5]
    assert [full[n].eliminate_min for n in range(1, 4)] == [None, None, 3]


@pytest.mark.parametrize("target", [0.2, 0.25])
def test_low_targets_deescalate_on_one_dlt_in_three(target: float) -> None:
    row = Boin(target).boundaries().row(3)
    assert row.escalate_max == 0
    assert row.deescalate_min == 1
    decision = Boin(target).decide([3, 0, 0], [1, 0, 0], 1 - 1)
    # At the lowest dose a de-escalation cannot happen: stay.
    assert decision.action is Action.STAY
    assert Boin(target).decide([3, 3, 0], [0, 1, 0], 1).action is Action.DEESCALATE
    assert Boin(0.3).decide([3, 3, 0], [0, 1, 0], 1).action is Action.STAY


@pytest.mark.parametrize(
    ("target", "escalate", "deescalate", "eliminate"),
    [
        # floor(lambda_e n), ceil(lambda_d n), elimination count, n = 3, 6, 9, 12, 15, 18
        (0.25, [0, 1, 1, 2, 2, 3], [1, 2, 3, 4, 5, 6], [3, 4, 5, 6, 7, 8]),
        (0.2, [0, 0, 1, 1, 2, 2], [1, 2, 3, 3, 4, 5], [2, 3, 4, 5, 6, 7]),
    ],
)
def test_decision_tables_low_targets(
    target: float, escalate: list[int], deescalate: list[int], eliminate: list[int]
) -> None:
    rows = Boin(target, n_cohorts=6).boundaries().cohort_rows()
    assert [r.escalate_max for r in rows] == escalate
    assert [r.deescalate_min for r in rows] == deescalate
    assert [r.eliminate_min for r in rows] == eliminate


def _exact_tail(phi: Fraction, y: int, n: int) -> Fraction:
    """Pr(p > phi | y, n) under Beta(1, 1) by exact polynomial integration (independent of
    the binomial-sum identity used by the library)."""
    a, b = y, n - y  # integrand x^a (1 - x)^b

    def antiderivative(x: Fraction) -> Fraction:
        return sum(
            (Fraction(comb(b, i) * (-1) ** i, a + i + 1) * x ** (a + i + 1) for i in range(b + 1)),
            Fraction(0),
        )

    total = antiderivative(Fraction(1)) - antiderivative(Fraction(0))
    return (antiderivative(Fraction(1)) - antiderivative(phi)) / total


@pytest.mark.parametrize("target", [Fraction(1, 5), Fraction(1, 4), Fraction(3, 10)])
def test_posterior_tail_is_exact(target: Fraction) -> None:
    table = posterior_tail_table(float(target), 30)
    for n in range(0, 31):
        for y in range(0, n + 1):
            assert table[n, y] == pytest.approx(float(_exact_tail(target, y, n)), abs=1e-12)


def test_elimination_edge_two_of_three_at_target_025() -> None:
    # Pr(p > 0.25 | 2/3) = 0.9492 < 0.95: 2/3 does not eliminate at target 0.25; it does at 0.2.
    assert posterior_prob_above(0.25, 2, 3) == pytest.approx(0.94921875, abs=1e-12)
    assert Boin(0.25).decide([3, 3], [0, 2], 1).code == "deescalate"
    assert Boin(0.2).decide([3, 3], [0, 2], 1).code == "current_eliminated"


def test_next_dose_example_from_issue() -> None:
    # n = 3, 6, 0; y = 0, 1, 0; last cohort at level 2 (index 1): 1/6 <= lambda_e -> escalate.
    d = Boin(0.3).decide([3, 6, 0], [0, 1, 0], 1)
    assert d.action is Action.ESCALATE
    assert d.next_dose == 2 and d.next_level == 3
    assert "escalate" in d.reason


def test_stay_and_deescalate() -> None:
    b = Boin(0.3)
    assert b.decide([3, 3, 0], [0, 1, 0], 1).action is Action.STAY  # 1/3 = 0.333
    d = b.decide([3, 3, 0], [0, 2, 0], 1)
    assert d.action is Action.DEESCALATE and d.next_dose == 0


def test_untreated_current_dose_stays() -> None:
    d = Boin(0.3).decide([0, 0, 0], [0, 0, 0], 0)
    assert d.action is Action.STAY and d.next_dose == 0 and d.code == "untreated"


def test_escalation_blocked_at_top_and_by_elimination() -> None:
    b = Boin(0.3)
    assert b.decide([3, 3], [0, 0], 1).code == "escalate_blocked_top"
    # Level 3 eliminated (3/3); 0/3 at level 2 cannot escalate into it.
    d = b.decide([3, 3, 3], [0, 0, 3], 1)
    assert d.action is Action.STAY and d.code == "escalate_blocked_eliminated"


def test_lowest_dose_eliminated_stops_without_mtd() -> None:
    d = Boin(0.3).decide([3, 0, 0], [3, 0, 0], 0)
    assert d.action is Action.STOP and d.code == "lowest_eliminated"
    assert d.mtd is None and d.next_dose is None


def test_extra_safe_rule_is_stricter() -> None:
    # Pr(p > 0.3 | 2/3) = 0.9163: not eliminated at 0.95, but > 0.95 - 0.05 = 0.90.
    assert Boin(0.3).decide([3, 0], [2, 0], 0).action is Action.STAY
    d = Boin(0.3, extrasafe=True).decide([3, 0], [2, 0], 0)
    assert d.action is Action.STOP and d.code == "extra_safe_stop"
    assert Boin(0.3, extrasafe=True).boundaries().stop_lowest_min is not None


def test_early_stop_with_stay_rule() -> None:
    b = Boin(0.3, n_earlystop=9)
    d = b.decide([3, 9, 0], [0, 3, 0], 1)  # 3/9 = 0.333: stay -> stop
    assert d.action is Action.STOP and d.code == "early_stop" and d.mtd == 1
    # 0/9: escalation indicated, so the with-stay rule does not stop ...
    assert b.decide([3, 9, 0], [0, 0, 0], 1).action is Action.ESCALATE
    # ... while the simple rule stops as soon as 9 are treated.
    simple = Boin(0.3, n_earlystop=9, early_stop_rule="simple")
    assert simple.decide([3, 9, 0], [0, 0, 0], 1).action is Action.STOP


def test_max_sample_size_stops_and_selects() -> None:
    d = Boin(0.3, n_cohorts=4).decide([3, 6, 3], [0, 1, 1], 2)
    assert d.action is Action.STOP and d.code == "max_sample_size"
    assert d.mtd is not None


def test_select_mtd_r_documentation_example() -> None:
    sel = Boin(0.3).select_mtd([3, 3, 15, 9, 0], [0, 0, 4, 4, 0])
    assert sel.dose == 2 and sel.level == 3
    assert sel.estimates[4] is None  # untried


def test_select_mtd_only_among_tried_and_not_eliminated() -> None:
    b = Boin(0.3)
    # Level 3 eliminated (3/3): levels 3-4 cannot be chosen even though level 4 is untried.
    sel = b.select_mtd([3, 6, 3, 0], [0, 1, 3, 0])
    assert sel.dose == 1
    assert b.select_mtd([0, 3, 0], [0, 0, 0]).dose == 1


def test_select_mtd_tie_rules() -> None:
    b = Boin(0.3)
    # Pooled estimate below target (0/3, 0/3): tie -> the higher dose.
    assert b.select_mtd([3, 3], [0, 0]).dose == 1
    # Pooled above target (violators 2/3 then 1/3 pool to 0.5): tie -> the lower dose.
    sel = b.select_mtd([3, 3], [2, 1])
    assert sel.estimates[0] == pytest.approx(sel.estimates[1])
    assert sel.dose == 0


def test_no_mtd_when_lowest_eliminated() -> None:
    sel = Boin(0.3).select_mtd([6, 0], [5, 0])
    assert sel.dose is None and "eliminated" in sel.reason


@pytest.mark.parametrize("target", [0.0, 1.0, -0.2, 1.3])
def test_target_outside_unit_interval_is_refused(target: float) -> None:
    with pytest.raises(DataError, match="target"):
        Boin(target).boundaries()


def test_bad_data_is_refused_with_the_field() -> None:
    b = Boin(0.3)
    with pytest.raises(DataError, match="y must be <= n"):
        b.decide([3, 3], [0, 4], 1)
    with pytest.raises(DataError, match="y lists"):
        b.decide([3, 3], [0], 1)
    with pytest.raises(DataError, match="current"):
        b.decide([3, 3], [0, 0], 2)
    with pytest.raises(DataError, match="negative"):
        b.decide([3, -1], [0, 0], 0)
    with pytest.raises(DataError, match="phi2"):
        Boin(0.8).lambdas()  # 1.4 x 0.8 > 1


def test_init_only_stores_parameters() -> None:
    b = Boin(2.0, cohort_size=0)  # nothing is checked until used
    assert b.target == 2.0
    with pytest.raises(DataError):
        b.decide([3], [0], 0)


def test_decision_is_immutable() -> None:
    d = Boin(0.3).decide([3], [0], 0)
    with pytest.raises(AttributeError):
        d.action = Action.STOP  # type: ignore[misc]
    assert np.isfinite(Boin(0.3).lambdas()[0])
