"""Volunteer sign-up (double opt-in, manage, one-click unsubscribe, delete) and private notes
with share links, through the real app and a real SMTP server."""

from __future__ import annotations

import re

from sqlalchemy import text

from cartrial.services.bundled_protocols import load_protocols
from tests.web.engage.conftest import EngageEnv
from tests.web.engage.smtp import SmtpServer, body
from tests.web.helpers import csrf_of

NCT = sorted(load_protocols())[0]
LINK = re.compile(r"http://testserver(/volunteer/(?:confirm|manage|unsubscribe)/[^\s]+)")


def _links(text_: str) -> dict[str, str]:
    return {m.split("/")[2]: m for m in LINK.findall(text_)}


def _sign_up(env: EngageEnv, email: str = "vera.volunteer@example.org") -> object:
    return env.client.post(
        "/volunteer",
        data={
            "email": email,
            "conditions": ["sle"],
            "age": "44",
            "country": "China",
            "city": "Beijing",
            "travel_km": "1000",
            "csrf_token": csrf_of(env.client, "/volunteer"),
        },
    )


def test_double_opt_in_manage_unsubscribe_delete(eng: EngageEnv, smtp: SmtpServer) -> None:
    r = _sign_up(eng)
    assert r.status_code == 200 and "Check your email" in r.text  # type: ignore[attr-defined]
    msg = smtp.inbox.wait_for("vera.volunteer@example.org")[0]
    assert msg["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    links = _links(body(msg))
    assert set(links) == {"confirm", "manage", "unsubscribe"}
    with eng.sessions() as db:
        assert db.execute(text("SELECT status FROM engage_volunteers")).scalar() == "pending"
    page = eng.client.get(links["confirm"])
    assert "Your sign-up is confirmed" in page.text and "Beijing" in page.text
    assert "Systemic lupus erythematosus" in page.text
    with eng.sessions() as db:
        assert db.execute(text("SELECT status FROM engage_volunteers")).scalar() == "confirmed"
    # change: travel distance
    manage = links["manage"]
    r2 = eng.client.post(
        manage,
        data={
            "email": "vera.volunteer@example.org",
            "conditions": ["sle", "ssc"],
            "age": "44",
            "country": "China",
            "city": "Shenyang",
            "travel_km": "",
            "csrf_token": csrf_of(eng.client, manage),
        },
    )
    assert r2.status_code == 200 and "Shenyang" in r2.text and ">any<" in r2.text
    # one-click unsubscribe (RFC 8058) as a mail client does it: POST, no page, no CSRF
    one_click = str(msg["List-Unsubscribe"]).strip("<>").replace("http://testserver", "")
    assert eng.client.post(one_click).status_code == 204
    with eng.sessions() as db:
        assert db.execute(text("SELECT status FROM engage_volunteers")).scalar() == "unsubscribed"
    # delete: gone, and so are its mails
    r3 = eng.client.post(manage + "/delete", data={"csrf_token": csrf_of(eng.client, manage)})
    assert "Deleted" in r3.text
    with eng.sessions() as db:
        for table in ("engage_volunteers", "engage_outbox", "engage_alerts_sent"):
            assert db.execute(text(f"SELECT count(*) FROM {table}")).scalar() == 0, table
    assert eng.client.get(manage).status_code == 404


def test_expired_or_forged_links_refused(eng: EngageEnv, smtp: SmtpServer) -> None:
    _sign_up(eng)
    links = _links(body(smtp.inbox.wait_for("vera.volunteer@example.org")[0]))
    forged = links["confirm"][:-3] + "abc"
    r = eng.client.get(forged)
    assert r.status_code == 404 and "not valid" in r.text
    assert eng.client.get(links["manage"].replace("manage", "confirm")).status_code == 404
    eng.clock.advance(hours=48, seconds=1)  # past CONFIRM_MAX_AGE_SECONDS
    r = eng.client.get(links["confirm"])
    assert r.status_code == 404 and "expired" in r.text
    with eng.sessions() as db:
        assert db.execute(text("SELECT status FROM engage_volunteers")).scalar() == "pending"


def test_volunteer_form_names_bad_fields(eng: EngageEnv) -> None:
    r = eng.client.post(
        "/volunteer",
        data={
            "email": "x",
            "age": "300",
            "country": "Atlantis",
            "city": "",
            "csrf_token": csrf_of(eng.client, "/volunteer"),
        },
    )
    assert r.status_code == 422
    for word in ("email", "conditions", "age", "country", "city"):
        assert f"{word}:" in r.text, word
    with eng.sessions() as db:
        assert db.execute(text("SELECT count(*) FROM engage_volunteers")).scalar() == 0


def _headers(env: EngageEnv) -> dict[str, str]:
    return {"X-CSRF-Token": csrf_of(env.client, "/volunteer")}


def test_notes_private_to_their_notebook_and_shared_by_passcode(eng: EngageEnv) -> None:
    h = _headers(eng)
    note = {"exact": "Inclusion", "prefix": "", "suffix": " Criteria", "body": "ask Dr. Lee"}
    r = eng.client.post(f"/notes/{NCT}", json=note, headers=h)
    assert r.status_code == 201, r.text
    assert "cartrial_notebook" in r.headers.get("set-cookie", "")
    assert [n["body"] for n in eng.client.get(f"/notes/{NCT}").json()["notes"]] == ["ask Dr. Lee"]
    assert "ask Dr. Lee" in eng.client.get("/notes-export").text
    # another browser sees nothing of it
    cookie = eng.client.cookies.get("cartrial_notebook")
    eng.client.cookies.delete("cartrial_notebook")
    assert eng.client.get(f"/notes/{NCT}").json()["notes"] == []
    eng.client.cookies.set("cartrial_notebook", cookie or "")
    bad = eng.client.post(f"/notes/{NCT}", json={**note, "body": ""}, headers=h)
    assert bad.status_code == 422 and "body" in bad.json()["detail"]
    no_csrf = eng.client.post(f"/notes/{NCT}", json=note)
    assert no_csrf.status_code == 403
    share = eng.client.post(
        f"/notes/{NCT}/share", json={"passcode": "", "expires_days": 3}, headers=h
    )
    assert share.status_code == 201
    url, code = share.json()["url"], share.json()["passcode"]
    assert len(code) == 10 and len(url.rsplit("/", 1)[1]) >= 43  # 256-bit token
    path = url.replace("http://testserver", "")
    form = csrf_of(eng.client, path)
    wrong = eng.client.post(path, data={"passcode": "guess-one", "csrf_token": form})
    assert wrong.status_code == 401 and "4 tries left" in wrong.text
    for _ in range(4):
        last = eng.client.post(path, data={"passcode": "guess", "csrf_token": form})
    assert last.status_code == 423
    assert eng.client.post(path, data={"passcode": code, "csrf_token": form}).status_code == 423
    eng.clock.advance(seconds=301)
    ok = eng.client.post(path, data={"passcode": code, "csrf_token": form})
    assert ok.status_code == 200 and "Shared notes" in ok.text and "ask Dr. Lee" in ok.text
    sid = share.json()["id"]
    assert eng.client.post(f"/notes/shares/{sid}/revoke", headers=h).status_code == 204
    assert eng.client.get(path).status_code == 404
