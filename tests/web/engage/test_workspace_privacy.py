"""Site-scoped inbox, the outbox without SMTP (the embedded default), the privacy export,
notebooks of signed-in users and the ``cartrial mail`` commands."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text
from typer.testing import CliRunner

from cartrial.cli.main import app as cli_app
from cartrial.persistence.repositories import Sites, Users
from tests.web.engage.conftest import Clock, EngageEnv, start_engage
from tests.web.engage.smtp import SmtpServer, body
from tests.web.helpers import ADMIN_PASSWORD, PASSWORD, csrf_of, login

NCT = "NCT07193667"


def _contact(env: EngageEnv, email: str = "ines@example.org") -> None:
    page = env.client.get(f"/trials/{NCT}/contact")
    key = re.search(r'<option value="([0-9a-f]{16})"', page.text)
    assert key
    r = env.client.post(
        f"/trials/{NCT}/contact",
        data={
            "name": "Ines Sample",
            "email": email,
            "site": key.group(1),
            "consent": "yes",
            "csrf_token": csrf_of(env.client, f"/trials/{NCT}/contact"),
        },
        follow_redirects=False,
    )
    assert r.status_code == 303, r.text


@pytest.fixture
def offline(tmp_path: Path, clock: Clock) -> Iterator[EngageEnv]:
    """No SMTP_URL: mail waits in the outbox."""
    yield from start_engage(tmp_path, None, clock)


def test_inbox_is_scoped_to_the_coordinators_site(eng: EngageEnv) -> None:
    with eng.sessions.begin() as db:
        facility = "The First Affiliated Hospital of China Medical University"
        here = Sites(db).create(facility)
        other = Sites(db).create("Elsewhere Hospital")
        Users(db).create("coord_here", PASSWORD, "coordinator", site_id=here.id)
        Users(db).create("coord_other", PASSWORD, "coordinator", site_id=other.id)
    _contact(eng)
    login(eng.client, "coord_here")
    assert "Ines Sample" in eng.client.get("/workspace/inbox").text
    assert eng.client.get("/workspace/inbox/1").status_code == 200
    eng.client.cookies.clear()
    login(eng.client, "coord_other")
    assert "Ines Sample" not in eng.client.get("/workspace/inbox").text
    assert eng.client.get("/workspace/inbox/1").status_code == 404
    assert eng.client.get("/workspace/outbox").status_code == 403  # administrators only


def test_without_smtp_mail_waits_in_the_admin_outbox(offline: EngageEnv) -> None:
    _contact(offline)
    login(offline.client, "admin", ADMIN_PASSWORD)
    page = offline.client.get("/workspace/outbox")
    assert "No <code>SMTP_URL</code> is set" in page.text
    assert "ines@example.org" in page.text and "2 messages waiting" in page.text
    assert "Your request about trial" in page.text


def test_privacy_export_is_mailed_to_the_address(eng: EngageEnv, smtp: SmtpServer) -> None:
    _contact(eng)
    r = eng.client.post(
        "/privacy/export",
        data={"email": "INES@example.org", "csrf_token": csrf_of(eng.client, "/privacy")},
    )
    assert r.status_code == 200 and "a copy is on its way" in r.text
    export = [
        m for m in smtp.inbox.wait_for("INES@example.org") if "Your data" in str(m["Subject"])
    ]
    assert '"name": "Ines Sample"' in body(export[0])
    bad = eng.client.post(
        "/privacy/export", data={"email": "nope", "csrf_token": csrf_of(eng.client, "/privacy")}
    )
    assert bad.status_code == 422 and "email:" in bad.text


def test_signed_in_users_keep_notes_on_their_account(eng: EngageEnv) -> None:
    login(eng.client, "admin", ADMIN_PASSWORD)
    h = {"X-CSRF-Token": csrf_of(eng.client, "/privacy")}
    note = {"exact": "Inclusion", "prefix": "", "suffix": "", "body": "check with the PI"}
    r = eng.client.post(f"/notes/{NCT}", json=note, headers=h)
    assert r.status_code == 201 and "cartrial_notebook" not in r.headers.get("set-cookie", "")
    with eng.sessions() as db:
        assert db.execute(text("SELECT user_id FROM engage_notebooks")).scalar() is not None


def test_mail_commands(
    eng: EngageEnv, smtp: SmtpServer, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    s = eng.app.state.cartrial.settings
    for k, v in {
        "DATABASE_URL": s.database_url,
        "SECRET_KEY": s.secret_key.get_secret_value(),
        "VAR_DIR": str(s.var_dir),
        "SMTP_URL": smtp.url,
    }.items():
        monkeypatch.setenv(k, v)
    runner = CliRunner()
    r = runner.invoke(cli_app, ["mail", "export", "someone@example.org"])
    assert r.exit_code == 0 and "export queued" in r.output
    assert smtp.inbox.wait_for("someone@example.org")
    r = runner.invoke(cli_app, ["mail", "export", "not-an-address"])
    assert r.exit_code == 2 and "EMAIL" in r.output
    r = runner.invoke(cli_app, ["mail", "send-pending"])
    assert r.exit_code == 0 and "sent 0" in r.output
    r = runner.invoke(cli_app, ["mail", "purge"])
    assert r.exit_code == 0 and "deleted:" in r.output
    monkeypatch.setenv("SMTP_URL", "ftp://wrong")
    with eng.sessions.begin() as db:
        db.execute(text("UPDATE engage_outbox SET status = 'pending'"))
    r = runner.invoke(cli_app, ["mail", "send-pending"])
    assert r.exit_code == 2 and "scheme" in r.output
    monkeypatch.delenv("SMTP_URL")
    r = runner.invoke(cli_app, ["mail", "send-pending"])
    assert r.exit_code == 0 and "SMTP_URL is not set" in r.output
