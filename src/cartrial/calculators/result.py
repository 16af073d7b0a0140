"""The result every calculator returns: value, category, components, conventions and citation."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class CalcResult(BaseModel):
    """Immutable outcome of one calculator call.

    ``value`` is the headline number (or grade, label, flag); ``components`` holds every item and
    intermediate so a clinician can re-derive it by hand; ``conventions`` records each choice made
    where sources or sponsors differ (weight basis, rounding, counting rule ...); ``reference`` is
    the published source the computation follows.
    """

    model_config = ConfigDict(frozen=True)

    calculator: str
    value: float | int | str | bool | None
    unit: str | None = None
    category: str | None = None
    components: dict[str, Any] = Field(default_factory=dict)
    conventions: dict[str, Any] = Field(default_factory=dict)
    reference: str

    def to_json_dict(self) -> dict[str, Any]:
        """Plain JSON-ready dict (the shape the CLI and API print)."""
        return {
            "calculator": self.calculator,
            "value": self.value,
            "unit": self.unit,
            "category": self.category,
            "components": self.components,
            "conventions": self.conventions,
            "reference": self.reference,
        }
