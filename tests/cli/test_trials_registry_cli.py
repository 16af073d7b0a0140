"""``cartrial trials import|sync|draft`` and ``cartrial criteria parse`` through typer's CliRunner."""

from __future__ import annotations

import importlib.util
import json
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest
import typer
import yaml
from typer.testing import CliRunner

from cartrial.cli import criteria_cmd
from cartrial.cli.trials_registry import register_trials
from cartrial.criteria.serde import load_protocol
from cartrial.ingest.store import TrialStore

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "ctgov"
runner = CliRunner()


def _load_fake() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "ctgov_fake_registry_cli", FIXTURES / "fake_registry.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


fake_registry = _load_fake()


@pytest.fixture()
def app() -> typer.Typer:
    a = typer.Typer()

    @a.callback()
    def _root() -> None:
        """test root"""

    trials_app = typer.Typer()

    @trials_app.callback()
    def _trials() -> None:
        """trials"""

    register_trials(trials_app)
    a.add_typer(trials_app, name="trials")
    criteria_cmd.register(a)
    return a


@pytest.fixture()
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    d = tmp_path / "data"
    monkeypatch.setenv("CARTRIAL_DATA_DIR", str(d))
    monkeypatch.setenv("CARTRIAL_TRIALS_DIR", str(tmp_path / "trials"))
    # the volunteer alerts after a sync use the app's protocols, database and folder
    (tmp_path / "trials").mkdir()
    monkeypatch.setenv("CARTRIAL_DATABASE_URL", f"sqlite:///{tmp_path / 'app.db'}")
    monkeypatch.setenv("CARTRIAL_VAR_DIR", str(d))
    monkeypatch.setenv("CARTRIAL_SECRET_KEY", "test-secret-key-not-for-production")
    monkeypatch.delenv("SMTP_URL", raising=False)
    return d


@pytest.fixture()
def fake() -> Iterator[object]:
    with fake_registry.serve() as f:
        yield f


# --------------------------------------------------------------------------- import


def test_import_single_study_and_pages(app: typer.Typer, data_dir: Path) -> None:
    res = runner.invoke(
        app,
        [
            "trials",
            "import",
            str(FIXTURES / "study_full.json"),
            str(FIXTURES / "page_1.json"),
            str(FIXTURES / "page_2.json"),
        ],
    )
    assert res.exit_code == 0, res.output
    assert "5 trial(s) imported from 3 file(s); 0 file(s) failed." in res.stdout
    store = TrialStore(data_dir)
    assert store.ids() == [
        "NCT09000001",
        "NCT09100001",
        "NCT09100002",
        "NCT09100003",
        "NCT09100004",
    ]
    stored = store.load("NCT09000001")
    assert stored.trial.sites[0].latitude == 49.59099
    assert stored.source == str(FIXTURES / "study_full.json")


def test_import_json_summary(app: typer.Typer, data_dir: Path) -> None:
    res = runner.invoke(
        app, ["trials", "import", "--format", "json", str(FIXTURES / "page_3.json")]
    )
    assert res.exit_code == 0, res.output
    doc = json.loads(res.stdout)
    assert [t["nct_id"] for t in doc["imported"]] == ["NCT09100005"]
    assert doc["failed"] == []


def test_import_bad_files_are_named_and_nothing_half_written(
    app: typer.Typer, data_dir: Path, tmp_path: Path
) -> None:
    bad_page = tmp_path / "bad_page.json"
    good = json.loads((FIXTURES / "page_1.json").read_text())
    good["studies"].append({"nope": True})  # the 3rd entry is not a study
    bad_page.write_text(json.dumps(good))
    res = runner.invoke(
        app,
        [
            "trials",
            "import",
            str(FIXTURES / "truncated.json"),
            str(bad_page),
            str(FIXTURES / "study_no_nct.json"),
            str(FIXTURES / "study_minimal.json"),
            str(tmp_path / "missing.json"),
        ],
    )
    assert res.exit_code == 1
    err = res.stderr
    assert "truncated.json: not valid JSON" in err
    assert "bad_page.json / studies[2]: entry is not a study" in err
    assert "study_no_nct.json" in err and "study has no NCT id" in err
    assert "missing.json: cannot read" in err
    assert "1 trial(s) imported from 1 file(s); 4 file(s) failed." in res.stdout
    # the bad page wrote none of its (valid) first two studies; no temp files anywhere
    assert TrialStore(data_dir).ids() == ["NCT09000002"]
    assert [p.name for p in (data_dir / "registry").iterdir()] == ["NCT09000002.json"]


def test_import_into_explicit_data_dir(app: typer.Typer, tmp_path: Path) -> None:
    target = tmp_path / "elsewhere"
    res = runner.invoke(
        app, ["trials", "import", "--data-dir", str(target), str(FIXTURES / "page_3.json")]
    )
    assert res.exit_code == 0, res.output
    assert (target / "registry" / "NCT09100005.json").is_file()


# --------------------------------------------------------------------------- sync


def test_sync_pages_through_the_fake_registry(
    app: typer.Typer, data_dir: Path, fake: object
) -> None:
    fake.plan["tok-page-2"] = [fake_registry.Failure(500)]  # type: ignore[attr-defined]
    res = runner.invoke(
        app,
        [
            "trials",
            "sync",
            "--query",
            "CAR-T",
            "--condition",
            "lupus",
            "--since",
            "2024-01-01",
            "--base-url",
            fake.base_url,  # type: ignore[attr-defined]
            "--page-size",
            "2",
            "--backoff",
            "0.01",
        ],
    )
    assert res.exit_code == 0, res.output
    assert "3 page(s): 5 new, 0 updated, 0 unchanged, 0 invalid" in res.stdout
    assert "alerts: 0 newly open trials, 0 digests (0 alerts) queued (first run" in res.stdout
    assert "retry 1" in res.stderr
    assert len(TrialStore(data_dir).ids()) == 5
    first = fake.requests[0][1]  # type: ignore[attr-defined]
    assert first["query.term"] == "CAR-T" and first["query.cond"] == "lupus"
    assert first["filter.advanced"] == "AREA[LastUpdatePostDate]RANGE[2024-01-01,MAX]"
    # a second sync finds nothing new
    res = runner.invoke(app, ["trials", "sync", "--query", "CAR-T", "--base-url", fake.base_url])  # type: ignore[attr-defined]
    assert res.exit_code == 0, res.output
    assert "0 new, 0 updated, 5 unchanged" in res.stdout


def test_sync_failure_reports_where_to_resume(
    app: typer.Typer, data_dir: Path, fake: object
) -> None:
    fake.plan["tok-page-3"] = [fake_registry.Failure(503)] * 5  # type: ignore[attr-defined]
    args = [
        "trials",
        "sync",
        "--query",
        "x",
        "--base-url",
        fake.base_url,
        "--page-size",
        "2",
        "--backoff",
        "0",
        "--retries",
        "1",
    ]  # type: ignore[attr-defined]
    res = runner.invoke(app, args)
    assert res.exit_code == 1
    assert "resume with --page-token tok-page-3" in res.stderr
    assert "2 page(s): 4 new" in res.stdout
    fake.plan["tok-page-3"] = []  # type: ignore[attr-defined]
    res = runner.invoke(app, [*args, "--page-token", "tok-page-3"])
    assert res.exit_code == 0, res.output
    assert "1 page(s): 1 new" in res.stdout
    assert len(TrialStore(data_dir).ids()) == 5


def test_sync_needs_a_filter_and_a_valid_date(app: typer.Typer, data_dir: Path) -> None:
    res = runner.invoke(app, ["trials", "sync"])
    assert res.exit_code == 2 and "give --query" in res.stderr
    res = runner.invoke(app, ["trials", "sync", "--since", "last week"])
    assert res.exit_code == 2 and "is not a date" in res.stderr


# --------------------------------------------------------------------------- draft


def test_draft_from_the_store_writes_a_valid_protocol(
    app: typer.Typer, data_dir: Path, tmp_path: Path
) -> None:
    assert (
        runner.invoke(app, ["trials", "import", str(FIXTURES / "study_full.json")]).exit_code == 0
    )
    res = runner.invoke(app, ["trials", "draft", "nct09000001"])
    assert res.exit_code == 0, res.output
    target = tmp_path / "trials" / "NCT09000001.yaml"
    assert target.is_file()
    protocol = load_protocol(target)
    assert protocol.nct_id == "NCT09000001"
    assert all(
        n.review is not None and n.review.value == "auto" for n in protocol.criteria.inclusion
    )
    assert all(n.confidence is not None for n in protocol.criteria.exclusion)
    text = target.read_text()
    assert text.startswith("# Draft protocol for NCT09000001")
    # a second draft does not overwrite a (possibly reviewed) file without --force
    res = runner.invoke(app, ["trials", "draft", "NCT09000001"])
    assert res.exit_code == 2 and "use --force" in res.stderr
    res = runner.invoke(app, ["trials", "draft", "NCT09000001", "--force"])
    assert res.exit_code == 0, res.output


def test_draft_from_file_to_output_and_stdout(
    app: typer.Typer, data_dir: Path, tmp_path: Path
) -> None:
    out = tmp_path / "out" / "draft.yaml"
    res = runner.invoke(
        app,
        [
            "trials",
            "draft",
            "NCT09100003",
            "--from",
            str(FIXTURES / "page_2.json"),
            "--output",
            str(out),
        ],
    )
    assert res.exit_code == 0, res.output
    doc = yaml.safe_load(out.read_text())
    kinds = {c["kind"] for c in doc["criteria"]["inclusion"]}
    assert {"condition", "score"} <= kinds
    res = runner.invoke(
        app, ["trials", "draft", "NCT09100004", "--from", str(FIXTURES / "page_2.json"), "--stdout"]
    )
    assert res.exit_code == 0, res.output
    assert yaml.safe_load(res.stdout)["trial"]["nct_id"] == "NCT09100004"


def test_draft_errors_are_clear(app: typer.Typer, data_dir: Path) -> None:
    res = runner.invoke(app, ["trials", "draft", "NCT00000000"])
    assert res.exit_code == 2 and "no imported record for NCT00000000" in res.stderr
    res = runner.invoke(
        app, ["trials", "draft", "NCT00000000", "--from", str(FIXTURES / "page_1.json")]
    )
    assert res.exit_code == 2 and "NCT00000000 is not in the file" in res.stderr


def test_the_real_cartrial_command_has_the_registry_subcommands() -> None:
    from cartrial.cli.main import app as real_app

    res = runner.invoke(real_app, ["trials", "--help"])
    assert res.exit_code == 0, res.output
    for name in ("list", "show", "lint", "import", "sync", "draft"):
        assert name in res.stdout


# --------------------------------------------------------------------------- criteria parse


def test_criteria_parse_text_file_json(app: typer.Typer, tmp_path: Path) -> None:
    f = tmp_path / "criteria.txt"
    f.write_text(
        "Inclusion Criteria:\n1. ANC ≥ 1.5 × 10^9/L\n\nExclusion Criteria:\n1. Live vaccine within 4 weeks before screening\n"
    )
    res = runner.invoke(app, ["criteria", "parse", str(f)])
    assert res.exit_code == 0, res.output
    nodes = json.loads(res.stdout)
    anc = nodes[0]
    assert anc["section"] == "inclusion" and anc["kind"] == "measurement"
    assert (anc["concept"], anc["comparator"], anc["value"], anc["unit"]) == (
        "anc",
        ">=",
        1.5,
        "10*9/L",
    )
    assert f.read_text()[anc["span"][0] : anc["span"][1]] == anc["text"]
    vac = nodes[1]
    assert vac["section"] == "exclusion" and vac["window"]["amount"] == 4


def test_criteria_parse_stdin_yaml(app: typer.Typer) -> None:
    res = runner.invoke(
        app,
        ["criteria", "parse", "-", "--format", "yaml"],
        input="Exclusion Criteria:\n- HIV antibody positive\n",
    )
    assert res.exit_code == 0, res.output
    nodes = yaml.safe_load(res.stdout)
    assert nodes[0]["kind"] == "serology" and nodes[0]["concept"] == "hiv_ab"


def test_criteria_parse_study_json_and_tree(app: typer.Typer) -> None:
    res = runner.invoke(app, ["criteria", "parse", str(FIXTURES / "page_1.json")])
    assert res.exit_code == 0, res.output
    doc = json.loads(res.stdout)
    assert [d["nct_id"] for d in doc] == ["NCT09100001", "NCT09100002"]
    assert any(n["kind"] == "age" for n in doc[0]["nodes"])
    res = runner.invoke(app, ["criteria", "parse", str(FIXTURES / "study_full.json"), "--tree"])
    assert res.exit_code == 0, res.output
    tree = json.loads(res.stdout)
    assert tree[0]["nct_id"] == "NCT09000001"
    assert tree[0]["tree"]["inclusion"][0]["node"]["kind"] == "age"


def test_criteria_parse_bad_input(app: typer.Typer, tmp_path: Path) -> None:
    res = runner.invoke(app, ["criteria", "parse", str(tmp_path / "nope.txt")])
    assert res.exit_code == 2 and "cannot read" in res.stderr
    res = runner.invoke(app, ["criteria", "parse", str(FIXTURES / "not_a_study.json")])
    assert res.exit_code == 2 and "not a ClinicalTrials.gov API v2 study" in res.stderr
    res = runner.invoke(app, ["criteria", "parse", "-", "--format", "xml"], input="x")
    assert res.exit_code == 2 and "--format" in res.stderr
    empty = tmp_path / "empty.txt"
    empty.write_text("")
    res = runner.invoke(app, ["criteria", "parse", str(empty)])
    assert res.exit_code == 0 and json.loads(res.stdout) == []
    assert "empty eligibility text" in res.stderr


def test_main_app_has_criteria_parse() -> None:
    from cartrial.cli.main import app as main_app

    res = runner.invoke(
        main_app, ["criteria", "parse", "-"], input="Inclusion Criteria:\n1. Aged 18 to 65 years\n"
    )
    assert res.exit_code == 0, res.output
    assert json.loads(res.stdout)[0]["kind"] == "age"


def test_draft_lists_every_stretch_the_parser_did_not_read(
    app: typer.Typer, data_dir: Path, tmp_path: Path
) -> None:
    page = json.loads((FIXTURES / "page_2.json").read_text())
    study = page["studies"][0]
    study["protocolSection"]["eligibilityModule"]["eligibilityCriteria"] = (
        "Inclusion Criteria:\n\n* mRSS >= 15\n* Frobnitz index >= 6\n"
        "* Willing to sing the national anthem at every visit\n\n"
        "Exclusion Criteria:\n\n* Mean pulmonary artery pressure > 45 mmHg\n"
    )
    src = tmp_path / "one.json"
    src.write_text(json.dumps(study))
    nct = study["protocolSection"]["identificationModule"]["nctId"]
    out = tmp_path / "draft.yaml"
    res = runner.invoke(app, ["trials", "draft", nct, "--from", str(src), "--output", str(out)])
    assert res.exit_code == 0, res.output
    header = [line for line in out.read_text().splitlines() if line.startswith("#")]
    unread = [line for line in header if line.startswith("#   ")]
    assert any("Frobnitz index >= 6" in line for line in unread), header
    assert any("national anthem" in line for line in unread), header
    assert not any("mRSS" in line for line in unread), header
    assert f"{len(unread)} stretch(es) not read" in res.stdout
