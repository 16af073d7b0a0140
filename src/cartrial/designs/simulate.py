"""Operating characteristics of a dose-escalation design by simulation.

All simulated trials advance together, one cohort per step, as numpy arrays over trials; the
design's own vectorised rules (:meth:`~cartrial.designs.base.DoseEscalationDesign.decide_batch`)
choose each trial's next dose, so the simulated design is the one used to run a real trial.
Each cohort's DLT count is a Binomial(cohort size, true DLT rate of its dose) draw from a
``numpy.random.Generator`` seeded with ``seed``: the same inputs and seed give the same result.

Reported as in the BOIN R package's ``get.oc`` (Yan et al., J Stat Softw 2020;94(13)):
selection percentage per dose, mean patients and DLTs per dose, and the percentage of trials
that stopped without selecting a dose.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from cartrial.designs.base import NO_DOSE, Action, DoseEscalationDesign, IntArray, check_int
from cartrial.domain.errors import DataError


@dataclass(frozen=True, slots=True)
class OperatingCharacteristics:
    """Summary of ``n_trials`` simulated trials (dose levels 1-based in :meth:`to_dict`)."""

    design: str
    truth: tuple[float, ...]
    n_trials: int
    seed: int
    start_dose: int
    """0-based index of the starting dose."""
    cohort_size: int
    max_cohorts: int
    selection_pct: tuple[float, ...]
    """% of trials selecting each dose as MTD."""
    no_mtd_pct: float
    """% of trials stopped for toxicity / ending with no dose selected (BOIN ``percentstop``)."""
    early_stop_pct: float
    """% of trials that ended before enrolling every cohort (any stopping rule)."""
    mean_patients: tuple[float, ...]
    mean_dlts: tuple[float, ...]
    mean_total_patients: float
    mean_total_dlts: float

    def to_dict(self) -> dict[str, Any]:
        levels = range(1, len(self.truth) + 1)
        return {
            "design": self.design,
            "n_trials": self.n_trials,
            "seed": self.seed,
            "start_level": self.start_dose + 1,
            "cohort_size": self.cohort_size,
            "max_cohorts": self.max_cohorts,
            "doses": [
                {
                    "level": lvl,
                    "true_dlt_rate": t,
                    "selection_pct": s,
                    "mean_patients": p,
                    "mean_dlts": d,
                }
                for lvl, t, s, p, d in zip(
                    levels,
                    self.truth,
                    self.selection_pct,
                    self.mean_patients,
                    self.mean_dlts,
                    strict=True,
                )
            ],
            "no_mtd_pct": self.no_mtd_pct,
            "early_stop_pct": self.early_stop_pct,
            "mean_total_patients": self.mean_total_patients,
            "mean_total_dlts": self.mean_total_dlts,
        }


@dataclass(frozen=True, slots=True)
class SimulatedTrials:
    """Per-trial outcome arrays (for custom summaries): ``n``/``y`` are (trials, doses)."""

    n: IntArray
    y: IntArray
    mtd: IntArray
    """Selected dose per trial, 0-based, :data:`~cartrial.designs.base.NO_DOSE` for none."""
    cohorts: IntArray
    """Number of cohorts each trial enrolled."""


def _check_truth(truth: Sequence[float]) -> np.ndarray[Any, np.dtype[np.float64]]:
    if isinstance(truth, str | bytes):
        raise DataError("must be a list of probabilities", field="truth")
    values = list(truth)
    if not values:
        raise DataError("must list at least one dose level", field="truth")
    for i, p in enumerate(values, 1):
        if isinstance(p, bool) or not isinstance(p, int | float | np.floating):
            raise DataError(f"level {i}: must be a number, got {p!r}", field="truth")
        if not 0.0 <= float(p) <= 1.0:
            raise DataError(f"level {i}: {p} is not a probability in [0, 1]", field="truth")
    return np.asarray(values, dtype=np.float64)


def run_trials(
    design: DoseEscalationDesign,
    truth: Sequence[float],
    *,
    n_trials: int,
    seed: int,
    start_dose: int = 0,
) -> SimulatedTrials:
    """Simulate ``n_trials`` trials of ``design`` under true DLT rates ``truth``."""
    design.validate()
    p = _check_truth(truth)
    n_trials = check_int(n_trials, "n_trials", lo=1)
    seed = check_int(seed, "seed", lo=0)
    k = p.size
    if isinstance(start_dose, bool) or not isinstance(start_dose, int) or not 0 <= start_dose < k:
        raise DataError(
            f"dose index {start_dose!r} is outside 0..{k - 1} (0-based)", field="start_dose"
        )

    rng = np.random.default_rng(seed)
    size = design.cohort_size
    n = np.zeros((n_trials, k), dtype=np.int64)
    y = np.zeros((n_trials, k), dtype=np.int64)
    current = np.full(n_trials, start_dose, dtype=np.int64)
    active = np.ones(n_trials, dtype=bool)
    cohorts = np.zeros(n_trials, dtype=np.int64)
    rows = np.arange(n_trials)

    for _ in range(design.max_cohorts(k)):
        idx = rows[active]
        if idx.size == 0:
            break
        dose = current[idx]
        dlts = rng.binomial(size, p[dose])
        n[idx, dose] += size
        y[idx, dose] += dlts
        cohorts[idx] += 1
        decision = design.decide_batch(n[idx], y[idx], dose)
        stop = decision.action == Action.STOP
        active[idx[stop]] = False
        current[idx[~stop]] = decision.next_dose[~stop]

    mtd = design.select_mtd_batch(n, y)
    return SimulatedTrials(n=n, y=y, mtd=mtd, cohorts=cohorts)


def simulate(
    design: DoseEscalationDesign,
    truth: Sequence[float],
    *,
    n_trials: int = 10_000,
    seed: int,
    start_dose: int = 0,
) -> OperatingCharacteristics:
    """Operating characteristics of ``design`` (cohort size and number of cohorts are the
    design's parameters) when the true DLT rates are ``truth``; ``start_dose`` is 0-based."""
    sims = run_trials(design, truth, n_trials=n_trials, seed=seed, start_dose=start_dose)
    k = sims.n.shape[1]
    counts = np.bincount(sims.mtd[sims.mtd != NO_DOSE], minlength=k)
    pct = 100.0 / n_trials
    max_cohorts = design.max_cohorts(k)
    return OperatingCharacteristics(
        design=design.name,
        truth=tuple(float(v) for v in truth),
        n_trials=n_trials,
        seed=seed,
        start_dose=start_dose,
        cohort_size=design.cohort_size,
        max_cohorts=max_cohorts,
        selection_pct=tuple(100.0 * float(c) / n_trials for c in counts),
        no_mtd_pct=float(np.count_nonzero(sims.mtd == NO_DOSE)) * pct,
        early_stop_pct=float(np.count_nonzero(sims.cohorts < max_cohorts)) * pct,
        mean_patients=tuple(float(v) for v in sims.n.mean(axis=0)),
        mean_dlts=tuple(float(v) for v in sims.y.mean(axis=0)),
        mean_total_patients=float(sims.n.sum(axis=1).mean()),
        mean_total_dlts=float(sims.y.sum(axis=1).mean()),
    )
