"""The data files, read once per process, and per-concept accessors."""

from __future__ import annotations

import functools
import json
from importlib import resources
from typing import Any

from cartrial.vocab.records import GROUPS, AltUnit, CodeInfo, ConceptRef, ConditionInfo, LabInfo
from cartrial.vocab.systems import _code_key, canonical_system

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
