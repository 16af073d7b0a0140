"""Typed records of the vocabulary (frozen dataclasses) and the group names."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

Group = Literal["labs", "conditions", "medications", "vaccines", "procedures", "atc_classes"]
GROUPS: tuple[Group, ...] = (
    "labs",
    "conditions",
    "medications",
    "vaccines",
    "procedures",
    "atc_classes",
)


# ---------------------------------------------------------------------------------------------
# typed records


@dataclass(frozen=True)
class ConceptRef:
    """A code resolved to a concept. ``match`` says how: exact, icd_prefix, icd_descendant,
    snomed_descendant, atc_prefix, text (a drug named in words) or name (an instrument name)."""

    group: Group
    key: str
    match: str = field(default="exact", compare=False)


@dataclass(frozen=True)
class CodeInfo:
    system: str
    code: str
    display: str | None = None


@dataclass(frozen=True)
class AltUnit:
    """``value_in_canonical = value * factor``; factor None = non-linear (use pint)."""

    unit: str
    factor: float | None
    note: str = ""


@dataclass(frozen=True)
class LabInfo:
    key: str
    display: str
    canonical_unit: str | None
    alternative_units: tuple[AltUnit, ...]
    codes: tuple[CodeInfo, ...]
    note: str = ""


@dataclass(frozen=True)
class ConditionInfo:
    key: str
    display: str
    group: str | None
    codes: tuple[CodeInfo, ...]
    prefix_match: dict[str, tuple[str, ...]]
    note: str = ""


@dataclass(frozen=True)
class DrugInfo:
    """A drug; ``classes`` are atc_class_groups keys, ``atc_classes`` are atc_classes keys."""

    key: str
    display: str
    drug_class: str | None
    atc_codes: tuple[str, ...]
    classes: frozenset[str]
    atc_classes: frozenset[str]
    codes: tuple[CodeInfo, ...]


@dataclass(frozen=True)
class HalfLife:
    days: float | None
    five_half_lives_days: float | None
    checked: bool
    source: str
    t_half: str = ""
    note: str = ""
