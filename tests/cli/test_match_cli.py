"""`cartrial match`, `trials` and `demo` through the real Typer app."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from typer.testing import CliRunner

from cartrial.cli.main import app
from cartrial.resources import trials_dir

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "bundles"
BUNDLE = FIXTURES / "minimal-female-sle.json"
runner = CliRunner()


def test_match_json_shape_and_lab_failure() -> None:
    result = runner.invoke(
        app,
        [
            "match",
            str(BUNDLE),
            "--as-of",
            "2026-11-22",
            "--format",
            "json",
            "--trial",
            "NCT05858684",
        ],
    )
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert [d["trial"] for d in data] == ["NCT05858684"]
    res = data[0]
    assert set(res) >= {
        "trial",
        "verdict",
        "criteria",
        "manual_review",
        "missing",
        "earliest_eligible_date",
        "unrecognized",
    }
    # haemoglobin 72 g/L is below the protocol's 85 g/L
    assert res["verdict"] == "INELIGIBLE"
    failing = [c for c in res["criteria"] if c["outcome"] == "fail" and c["depth"] == 0]
    hb = [c for c in failing if "85" in c["text"]]
    assert hb, failing
    ev = hb[0]["evidence"] or [
        e for c in res["criteria"] if c["parent"] == hb[0]["id"] for e in c["evidence"]
    ]
    # 72 g/L converted to the canonical 7.2 g/dL; the original value is kept
    assert ev and ev[0]["original_value"] == 72 and abs(ev[0]["value"] - 7.2) < 1e-9
    for c in res["criteria"]:
        assert set(c) >= {"id", "section", "status", "text", "evidence", "missing"}


def test_match_all_trials_table() -> None:
    result = runner.invoke(app, ["match", str(BUNDLE), "--as-of", "2026-11-22"])
    assert result.exit_code == 0, result.output
    for nct in ("NCT05239702", "NCT06792344", "NCT07193667", "NCT05858684", "NCT06464679"):
        assert nct in result.stdout


def test_match_bad_inputs_exit_2_with_message(tmp_path: Path) -> None:
    missing = runner.invoke(app, ["match", str(tmp_path / "nope.json")])
    assert missing.exit_code == 2
    assert "nope.json" in missing.output
    broken = tmp_path / "broken.json"
    broken.write_text("{not json")
    res = runner.invoke(app, ["match", str(broken)])
    assert res.exit_code == 2 and "error" in res.output.lower()
    bad_date = runner.invoke(app, ["match", str(BUNDLE), "--as-of", "22/11/2026"])
    assert bad_date.exit_code == 2 and "--as-of" in bad_date.output
    bad_trial = runner.invoke(app, ["match", str(BUNDLE), "--trial", "NCT99999999"])
    assert bad_trial.exit_code == 2 and "NCT99999999" in bad_trial.output
    bad_fmt = runner.invoke(app, ["match", str(BUNDLE), "--format", "xml"])
    assert bad_fmt.exit_code == 2
    assert "Traceback" not in res.output + bad_date.output + bad_trial.output


def test_match_unknown_unit_is_an_error(tmp_path: Path) -> None:
    data = json.loads(BUNDLE.read_text())
    data["entry"][2]["resource"]["valueQuantity"]["unit"] = "furlongs"
    data["entry"][2]["resource"]["valueQuantity"]["code"] = "furlongs"
    f = tmp_path / "unit.json"
    f.write_text(json.dumps(data))
    res = runner.invoke(app, ["match", str(f)])
    assert res.exit_code == 2
    assert "furlongs" in res.output


def test_trials_list_show_lint() -> None:
    listed = runner.invoke(app, ["trials", "list", "--format", "json"])
    assert listed.exit_code == 0, listed.output
    ids = [t["nct_id"] for t in json.loads(listed.stdout)]
    assert ids == sorted(ids) and len(ids) == 5
    shown = runner.invoke(app, ["trials", "show", "NCT06792344"])
    assert shown.exit_code == 0 and "INCLUSION" in shown.stdout
    linted = runner.invoke(app, ["trials", "lint", "--format", "json"])
    assert linted.exit_code == 0, linted.output
    reports = json.loads(linted.stdout)
    for r in reports:
        assert r["criteria"] == r["computable"] + r["manual"]
        assert r["computable"] > 0 and r["manual"] > 0
        assert r["uncovered"] == []


def test_demo_prints_every_trial() -> None:
    res = runner.invoke(app, ["demo"])
    assert res.exit_code == 0, res.output
    assert "NCT05858684" in res.stdout


def test_console_entry_gives_the_same_answer_with_a_cold_and_a_warm_cache(tmp_path: Path) -> None:
    """``python -m cartrial.cli`` (the tuned console entry): the first run validates the
    protocols and caches them, the second reads the cache; both print what the app prints."""
    args = ["match", str(BUNDLE), "--as-of", "2026-11-22", "--format", "json"]
    env = {**os.environ, "CARTRIAL_CACHE_DIR": str(tmp_path / "cache")}
    outputs = []
    for _ in range(2):
        done = subprocess.run(
            [sys.executable, "-m", "cartrial.cli", *args],
            capture_output=True,
            text=True,
            env=env,
            check=False,
        )
        assert done.returncode == 0, done.stderr
        outputs.append(json.loads(done.stdout))
    assert len(list((tmp_path / "cache").glob("protocol-*.pickle"))) >= 5
    in_process = runner.invoke(app, args)
    assert in_process.exit_code == 0
    assert outputs[0] == outputs[1] == json.loads(in_process.stdout)
    assert {r["trial"] for r in outputs[0]} == {f.stem for f in trials_dir().glob("*.yaml")}
