"""FHIR Patient: birth date (a partial one kept as an interval) and sex."""

from __future__ import annotations

import datetime as dt
from typing import Any

from cartrial.domain.errors import DataError
from cartrial.domain.patient import (
    Sex,
)
from cartrial.ingest.fhir_common import (
    ReaderState,
    _first_day,
    _last_day,
)


class PatientReader(ReaderState):
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
            # a partial date (year, year-month): kept as the interval of possible days; an age
            # limit is decided when every possible age agrees
            first, last = _first_day(bd), _last_day(bd)
            if first is None or last is None:
                raise DataError(f"unreadable birth date {bd!r}", where=where, field="birthDate")
            self.birth_range = (first, last)

    @staticmethod
    def _sex(gender: str | None) -> Sex:
        return {
            "female": Sex.FEMALE,
            "male": Sex.MALE,
            "other": Sex.OTHER,
        }.get(gender or "", Sex.UNKNOWN)
