"""Population screening on an OMOP CDM: the criteria tree compiled to SQL (DuckDB, PostgreSQL,
Spark), the per-criterion funnel and the candidates list. A sibling of ``evaluate/``; the two
never import each other."""

from cartrial.sql import atoms_history, atoms_measure, atoms_person, composites  # noqa: F401
from cartrial.sql.cdm import Cdm, CdmError, connect, inspect
from cartrial.sql.compile import CompiledCriterion, CompiledProtocol, compile_protocol, to_sql
from cartrial.sql.context import COMPILER

__all__ = [
    "COMPILER",
    "Cdm",
    "CdmError",
    "CompiledCriterion",
    "CompiledProtocol",
    "compile_protocol",
    "connect",
    "inspect",
    "to_sql",
]
