"""The names a threshold may follow (analytes, scores, derived renal values), the regular
expressions of a threshold reading, and the units each analyte may be written in."""

from __future__ import annotations

import re

from cartrial.ingest.parse import lexicon as lx
from cartrial.ingest.parse.patterns import (
    CMP_POSTFIX,
    CMP_PREFIX,
    NUM,
    UNIT,
)

_I = re.IGNORECASE
_OR = re.compile(r"\bor\b", _I)
_AND = re.compile(r"\band\b", _I)
_AND_NOT_SLASH = re.compile(r"\band\b(?!/)", _I)


#: an abbreviation aside after a name, one or a few ("(AST/SGOT)", "(TLC)"): part of the name,
#: so a list of named analytes still joins ("AST (SGOT) and ALT (SGPT) <= 3 x ULN")
_ABBREV_ASIDE = (
    r"(?:\s*\(\s*(?-i:[A-Z][A-Za-z0-9+-]{1,9})(?:\s*/\s*(?-i:[A-Z][A-Za-z0-9+-]{1,9}))*\s*\))?"
)


def _names_rx(table: dict[str, tuple[str, ...]]) -> str:
    return (
        r"(?<!\w)"
        + lx.alternation(p for pats in table.values() for p in pats)
        + r"(?!\w)"
        + _ABBREV_ASIDE
    )


_LAB_NAME = _names_rx(lx.ANALYTES)
_SCORE_NAME = _names_rx(lx.SCORES)
_DERIVED_NAME = (
    r"(?<!\w)(?:(?:estimated\s+)?(?:creatinine\s+clearance(?:\s+rate)?|glomerular\s+filtration\s+rate)"
    r"(?:\s*\(\s*(?:e?GFR|CrCl|CCr|Ccr|CLcr)\s*\))?|(?-i:CrCl|CCr|Ccr|CLcr|CLCr|eGFR|EGFR|GFR))(?!\w)"
)
_JOIN = r"\s*(?:,\s*(?:and/or|and|or)|,|/|and/or|and|or|&|\+)\s*"
_FILL = (
    r"(?P<fill>(?:\s*\([^()]{0,60}\))?[^\d;<>=()\n]{0,40}?"
    # "(>= 1:80)", "(titer >= 1:80)": a bracket opening on the bound, or on its name
    r"(?:\(\s*(?:(?:titers?|titres?|levels?|values?)\s*(?:of\s+)?)?(?=[<>\d]))?)"
)
_TAIL = (
    rf"(?P<cmp>{CMP_PREFIX})?\s*(?P<val>{NUM})\s*"
    rf"(?:(?P<mult>xULN|xLLN)|(?P<unit>{UNIT}))?"
    rf"(?P<alt>\s*(?:\(|,|/)?\s*(?:or\s+)?{NUM}\s*(?:{UNIT})\s*\)?)?"
    rf"(?:\s*(?P<post>{CMP_POSTFIX}))?"
)


def _threshold_rx(name: str) -> re.Pattern[str]:
    return re.compile(rf"(?P<names>{name}(?:{_JOIN}{name}){{0,4}}){_FILL}{_TAIL}", _I)


LAB_RX = _threshold_rx(_LAB_NAME)
SCORE_RX = _threshold_rx(_SCORE_NAME)
DERIVED_RX = _threshold_rx(_DERIVED_NAME)


def names_any(text: str) -> bool:
    """Does ``text`` name an analyte, a score or a derived value? (The lexicon's dispatched
    scan: the same names as one alternation of all of them, far faster.)"""
    return bool(
        lx.find_all(lx.ANALYTES, text)
        or lx.find_all(lx.SCORES, text)
        or (_DERIVED_HINT.search(text) and _DERIVED_NAME_RX.search(text))
    )


#: units an analyte may be written in (UCUM); anything else lowers confidence
ALLOWED_UNITS: dict[str, frozenset[str]] = {
    "wbc": frozenset({"10*9/L", "10*3/uL", "/uL"}),
    "anc": frozenset({"10*9/L", "10*3/uL", "/uL"}),
    "alc": frozenset({"10*9/L", "10*3/uL", "/uL"}),
    "platelets": frozenset({"10*9/L", "10*3/uL", "/uL"}),
    "hemoglobin": frozenset({"g/dL", "g/L", "mmol/L"}),
    "alt": frozenset({"U/L", "[IU]/L"}),
    "ast": frozenset({"U/L", "[IU]/L"}),
    "creatine_kinase": frozenset({"U/L", "[IU]/L"}),
    "bilirubin_total": frozenset({"mg/dL", "umol/L"}),
    "creatinine": frozenset({"mg/dL", "umol/L", "mmol/L"}),
    "crp": frozenset({"mg/L", "mg/dL"}),
    "esr": frozenset({"mm/h"}),
    "inr": frozenset({"{INR}"}),
    "prothrombin_time": frozenset({"s"}),
    "igg": frozenset({"mg/dL", "g/L"}),
    "complement_c3": frozenset({"mg/dL", "g/L"}),
    "complement_c4": frozenset({"mg/dL", "g/L"}),
    "lvef": frozenset({"%"}),
    "spo2": frozenset({"%"}),
    "dlco": frozenset({"%"}),
    "fvc_pct_pred": frozenset({"%"}),
    "urine_pcr": frozenset({"mg/g", "mg/mmol", "g/g", "mg/mg", "g/mmol"}),
    "urine_protein_24h": frozenset({"g/(24.h)", "mg/(24.h)"}),
    "qtc": frozenset({"ms", "s"}),
    "body_weight": frozenset({"kg"}),
    "bmi": frozenset({"kg/m2"}),
    "hbv_dna": frozenset({"[IU]/mL", "{copies}/mL"}),
    "hcv_rna": frozenset({"[IU]/mL", "{copies}/mL"}),
    "cd19_abs": frozenset({"/uL", "10*9/L", "10*3/uL"}),
    "anti_dsdna": frozenset({"[IU]/mL"}),
    "mpap": frozenset({"mm[Hg]"}),
}


def group_keys(
    table: dict[str, tuple[str, ...]], names: str, after: str = ""
) -> tuple[list[str], str]:
    """Keys named in an analyte group and the joiner ("or" / "and" / "list").

    ``after`` (the text following the names) lets a synonym look ahead ("swollen joint count
    ... (66 joints)"); only mentions starting inside ``names`` count.
    """
    keys: list[str] = []
    for key, s, _e in lx.find_all(table, names + after):
        if s < len(names) and key not in keys:
            keys.append(key)
    joiner = "list"
    if _OR.search(names) and not _AND_NOT_SLASH.search(names):
        joiner = "or"
    elif _AND.search(names):
        joiner = "and"
    return keys, joiner


_DERIVED_NAME_RX = re.compile(_DERIVED_NAME, _I)
_DERIVED_HINT = re.compile(r"clearance|crcl|ccr|clcr|gfr|glomerular", _I)


def name_starts(family: str, text: str, base: int | None = None) -> list[int]:
    """Where a name of the family starts (the threshold pattern is tried only there)."""
    if family == "derived":
        if not _DERIVED_HINT.search(text):
            return []
        return [m.start() for m in _DERIVED_NAME_RX.finditer(text)]
    table = lx.SCORES if family == "score" else lx.ANALYTES
    return [s for _k, s, _e in lx.find_all(table, text, base)]


def score_key(key: str, text: str) -> str:
    if key == "das28":
        if re.search(r"\bESR\b", text):
            return "das28_esr"
        if re.search(r"\bCRP\b", text):
            return "das28_crp"
    return key
