"""``cartrial conduct demo | board | report`` against a tmp SQLite database."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cartrial.cli.main import app


def test_demo_board_report(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'cli.db'}")
    monkeypatch.chdir(tmp_path)
    runner = CliRunner()
    first = runner.invoke(app, ["conduct", "demo", "--today", "2026-11-22"])
    assert first.exit_code == 0, first.output
    assert "8 patients enrolled" in first.output
    again = runner.invoke(app, ["conduct", "demo", "--today", "2026-11-22"])
    assert again.exit_code == 0 and "nothing done" in again.output  # loaded once only
    board = runner.invoke(app, ["conduct", "board", "NCT05858684", "--as-of", "2026-11-22"])
    data = json.loads(board.output)
    assert (data["n"], data["y"], data["decision"]["action"]) == ([6, 2, 0], [1, 0, 0], "escalate")
    out = tmp_path / "adae.csv"
    r = runner.invoke(
        app, ["conduct", "report", "NCT05858684", "--cut", "2026-11-22", "--format", "adae",
              "--out", str(out)],
    )  # fmt: skip
    assert r.exit_code == 0, r.output
    rows = list(csv.DictReader(out.open(encoding="utf-8")))
    assert {r["STUDYID"] for r in rows} == {"NCT05858684"} and any(r["DLTFL"] == "Y" for r in rows)
    bad = runner.invoke(app, ["conduct", "report", "NCT05858684", "--cut", "soon", "--out", "x"])
    assert bad.exit_code == 2 and not (tmp_path / "x").exists()
    unknown = runner.invoke(app, ["conduct", "board", "NCT00000001"])
    assert unknown.exit_code == 2
