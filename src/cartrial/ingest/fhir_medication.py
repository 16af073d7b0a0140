"""FHIR MedicationStatement/Request/Administration (and Medication): drug, period, dose."""

from __future__ import annotations

import datetime as dt
from typing import Any

from cartrial import vocab
from cartrial.domain.patient import (
    MedicationExposure,
)
from cartrial.ingest.fhir_common import (
    _GTS_PER_DAY,
    _PERIOD_DAYS,
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


class MedicationReader(ReaderState):
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
            cc = res.medicationCodeableConcept
            text = (
                _cc_text(cc)
                if cc is not None
                else (
                    res.medicationReference.display if res.medicationReference is not None else None
                )
            )
            start, end = self._period(res, self._dosages(res))
            # an ongoing exposure has no last date: never filtered out by a window
            ongoing = end is None and status in ("active", "on-hold", "in-progress", None)
            last = None if ongoing else (end or start)
            self._skip(rt, rid, why, text=text, codes=_all_codes(cc), date=last)
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
        # a mass unit (mg, g, ug/mcg, kg ...) through the one unit converter; never pint here, and
        # anything else (tablets, mL, mg/kg) is not a dose in mg
        factor = vocab.exact_factor(q.code or q.unit or "", "mg")
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
