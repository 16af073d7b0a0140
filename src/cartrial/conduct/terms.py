"""The adverse-event term list (CTCAE v5.0 names with their MedDRA SOC) as data.

Each term says how it is graded: by a calculator from entered observations, or by the
investigator (``calculator`` null). The list is ``data/ae_terms.json``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from cartrial.domain.errors import DataError

DATA = Path(__file__).resolve().parent / "data" / "ae_terms.json"


@dataclass(frozen=True, slots=True)
class AeTerm:
    term: str
    soc: str
    category: str
    """``crs``, ``icans``, ``hematologic`` or ``non_hematologic`` (the DLT rules' categories)."""
    scale: str
    """``astct``, ``eha_ebmt_icaht`` or ``ctcae_v5``."""
    calculator: str | None


@cache
def ae_terms() -> dict[str, AeTerm]:
    """Term name -> term, in the file's order."""
    raw = json.loads(DATA.read_text(encoding="utf-8"))
    return {row["term"]: AeTerm(**row) for row in raw["terms"]}


def ae_term(name: str) -> AeTerm:
    """The term called ``name`` (exact CTCAE spelling); an unknown name is a DataError."""
    terms = ae_terms()
    found = terms.get(name.strip())
    if found is None:
        folded = {k.lower(): v for k, v in terms.items()}
        found = folded.get(name.strip().lower())
    if found is None:
        raise DataError(f"{name!r} is not in the AE term list", field="term")
    return found


def term_for_calculator(calculator: str) -> AeTerm:
    for term in ae_terms().values():
        if term.calculator == calculator:
            return term
    raise DataError(f"no AE term is graded by {calculator!r}", field="calculator")
