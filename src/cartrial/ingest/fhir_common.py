"""Shared pieces of the FHIR R4 readers: code/date helpers and the reader state."""

from __future__ import annotations

import calendar
import datetime as dt
import re
from collections.abc import Iterable
from typing import Any

from pydantic import ValidationError

from cartrial import vocab
from cartrial.domain.patient import (
    ConditionRecord,
    ImmunizationRecord,
    MedicationExposure,
    Observation,
    ProcedureRecord,
    Unrecognized,
)
from cartrial.domain.quantity import Code

UCUM = "http://unitsofmeasure.org"
READ_TYPES = frozenset(
    {
        "Patient",
        "Observation",
        "Condition",
        "MedicationStatement",
        "MedicationRequest",
        "MedicationAdministration",
        "Immunization",
        "Procedure",
        "Medication",
    }
)

_POSITIVE_CODES = {"POS", "DET", "10828004", "260373001", "52101004", "11214006"}
_NEGATIVE_CODES = {"NEG", "ND", "260385009", "260415000", "2667000", "131194007"}
_POSITIVE_WORDS = ("positive", "reactive", "detected", "present", "detectable")
_NEGATIVE_WORDS = (
    "negative",
    "non-reactive",
    "nonreactive",
    "not reactive",
    "not detected",
    "undetected",
    "undetectable",
    "not detectable",
    "absent",
    "not present",
)
_INDETERMINATE_WORDS = ("indeterminate", "equivocal", "borderline", "inconclusive")

_GTS_PER_DAY = {
    "QD": 1.0,
    "AM": 1.0,
    "PM": 1.0,
    "BED": 1.0,
    "BID": 2.0,
    "TID": 3.0,
    "QID": 4.0,
    "QOD": 0.5,
    "Q1H": 24.0,
    "Q2H": 12.0,
    "Q3H": 8.0,
    "Q4H": 6.0,
    "Q6H": 4.0,
    "Q8H": 3.0,
    "Q12H": 2.0,
    "WK": 1.0 / 7.0,
    "MO": 12.0 / 365.25,
}
_PERIOD_DAYS = {
    "s": 1.0 / 86400.0,
    "min": 1.0 / 1440.0,
    "h": 1.0 / 24.0,
    "d": 1.0,
    "wk": 7.0,
    "mo": 365.25 / 12.0,
    "a": 365.25,
}


# ---------------------------------------------------------------------------------------------
# helpers


def _condense(exc: ValidationError) -> tuple[str, str]:
    """(field path, one-line message) of a pydantic validation error."""
    errors = exc.errors()
    first = errors[0]
    field = ".".join(str(x) for x in first.get("loc", ()) if x != "__root__") or "(resource)"
    msg = " ".join(str(first.get("msg", "invalid")).split())
    if len(errors) > 1:
        msg += f" (+{len(errors) - 1} more error{'s' if len(errors) > 2 else ''})"
    return field, msg


def _first_day(value: Any) -> dt.date | None:
    return _to_date(value, end=False)


def _last_day(value: Any) -> dt.date | None:
    return _to_date(value, end=True)


def _to_date(value: Any, *, end: bool) -> dt.date | None:
    """A FHIR date/dateTime (already parsed by fhir.resources, or a partial-date string)."""
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        return value.date()  # the local date as written; no time-zone conversion
    if isinstance(value, dt.date):
        return value
    s = str(value)
    m = re.fullmatch(r"(\d{4})(?:-(\d{2}))?(?:-(\d{2}))?(?:T.*)?", s)
    if not m:
        return None
    year = int(m.group(1))
    month = int(m.group(2)) if m.group(2) else (12 if end else 1)
    last = calendar.monthrange(year, month)[1] if end else 1
    day = int(m.group(3)) if m.group(3) else last
    return dt.date(year, month, day)


def _codings(cc: Any) -> list[Any]:
    if cc is None:
        return []
    return list(cc.coding or [])


def _cc_text(cc: Any) -> str:
    if cc is None:
        return ""
    parts = [cc.text] if cc.text else []
    parts += [c.display for c in _codings(cc) if c.display]
    return "; ".join(dict.fromkeys(parts))


def _describe_codes(cc: Any) -> str:
    codings = _codings(cc)
    if not codings:
        text = cc.text if cc is not None else None
        return f"no coding (text: {text!r})" if text else "no code"
    described = []
    for c in codings:
        d = f"{c.system or '?'}|{c.code or '?'}"
        if c.display:
            d += f" {c.display!r}"
        described.append(d)
    return ", ".join(described)


def _code(coding: Any) -> Code | None:
    if coding is None or not coding.code:
        return None
    return Code(system=coding.system or "", code=str(coding.code), display=coding.display)


def _resolve(cc: Any, groups: Iterable[str]) -> tuple[list[vocab.ConceptRef], Any]:
    """All concepts (in the given groups) the codings of ``cc`` map to, and the first coding
    that matched."""
    groups = tuple(groups)
    refs: list[vocab.ConceptRef] = []
    matched = None
    for coding in _codings(cc):
        for ref in vocab.lookup_codes(coding.system, coding.code, groups=groups):
            if ref not in refs:
                refs.append(ref)
                if matched is None:
                    matched = coding
    # best group first (order of ``groups``)
    refs.sort(key=lambda r: groups.index(r.group))
    return refs, matched


def _all_codes(cc: Any) -> tuple[Code, ...]:
    return tuple(c for c in (_code(x) for x in _codings(cc)) if c is not None)


def _float(x: Any) -> float | None:
    if x is None:
        return None
    return float(x)


def _result_from_text(text: str) -> str | None:
    t = " ".join(text.lower().split())
    if not t:
        return None
    if any(w in t for w in _INDETERMINATE_WORDS):
        return None
    if any(re.search(r"(?<![a-z])" + re.escape(w) + r"(?![a-z])", t) for w in _NEGATIVE_WORDS):
        return "negative"
    if any(re.search(r"(?<![a-z-])" + re.escape(w) + r"(?![a-z])", t) for w in _POSITIVE_WORDS):
        return "positive"
    return None


class ReaderState:
    """What every per-resource reader shares: the records read so far and the unrecognised."""

    def __init__(self, bundle: dict[str, Any]) -> None:
        self.bundle = bundle
        self.unrecognized: list[Unrecognized] = []
        self.observations: list[Observation] = []
        self.conditions: list[ConditionRecord] = []
        self.medications: list[MedicationExposure] = []
        self.immunizations: list[ImmunizationRecord] = []
        self.procedures: list[ProcedureRecord] = []
        self.medication_index: dict[str, Any] = {}
        self.referenced_medications: set[str] = set()
        self.patient: Any = None
        self.patient_where = ""
        self.birth_date: dt.date | None = None
        self.birth_range: tuple[dt.date, dt.date] | None = None

    def _skip(
        self,
        rt: str,
        rid: str | None,
        reason: str,
        *,
        text: str | None = None,
        codes: tuple[Code, ...] = (),
        date: dt.date | None = None,
    ) -> None:
        self.unrecognized.append(
            Unrecognized(
                resource_type=rt, id=rid, reason=reason, text=text or None, codes=codes, date=date
            )
        )

    def _med_keys_of(self, med: Any) -> list[str]:
        return [k for k, v in self.medication_index.items() if v is med]
