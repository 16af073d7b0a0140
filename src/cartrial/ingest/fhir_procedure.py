"""FHIR Procedure: procedure concept and date."""

from __future__ import annotations

from typing import Any

from cartrial.domain.patient import (
    ProcedureRecord,
)
from cartrial.ingest.fhir_common import (
    ReaderState,
    _all_codes,
    _cc_text,
    _code,
    _describe_codes,
    _first_day,
    _last_day,
    _resolve,
)


class ProcedureReader(ReaderState):
    # -- Procedure --------------------------------------------------------------------------

    def _procedure(self, res: Any, where: str) -> None:
        rid = res.id
        if res.status in ("entered-in-error", "not-done"):
            self._skip("Procedure", rid, f"status {res.status}")
            return
        refs, coding = _resolve(res.code, ["procedures"])
        if not refs:
            self._skip(
                "Procedure",
                rid,
                f"code not in the vocabulary: {_describe_codes(res.code)}",
                text=_cc_text(res.code),
                codes=_all_codes(res.code),
                date=_first_day(res.performedDateTime)
                or (
                    _last_day(res.performedPeriod.end) or _first_day(res.performedPeriod.start)
                    if res.performedPeriod
                    else None
                ),
            )
            return
        date = _first_day(res.performedDateTime)
        if date is None and res.performedPeriod is not None:
            date = _last_day(res.performedPeriod.end) or _first_day(res.performedPeriod.start)
        for ref in refs:
            self.procedures.append(
                ProcedureRecord(id=rid or where, concept=ref.key, date=date, code=_code(coding))
            )
