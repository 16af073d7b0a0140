"""``cartrial calc`` through typer's CliRunner: list, single run, @file, batch, bad input."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from cartrial.cli.calc import register


@pytest.fixture()
def app() -> typer.Typer:
    # A bare app with only the calc group, so the test does not depend on other groups.
    a = typer.Typer()

    @a.callback()
    def _root() -> None:
        """test root"""

    register(a)
    return a


runner = CliRunner()


def test_list_shows_calculators_and_inputs(app: typer.Typer) -> None:
    res = runner.invoke(app, ["calc", "--list"])
    assert res.exit_code == 0, res.output
    assert "crcl_cockcroft_gault" in res.stdout
    assert "scr_mg_dl*" in res.stdout
    assert "lymphodepletion_daily_doses" in res.stdout


def test_single_run_prints_json(app: typer.Typer) -> None:
    res = runner.invoke(
        app, ["calc", "bsa_mosteller", "--input", '{"height_cm": 180, "weight_kg": 80}']
    )
    assert res.exit_code == 0, res.output
    out = json.loads(res.stdout)
    assert {
        "calculator",
        "value",
        "category",
        "components",
        "reference",
        "unit",
        "conventions",
    } <= set(out)
    assert out["calculator"] == "bsa_mosteller"
    assert out["value"] == pytest.approx(2.0)  # √(180×80/3600) = 2


def test_input_from_file(app: typer.Typer, tmp_path: Path) -> None:
    f = tmp_path / "in.json"
    f.write_text(json.dumps({"age_years": 60, "weight_kg": 72, "scr_mg_dl": 1.0, "sex": "female"}))
    res = runner.invoke(app, ["calc", "crcl_cockcroft_gault", "--input", f"@{f}"])
    assert res.exit_code == 0, res.output
    assert json.loads(res.stdout)["value"] == pytest.approx(68.0)  # 80 × 72/72 × 0.85


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["calc", "bsa_mosteller", "--input", '{"height_cm": 180}'], "weight_kg"),
        (["calc", "bsa_mosteller", "--input", "{not json"], "not valid JSON"),
        (["calc", "bsa_mosteller", "--input", "[1, 2]"], "JSON object"),
        (["calc", "bsa_mostler", "--input", "{}"], "bsa_mosteller"),
        (["calc", "bsa_mosteller", "--input", "@/nonexistent/file.json"], "cannot read"),
        (
            [
                "calc",
                "crcl_cockcroft_gault",
                "--input",
                '{"age_years": 200, "weight_kg": 72, "scr_mg_dl": 1.0, "sex": "female"}',
            ],
            "age_years",
        ),
        (["calc"], "calculator name"),
    ],
)
def test_bad_input_exit_2_message_on_stderr(app: typer.Typer, args: list[str], needle: str) -> None:
    res = runner.invoke(app, args)
    assert res.exit_code == 2
    assert needle in res.stderr
    assert "Traceback" not in res.output
    assert res.stdout == ""


def test_batch_with_one_bad_line(app: typer.Typer, tmp_path: Path) -> None:
    lines = [
        {"calculator": "bsa_mosteller", "inputs": {"height_cm": 180, "weight_kg": 80}},
        {
            "calculator": "egfr_ckd_epi_2021",
            "inputs": {"scr_mg_dl": -1, "age_years": 50, "sex": "male"},
        },
        {
            "calculator": "egfr_ckd_epi_2021",
            "inputs": {"scr_mg_dl": 1.0, "age_years": 50, "sex": "male"},
        },
    ]
    f = tmp_path / "batch.jsonl"
    f.write_text("\n".join(json.dumps(x) for x in lines) + "\n{broken\n")
    res = runner.invoke(app, ["calc", "--batch", str(f)])
    out = [json.loads(x) for x in res.stdout.splitlines()]
    assert len(out) == 4
    assert out[0]["value"] == pytest.approx(2.0)
    assert out[1]["line"] == 2 and "scr_mg_dl" in out[1]["error"]
    assert out[1]["field"] == "scr_mg_dl"
    assert out[2]["value"] == pytest.approx(91.69, abs=0.05)  # CKD-EPI 2021, male 50, SCr 1.0
    assert out[3]["line"] == 4 and "JSON" in out[3]["error"]
    assert res.exit_code == 1
    assert "2 of the lines" in res.stderr


def test_batch_all_good_exit_0(app: typer.Typer, tmp_path: Path) -> None:
    f = tmp_path / "ok.jsonl"
    f.write_text(
        json.dumps({"calculator": "bsa_dubois", "inputs": {"height_cm": 170, "weight_kg": 70}})
        + "\n\n"
    )
    res = runner.invoke(app, ["calc", "--batch", str(f)])
    assert res.exit_code == 0
    assert json.loads(res.stdout)["value"] == pytest.approx(1.8097, abs=0.001)


def test_batch_missing_file_exit_2(app: typer.Typer, tmp_path: Path) -> None:
    res = runner.invoke(app, ["calc", "--batch", str(tmp_path / "none.jsonl")])
    assert res.exit_code == 2
    assert "cannot read" in res.stderr


def test_calculator_help_lists_inputs_with_units(app: typer.Typer) -> None:
    """Issue 9: ``cartrial calc NAME --help`` shows that calculator's inputs (it used to show
    the generic help)."""
    res = runner.invoke(app, ["calc", "crcl_cockcroft_gault", "--help"])
    assert res.exit_code == 0, res.output
    assert "scr_mg_dl [mg/dL]: float, required" in res.stdout
    assert "weight_kg [kg]" in res.stdout and "weight_basis: str, default 'actual'" in res.stdout
    generic = runner.invoke(app, ["calc", "--help"])
    assert generic.exit_code == 0 and "--batch" in generic.stdout
    unknown = runner.invoke(app, ["calc", "crcl_cockroft", "--help"])
    assert unknown.exit_code == 2 and "did you mean" in unknown.stderr


def test_batch_turns_every_calculator_failure_into_one_json_line(
    app: typer.Typer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A calculator that fails in its arithmetic (not a DataError) still yields one JSON error
    line for that input and the other lines are computed: never a traceback."""
    from cartrial.calculators import registry

    def broken(**_: object) -> object:
        raise ArithmeticError("decimal overflow")

    calc = registry.get_calculator("bsa_mosteller")
    monkeypatch.setitem(
        registry._REGISTRY,
        "bsa_broken",
        registry.Calculator("bsa_broken", "test", calc.inputs, broken),
    )  # type: ignore[arg-type]
    batch = tmp_path / "b.jsonl"
    batch.write_text(
        "\n".join(
            json.dumps(x)
            for x in [
                {"calculator": "bsa_mosteller", "inputs": {"height_cm": 170, "weight_kg": 70}},
                {"calculator": "bsa_broken", "inputs": {"height_cm": 170, "weight_kg": 70}},
                {
                    "calculator": "lymphodepletion_daily_doses",
                    "inputs": {
                        "bsa_m2": 1.7,
                        "fludarabine_mg_per_m2": 30,
                        "cyclophosphamide_mg_per_m2": 500,
                        "crcl_ml_min": 90,
                        "fludarabine_rounding_mg": 1e308,
                    },
                },
                {"calculator": "bsa_mosteller", "inputs": {"height_cm": 180, "weight_kg": 80}},
            ]
        )
        + "\n"
    )
    res = runner.invoke(app, ["calc", "--batch", str(batch)])
    assert res.exit_code == 1
    lines = [json.loads(x) for x in res.stdout.splitlines()]
    assert len(lines) == 4
    assert lines[1] == {
        "error": "the calculator could not compute this input (ArithmeticError)",
        "line": 2,
    }
    assert lines[2]["line"] == 3 and lines[2]["field"] == "fludarabine_rounding_mg"
    assert lines[0]["calculator"] == lines[3]["calculator"] == "bsa_mosteller"
    assert "Traceback" not in res.output
