"""Bayesian optimal interval (BOIN) design for phase I dose finding.

Sources:

* Liu S, Yuan Y. Bayesian optimal interval designs for phase I clinical trials.
  *J R Stat Soc Ser C Appl Stat* 2015;64:507-523 (boundaries, elimination, isotonic MTD).
* Yuan Y, Hess KR, Hilsenbeck SG, Gilbert MR. Bayesian optimal interval design: a simple and
  well-performing design for phase I oncology trials. *Clin Cancer Res* 2016;22:4291-4301.
* Yan F, Zhang L, Zhou Y, Pan H, Liu S, Yuan Y. BOIN: an R package for designing single-agent
  and drug-combination dose-finding trials. *J Stat Softw* 2020;94(13) - the reference
  implementation whose conventions are followed where the papers leave a choice:
  boundaries are counts ``floor(lambda_e * n)`` / ``ceil(lambda_d * n)`` (de-escalation capped
  at the elimination count); the ``n.earlystop`` rule stops only when the next cohort would stay
  at the current dose; the isotonic estimate uses ``(y + 0.05) / (n + 0.1)`` weighted by the
  inverse posterior variance.

Rules (phi = target DLT rate, phi1 = 0.6 phi and phi2 = 1.4 phi by default)::

    lambda_e = log((1 - phi1) / (1 - phi)) / log(phi (1 - phi1) / (phi1 (1 - phi)))
    lambda_d = log((1 - phi) / (1 - phi2)) / log(phi2 (1 - phi) / (phi (1 - phi2)))

    observed rate y/n at the current dose <= lambda_e -> escalate
                                          >= lambda_d -> de-escalate
                                          otherwise  -> stay

    eliminate dose j and every higher dose when n_j >= 3 and Pr(p_j > phi | y_j, n_j) > 0.95
    (Beta(1, 1) prior); stop the trial when the lowest dose is eliminated. Extra-safe option:
    also stop when n_1 >= 3 and Pr(p_1 > phi | data) > cutoff - offset.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from enum import IntEnum
from typing import ClassVar, Literal

import numpy as np

from cartrial.designs.base import (
    NO_DOSE,
    Action,
    BatchDecision,
    BoolArray,
    DecisionRow,
    DecisionTable,
    DoseEscalationDesign,
    FloatArray,
    IntArray,
    check_int,
    check_probability,
)
from cartrial.designs.isotonic import isotonic_regression
from cartrial.designs.posterior import posterior_tail_table
from cartrial.domain.errors import DataError

EarlyStopRule = Literal["with_stay", "simple"]

_TIE_TOL = 1e-12


class Reason(IntEnum):
    LOWEST_ELIMINATED = 0
    EXTRA_SAFE_STOP = 1
    MAX_SAMPLE_SIZE = 2
    UNTREATED = 3
    CURRENT_ELIMINATED = 4
    EARLY_STOP = 5
    ESCALATE = 6
    ESCALATE_BLOCKED_TOP = 7
    ESCALATE_BLOCKED_ELIMINATED = 8
    DEESCALATE = 9
    DEESCALATE_BLOCKED_LOWEST = 10
    STAY = 11


def boin_lambdas(target: float, phi1: float, phi2: float) -> tuple[float, float]:
    """(lambda_e, lambda_d) of Liu & Yuan 2015, eq. (2)."""
    lam_e = math.log((1 - phi1) / (1 - target)) / math.log(
        target * (1 - phi1) / (phi1 * (1 - target))
    )
    lam_d = math.log((1 - target) / (1 - phi2)) / math.log(
        phi2 * (1 - target) / (target * (1 - phi2))
    )
    return lam_e, lam_d


@dataclass(frozen=True, slots=True)
class _Rules:
    """Count tables indexed by n (0..n_max); built once per call from the parameters."""

    lambda_e: float
    lambda_d: float
    escalate_max: IntArray  # escalate if y <= escalate_max[n]  (-1 at n = 0: never)
    deescalate_min: IntArray  # de-escalate if y >= deescalate_min[n]
    eliminate_min: IntArray  # eliminate if y >= eliminate_min[n] (n + 1: never)
    stop_lowest_min: IntArray  # extra-safe stop if y_1 >= this (n + 1: never)
    tail: FloatArray  # Pr(p > target | y, n)


class Boin(DoseEscalationDesign):
    """BOIN design (Liu & Yuan 2015) with elimination, extra-safe and early-stop rules.

    Parameters
    ----------
    target:
        Target DLT rate phi, 0 < phi < 1.
    cohort_size, n_cohorts:
        Patients per cohort and number of cohorts; the maximum sample size is their product.
    n_earlystop:
        Stop (and select the MTD) once this many patients have been treated at the current dose
        and, with ``early_stop_rule="with_stay"`` (the BOIN R package >= 2.7 rule), the next
        cohort would stay at that dose; ``"simple"`` stops as soon as the count is reached.
        The default 100 effectively disables the rule, as in the R package.
    phi1, phi2:
        Highest rate deemed sub-therapeutic / lowest deemed overly toxic
        (defaults 0.6 phi and 1.4 phi).
    cutoff_eli:
        Posterior probability cut-off of the elimination rule (0.95).
    extrasafe, offset:
        Stricter stopping rule for the lowest dose: cut-off ``cutoff_eli - offset``.
    """

    name: ClassVar[str] = "boin"
    reason_names: ClassVar[tuple[str, ...]] = tuple(r.name.lower() for r in Reason)

    def __init__(
        self,
        target: float,
        *,
        cohort_size: int = 3,
        n_cohorts: int = 10,
        n_earlystop: int = 100,
        phi1: float | None = None,
        phi2: float | None = None,
        cutoff_eli: float = 0.95,
        extrasafe: bool = False,
        offset: float = 0.05,
        early_stop_rule: EarlyStopRule = "with_stay",
    ) -> None:
        self.target = target
        self._cohort_size = cohort_size
        self.n_cohorts = n_cohorts
        self.n_earlystop = n_earlystop
        self.phi1 = phi1
        self.phi2 = phi2
        self.cutoff_eli = cutoff_eli
        self.extrasafe = extrasafe
        self.offset = offset
        self.early_stop_rule = early_stop_rule

    def __repr__(self) -> str:
        return (
            f"Boin(target={self.target!r}, cohort_size={self._cohort_size!r}, "
            f"n_cohorts={self.n_cohorts!r}, n_earlystop={self.n_earlystop!r}, "
            f"phi1={self.phi1!r}, phi2={self.phi2!r}, cutoff_eli={self.cutoff_eli!r}, "
            f"extrasafe={self.extrasafe!r}, offset={self.offset!r}, "
            f"early_stop_rule={self.early_stop_rule!r})"
        )

    # ----------------------------------------------------------------- parameters

    @property
    def cohort_size(self) -> int:
        return self._cohort_size

    @property
    def max_sample_size(self) -> int:
        return self._cohort_size * self.n_cohorts

    def max_cohorts(self, n_doses: int) -> int:
        return self.n_cohorts

    def _phis(self) -> tuple[float, float, float]:
        target = check_probability(self.target, "target")
        phi1 = (
            0.6 * target if self.phi1 is None else check_probability(self.phi1, "phi1", hi=target)
        )
        phi2 = (
            1.4 * target if self.phi2 is None else check_probability(self.phi2, "phi2", lo=target)
        )
        if not 0 < phi1 < target:
            raise DataError(f"phi1 = {phi1:g} must be below the target {target:g}", field="phi1")
        if not target < phi2 < 1:
            raise DataError(
                f"phi2 = {phi2:g} must lie between the target {target:g} and 1"
                + (" (1.4 x target >= 1: give phi2 explicitly)" if self.phi2 is None else ""),
                field="phi2",
            )
        return target, phi1, phi2

    def validate(self) -> None:
        self._phis()
        check_int(self._cohort_size, "cohort_size", lo=1)
        check_int(self.n_cohorts, "n_cohorts", lo=1)
        check_int(self.n_earlystop, "n_earlystop", lo=1)
        check_probability(self.cutoff_eli, "cutoff_eli")
        if not isinstance(self.extrasafe, bool):
            raise DataError(f"must be true or false, got {self.extrasafe!r}", field="extrasafe")
        if self.extrasafe:
            off = float(self.offset)
            if not 0 <= off < 0.5 or not 0 < self.cutoff_eli - off < 1:
                raise DataError(f"{off:g} must be in [0, 0.5)", field="offset")
        if self.early_stop_rule not in ("with_stay", "simple"):
            raise DataError(
                f"{self.early_stop_rule!r} is not one of 'with_stay', 'simple'",
                field="early_stop_rule",
            )

    def lambdas(self) -> tuple[float, float]:
        """(lambda_e, lambda_d): escalate if y/n <= lambda_e, de-escalate if y/n >= lambda_d."""
        self.validate()
        return boin_lambdas(*self._phis())

    def _rules(self, n_max: int) -> _Rules:
        target, phi1, phi2 = self._phis()
        lam_e, lam_d = boin_lambdas(target, phi1, phi2)
        n = np.arange(n_max + 1, dtype=np.int64)
        tail = posterior_tail_table(target, n_max)
        y = np.arange(n_max + 1)[None, :]

        def first_exceeding(cutoff: float) -> IntArray:
            hit = (tail > cutoff) & (y <= n[:, None]) & (n[:, None] >= 3)
            found: IntArray = np.where(hit.any(axis=1), hit.argmax(axis=1), n + 1).astype(np.int64)
            return found

        eliminate = first_exceeding(self.cutoff_eli)
        esc = np.floor(lam_e * n).astype(np.int64)
        dee = np.ceil(lam_d * n).astype(np.int64)
        dee = np.minimum(dee, eliminate)
        esc[0] = -1
        dee[0] = 1
        stop_lowest = (
            first_exceeding(self.cutoff_eli - float(self.offset)) if self.extrasafe else n + 1
        )
        return _Rules(lam_e, lam_d, esc, dee, eliminate, stop_lowest, tail)

    # ----------------------------------------------------------------- boundaries

    def boundaries(self) -> DecisionTable:
        """lambda_e, lambda_d and the count table for n = 1 .. min(max sample size, n_earlystop)."""
        self.validate()
        n_top = min(self.max_sample_size, self.n_earlystop)
        rules = self._rules(n_top)
        rows = []
        stop: list[int | None] = []
        for n in range(1, n_top + 1):
            elim = int(rules.eliminate_min[n])
            esc = int(rules.escalate_max[n])
            rows.append(
                DecisionRow(
                    n=n,
                    escalate_max=esc if esc >= 0 else None,
                    deescalate_min=int(rules.deescalate_min[n]),
                    eliminate_min=elim if elim <= n else None,
                )
            )
            s = int(rules.stop_lowest_min[n])
            stop.append(s if s <= n else None)
        return DecisionTable(
            design=self.name,
            target=float(self.target),
            lambda_e=rules.lambda_e,
            lambda_d=rules.lambda_d,
            cohort_size=self._cohort_size,
            rows=tuple(rows),
            stop_lowest_min=tuple(stop) if self.extrasafe else None,
        )

    # ----------------------------------------------------------------- decisions

    def _n_max(self, n: IntArray) -> int:
        return max(self.max_sample_size, int(n.max(initial=0)))

    def decide_batch(self, n: IntArray, y: IntArray, current: IntArray) -> BatchDecision:
        rules = self._rules(self._n_max(n))
        trials, k = n.shape
        rows = np.arange(trials)
        nc = n[rows, current]
        yc = y[rows, current]

        elim_from = _eliminated_from(n, y, rules)
        extra_stop = _extra_safe_stop(n, y, rules)
        full = n.sum(axis=1) >= self.max_sample_size
        treated = nc > 0
        esc = treated & (yc <= rules.escalate_max[nc])
        dee = treated & ~esc & (yc >= rules.deescalate_min[nc])
        top = current + 1 >= k
        up_ok = esc & ~top & (current + 1 < elim_from)
        cur_elim = current >= elim_from

        nxt = current.copy()
        nxt[up_ok] += 1
        down = dee & (current > 0)
        nxt[down] -= 1
        nxt[cur_elim] = elim_from[cur_elim] - 1
        if self.early_stop_rule == "with_stay":
            early = treated & (nc >= self.n_earlystop) & (nxt == current)
        else:
            early = treated & (nc >= self.n_earlystop)

        conditions = [
            elim_from == 0,
            extra_stop,
            full,
            ~treated,
            cur_elim,
            early,
            up_ok,
            esc & top,
            esc,
            down,
            dee,
        ]
        codes = [
            Reason.LOWEST_ELIMINATED,
            Reason.EXTRA_SAFE_STOP,
            Reason.MAX_SAMPLE_SIZE,
            Reason.UNTREATED,
            Reason.CURRENT_ELIMINATED,
            Reason.EARLY_STOP,
            Reason.ESCALATE,
            Reason.ESCALATE_BLOCKED_TOP,
            Reason.ESCALATE_BLOCKED_ELIMINATED,
            Reason.DEESCALATE,
            Reason.DEESCALATE_BLOCKED_LOWEST,
        ]
        reason = np.select(conditions, [int(c) for c in codes], default=int(Reason.STAY))
        action = _ACTION_OF[reason]
        nxt = np.where(action == Action.STOP, NO_DOSE, nxt)
        return BatchDecision(
            action=action.astype(np.int8),
            next_dose=nxt.astype(np.int64),
            reason=reason.astype(np.int8),
        )

    # ----------------------------------------------------------------- MTD selection

    def _admissible(self, n: IntArray, y: IntArray, rules: _Rules) -> tuple[IntArray, BoolArray]:
        """Lowest eliminated dose (k if none) and the doses that may be selected."""
        k = n.shape[1]
        elim_from = _eliminated_from(n, y, rules)
        admissible = (n > 0) & (np.arange(k)[None, :] < elim_from[:, None])
        admissible &= ~_extra_safe_stop(n, y, rules)[:, None]
        return elim_from, admissible

    def _isotonic(self, n: IntArray, y: IntArray, admissible: BoolArray) -> FloatArray:
        """Isotonic DLT-rate estimates over the admissible doses (NaN elsewhere)."""
        yf = y.astype(np.float64)
        nf = n.astype(np.float64)
        phat = (yf + 0.05) / (nf + 0.1)
        var = (yf + 0.05) * (nf - yf + 0.05) / ((nf + 0.1) ** 2 * (nf + 1.1))
        weights = np.where(admissible, 1.0 / var, 0.0)
        return isotonic_regression(phat, weights)

    def select_mtd_batch(self, n: IntArray, y: IntArray) -> IntArray:
        """Dose whose isotonic estimate is closest to the target (Liu & Yuan 2015, §2.3).

        Only treated, non-eliminated doses compete. Ties go to the higher dose when the tied
        estimates are below the target, otherwise to the lower dose.
        """
        rules = self._rules(self._n_max(n))
        _, admissible = self._admissible(n, y, rules)
        est = self._isotonic(n, y, admissible)
        target = float(self.target)
        dist = np.where(admissible, np.abs(est - target), np.inf)
        best = dist.min(axis=1)
        tied = admissible & (dist <= best[:, None] + _TIE_TOL)
        below = np.where(tied, est < target, True).all(axis=1)
        k = n.shape[1]
        first = tied.argmax(axis=1)
        last = k - 1 - tied[:, ::-1].argmax(axis=1)
        chosen = np.where(below, last, first)
        out: IntArray = np.where(admissible.any(axis=1), chosen, NO_DOSE).astype(np.int64)
        return out

    def estimates(self, n: IntArray, y: IntArray) -> tuple[float | None, ...]:
        rules = self._rules(self._n_max(n[None, :]))
        _, admissible = self._admissible(n[None, :], y[None, :], rules)
        est = self._isotonic(n[None, :], y[None, :], admissible)[0]
        return tuple(None if np.isnan(v) else float(v) for v in est)

    # ----------------------------------------------------------------- explanations

    def explain(self, code: int, n: IntArray, y: IntArray, current: int) -> str:
        rules = self._rules(self._n_max(n))
        r = Reason(code)
        lvl = current + 1
        nc, yc = int(n[current]), int(y[current])
        rate = f"{yc}/{nc} DLTs at level {lvl}"
        lam = f"lambda_e = {rules.lambda_e:.4f}, lambda_d = {rules.lambda_d:.4f}"
        if r is Reason.LOWEST_ELIMINATED:
            p = rules.tail[n[0], y[0]]
            return (
                f"{y[0]}/{n[0]} DLTs at level 1: Pr(DLT rate > {self.target:g}) = {p:.3f} > "
                f"{self.cutoff_eli:g}, so level 1 and every higher level are eliminated; "
                "stop the trial without selecting a dose"
            )
        if r is Reason.EXTRA_SAFE_STOP:
            p = rules.tail[n[0], y[0]]
            return (
                f"extra-safe rule: {y[0]}/{n[0]} DLTs at level 1, Pr(DLT rate > {self.target:g}) "
                f"= {p:.3f} > {self.cutoff_eli - self.offset:g}; stop the trial"
            )
        if r is Reason.MAX_SAMPLE_SIZE:
            return (
                f"{int(n.sum())} patients treated: the maximum sample size "
                f"({self.max_sample_size}) is reached; stop and select the MTD"
            )
        if r is Reason.UNTREATED:
            return f"no patient treated yet at level {lvl}: treat the next cohort there"
        if r is Reason.CURRENT_ELIMINATED:
            p = rules.tail[nc, yc]
            return (
                f"{rate}: Pr(DLT rate > {self.target:g}) = {p:.3f} > {self.cutoff_eli:g}, "
                f"level {lvl} and above are eliminated; de-escalate"
            )
        if r is Reason.EARLY_STOP:
            return (
                f"{nc} patients treated at level {lvl} (n_earlystop = {self.n_earlystop}); "
                "stop and select the MTD"
            )
        esc_max = int(rules.escalate_max[nc])
        dee_min = int(rules.deescalate_min[nc])
        obs = f"{rate} (rate {yc / nc:.3f}; at n = {nc} escalate if DLTs <= {esc_max}, de-escalate if >= {dee_min}; {lam})"
        return {
            Reason.ESCALATE: f"{obs}: escalate",
            Reason.ESCALATE_BLOCKED_TOP: f"{obs}: escalation indicated but level {lvl} is the highest; stay",
            Reason.ESCALATE_BLOCKED_ELIMINATED: f"{obs}: escalation indicated but level {lvl + 1} is eliminated; stay",
            Reason.DEESCALATE: f"{obs}: de-escalate",
            Reason.DEESCALATE_BLOCKED_LOWEST: f"{obs}: de-escalation indicated but level 1 is the lowest; stay",
            Reason.STAY: f"{obs}: stay",
        }[r]

    def _no_mtd_reason(self, n: IntArray, y: IntArray) -> str:
        rules = self._rules(self._n_max(n))
        elim_from, admissible = self._admissible(n[None, :], y[None, :], rules)
        if int(elim_from[0]) == 0:
            return "level 1 is eliminated (too toxic)"
        if not admissible.any():
            if self.extrasafe and n[0] >= 3:
                return "level 1 meets the extra-safe stopping rule"
            return "no admissible dose has been tried"
        return "no admissible dose"

    def _mtd_reason(
        self, dose: int, n: IntArray, y: IntArray, estimates: tuple[float | None, ...]
    ) -> str:
        est = estimates[dose]
        return (
            f"level {dose + 1}: isotonic DLT-rate estimate {est:.3f} is the closest to the "
            f"target {self.target:g} among the treated, non-eliminated levels"
        )


def _eliminated_from(n: IntArray, y: IntArray, rules: _Rules) -> IntArray:
    """Per trial, the lowest eliminated dose (n >= 3 and Pr(p > phi) > cut-off), else k."""
    eliminated = y >= rules.eliminate_min[n]  # eliminate_min is n + 1 ("never") below n = 3
    found: IntArray = np.where(eliminated.any(axis=1), eliminated.argmax(axis=1), n.shape[1])
    return found


def _extra_safe_stop(n: IntArray, y: IntArray, rules: _Rules) -> BoolArray:
    """Extra-safe rule met at the lowest dose (always False when the option is off)."""
    met: BoolArray = y[:, 0] >= rules.stop_lowest_min[n[:, 0]]
    return met


_ACTION_OF = np.empty(len(Reason), dtype=np.int8)
for _r, _a in {
    Reason.LOWEST_ELIMINATED: Action.STOP,
    Reason.EXTRA_SAFE_STOP: Action.STOP,
    Reason.MAX_SAMPLE_SIZE: Action.STOP,
    Reason.UNTREATED: Action.STAY,
    Reason.CURRENT_ELIMINATED: Action.DEESCALATE,
    Reason.EARLY_STOP: Action.STOP,
    Reason.ESCALATE: Action.ESCALATE,
    Reason.ESCALATE_BLOCKED_TOP: Action.STAY,
    Reason.ESCALATE_BLOCKED_ELIMINATED: Action.STAY,
    Reason.DEESCALATE: Action.DEESCALATE,
    Reason.DEESCALATE_BLOCKED_LOWEST: Action.STAY,
    Reason.STAY: Action.STAY,
}.items():
    _ACTION_OF[_r] = _a
