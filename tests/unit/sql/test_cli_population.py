"""The CLI: synth omop -> omop load -> screen (funnel table, candidates parquet, --explain)."""

from __future__ import annotations

from pathlib import Path

import pyarrow.parquet as pq
from typer.testing import CliRunner

from cartrial.cli.main import app

runner = CliRunner()


def test_synth_load_screen(tmp_path: Path) -> None:
    parquet = tmp_path / "export"
    r = runner.invoke(
        app, ["synth", "omop", "--persons", "300", "--seed", "2", "--out", str(parquet)]
    )
    assert r.exit_code == 0, r.output
    db = tmp_path / "cdm.duckdb"
    r = runner.invoke(app, ["omop", "load", str(parquet), "--into", str(db)])
    assert r.exit_code == 0, r.output
    assert "person\t300" in r.output
    out = tmp_path / "candidates.parquet"
    r = runner.invoke(
        app,
        [
            "screen",
            "--cdm",
            f"duckdb://{db}",
            "--trial",
            "NCT05858684",
            "--as-of",
            "2025-06-30",
            "--out",
            str(out),
            "--explain",
        ],
    )
    assert r.exit_code == 0, r.output
    assert "NCT05858684: 300 persons" in r.output and "verdicts:" in r.output
    assert "WITH cdm_person AS MATERIALIZED" in r.output  # --explain printed the SQL
    table = pq.read_table(out)
    assert set(table.column("verdict").to_pylist()) <= {"ELIGIBLE", "NEEDS_DATA"}
    assert "inc-1" in table.column_names


def test_bad_cdm_url_and_trial_are_named(tmp_path: Path) -> None:
    r = runner.invoke(app, ["screen", "--cdm", "mysql://x/y", "--as-of", "2025-06-30"])
    assert r.exit_code == 2 and "unknown CDM URL scheme 'mysql'" in r.output
    r = runner.invoke(
        app, ["screen", "--cdm", f"duckdb://{tmp_path / 'none.duckdb'}", "--as-of", "2025-06-30"]
    )
    assert r.exit_code == 2 and "no DuckDB file" in r.output
    r = runner.invoke(app, ["screen", "--cdm", "duckdb://x", "--trial", "NCT99999999"])
    assert r.exit_code == 2 and "NCT99999999" in r.output
