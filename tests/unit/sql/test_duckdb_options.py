"""DuckDB URL options: a memory limit is applied (spilling to the temp dir), bad ones refused."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from cartrial.sql.cdm import CdmError, connect


@pytest.fixture()
def cdm_file(tmp_path: Path) -> Path:
    path = tmp_path / "cdm.duckdb"
    duckdb.connect(str(path)).execute("CREATE TABLE person (person_id BIGINT)").close()
    return path


def test_memory_limit_is_applied(cdm_file: Path) -> None:
    con = connect(f"duckdb:///{cdm_file}?memory_limit=512MB")
    limit, spill = con.raw.execute(  # type: ignore[attr-defined]
        "SELECT current_setting('memory_limit'), current_setting('temp_directory')"
    ).fetchone()
    assert limit == "488.2 MiB"  # DuckDB reports 512 MB (10^6 bytes) in MiB
    assert spill.endswith("cartrial-duckdb-spill")
    con.close()


def test_default_has_no_limit_of_ours(cdm_file: Path) -> None:
    con = connect(f"duckdb:///{cdm_file}")
    (spill,) = con.raw.execute("SELECT current_setting('temp_directory')").fetchone()  # type: ignore[attr-defined]
    assert not spill.endswith("cartrial-duckdb-spill")
    con.close()


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("memory_limit=lots", "is not a size"),
        ("memory_limit=3GB;DROP", "is not a size"),
        ("threads=8", "unknown DuckDB URL option(s) threads"),
    ],
)
def test_bad_options_are_named(cdm_file: Path, query: str, message: str) -> None:
    with pytest.raises(CdmError, match=message.replace("(", r"\(").replace(")", r"\)")):
        connect(f"duckdb:///{cdm_file}?{query}")
