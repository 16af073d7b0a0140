"""3+3 rules (Storer 1989; Le Tourneau et al. 2009) and exact operating characteristics."""

from __future__ import annotations

from collections import defaultdict
from math import comb

import numpy as np
import pytest

from cartrial.designs import Action, ThreePlusThree, run_trials, simulate
from cartrial.domain.errors import DataError

D = ThreePlusThree()


@pytest.mark.parametrize(
    ("n", "y", "current", "action", "next_dose"),
    [
        ([0, 0, 0], [0, 0, 0], 0, Action.STAY, 0),  # start: treat 3
        ([3, 0, 0], [0, 0, 0], 0, Action.ESCALATE, 1),  # 0/3
        ([3, 0, 0], [1, 0, 0], 0, Action.STAY, 0),  # 1/3: expand to 6
        ([6, 0, 0], [1, 0, 0], 0, Action.ESCALATE, 1),  # 1/6
        ([3, 3, 0], [0, 2, 0], 1, Action.DEESCALATE, 0),  # 2/3: back to 3-patient dose
        ([6, 6, 0], [1, 2, 0], 1, Action.STOP, None),  # 2/6, lower has 6: MTD = level 1
        ([3, 3, 0], [0, 0, 0], 1, Action.ESCALATE, 2),
        ([3, 3, 3], [0, 0, 0], 2, Action.STAY, 2),  # top dose 0/3: confirm with 6
        ([3, 3, 6], [0, 0, 1], 2, Action.STOP, None),  # top dose 1/6: MTD = top
    ],
)
def test_rules(
    n: list[int], y: list[int], current: int, action: Action, next_dose: int | None
) -> None:
    d = D.decide(n, y, current)
    assert d.action is action
    assert d.next_dose == next_dose


def test_mtd_declared_on_stop() -> None:
    assert D.decide([6, 6, 0], [1, 2, 0], 1).mtd == 0
    assert D.decide([3, 3, 6], [0, 0, 1], 2).mtd == 2
    d = D.decide([3, 0], [2, 0], 0)
    assert d.action is Action.STOP and d.mtd is None


def test_expanded_lower_dose_too_toxic_goes_further_down() -> None:
    # Level 3 exceeded, level 2 expanded to 6 with 2 DLTs: go to level 1 (3 patients) to expand.
    d = D.decide([3, 6, 3], [0, 2, 2], 1)
    assert d.action is Action.DEESCALATE and d.next_dose == 0


def test_cap_on_cohorts() -> None:
    d = ThreePlusThree(n_cohorts=2).decide([3, 3, 0], [0, 0, 0], 1)
    assert d.action is Action.STOP and d.code == "max_sample_size"
    with pytest.raises(DataError, match="n_cohorts"):
        ThreePlusThree(n_cohorts=0).decide([3], [0], 0)


def test_boundaries_table() -> None:
    t = D.boundaries()
    assert [(r.n, r.escalate_max, r.deescalate_min) for r in t.rows] == [(3, 0, 2), (6, 1, 2)]


def _exact_selection(p: list[float]) -> tuple[list[float], float, list[float]]:
    """Exact selection probabilities and expected patients of the textbook 3+3, by branching
    over every cohort outcome (written procedurally, independent of the vectorised rules)."""
    k = len(p)
    select: dict[int | None, float] = defaultdict(float)
    patients = [0.0] * k

    def treat(n: tuple[int, ...], y: tuple[int, ...], cur: int, prob: float) -> None:
        patients[cur] += 3 * prob
        for d in range(4):
            pr = comb(3, d) * p[cur] ** d * (1 - p[cur]) ** (3 - d)
            n2 = n[:cur] + (n[cur] + 3,) + n[cur + 1 :]
            y2 = y[:cur] + (y[cur] + d,) + y[cur + 1 :]
            after(n2, y2, cur, prob * pr)

    def after(n: tuple[int, ...], y: tuple[int, ...], cur: int, prob: float) -> None:
        if y[cur] >= 2:  # MTD exceeded here
            if cur == 0:
                select[None] += prob
            elif n[cur - 1] == 6:
                select[cur - 1] += prob
            else:
                treat(n, y, cur - 1, prob)
        elif n[cur] == 3 and y[cur] == 1:
            treat(n, y, cur, prob)
        elif n[cur] == 3:  # 0/3
            if cur + 1 < k and n[cur + 1] == 0:
                treat(n, y, cur + 1, prob)
            else:
                treat(n, y, cur, prob)
        else:  # <= 1/6
            if cur + 1 < k and n[cur + 1] == 0:
                treat(n, y, cur + 1, prob)
            else:
                select[cur] += prob

    treat((0,) * k, (0,) * k, 0, 1.0)
    return [select[j] for j in range(k)], select[None], patients


@pytest.mark.parametrize(
    "truth", [[0.05, 0.1, 0.2, 0.3, 0.5], [0.3, 0.45, 0.6], [0.02, 0.05, 0.08, 0.1]]
)
def test_simulation_matches_exact_operating_characteristics(truth: list[float]) -> None:
    trials = 40_000
    oc = simulate(D, truth, n_trials=trials, seed=11)
    sel, none, patients = _exact_selection(truth)
    for got, want in zip(oc.selection_pct, sel, strict=True):
        se = np.sqrt(want * (1 - want) / trials) * 100
        assert abs(got - 100 * want) <= 4 * se + 1e-9
    se_none = np.sqrt(none * (1 - none) / trials) * 100
    assert abs(oc.no_mtd_pct - 100 * none) <= 4 * se_none + 1e-9
    sims = run_trials(D, truth, n_trials=trials, seed=11)
    for j, want in enumerate(patients):
        se = sims.n[:, j].std() / np.sqrt(trials)
        assert abs(sims.n[:, j].mean() - want) <= 4 * se + 1e-9
