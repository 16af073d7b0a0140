"""Input checks shared by the calculators: every failure is a DataError naming the field.

Nothing is clamped: an out-of-range value is refused, never silently moved to the nearest bound.
Exact decimal helpers live here too, so that threshold comparisons follow the reporting
precision (reference sheet §0.2) instead of IEEE-754 artefacts.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Iterable, Mapping
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from cartrial.domain import DataError, Sex

HEIGHT_MIN_CM = 30.0
HEIGHT_MAX_CM = 275.0
WEIGHT_MAX_KG = 500.0
CM_PER_INCH = 2.54


def check_height_cm(value: object, where: str, field: str = "height_cm") -> float:
    """Height in cm, 30-275."""
    return real(
        value,
        field,
        where=where,
        lo=HEIGHT_MIN_CM,
        hi=HEIGHT_MAX_CM,
        unit="cm",
        hint="height must be in centimetres",
    )


def check_weight_kg(value: object, where: str, field: str = "weight_kg") -> float:
    """Weight in kg, > 0 and ≤ 500."""
    return real(
        value,
        field,
        where=where,
        lo=0.0,
        lo_open=True,
        hi=WEIGHT_MAX_KG,
        unit="kg",
        hint="weight must be in kilograms",
    )


def real(
    value: object,
    field: str,
    *,
    where: str,
    lo: float | None = None,
    hi: float | None = None,
    lo_open: bool = False,
    hi_open: bool = False,
    unit: str = "",
    hint: str = "",
) -> float:
    """Return ``value`` as a finite float inside [lo, hi] (open ends if asked) or raise."""
    if value is None:
        raise DataError("is required (got null)", where=where, field=field)
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise DataError(f"must be a number, got {value!r}", where=where, field=field)
    x = float(value)
    if not math.isfinite(x):
        raise DataError(f"must be finite, got {value!r}", where=where, field=field)
    u = f" {unit}" if unit else ""
    too_low = lo is not None and (x <= lo if lo_open else x < lo)
    too_high = hi is not None and (x >= hi if hi_open else x > hi)
    if too_low or too_high:
        left = "(" if lo_open else "["
        right = ")" if hi_open else "]"
        lo_s = "-inf" if lo is None else f"{lo:g}"
        hi_s = "inf" if hi is None else f"{hi:g}"
        extra = f"; {hint}" if hint else ""
        raise DataError(
            f"{x:g}{u} is outside the accepted range {left}{lo_s}, {hi_s}{right}{u}{extra}",
            where=where,
            field=field,
        )
    return x


def integer(
    value: object,
    field: str,
    *,
    where: str,
    lo: int | None = None,
    hi: int | None = None,
    allowed: Iterable[int] | None = None,
) -> int:
    """Return ``value`` as an int inside [lo, hi] (and in ``allowed`` if given) or raise.

    A float with an integral value (``3.0``) is accepted; ``2.5`` or ``True`` are not.
    """
    if value is None:
        raise DataError("is required (got null)", where=where, field=field)
    if isinstance(value, bool):
        raise DataError(f"must be an integer, got {value!r}", where=where, field=field)
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, numbers.Integral):
        value = int(value)
    if not isinstance(value, int):
        raise DataError(f"must be an integer, got {value!r}", where=where, field=field)
    if (lo is not None and value < lo) or (hi is not None and value > hi):
        raise DataError(
            f"{value} is outside the accepted range [{lo}, {hi}]", where=where, field=field
        )
    if allowed is not None:
        allowed_set = sorted(set(allowed))
        if value not in allowed_set:
            raise DataError(
                f"{value} is not an allowed level; allowed: {allowed_set}", where=where, field=field
            )
    return value


def flag(value: object, field: str, *, where: str) -> bool:
    """Return ``value`` if it is a real bool; 0/1, "yes" and the like are refused."""
    if not isinstance(value, bool):
        raise DataError(f"must be true or false, got {value!r}", where=where, field=field)
    return value


def choice(value: object, field: str, *, where: str, options: Iterable[str]) -> str:
    """Return ``value`` if it is one of ``options`` (exact, case-sensitive keys)."""
    opts = list(options)
    if not isinstance(value, str) or value not in opts:
        raise DataError(f"{value!r} is not one of {opts}", where=where, field=field)
    return value


def binary_sex(value: object, field: str = "sex", *, where: str) -> Sex:
    """Sex for a sex-specific equation: female or male; other/unknown cannot be computed."""
    try:
        if not isinstance(value, str):
            raise ValueError(value)
        sex = Sex(value.strip().lower())
    except ValueError:
        raise DataError(
            f"{value!r} is not a sex; use 'female' or 'male'", where=where, field=field
        ) from None
    if sex not in (Sex.FEMALE, Sex.MALE):
        raise DataError(
            f"the published equation has coefficients for female and male only, got {sex.value!r}",
            where=where,
            field=field,
        )
    return sex


def keys_subset(given: Iterable[str], known: Iterable[str], field: str, *, where: str) -> list[str]:
    """Return the given keys (order kept) after refusing unknown keys, naming them."""
    known_list = list(known)
    known_set = set(known_list)
    out: list[str] = []
    for key in given:
        if not isinstance(key, str):
            raise DataError(f"keys must be strings, got {key!r}", where=where, field=field)
        if key not in known_set:
            raise DataError(
                f"unknown key {key!r}; known keys: {', '.join(known_list)}",
                where=where,
                field=field,
            )
        if key in out:
            raise DataError(f"key {key!r} is listed twice", where=where, field=field)
        out.append(key)
    return out


def mapping(value: object, field: str, *, where: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise DataError(
            f"must be a mapping of key -> value, got {value!r}", where=where, field=field
        )
    return value


def string_items(value: object, field: str, *, where: str) -> list[str]:
    """An iterable of keys; a bare string is refused (it would iterate its characters)."""
    if isinstance(value, str | bytes) or not isinstance(value, Iterable):
        raise DataError(f"must be a list of keys, got {value!r}", where=where, field=field)
    return list(value)


def dec(x: float | int) -> Decimal:
    """Exact decimal of the number as written (``0.1`` -> Decimal('0.1'), not the binary float)."""
    return Decimal(repr(x)) if isinstance(x, float) else Decimal(x)


def round_half_up(x: float | Decimal, ndigits: int) -> float:
    """Round to ``ndigits`` decimals, halves away from zero (report rounding, not banker's)."""
    d = x if isinstance(x, Decimal) else dec(x)
    return float(d.quantize(Decimal(1).scaleb(-ndigits), rounding=ROUND_HALF_UP))


def round_to_increment(x: float, increment: float) -> float:
    """Round ``x`` to the nearest multiple of ``increment`` (halves up), e.g. nearest 10 mg."""
    d = dec(x)
    step = dec(increment)
    return float((d / step).quantize(Decimal(1), rounding=ROUND_HALF_UP) * step)
