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
  unknown or not convertible to the concept's canonical unit. Never guessed. UCUM annotations
  (``{#}``, ``{points}``, ``{score}``, ``1``) are the dimensionless unit of a count or score.
* One resource rejected, the rest read (listed in ``Patient.unrecognized`` with the reason): a
  value outside the physical limits (``vocab/data/plausible_ranges.json``: a negative count, an
  SpO2 of 101 %), a ``valueString`` that is neither a number (with its unit, or unitless for a
  score) nor a result word.
* Everything else that is not understood is listed in ``Patient.unrecognized`` with a reason and,
  for Conditions, medications, procedures and Observations not in the vocabulary, the record's
  words and codes (so a criterion about the same thing can ask the investigator): other resource
  types, codes not in the vocabulary, refuted / entered-in-error records, not-done / not-taken /
  cancelled records, records without a usable date.
* Recognition: a code listed in the vocabulary; for Conditions also a SNOMED CT descendant of a
  listed code (``vocab/data/snomed_descendants.json``) or an ICD-10(-CM) child of a listed code;
  for Observations with no known code, a curated instrument name in ``code.text`` or a coding
  display (``vocab/data/instrument_names.json``, exact after normalisation; evidence says
  "recognised by name").
* Dates: a FHIR dateTime with a time zone is read as the calendar date *as written*
  (``2024-03-01T23:30:00-05:00`` -> 2024-03-01; no conversion to UTC). Partial dates take the
  first day of the period (``2024-03`` -> 2024-03-01) for starts/onsets/effective dates and the
  last day for ends/abatements. A partial ``Patient.birthDate`` (``1981``, ``1981-08``) is kept
  as the interval of possible days (``Patient.birth_date_range``; ``birth_date`` None): an age
  limit or a CrCl is decided when every possible age agrees. A missing ``Patient.birthDate`` is
  not an error. An Observation keeps its time of day (``effective_at``): within a day the later
  result is the latest; results at the same instant (or the same day with a time missing) are
  all weighed and the more conservative one counts, which the explanation says.
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

import json
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from cartrial.domain.errors import DataError
from cartrial.domain.patient import (
    Patient,
)
from cartrial.ingest.fhir_common import READ_TYPES, _condense
from cartrial.ingest.fhir_condition import ConditionReader
from cartrial.ingest.fhir_immunization import ImmunizationReader
from cartrial.ingest.fhir_medication import MedicationReader
from cartrial.ingest.fhir_observation import ObservationReader
from cartrial.ingest.fhir_patient import PatientReader
from cartrial.ingest.fhir_procedure import ProcedureReader

__all__ = ["load_bundle_file", "patient_from_bundle"]


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
# the reader: one mixin per resource type (fhir_<resource>.py)


class _BundleReader(
    PatientReader,
    ObservationReader,
    ConditionReader,
    MedicationReader,
    ImmunizationReader,
    ProcedureReader,
):
    # -- plumbing ---------------------------------------------------------------------------

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
            birth_date_range=self.birth_range,
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
