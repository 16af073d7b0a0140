"""The same differential test on PostgreSQL (throwaway cluster), 1,000 synthetic persons."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from cartrial.ingest.omop import read_patients
from cartrial.services.bundled_protocols import load_protocols
from cartrial.sql.cdm import DuckDBConnection, PostgresConnection, inspect
from cartrial.sql.run import screen_population
from cartrial.synth.omop import DEFAULT_AS_OF
from tests.parity.helpers import disagreements, evaluate_all

pytestmark = pytest.mark.postgres

_PG = {
    pa.int64(): "bigint",
    pa.int32(): "integer",
    pa.float64(): "double precision",
    pa.string(): "text",
    pa.date32(): "date",
    pa.timestamp("us"): "timestamp",
}


def load_postgres(url: str, directory: Path) -> None:
    import psycopg
    from psycopg import sql

    with psycopg.connect(url, autocommit=True) as con:
        for path in sorted(directory.glob("*.parquet")):
            table = pq.read_table(path)
            name = path.stem
            cols = sql.SQL(", ").join(
                sql.SQL("{} {}").format(sql.Identifier(f.name), sql.SQL(_PG[f.type]))
                for f in table.schema
            )
            con.execute(sql.SQL("CREATE TABLE {} ({})").format(sql.Identifier(name), cols))
            names = sql.SQL(", ").join(sql.Identifier(f.name) for f in table.schema)
            with con.cursor().copy(
                sql.SQL("COPY {} ({}) FROM STDIN").format(sql.Identifier(name), names)
            ) as copy:
                for row in zip(*[c.to_pylist() for c in table.columns], strict=True):
                    copy.write_row(row)


@pytest.fixture(scope="module")
def postgres_cdm(pg_server: Any, small_parquet: Path) -> str:
    url = pg_server.new_database().replace("postgresql+psycopg://", "postgresql://")
    load_postgres(url, small_parquet)
    return url


@pytest.mark.parametrize("nct", sorted(load_protocols()))
def test_postgres_agrees_with_evaluator(
    postgres_cdm: str, small_parquet: Path, tmp_path: Path, nct: str
) -> None:
    protocol = load_protocols()[nct]
    con = PostgresConnection(postgres_cdm)
    try:
        compiled, table = screen_population(con, protocol, as_of=DEFAULT_AS_OF, cdm=inspect(con))
        patients = {p.id: p for p in read_patients(con)}
    finally:
        con.close()
    assert table.num_rows == len(patients) == 1000
    problems = disagreements(compiled, table, evaluate_all(protocol, patients, DEFAULT_AS_OF))
    assert not problems, f"{len(problems)} disagreements, e.g.:\n" + "\n".join(problems[:20])
    # and the same rows as DuckDB on the same files
    duck = DuckDBConnection(":memory:")
    for path in small_parquet.glob("*.parquet"):
        duck.raw.read_parquet(str(path)).create(path.stem)
    _, local = screen_population(duck, protocol, as_of=DEFAULT_AS_OF, cdm=inspect(duck))
    assert sorted(local.to_pylist(), key=lambda r: r["person_id"]) == sorted(
        table.to_pylist(), key=lambda r: r["person_id"]
    )
