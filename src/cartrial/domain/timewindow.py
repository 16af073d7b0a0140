"""All calendar arithmetic for criteria windows lives here (DESIGN: one module for dates).

Months and years are calendar months/years (the day is clamped to the month's end, so
31 March minus one month is 28/29 February); weeks are 7 days.
"""

from __future__ import annotations

import calendar
from datetime import date, timedelta
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field


class TimeUnit(StrEnum):
    DAYS = "days"
    WEEKS = "weeks"
    MONTHS = "months"
    YEARS = "years"
    HALF_LIVES = "half_lives"


class Window(BaseModel):
    """An amount of time before a reference event (screening, enrollment, leukapheresis...).

    The evaluator anchors ``reference`` at ``as_of``; the reference is kept for the explanation.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    amount: float = Field(gt=0)
    unit: TimeUnit
    reference: str = "screening"

    def __str__(self) -> str:
        amount = f"{self.amount:g}"
        return f"{amount} {self.unit.value.replace('_', '-')} before {self.reference}"

    def start(self, as_of: date, *, half_life_days: float | None = None) -> date:
        """The earliest date inside the window ending at ``as_of``."""
        return shift(as_of, -self.amount, self.unit, half_life_days=half_life_days)


def add_months(d: date, months: int) -> date:
    """Calendar-month arithmetic with the day clamped to the target month's length."""
    total = d.year * 12 + (d.month - 1) + months
    year, month0 = divmod(total, 12)
    last = calendar.monthrange(year, month0 + 1)[1]
    return date(year, month0 + 1, min(d.day, last))


def shift(d: date, amount: float, unit: TimeUnit, *, half_life_days: float | None = None) -> date:
    """``d`` moved by ``amount`` units (negative = earlier). Fractional days round up in size."""
    if unit is TimeUnit.DAYS:
        return d + timedelta(days=_whole(amount))
    if unit is TimeUnit.WEEKS:
        return d + timedelta(days=_whole(amount * 7))
    if unit is TimeUnit.MONTHS:
        if amount != int(amount):
            return d + timedelta(days=_whole(amount * 30.4375))
        return add_months(d, int(amount))
    if unit is TimeUnit.YEARS:
        if amount != int(amount):
            return d + timedelta(days=_whole(amount * 365.25))
        return add_months(d, int(amount) * 12)
    if half_life_days is None:
        raise ValueError("a half-life window needs the drug's half-life")
    return d + timedelta(days=_whole(amount * half_life_days))


def _whole(days: float) -> int:
    """Whole days, rounding away from zero so a window is never shortened."""
    magnitude = int(-(-abs(days) // 1))
    return magnitude if days >= 0 else -magnitude
