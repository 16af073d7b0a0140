"""OMOP CDM rows -> domain Patients, for the per-patient evaluator.

The mapping decisions (concept sets with descendants, unit factors, coded results, censoring,
sex) come from :mod:`cartrial.sql.concepts`, the same as the SQL compiler's, so the evaluator and
the compiled SQL can be tested against each other on one population. What the CDM says becomes:

* ``person``: birth date from year/month/day of birth (else ``birth_datetime``; only a year is not
  a birth date: age UNKNOWN); sex from ``gender_concept_id`` (8532 female, 8507 male).
* ``measurement`` / ``observation`` (lab concepts, standard concept id): one Observation per
  (row, concept key); the value in the concept's canonical unit, or no value when the unit has no
  conversion (never guessed); ``range_low``/``range_high`` converted alike; ``operator_concept_id``
  ``<``/``>`` as the censoring comparator; ``value_as_concept_id`` positive/negative as result.
  Rows with neither a number nor a coded result are left out.
* ``condition_occurrence`` (standard or source concept): onset = start date, abatement = end date.
* ``drug_exposure``: a medication (ingredient and all its drugs) with start, end, route (the route
  concept's name) and the outcome read from ``stop_reason``; OMOP has no daily dose, so dose
  criteria stay UNKNOWN. Vaccine concepts (CVX) become Immunizations on the start date.
* ``procedure_occurrence`` (standard or source concept) on its date.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

import pyarrow as pa
from sqlglot import exp

from cartrial import vocab
from cartrial.domain.patient import (
    ConditionRecord,
    ImmunizationRecord,
    MedicationExposure,
    Observation,
    Patient,
    ProcedureRecord,
    Sex,
)
from cartrial.sql import concepts
from cartrial.sql.cdm import REQUIRED, Cdm, Connection, inspect

GROUPS = ("labs", "conditions", "medications", "vaccines", "procedures")


@dataclass
class ConceptIndex:
    """concept_id -> concept keys per group, unit codes and names, from the CDM's vocabulary."""

    keys: dict[str, dict[int, tuple[str, ...]]] = field(default_factory=dict)
    unit_code: dict[int, str] = field(default_factory=dict)
    name: dict[int, str] = field(default_factory=dict)

    def of(self, group: str, *ids: Any) -> tuple[str, ...]:
        table = self.keys.get(group, {})
        found: dict[str, None] = {}
        for i in ids:
            if i is not None:
                for k in table.get(int(i), ()):
                    found[k] = None
        return tuple(found)


def concept_index(concept: pa.Table, ancestor: pa.Table) -> ConceptIndex:
    by_code: dict[tuple[str, str], int] = {}
    index = ConceptIndex()
    for cid, vid, code, name in zip(
        concept.column("concept_id").to_pylist(),
        concept.column("vocabulary_id").to_pylist(),
        concept.column("concept_code").to_pylist(),
        concept.column("concept_name").to_pylist(),
        strict=True,
    ):
        if cid is None:
            continue
        by_code[(str(vid), str(code))] = int(cid)
        index.unit_code[int(cid)] = str(code)
        index.name[int(cid)] = str(name) if name is not None else ""
    below: dict[int, set[int]] = defaultdict(set)
    for a, d in zip(
        ancestor.column("ancestor_concept_id").to_pylist(),
        ancestor.column("descendant_concept_id").to_pylist(),
        strict=True,
    ):
        if a is not None and d is not None:
            below[int(a)].add(int(d))
    for group in GROUPS:
        table: dict[int, dict[str, None]] = defaultdict(dict)
        for _, key, vid, code in concepts.code_rows(group, concepts.all_keys(group)):
            cid = by_code.get((vid, code))
            if cid is None:
                continue
            for target in (cid, *below.get(cid, ())):
                table[target][key] = None
        index.keys[group] = {cid: tuple(ks) for cid, ks in table.items()}
    return index


def _rows(table: pa.Table | None) -> Iterable[dict[str, Any]]:
    return table.to_pylist() if table is not None else ()


def _day(value: Any) -> date | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])


def birth_date(row: dict[str, Any]) -> date | None:
    y, m, d = row.get("year_of_birth"), row.get("month_of_birth"), row.get("day_of_birth")
    if y is not None and m is not None and d is not None:
        try:
            return date(int(y), int(m), int(d))
        except ValueError:
            return None
    return _day(row.get("birth_datetime"))


def _unit(index: ConceptIndex, unit_id: Any) -> str | None | bool:
    """The unit's code, None for no unit, False for a unit concept the CDM does not define."""
    if unit_id is None or int(unit_id) == 0:
        return None
    return index.unit_code.get(int(unit_id), False)


def _result(value_concept: Any) -> str | None:
    if value_concept is None:
        return None
    if int(value_concept) in concepts.POSITIVE_RESULTS:
        return "positive"
    if int(value_concept) in concepts.NEGATIVE_RESULTS:
        return "negative"
    return None


def _observations(
    index: ConceptIndex,
    rows: Iterable[dict[str, Any]],
    table: str,
    out: dict[int, list[Observation]],
) -> None:
    prefix = table
    for r in sorted(rows, key=lambda r: r[f"{table}_id"]):
        keys = index.of("labs", r[f"{prefix}_concept_id"])
        if not keys:
            continue
        raw = r.get("value_as_number")
        result = _result(r.get("value_as_concept_id"))
        if raw is None and result is None:
            continue
        unit = _unit(index, r.get("unit_concept_id"))
        censor = concepts.OPERATORS.get(int(r.get("operator_concept_id") or 0))
        when = _day(r[f"{prefix}_date"])
        if when is None:
            continue
        for key in keys:
            factor = None if unit is False else concepts.unit_factor(key, unit or None)
            high, low = r.get("range_high"), r.get("range_low")
            out[int(r["person_id"])].append(
                Observation(
                    id=f"{table}/{r[f'{table}_id']}",
                    concept=key,
                    effective=when,
                    value=None if raw is None or factor is None else float(raw) * factor,
                    unit=_canonical(key),
                    original_value=None if raw is None else float(raw),
                    original_unit=None if unit is False else unit,
                    result=result,
                    ref_high=None if high is None or factor is None else float(high) * factor,
                    ref_low=None if low is None or factor is None else float(low) * factor,
                    components={"comparator": censor} if censor else {},
                )
            )


def _canonical(key: str) -> str | None:
    try:
        return vocab.lab(key).canonical_unit
    except KeyError:
        return None


def patients(tables: dict[str, pa.Table]) -> Iterator[Patient]:
    """Patients from CDM tables already read (name -> arrow table, lower-case columns)."""
    index = concept_index(tables["concept"], tables["concept_ancestor"])
    obs: dict[int, list[Observation]] = defaultdict(list)
    _observations(index, _rows(tables.get("measurement")), "measurement", obs)
    _observations(index, _rows(tables.get("observation")), "observation", obs)
    conds: dict[int, list[ConditionRecord]] = defaultdict(list)
    for r in sorted(
        _rows(tables.get("condition_occurrence")), key=lambda r: r["condition_occurrence_id"]
    ):
        for key in index.of(
            "conditions", r["condition_concept_id"], r.get("condition_source_concept_id")
        ):
            conds[int(r["person_id"])].append(
                ConditionRecord(
                    id=f"condition_occurrence/{r['condition_occurrence_id']}",
                    concept=key,
                    onset=_day(r["condition_start_date"]),
                    abatement=_day(r["condition_end_date"]),
                    active=True,
                )
            )
    meds: dict[int, list[MedicationExposure]] = defaultdict(list)
    vaccs: dict[int, list[ImmunizationRecord]] = defaultdict(list)
    for r in sorted(_rows(tables.get("drug_exposure")), key=lambda r: r["drug_exposure_id"]):
        pid = int(r["person_id"])
        start = _day(r["drug_exposure_start_date"])
        rid = f"drug_exposure/{r['drug_exposure_id']}"
        route_id = r.get("route_concept_id")
        route = None if route_id is None or int(route_id) == 0 else index.name.get(int(route_id))
        for key in index.of("medications", r["drug_concept_id"]):
            meds[pid].append(
                MedicationExposure(
                    id=rid,
                    concept=key,
                    start=start,
                    end=_day(r["drug_exposure_end_date"]),
                    route=route,
                    outcome=vocab.status_reason_outcome(r.get("stop_reason")),
                    status_reason_text=r.get("stop_reason"),
                    resource_type="drug_exposure",
                )
            )
        if start is not None:
            for key in index.of("vaccines", r["drug_concept_id"]):
                vaccs[pid].append(ImmunizationRecord(id=rid, concept=key, date=start))
    procs: dict[int, list[ProcedureRecord]] = defaultdict(list)
    for r in sorted(
        _rows(tables.get("procedure_occurrence")), key=lambda r: r["procedure_occurrence_id"]
    ):
        for key in index.of(
            "procedures", r["procedure_concept_id"], r.get("procedure_source_concept_id")
        ):
            procs[int(r["person_id"])].append(
                ProcedureRecord(
                    id=f"procedure_occurrence/{r['procedure_occurrence_id']}",
                    concept=key,
                    date=_day(r["procedure_date"]),
                )
            )
    for r in sorted(_rows(tables["person"]), key=lambda r: r["person_id"]):
        pid = int(r["person_id"])
        gender = r.get("gender_concept_id")
        yield Patient(
            id=str(pid),
            birth_date=birth_date(r),
            sex=concepts.GENDER.get(int(gender), Sex.UNKNOWN)
            if gender is not None
            else Sex.UNKNOWN,
            observations=tuple(obs.get(pid, ())),
            conditions=tuple(conds.get(pid, ())),
            medications=tuple(meds.get(pid, ())),
            immunizations=tuple(vaccs.get(pid, ())),
            procedures=tuple(procs.get(pid, ())),
        )


def read_tables(
    con: Connection,
    cdm: Cdm | None = None,
    schema: str | None = None,
    person_ids: Sequence[int] | None = None,
) -> dict[str, pa.Table]:
    """The CDM tables the adapter reads (only the columns it needs; absent tables skipped);
    with ``person_ids`` only those persons' rows (the vocabulary tables whole)."""
    cdm = cdm or inspect(con, schema)
    out: dict[str, pa.Table] = {}
    for table, columns in REQUIRED.items():
        if not cdm.has(table):
            continue
        cdm.require(table, "the OMOP adapter")
        q = exp.select(*[exp.column(c) for c in columns]).from_(cdm.table(table))
        if person_ids is not None and "person_id" in columns:
            ids = [exp.Literal.number(int(i)) for i in sorted(set(person_ids))]
            q = q.where(exp.In(this=exp.column("person_id"), expressions=ids) if ids else "1 = 0")
        out[table] = con.query(q.sql(dialect=con.dialect))
    for needed in ("person", "concept", "concept_ancestor"):
        if needed not in out:
            cdm.require(needed, "the OMOP adapter")
    return out


def read_patients(
    con: Connection, schema: str | None = None, person_ids: Sequence[int] | None = None
) -> list[Patient]:
    """Every person of the CDM (or those of ``person_ids``) as a Patient; all their rows are
    held in memory, so for tests, small CDMs and samples."""
    return list(patients(read_tables(con, schema=schema, person_ids=person_ids)))
