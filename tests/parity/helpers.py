"""The differential test: compiled SQL and the Python evaluator on the same OMOP population.

Every person's verdict and every criterion's status must agree; a ManualReview criterion is
NULL in SQL and ``manual`` in the evaluator's report.
"""

from __future__ import annotations

import multiprocessing as mp
from datetime import date
from typing import Any

import pyarrow as pa

from cartrial.criteria.protocol import Protocol
from cartrial.domain.patient import Patient
from cartrial.evaluate import screen
from cartrial.sql.compile import CompiledProtocol

_STATUS = {"met": True, "not_met": False, "unknown": None}
_WORK: dict[str, Any] = {}


def _one(pid: str) -> tuple[str, str, dict[str, Any]]:
    protocol: Protocol = _WORK["protocol"]
    result = screen(protocol, _WORK["patients"][pid], as_of=_WORK["as_of"])
    statuses = {
        c.id: ("manual" if c.outcome == "manual" else _STATUS[c.status]) for c in result.criteria
    }
    return pid, result.verdict.value, statuses


def evaluate_all(
    protocol: Protocol, patients: dict[str, Patient], as_of: date, processes: int = 2
) -> dict[str, tuple[str, dict[str, Any]]]:
    """The evaluator's verdict and statuses per person (forked workers share the patients)."""
    _WORK.update(protocol=protocol, patients=patients, as_of=as_of)
    ids = sorted(patients)
    if processes > 1 and len(ids) > 500 and "fork" in mp.get_all_start_methods():
        with mp.get_context("fork").Pool(processes) as pool:
            out = pool.map(_one, ids, chunksize=200)
    else:
        out = [_one(pid) for pid in ids]
    return {pid: (verdict, statuses) for pid, verdict, statuses in out}


def disagreements(
    compiled: CompiledProtocol, table: pa.Table, expected: dict[str, tuple[str, dict[str, Any]]]
) -> list[str]:
    """Every difference, as a readable line (empty when the interpreters agree)."""
    rows = table.to_pylist()
    problems: list[str] = []
    seen = set()
    for row in rows:
        pid = str(row["person_id"])
        seen.add(pid)
        if pid not in expected:
            problems.append(f"person {pid}: in SQL, not in the evaluator")
            continue
        verdict, statuses = expected[pid]
        if row["verdict"] != verdict:
            problems.append(f"person {pid}: verdict SQL {row['verdict']} vs evaluator {verdict}")
        for crit in compiled.criteria:
            want = statuses[crit.id]
            got = (
                "manual"
                if crit.manual_reason is not None and row[crit.column] is None
                else row[crit.column]
            )
            if got != want:
                problems.append(
                    f"person {pid} {crit.id} ({crit.kind}): SQL {got} vs evaluator {want}"
                )
    problems += [f"person {pid}: in the evaluator, not in SQL" for pid in set(expected) - seen]
    return problems
