"""The traditional 3+3 dose-escalation design.

Rules as described by Storer BE, *Biometrics* 1989;45:925-937 (design "A+B" with A = B = 3) and
reviewed by Le Tourneau C, Lee JJ, Siu LL, *J Natl Cancer Inst* 2009;101:708-720:

* Treat 3 patients at the current dose.
  - 0/3 DLT: escalate to the next dose.
  - 1/3 DLT: treat 3 more at the same dose (expand to 6).
    - 1/6 DLT: escalate.
    - >= 2/6 DLT: the MTD is exceeded.
  - >= 2/3 DLT: the MTD is exceeded.
* When the MTD is exceeded at dose j, the MTD is dose j - 1, which must have 6 patients: if it has
  only 3, 3 more are treated there (and if 2 or more of its 6 have a DLT the MTD is exceeded
  there too, and so on downwards). A dose where the MTD was exceeded is never re-entered.
* MTD exceeded at the lowest dose: stop, no MTD.
* The highest dose is declared MTD only after 6 patients with at most 1 DLT (0/3 there is
  expanded to 6 instead of "escalating" past the top), likewise the dose just below an exceeded
  one.

:meth:`ThreePlusThree.select_mtd` returns the highest dose below the lowest exceeded dose that
has >= 6 patients with <= 1 DLT (so a trial cut short by ``n_cohorts`` reports the highest
dose confirmed so far).
"""

from __future__ import annotations

from enum import IntEnum
from typing import ClassVar

import numpy as np

from cartrial.designs.base import (
    NO_DOSE,
    Action,
    BatchDecision,
    DecisionRow,
    DecisionTable,
    DoseEscalationDesign,
    IntArray,
    check_int,
)


class Reason(IntEnum):
    LOWEST_TOO_TOXIC = 0
    MTD_FOUND_BELOW = 1
    EXCEEDED = 2
    MAX_SAMPLE_SIZE = 3
    UNTREATED = 4
    EXPAND = 5
    ESCALATE_0_OF_3 = 6
    CONFIRM = 7
    ESCALATE_OF_6 = 8
    MTD_FOUND = 9


_ACTION_OF = np.array(
    [
        Action.STOP,  # LOWEST_TOO_TOXIC
        Action.STOP,  # MTD_FOUND_BELOW
        Action.DEESCALATE,  # EXCEEDED
        Action.STOP,  # MAX_SAMPLE_SIZE
        Action.STAY,  # UNTREATED
        Action.STAY,  # EXPAND
        Action.ESCALATE,  # ESCALATE_0_OF_3
        Action.STAY,  # CONFIRM
        Action.ESCALATE,  # ESCALATE_OF_6
        Action.STOP,  # MTD_FOUND
    ],
    dtype=np.int8,
)

EXPANDED = 6
"""Patients at a dose after expansion (3 + 3)."""


class ThreePlusThree(DoseEscalationDesign):
    """3+3 design. ``n_cohorts`` caps the number of cohorts of 3 (None: no cap; a 3+3 trial
    never needs more than two cohorts per dose level)."""

    name: ClassVar[str] = "3+3"
    reason_names: ClassVar[tuple[str, ...]] = tuple(r.name.lower() for r in Reason)

    def __init__(self, *, n_cohorts: int | None = None) -> None:
        self.n_cohorts = n_cohorts

    def __repr__(self) -> str:
        return f"ThreePlusThree(n_cohorts={self.n_cohorts!r})"

    @property
    def cohort_size(self) -> int:
        return 3

    def max_cohorts(self, n_doses: int) -> int:
        natural = 2 * n_doses
        return natural if self.n_cohorts is None else min(self.n_cohorts, natural)

    def validate(self) -> None:
        if self.n_cohorts is not None:
            check_int(self.n_cohorts, "n_cohorts", lo=1)

    def boundaries(self) -> DecisionTable:
        """The 3+3 rules as a count table (n = 3 and n = 6; 1/3 means: expand to 6)."""
        self.validate()
        return DecisionTable(
            design=self.name,
            target=None,
            lambda_e=None,
            lambda_d=None,
            cohort_size=3,
            rows=(
                DecisionRow(n=3, escalate_max=0, deescalate_min=2, eliminate_min=2),
                DecisionRow(n=6, escalate_max=1, deescalate_min=2, eliminate_min=2),
            ),
        )

    # ----------------------------------------------------------------- decisions

    @staticmethod
    def _exceeded_from(n: IntArray, y: IntArray) -> IntArray:
        """Lowest dose with >= 2 DLTs (the MTD is exceeded there), else k."""
        exceeded = (n > 0) & (y >= 2)
        found: IntArray = np.where(exceeded.any(axis=1), exceeded.argmax(axis=1), n.shape[1])
        return found

    def decide_batch(self, n: IntArray, y: IntArray, current: IntArray) -> BatchDecision:
        trials, k = n.shape
        rows = np.arange(trials)
        nc = n[rows, current]
        yc = y[rows, current]
        m = self._exceeded_from(n, y)
        below = np.maximum(m - 1, 0)
        below_full = n[rows, below] >= EXPANDED
        closed = current >= m
        cap = None if self.n_cohorts is None else 3 * self.n_cohorts
        full = np.zeros(trials, dtype=bool) if cap is None else n.sum(axis=1) >= cap
        can_go_up = (current + 1 < m) & (current + 1 < k)
        first = nc < EXPANDED

        conditions = [
            m == 0,
            closed & below_full,
            full,
            closed,
            nc == 0,
            first & (yc == 1),
            first & (yc == 0) & can_go_up,
            first,
            can_go_up,
        ]
        codes = [
            Reason.LOWEST_TOO_TOXIC,
            Reason.MTD_FOUND_BELOW,
            Reason.MAX_SAMPLE_SIZE,
            Reason.EXCEEDED,
            Reason.UNTREATED,
            Reason.EXPAND,
            Reason.ESCALATE_0_OF_3,
            Reason.CONFIRM,
            Reason.ESCALATE_OF_6,
        ]
        reason = np.select(conditions, [int(c) for c in codes], default=int(Reason.MTD_FOUND))
        action = _ACTION_OF[reason]
        nxt = np.where(
            action == Action.ESCALATE,
            current + 1,
            np.where(action == Action.DEESCALATE, m - 1, current),
        )
        nxt = np.where(action == Action.STOP, NO_DOSE, nxt)
        return BatchDecision(
            action=action.astype(np.int8),
            next_dose=nxt.astype(np.int64),
            reason=reason.astype(np.int8),
        )

    def select_mtd_batch(self, n: IntArray, y: IntArray) -> IntArray:
        k = n.shape[1]
        m = self._exceeded_from(n, y)
        ok = (n >= EXPANDED) & (y <= 1) & (np.arange(k)[None, :] < m[:, None])
        last = k - 1 - ok[:, ::-1].argmax(axis=1)
        out: IntArray = np.where(ok.any(axis=1), last, NO_DOSE).astype(np.int64)
        return out

    def estimates(self, n: IntArray, y: IntArray) -> tuple[float | None, ...]:
        """Observed DLT rates (the 3+3 uses no model)."""
        return tuple(
            None if nj == 0 else float(yj) / float(nj) for nj, yj in zip(n, y, strict=True)
        )

    # ----------------------------------------------------------------- explanations

    def explain(self, code: int, n: IntArray, y: IntArray, current: int) -> str:
        r = Reason(code)
        lvl = current + 1
        nc, yc = int(n[current]), int(y[current])
        m = int(self._exceeded_from(n[None, :], y[None, :])[0])
        if r is Reason.LOWEST_TOO_TOXIC:
            return f"{y[0]}/{n[0]} DLTs at level 1: the MTD is exceeded at the lowest dose; stop, no MTD"
        if r is Reason.MTD_FOUND_BELOW:
            return (
                f"{y[m]}/{n[m]} DLTs at level {m + 1} exceed the MTD; level {m} has "
                f"{y[m - 1]}/{n[m - 1]} DLTs: stop, MTD = level {m}"
            )
        if r is Reason.EXCEEDED:
            return (
                f"{y[m]}/{n[m]} DLTs at level {m + 1} exceed the MTD; de-escalate to level {m} "
                f"({n[m - 1]} treated there) to complete 6 patients"
            )
        if r is Reason.MAX_SAMPLE_SIZE:
            return f"{int(n.sum())} patients treated: the maximum of {3 * (self.n_cohorts or 0)} is reached; stop"
        if r is Reason.UNTREATED:
            return f"no patient treated yet at level {lvl}: treat 3 patients there"
        if r is Reason.EXPAND:
            return f"{yc}/{nc} DLTs at level {lvl}: treat 3 more patients at level {lvl}"
        if r is Reason.ESCALATE_0_OF_3:
            return f"{yc}/{nc} DLTs at level {lvl}: escalate to level {lvl + 1}"
        if r is Reason.CONFIRM:
            where = "the highest level" if lvl == n.size else f"level {lvl + 1} exceeded the MTD"
            return f"{yc}/{nc} DLTs at level {lvl} and {where}: treat 3 more to confirm the MTD"
        if r is Reason.ESCALATE_OF_6:
            return f"{yc}/{nc} DLTs at level {lvl}: escalate to level {lvl + 1}"
        where = "the highest level" if lvl == n.size else f"level {lvl + 1} exceeded the MTD"
        return f"{yc}/{nc} DLTs at level {lvl} and {where}: stop, MTD = level {lvl}"

    def _no_mtd_reason(self, n: IntArray, y: IntArray) -> str:
        m = int(self._exceeded_from(n[None, :], y[None, :])[0])
        if m == 0:
            return "the MTD is exceeded at level 1"
        return "no level below the lowest exceeded level has 6 patients with at most 1 DLT"

    def _mtd_reason(
        self, dose: int, n: IntArray, y: IntArray, estimates: tuple[float | None, ...]
    ) -> str:
        return f"level {dose + 1}: {y[dose]}/{n[dose]} DLTs, the highest level confirmed with 6 patients"
