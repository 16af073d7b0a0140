"""First start (admin + demo patients), settings, the CLI commands, the form mapping, diffs."""

from __future__ import annotations

import json
import stat
from datetime import date
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cartrial.cli.main import app as cli_app
from cartrial.persistence.db import make_engine, session_factory
from cartrial.persistence.repositories import Tokens, Users
from cartrial.services.bundled_protocols import examples_dir
from cartrial.services.prescreen_form import PrescreenFormError, patient_from_form
from cartrial.web.settings import Settings
from tests.web.helpers import AS_OF, login, make_settings, sle_bundle, start


def test_first_start_seeds_admin_and_demo_patients_once(tmp_path: Path) -> None:
    demo = tmp_path / "examples"
    (demo / "patients").mkdir(parents=True)
    (demo / "patients" / "a-sle.json").write_text(json.dumps(sle_bundle("demo-a")))
    (demo / "patients" / "b-sle.json").write_text(json.dumps(sle_bundle("demo-b")))
    (demo / "patients" / "c-broken.json").write_text("{not json")
    settings = make_settings(tmp_path, admin_password=None, seed_demo=True, examples_dir=demo)
    for env in start(settings):
        assert len(env.said) == 2
        created, loaded = env.said
        assert created.startswith("cartrial: created admin user 'admin' with password ")
        password = created.split("with password ", 1)[1].split("\n", 1)[0].strip()
        assert len(password) >= 12
        assert loaded == "cartrial: loaded 2 demo patients into the workspace"
        assert env.count("patients") == 2 and env.count("screenings") > 0
        login(env.client, "admin", password)
        listing = env.client.get("/workspace/patients").text
        assert "Demo – a-sle" in listing and "Demo – b-sle" in listing
    for env in start(settings):  # second start: nothing printed, nothing re-seeded
        assert env.said == []
        assert env.count("patients") == 2 and env.count("users") == 1


def test_bundled_demo_patients_load(tmp_path: Path) -> None:
    files = sorted((examples_dir() / "patients").glob("*.json"))
    if not files:
        pytest.skip("no demo bundles in examples/patients yet")
    for env in start(make_settings(tmp_path, seed_demo=True)):
        assert env.count("patients") == len(files)
        assert env.said[-1] == f"cartrial: loaded {len(files)} demo patients into the workspace"


def test_admin_password_from_environment_is_not_printed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CARTRIAL_ADMIN_PASSWORD", "from-the-env-123")
    settings = Settings(
        database_url=f"sqlite:///{tmp_path / 'db.sqlite'}",
        var_dir=tmp_path / "var",
        seed_demo=False,
        gc_freeze=False,
    )
    for env in start(settings):
        assert env.said == [
            "cartrial: created admin user 'admin' with the password from CARTRIAL_ADMIN_PASSWORD"
        ]
        login(env.client, "admin", "from-the-env-123")


def test_settings_from_environment_and_generated_secret(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DATABASE_URL", "sqlite:////tmp/elsewhere.db")
    monkeypatch.setenv("MAX_BUNDLE_BYTES", "1234")
    monkeypatch.setenv("SESSION_COOKIE_SECURE", "true")
    monkeypatch.delenv("SECRET_KEY", raising=False)
    monkeypatch.delenv("CARTRIAL_SECRET_KEY", raising=False)
    s = Settings(var_dir=tmp_path / "var")
    assert s.database_url == "sqlite:////tmp/elsewhere.db"
    assert s.max_bundle_bytes == 1234 and s.session_cookie_secure is True
    key = s.resolved_secret_key()
    path = tmp_path / "var" / "secret_key"
    assert path.read_text().strip() == key and len(key) > 40
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert Settings(var_dir=tmp_path / "var").resolved_secret_key() == key  # reused
    assert key not in repr(s) and key not in str(s.model_dump())


def test_cli_users_add_list_and_token(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    monkeypatch.setenv("DATABASE_URL", url)
    runner = CliRunner()
    r = runner.invoke(
        cli_app, ["users", "add", "alice", "--role", "admin", "--password", "long-enough-1"]
    )
    assert r.exit_code == 0, r.output
    assert "created user 'alice' with role admin" in r.output
    r = runner.invoke(cli_app, ["users", "add", "alice", "--password", "long-enough-1"])
    assert r.exit_code == 2 and "already exists" in r.output
    r = runner.invoke(cli_app, ["users", "add", "bob", "--role", "boss", "--password", "x" * 9])
    assert r.exit_code == 2 and "role must be one of" in r.output
    r = runner.invoke(cli_app, ["users", "list"])
    assert "alice\tadmin\tactive" in r.output
    r = runner.invoke(cli_app, ["users", "token", "alice", "--name", "ci"])
    assert r.exit_code == 0 and r.output.startswith("ctk_")
    engine = make_engine(url)
    with session_factory(engine).begin() as db:
        user = Tokens(db).user_for(r.output.strip())
        assert user is not None and user.username == "alice"
        assert Users(db).authenticate("alice", "long-enough-1") is not None
    engine.dispose()
    r = runner.invoke(cli_app, ["serve", "--help"])
    assert r.exit_code == 0 and "--port" in r.output and "--host" in r.output


def test_prescreen_form_mapping() -> None:
    data = {
        "age": "45",
        "sex": "male",
        "diagnosis": "systemic_sclerosis",
        "diagnosis_years": "2",
        "conditions": ["hepatitis_c"],
        "labs": {
            "hemoglobin": {"value": "120", "unit": "g/L"},
            "platelets": {"value": "150000", "unit": "/uL"},
        },
        "serology": {"hiv_ab": "negative"},
        "scores": {"mrss": "22"},
        "therapies": [{"drug": "methotrexate", "start": "2024-01-01"}],
    }
    p = patient_from_form(data, as_of=AS_OF)
    assert p.age_on(AS_OF) == 45 and p.age_on(date(2027, 4, 1)) == 45
    assert p.sex.value == "male"
    hb = p.observations_of("hemoglobin")[0]
    assert (hb.value, hb.unit, hb.original_value, hb.original_unit) == (12.0, "g/dL", 120.0, "g/L")
    assert p.observations_of("platelets")[0].value == 150.0
    assert p.observations_of("hiv_ab")[0].result == "negative"
    assert {c.concept for c in p.conditions} == {"systemic_sclerosis", "hepatitis_c"}
    dx = next(c for c in p.conditions if c.concept == "systemic_sclerosis")
    assert dx.onset is not None and (AS_OF - dx.onset).days in (730, 731)
    med = p.medications[0]
    assert med.concept == "methotrexate" and med.ongoing and med.end is None
    with pytest.raises(PrescreenFormError) as err:
        patient_from_form(
            {
                **data,
                "labs": {"hemoglobin": {"value": "12", "unit": "furlongs"}},
                "age": "-1",
                "therapies": [{"drug": "unobtainium"}],
            },
            as_of=AS_OF,
        )
    fields = [p.field for p in err.value.problems]
    assert "age" in fields and any(f.startswith("therapies.0") for f in fields)
    with pytest.raises(PrescreenFormError) as err:
        patient_from_form(
            {**data, "labs": {"hemoglobin": {"value": "12", "unit": "furlongs"}}}, as_of=AS_OF
        )
    assert [p.field for p in err.value.problems] == ["labs.hemoglobin.unit"]
    assert "furlongs" in err.value.problems[0].message
