"""Explanations: what each criterion concluded, from which evidence, and what is missing.

These are plain slotted dataclasses, not pydantic models: a screening builds a few hundred of
them per patient × trial, and validating each cost more than the evaluation itself (issue 11).
Their inputs come from the evaluator, never from outside. Pydantic still reads and describes
them at the boundaries (stdlib dataclasses are pydantic types): the API's response schema and
:meth:`cartrial.evaluate.ScreeningResult.model_validate` for stored JSON.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum
from typing import Any

from cartrial.evaluate.truth import Truth


@dataclass(slots=True, kw_only=True)
class Evidence:
    """One fact used: the source resource, the value before and after conversion, and more."""

    resource: str | None = None
    concept: str | None = None
    date: dt.date | None = None
    value: float | str | bool | None = None
    unit: str | None = None
    original_value: float | str | None = None
    original_unit: str | None = None
    threshold: float | None = None
    uln: float | None = None
    uln_source: str | None = None
    detail: str | None = None
    inputs: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        # an int reads as a float, as the former pydantic ``float`` fields did (a bool stays)
        if type(self.value) is int:
            self.value = float(self.value)
        if type(self.original_value) is int:
            self.original_value = float(self.original_value)
        if type(self.threshold) is int:
            self.threshold = float(self.threshold)
        if type(self.uln) is int:
            self.uln = float(self.uln)


@dataclass(slots=True, kw_only=True)
class NodeResult:
    """The evaluation of one node. ``manual`` marks a ManualReview assumed pending review.

    ``assumed`` is True when the status holds only by a ManualReview assumption (the node is a
    ManualReview, or a composite whose data alone leave it open). ``blocked`` lists the
    computable children whose UNKNOWN status kept a protocol exception from deciding (see
    :mod:`cartrial.evaluate.composites`). Results may be shared (pure ones are cached per node):
    derive a changed one with :func:`dataclasses.replace`, never assign to a field.
    """

    id: str
    kind: str
    text: str
    status: Truth
    manual: bool = False
    reason: str = ""
    evidence: tuple[Evidence, ...] = ()
    missing: tuple[str, ...] = ()
    flips_on: date | None = None
    window_based: bool = False
    children: tuple[NodeResult, ...] = ()
    note: str | None = None
    needs: int | None = None  # composites: how many children must be TRUE
    assumed: bool = False
    blocked: tuple[str, ...] = ()


class Verdict(StrEnum):
    ELIGIBLE = "ELIGIBLE"
    NEEDS_DATA = "NEEDS_DATA"
    INELIGIBLE = "INELIGIBLE"
