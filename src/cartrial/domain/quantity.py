"""Value objects: a measured quantity with its UCUM unit, and a coded concept."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class Quantity(BaseModel):
    """A numeric value with a UCUM unit string (e.g. ``mg/dL``, ``10*9/L``)."""

    model_config = ConfigDict(frozen=True)

    value: float
    unit: str

    def __str__(self) -> str:
        return f"{self.value:g} {self.unit}"


class Code(BaseModel):
    """A code from a terminology (system URI + code), as found in the source record."""

    model_config = ConfigDict(frozen=True)

    system: str
    code: str
    display: str | None = None

    def __str__(self) -> str:
        return f"{self.system}|{self.code}"
