"""The safety report of a trial at a data cut: TEAE incidence by term and maximum grade per dose
level, DLTs, SAEs, CRS/ICANS by grade and time to onset, an efficacy summary; as tables, CSV
and ADSL/ADAE-shaped CSV for statisticians.

Definitions (stated in the report):

* **Safety population**: enrolled patients infused on or before the data cut.
* **TEAE**: an adverse event with onset on or after the first day of study treatment (the first
  lymphodepletion day) and on or before the data cut, in a patient of the safety population.
* **Incidence**: patients with at least one TEAE of the term (a patient counts once per term),
  over the patients of the safety population at that dose level; by **maximum grade**: each
  patient counted once, at the highest grade of that term.
* The grade used is the investigator's (confirmed or overridden) when given, else the computed
  one; CRS and ICANS are ASTCT grades, ICAHT EHA/EBMT, others CTCAE v5.0.

Pure functions over plain rows: the records come from :mod:`cartrial.conduct.service`.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import statistics
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

GRADES = (1, 2, 3, 4, 5)
ALL = "all"


@dataclass(frozen=True)
class SubjectRow:
    subject: str
    dose_level: int
    enrolled_on: dt.date
    infusion: dt.date | None
    treatment_start: dt.date | None
    sex: str = "unknown"
    age: int | None = None
    dlt_status: str = "not_infused"
    last_contact: dt.date | None = None


@dataclass(frozen=True)
class AeRow:
    subject: str
    dose_level: int
    term: str
    soc: str
    category: str
    scale: str
    grade: int
    onset: dt.date
    resolution: dt.date | None = None
    serious: bool = False
    related_ld: str = "not_related"
    related_car: str = "not_related"
    action: str = "none"
    outcome: str = "not_recovered"
    grade_status: str = "computed"
    computed_grade: int | None = None
    investigator_grade: int | None = None
    dlt: bool = False
    ae_key: str = ""


@dataclass(frozen=True)
class EfficacyRow:
    subject: str
    dose_level: int
    instrument: str
    visit: str
    day: int | None
    assessed_on: dt.date
    value: float | None
    category: str | None
    change: float | None


@dataclass(frozen=True)
class ReportData:
    trial_id: str
    title: str
    cut: dt.date
    dose_labels: tuple[str, ...]
    subjects: tuple[SubjectRow, ...]
    aes: tuple[AeRow, ...]
    efficacy: tuple[EfficacyRow, ...] = ()
    dlt_definition: str = ""
    decisions: tuple[dict[str, Any], ...] = field(default=())

    @property
    def levels(self) -> tuple[int, ...]:
        return tuple(range(1, len(self.dose_labels) + 1))


def safety_population(data: ReportData) -> list[SubjectRow]:
    return [s for s in data.subjects if s.infusion is not None and s.infusion <= data.cut]


def teaes(data: ReportData) -> list[AeRow]:
    """Treatment-emergent AEs at the cut (see the module docstring)."""
    start = {s.subject: s.treatment_start for s in safety_population(data)}
    out = []
    for ae in data.aes:
        first = start.get(ae.subject)
        if first is not None and first <= ae.onset <= data.cut:
            out.append(ae)
    return out


def _level_sizes(data: ReportData) -> dict[int | str, int]:
    pop = safety_population(data)
    sizes: dict[int | str, int] = {lv: 0 for lv in data.levels}
    for s in pop:
        sizes[s.dose_level] += 1
    sizes[ALL] = len(pop)
    return sizes


def _pct(n: int, total: int) -> float | None:
    return round(100.0 * n / total, 1) if total else None


def teae_table(data: ReportData) -> list[dict[str, Any]]:
    """One row per (term, dose level or ``all``): N, patients with the term, % and patients by
    maximum grade; the first term is ``Any TEAE``. Terms sorted by SOC, then term."""
    events = teaes(data)
    sizes = _level_sizes(data)
    worst: dict[tuple[str, str], int] = {}
    level_of: dict[str, int] = {s.subject: s.dose_level for s in data.subjects}
    soc_of: dict[str, str] = {}
    for ae in events:
        for term in (ae.term, "Any TEAE"):
            key = (term, ae.subject)
            worst[key] = max(worst.get(key, 0), ae.grade)
        soc_of[ae.term] = ae.soc
    terms = ["Any TEAE", *sorted(soc_of, key=lambda t: (soc_of[t], t))]
    rows: list[dict[str, Any]] = []
    for term in terms:
        levels: tuple[int | str, ...] = (*data.levels, ALL)
        for level in levels:
            grades = [
                g
                for (t, subject), g in worst.items()
                if t == term and (level == ALL or level_of[subject] == level)
            ]
            row: dict[str, Any] = {
                "term": term,
                "soc": soc_of.get(term, ""),
                "dose_level": level,
                "N": sizes[level],
                "n": len(grades),
                "pct": _pct(len(grades), sizes[level]),
            }
            for g in GRADES:
                row[f"grade_{g}"] = sum(1 for x in grades if x == g)
            row["grade_3_plus"] = sum(1 for x in grades if x >= 3)
            rows.append(row)
    return rows


def serious_events(data: ReportData) -> list[AeRow]:
    return [ae for ae in teaes(data) if ae.serious]


def dlt_events(data: ReportData) -> list[AeRow]:
    return [ae for ae in teaes(data) if ae.dlt]


def onset_summary(data: ReportData, category: str) -> list[dict[str, Any]]:
    """CRS or ICANS per dose level: patients by maximum grade and the days from infusion to the
    first onset (median, range)."""
    infusion = {s.subject: s.infusion for s in safety_population(data)}
    sizes = _level_sizes(data)
    by_subject: dict[str, tuple[int, int, int]] = {}  # subject -> (level, max grade, first day)
    for ae in teaes(data):
        if ae.category != category:
            continue
        inf = infusion[ae.subject]
        assert inf is not None
        day = (ae.onset - inf).days
        lv, g, d = by_subject.get(ae.subject, (ae.dose_level, 0, day))
        by_subject[ae.subject] = (lv, max(g, ae.grade), min(d, day))
    rows = []
    levels: tuple[int | str, ...] = (*data.levels, ALL)
    for level in levels:
        vals = [v for v in by_subject.values() if level == ALL or v[0] == level]
        days = [v[2] for v in vals]
        row: dict[str, Any] = {
            "dose_level": level,
            "N": sizes[level],
            "n": len(vals),
            "pct": _pct(len(vals), sizes[level]),
            "onset_median_days": statistics.median(days) if days else None,
            "onset_min_days": min(days) if days else None,
            "onset_max_days": max(days) if days else None,
        }
        for g in GRADES:
            row[f"grade_{g}"] = sum(1 for v in vals if v[1] == g)
        rows.append(row)
    return rows


def efficacy_summary(data: ReportData) -> list[dict[str, Any]]:
    """Per instrument, dose level and visit: patients assessed, mean value and mean change from
    baseline (numeric instruments), and the categories (e.g. remission yes/no)."""
    groups: dict[tuple[str, int, str], list[EfficacyRow]] = {}
    for row in data.efficacy:
        if row.assessed_on > data.cut:
            continue
        groups.setdefault((row.instrument, row.dose_level, row.visit), []).append(row)
    out = []
    for (instrument, level, visit), rows in sorted(
        groups.items(), key=lambda kv: (kv[0][0], kv[0][1], min(r.day or 0 for r in kv[1]))
    ):
        values = [r.value for r in rows if r.value is not None]
        changes = [r.change for r in rows if r.change is not None]
        cats: dict[str, int] = {}
        for r in rows:
            if r.category:
                cats[r.category] = cats.get(r.category, 0) + 1
        out.append(
            {
                "instrument": instrument,
                "dose_level": level,
                "visit": visit,
                "n": len(rows),
                "mean": round(statistics.fmean(values), 2) if values else None,
                "mean_change": round(statistics.fmean(changes), 2) if changes else None,
                "categories": "; ".join(f"{k}: {v}" for k, v in sorted(cats.items())),
            }
        )
    return out


# ---------------------------------------------------------------- CSV


def _csv(rows: Sequence[dict[str, Any]], columns: Sequence[str]) -> str:
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=list(columns), lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({c: "" if row.get(c) is None else row.get(c) for c in columns})
    return buf.getvalue()


TEAE_COLUMNS = (
    "term", "soc", "dose_level", "N", "n", "pct",
    "grade_1", "grade_2", "grade_3", "grade_4", "grade_5", "grade_3_plus",
)  # fmt: skip


def teae_csv(data: ReportData) -> str:
    return _csv(teae_table(data), TEAE_COLUMNS)


def _study_day(when: dt.date, ref: dt.date | None) -> int | None:
    """CDISC study day: no day 0 (the reference date is day 1)."""
    if ref is None:
        return None
    delta = (when - ref).days
    return delta + 1 if delta >= 0 else delta


def _yn(flag: bool) -> str:
    return "Y" if flag else "N"


ADSL_COLUMNS = (
    "STUDYID", "USUBJID", "SUBJID", "AGE", "SEX", "ARMCD", "ARM", "ENRLDT", "TRTSDT",
    "LDSTDT", "SAFFL", "DLTEVLFL", "DLTFL", "DCUTDT",
)  # fmt: skip


def adsl_rows(data: ReportData) -> list[dict[str, Any]]:
    safety = {s.subject for s in safety_population(data)}
    rows = []
    for s in data.subjects:
        rows.append(
            {
                "STUDYID": data.trial_id,
                "USUBJID": s.subject,
                "SUBJID": s.subject.rsplit("-", 1)[-1],
                "AGE": s.age,
                "SEX": {"female": "F", "male": "M"}.get(s.sex, "U"),
                "ARMCD": f"DL{s.dose_level}",
                "ARM": data.dose_labels[s.dose_level - 1],
                "ENRLDT": s.enrolled_on.isoformat(),
                "TRTSDT": s.infusion.isoformat() if s.infusion else None,
                "LDSTDT": s.treatment_start.isoformat() if s.treatment_start else None,
                "SAFFL": _yn(s.subject in safety),
                "DLTEVLFL": _yn(s.dlt_status in ("dlt", "no_dlt")),
                "DLTFL": _yn(s.dlt_status == "dlt"),
                "DCUTDT": data.cut.isoformat(),
            }
        )
    return rows


ADAE_COLUMNS = (
    "STUDYID", "USUBJID", "ARMCD", "AESEQ", "AEDECOD", "AEBODSYS", "AECAT", "AESCALE",
    "AETOXGR", "AETOXGRC", "AETOXGRI", "AEGRSTAT", "AESER", "AERELLD", "AEREL", "AEACN",
    "AEOUT", "ASTDT", "AENDT", "ASTDY", "TRTEMFL", "DLTFL",
)  # fmt: skip


def adae_rows(data: ReportData) -> list[dict[str, Any]]:
    emergent = {id(ae) for ae in teaes(data)}
    subjects = {s.subject: s for s in data.subjects}
    rows = []
    seq: dict[str, int] = {}
    for ae in sorted(data.aes, key=lambda a: (a.subject, a.onset, a.term)):
        if ae.onset > data.cut:
            continue
        seq[ae.subject] = seq.get(ae.subject, 0) + 1
        s = subjects[ae.subject]
        rows.append(
            {
                "STUDYID": data.trial_id,
                "USUBJID": ae.subject,
                "ARMCD": f"DL{ae.dose_level}",
                "AESEQ": seq[ae.subject],
                "AEDECOD": ae.term,
                "AEBODSYS": ae.soc,
                "AECAT": ae.category,
                "AESCALE": ae.scale,
                "AETOXGR": ae.grade,
                "AETOXGRC": ae.computed_grade,
                "AETOXGRI": ae.investigator_grade,
                "AEGRSTAT": ae.grade_status,
                "AESER": _yn(ae.serious),
                "AERELLD": ae.related_ld,
                "AEREL": ae.related_car,
                "AEACN": ae.action,
                "AEOUT": ae.outcome,
                "ASTDT": ae.onset.isoformat(),
                "AENDT": ae.resolution.isoformat() if ae.resolution else None,
                "ASTDY": _study_day(ae.onset, s.infusion),
                "TRTEMFL": _yn(id(ae) in emergent),
                "DLTFL": _yn(ae.dlt),
            }
        )
    return rows


def adsl_csv(data: ReportData) -> str:
    return _csv(adsl_rows(data), ADSL_COLUMNS)


def adae_csv(data: ReportData) -> str:
    return _csv(adae_rows(data), ADAE_COLUMNS)


def level_label(data: ReportData, level: int | str) -> str:
    return "All" if level == ALL else f"DL{level}"


def by_level(rows: Iterable[dict[str, Any]]) -> dict[str, dict[Any, dict[str, Any]]]:
    """Rows of :func:`teae_table` as term -> dose level -> row (for the report's wide table)."""
    out: dict[str, dict[Any, dict[str, Any]]] = {}
    for row in rows:
        out.setdefault(row["term"], {})[row["dose_level"]] = row
    return out
