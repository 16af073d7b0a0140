"""Explanations: what each criterion concluded, from which evidence, and what is missing."""

from __future__ import annotations

import datetime as dt
from datetime import date
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from cartrial.evaluate.truth import Truth


class Evidence(BaseModel):
    """One fact used: the source resource, the value before and after conversion, and more."""

    model_config = ConfigDict(frozen=True)

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
    inputs: dict[str, Any] = Field(default_factory=dict)


class NodeResult(BaseModel):
    """The evaluation of one node. ``manual`` marks a ManualReview assumed pending review.

    ``assumed`` is True when the status holds only by a ManualReview assumption (the node is a
    ManualReview, or a composite whose data alone leave it open). ``blocked`` lists the
    computable children whose UNKNOWN status kept a protocol exception from deciding (see
    :mod:`cartrial.evaluate.composites`).
    """

    model_config = ConfigDict(frozen=True)

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
