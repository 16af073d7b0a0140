"""Simulated operating characteristics: agreement with published BOIN output, reproducibility.

Reference output compared against (within Monte-Carlo error, 4 standard errors of the
difference between the two simulations):

1. ``BOIN::get.oc(target = 0.25, p.true = c(0.1, 0.5), ncohort = 10, cohortsize = 3,
   n.earlystop = 9, startdose = 1, extrasafe = TRUE, offset = 0.1, ntrial = 10000, seed = 6)``
   - the reference R implementation by Liu & Yuan (Yan et al., J Stat Softw 2020;94(13)) -
   as printed in the bfboin package vignette "Compare_to_original_BOIN"
   (openpharma/bfboin, articles/Compare_to_original_BOIN.html): selection 77.75 / 18.42 %,
   patients 10.7160 / 7.7784, DLTs 1.0536 / 3.8988, total 18.4944, early stop 3.83 %.
2. simFastBOIN 1.3.2 "Introduction" vignette (a re-implementation stated to reproduce the BOIN
   package trial by trial): target 0.3, p = (0.10, 0.25, 0.40, 0.55, 0.70), 10 cohorts of 3,
   n_earlystop = 18, 1000 trials: selection 10.8 / 52.4 / 33.8 / 2.8 / 0.1 %, no MTD 0.1 %,
   patients 6.8 / 11.9 / 7.7 / 1.8 / 0.1, total 28.4.
"""

from __future__ import annotations

import numpy as np
import pytest

from cartrial.designs import Boin, ThreePlusThree, run_trials, simulate
from cartrial.domain.errors import DataError

OURS = 40_000


def _within_pct(got: float, ref: float, ref_trials: int) -> bool:
    p = max(ref / 100, 1e-3)
    se = 100 * np.sqrt(p * (1 - p) * (1 / ref_trials + 1 / OURS))
    return bool(abs(got - ref) <= 4 * se)


def _within_mean(got: float, ref: float, per_trial: np.ndarray, ref_trials: int) -> bool:
    sd = float(per_trial.std())
    se = sd * np.sqrt(1 / ref_trials + 1 / OURS)
    return bool(abs(got - ref) <= 4 * se + 0.05)  # + rounding of the printed reference


def test_matches_boin_get_oc_reference_output() -> None:
    design = Boin(0.25, cohort_size=3, n_cohorts=10, n_earlystop=9, extrasafe=True, offset=0.1)
    truth = [0.1, 0.5]
    oc = simulate(design, truth, n_trials=OURS, seed=2024)
    sims = run_trials(design, truth, n_trials=OURS, seed=2024)
    ref_trials = 10_000
    assert _within_pct(oc.selection_pct[0], 77.75, ref_trials)
    assert _within_pct(oc.selection_pct[1], 18.42, ref_trials)
    assert _within_pct(oc.no_mtd_pct, 3.83, ref_trials)
    for j, (pts, tox) in enumerate([(10.7160, 1.0536), (7.7784, 3.8988)]):
        assert _within_mean(oc.mean_patients[j], pts, sims.n[:, j], ref_trials)
        assert _within_mean(oc.mean_dlts[j], tox, sims.y[:, j], ref_trials)
    assert _within_mean(oc.mean_total_patients, 18.4944, sims.n.sum(axis=1), ref_trials)


def test_matches_simfastboin_vignette_scenario() -> None:
    design = Boin(0.3, cohort_size=3, n_cohorts=10, n_earlystop=18)
    truth = [0.10, 0.25, 0.40, 0.55, 0.70]
    oc = simulate(design, truth, n_trials=OURS, seed=7)
    sims = run_trials(design, truth, n_trials=OURS, seed=7)
    ref_trials = 1_000
    for got, ref in zip(oc.selection_pct, [10.8, 52.4, 33.8, 2.8, 0.1], strict=True):
        assert _within_pct(got, ref, ref_trials)
    assert _within_pct(oc.no_mtd_pct, 0.1, ref_trials)
    for j, ref in enumerate([6.8, 11.9, 7.7, 1.8, 0.1]):
        assert _within_mean(oc.mean_patients[j], ref, sims.n[:, j], ref_trials)
    assert _within_mean(oc.mean_total_patients, 28.4, sims.n.sum(axis=1), ref_trials)


@pytest.mark.parametrize("design", [Boin(0.3), ThreePlusThree(n_cohorts=10)])
def test_same_seed_same_result(design: Boin | ThreePlusThree) -> None:
    truth = [0.05, 0.1, 0.2, 0.3, 0.5]
    a = simulate(design, truth, n_trials=2000, seed=1)
    b = simulate(design, truth, n_trials=2000, seed=1)
    c = simulate(design, truth, n_trials=2000, seed=2)
    assert a == b
    assert a != c


def test_summary_is_consistent() -> None:
    design = Boin(0.3)
    truth = [0.05, 0.1, 0.2, 0.3, 0.5]
    oc = simulate(design, truth, n_trials=5000, seed=3)
    assert sum(oc.selection_pct) + oc.no_mtd_pct == pytest.approx(100.0)
    assert sum(oc.mean_patients) == pytest.approx(oc.mean_total_patients)
    assert oc.mean_total_patients <= design.max_sample_size
    d = oc.to_dict()
    assert d["doses"][0]["level"] == 1 and d["start_level"] == 1


def test_start_dose_and_bad_input() -> None:
    oc = simulate(Boin(0.3), [0.05, 0.1, 0.3], n_trials=500, seed=1, start_dose=1)
    assert oc.mean_patients[1] >= 3
    with pytest.raises(DataError, match="truth"):
        simulate(Boin(0.3), [0.1, 1.5], n_trials=10, seed=1)
    with pytest.raises(DataError, match="start_dose"):
        simulate(Boin(0.3), [0.1, 0.2], n_trials=10, seed=1, start_dose=2)
    with pytest.raises(DataError, match="n_trials"):
        simulate(Boin(0.3), [0.1, 0.2], n_trials=0, seed=1)
