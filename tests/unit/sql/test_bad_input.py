"""Bad input: a CDM without a table or column names it; a unit without conversion is UNKNOWN
and counted as unknown in the funnel; dates are the evaluator's calendar arithmetic."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import duckdb
import pytest

from cartrial.criteria.nodes import Measurement
from cartrial.criteria.serde import parse_protocol
from cartrial.domain.timewindow import TimeUnit, shift
from cartrial.evaluate import screen
from cartrial.ingest.omop import read_patients
from cartrial.sql import dates
from cartrial.sql.cdm import CdmError, DuckDBConnection, inspect
from cartrial.sql.compile import compile_protocol
from cartrial.sql.funnel import funnel
from cartrial.sql.run import screen_population
from cartrial.synth.omop import write_duckdb

AS_OF = date(2025, 6, 30)


def _protocol(*inclusion: dict) -> object:
    return parse_protocol(
        {
            "schema_version": 1,
            "trial": {"nct_id": "NCT00000001", "title": "test"},
            "criteria": {"inclusion": list(inclusion)},
        }
    )


HB = {
    "id": "hb",
    "kind": "measurement",
    "text": "Hb >= 85 g/L",
    "concept": "hemoglobin",
    "comparator": ">=",
    "value": 85,
    "unit": "g/L",
}


@pytest.fixture(scope="module")
def tiny(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_duckdb(300, 7, tmp_path_factory.mktemp("tiny") / "tiny.duckdb")


def test_missing_table_is_named(tiny: Path, tmp_path: Path) -> None:
    copy = tmp_path / "no_measurement.duckdb"
    con = duckdb.connect(str(copy))
    con.execute(f"ATTACH '{tiny}' AS src (READ_ONLY)")
    for t in ("person", "concept", "concept_ancestor"):
        con.execute(f"CREATE TABLE {t} AS SELECT * FROM src.{t}")
    con.close()
    db = DuckDBConnection(str(copy))
    with pytest.raises(CdmError, match="no table 'measurement'.*criterion hb"):
        compile_protocol(_protocol(HB), inspect(db), as_of=AS_OF)


def test_missing_column_is_named(tiny: Path, tmp_path: Path) -> None:
    copy = tmp_path / "no_range.duckdb"
    con = duckdb.connect(str(copy))
    con.execute(f"ATTACH '{tiny}' AS src (READ_ONLY)")
    for t in ("person", "concept", "concept_ancestor", "observation"):
        con.execute(f"CREATE TABLE {t} AS SELECT * FROM src.{t}")
    con.execute("CREATE TABLE measurement AS SELECT * EXCLUDE (range_high) FROM src.measurement")
    con.close()
    with pytest.raises(CdmError, match="'measurement' lacks column.*range_high"):
        compile_protocol(_protocol(HB), inspect(DuckDBConnection(str(copy))), as_of=AS_OF)


def test_unconvertible_unit_is_unknown_and_counted(tmp_path: Path, tiny: Path) -> None:
    path = tmp_path / "unit.duckdb"
    con = duckdb.connect(str(path))
    con.execute(f"ATTACH '{tiny}' AS src (READ_ONLY)")
    for t in ("person", "concept", "concept_ancestor", "observation", "measurement"):
        con.execute(f"CREATE TABLE {t} AS SELECT * FROM src.{t}")
    hb = con.execute(
        "SELECT concept_id FROM concept WHERE vocabulary_id = 'LOINC' AND concept_code = '718-7'"
    ).fetchone()[0]
    bogus = con.execute("SELECT concept_id FROM concept WHERE concept_code = '{bogus}'").fetchone()[
        0
    ]
    con.execute("DELETE FROM measurement WHERE measurement_concept_id = ? AND person_id <= 3", [hb])
    for pid, unit, value in ((1, bogus, 130.0), (2, 8713, 13.0), (3, bogus, 9.0)):
        con.execute(
            "INSERT INTO measurement (measurement_id, person_id, measurement_concept_id,"
            " measurement_date, value_as_number, value_as_concept_id, unit_concept_id,"
            " operator_concept_id) VALUES (?, ?, ?, ?, ?, 0, ?, 0)",
            [10_000_000 + pid, pid, hb, AS_OF, value, unit],
        )
    con.close()
    db = DuckDBConnection(str(path))
    protocol = _protocol(HB)
    compiled, table = screen_population(db, protocol, as_of=AS_OF)
    rows = {r["person_id"]: r for r in table.to_pylist()}
    assert rows[1]["c001"] is None and rows[3]["c001"] is None  # never guessed
    assert rows[2]["c001"] is True  # 13 g/dL = 130 g/L
    patients = {p.id: p for p in read_patients(db)}
    for pid in (1, 2, 3):
        result = screen(protocol, patients[str(pid)], as_of=AS_OF)
        assert {"met": True, "not_met": False, "unknown": None}[result.criteria[0].status] is rows[
            pid
        ]["c001"]
    f = funnel(compiled, table)
    assert f.rows[0].unknown == sum(1 for r in rows.values() if r["c001"] is None) >= 2


def test_measurement_node_is_typed() -> None:
    assert Measurement.model_fields["comparator"]


@pytest.mark.parametrize(
    ("start", "months"),
    [
        (date(2024, 1, 31), 1),
        (date(2023, 8, 31), 6),
        (date(2024, 2, 29), 12),
        (date(2024, 3, 15), 3),
    ],
)
def test_month_arithmetic_matches_the_domain(start: date, months: int) -> None:
    from sqlglot import exp

    e = dates.plus(dates.literal(start), months, TimeUnit.MONTHS)
    got = duckdb.sql(exp.select(e).sql("duckdb")).fetchone()[0]
    assert got == shift(start, months, TimeUnit.MONTHS)
