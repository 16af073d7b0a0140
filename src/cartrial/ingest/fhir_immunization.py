"""FHIR Immunization: vaccine concept and date."""

from __future__ import annotations

from typing import Any

from cartrial import vocab
from cartrial.domain.patient import (
    ImmunizationRecord,
)
from cartrial.ingest.fhir_common import (
    ReaderState,
    _code,
    _describe_codes,
    _first_day,
    _resolve,
)


class ImmunizationReader(ReaderState):
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
