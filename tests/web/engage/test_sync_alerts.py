"""``cartrial trials sync`` runs the volunteer alerts once its records are written: a local
fake registry (127.0.0.1) stands in for ClinicalTrials.gov, a real SMTP server (aiosmtpd)
receives the digests, the volunteer signs up and confirms through the real app."""

from __future__ import annotations

import copy
import importlib.util
import re
import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from typer.testing import CliRunner

from cartrial.cli.main import app as cli_app
from tests.web.engage.conftest import Clock, EngageEnv, start_engage
from tests.web.engage.smtp import SmtpServer, body
from tests.web.helpers import csrf_of

FAKE = Path(__file__).resolve().parents[2] / "fixtures" / "ctgov" / "fake_registry.py"
EMAIL = "erlangen.volunteer@example.org"
SUBJECT = "new CAR-cell"


def _load_fake() -> ModuleType:
    spec = importlib.util.spec_from_file_location("ctgov_fake_registry_alerts", FAKE)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


fake_registry = _load_fake()


def study(
    nct: str,
    title: str,
    site: tuple[str, str, float, float] = ("Erlangen", "Germany", 49.59, 11.01),
) -> dict[str, Any]:
    """A recruiting lupus CAR-T study for adults with one site (Erlangen unless given)."""
    city, country, lat, lon = site
    return {
        "protocolSection": {
            "identificationModule": {"nctId": nct, "briefTitle": title},
            "statusModule": {"overallStatus": "RECRUITING"},
            "conditionsModule": {"conditions": ["Systemic Lupus Erythematosus"]},
            "eligibilityModule": {"minimumAge": "18 Years", "maximumAge": "70 Years"},
            "contactsLocationsModule": {
                "locations": [
                    {
                        "facility": f"University hospital {city}",
                        "city": city,
                        "country": country,
                        "status": "RECRUITING",
                        "geoPoint": {"lat": lat, "lon": lon},
                    }
                ]
            },
        }
    }


FIRST = study("NCT09990101", "CD19 CAR-T in refractory lupus (first)")
SECOND = study("NCT09990102", "CD19 CAR-T in refractory lupus (second)")
THIRD = study("NCT09990103", "BCMA CAR-T in refractory lupus (third)")
FAR = study("NCT09990104", "CD19 CAR-T in lupus, Shanghai", ("Shanghai", "China", 31.22, 121.46))


@pytest.fixture
def eng(tmp_path: Path, smtp: SmtpServer) -> Iterator[EngageEnv]:
    # the CLI stamps with the real clock: the volunteer confirms "now" too
    yield from start_engage(tmp_path, smtp, Clock(datetime.now(UTC)))


@pytest.fixture
def registry() -> Iterator[Any]:
    with fake_registry.serve(fake_registry.FakeRegistry(pages={None: _page(FIRST)})) as fake:
        yield fake


def _page(*studies: dict[str, Any]) -> dict[str, Any]:
    return {"studies": [copy.deepcopy(s) for s in studies], "totalCount": len(studies)}


def _confirmed_volunteer(eng: EngageEnv, smtp: SmtpServer) -> None:
    r = eng.client.post(
        "/volunteer",
        data={
            "email": EMAIL,
            "conditions": ["sle"],
            "age": "44",
            "country": "Germany",
            "city": "Nürnberg",  # Erlangen is 17 km away
            "travel_km": "50",
            "csrf_token": csrf_of(eng.client, "/volunteer"),
        },
    )
    assert r.status_code == 200 and "Check your email" in r.text
    link = re.search(
        r"http://testserver(/volunteer/confirm/\S+)", body(smtp.inbox.wait_for(EMAIL)[0])
    )
    assert link
    assert "Your sign-up is confirmed" in eng.client.get(link.group(1)).text


def _cli(eng: EngageEnv, smtp: SmtpServer, mp: pytest.MonkeyPatch, *args: str) -> Any:
    s = eng.app.state.cartrial.settings
    env = {
        "DATABASE_URL": s.database_url,
        "SECRET_KEY": s.secret_key.get_secret_value(),
        "VAR_DIR": str(s.var_dir),
        "CARTRIAL_DATA_DIR": str(s.var_dir),  # where sync writes = where the app reads
        "SMTP_URL": smtp.url,
        "MAIL_FROM": "cartrial <noreply@cartrial.test>",
        "PUBLIC_BASE_URL": "http://testserver",
    }
    for k, v in env.items():
        mp.setenv(k, v)
    return CliRunner().invoke(cli_app, list(args))


def _digests(smtp: SmtpServer) -> list[str]:
    return [body(m) for m in smtp.inbox.to(EMAIL) if SUBJECT in str(m["Subject"])]


def test_sync_alerts_volunteers_about_new_fitting_trials(
    eng: EngageEnv, smtp: SmtpServer, registry: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    _confirmed_volunteer(eng, smtp)
    sync = ["trials", "sync", "--query", "lupus", "--base-url", registry.base_url, "--retries", "0"]
    first = _cli(eng, smtp, monkeypatch, *sync)
    assert first.exit_code == 0, first.output
    assert "1 new" in first.stdout
    assert "alerts: " in first.stdout and "first run: the current trials are the baseline" in (
        first.stdout
    )
    assert _digests(smtp) == []  # the baseline mails nobody

    registry.pages[None] = _page(FIRST, SECOND, FAR)
    second = _cli(eng, smtp, monkeypatch, *sync)
    assert second.exit_code == 0, second.output
    assert "2 new, 0 updated, 1 unchanged" in second.stdout
    # two newly open trials; the one in Shanghai is beyond the volunteer's 50 km
    assert "alerts: 2 newly open trials, 1 digests (1 alerts) queued" in second.stdout
    smtp.inbox.wait_for(EMAIL, 2)  # the confirmation, then the digest (sent by the sync)
    (digest,) = _digests(smtp)
    assert "NCT09990102" in digest and "CD19 CAR-T in refractory lupus (second)" in digest
    assert "NCT09990101" not in digest and "NCT09990104" not in digest

    again = _cli(eng, smtp, monkeypatch, *sync)  # idempotent: nothing is mailed twice
    assert again.exit_code == 0 and "alerts: 0 newly open trials, 0 digests" in again.stdout
    assert len(_digests(smtp)) == 1


def test_no_alerts_leaves_them_to_alerts_run(
    eng: EngageEnv, smtp: SmtpServer, registry: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    _confirmed_volunteer(eng, smtp)
    sync = ["trials", "sync", "--query", "lupus", "--base-url", registry.base_url, "--retries", "0"]
    assert _cli(eng, smtp, monkeypatch, *sync).exit_code == 0  # the baseline
    registry.pages[None] = _page(FIRST, THIRD)
    quiet = _cli(eng, smtp, monkeypatch, *sync, "--no-alerts")
    assert quiet.exit_code == 0, quiet.output
    assert "1 new" in quiet.stdout and "alerts:" not in quiet.stdout
    assert _digests(smtp) == []
    later = _cli(eng, smtp, monkeypatch, "alerts", "run")
    assert later.exit_code == 0 and "1 digests (1 alerts)" in later.stdout, later.output
    smtp.inbox.wait_for(EMAIL, 2)
    (digest,) = _digests(smtp)
    assert "NCT09990103" in digest


def test_a_failed_alerts_run_says_the_records_are_synced(
    eng: EngageEnv, smtp: SmtpServer, registry: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    sync = ["trials", "sync", "--query", "lupus", "--base-url", registry.base_url, "--retries", "0"]
    _cli(eng, smtp, monkeypatch, "--version")  # sets the environment
    monkeypatch.setenv("DATABASE_URL", "postgresql://nobody@127.0.0.1:1/nothing")  # refused
    bad = CliRunner().invoke(cli_app, sync)
    assert bad.exit_code == 1, bad.output
    assert "the records are synced, but the volunteer alerts failed" in bad.stderr
    assert "run `cartrial alerts run` once this is fixed" in bad.stderr
    assert "Traceback" not in bad.output
    var_dir = Path(eng.app.state.cartrial.settings.var_dir)
    assert (var_dir / "registry" / "NCT09990101.json").is_file()
