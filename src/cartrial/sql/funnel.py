"""The funnel a data team shows an investigator, and the candidates list.

Attrition: the top-level criteria in protocol order (inclusion, then exclusion); each removes
the persons still in whom it rules out (an inclusion FALSE, an exclusion TRUE) and counts those
still in for whom it is UNKNOWN (they stay in: missing data is not a failure). Beside it, each
criterion's own counts over the whole population (met / not met / unknown), independent of
order. A ManualReview criterion removes no one; it is listed for the investigator.
"""

from __future__ import annotations

from dataclasses import dataclass

import pyarrow as pa
import pyarrow.compute as pc

from cartrial.sql.compile import CompiledProtocol


@dataclass(frozen=True)
class FunnelRow:
    id: str
    section: str
    text: str
    removed: int
    unknown: int
    remaining: int
    met: int
    not_met: int
    unknown_all: int
    manual: bool


@dataclass(frozen=True)
class Funnel:
    trial: str
    persons: int
    rows: tuple[FunnelRow, ...]
    verdicts: dict[str, int]


def _count(mask: pa.Array) -> int:
    return int(pc.sum(pc.cast(pc.fill_null(mask, False), pa.int64())).as_py() or 0)


def funnel(compiled: CompiledProtocol, result: pa.Table) -> Funnel:
    """Attrition and per-criterion counts from the compiled query's result table."""
    n = result.num_rows
    alive = pa.array([True] * n)
    rows: list[FunnelRow] = []
    for crit in compiled.criteria:
        if crit.depth != 0:
            continue
        col = result.column(crit.column).combine_chunks()
        manual = crit.manual_reason is not None
        met = _count(col)
        not_met = _count(pc.invert(col))
        unknown_all = _count(pc.is_null(col))
        if manual:
            removed, unknown = 0, 0
        else:
            fails = pc.fill_null(col if crit.section == "exclusion" else pc.invert(col), False)
            out = pc.and_(alive, fails)
            removed = _count(out)
            unknown = _count(pc.and_(alive, pc.is_null(col)))
            alive = pc.and_(alive, pc.invert(out))
        rows.append(
            FunnelRow(
                id=crit.id,
                section=crit.section,
                text=crit.text,
                removed=removed,
                unknown=unknown,
                remaining=_count(alive),
                met=met,
                not_met=not_met,
                unknown_all=unknown_all,
                manual=manual,
            )
        )
    verdicts = {
        v: _count(pc.equal(result.column("verdict"), v))
        for v in ("ELIGIBLE", "NEEDS_DATA", "INELIGIBLE")
    }
    return Funnel(trial=compiled.nct_id, persons=n, rows=tuple(rows), verdicts=verdicts)


def candidates(compiled: CompiledProtocol, result: pa.Table) -> pa.Table:
    """Persons not ruled out (ELIGIBLE or NEEDS_DATA), one column per criterion id (met /
    not_met / unknown / manual)."""
    keep = pc.not_equal(result.column("verdict"), "INELIGIBLE")
    table = result.filter(keep)
    out: dict[str, pa.Array] = {
        "person_id": table.column("person_id"),
        "verdict": table.column("verdict"),
    }
    for crit in compiled.criteria:
        col = table.column(crit.column)
        if crit.manual_reason is not None:
            out[crit.id] = pa.array(["manual"] * table.num_rows)
            continue
        status = pc.if_else(
            pc.is_null(col), "unknown", pc.if_else(pc.fill_null(col, False), "met", "not_met")
        )
        out[crit.id] = status
    return pa.table(out)


def named(compiled: CompiledProtocol, result: pa.Table) -> pa.Table:
    """The result with criterion ids as column names (for --out)."""
    names = {c.column: c.id for c in compiled.criteria}
    return result.rename_columns([names.get(n, n) for n in result.column_names])
