"""The engage repositories on SQLite and PostgreSQL (migrated by Alembic): contact requests,
the outbox through an SMTP outage, volunteers (delete leaves nothing), idempotent alerts,
notes and share-link lockout."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from email.message import EmailMessage
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.orm import Session, sessionmaker

from cartrial.domain.trial import Site, Trial
from cartrial.engage.alerts import run_alerts
from cartrial.engage.contact import ContactInput, ContactRequests
from cartrial.engage.mail import Mail, Outbox, SmtpSender, parse_smtp_url
from cartrial.engage.notes import Notes
from cartrial.engage.privacy import export_for, purge
from cartrial.engage.service import Engage
from cartrial.engage.volunteers import VolunteerInput, Volunteers
from cartrial.persistence.db import make_engine, session_factory
from tests.web.engage.conftest import Clock, engage_settings, start_engage
from tests.web.engage.smtp import SmtpServer, body
from tests.web.helpers import ADMIN_PASSWORD, csrf_of, login

T0 = datetime(2026, 11, 22, 9, 0, tzinfo=UTC)
SECRET = "backend-test-secret"


@pytest.fixture
def sessions(migrated_url: str) -> Iterator[sessionmaker[Session]]:
    engine = make_engine(migrated_url)
    try:
        yield session_factory(engine)
    finally:
        engine.dispose()


def _engage(smtp: SmtpServer | None, **kw: object) -> Engage:
    return Engage(settings=engage_settings(smtp, **kw), secret=SECRET)


def _trial(nct: str, *, status: str = "RECRUITING", diseases: tuple[str, ...] = ("sle",)) -> Trial:
    return Trial(
        nct_id=nct,
        title=f"CD19 CAR-T in refractory lupus ({nct})",
        status=status,
        diseases=list(diseases),
        min_age_years=18,
        max_age_years=65,
        sites=[
            Site(
                facility="Hospital A",
                city="Shenyang",
                country="China",
                latitude=41.8,
                longitude=123.43,
            )
        ],
    )


def test_contact_request_round_trip(sessions: sessionmaker[Session]) -> None:
    engage = _engage(None)
    site = Site(facility="Hospital A", city="Shenyang", country="China")
    data = ContactInput(name="Ada Example", email="ada@example.org", site="x", consent=True)
    with sessions.begin() as db:
        row = ContactRequests(db, engage).create(
            data, nct_id="NCT00000001", site=site, now=T0, client_ip="10.0.0.1"
        )
        rid = row.id
    with sessions.begin() as db:
        repo = ContactRequests(db, engage)
        row2 = repo.get(rid)
        assert row2 is not None
        assert repo.view(row2).name == "Ada Example"
        repo.update(row2, status="closed", note="done", user_id=None, username="x", now=T0)
        assert row2.closed_at == T0
        raw = db.execute(text("SELECT name_enc, email_enc FROM engage_contact_requests")).one()
        assert "Ada" not in raw[0] and "ada@" not in raw[1]
    with sessions.begin() as db:
        assert (
            export_for(db, engage, "ADA@example.org ")["contact_requests"][0]["name"]
            == "Ada Example"
        )
        r = purge(db, engage, now=T0 + timedelta(days=engage.settings.retention_days - 1))
        assert r.contact_requests == 0
        r = purge(db, engage, now=T0 + timedelta(days=engage.settings.retention_days + 1))
        assert r.contact_requests == 1
    with sessions() as db:
        assert db.execute(text("SELECT count(*) FROM engage_contact_events")).scalar() == 0


def test_outbox_survives_smtp_outage(sessions: sessionmaker[Session], smtp: SmtpServer) -> None:
    """The mail server goes down in the middle of a batch: what was sent stays sent, the rest
    waits with backoff and goes out once the server is back — each message exactly once."""
    engage = _engage(smtp)

    class GoesDownMidway(SmtpSender):
        sent = 0

        def send(self, message: EmailMessage) -> None:
            super().send(message)
            self.sent += 1
            if self.sent == 2:
                smtp.stop()  # the outage starts right after the second message

    with sessions.begin() as db:
        outbox = Outbox(db, engage.cipher)
        for i in range(5):
            outbox.queue(Mail(f"p{i}@example.org", f"m{i}", f"body {i}"), kind="t", now=T0)
    sender = GoesDownMidway(parse_smtp_url(smtp.url), timeout=3)
    report = engage.send_pending(sessions, now=T0, sender=sender)
    assert (report.sent, report.retrying, report.failed) == (2, 3, 0)
    with sessions() as db:
        rows = db.execute(
            text("SELECT status, attempts, last_error FROM engage_outbox ORDER BY id")
        ).all()
    assert [(r[0], r[1]) for r in rows] == [("sent", 1)] * 2 + [("pending", 1)] * 3
    assert all(r[2] and "@" not in r[2] for r in rows[2:])  # the error type, never an address
    smtp.start()  # back up, but the backoff is not over yet: nothing is sent early
    assert engage.send_pending(sessions, now=T0 + timedelta(seconds=30)).sent == 0
    assert engage.send_pending(sessions, now=T0 + timedelta(seconds=61)).sent == 3
    got = sorted(str(m["To"]) for m in smtp.inbox.messages)
    assert got == [f"p{i}@example.org" for i in range(5)]  # every message once
    assert body(smtp.inbox.to("p4@example.org")[0]).strip() == "body 4"
    assert engage.send_pending(sessions, now=T0 + timedelta(hours=1)).sent == 0  # nothing twice


def test_outbox_gives_up_after_max_attempts(sessions: sessionmaker[Session]) -> None:
    dead = SmtpServer()  # never started: connection refused
    engage = _engage(dead, mail_max_attempts=3)
    with sessions.begin() as db:
        Outbox(db, engage.cipher).queue(Mail("x@example.org", "s", "b"), kind="t", now=T0)
    now = T0
    for expected in ("pending", "pending", "failed"):
        engage.send_pending(sessions, now=now)
        with sessions() as db:
            assert db.execute(text("SELECT status FROM engage_outbox")).scalar() == expected
        now += timedelta(hours=7)


def _volunteer(
    db: Session, engage: Engage, email: str = "vol@example.org", travel: int | None = 1000
) -> int:
    repo = Volunteers(db, engage)
    v = repo.sign_up(
        VolunteerInput(
            email=email,
            conditions=["sle"],
            age=40,
            country="China",
            city="Beijing",
            travel_km=travel,
        ),
        known_conditions={"sle", "ssc"},
        today=date(2026, 11, 22),
        now=T0,
        base_url="http://testserver",
    )
    return v.id


def test_volunteer_delete_leaves_nothing(sessions: sessionmaker[Session]) -> None:
    engage = _engage(None)
    with sessions.begin() as db:
        vid = _volunteer(db, engage)
        repo = Volunteers(db, engage)
        v = repo.by_email("vol@example.org")
        assert v is not None and v.id == vid
        repo.confirm(v, T0 + timedelta(minutes=1))
    with sessions.begin() as db:
        run_alerts(db, [_trial("NCT00000010")], engage, now=T0 + timedelta(minutes=2))  # baseline
        run_alerts(
            db,
            [_trial("NCT00000010"), _trial("NCT00000011")],
            engage,
            now=T0 + timedelta(minutes=3),
        )
    with sessions() as db:
        counts = {
            t: db.execute(text(f"SELECT count(*) FROM {t}")).scalar()
            for t in ("engage_volunteers", "engage_alerts_sent", "engage_outbox")
        }
    assert counts == {"engage_volunteers": 1, "engage_alerts_sent": 1, "engage_outbox": 2}
    with sessions.begin() as db:
        repo = Volunteers(db, engage)
        v = repo.by_email("vol@example.org")
        assert v is not None
        repo.delete(v)
    with sessions() as db:
        left = db.execute(
            text(
                "SELECT (SELECT count(*) FROM engage_volunteers) + "
                "(SELECT count(*) FROM engage_alerts_sent) + (SELECT count(*) FROM engage_outbox)"
            )
        ).scalar()
        assert left == 0
        assert export_for(db, engage, "vol@example.org") == {
            "email": "vol@example.org",
            "contact_requests": [],
            "volunteer": None,
            "mail": [],
        }


def test_alerts_fit_and_are_idempotent(sessions: sessionmaker[Session]) -> None:
    engage = _engage(None)
    with sessions.begin() as db:
        _volunteer(db, engage, "near@example.org", travel=1000)
        _volunteer(db, engage, "far@example.org", travel=100)  # Beijing–Shenyang ≈ 630 km
        _volunteer(db, engage, "pending@example.org")  # never confirms
        repo = Volunteers(db, engage)
        for email in ("near@example.org", "far@example.org"):
            v = repo.by_email(email)
            assert v is not None
            repo.confirm(v, T0)
    base = [_trial("NCT00000020")]
    with sessions.begin() as db:
        first = run_alerts(db, base, engage, now=T0 + timedelta(hours=1))
    assert first.baseline and first.digests == 0
    new = [
        *base,
        _trial("NCT00000021"),  # fits "near" only
        _trial("NCT00000022", diseases=("systemic_sclerosis",)),  # another condition
        _trial("NCT00000023", status="COMPLETED"),  # not open
    ]
    with sessions.begin() as db:
        second = run_alerts(db, new, engage, now=T0 + timedelta(hours=2))
    assert second.new_trials == ["NCT00000021", "NCT00000022"]
    assert (second.digests, second.alerts) == (1, 1)
    with sessions.begin() as db:
        third = run_alerts(db, new, engage, now=T0 + timedelta(hours=3))
    assert (third.digests, third.alerts, third.new_trials) == (0, 0, [])
    # a closed trial that opens again is new again; the volunteer told once is not told twice
    reopened = [*new[:3], _trial("NCT00000023")]
    with sessions.begin() as db:
        fourth = run_alerts(db, reopened, engage, now=T0 + timedelta(hours=4))
    assert fourth.new_trials == ["NCT00000023"] and (fourth.digests, fourth.alerts) == (1, 1)
    with sessions() as db:
        sent = (
            db.execute(text("SELECT nct_id FROM engage_alerts_sent ORDER BY nct_id"))
            .scalars()
            .all()
        )
        mails = db.execute(
            text("SELECT count(*) FROM engage_outbox WHERE kind = 'alert_digest'")
        ).scalar()
    assert list(sent) == ["NCT00000021", "NCT00000023"] and mails == 2


def test_share_link_lockout_and_expiry(sessions: sessionmaker[Session]) -> None:
    engage = _engage(None, share_max_attempts=3, share_lock_seconds=60)
    with sessions.begin() as db:
        notes = Notes(db, engage)
        nb = notes.notebook(user_id=None, cookie_key="k" * 43, create=True)
        assert nb is not None
        notes.add(
            nb,
            nct_id="NCT1",
            exact="CD19",
            prefix="a ",
            suffix=" b",
            body="ask about CD19",
            protocol_version="",
            now=T0,
        )
        _, token, code = notes.share(
            nb, nct_id="NCT1", passcode="open-sesame", expires_days=7, now=T0
        )
    assert code == "open-sesame"
    with sessions.begin() as db:
        raw = db.execute(text("SELECT token_hash, passcode_hash FROM engage_shares")).one()
        assert token not in raw[0] and raw[1].startswith("$argon2id$") and code not in raw[1]
        body_enc = db.execute(text("SELECT body_enc FROM engage_notes")).scalar_one()
        assert "CD19" not in body_enc
    outcomes = []
    for _ in range(3):
        with sessions.begin() as db:
            outcomes.append(Notes(db, engage).open_share(token, "wrong-guess", T0).status)
    assert outcomes == ["wrong", "wrong", "locked"]
    with sessions.begin() as db:  # locked: even the right passcode is refused
        assert (
            Notes(db, engage).open_share(token, code, T0 + timedelta(seconds=59)).status == "locked"
        )
    with sessions.begin() as db:
        ok = Notes(db, engage).open_share(token, code, T0 + timedelta(seconds=61))
        assert ok.status == "ok" and [n.body for n in ok.notes] == ["ask about CD19"]
    with sessions.begin() as db:  # the second lock lasts twice as long
        for _ in range(3):
            last = Notes(db, engage).open_share(token, "nope", T0 + timedelta(seconds=62))
        assert last.locked_until == T0 + timedelta(seconds=62 + 120)
    with sessions.begin() as db:
        assert Notes(db, engage).open_share(token, code, T0 + timedelta(days=8)).status == "gone"
        assert Notes(db, engage).open_share("not-a-token", code, T0).status == "gone"


def test_contact_over_http_on_each_backend(
    db_url: str, tmp_path: Path, smtp: SmtpServer, clock: Clock
) -> None:
    """The whole web path (form → encrypted row → mail → inbox) on SQLite and PostgreSQL."""
    import re

    nct = "NCT07193667"
    for env in start_engage(tmp_path, smtp, clock, database_url=db_url):
        page = env.client.get(f"/trials/{nct}/contact")
        key = re.search(r'<option value="([0-9a-f]{16})"', page.text)
        assert key
        r = env.client.post(
            f"/trials/{nct}/contact",
            data={
                "name": "Olu Backend",
                "email": "olu@example.org",
                "site": key.group(1),
                "consent": "yes",
                "csrf_token": csrf_of(env.client, f"/trials/{nct}/contact"),
            },
            follow_redirects=False,
        )
        assert r.status_code == 303, r.text
        assert smtp.inbox.wait_for("olu@example.org")
        login(env.client, "admin", ADMIN_PASSWORD)
        assert "Olu Backend" in env.client.get("/workspace/inbox").text
        with env.sessions() as db:
            assert db.execute(text("SELECT count(*) FROM engage_contact_requests")).scalar() == 1


def test_purge_unconfirmed_volunteers_and_old_mail(sessions: sessionmaker[Session]) -> None:
    engage = _engage(None)
    with sessions.begin() as db:
        _volunteer(db, engage, "never@example.org")  # queues its confirmation mail
        kept = _volunteer(db, engage, "kept@example.org")
        repo = Volunteers(db, engage)
        v = repo.by_email("kept@example.org")
        assert v is not None
        repo.confirm(v, T0)
        db.execute(text("UPDATE engage_outbox SET status = 'sent'"))
    with sessions.begin() as db:
        early = purge(db, engage, now=T0 + timedelta(days=6))
    assert (early.unconfirmed_volunteers, early.sent_mail) == (0, 0)
    with sessions.begin() as db:
        late = purge(db, engage, now=T0 + timedelta(days=31))
    assert (late.unconfirmed_volunteers, late.sent_mail) == (1, 2)
    with sessions() as db:
        ids = db.execute(text("SELECT id FROM engage_volunteers")).scalars().all()
        assert list(ids) == [kept]
        assert db.execute(text("SELECT count(*) FROM engage_outbox")).scalar() == 0
