"""Shared vocabulary of the dose-escalation designs: decisions, MTD selections, decision tables.

Conventions (all designs):

* Dose levels are **0-based indices** in the library (``n[0]`` is the lowest dose). The CLI and
  every text shown to people use 1-based dose *levels*; :attr:`Decision.next_level` converts.
* ``n[j]`` is the number of patients treated at dose ``j`` and ``y[j]`` how many had a DLT.
* Each design implements its rules **once**, vectorised over a batch of trials
  (:meth:`DoseEscalationDesign.decide_batch`, :meth:`DoseEscalationDesign.select_mtd_batch`).
  The single-trial :meth:`~DoseEscalationDesign.decide` and the simulator
  (:mod:`cartrial.designs.simulate`) both call that one implementation, so the simulated design
  is exactly the design a coordinator runs.
* ``__init__`` only stores parameters (scikit-learn style); they are validated when used and a
  bad value raises :class:`~cartrial.domain.errors.DataError` naming the parameter.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass
from enum import IntEnum
from typing import Any, ClassVar

import numpy as np
import numpy.typing as npt

from cartrial.domain.errors import DataError

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]

NO_DOSE = -1
"""Marker in batch arrays for "no dose" (trial stopped / no MTD selected)."""


class Action(IntEnum):
    """What to do with the next cohort. Integer values are used in the batch arrays."""

    ESCALATE = 0
    STAY = 1
    DEESCALATE = 2
    STOP = 3

    @property
    def label(self) -> str:
        return ("escalate", "stay", "de-escalate", "stop")[self.value]


@dataclass(frozen=True, slots=True)
class BatchDecision:
    """Decisions for a batch of trials: one entry per trial (row of ``n``/``y``)."""

    action: npt.NDArray[np.int8]
    """:class:`Action` values."""
    next_dose: IntArray
    """0-based dose for the next cohort; :data:`NO_DOSE` when the action is STOP."""
    reason: npt.NDArray[np.int8]
    """Design-specific reason code (see each design's ``Reason`` enum)."""


@dataclass(frozen=True, slots=True)
class Decision:
    """The next step of one trial, with the rule that produced it."""

    action: Action
    current: int
    """0-based index of the dose the last cohort received."""
    next_dose: int | None
    """0-based index of the dose for the next cohort (None when the trial stops)."""
    reason: str
    code: str
    """Machine-readable name of the rule that fired."""
    mtd: int | None = None
    """On STOP: the selected MTD (0-based), or None when no dose is selected."""

    @property
    def next_level(self) -> int | None:
        """1-based dose level for the next cohort (what people read)."""
        return None if self.next_dose is None else self.next_dose + 1

    @property
    def mtd_level(self) -> int | None:
        return None if self.mtd is None else self.mtd + 1

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict; dose levels are 1-based here (``*_level``)."""
        return {
            "action": self.action.label,
            "current_level": self.current + 1,
            "next_level": self.next_level,
            "mtd_level": self.mtd_level,
            "rule": self.code,
            "reason": self.reason,
        }


@dataclass(frozen=True, slots=True)
class MtdSelection:
    """The dose selected as MTD at the end of a trial (None: no dose is safe enough)."""

    dose: int | None
    """0-based index, None when no dose is selected."""
    estimates: tuple[float | None, ...]
    """Per-dose DLT-rate estimate used for the choice (None for doses not admissible)."""
    reason: str

    @property
    def level(self) -> int | None:
        return None if self.dose is None else self.dose + 1

    def to_dict(self) -> dict[str, Any]:
        return {
            "mtd_level": self.level,
            "estimates": list(self.estimates),
            "reason": self.reason,
        }


@dataclass(frozen=True, slots=True)
class DecisionRow:
    """The rule for one number of patients treated at the current dose.

    ``escalate_max``: escalate if DLTs <= this (None: never); ``deescalate_min``: de-escalate if
    DLTs >= this; ``eliminate_min``: eliminate this and higher doses if DLTs >= this (None: no
    elimination possible at this n). Between the two: stay.
    """

    n: int
    escalate_max: int | None
    deescalate_min: int | None
    eliminate_min: int | None

    def to_dict(self) -> dict[str, Any]:
        return {
            "n": self.n,
            "escalate_if_dlt_le": self.escalate_max,
            "deescalate_if_dlt_ge": self.deescalate_min,
            "eliminate_if_dlt_ge": self.eliminate_min,
        }


@dataclass(frozen=True, slots=True)
class DecisionTable:
    """A design's boundaries: the interval cut-offs (BOIN) and the count table per n."""

    design: str
    target: float | None
    lambda_e: float | None
    lambda_d: float | None
    cohort_size: int
    rows: tuple[DecisionRow, ...]
    stop_lowest_min: tuple[int | None, ...] | None = None
    """Extra-safe rule (BOIN): stop if the lowest dose has DLTs >= this, per row; else None."""

    def row(self, n: int) -> DecisionRow:
        for r in self.rows:
            if r.n == n:
                return r
        raise DataError(f"no row for n = {n}", field="n")

    def cohort_rows(self) -> tuple[DecisionRow, ...]:
        """Rows at whole cohorts (n = cohort size, 2 x cohort size, ...)."""
        return tuple(r for r in self.rows if r.n % self.cohort_size == 0)

    def to_dict(self, *, full: bool = True) -> dict[str, Any]:
        rows = self.rows if full else self.cohort_rows()
        out: dict[str, Any] = {
            "design": self.design,
            "target": self.target,
            "lambda_e": self.lambda_e,
            "lambda_d": self.lambda_d,
            "cohort_size": self.cohort_size,
            "rows": [r.to_dict() for r in rows],
        }
        if self.stop_lowest_min is not None:
            keep = {r.n for r in rows}
            out["stop_if_lowest_dose_dlt_ge"] = {
                str(r.n): s
                for r, s in zip(self.rows, self.stop_lowest_min, strict=True)
                if r.n in keep
            }
        return out


# --------------------------------------------------------------------------- input validation


def as_counts(values: object, field: str) -> IntArray:
    """A 1-D sequence of non-negative whole numbers as an int64 array, else DataError."""
    if isinstance(values, str | bytes):
        raise DataError(f"must be a list of whole numbers, got {values!r}", field=field)
    try:
        seq = list(values)  # type: ignore[call-overload]
    except TypeError:
        raise DataError(f"must be a list of whole numbers, got {values!r}", field=field) from None
    if not seq:
        raise DataError("must list at least one dose level", field=field)
    out: list[int] = []
    for i, v in enumerate(seq, 1):
        if isinstance(v, bool | np.bool_):
            raise DataError(f"level {i}: must be a whole number, got {v!r}", field=field)
        if isinstance(v, float | np.floating) and float(v).is_integer():
            v = int(v)
        if not isinstance(v, int | np.integer):
            raise DataError(f"level {i}: must be a whole number, got {v!r}", field=field)
        if v < 0:
            raise DataError(f"level {i}: must not be negative, got {v}", field=field)
        out.append(int(v))
    return np.asarray(out, dtype=np.int64)


def check_trial_data(n: object, y: object, current: object) -> tuple[IntArray, IntArray, int]:
    """Validate one trial's counts and 0-based current dose."""
    n_arr = as_counts(n, "n")
    y_arr = as_counts(y, "y")
    if n_arr.shape != y_arr.shape:
        raise DataError(f"n lists {n_arr.size} dose levels but y lists {y_arr.size}", field="y")
    bad = np.flatnonzero(y_arr > n_arr)
    if bad.size:
        j = int(bad[0])
        raise DataError(
            f"level {j + 1}: {y_arr[j]} DLTs among {n_arr[j]} patients (y must be <= n)",
            field="y",
        )
    if isinstance(current, bool) or not isinstance(current, int | np.integer):
        raise DataError(f"must be a dose index, got {current!r}", field="current")
    if not 0 <= int(current) < n_arr.size:
        raise DataError(
            f"dose index {current} is outside 0..{n_arr.size - 1} (0-based)", field="current"
        )
    return n_arr, y_arr, int(current)


def check_probability(value: object, field: str, *, lo: float = 0.0, hi: float = 1.0) -> float:
    """A float strictly inside (lo, hi)."""
    if isinstance(value, bool) or not isinstance(value, int | float | np.floating):
        raise DataError(f"must be a number, got {value!r}", field=field)
    x = float(value)
    if not lo < x < hi:
        raise DataError(f"{x:g} must lie strictly between {lo:g} and {hi:g}", field=field)
    return x


def check_int(value: object, field: str, *, lo: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int | np.integer):
        raise DataError(f"must be a whole number, got {value!r}", field=field)
    if int(value) < lo:
        raise DataError(f"must be >= {lo}, got {value}", field=field)
    return int(value)


# --------------------------------------------------------------------------- the design interface


class DoseEscalationDesign(ABC):
    """A dose-escalation design: rules for the next cohort and the choice of MTD."""

    name: ClassVar[str]
    reason_names: ClassVar[tuple[str, ...]]
    """Names of the reason codes (index = code)."""

    @property
    @abstractmethod
    def cohort_size(self) -> int: ...

    @abstractmethod
    def max_cohorts(self, n_doses: int) -> int:
        """Number of cohorts a trial may enrol (the maximum sample size / cohort size)."""

    @abstractmethod
    def decide_batch(self, n: IntArray, y: IntArray, current: IntArray) -> BatchDecision:
        """Decisions for many trials at once: ``n``, ``y`` are (trials, doses) arrays."""

    @abstractmethod
    def select_mtd_batch(self, n: IntArray, y: IntArray) -> IntArray:
        """MTD (0-based, or :data:`NO_DOSE`) for many finished trials at once."""

    @abstractmethod
    def estimates(self, n: IntArray, y: IntArray) -> tuple[float | None, ...]:
        """Per-dose DLT-rate estimates the MTD choice is based on (one trial)."""

    @abstractmethod
    def boundaries(self) -> DecisionTable: ...

    @abstractmethod
    def explain(self, code: int, n: IntArray, y: IntArray, current: int) -> str:
        """Human sentence for reason ``code`` of one trial (dose levels 1-based)."""

    @abstractmethod
    def validate(self) -> None:
        """Raise DataError if a parameter is unusable (called by every public method)."""

    def decide(
        self, n: Sequence[int] | IntArray, y: Sequence[int] | IntArray, current: int
    ) -> Decision:
        """The decision for the next cohort given the data so far; ``current`` is 0-based."""
        self.validate()
        n_arr, y_arr, cur = check_trial_data(n, y, current)
        batch = self.decide_batch(n_arr[None, :], y_arr[None, :], np.array([cur], dtype=np.int64))
        action = Action(int(batch.action[0]))
        code = int(batch.reason[0])
        nxt = int(batch.next_dose[0])
        mtd: int | None = None
        if action is Action.STOP:
            sel = int(self.select_mtd_batch(n_arr[None, :], y_arr[None, :])[0])
            mtd = None if sel == NO_DOSE else sel
        return Decision(
            action=action,
            current=cur,
            next_dose=None if action is Action.STOP else nxt,
            reason=self.explain(code, n_arr, y_arr, cur),
            code=self.reason_names[code],
            mtd=mtd,
        )

    def select_mtd(self, n: Sequence[int] | IntArray, y: Sequence[int] | IntArray) -> MtdSelection:
        """The MTD chosen from the final data (0-based index in ``.dose``)."""
        self.validate()
        n_arr, y_arr, _ = check_trial_data(n, y, 0)
        sel = int(self.select_mtd_batch(n_arr[None, :], y_arr[None, :])[0])
        est = self.estimates(n_arr, y_arr)
        if sel == NO_DOSE:
            reason = "no dose selected: " + self._no_mtd_reason(n_arr, y_arr)
        else:
            reason = self._mtd_reason(sel, n_arr, y_arr, est)
        return MtdSelection(dose=None if sel == NO_DOSE else sel, estimates=est, reason=reason)

    def _no_mtd_reason(self, n: IntArray, y: IntArray) -> str:
        return "no admissible dose"

    def _mtd_reason(
        self, dose: int, n: IntArray, y: IntArray, estimates: tuple[float | None, ...]
    ) -> str:
        return f"level {dose + 1} selected"
