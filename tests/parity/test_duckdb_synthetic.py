"""Compiled SQL on DuckDB vs the evaluator on >= 10,000 synthetic persons, all five trials."""

from __future__ import annotations

from pathlib import Path

import pytest

from cartrial.ingest.omop import read_patients
from cartrial.services.bundled_protocols import load_protocols
from cartrial.sql.cdm import DuckDBConnection, inspect
from cartrial.sql.run import screen_population
from cartrial.synth.omop import DEFAULT_AS_OF
from tests.parity.helpers import disagreements, evaluate_all

TRIALS = sorted(load_protocols())


@pytest.fixture(scope="module")
def population(synthetic_duckdb: Path) -> tuple[DuckDBConnection, dict]:
    con = DuckDBConnection(str(synthetic_duckdb))
    return con, {p.id: p for p in read_patients(con)}


@pytest.mark.parametrize("nct", TRIALS)
def test_sql_and_evaluator_agree(population: tuple[DuckDBConnection, dict], nct: str) -> None:
    con, patients = population
    protocol = load_protocols()[nct]
    compiled, table = screen_population(con, protocol, as_of=DEFAULT_AS_OF, cdm=inspect(con))
    assert table.num_rows == len(patients) >= 1000
    expected = evaluate_all(protocol, patients, DEFAULT_AS_OF)
    problems = disagreements(compiled, table, expected)
    assert not problems, f"{len(problems)} disagreements, e.g.:\n" + "\n".join(problems[:20])
    # the population exercises the three truth values of the verdict logic
    verdicts = {v for v, _ in expected.values()}
    assert {"INELIGIBLE", "NEEDS_DATA"} <= verdicts
