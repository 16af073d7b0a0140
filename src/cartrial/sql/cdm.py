"""An OMOP CDM as the compiler sees it, and the connections that run the SQL.

:class:`Cdm` is what was found in the database: its tables and columns (so a missing table or
column is named before any SQL runs) and the unit concepts its measurements use (so unit
conversions are compiled for exactly those). Connections are thin: DuckDB (embedded, read-only),
PostgreSQL (psycopg) and Spark (local or a cluster; parquet tables registered as views).
"""

from __future__ import annotations

import os
import re
import tempfile
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import parse_qs, urlparse

import pyarrow as pa
from sqlglot import exp

from cartrial.domain.errors import DataError


class CdmError(DataError):
    """The CDM lacks a table or column a criterion needs, or cannot be opened."""


REQUIRED: dict[str, tuple[str, ...]] = {
    "person": (
        "person_id",
        "gender_concept_id",
        "year_of_birth",
        "month_of_birth",
        "day_of_birth",
        "birth_datetime",
    ),
    "concept": ("concept_id", "concept_code", "vocabulary_id", "concept_name"),
    "concept_ancestor": ("ancestor_concept_id", "descendant_concept_id"),
    "measurement": (
        "measurement_id",
        "person_id",
        "measurement_concept_id",
        "measurement_date",
        "value_as_number",
        "value_as_concept_id",
        "unit_concept_id",
        "range_low",
        "range_high",
        "operator_concept_id",
    ),
    "observation": (
        "observation_id",
        "person_id",
        "observation_concept_id",
        "observation_date",
        "value_as_number",
        "value_as_concept_id",
        "unit_concept_id",
    ),
    "condition_occurrence": (
        "condition_occurrence_id",
        "person_id",
        "condition_concept_id",
        "condition_source_concept_id",
        "condition_start_date",
        "condition_end_date",
    ),
    "drug_exposure": (
        "drug_exposure_id",
        "person_id",
        "drug_concept_id",
        "drug_exposure_start_date",
        "drug_exposure_end_date",
        "route_concept_id",
        "stop_reason",
    ),
    "procedure_occurrence": (
        "procedure_occurrence_id",
        "person_id",
        "procedure_concept_id",
        "procedure_source_concept_id",
        "procedure_date",
    ),
}
"""The columns each table must have when a criterion reads it."""


@dataclass(frozen=True)
class Cdm:
    """Tables -> columns found in the database, the schema, and the unit codes in use."""

    columns: Mapping[str, frozenset[str]]
    schema: str | None = None
    unit_codes: tuple[str, ...] = ()

    def has(self, table: str) -> bool:
        return table in self.columns

    def require(self, table: str, why: str) -> None:
        """Raise :class:`CdmError` naming the table or columns missing for ``why``."""
        where = f"{self.schema}.{table}" if self.schema else table
        if table not in self.columns:
            raise CdmError(f"the CDM has no table {where!r}, needed for {why}", where=where)
        missing = [c for c in REQUIRED[table] if c not in self.columns[table]]
        if missing:
            raise CdmError(
                f"table {where!r} lacks column(s) {', '.join(missing)}, needed for {why}",
                where=where,
                field=missing[0],
            )

    def table(self, name: str, alias: str | None = None) -> exp.Table:
        t = exp.table_(name, db=self.schema)
        return t.as_(alias) if alias else t  # type: ignore[return-value]


class Connection(Protocol):
    """What the runner needs from a database."""

    dialect: str

    def query(self, sql: str) -> pa.Table: ...

    def columns(self, schema: str | None) -> dict[str, frozenset[str]]: ...

    def close(self) -> None: ...


_MEMORY = re.compile(r"\d+(\.\d+)?\s*(KB|MB|GB|TB|KiB|MiB|GiB|TiB)", re.IGNORECASE)


@dataclass
class DuckDBConnection:
    """An embedded DuckDB file. ``memory_limit`` (e.g. ``"3GB"``) caps DuckDB's memory: beyond
    it, joins and aggregates spill to a folder in the temp dir (slower, but a 5 M-person CDM
    then screens on a small machine; DuckDB's own default is 80 % of RAM)."""

    path: str
    read_only: bool = True
    memory_limit: str | None = None
    dialect: str = "duckdb"
    _con: Any = field(default=None, repr=False)

    def __post_init__(self) -> None:
        import duckdb

        if self.path != ":memory:" and not Path(self.path).exists():
            raise CdmError(f"no DuckDB file at {self.path}", where=self.path)
        if self.memory_limit is not None and not _MEMORY.fullmatch(self.memory_limit):
            raise CdmError(
                f"memory_limit {self.memory_limit!r} is not a size such as 3GB or 512MB",
                where="memory_limit",
            )
        self._con = duckdb.connect(self.path, read_only=self.read_only and self.path != ":memory:")
        self._con.execute("SET enable_progress_bar = false")  # a library prints nothing
        if self.memory_limit is not None:
            spill = Path(tempfile.gettempdir()) / "cartrial-duckdb-spill"
            self._con.execute("SET memory_limit = ?", [self.memory_limit])
            self._con.execute("SET temp_directory = ?", [str(spill)])

    @property
    def raw(self) -> Any:
        return self._con

    def query(self, sql: str) -> pa.Table:
        return self._con.execute(sql).to_arrow_table()

    def columns(self, schema: str | None) -> dict[str, frozenset[str]]:
        rows = self._con.execute(
            "SELECT lower(table_name), lower(column_name) FROM information_schema.columns "
            "WHERE table_schema = ?",
            [schema or "main"],
        ).fetchall()
        return _group(rows)

    def close(self) -> None:
        self._con.close()


@dataclass
class PostgresConnection:
    url: str
    dialect: str = "postgres"
    _con: Any = field(default=None, repr=False)

    def __post_init__(self) -> None:
        import psycopg

        try:
            self._con = psycopg.connect(self.url, autocommit=True)
        except psycopg.Error as exc:
            raise CdmError(f"cannot connect to PostgreSQL: {exc}", where="--cdm") from exc
        self._con.execute("SET default_transaction_read_only = on")

    def query(self, sql: str) -> pa.Table:
        with self._con.cursor() as cur:
            cur.execute(sql)
            names = [d.name for d in cur.description or ()]
            rows = cur.fetchall()
        cols = list(zip(*rows, strict=True)) if rows else [() for _ in names]
        return pa.table(
            {n: pa.array([_py(v) for v in c]) for n, c in zip(names, cols, strict=True)}
        )

    def columns(self, schema: str | None) -> dict[str, frozenset[str]]:
        rows = self._con.execute(
            "SELECT lower(table_name), lower(column_name) FROM information_schema.columns "
            "WHERE table_schema = %s",
            [schema or "public"],
        ).fetchall()
        return _group(rows)

    def close(self) -> None:
        self._con.close()


def _py(v: Any) -> Any:
    from decimal import Decimal

    return float(v) if isinstance(v, Decimal) else v


@dataclass
class SparkConnection:
    """A Spark session; ``parquet_dir`` holds one ``<table>.parquet`` (file or folder) per table."""

    session: Any
    parquet_dir: str | None = None
    dialect: str = "spark"

    def __post_init__(self) -> None:
        if self.parquet_dir:
            register_parquet(self.session, self.parquet_dir)

    def query(self, sql: str) -> pa.Table:
        table: pa.Table = self.session.sql(sql).toArrow()
        return table

    def columns(self, schema: str | None) -> dict[str, frozenset[str]]:
        out: dict[str, frozenset[str]] = {}
        for t in (
            self.session.catalog.listTables(schema) if schema else self.session.catalog.listTables()
        ):
            name = t.name.lower()
            qualified = f"{schema}.{t.name}" if schema else t.name
            out[name] = frozenset(c.lower() for c in self.session.table(qualified).columns)
        return out

    def close(self) -> None:
        """The session belongs to the caller (one per process)."""


def register_parquet(session: Any, directory: str) -> list[str]:
    """Register every ``<table>.parquet`` in ``directory`` as a temporary view."""
    names = []
    for p in sorted(Path(directory).iterdir()):
        if p.suffix == ".parquet":
            session.read.parquet(str(p)).createOrReplaceTempView(p.stem.lower())
            names.append(p.stem.lower())
    if not names:
        raise CdmError(f"no <table>.parquet files in {directory}", where=directory)
    return names


def spark_session(master: str = "local[2]") -> Any:
    """A local Spark session bound to 127.0.0.1 with the UI off (one per process)."""
    os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
    from pyspark.sql import SparkSession

    return (
        SparkSession.builder.master(master)
        .appName("cartrial")
        .config("spark.ui.enabled", "false")
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.sql.shuffle.partitions", "4")
        # the compiled query joins many small per-person tables: broadcasting each of
        # them exhausts a local driver, so sort-merge joins are used
        .config("spark.sql.autoBroadcastJoinThreshold", "-1")
        .config("spark.driver.memory", "2g")
        .config("spark.driver.bindAddress", "127.0.0.1")
        # only temporary views are used: keep Spark's (empty) warehouse folder out of the cwd
        .config("spark.sql.warehouse.dir", str(Path(tempfile.gettempdir()) / "cartrial-spark"))
        .getOrCreate()
    )


def connect(url: str) -> Connection:
    """``duckdb:///path.duckdb[?memory_limit=3GB]`` | ``postgresql://user@host/db`` |
    ``spark://local[2]/parquet_dir``."""
    parsed = urlparse(url)
    if parsed.scheme == "duckdb":
        path, _, options = url[len("duckdb://") :].partition("?")
        path = path[1:] if path.startswith("//") else path
        params = parse_qs(options, keep_blank_values=True)
        unknown = sorted(set(params) - {"memory_limit"})
        if unknown:
            raise CdmError(
                f"unknown DuckDB URL option(s) {', '.join(unknown)}; only memory_limit",
                where="--cdm",
            )
        limit = params.get("memory_limit", [None])[-1]
        return DuckDBConnection(path or ":memory:", memory_limit=limit)
    if parsed.scheme in ("postgresql", "postgres"):
        return PostgresConnection(url)
    if parsed.scheme == "spark":
        rest = url[len("spark://") :]
        master, _, directory = rest.partition("/")
        return SparkConnection(
            spark_session(master or "local[2]"), "/" + directory if directory else None
        )
    raise CdmError(
        f"unknown CDM URL scheme {parsed.scheme!r}: use duckdb:///file.duckdb, "
        "postgresql://... or spark://local[2]/parquet_dir",
        where="--cdm",
    )


def inspect(con: Connection, schema: str | None = None) -> Cdm:
    """Read the CDM's tables/columns and the unit concept codes its measurements use."""
    cols = con.columns(schema)
    if not cols:
        where = schema or "the default schema"
        raise CdmError(f"no tables found in {where}", where=where)
    cdm = Cdm(columns=cols, schema=schema)
    sources = [
        t for t in ("measurement", "observation") if t in cols and "unit_concept_id" in cols[t]
    ]
    if not sources or "concept" not in cols:
        return cdm
    used: exp.Expression = (
        exp.union(
            *[exp.select(exp.column("unit_concept_id")).from_(cdm.table(t)) for t in sources],
            distinct=True,
        )
        if len(sources) > 1
        else exp.select(exp.column("unit_concept_id")).distinct().from_(cdm.table(sources[0]))
    )
    q = (
        exp.select(exp.column("concept_code", "c"))
        .distinct()
        .from_(exp.Subquery(this=used, alias=exp.TableAlias(this=exp.to_identifier("u"))))
        .join(
            cdm.table("concept", "c"),
            on=exp.EQ(
                this=exp.column("concept_id", "c"), expression=exp.column("unit_concept_id", "u")
            ),
        )
    )
    codes = con.query(q.sql(dialect=con.dialect)).column(0).to_pylist()
    return Cdm(
        columns=cols,
        schema=schema,
        unit_codes=tuple(sorted({str(c) for c in codes if c is not None})),
    )


def _group(rows: Iterable[tuple[str, str]]) -> dict[str, frozenset[str]]:
    out: dict[str, set[str]] = {}
    for t, c in rows:
        out.setdefault(t, set()).add(c)
    return {t: frozenset(c) for t, c in out.items()}
