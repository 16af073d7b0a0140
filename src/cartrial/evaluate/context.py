"""Evaluation context and the handler registry (one handler per node class)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date, timedelta
from typing import Any, TypeVar

from cartrial.criteria.interpret import Interpreter
from cartrial.criteria.nodes import Criterion, Window
from cartrial.domain.patient import Patient
from cartrial.evaluate.result import NodeResult

N = TypeVar("N")
Handler = Callable[[Any, "Context"], NodeResult]
EVALUATOR: Interpreter[Handler] = Interpreter("evaluate")


@dataclass(frozen=True)
class Context:
    """Everything a handler may read: the patient, the clock and the protocol's defaults.

    ``favourable`` is the truth value that helps the patient enter the trial at this point of
    the tree (TRUE under an inclusion, FALSE under an exclusion, flipped by ``not``); a
    ManualReview node takes it, marked as an assumption pending the investigator's review.
    ``lean`` asks for the status alone (:func:`cartrial.evaluate.screening.verdict_only`).
    """

    patient: Patient
    as_of: date
    screening_window_days: int = 28
    favourable: bool = True
    # the verdict-only path: composites stop once decided and keep no explanation
    lean: bool = False

    def flipped(self) -> Context:
        return replace(self, favourable=not self.favourable)

    def lookback_start(self, window: Window | None) -> date:
        if window is None:
            return self.as_of - timedelta(days=self.screening_window_days)
        return window.start(self.as_of)

    def lookback_label(self, window: Window | None) -> str:
        if window is None:
            return f"the {self.screening_window_days}-day screening window"
        return f"the look-back of {window}"


def handles(
    cls: type[N],
) -> Callable[[Callable[[N, Context], NodeResult]], Callable[[N, Context], NodeResult]]:
    """Register the evaluator's handler for ``cls`` (one per node class)."""
    return EVALUATOR.register(cls)


_TABLE: dict[type, Handler] = {}  # node class -> handler, filled from EVALUATOR on first use


def evaluate_node(node: Criterion, ctx: Context) -> NodeResult:
    fn = _TABLE.get(type(node))
    if fn is None:
        fn = _TABLE[type(node)] = EVALUATOR.handler(type(node))
    result: NodeResult = fn(node, ctx)
    return result
