"""Properties every design must keep, checked on random trials (hypothesis).

- escalation moves exactly one level up and never past an untried dose;
- no decision escalates once the de-escalation boundary is crossed at the current dose;
- no cohort is sent to an eliminated (BOIN) / exceeded (3+3) dose;
- the maximum sample size is never exceeded;
- the same seed gives the same simulated trials.
"""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from cartrial.designs import Action, Boin, DoseEscalationDesign, ThreePlusThree, run_trials

boin_designs = st.builds(
    Boin,
    st.sampled_from([0.15, 0.2, 0.25, 0.3, 0.33, 0.4]),
    cohort_size=st.integers(1, 4),
    n_cohorts=st.integers(1, 12),
    n_earlystop=st.integers(6, 40),
    extrasafe=st.booleans(),
    early_stop_rule=st.sampled_from(["with_stay", "simple"]),
)
designs: st.SearchStrategy[DoseEscalationDesign] = st.one_of(
    boin_designs, st.builds(ThreePlusThree, n_cohorts=st.one_of(st.none(), st.integers(1, 12)))
)


def _closed_from(design: DoseEscalationDesign, n: np.ndarray, y: np.ndarray) -> int:
    """Lowest dose that may no longer be used (eliminated / MTD exceeded)."""
    if isinstance(design, Boin):
        rules = design._rules(max(design.max_sample_size, int(n.max())))
        return int(next((j for j in range(n.size) if y[j] >= rules.eliminate_min[n[j]]), n.size))
    return int(next((j for j in range(n.size) if n[j] > 0 and y[j] >= 2), n.size))


@settings(max_examples=200, deadline=None)
@given(
    design=designs,
    truth=st.lists(st.floats(0.0, 1.0), min_size=1, max_size=6),
    data=st.data(),
)
def test_stepwise_invariants(
    design: DoseEscalationDesign, truth: list[float], data: st.DataObject
) -> None:
    k = len(truth)
    n = np.zeros(k, dtype=np.int64)
    y = np.zeros(k, dtype=np.int64)
    cur = 0
    size = design.cohort_size
    cap = size * design.max_cohorts(k)
    for _ in range(design.max_cohorts(k)):
        dlts = data.draw(st.integers(0, size))
        n[cur] += size
        y[cur] += dlts
        assert n.sum() <= cap
        d = design.decide(n, y, cur)
        if d.action is Action.STOP:
            break
        assert d.next_dose is not None
        if d.action is Action.ESCALATE:
            assert d.next_dose == cur + 1
            assert np.all(n[: d.next_dose] > 0), "escalation skipped an untried dose"
            if isinstance(design, Boin):
                rules = design._rules(max(design.max_sample_size, int(n.max())))
                assert y[cur] < rules.deescalate_min[n[cur]]
            else:
                assert y[cur] < 2
        elif d.action is Action.DEESCALATE:
            assert d.next_dose < cur
        else:
            assert d.next_dose == cur
        assert d.next_dose < _closed_from(design, n, y), "cohort sent to a closed dose"
        cur = d.next_dose


@settings(max_examples=40, deadline=None)
@given(
    design=designs,
    truth=st.lists(st.floats(0.0, 1.0), min_size=1, max_size=6),
    seed=st.integers(0, 2**32 - 1),
)
def test_simulation_invariants(design: DoseEscalationDesign, truth: list[float], seed: int) -> None:
    k = len(truth)
    a = run_trials(design, truth, n_trials=200, seed=seed)
    b = run_trials(design, truth, n_trials=200, seed=seed)
    assert np.array_equal(a.n, b.n) and np.array_equal(a.y, b.y)
    assert np.array_equal(a.mtd, b.mtd)
    cap = design.cohort_size * design.max_cohorts(k)
    assert int(a.n.sum(axis=1).max()) <= cap
    assert np.all(a.y <= a.n)
    # Doses are reached one level at a time from the lowest: the treated doses are contiguous.
    treated = a.n > 0
    top = k - 1 - treated[:, ::-1].argmax(axis=1)
    assert all(treated[i, : top[i] + 1].all() for i in range(a.n.shape[0]))
    # A selected MTD was treated.
    chosen = a.mtd >= 0
    assert np.all(a.n[chosen, a.mtd[chosen]] > 0)
