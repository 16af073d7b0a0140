"""Vocabulary: concept keys <-> codes (LOINC, SNOMED CT, ICD-10(-CM), RxNorm, ATC, CVX), units.

A small typed API over the JSON files in ``cartrial/vocab/data/`` (built from
``../shared/reference/vocabulary.json`` by ``scripts/build_vocab.py``; verified codes only). The
files are read once per process (``functools.cache``). Extend the data files, not this code.

Groups: ``labs``, ``conditions``, ``medications``, ``vaccines``, ``procedures``, ``atc_classes``
(plus ``atc_class_groups`` for :func:`concept_keys`).

Unit conversion (:func:`convert`) goes to the concept's canonical UCUM unit:

1. the same unit (after spelling normalisation, see :func:`cartrial.vocab.units.normalize_unit`)
   -> value as is;
2. an alternative unit listed for the concept -> its analyte-specific factor (e.g. creatinine
   umol/L x 0.011312 = /88.4);
3. otherwise a dimensional conversion with pint (mg/L -> mg/dL, /uL -> 10*9/L, [degF] -> Cel).

An unknown or incompatible unit raises :class:`cartrial.domain.UnknownUnitError` naming the concept
and the unit. Nothing is guessed.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from importlib import resources
from typing import Any, Literal

from cartrial.domain.errors import UnknownUnitError
from cartrial.vocab import hierarchy
from cartrial.vocab.names import (
    instrument_by_name,
    instrument_names,
    mentions,
    mentions_phrase,
    normalize_name,
)
from cartrial.vocab.units import UnitParseError, convert_units, normalize_unit

__all__ = [
    "GROUPS",
    "AltUnit",
    "CodeInfo",
    "ConceptRef",
    "ConditionInfo",
    "DrugInfo",
    "HalfLife",
    "LabInfo",
    "Group",
    "atc_memberships",
    "canonical_system",
    "codes",
    "concept_keys",
    "condition",
    "convert",
    "default_range",
    "display",
    "drug",
    "drugs_in_class",
    "glucocorticoid_factor",
    "half_life_days",
    "instrument_by_name",
    "instrument_names",
    "lab",
    "lookup_code",
    "lookup_codes",
    "lookup_drug_text",
    "mentions",
    "mentions_phrase",
    "normalize_name",
    "normalize_unit",
    "status_reason_outcome",
    "vaccine_is_live",
    "vaccine_live_status",
]

Group = Literal["labs", "conditions", "medications", "vaccines", "procedures", "atc_classes"]
GROUPS: tuple[Group, ...] = (
    "labs",
    "conditions",
    "medications",
    "vaccines",
    "procedures",
    "atc_classes",
)

LOINC = "http://loinc.org"
SNOMED = "http://snomed.info/sct"
ICD10CM = "http://hl7.org/fhir/sid/icd-10-cm"
ICD10 = "http://hl7.org/fhir/sid/icd-10"
RXNORM = "http://www.nlm.nih.gov/research/umls/rxnorm"
ATC = "http://www.whocc.no/atc"
CVX = "http://hl7.org/fhir/sid/cvx"
CARTRIAL_INSTRUMENT = "https://cartrial.org/fhir/CodeSystem/instrument"

# the usual spellings of each code system (compared after lower-casing, dropping the scheme,
# "www." and a trailing slash)
_SYSTEM_ALIASES: dict[str, tuple[str, ...]] = {
    CARTRIAL_INSTRUMENT: ("cartrial.org/fhir/CodeSystem/instrument",),
    LOINC: ("loinc.org", "urn:oid:2.16.840.1.113883.6.1", "loinc", "ln"),
    SNOMED: (
        "snomed.info/sct",
        "snomed.info/id",
        "urn:oid:2.16.840.1.113883.6.96",
        "snomed",
        "snomedct",
        "snomed-ct",
        "sct",
    ),
    ICD10CM: (
        "hl7.org/fhir/sid/icd-10-cm",
        "urn:oid:2.16.840.1.113883.6.90",
        "icd10cm",
        "icd-10-cm",
    ),
    ICD10: ("hl7.org/fhir/sid/icd-10", "urn:oid:2.16.840.1.113883.6.3", "icd10", "icd-10"),
    RXNORM: (
        "nlm.nih.gov/research/umls/rxnorm",
        "urn:oid:2.16.840.1.113883.6.88",
        "rxnorm",
    ),
    ATC: ("whocc.no/atc", "urn:oid:2.16.840.1.113883.6.73", "atc"),
    CVX: ("hl7.org/fhir/sid/cvx", "urn:oid:2.16.840.1.113883.12.292", "cvx"),
}
_ICD_SYSTEMS = (ICD10CM, ICD10)


def _system_key(system: str) -> str:
    s = system.strip().lower()
    s = re.sub(r"^https?://", "", s)
    s = re.sub(r"^www\.", "", s)
    return s.rstrip("/")


@functools.cache
def _system_table() -> dict[str, str]:
    table: dict[str, str] = {}
    for uri, aliases in _SYSTEM_ALIASES.items():
        table[_system_key(uri)] = uri
        for a in aliases:
            table[_system_key(a)] = uri
    return table


def canonical_system(system: str | None) -> str | None:
    """The canonical URI for a code-system spelling, or None when the system is not known."""
    if not system:
        return None
    return _system_table().get(_system_key(system))


def _code_key(system: str, code: str) -> str:
    c = code.strip()
    if system in _ICD_SYSTEMS:
        return c.upper().replace(".", "")
    if system == ATC:
        return c.upper()
    return c


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


# ---------------------------------------------------------------------------------------------
# data loading (once)


def _read(name: str) -> Any:
    path = resources.files("cartrial.vocab").joinpath("data", name)
    return json.loads(path.read_text(encoding="utf-8"))


@functools.cache
def _raw(group: str) -> dict[str, dict[str, Any]]:
    return {c["key"]: c for c in _read(f"{group}.json")}


@functools.cache
def _class_groups() -> dict[str, dict[str, Any]]:
    data: dict[str, dict[str, Any]] = _read("atc_class_groups.json")
    return data


def _codes_of(raw: dict[str, Any]) -> tuple[CodeInfo, ...]:
    return tuple(CodeInfo(c["system"], c["code"], c.get("display")) for c in raw.get("codes", []))


@functools.cache
def _exact_index() -> dict[tuple[str, str], tuple[ConceptRef, ...]]:
    index: dict[tuple[str, str], list[ConceptRef]] = {}
    for group in GROUPS:
        for key, raw in _raw(group).items():
            for c in raw.get("codes", []):
                system = canonical_system(c["system"])
                if system is None:
                    continue
                refs = index.setdefault((system, _code_key(system, c["code"])), [])
                ref = ConceptRef(group, key, "exact")
                if ref not in refs:
                    refs.append(ref)
    return {k: tuple(v) for k, v in index.items()}


@functools.cache
def _icd_prefixes() -> tuple[tuple[str, str, ConceptRef], ...]:
    """(system, dotless prefix, ref), longest prefix first."""
    out: list[tuple[str, str, ConceptRef]] = []
    for key, raw in _raw("conditions").items():
        for system, prefixes in raw.get("prefix_match", {}).items():
            for p in prefixes:
                out.append(
                    (system, _code_key(system, p), ConceptRef("conditions", key, "icd_prefix"))
                )
    out.sort(key=lambda t: -len(t[1]))
    return tuple(out)


@functools.cache
def _atc_class_prefixes() -> tuple[tuple[str, str], ...]:
    """(ATC class code, atc_classes key), longest first."""
    out = [
        (c["code"].upper(), key)
        for key, raw in _raw("atc_classes").items()
        for c in raw.get("codes", [])
    ]
    out.sort(key=lambda t: -len(t[0]))
    return tuple(out)


# ---------------------------------------------------------------------------------------------
# code lookup


def lookup_codes(
    system: str | None, code: str | None, *, groups: Iterable[str] | None = None
) -> tuple[ConceptRef, ...]:
    """Every concept a code belongs to, best first.

    Exact matches come first (in data-file order); then, for ICD-10(-CM), the condition families
    matched by ``icd_prefix_match`` (longest prefix first) and the concepts of a listed code this
    code extends (``icd_descendant``); for SNOMED CT with no exact condition match, the concepts
    of a listed ancestor (``snomed_descendant``, :mod:`cartrial.vocab.hierarchy`); for ATC with
    no exact drug match, the
    ``atc_classes`` whose code is a prefix of the code (longest first). ``groups`` restricts the
    result to some groups.
    """
    if not system or not code:
        return ()
    sys_uri = canonical_system(system)
    if sys_uri is None:
        return ()
    wanted = set(groups) if groups is not None else None
    ck = _code_key(sys_uri, code)
    found: list[ConceptRef] = list(_exact_index().get((sys_uri, ck), ()))
    if sys_uri in _ICD_SYSTEMS:
        for p_sys, prefix, ref in _icd_prefixes():
            if p_sys == sys_uri and ck.startswith(prefix) and ref not in found:
                found.append(ref)
    if sys_uri in _ICD_SYSTEMS:
        # a child of a listed code (M05.79 under M05.7): ICD-10(-CM) is a prefix hierarchy
        for n in range(len(ck) - 1, 2, -1):
            for ref in _exact_index().get((sys_uri, ck[:n]), ()):
                child = ConceptRef(ref.group, ref.key, "icd_descendant")
                if child not in found:
                    found.append(child)
    if sys_uri == SNOMED and not any(r.group == "conditions" for r in found):
        for key in hierarchy.snomed_ancestors(ck):
            ref = ConceptRef("conditions", key, "snomed_descendant")
            if ref not in found:
                found.append(ref)
    if sys_uri == ATC and not any(r.group == "medications" for r in found):
        for class_code, key in _atc_class_prefixes():
            ref = ConceptRef("atc_classes", key, "atc_prefix")
            if ck.startswith(class_code) and ref not in found:
                found.append(ref)
    if wanted is not None:
        found = [r for r in found if r.group in wanted]
    return tuple(found)


def lookup_code(
    system: str | None, code: str | None, *, groups: Iterable[str] | None = None
) -> ConceptRef | None:
    """The best concept for a code (see :func:`lookup_codes`), or None when unknown.

    Accepts the usual system spellings (``http://loinc.org``, ``urn:oid:2.16.840.1.113883.6.1``,
    ``LOINC`` ...). A drug coded only by ATC (``H02AB06``) resolves to the drug if listed, else to
    the most specific ``atc_classes`` entry (``glucocorticoids_systemic``).
    """
    refs = lookup_codes(system, code, groups=groups)
    return refs[0] if refs else None


# ---------------------------------------------------------------------------------------------
# concepts


def concept_keys(group: str) -> frozenset[str]:
    """All keys of a group (``labs`` ... ``atc_classes``, or ``atc_class_groups``)."""
    if group == "atc_class_groups":
        return frozenset(_class_groups())
    if group not in GROUPS:
        raise KeyError(f"unknown vocabulary group {group!r}; expected one of {GROUPS}")
    return frozenset(_raw(group))


def _get(group: str, key: str) -> dict[str, Any]:
    if group not in GROUPS:
        raise KeyError(f"unknown vocabulary group {group!r}; expected one of {GROUPS}")
    try:
        return _raw(group)[key]
    except KeyError:
        raise KeyError(f"unknown {group} concept {key!r}") from None


def display(group: str, key: str) -> str:
    """The human-readable name of a concept."""
    if group == "atc_class_groups":
        if key not in _class_groups():
            raise KeyError(f"unknown atc_class_groups key {key!r}")
        return key
    return str(_get(group, key).get("display") or key)


def codes(group: str, key: str) -> tuple[CodeInfo, ...]:
    """The verified codes of a concept (e.g. to compile a concept set to OMOP SQL)."""
    return _codes_of(_get(group, key))


@functools.cache
def lab(key: str) -> LabInfo:
    raw = _get("labs", key)
    return LabInfo(
        key=key,
        display=raw["display"],
        canonical_unit=raw.get("canonical_unit"),
        alternative_units=tuple(
            AltUnit(
                a["unit"],
                None if a.get("factor") is None else float(a["factor"]),
                a.get("note", ""),
            )
            for a in raw.get("alternative_units", [])
        ),
        codes=_codes_of(raw),
        note=raw.get("note", ""),
    )


@functools.cache
def condition(key: str) -> ConditionInfo:
    raw = _get("conditions", key)
    return ConditionInfo(
        key=key,
        display=raw["display"],
        group=raw.get("group"),
        codes=_codes_of(raw),
        prefix_match={s: tuple(p) for s, p in raw.get("prefix_match", {}).items()},
        note=raw.get("note", ""),
    )


# ---------------------------------------------------------------------------------------------
# units


def _round(x: float) -> float:
    return float(f"{x:.12g}")


_COUNT_OR_SCORE = frozenset({"{score}", "{count}", "{#}"})
_GENERIC_DIMENSIONLESS = frozenset({"", "1", "{#}", "{count}", "{points}", "{score}", "{total}"})


def convert(key: str, value: float, unit: str | None) -> tuple[float, str]:
    """Convert ``value`` in ``unit`` to the lab concept's canonical unit: ``(value, canonical)``.

    Raises ``UnknownUnitError`` (naming the concept and the unit) when the unit is unknown or not
    convertible, or when the concept has no canonical unit (qualitative tests).
    """
    info = lab(key)
    canonical = info.canonical_unit
    if canonical is None:
        raise UnknownUnitError(
            f"{key} is qualitative (no canonical unit); cannot convert unit {unit!r}",
            where=f"concept {key}",
            field="unit",
        )
    given = normalize_unit(unit)
    norm_canonical = normalize_unit(canonical)
    if given == norm_canonical:
        return (float(value), canonical)
    for alt in info.alternative_units:
        if normalize_unit(alt.unit) == given and alt.factor is not None:
            return (_round(value * alt.factor), canonical)
    # case-insensitive match against this concept's own units only (e.g. MG/DL)
    if given.casefold() == norm_canonical.casefold():
        return (float(value), canonical)
    for alt in info.alternative_units:
        if normalize_unit(alt.unit).casefold() == given.casefold() and alt.factor is not None:
            return (_round(value * alt.factor), canonical)
    if norm_canonical in _COUNT_OR_SCORE and given in _GENERIC_DIMENSIONLESS:
        # UCUM annotations carry no dimension: a count or score sent as {#}, {points}, {score},
        # 1 or without a unit is the same number (a {titer} or {INR} is not a score)
        return (float(value), canonical)
    if given == "" and re.fullmatch(r"(\{[^}]*\})+", norm_canonical):
        # a unitless value for an annotation-only canonical unit ({titer}, {INR})
        return (float(value), canonical)
    if given == "":
        raise UnknownUnitError(
            f"missing unit for {key} (canonical unit {canonical})",
            where=f"concept {key}",
            field="unit",
        )
    try:
        return (_round(convert_units(value, given, norm_canonical)), canonical)
    except UnitParseError as exc:
        raise UnknownUnitError(
            f"unit {unit!r} is not known or not convertible to {canonical} for {key}: {exc}",
            where=f"concept {key}",
            field="unit",
        ) from exc


@functools.cache
def _reference_ranges() -> dict[str, dict[str, Any]]:
    data: dict[str, dict[str, Any]] = _read("reference_ranges.json")["ranges"]
    return data


@functools.cache
def _plausible() -> dict[str, Any]:
    data: dict[str, Any] = _read("plausible_ranges.json")
    return data


def plausible_range(key: str) -> tuple[float | None, float | None]:
    """Physical limits of a measurement (not a reference interval): outside them it is impossible."""
    data = _plausible()
    low, high = data["ranges"].get(key, (data["default_min"], None))
    return (None if low is None else float(low), None if high is None else float(high))


def default_range(key: str) -> tuple[float | None, float | None, str] | None:
    """The documented DEFAULT adult reference range (low, high, source) in the canonical unit.

    Only for Observations that carry no referenceRange; None when no default is documented.
    """
    r = _reference_ranges().get(key)
    if r is None:
        return None
    low = None if r.get("low") is None else float(r["low"])
    high = None if r.get("high") is None else float(r["high"])
    return (low, high, str(r["source"]))


# ---------------------------------------------------------------------------------------------
# drugs


def atc_memberships(atc_code: str) -> tuple[frozenset[str], frozenset[str]]:
    """(atc_class_groups keys, atc_classes keys) an ATC code belongs to."""
    code = atc_code.strip().upper()
    groups = set()
    for gkey, g in _class_groups().items():
        if any(code.startswith(p.upper()) for p in g.get("atc", [])) or code in {
            c.upper() for c in g.get("atc_codes", [])
        }:
            groups.add(gkey)
    classes = {key for class_code, key in _atc_class_prefixes() if code.startswith(class_code)}
    return frozenset(groups), frozenset(classes)


@functools.cache
def drug(key: str) -> DrugInfo:
    """A medication with its ATC codes and the classes it belongs to."""
    raw = _get("medications", key)
    atc_codes = tuple(raw.get("atc_codes", []))
    groups: set[str] = set()
    classes: set[str] = set()
    for code in atc_codes:
        g, c = atc_memberships(code)
        groups |= g
        classes |= c
    return DrugInfo(
        key=key,
        display=raw["display"],
        drug_class=raw.get("drug_class"),
        atc_codes=atc_codes,
        classes=frozenset(groups),
        atc_classes=frozenset(classes),
        codes=_codes_of(raw),
    )


@functools.cache
def drugs_in_class(class_key: str) -> frozenset[str]:
    """Medication keys in an atc_class_groups key (csDMARDs ...) or an atc_classes key."""
    if class_key in _class_groups():
        return frozenset(k for k in _raw("medications") if class_key in drug(k).classes)
    if class_key in _raw("atc_classes"):
        return frozenset(k for k in _raw("medications") if class_key in drug(k).atc_classes)
    raise KeyError(f"unknown drug class {class_key!r}")


@functools.cache
def _gc_factors() -> dict[str, dict[str, Any]]:
    data: dict[str, dict[str, Any]] = _read("glucocorticoid_equivalence.json")["factors"]
    return data


def glucocorticoid_factor(key: str) -> float | None:
    """mg prednisone per mg of this glucocorticoid (prednisone-equivalent), None if not listed."""
    f = _gc_factors().get(key)
    return None if f is None else float(f["factor_to_prednisone"])


@functools.cache
def _half_lives() -> dict[str, dict[str, Any]]:
    data: dict[str, dict[str, Any]] = _read("elimination_half_lives.json")
    return data


def half_life_days(key: str) -> HalfLife | None:
    """Elimination half-life of a drug (with five half-lives, ``checked`` flag and source)."""
    h = _half_lives().get(key)
    if h is None:
        return None
    return HalfLife(
        days=None if h.get("days") is None else float(h["days"]),
        five_half_lives_days=None
        if h.get("five_half_lives_days") is None
        else float(h["five_half_lives_days"]),
        checked=bool(h.get("checked")),
        source=str(h.get("source", "")),
        t_half=str(h.get("t_half", "")),
        note=str(h.get("note", "")),
    )


# ---------------------------------------------------------------------------------------------
# vaccines


def vaccine_live_status(key: str) -> str:
    """The raw live status: live, non_live, live_nonreplicating or ambiguous."""
    return str(_get("vaccines", key).get("live_status"))


def vaccine_is_live(key: str) -> bool | None:
    """True for live vaccines, False for non-live, None when the code does not say
    (``ambiguous`` and ``live_nonreplicating`` such as MVA: the investigator decides)."""
    status = vaccine_live_status(key)
    if status == "live":
        return True
    if status == "non_live":
        return False
    return None


# ---------------------------------------------------------------------------------------------
# free text: medication statusReason outcome, drug names


@functools.cache
def _outcome_rules() -> dict[str, list[str]]:
    data: dict[str, list[str]] = _read("status_reason_outcomes.json")
    return data


def _has_phrase(text: str, phrase: str) -> bool:
    return re.search(r"(?<![a-z])" + re.escape(phrase) + r"(?![a-z])", text) is not None


def status_reason_outcome(text: str | None) -> str | None:
    """``failure``, ``intolerance`` or None for the words of a medication statusReason.

    Phrases come from ``data/status_reason_outcomes.json`` (whole-phrase, case-insensitive);
    a negated phrase (``no adverse reaction``) blocks the match; failure wins over intolerance.
    """
    if not text:
        return None
    t = " ".join(text.lower().split())
    rules = _outcome_rules()
    if any(_has_phrase(t, n) for n in rules.get("negations", [])):
        return None
    for outcome in ("failure", "intolerance"):
        if any(_has_phrase(t, p) for p in rules.get(outcome, [])):
            return outcome
    return None


@functools.cache
def _drug_names() -> tuple[tuple[str, str], ...]:
    names: list[tuple[str, str]] = []
    for key, raw in _raw("medications").items():
        for name in {raw["display"].lower(), key.replace("_", " ")}:
            names.append((name, key))
    return tuple(names)


def lookup_drug_text(text: str | None) -> ConceptRef | None:
    """A drug named (whole word) in free text such as an RxNorm clinical-drug display
    ("Methotrexate 10 MG Oral Tablet"). None unless exactly one vocabulary drug is named."""
    if not text:
        return None
    t = " ".join(text.lower().split())
    keys = {key for name, key in _drug_names() if _has_phrase(t, name)}
    if len(keys) == 1:
        return ConceptRef("medications", keys.pop(), "text")
    return None
