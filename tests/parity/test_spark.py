"""The same differential test on Spark local mode, 1,000 synthetic persons."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from cartrial.ingest.omop import read_patients
from cartrial.services.bundled_protocols import load_protocols
from cartrial.sql.cdm import SparkConnection, inspect
from cartrial.sql.run import screen_population
from cartrial.synth.omop import DEFAULT_AS_OF
from tests.parity.helpers import disagreements, evaluate_all

pytestmark = pytest.mark.spark


@pytest.fixture(scope="module")
def spark_cdm(spark: Any, small_parquet: Path) -> tuple[SparkConnection, dict]:
    con = SparkConnection(spark, str(small_parquet))
    return con, {p.id: p for p in read_patients(con)}


@pytest.mark.parametrize("nct", sorted(load_protocols()))
def test_spark_agrees_with_evaluator(spark_cdm: tuple[SparkConnection, dict], nct: str) -> None:
    con, patients = spark_cdm
    protocol = load_protocols()[nct]
    compiled, table = screen_population(con, protocol, as_of=DEFAULT_AS_OF, cdm=inspect(con))
    assert table.num_rows == len(patients) == 1000
    problems = disagreements(compiled, table, evaluate_all(protocol, patients, DEFAULT_AS_OF))
    assert not problems, f"{len(problems)} disagreements, e.g.:\n" + "\n".join(problems[:20])
