"""FHIR Condition: concept (codes, SNOMED CT descendants, ICD-10-CM prefixes), onset, status."""

from __future__ import annotations

import datetime as dt
from typing import Any

from cartrial import vocab
from cartrial.domain.patient import (
    ConditionRecord,
    ProcedureRecord,
)
from cartrial.ingest.fhir_common import (
    ReaderState,
    _all_codes,
    _cc_text,
    _code,
    _codings,
    _describe_codes,
    _first_day,
    _last_day,
    _resolve,
)


class ConditionReader(ReaderState):
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
            self._skip(
                "Condition",
                rid,
                f"code not in the vocabulary: {_describe_codes(res.code)}",
                text=_cc_text(res.code),
                codes=_all_codes(res.code),
                date=_first_day(res.onsetDateTime)
                or (_first_day(res.onsetPeriod.start) if res.onsetPeriod else None)
                or _first_day(res.recordedDate),
            )
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
                        recognized_by=_how(ref, coding),
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


def _how(ref: vocab.ConceptRef, coding: Any) -> str | None:
    """How a code that is not itself listed was recognised (for the explanation)."""
    if ref.match == "exact" or coding is None:
        return None
    code = str(coding.code)
    if ref.match == "snomed_descendant":
        parent = vocab.hierarchy.snomed_ancestors(code).get(ref.key)
        return f"SNOMED CT {code}, a descendant of {parent} (OMOP hierarchy)"
    if ref.match in ("icd_descendant", "icd_prefix"):
        return f"ICD-10 {code}, in the {ref.key} code family"
    return f"{ref.match} {code}"
