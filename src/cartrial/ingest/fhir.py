"""FHIR R4 Bundle -> :class:`cartrial.domain.Patient`.

Resources are validated with ``fhir.resources.R4B`` (R4B models accept R4 content; the default R5
models reject R4 MedicationRequest) one entry at a time, so an error names the entry, the resource
(``Observation/abc``) and the field.

Rules
-----
* Errors (``DataError``): not JSON, not a Bundle, an entry that is not an object, no Patient, two
  different Patients, or a validation failure of a resource this module reads (Patient,
  Observation, Condition, MedicationStatement/Request/Administration, Immunization, Procedure,
  Medication) -- e.g. a malformed date. Resources of other types are not validated.
* ``UnknownUnitError``: an Observation with a numeric value (or referenceRange) whose unit is
  unknown or not convertible to the concept's canonical unit. Never guessed.
* Everything else that is not understood is listed in ``Patient.unrecognized`` with a reason:
  other resource types, codes not in the vocabulary, refuted / entered-in-error records,
  not-done / not-taken / cancelled records, records without a usable date.
* Dates: a FHIR dateTime with a time zone is read as the calendar date *as written*
  (``2024-03-01T23:30:00-05:00`` -> 2024-03-01; no conversion to UTC). Partial dates take the
  first day of the period (``2024-03`` -> 2024-03-01) for starts/onsets/effective dates and the
  last day for ends/abatements. A partial ``Patient.birthDate`` is not used (age UNKNOWN) and is
  listed as unrecognized. A missing ``Patient.birthDate`` is not an error: ``birth_date`` is None.
* Observations: the first coding that maps to a lab concept wins; the value is converted to the
  canonical unit (original value/unit kept); referenceRange low/high converted too. Components
  whose code maps to a lab concept (blood-pressure panels) become their own Observations with id
  ``<resource id>#<concept>``; the other components go to ``Observation.components`` (item-level
  scores) keyed by their code. A qualitative ``result`` (positive/negative) comes from
  valueCodeableConcept / valueString / valueBoolean, else interpretation POS/DET/NEG/ND (and, for
  qualitative concepts, H/HH/A/AA -> positive, N -> negative). Indeterminate results leave
  ``result`` None (components["interpretation"] keeps the code). A ``<``/``>`` comparator is kept
  in ``components["comparator"]``.
* Medications: ``medicationCodeableConcept`` or ``medicationReference`` (contained ``#id`` or a
  Bundle entry) -> a drug by RxNorm/ATC code (ATC may resolve to an ``atc_classes`` key); when no
  code matches, a single vocabulary drug named (whole word) in the coding display or text, e.g.
  the RxNorm clinical drug "Methotrexate 10 MG Oral Tablet". ``daily_dose_mg`` = doseQuantity in
  mg (g, ug accepted) x timing frequency / period (per day), or the GTS timing code (BID, TID,
  QD, WK ...); None if the dose is not in mass units, PRN, or no timing is given. For a
  MedicationAdministration the administered dose counts for its day. ``outcome`` = failure /
  intolerance from the statusReason words (see ``vocab.status_reason_outcome``).
"""

from __future__ import annotations

import calendar
import datetime as dt
import json
import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from cartrial import vocab
from cartrial.domain.errors import DataError, UnknownUnitError
from cartrial.domain.patient import (
    ConditionRecord,
    ImmunizationRecord,
    MedicationExposure,
    Observation,
    Patient,
    ProcedureRecord,
    Sex,
    Unrecognized,
)
from cartrial.domain.quantity import Code

__all__ = ["load_bundle_file", "patient_from_bundle"]

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
_MASS_TO_MG = {"mg": 1.0, "g": 1000.0, "ug": 0.001, "mcg": 0.001, "µg": 0.001, "kg": 1e6}


# ---------------------------------------------------------------------------------------------
# entry points


def load_bundle_file(path: str | Path) -> Patient:
    """Read a FHIR R4 Bundle JSON file into a Patient."""
    p = Path(path)
    try:
        raw = p.read_bytes()
    except OSError as exc:
        raise DataError(f"cannot read file: {exc.strerror or exc}", where=str(p)) from exc
    try:
        return patient_from_bundle(raw)
    except DataError as exc:
        if exc.where and str(p) in exc.where:
            raise
        where = f"{p.name}: {exc.where}" if exc.where else p.name
        message = str(exc).split(": ", 1)[1] if exc.where or exc.field else str(exc)
        err = type(exc)(message, where=where, field=exc.field)
        raise err from exc


def patient_from_bundle(data: dict[str, Any] | str | bytes) -> Patient:
    """Map a FHIR R4 Bundle (dict or JSON text) to a Patient. See the module docstring."""
    bundle = _as_dict(data)
    return _BundleReader(bundle).read()


def _as_dict(data: dict[str, Any] | str | bytes) -> dict[str, Any]:
    if isinstance(data, dict):
        obj: Any = data
    else:
        try:
            obj = json.loads(data)
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise DataError(f"invalid JSON: {exc}", where="Bundle") from exc
    if not isinstance(obj, dict):
        raise DataError("expected a JSON object", where="Bundle")
    rt = obj.get("resourceType")
    if rt != "Bundle":
        raise DataError(
            f"expected resourceType 'Bundle', got {rt!r}",
            where=f"{rt}/{obj.get('id')}" if rt else "document",
            field="resourceType",
        )
    return obj


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


def _float(x: Any) -> float | None:
    if x is None:
        return None
    return float(x)


# ---------------------------------------------------------------------------------------------
# the reader


class _BundleReader:
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

    # -- plumbing ---------------------------------------------------------------------------

    def _skip(self, rt: str, rid: str | None, reason: str) -> None:
        self.unrecognized.append(Unrecognized(resource_type=rt, id=rid, reason=reason))

    def _validate(self, raw: dict[str, Any], where: str) -> Any:
        from fhir.resources.R4B import get_fhir_model_class

        model = get_fhir_model_class(raw["resourceType"])
        try:
            return model.model_validate(raw)
        except ValidationError as exc:
            field, msg = _condense(exc)
            raise DataError(msg, where=where, field=field) from exc

    def read(self) -> Patient:
        entries = self.bundle.get("entry")
        if entries is None:
            entries = []
        if not isinstance(entries, list):
            raise DataError("expected a list", where="Bundle", field="entry")
        parsed: list[tuple[int, str, Any]] = []
        for i, entry in enumerate(entries):
            if not isinstance(entry, dict):
                raise DataError("expected an object", where=f"Bundle.entry[{i}]")
            raw = entry.get("resource")
            if raw is None:
                self._skip("Bundle.entry", f"entry[{i}]", "entry without a resource")
                continue
            if not isinstance(raw, dict):
                raise DataError("expected an object", where=f"Bundle.entry[{i}]", field="resource")
            rt = raw.get("resourceType")
            if not isinstance(rt, str) or not rt:
                raise DataError(
                    "missing resourceType",
                    where=f"Bundle.entry[{i}]",
                    field="resource.resourceType",
                )
            rid = raw.get("id")
            where = f"{rt}/{rid} (entry {i})" if rid else f"{rt} (entry {i})"
            if rt not in READ_TYPES:
                self._skip(rt, rid, f"resource type {rt} is not read by the engine")
                continue
            resource = self._validate(raw, where)
            if rt == "Medication":
                for key in self._reference_keys(entry, rt, rid):
                    self.medication_index[key] = resource
            parsed.append((i, where, resource))

        for _i, where, res in parsed:
            rt = res.get_resource_type()
            if rt == "Patient":
                self._patient(res, where)
        if self.patient is None:
            raise DataError("the Bundle holds no Patient resource", where="Bundle", field="entry")

        for _i, where, res in parsed:
            rt = res.get_resource_type()
            handler = {
                "Observation": self._observation,
                "Condition": self._condition,
                "MedicationStatement": self._medication,
                "MedicationRequest": self._medication,
                "MedicationAdministration": self._medication,
                "Immunization": self._immunization,
                "Procedure": self._procedure,
            }.get(rt)
            if handler is not None:
                handler(res, where)

        for key, med in list(self.medication_index.items()):
            if key.startswith("Medication/") and key not in self.referenced_medications:
                mid = key.split("/", 1)[1]
                if not any(k in self.referenced_medications for k in self._med_keys_of(med)):
                    self._skip(
                        "Medication",
                        mid,
                        "Medication not referenced by any MedicationStatement/Request/Administration",
                    )

        return Patient(
            id=self.patient.id or "patient",
            birth_date=self.birth_date,
            sex=self._sex(self.patient.gender),
            observations=tuple(self.observations),
            conditions=tuple(self.conditions),
            medications=tuple(self.medications),
            immunizations=tuple(self.immunizations),
            procedures=tuple(self.procedures),
            unrecognized=tuple(self.unrecognized),
        )

    @staticmethod
    def _reference_keys(entry: dict[str, Any], rt: str, rid: str | None) -> list[str]:
        keys = []
        if rid:
            keys.append(f"{rt}/{rid}")
        full = entry.get("fullUrl")
        if isinstance(full, str) and full:
            keys.append(full)
            if rid and full.endswith(f"/{rt}/{rid}"):
                keys.append(f"{rt}/{rid}")
        return keys

    def _med_keys_of(self, med: Any) -> list[str]:
        return [k for k, v in self.medication_index.items() if v is med]

    # -- Patient ----------------------------------------------------------------------------

    def _patient(self, res: Any, where: str) -> None:
        if self.patient is not None:
            if (res.id or None) == (self.patient.id or None):
                self._skip("Patient", res.id, "duplicate of the Patient already read")
                return
            raise DataError(
                f"the Bundle holds two different Patient resources "
                f"({self.patient_where} and {where})",
                where=where,
                field="Patient.id",
            )
        self.patient = res
        self.patient_where = where
        if res.deceasedBoolean or res.deceasedDateTime is not None:
            when = f" ({res.deceasedDateTime})" if res.deceasedDateTime is not None else ""
            self._skip(
                "Patient", res.id, f"Patient.deceased{when} is not represented in the engine"
            )
        bd = res.birthDate
        if isinstance(bd, dt.date):
            self.birth_date = bd
        elif bd is not None:
            self._skip(
                "Patient",
                res.id,
                f"Patient.birthDate {bd!r} is a partial date: age cannot be computed",
            )

    @staticmethod
    def _sex(gender: str | None) -> Sex:
        return {
            "female": Sex.FEMALE,
            "male": Sex.MALE,
            "other": Sex.OTHER,
        }.get(gender or "", Sex.UNKNOWN)

    # -- Observation ------------------------------------------------------------------------

    def _observation(self, res: Any, where: str) -> None:
        rid = res.id
        if res.status in ("entered-in-error", "cancelled"):
            self._skip("Observation", rid, f"status {res.status}")
            return
        effective = (
            _first_day(res.effectiveDateTime)
            or _first_day(res.effectiveInstant)
            or (_first_day(res.effectivePeriod.start) if res.effectivePeriod else None)
            or (_first_day(res.effectivePeriod.end) if res.effectivePeriod else None)
            or _first_day(res.issued)
        )
        refs, coding = _resolve(res.code, ["labs"])
        component_obs = self._component_observations(res, where, effective)
        if not refs:
            if component_obs:
                self.observations.extend(component_obs)
                return
            self._skip(
                "Observation", rid, f"code not in the vocabulary: {_describe_codes(res.code)}"
            )
            return
        if effective is None:
            self._skip("Observation", rid, "no effective date (effective[x] or issued)")
            return
        concept = refs[0].key
        fields = self._value_fields(res, concept, where, prefix="value")
        fields.update(self._reference_range(res, concept, where, fields.get("original_unit")))
        components = dict(fields.pop("components", {}))
        components.update(self._other_components(res))
        if fields.get("result") is None:
            interp = self._interpretation(res, concept, fields.get("value") is not None)
            if interp is not None:
                if interp[0] is not None:
                    fields["result"] = interp[0]
                if interp[1]:
                    components["interpretation"] = interp[1]
        if fields.get("value") is None and fields.get("result") is None and not components:
            absent = _cc_text(res.dataAbsentReason) if res.dataAbsentReason else ""
            self._skip(
                "Observation",
                rid,
                f"no value for {concept}" + (f" (dataAbsentReason: {absent})" if absent else ""),
            )
            self.observations.extend(component_obs)
            return
        self.observations.append(
            Observation(
                id=rid or where,
                concept=concept,
                effective=effective,
                code=_code(coding),
                components=components,
                **fields,
            )
        )
        self.observations.extend(component_obs)

    def _value_fields(
        self, holder: Any, concept: str, where: str, *, prefix: str
    ) -> dict[str, Any]:
        """value/unit/original/result from a value[x] on an Observation or a component."""
        out: dict[str, Any] = {}
        info = vocab.lab(concept)
        vq = holder.valueQuantity
        if vq is not None and vq.value is not None:
            value = float(vq.value)
            unit = (vq.code if vq.system == UCUM and vq.code else None) or vq.unit or vq.code
            out["original_value"] = value
            out["original_unit"] = unit
            if vq.comparator:
                out["components"] = {"comparator": vq.comparator}
            if info.canonical_unit is None:
                out["value"] = value
                out["unit"] = unit
            else:
                out["value"], out["unit"] = self._convert(
                    concept, value, unit, where, f"{prefix}Quantity"
                )
            return out
        if holder.valueInteger is not None:
            value = float(holder.valueInteger)
            out["original_value"] = value
            out["original_unit"] = None
            if info.canonical_unit is None:
                out["value"] = value
            else:
                out["value"], out["unit"] = self._convert(
                    concept, value, None, where, f"{prefix}Integer"
                )
            return out
        ratio = holder.valueRatio
        if ratio is not None and ratio.denominator is not None and ratio.numerator is not None:
            num, den = _float(ratio.numerator.value), _float(ratio.denominator.value)
            if info.canonical_unit == "{titer}" and num == 1 and den:
                out.update(value=den, unit="{titer}", original_value=den, original_unit="1:x")
                return out
        if holder.valueString is not None:
            s = str(holder.valueString).strip()
            m = re.fullmatch(r"1\s*:\s*(\d+(?:\.\d+)?)", s)
            if m and info.canonical_unit == "{titer}":
                v = float(m.group(1))
                out.update(value=v, unit="{titer}", original_value=v, original_unit="1:x")
                return out
            out["result"] = _result_from_text(s)
            if out["result"] is None:
                out["components"] = {"value_text": s}
            return out
        if holder.valueBoolean is not None:
            out["result"] = "positive" if holder.valueBoolean else "negative"
            return out
        cc = holder.valueCodeableConcept
        if cc is not None:
            result = None
            for c in _codings(cc):
                if c.code in _POSITIVE_CODES:
                    result = "positive"
                elif c.code in _NEGATIVE_CODES:
                    result = "negative"
                if result:
                    break
            if result is None:
                result = _result_from_text(_cc_text(cc))
            out["result"] = result
            if result is None:
                out["components"] = {"value_text": _cc_text(cc) or _describe_codes(cc)}
        return out

    def _convert(
        self, concept: str, value: float, unit: str | None, where: str, field: str
    ) -> tuple[float, str]:
        try:
            converted, canonical = vocab.convert(concept, value, unit)
        except UnknownUnitError as exc:
            raise UnknownUnitError(
                f"unknown or unconvertible unit {unit!r} for {concept} "
                f"(canonical {vocab.lab(concept).canonical_unit}); never guessed",
                where=where,
                field=f"{field}.unit",
            ) from exc
        low, high = vocab.plausible_range(concept)
        if (low is not None and converted < low) or (high is not None and converted > high):
            limits = f"{'' if low is None else f'{low:g}'}..{'' if high is None else f'{high:g}'}"
            raise DataError(
                f"impossible value {value:g} {unit or ''} for {concept} "
                f"(physical limits {limits} {canonical})".replace("  ", " "),
                where=where,
                field=f"{field}.value",
            )
        return converted, canonical

    def _reference_range(
        self, res: Any, concept: str, where: str, value_unit: str | None
    ) -> dict[str, Any]:
        ranges = list(res.referenceRange or [])
        if not ranges or vocab.lab(concept).canonical_unit is None:
            return {}
        chosen = None
        for r in ranges:
            kind = {c.code for c in _codings(r.type)}
            if not kind or kind & {"normal", "treatment"}:
                chosen = r
                break
        if chosen is None:
            chosen = ranges[0]
        out: dict[str, Any] = {}
        for attr, name in (("low", "ref_low"), ("high", "ref_high")):
            q = getattr(chosen, attr)
            if q is None or q.value is None:
                continue
            unit = (
                (q.code if q.system == UCUM and q.code else None) or q.unit or q.code or value_unit
            )
            out[name], _ = self._convert(
                concept, float(q.value), unit, where, f"referenceRange.{attr}"
            )
        return out

    def _interpretation(
        self, res: Any, concept: str, numeric: bool
    ) -> tuple[str | None, str] | None:
        codes = [c.code for cc in (res.interpretation or []) for c in _codings(cc) if c.code]
        if not codes:
            return None
        qualitative = vocab.lab(concept).canonical_unit is None
        for code in codes:
            if code in ("POS", "DET"):
                return ("positive", code)
            if code in ("NEG", "ND"):
                return ("negative", code)
            if code == "IND":
                return (None, code)
            if qualitative and code in ("H", "HH", "A", "AA", "HU"):
                return ("positive", code)
            if qualitative and code == "N":
                return ("negative", code)
        return None

    def _component_observations(
        self, res: Any, where: str, effective: dt.date | None
    ) -> list[Observation]:
        out: list[Observation] = []
        for i, comp in enumerate(res.component or []):
            refs, coding = _resolve(comp.code, ["labs"])
            if not refs:
                continue
            if effective is None:
                self._skip(
                    "Observation",
                    res.id,
                    f"component {i}: no effective date (effective[x] or issued)",
                )
                continue
            concept = refs[0].key
            fields = self._value_fields(comp, concept, f"{where} component[{i}]", prefix="value")
            comps = dict(fields.pop("components", {}))
            if not fields:
                continue
            out.append(
                Observation(
                    id=f"{res.id or where}#{concept}",
                    concept=concept,
                    effective=effective,
                    code=_code(coding),
                    components=comps,
                    **fields,
                )
            )
        return out

    def _other_components(self, res: Any) -> dict[str, float | str | bool]:
        """Components whose code is not a lab concept: item-level scores, keyed by code."""
        out: dict[str, float | str | bool] = {}
        for comp in res.component or []:
            refs, _ = _resolve(comp.code, ["labs"])
            if refs:
                continue
            codings = _codings(comp.code)
            key = (codings[0].code if codings and codings[0].code else None) or (
                comp.code.text if comp.code is not None else None
            )
            if not key:
                continue
            value: float | str | bool | None = None
            if comp.valueQuantity is not None and comp.valueQuantity.value is not None:
                value = float(comp.valueQuantity.value)
            elif comp.valueInteger is not None:
                value = float(comp.valueInteger)
            elif comp.valueBoolean is not None:
                value = bool(comp.valueBoolean)
            elif comp.valueString is not None:
                value = str(comp.valueString)
            elif comp.valueCodeableConcept is not None:
                cc = comp.valueCodeableConcept
                cod = _codings(cc)
                value = (cod[0].code if cod and cod[0].code else None) or _cc_text(cc)
            if value is not None:
                out[str(key)] = value
        return out

    # -- Condition --------------------------------------------------------------------------

    def _condition(self, res: Any, where: str) -> None:
        rid = res.id
        vstatus = {c.code for c in _codings(res.verificationStatus)}
        for bad in ("refuted", "entered-in-error"):
            if bad in vstatus:
                self._skip("Condition", rid, f"verificationStatus {bad}")
                return
        refs, coding = _resolve(res.code, ["conditions", "procedures"])
        if not refs:
            self._skip("Condition", rid, f"code not in the vocabulary: {_describe_codes(res.code)}")
            return
        onset = (
            _first_day(res.onsetDateTime)
            or (_first_day(res.onsetPeriod.start) if res.onsetPeriod else None)
            or self._onset_from_age(res.onsetAge)
        )
        abatement = (
            _last_day(res.abatementDateTime)
            or (_last_day(res.abatementPeriod.end) if res.abatementPeriod else None)
            or (_last_day(res.abatementPeriod.start) if res.abatementPeriod else None)
            or self._onset_from_age(res.abatementAge)
        )
        recorded = _first_day(res.recordedDate)
        cstatus = {c.code for c in _codings(res.clinicalStatus)}
        if cstatus & {"active", "recurrence", "relapse"}:
            active = True
        elif cstatus & {"inactive", "remission", "resolved"}:
            active = False
        else:
            active = abatement is None and res.abatementString is None
        for ref in refs:
            if ref.group == "conditions":
                self.conditions.append(
                    ConditionRecord(
                        id=rid or where,
                        concept=ref.key,
                        code=_code(coding),
                        onset=onset,
                        abatement=abatement,
                        active=active,
                        recorded=recorded,
                    )
                )
            else:  # e.g. ICD-10-CM Z94.84 "stem cells transplant status" -> procedure history
                self.procedures.append(
                    ProcedureRecord(
                        id=rid or where, concept=ref.key, date=onset, code=_code(coding)
                    )
                )

    def _onset_from_age(self, age: Any) -> dt.date | None:
        if age is None or age.value is None or self.birth_date is None:
            return None
        unit = age.code or age.unit
        if unit not in ("a", "year", "years", "yr"):
            return None
        years = int(float(age.value))
        b = self.birth_date
        try:
            return b.replace(year=b.year + years)
        except ValueError:  # 29 February
            return b.replace(year=b.year + years, day=28)

    # -- medications ------------------------------------------------------------------------

    def _medication_concept(self, res: Any) -> tuple[list[vocab.ConceptRef], Any, str]:
        """(concepts, matched coding, description) from medication[x]."""
        cc = res.medicationCodeableConcept
        if cc is None and res.medicationReference is not None:
            ref = res.medicationReference.reference or ""
            med = None
            if ref.startswith("#"):
                for c in res.contained or []:
                    if c.id == ref[1:]:
                        med = c
                        break
            else:
                med = self.medication_index.get(ref)
                if med is None and "/" in ref:
                    med = self.medication_index.get("/".join(ref.split("/")[-2:]))
                if med is not None:
                    self.referenced_medications.update(self._med_keys_of(med))
            if med is None:
                display = res.medicationReference.display
                return (
                    [],
                    None,
                    f"medicationReference {ref!r} not resolved"
                    + (f" (display {display!r})" if display else ""),
                )
            cc = med.code
            if cc is None and med.ingredient:
                for ing in med.ingredient:
                    refs, coding = _resolve(ing.itemCodeableConcept, ["medications", "atc_classes"])
                    if refs:
                        return refs, coding, ""
        refs, coding = _resolve(cc, ["medications", "atc_classes"])
        if refs:
            return refs, coding, ""
        texts = [c.display for c in _codings(cc) if c.display] + (
            [cc.text] if cc and cc.text else []
        )
        for t in texts:
            ref = vocab.lookup_drug_text(t)
            if ref is not None:
                first = _codings(cc)[0] if _codings(cc) else None
                return [ref], first, ""
        return [], None, f"code not in the vocabulary: {_describe_codes(cc)}"

    def _medication(self, res: Any, where: str) -> None:
        rt = res.get_resource_type()
        rid = res.id
        status = res.status
        not_exposure = {
            "MedicationStatement": {"entered-in-error", "not-taken", "intended"},
            "MedicationRequest": {"entered-in-error", "cancelled", "draft"},
            "MedicationAdministration": {"entered-in-error", "not-done"},
        }[rt]
        if status in not_exposure:
            self._skip(rt, rid, f"status {status}: not an exposure")
            return
        if rt == "MedicationRequest" and res.doNotPerform:
            self._skip(rt, rid, "doNotPerform: not an exposure")
            return
        refs, coding, why = self._medication_concept(res)
        if not refs:
            self._skip(rt, rid, why)
            return
        ref = refs[0]
        dosages = self._dosages(res)
        start, end = self._period(res, dosages)
        if start is None and end is None:
            self._skip(rt, rid, "no date (effective[x], authoredOn or dosage boundsPeriod)")
            return
        if ref.group == "medications":
            info = vocab.drug(ref.key)
            classes = tuple(sorted(info.classes)) + tuple(sorted(info.atc_classes))
        else:
            groups, atc = vocab.atc_memberships(coding.code if coding is not None else "")
            classes = tuple(sorted(groups)) + tuple(sorted(atc))
        reason_text = self._status_reason_text(res)
        ongoing = (
            status in ("active", "on-hold", "in-progress") if end is None else False
        ) and rt != "MedicationAdministration"
        self.medications.append(
            MedicationExposure(
                id=rid or where,
                concept=ref.key,
                drug_classes=classes,
                start=start,
                end=end,
                ongoing=ongoing,
                daily_dose_mg=self._daily_dose(res, dosages),
                route=self._route(res, dosages),
                status=status,
                outcome=vocab.status_reason_outcome(reason_text),
                status_reason_text=reason_text or None,
                code=_code(coding),
                resource_type=rt,
            )
        )

    @staticmethod
    def _dosages(res: Any) -> list[Any]:
        rt = res.get_resource_type()
        if rt == "MedicationStatement":
            return list(res.dosage or [])
        if rt == "MedicationRequest":
            return list(res.dosageInstruction or [])
        return []

    @staticmethod
    def _period(res: Any, dosages: list[Any]) -> tuple[dt.date | None, dt.date | None]:
        rt = res.get_resource_type()
        start: dt.date | None = None
        end: dt.date | None = None
        if rt in ("MedicationStatement", "MedicationAdministration"):
            if res.effectivePeriod is not None:
                start = _first_day(res.effectivePeriod.start)
                end = _last_day(res.effectivePeriod.end)
            elif res.effectiveDateTime is not None:
                start = _first_day(res.effectiveDateTime)
                if rt == "MedicationAdministration" or res.status in ("completed", "stopped"):
                    end = _last_day(res.effectiveDateTime)
        for d in dosages:
            rep = d.timing.repeat if d.timing is not None else None
            if rep is None:
                continue
            if rep.boundsPeriod is not None:
                bstart = _first_day(rep.boundsPeriod.start)
                bend = _last_day(rep.boundsPeriod.end)
                start = start or bstart
                end = end or bend
            elif rep.boundsDuration is not None and rep.boundsDuration.value is not None:
                unit = rep.boundsDuration.code or rep.boundsDuration.unit
                days = _PERIOD_DAYS.get(str(unit))
                anchor = start or (
                    _first_day(res.authoredOn) if rt == "MedicationRequest" else None
                )
                if days is not None and anchor is not None and end is None:
                    end = anchor + dt.timedelta(days=round(float(rep.boundsDuration.value) * days))
        if rt == "MedicationRequest" and start is None:
            start = _first_day(res.authoredOn)
        return start, end

    @staticmethod
    def _dose_mg(q: Any) -> float | None:
        if q is None or q.value is None:
            return None
        unit = (q.code or q.unit or "").strip()
        unit = unit.replace("µ", "u").replace("μ", "u")
        factor = _MASS_TO_MG.get(unit) or _MASS_TO_MG.get(unit.lower())
        if factor is None:
            return None
        return float(q.value) * factor

    def _daily_dose(self, res: Any, dosages: list[Any]) -> float | None:
        rt = res.get_resource_type()
        if rt == "MedicationAdministration":
            dose = res.dosage.dose if res.dosage is not None else None
            return self._dose_mg(dose)
        total = 0.0
        found = False
        for d in dosages:
            if d.asNeededBoolean or d.asNeededCodeableConcept is not None:
                return None
            q = None
            for dr in d.doseAndRate or []:
                if dr.doseQuantity is not None:
                    q = dr.doseQuantity
                    break
            mg = self._dose_mg(q)
            if mg is None:
                continue
            per_day = self._per_day(d.timing)
            if per_day is None:
                return None
            total += mg * per_day
            found = True
        return round(total, 6) if found else None

    @staticmethod
    def _per_day(timing: Any) -> float | None:
        if timing is None:
            return None
        rep = timing.repeat
        if rep is not None and (rep.period is not None or rep.frequency is not None):
            freq = float(rep.frequency if rep.frequency is not None else 1)
            period = float(rep.period if rep.period is not None else 1)
            unit_days = _PERIOD_DAYS.get(str(rep.periodUnit or "d"))
            if unit_days is None or period <= 0:
                return None
            return freq / (period * unit_days)
        for c in _codings(timing.code):
            if c.code and c.code.upper() in _GTS_PER_DAY:
                return _GTS_PER_DAY[c.code.upper()]
        return None

    @staticmethod
    def _route(res: Any, dosages: list[Any]) -> str | None:
        routes = []
        if res.get_resource_type() == "MedicationAdministration" and res.dosage is not None:
            routes.append(res.dosage.route)
        routes += [d.route for d in dosages]
        for r in routes:
            if r is None:
                continue
            text = r.text or next((c.display for c in _codings(r) if c.display), None)
            if text:
                return str(text)
            first = next((c.code for c in _codings(r) if c.code), None)
            if first:
                return str(first)
        return None

    @staticmethod
    def _status_reason_text(res: Any) -> str:
        reasons = res.statusReason
        if reasons is None:
            return ""
        if not isinstance(reasons, list):
            reasons = [reasons]
        return "; ".join(t for t in (_cc_text(r) for r in reasons) if t)

    # -- Immunization -----------------------------------------------------------------------

    def _immunization(self, res: Any, where: str) -> None:
        rid = res.id
        if res.status in ("entered-in-error", "not-done"):
            self._skip("Immunization", rid, f"status {res.status}")
            return
        refs, coding = _resolve(res.vaccineCode, ["vaccines"])
        if not refs:
            self._skip(
                "Immunization",
                rid,
                f"vaccine code not in the vocabulary: {_describe_codes(res.vaccineCode)}",
            )
            return
        date = _first_day(res.occurrenceDateTime)
        if date is None:
            self._skip(
                "Immunization",
                rid,
                f"no occurrenceDateTime (occurrenceString {res.occurrenceString!r})"
                if res.occurrenceString
                else "no occurrence date",
            )
            return
        key = refs[0].key
        self.immunizations.append(
            ImmunizationRecord(
                id=rid or where,
                concept=key,
                date=date,
                live=vocab.vaccine_is_live(key),
                code=_code(coding),
            )
        )

    # -- Procedure --------------------------------------------------------------------------

    def _procedure(self, res: Any, where: str) -> None:
        rid = res.id
        if res.status in ("entered-in-error", "not-done"):
            self._skip("Procedure", rid, f"status {res.status}")
            return
        refs, coding = _resolve(res.code, ["procedures"])
        if not refs:
            self._skip("Procedure", rid, f"code not in the vocabulary: {_describe_codes(res.code)}")
            return
        date = _first_day(res.performedDateTime)
        if date is None and res.performedPeriod is not None:
            date = _last_day(res.performedPeriod.end) or _first_day(res.performedPeriod.start)
        for ref in refs:
            self.procedures.append(
                ProcedureRecord(id=rid or where, concept=ref.key, date=date, code=_code(coding))
            )


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
