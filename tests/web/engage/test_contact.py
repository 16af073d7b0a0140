"""Contact requests through the real app and a real SMTP server on 127.0.0.1."""

from __future__ import annotations

from sqlalchemy import text

from cartrial.services.bundled_protocols import load_protocols
from tests.web.engage.conftest import EngageEnv
from tests.web.engage.smtp import SmtpServer, body
from tests.web.helpers import ADMIN_PASSWORD, csrf_of, login

NCT = sorted(load_protocols())[0]
VISITOR = {
    "name": "Henrietta Quill",
    "email": "henrietta.quill@example.org",
    "phone": "+49 911 555 0142",
    "language": "German",
    "preferred_time": "morning",
    "message": "My rheumatologist suggested this trial for my lupus.",
}


def _site_key(env: EngageEnv) -> str:
    page = env.client.get(f"/trials/{NCT}/contact")
    assert page.status_code == 200
    import re

    found = re.search(r'<option value="([0-9a-f]{16})" selected', page.text)
    assert found, "no preselected site"
    return found.group(1)


def _submit(env: EngageEnv, **changes: str) -> object:
    data = {**VISITOR, "site": _site_key(env), "consent": "yes", "website": ""}
    data.update(changes)
    data["csrf_token"] = csrf_of(env.client, f"/trials/{NCT}/contact")
    return env.client.post(f"/trials/{NCT}/contact", data=data, follow_redirects=False)


def test_trial_page_offers_contact_volunteer_and_notes(eng: EngageEnv) -> None:
    page = eng.client.get(f"/trials/{NCT}")
    assert page.status_code == 200
    assert 'id="engage-contact-form"' in page.text
    assert 'href="/volunteer"' in page.text and 'id="engage-notes"' in page.text
    fragment = eng.client.get(f"/trials/{NCT}/contact", headers={"hx-request": "true"})
    assert fragment.text.lstrip().startswith("<form") and 'name="consent"' in fragment.text


def test_request_is_stored_encrypted_and_mailed(eng: EngageEnv, smtp: SmtpServer) -> None:
    r = _submit(eng)
    assert r.status_code == 303, r.text
    assert r.headers["location"].startswith(f"/contact/sent?trial={NCT}")
    sent = eng.client.get(r.headers["location"])
    assert "What happens next?" in sent.text
    mine = smtp.inbox.wait_for(VISITOR["email"])
    assert NCT in str(mine[0]["Subject"]) and "contact you via email or phone" in body(mine[0])
    notice = smtp.inbox.wait_for("coordinator@site.test")
    text_of_notice = body(notice[0])
    assert "/workspace/inbox/" in text_of_notice
    for value in VISITOR.values():  # the coordinator's notice carries no personal data
        assert value not in text_of_notice
    with eng.sessions() as db:
        row = db.execute(text("SELECT * FROM engage_contact_requests")).mappings().one()
        outbox = db.execute(text("SELECT message_enc FROM engage_outbox")).scalars().all()
    dump = " ".join(str(v) for v in row.values()) + " ".join(outbox)
    for key in ("name", "email", "phone", "message"):
        assert VISITOR[key] not in dump, f"{key} stored in clear"
    assert row["consent_version"] and "contact" in row["consent_text"]


def test_bad_input_is_named_and_nothing_stored(eng: EngageEnv) -> None:
    r = _submit(eng, email="", phone="")
    assert r.status_code == 422  # type: ignore[attr-defined]
    assert "give an email address or a phone number" in r.text  # type: ignore[attr-defined]
    r = _submit(eng, consent="")
    assert r.status_code == 422 and "consent" in r.text  # type: ignore[attr-defined]
    r = _submit(eng, email="not-an-address")
    assert r.status_code == 422 and "email: is not an email address" in r.text  # type: ignore[attr-defined]
    r = _submit(eng, message="x" * 2001)
    assert r.status_code == 422 and "message" in r.text  # type: ignore[attr-defined]
    r = _submit(eng, site="0000000000000000")
    assert r.status_code == 422 and "site: choose one" in r.text  # type: ignore[attr-defined]
    with eng.sessions() as db:
        assert db.execute(text("SELECT count(*) FROM engage_contact_requests")).scalar() == 0


def test_honeypot_answers_like_success_but_stores_nothing(eng: EngageEnv) -> None:
    r = _submit(eng, website="http://spam.example")
    assert r.status_code == 303  # type: ignore[attr-defined]
    with eng.sessions() as db:
        assert db.execute(text("SELECT count(*) FROM engage_contact_requests")).scalar() == 0
        assert db.execute(text("SELECT count(*) FROM engage_outbox")).scalar() == 0


def test_rate_limit_per_address(eng: EngageEnv) -> None:
    for _ in range(3):
        assert _submit(eng).status_code == 303  # type: ignore[attr-defined]
    r = _submit(eng)
    assert r.status_code == 429  # type: ignore[attr-defined]
    assert "this email address" in r.text  # type: ignore[attr-defined]
    eng.clock.advance(days=1, seconds=1)
    assert _submit(eng).status_code == 303  # type: ignore[attr-defined]


def test_rate_limit_per_ip(eng: EngageEnv) -> None:
    for i in range(5):
        assert _submit(eng, email=f"p{i}@example.org").status_code == 303  # type: ignore[attr-defined]
    r = _submit(eng, email="p9@example.org")
    assert r.status_code == 429 and "network address" in r.text  # type: ignore[attr-defined]


def test_inbox_status_notes_and_trail(eng: EngageEnv) -> None:
    assert _submit(eng).status_code == 303  # type: ignore[attr-defined]
    login(eng.client, "admin", ADMIN_PASSWORD)
    inbox = eng.client.get("/workspace/inbox")
    assert VISITOR["name"] in inbox.text and "new (1)" in inbox.text
    item = eng.client.get("/workspace/inbox/1")
    assert VISITOR["email"] in item.text and VISITOR["phone"] in item.text
    token = csrf_of(eng.client, "/workspace/inbox/1")
    r = eng.client.post(
        "/workspace/inbox/1",
        data={"status": "contacted", "note": "Called back, visit booked", "csrf_token": token},
        follow_redirects=False,
    )
    assert r.status_code == 303
    item = eng.client.get("/workspace/inbox/1")
    assert "new → contacted" in item.text and "Called back, visit booked" in item.text
    assert item.text.count("viewed") >= 2
    r = eng.client.post(
        "/workspace/inbox/1", data={"status": "contacted", "note": "", "csrf_token": token}
    )
    assert r.status_code == 422 and "nothing to record" in r.text
    r = eng.client.post(
        "/workspace/inbox/1", data={"status": "lost", "note": "", "csrf_token": token}
    )
    assert r.status_code == 422 and "status must be one of" in r.text
    assert "contacted (1)" in eng.client.get("/workspace/inbox").text


def test_inbox_needs_sign_in(eng: EngageEnv) -> None:
    r = eng.client.get("/workspace/inbox", follow_redirects=False)
    assert r.status_code == 303 and "/login" in r.headers["location"]


def test_prescreening_summary_attached_by_choice(eng: EngageEnv) -> None:
    summary = "Pre-screening: NEEDS DATA — SLEDAI-2K not recorded"
    token = csrf_of(eng.client, f"/trials/{NCT}/contact")
    page = eng.client.post(
        f"/trials/{NCT}/contact/prefill", data={"summary": summary, "csrf_token": token}
    )
    assert page.status_code == 200 and summary in page.text
    with eng.sessions() as db:  # prefilling stores nothing
        assert db.execute(text("SELECT count(*) FROM engage_contact_requests")).scalar() == 0
    assert _submit(eng, summary=summary).status_code == 303  # type: ignore[attr-defined]
    login(eng.client, "admin", ADMIN_PASSWORD)
    assert summary in eng.client.get("/workspace/inbox/1").text
    with eng.sessions() as db:
        stored = db.execute(text("SELECT summary_enc FROM engage_contact_requests")).scalar()
    assert stored and "SLEDAI" not in stored
