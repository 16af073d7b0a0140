"""``cartrial plan``: protocol + FHIR patient -> calendar (table, JSON, ics); clear bad-input errors."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import typer
from icalendar import Calendar
from typer.testing import CliRunner

from cartrial.cli import plan as plan_cli
from cartrial.criteria.protocol import Protocol, ProtocolCriteria
from cartrial.criteria.serde import dump_protocol
from cartrial.domain.trial import Trial
from cartrial.schedule import SEED_COURSE_SCHEDULE, SEED_FC_REGIMEN

runner = CliRunner()


def _observation(id_: str, loinc: str, value: float, unit: str, when: str) -> dict[str, Any]:
    return {
        "resource": {
            "resourceType": "Observation",
            "id": id_,
            "status": "final",
            "code": {"coding": [{"system": "http://loinc.org", "code": loinc}]},
            "subject": {"reference": "Patient/pt-1"},
            "effectiveDateTime": when,
            "valueQuantity": {
                "value": value,
                "unit": unit,
                "system": "http://unitsofmeasure.org",
                "code": unit,
            },
        }
    }


@pytest.fixture()
def bundle(tmp_path: Path) -> Path:
    data = {
        "resourceType": "Bundle",
        "type": "collection",
        "entry": [
            {
                "resource": {
                    "resourceType": "Patient",
                    "id": "pt-1",
                    "gender": "male",
                    "birthDate": "1977-06-01",
                }
            },
            _observation("ht", "8302-2", 170, "cm", "2027-02-01"),
            _observation("wt", "29463-7", 70, "kg", "2027-02-01"),
            _observation("cr", "2160-0", 88.4, "umol/L", "2027-02-15"),  # = 1.0 mg/dL
        ],
    }
    path = tmp_path / "bundle.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


@pytest.fixture()
def app(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> typer.Typer:
    trials = tmp_path / "trials"
    trials.mkdir()
    protocol = Protocol(
        trial=Trial(
            nct_id="NCT00000001",
            title="Test FC course",
            schedule=SEED_COURSE_SCHEDULE,
            lymphodepletion=SEED_FC_REGIMEN,
        ),
        criteria=ProtocolCriteria(),
    )
    (trials / "NCT00000001.yaml").write_text(dump_protocol(protocol), encoding="utf-8")
    monkeypatch.setenv("CARTRIAL_TRIALS_DIR", str(trials))
    root = typer.Typer()

    @root.callback()
    def _root() -> None:
        """test root"""

    plan_cli.register(root)
    return root


def test_table(app: typer.Typer, bundle: Path) -> None:
    result = runner.invoke(
        app, ["plan", "NCT00000001", "--infusion-date", "2027-03-01", "--patient", str(bundle)]
    )
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert "2027-02-24" in out and "fludarabine" in out and "Safety D4" in out
    assert "BSA 1.818" in out  # sqrt(170 x 70 / 3600)


def test_json(app: typer.Typer, bundle: Path) -> None:
    result = runner.invoke(
        app,
        [
            "plan",
            "NCT00000001",
            "--infusion-date",
            "2028-02-29",
            "--patient",
            str(bundle),
            "--format",
            "json",
        ],
    )
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["trial"] == "NCT00000001" and data["patient"] == "pt-1"
    infusion = next(e for e in data["events"] if e["kind"] == "infusion")
    assert infusion["date"] == "2028-02-29"
    ld = data["lymphodepletion"]
    assert ld["measures"]["scr_mg_dl"] == pytest.approx(1.0)
    assert ld["measures"]["age_years"] == 50  # on 2028-02-24


def test_ics_to_file(app: typer.Typer, bundle: Path, tmp_path: Path) -> None:
    out = tmp_path / "course.ics"
    result = runner.invoke(
        app,
        [
            "plan",
            "NCT00000001",
            "--infusion-date",
            "2027-03-01",
            "--patient",
            str(bundle),
            "--format",
            "ics",
            "--output",
            str(out),
        ],
    )
    assert result.exit_code == 0, result.output
    cal = Calendar.from_ical(out.read_bytes())
    starts = sorted(e.decoded("dtstart") for e in cal.walk("VEVENT"))
    assert str(starts[0]) == "2027-02-01" and str(starts[-1]) == "2028-02-28"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["NCT00000001", "--infusion-date", "2027-02-30"], "not a date"),
        (["NCT09999999", "--infusion-date", "2027-03-01"], "no bundled protocol"),
        (["NCT00000001", "--infusion-date", "2027-03-01", "--format", "pdf"], "--format"),
    ],
)
def test_bad_input_exits_2(app: typer.Typer, bundle: Path, args: list[str], message: str) -> None:
    result = runner.invoke(app, ["plan", *args, "--patient", str(bundle)])
    assert result.exit_code == 2
    assert message in result.output
    assert "Traceback" not in result.output


def test_missing_infusion_date_and_missing_file(
    app: typer.Typer, bundle: Path, tmp_path: Path
) -> None:
    result = runner.invoke(app, ["plan", "NCT00000001", "--patient", str(bundle)])
    assert result.exit_code == 2 and "--infusion-date" in result.output
    result = runner.invoke(
        app,
        [
            "plan",
            "NCT00000001",
            "--infusion-date",
            "2027-03-01",
            "--patient",
            str(tmp_path / "none.json"),
        ],
    )
    assert result.exit_code == 2 and "cannot read" in result.stderr


def test_negative_weight_in_the_record(app: typer.Typer, tmp_path: Path, bundle: Path) -> None:
    data = json.loads(bundle.read_text())
    data["entry"][2]["resource"]["valueQuantity"]["value"] = -70
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(data))
    result = runner.invoke(
        app, ["plan", "NCT00000001", "--infusion-date", "2027-03-01", "--patient", str(bad)]
    )
    assert result.exit_code == 2
    assert "weight" in result.stderr
