"""FHIR Observation: concept, value and unit, reference range, interpretation, components."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from cartrial import vocab
from cartrial.domain.errors import UnknownUnitError
from cartrial.domain.patient import (
    Observation,
)
from cartrial.ingest.fhir_common import (
    _NEGATIVE_CODES,
    _POSITIVE_CODES,
    UCUM,
    ReaderState,
    _cc_text,
    _code,
    _codings,
    _describe_codes,
    _first_day,
    _float,
    _resolve,
    _result_from_text,
)

_NUMBER = re.compile(
    r"(?P<cmp><=|>=|<|>)?\s*(?P<num>[+-]?\d+(?:[.,]\d+)?(?:[eE][+-]?\d+)?)\s*(?P<unit>\S.*)?"
)


class Rejected(Exception):
    """One resource (or component) cannot be read; it is listed with this reason, the rest of
    the bundle is read."""


def _instant(value: Any) -> dt.datetime | None:
    return value if isinstance(value, dt.datetime) else None


class ObservationReader(ReaderState):
    # -- Observation ------------------------------------------------------------------------

    def _by_name(self, cc: Any) -> tuple[str, str] | None:
        """(concept, the words matched) for an instrument sent by name (code.text / display)."""
        if cc is None:
            return None
        for text in [cc.text, *(c.display for c in _codings(cc))]:
            key = vocab.instrument_by_name(text)
            if key is not None:
                return key, str(text)
        return None

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
        at = (
            _instant(res.effectiveDateTime)
            or _instant(res.effectiveInstant)
            or (_instant(res.effectivePeriod.start) if res.effectivePeriod else None)
        )
        refs, coding = _resolve(res.code, ["labs"])
        recognized_by = None
        if not refs:
            named = self._by_name(res.code)
            if named is not None:
                refs = [vocab.ConceptRef("labs", named[0], "name")]
                recognized_by = f"name {named[1]!r}"
        component_obs = self._component_observations(res, where, effective, at)
        if not refs:
            if component_obs:
                self.observations.extend(component_obs)
                return
            self._skip(
                "Observation",
                rid,
                f"code not in the vocabulary: {_describe_codes(res.code)}",
                text=_cc_text(res.code),
            )
            return
        if effective is None:
            self._skip("Observation", rid, "no effective date (effective[x] or issued)")
            return
        concept = refs[0].key
        try:
            fields = self._value_fields(res, concept, where, prefix="value")
            fields.update(self._reference_range(res, concept, where, fields.get("original_unit")))
        except Rejected as exc:
            self._skip("Observation", rid, str(exc), text=_cc_text(res.code))
            self.observations.extend(component_obs)
            return
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
                effective_at=at,
                code=_code(coding),
                components=components,
                recognized_by=recognized_by,
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
            if out["result"] is None and info.canonical_unit is not None:
                return self._numeric_string(s, concept, where, prefix)
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

    def _numeric_string(self, s: str, concept: str, where: str, prefix: str) -> dict[str, Any]:
        """A number sent as text ("1.2 mg/dL", "<0.5", "9"): parsed with its unit, else the
        resource is rejected with the reason (never silently dropped)."""
        canonical = vocab.lab(concept).canonical_unit
        m = _NUMBER.fullmatch(s)
        if m is None:
            raise Rejected(f"valueString {s!r} is not a number or a result word for {concept}")
        value = float(m.group("num").replace(",", "."))
        unit = m.group("unit")
        unitless_ok = canonical is not None and re.fullmatch(r"(\{[^}]*\})+", canonical)
        if unit is None and not unitless_ok:
            raise Rejected(
                f"valueString {s!r} for {concept} has no unit "
                f"(canonical {canonical}): a unit is never guessed"
            )
        out: dict[str, Any] = {"original_value": value, "original_unit": unit}
        if m.group("cmp"):
            out["components"] = {"comparator": m.group("cmp")}
        out["value"], out["unit"] = self._convert(concept, value, unit, where, f"{prefix}String")
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
            raise Rejected(
                f"impossible value {value:g} {unit or ''} for {concept} "
                f"(physical limits {limits} {canonical}) in {field}.value: resource not used".replace(
                    "  ", " "
                )
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
        self, res: Any, where: str, effective: dt.date | None, at: dt.datetime | None = None
    ) -> list[Observation]:
        out: list[Observation] = []
        for i, comp in enumerate(res.component or []):
            refs, coding = _resolve(comp.code, ["labs"])
            recognized_by = None
            if not refs:
                # a panel sent by name ("SJC28" / "TJC28" components): also an observation of
                # its own; the component stays an item of the panel
                named = self._by_name(comp.code)
                if named is None:
                    continue
                refs = [vocab.ConceptRef("labs", named[0], "name")]
                recognized_by = f"name {named[1]!r}"
            if effective is None:
                self._skip(
                    "Observation",
                    res.id,
                    f"component {i}: no effective date (effective[x] or issued)",
                )
                continue
            concept = refs[0].key
            try:
                fields = self._value_fields(
                    comp, concept, f"{where} component[{i}]", prefix="value"
                )
            except Rejected as exc:
                self._skip("Observation", res.id, f"component {i}: {exc}")
                continue
            comps = dict(fields.pop("components", {}))
            if not fields:
                continue
            out.append(
                Observation(
                    id=f"{res.id or where}#{concept}",
                    concept=concept,
                    effective=effective,
                    effective_at=at,
                    code=_code(coding),
                    components=comps,
                    recognized_by=recognized_by,
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
