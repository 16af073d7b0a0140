"""Vocabulary: concept keys <-> codes (LOINC, SNOMED CT, ICD-10(-CM), RxNorm, ATC, CVX), units.

A small typed API over the JSON files in ``cartrial/vocab/data/`` (built from
``../shared/reference/vocabulary.json`` by ``scripts/build_vocab.py``; verified codes only). The
files are read once per process (``functools.cache``). Extend the data files, not this code.

This module is the facade; the code lives in small modules: ``systems`` (code-system URIs and
spellings), ``records`` (typed records), ``store`` (data files, per-concept accessors),
``lookup`` (code -> concept), ``hierarchy`` (SNOMED CT descendants), ``names`` (instrument names,
mentions in free text), ``measures`` (unit conversion, ranges), ``units`` (UCUM spelling and
pint), ``drugs`` and ``vaccines``.

Groups: ``labs``, ``conditions``, ``medications``, ``vaccines``, ``procedures``, ``atc_classes``
(plus ``atc_class_groups`` for :func:`concept_keys`).

Unit conversion (:func:`convert`) goes to the concept's canonical UCUM unit:

1. the same unit (after spelling normalisation, see :func:`cartrial.vocab.units.normalize_unit`)
   -> value as is;
2. an alternative unit listed for the concept -> its analyte-specific factor (e.g. creatinine
   umol/L x 0.011312 = /88.4);
3. otherwise a dimensional conversion (mg/L -> mg/dL, /uL -> 10*9/L, [degF] -> Cel): exact
   factors of the common units (:func:`exact_factor`), pint for the rest, cached per unit pair
   (:func:`unit_factor`).

This is the one unit converter of the package: the FHIR readers (dose units) and the calculators
(accepted input units) use :func:`exact_factor` too.

An unknown or incompatible unit raises :class:`cartrial.domain.UnknownUnitError` naming the concept
and the unit. Nothing is guessed.
"""

from __future__ import annotations

from cartrial.vocab import hierarchy
from cartrial.vocab.drugs import (
    atc_memberships,
    drug,
    drugs_in_class,
    glucocorticoid_factor,
    half_life_days,
    lookup_drug_text,
    status_reason_outcome,
)
from cartrial.vocab.lookup import lookup_code, lookup_codes
from cartrial.vocab.measures import convert, default_range, plausible_range
from cartrial.vocab.names import (
    instrument_by_name,
    instrument_names,
    mentions,
    mentions_phrase,
    normalize_name,
)
from cartrial.vocab.records import (
    GROUPS,
    AltUnit,
    CodeInfo,
    ConceptRef,
    ConditionInfo,
    DrugInfo,
    Group,
    HalfLife,
    LabInfo,
)
from cartrial.vocab.store import codes, concept_keys, condition, display, lab
from cartrial.vocab.systems import (
    ATC,
    CARTRIAL_INSTRUMENT,
    CVX,
    ICD10,
    ICD10CM,
    LOINC,
    RXNORM,
    SNOMED,
    canonical_system,
)
from cartrial.vocab.units import exact_factor, normalize_unit, unit_factor
from cartrial.vocab.vaccines import vaccine_is_live, vaccine_live_status

__all__ = [
    "ATC",
    "CARTRIAL_INSTRUMENT",
    "CVX",
    "ICD10",
    "ICD10CM",
    "LOINC",
    "RXNORM",
    "SNOMED",
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
    "exact_factor",
    "glucocorticoid_factor",
    "half_life_days",
    "hierarchy",
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
    "plausible_range",
    "status_reason_outcome",
    "unit_factor",
    "vaccine_is_live",
    "vaccine_live_status",
]
