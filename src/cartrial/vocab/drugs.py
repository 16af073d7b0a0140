"""Drugs: ATC classes, glucocorticoid equivalence, half-lives, statusReason words, drug names in text."""

from __future__ import annotations

import functools
import re
from typing import Any

from cartrial.vocab.records import ConceptRef, DrugInfo, HalfLife
from cartrial.vocab.store import _atc_class_prefixes, _class_groups, _codes_of, _get, _raw, _read

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
@functools.cache
def drugs_in_class(class_key: str) -> frozenset[str]:
    """Medication keys in an atc_class_groups key (csDMARDs ...) or an atc_classes key
    (computed once per class: the evaluator asks for every medication record)."""
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
