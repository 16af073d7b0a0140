"""The differential test on OHDSI Eunomia data (GiBleed CDM 5.3, Synthea27Nj CDM 5.4)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from cartrial.ingest.omop import read_patients
from cartrial.services.bundled_protocols import load_protocols
from cartrial.sql.cdm import DuckDBConnection, inspect
from cartrial.sql.load import load_directory
from cartrial.sql.run import screen_population
from tests.parity.helpers import disagreements, evaluate_all

pytestmark = pytest.mark.shared

ROOT = Path(__file__).resolve().parents[2].parent / "shared" / "research" / "omop"
DATASETS = {"GiBleed": date(2019, 7, 1), "Synthea27Nj": date(2023, 6, 30)}


@pytest.fixture(scope="module", params=sorted(DATASETS))
def eunomia(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> tuple[str, DuckDBConnection, dict]:
    folder = ROOT / request.param
    if not (folder / "PERSON.csv").exists():
        pytest.skip(f"Eunomia {request.param} CSVs not found in {folder} (../shared absent)")
    target = tmp_path_factory.mktemp("eunomia") / f"{request.param}.duckdb"
    counts = load_directory(folder, target)
    assert counts["person"] > 0
    con = DuckDBConnection(str(target))
    return request.param, con, {p.id: p for p in read_patients(con)}


@pytest.mark.parametrize("nct", sorted(load_protocols()))
def test_eunomia_agrees(eunomia: tuple[str, DuckDBConnection, dict], nct: str) -> None:
    name, con, patients = eunomia
    as_of = DATASETS[name]
    protocol = load_protocols()[nct]
    compiled, table = screen_population(con, protocol, as_of=as_of, cdm=inspect(con))
    assert table.num_rows == len(patients)
    problems = disagreements(compiled, table, evaluate_all(protocol, patients, as_of))
    assert not problems, f"{name}: {len(problems)} disagreements:\n" + "\n".join(problems[:20])
