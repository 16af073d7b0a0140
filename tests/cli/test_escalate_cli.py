"""``cartrial escalate``: boundaries, next, simulate; table and JSON; bad input exits 2."""

from __future__ import annotations

import json

import pytest
import typer
from typer.testing import CliRunner

from cartrial.cli import escalate


@pytest.fixture(scope="module")
def app() -> typer.Typer:
    root = typer.Typer()

    @root.callback()
    def _root() -> None:
        """test root"""

    escalate.register(root)
    return root


runner = CliRunner()


def _run(app: typer.Typer, *args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, ["escalate", *args])
    return result.exit_code, result.stdout, result.stderr


def test_boundaries_table_and_json(app: typer.Typer) -> None:
    code, out, _ = _run(
        app, "boundaries", "--target", "0.3", "--cohort-size", "3", "--cohorts", "10"
    )
    assert code == 0
    assert "0.2365" in out and "0.3585" in out
    code, out, _ = _run(
        app,
        "boundaries",
        "--target",
        "0.3",
        "--cohort-size",
        "3",
        "--cohorts",
        "10",
        "--format",
        "json",
    )
    assert code == 0
    data = json.loads(out)
    assert [r["n"] for r in data["rows"]] == [3, 6, 9, 12, 15, 18, 21, 24, 27, 30]
    assert [r["deescalate_if_dlt_ge"] for r in data["rows"]][:3] == [2, 3, 4]
    assert data["rows"][0]["eliminate_if_dlt_ge"] == 3


def test_boundaries_full_rows(app: typer.Typer) -> None:
    code, out, _ = _run(app, "boundaries", "--target", "0.25", "--full", "--format", "json")
    rows = json.loads(out)["rows"]
    assert code == 0 and len(rows) == 30 and rows[0]["eliminate_if_dlt_ge"] is None


def test_next_example_from_issue(app: typer.Typer) -> None:
    args = (
        "next",
        "--design",
        "boin",
        "--target",
        "0.3",
        "--n",
        "3,6,0",
        "--y",
        "0,1,0",
        "--current",
        "2",
    )
    code, out, _ = _run(app, *args)
    assert code == 0
    assert "escalate" in out and "level 3" in out
    code, out, _ = _run(app, *args, "--format", "json")
    data = json.loads(out)
    assert data["action"] == "escalate"
    assert data["current_level"] == 2 and data["next_level"] == 3


def test_next_stop_shows_mtd(app: typer.Typer) -> None:
    code, out, _ = _run(
        app,
        "next",
        "--design",
        "3+3",
        "--n",
        "6,6,0",
        "--y",
        "1,2,0",
        "--current",
        "2",
        "--format",
        "json",
    )
    assert code == 0
    data = json.loads(out)
    assert data["action"] == "stop" and data["mtd_level"] == 1 and data["next_level"] is None


def test_simulate_boin_and_3plus3(app: typer.Typer) -> None:
    base = (
        "--target",
        "0.3",
        "--truth",
        "0.05,0.1,0.2,0.3,0.5",
        "--cohort-size",
        "3",
        "--cohorts",
        "10",
    )
    code, out, _ = _run(
        app,
        "simulate",
        "--design",
        "boin",
        *base,
        "--trials",
        "2000",
        "--seed",
        "1",
        "--format",
        "json",
    )
    assert code == 0
    data = json.loads(out)
    assert len(data["doses"]) == 5
    assert sum(d["selection_pct"] for d in data["doses"]) + data["no_mtd_pct"] == pytest.approx(100)
    code2, out2, _ = _run(
        app,
        "simulate",
        "--design",
        "boin",
        *base,
        "--trials",
        "2000",
        "--seed",
        "1",
        "--format",
        "json",
    )
    assert out2 == out  # same seed, same result
    code, out, _ = _run(app, "simulate", "--design", "3+3", *base, "--trials", "500", "--seed", "1")
    assert code == 0 and "3+3" in out and "selected as MTD" in out


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            (
                "next",
                "--design",
                "crm",
                "--target",
                "0.3",
                "--n",
                "3",
                "--y",
                "0",
                "--current",
                "1",
            ),
            "unknown design",
        ),
        (
            (
                "next",
                "--design",
                "boin",
                "--target",
                "0.3",
                "--n",
                "3,3",
                "--y",
                "0,4",
                "--current",
                "2",
            ),
            "y must be <= n",
        ),
        (
            (
                "next",
                "--design",
                "boin",
                "--target",
                "0.3",
                "--n",
                "3,3",
                "--y",
                "0,1",
                "--current",
                "3",
            ),
            "1-based",
        ),
        (
            (
                "next",
                "--design",
                "boin",
                "--target",
                "0.3",
                "--n",
                "3,x",
                "--y",
                "0,1",
                "--current",
                "1",
            ),
            "whole numbers",
        ),
        (("boundaries", "--target", "1.5"), "target"),
        (("boundaries", "--target", "0"), "target"),
        (("boundaries",), "--target is required"),
        (("simulate", "--design", "boin", "--target", "0.3", "--truth", "0.1,1.2"), "truth"),
        (
            ("simulate", "--design", "3+3", "--cohort-size", "2", "--truth", "0.1,0.2"),
            "cohorts of 3",
        ),
        (
            ("simulate", "--design", "unknown", "--target", "0.3", "--truth", "0.1"),
            "unknown design",
        ),
    ],
)
def test_bad_input_exits_2_with_message(
    app: typer.Typer, args: tuple[str, ...], message: str
) -> None:
    result = runner.invoke(app, ["escalate", *args])
    assert result.exit_code == 2
    assert message in result.stderr
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
