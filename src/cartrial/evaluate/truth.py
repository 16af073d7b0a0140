"""Three-valued (Kleene) logic: TRUE, FALSE, UNKNOWN."""

from __future__ import annotations

from collections.abc import Iterable
from enum import StrEnum


class Truth(StrEnum):
    TRUE = "met"
    FALSE = "not_met"
    UNKNOWN = "unknown"

    def __invert__(self) -> Truth:
        if self is Truth.TRUE:
            return Truth.FALSE
        if self is Truth.FALSE:
            return Truth.TRUE
        return Truth.UNKNOWN

    def __and__(self, other: Truth) -> Truth:
        return all_of((self, other))

    def __or__(self, other: Truth) -> Truth:
        return any_of((self, other))

    @classmethod
    def of(cls, value: bool) -> Truth:
        return cls.TRUE if value else cls.FALSE


def all_of(values: Iterable[Truth]) -> Truth:
    """Kleene AND: FALSE dominates, then UNKNOWN; the empty conjunction is TRUE."""
    result = Truth.TRUE
    for v in values:
        if v is Truth.FALSE:
            return Truth.FALSE
        if v is Truth.UNKNOWN:
            result = Truth.UNKNOWN
    return result


def any_of(values: Iterable[Truth]) -> Truth:
    """Kleene OR: TRUE dominates, then UNKNOWN; the empty disjunction is FALSE."""
    result = Truth.FALSE
    for v in values:
        if v is Truth.TRUE:
            return Truth.TRUE
        if v is Truth.UNKNOWN:
            result = Truth.UNKNOWN
    return result


def at_least(n: int, values: Iterable[Truth]) -> Truth:
    """TRUE if at least n are TRUE for sure; FALSE if even all UNKNOWNs could not reach n."""
    vals = list(values)
    true = sum(v is Truth.TRUE for v in vals)
    unknown = sum(v is Truth.UNKNOWN for v in vals)
    if true >= n:
        return Truth.TRUE
    if true + unknown < n:
        return Truth.FALSE
    return Truth.UNKNOWN
