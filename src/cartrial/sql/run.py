"""Run a compiled protocol on a connection: one row per person, a status per criterion."""

from __future__ import annotations

from datetime import date

import pyarrow as pa

from cartrial.criteria.protocol import Protocol
from cartrial.sql.cdm import Cdm, Connection, inspect
from cartrial.sql.compile import CompiledProtocol, compile_protocol


def screen_population(
    con: Connection,
    protocol: Protocol,
    *,
    as_of: date,
    cdm: Cdm | None = None,
    schema: str | None = None,
) -> tuple[CompiledProtocol, pa.Table]:
    """Compile ``protocol`` for the CDM behind ``con`` and run it (person_id, c001..., verdict)."""
    cdm = cdm or inspect(con, schema)
    compiled = compile_protocol(protocol, cdm, as_of=as_of)
    return compiled, con.query(compiled.sql(con.dialect))
