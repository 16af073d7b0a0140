"""Populations for the differential tests, built once per session."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from cartrial.synth.omop import write_duckdb, write_parquet
from tests.web.conftest import pg_server  # noqa: F401  (the one throwaway-cluster fixture)

PERSONS = int(os.environ.get("CARTRIAL_PARITY_PERSONS", "10000"))
SMALL = 1000
SEED = 20251206


@pytest.fixture(scope="session")
def synthetic_duckdb(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A synthetic CDM of ``CARTRIAL_PARITY_PERSONS`` (default 10,000) persons in DuckDB."""
    return write_duckdb(PERSONS, SEED, tmp_path_factory.mktemp("cdm") / "synthetic.duckdb")


@pytest.fixture(scope="session")
def small_parquet(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """1,000 synthetic persons as parquet files (for PostgreSQL and Spark)."""
    return write_parquet(SMALL, SEED + 1, tmp_path_factory.mktemp("cdm-parquet"))


@pytest.fixture(scope="session")
def spark() -> Iterator[Any]:
    """One local Spark session for the whole run (127.0.0.1, no UI)."""
    pytest.importorskip("pyspark")
    from cartrial.sql.cdm import spark_session

    session = spark_session("local[2]")
    yield session
    session.stop()
