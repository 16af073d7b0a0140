"""`cartrial match`: the table and the JSON carry the same reason text (the web pages' wording)."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from cartrial.cli.main import app
from cartrial.services.bundled_protocols import examples_dir

BUNDLE = examples_dir() / "patients" / "still-disease-steroid-washout.json"
REASON = (
    "systemic corticosteroids within 4 weeks before treatment: prednisone 15 mg/day, "
    "last dose 2026-11-05 — clears on 2026-12-04"
)
runner = CliRunner()


def _match(fmt: str) -> str:
    result = runner.invoke(
        app,
        ["match", str(BUNDLE), "--as-of", "2026-11-22", "--trial", "NCT05239702", "--format", fmt],
        terminal_width=400,
    )
    assert result.exit_code == 0, result.output
    return result.stdout


def test_json_has_reason_beside_the_machine_fields() -> None:
    (res,) = json.loads(_match("json"))
    assert res["verdict"] == "INELIGIBLE" and res["decisive"] == ["exc"]  # machine fields kept
    assert res["reason"].startswith(REASON)
    (why,) = res["explanation"]["reasons"]
    assert why["id"] == "exc-6" and why["clears_on"] == "2026-12-04"
    assert res["explanation"]["missing"] == []


def test_table_shows_the_same_reason() -> None:
    out = " ".join(_match("table").split())
    assert REASON in out
    assert "why not eligible:" in out
