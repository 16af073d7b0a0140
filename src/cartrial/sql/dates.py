"""All date and interval arithmetic of the SQL compiler lives here (DESIGN: one module).

Window starts that depend only on the screening date are computed in Python with the domain's
own :mod:`cartrial.domain.timewindow` and enter the SQL as date literals, so both interpreters
share the calendar rules (months clamped at month ends). Only arithmetic on data (an exposure's
start + its minimum duration, age from a birth date) is expressed in SQL, through sqlglot
expressions that each dialect renders (``+ INTERVAL``, ``ADD_MONTHS`` ...).
"""

from __future__ import annotations

from datetime import date

from sqlglot import exp

from cartrial.domain.timewindow import TimeUnit, Window, shift

DATE = exp.DataType.build("date")


def literal(d: date) -> exp.Expression:
    """A date constant: ``CAST('YYYY-MM-DD' AS DATE)`` in every dialect."""
    return exp.cast(exp.Literal.string(d.isoformat()), DATE)


def as_date(e: exp.Expression) -> exp.Expression:
    return exp.cast(e, DATE)


def window_start(as_of: date, window: Window, *, half_life_days: float | None = None) -> date:
    """The first day inside ``window`` ending on ``as_of`` (the evaluator's own arithmetic)."""
    return window.start(as_of, half_life_days=half_life_days)


def screening_start(as_of: date, window: Window | None, screening_days: int) -> date:
    """Start of a look-back: the node's window, else the protocol's screening window."""
    if window is None:
        return shift(as_of, -screening_days, TimeUnit.DAYS)
    return window.start(as_of)


def plus(column: exp.Expression, amount: float, unit: TimeUnit) -> exp.Expression:
    """``column`` moved forward by ``amount`` ``unit`` as :func:`timewindow.shift` moves a date.

    Whole months and years are calendar months (clamped at the month's end in DuckDB,
    PostgreSQL and Spark alike); fractional months/years and weeks become whole days, rounded
    up exactly as ``shift`` does.
    """
    if unit is TimeUnit.HALF_LIVES:
        raise ValueError("a duration cannot be in half-lives")
    if unit in (TimeUnit.MONTHS, TimeUnit.YEARS) and amount == int(amount):
        months = int(amount) * (12 if unit is TimeUnit.YEARS else 1)
        return as_date(
            exp.DateAdd(  # type: ignore[no-untyped-call]
                this=column, expression=exp.Literal.number(months), unit=exp.var("MONTH")
            )
        )
    probe = date(2000, 1, 1)
    days = (shift(probe, amount, unit) - probe).days
    return as_date(
        exp.DateAdd(  # type: ignore[no-untyped-call]
            this=column, expression=exp.Literal.number(days), unit=exp.var("DAY")
        )
    )


def day_number(column: exp.Expression) -> exp.Expression:
    """A date as the integer YYYYMMDD (order-preserving; the same in every dialect)."""
    ymd = exp.Add(
        this=exp.Add(
            this=exp.Mul(this=part("YEAR", column), expression=exp.Literal.number(10000)),
            expression=exp.Mul(
                this=part("MONTH", column.copy()), expression=exp.Literal.number(100)
            ),
        ),
        expression=part("DAY", column.copy()),
    )
    return exp.cast(ymd, exp.DataType.build("bigint"))


def day_number_of(d: date) -> int:
    """:func:`day_number` of a constant date."""
    return d.year * 10000 + d.month * 100 + d.day


def part(name: str, column: exp.Expression) -> exp.Expression:
    """``EXTRACT(YEAR|MONTH|DAY FROM column)``."""
    return exp.Extract(this=exp.var(name), expression=column)


def age_years(
    year: exp.Expression, month: exp.Expression, day: exp.Expression, as_of: date
) -> exp.Expression:
    """Completed years on ``as_of`` from birth year/month/day (``Patient.age_on``)."""
    before_birthday = exp.or_(
        exp.GT(this=month, expression=exp.Literal.number(as_of.month)),
        exp.and_(
            exp.EQ(this=month, expression=exp.Literal.number(as_of.month)),
            exp.GT(this=day, expression=exp.Literal.number(as_of.day)),
        ),
    )
    minus = exp.Case(
        ifs=[exp.If(this=before_birthday, true=exp.Literal.number(1))],
        default=exp.Literal.number(0),
    )
    return exp.Sub(
        this=exp.Sub(this=exp.Literal.number(as_of.year), expression=year),
        expression=exp.paren(minus),
    )
