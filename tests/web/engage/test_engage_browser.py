"""The three engage journeys in headless Chromium against the real app (uvicorn in a thread),
a real SMTP server (aiosmtpd) on 127.0.0.1 and the real CLI (``cartrial alerts run``).

Every log record of the process — the app's and uvicorn's access log — is collected while the
journeys run; none may hold a personal value typed into the forms.
"""

from __future__ import annotations

import logging
import re
import shutil
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import yaml
from sqlalchemy import text
from typer.testing import CliRunner

from cartrial.cli.main import app as cli_app
from cartrial.services.bundled_protocols import load_protocols, trials_dir
from cartrial.web.app import create_app
from cartrial.web.catalog import Catalog
from cartrial.web.deps import get_now, get_today
from tests.support.browser import ARTIFACTS, free_port, serve
from tests.web.engage.conftest import Clock, engage_settings
from tests.web.engage.smtp import SmtpServer, body
from tests.web.helpers import ADMIN_PASSWORD, AS_OF, make_settings

pytestmark = pytest.mark.browser

NOTES_TRIAL = "NCT07193667"  # bundled protocol with its eligibility text
NEW_TRIAL = "NCT09990001"  # "imported" during the volunteer journey


class Collector(logging.Handler):
    def __init__(self) -> None:
        super().__init__(level=logging.DEBUG)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        if record.name.startswith("mail.log"):
            return  # the stand-in mail server's own debug log (it receives the mail, by design)
        line = f"{record.name} {record.getMessage()}"
        if record.exc_info:
            line += " " + logging.Formatter().formatException(record.exc_info)
        self.lines.append(line)


@dataclass
class Server:
    url: str
    app: Any
    clock: Clock
    smtp: SmtpServer
    trials: Path
    tmp: Path
    logs: Collector

    def db(self) -> Any:
        return self.app.state.cartrial.sessions()

    def assert_not_logged(self, *values: str) -> None:
        access = [line for line in self.logs.lines if line.startswith("uvicorn.access")]
        assert access, "the access log is not captured: the check would prove nothing"
        for value in values:
            hits = [line for line in self.logs.lines if value.casefold() in line.casefold()]
            assert not hits, f"a personal value reached the log: {hits[:2]}"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    tmp = tmp_path_factory.mktemp("engage-browser")
    trials = tmp / "trials"
    shutil.copytree(trials_dir(), trials)
    smtp = SmtpServer()
    smtp.start()
    clock = Clock(datetime.now(UTC))
    logs = Collector()
    root = logging.getLogger()
    old_level = root.level
    root.addHandler(logs)
    root.setLevel(logging.DEBUG)
    # an earlier uvicorn in this process (default log config) may have detached its loggers
    # from the root: send them to the root again for this module, restore them after
    uv_state: dict[str, tuple[bool, int, bool]] = {}
    for name in ("uvicorn", "uvicorn.access", "uvicorn.error"):
        lg = logging.getLogger(name)
        uv_state[name] = (lg.propagate, lg.level, lg.disabled)
        lg.propagate, lg.disabled = True, False
        lg.setLevel(logging.NOTSET)
    app = create_app(make_settings(tmp, trials_dir=trials), say=lambda _t: None)
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    app.state.engage_settings = engage_settings(smtp, public_base_url=url, share_lock_seconds=300)
    app.dependency_overrides[get_today] = lambda: AS_OF
    app.dependency_overrides[get_now] = clock
    try:
        # uvicorn's own logging setup off (log_config, log_level None): its access log reaches
        # the collector through the root logger
        with serve(app, port=port, log_config=None, log_level=None, access_log=True):
            yield Server(url, app, clock, smtp, trials, tmp, logs)
    finally:
        smtp.stop()
        root.removeHandler(logs)
        root.setLevel(old_level)
        for name, (propagate, level, disabled) in uv_state.items():
            lg = logging.getLogger(name)
            lg.propagate, lg.disabled = propagate, disabled
            lg.setLevel(level)


def _page(browser: Any) -> tuple[Any, list[str]]:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    return page, errors


def _multi_site_trial(server: Server) -> tuple[str, str]:
    """An open trial with sites in several cities, and a city that is not its first site's."""
    finder = server.app.state.cartrial.catalog.finder(server.app.state.cartrial.settings.var_dir)
    for entry in finder.store.entries.values():
        located = [s for s in entry.trial.sites if s.latitude is not None and s.city]
        cities = list(dict.fromkeys(s.city for s in located))
        if entry.open and len(cities) >= 3 and located[0].city != cities[-1]:
            return entry.nct_id, cities[-1]
    pytest.skip("the snapshot has no open trial with sites in three cities")


VISITOR = {
    "name": "Henrietta Quill",
    "email": "henrietta.quill@example.org",
    "phone": "+49 911 555 0142",
    "language": "Portuguese",
    "message": "My rheumatologist thinks my refractory lupus could fit.",
}


def test_contact_request_reaches_inbox_and_mail(server: Server, browser: Any) -> None:
    from playwright.sync_api import expect

    nct, city = _multi_site_trial(server)
    page, errors = _page(browser)
    page.goto(f"{server.url}/trials/{nct}?near={city}")
    site = page.locator("#c-site")
    expect(site).to_be_visible(timeout=15_000)  # the form arrives by htmx
    chosen = site.locator("option:checked").inner_text()
    assert city in chosen, f"the site nearest to {city} is not preselected: {chosen}"
    page.fill("#c-name", VISITOR["name"])
    page.fill("#c-email", VISITOR["email"])
    page.fill("#c-phone", VISITOR["phone"])
    page.fill("#c-language", VISITOR["language"])
    page.select_option("#c-time", "evening")
    page.fill("#c-message", VISITOR["message"])
    page.check("#c-consent")
    page.screenshot(path=str(ARTIFACTS / "engage-01-contact-form.png"), full_page=False)
    page.click("#c-submit")
    expect(page.locator("#contact-sent h1")).to_have_text("Your request was sent")
    expect(page.locator("#contact-sent")).to_contain_text("contact you via email or phone")
    mine = server.smtp.inbox.wait_for(VISITOR["email"])
    assert len(mine) == 1 and city in body(mine[0]) and nct in str(mine[0]["Subject"])
    notice = server.smtp.inbox.wait_for("coordinator@site.test")[-1]
    assert VISITOR["name"] not in body(notice)
    inbox_link = re.search(r"(/workspace/inbox/\d+)", body(notice))
    assert inbox_link
    # the coordinator follows the link from the notice, signs in, works the request
    page.goto(server.url + inbox_link.group(1))
    page.fill("#username", "admin")
    page.fill("#password", ADMIN_PASSWORD)
    page.click("main button[type=submit]")
    expect(page.locator("#req-name")).to_have_text(VISITOR["name"])
    expect(page.locator("#req-email")).to_have_text(VISITOR["email"])
    page.select_option("#r-status", "contacted")
    page.fill("#r-note", "Phoned, screening visit booked")
    page.click("#r-save")
    expect(page.locator("table.trail")).to_contain_text("new → contacted")
    page.goto(server.url + "/workspace/inbox?status=contacted")
    expect(page.locator("table.inbox tbody tr")).to_have_count(1)
    expect(page.locator("table.inbox")).to_contain_text(VISITOR["name"])
    page.screenshot(path=str(ARTIFACTS / "engage-02-inbox.png"), full_page=True)
    page.context.close()
    assert errors == []
    phone = browser.new_page(viewport={"width": 390, "height": 844}, is_mobile=True)
    phone.goto(f"{server.url}/trials/{nct}?near={city}")
    expect(phone.locator("#c-site")).to_be_visible(timeout=15_000)
    overflow = phone.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 1, f"the trial page with the contact form scrolls sideways by {overflow}px"
    phone.close()
    server.assert_not_logged(*VISITOR.values(), "Phoned, screening visit booked")


def _alerts_run(server: Server, monkeypatch: pytest.MonkeyPatch) -> str:
    s = server.app.state.cartrial.settings
    env = {
        "DATABASE_URL": s.database_url,
        "SECRET_KEY": s.secret_key.get_secret_value(),
        "TRIALS_DIR": str(server.trials),
        "VAR_DIR": str(s.var_dir),
        "SMTP_URL": server.smtp.url,
        "MAIL_FROM": "cartrial <noreply@cartrial.test>",
        "PUBLIC_BASE_URL": server.url,
    }
    for k, v in env.items():
        monkeypatch.setenv(k, v)
    result = CliRunner().invoke(cli_app, ["alerts", "run"])
    assert result.exit_code == 0, result.output
    return result.output


def _import_trial(server: Server, nct: str) -> None:
    """A new computable protocol arrives (a copy of a bundled one under a new id)."""
    data = yaml.safe_load((trials_dir() / f"{NOTES_TRIAL}.yaml").read_text(encoding="utf-8"))
    data["trial"]["nct_id"] = nct
    data["trial"]["status"] = "RECRUITING"
    data["trial"]["brief_title"] = f"CD19 CAR-T for refractory lupus ({nct})"
    (server.trials / f"{nct}.yaml").write_text(yaml.safe_dump(data, allow_unicode=True))
    server.app.state.cartrial.catalog = Catalog(load_protocols(server.trials))  # the app reloads


def test_volunteer_alert_once_and_unsubscribe(
    server: Server, browser: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from playwright.sync_api import expect

    email = "vera.volunteer@example.org"
    assert "baseline" in _alerts_run(server, monkeypatch)  # the catalogue as it stands
    page, errors = _page(browser)
    page.goto(server.url + "/volunteer")
    page.fill("#v-email", email)
    page.check("input[name=conditions][value=sle]")
    page.fill("#v-age", "44")
    page.fill("#v-country", "China")
    page.fill("#v-city", "Beijing")
    page.fill("#v-travel", "1000")
    page.click("#v-submit")
    expect(page.locator("#volunteer-sent h1")).to_have_text("Check your email")
    confirm = server.smtp.inbox.wait_for(email)[0]
    link = re.search(r"(http://\S+/volunteer/confirm/\S+)", body(confirm))
    assert link
    page.goto(link.group(1))
    expect(page.locator("#volunteer-confirmed")).to_be_visible()
    expect(page.locator("#volunteer-status")).to_have_text("confirmed")
    assert "0 digests" in _alerts_run(server, monkeypatch)  # nothing new yet: no mail
    _import_trial(server, NEW_TRIAL)
    out = _alerts_run(server, monkeypatch)
    assert "1 digests (1 alerts)" in out, out
    assert "0 digests" in _alerts_run(server, monkeypatch)  # idempotent
    alerts = [
        m for m in server.smtp.inbox.wait_for(email, 2) if "new CAR-cell" in str(m["Subject"])
    ]
    assert len(alerts) == 1, [str(m["Subject"]) for m in server.smtp.inbox.to(email)]
    digest = body(alerts[0])
    assert NEW_TRIAL in digest and NOTES_TRIAL not in digest
    trial_link = re.search(rf"(http://\S+/trials/{NEW_TRIAL})", digest)
    unsubscribe = re.search(r"(http://\S+/volunteer/unsubscribe/\S+)", digest)
    assert trial_link and unsubscribe and alerts[0]["List-Unsubscribe"]
    page.goto(trial_link.group(1))
    expect(page.locator("h1").first).to_contain_text(NEW_TRIAL)
    page.goto(unsubscribe.group(1))
    page.click("#unsubscribe")
    expect(page.locator("#volunteer-done h1")).to_have_text("Unsubscribed")
    with server.db() as db:
        assert db.execute(text("SELECT status FROM engage_volunteers")).scalar() == "unsubscribed"
    _import_trial(server, "NCT09990002")  # another fitting trial: no mail after unsubscribing
    assert "0 digests" in _alerts_run(server, monkeypatch)
    time.sleep(0.5)
    assert len([m for m in server.smtp.inbox.to(email) if "new CAR-cell" in str(m["Subject"])]) == 1
    page.context.close()
    assert errors == []
    server.assert_not_logged(email, "Beijing")


def test_note_share_passcode_lockout_highlight(server: Server, browser: Any) -> None:
    from playwright.sync_api import expect

    page, errors = _page(browser)
    page.goto(f"{server.url}/trials/{NOTES_TRIAL}")
    words = page.locator("#eligibility .words").nth(1)
    expect(words).to_be_visible()
    full = words.inner_text()
    exact = full[: min(len(full), 40)].strip()
    page.evaluate(
        """([sel, n]) => {
            const el = document.querySelectorAll(sel)[1];
            const node = el.firstChild;
            const r = document.createRange();
            const start = node.nodeValue.indexOf(node.nodeValue.trim());
            r.setStart(node, start);
            r.setEnd(node, start + n);
            const s = window.getSelection();
            s.removeAllRanges();
            s.addRange(r);
            el.dispatchEvent(new MouseEvent('mouseup', {bubbles: true}));
        }""",
        ["#eligibility .words", len(exact)],
    )
    expect(page.locator("#engage-note-form")).to_be_visible()
    expect(page.locator("#engage-note-quote")).to_have_text(exact)
    note = "Ask Dr. Okafor whether my eGFR of 52 counts"
    page.fill("#engage-note-body", note)
    page.click("#engage-note-save")
    expect(page.locator("#engage-note-list li")).to_have_count(1)
    expect(page.locator("#eligibility mark.engage-hl")).to_have_text(exact)
    page.fill("#engage-share-passcode", "tulip-kettle-9")
    page.fill("#engage-share-days", "7")
    page.click("#engage-share")
    expect(page.locator("#engage-share-result")).to_be_visible()
    share_url = page.locator("#engage-share-url").inner_text()
    assert page.locator("#engage-share-code").inner_text() == "tulip-kettle-9"
    assert len(share_url.rsplit("/", 1)[1]) >= 43  # ≥ 256 random bits
    page.screenshot(path=str(ARTIFACTS / "engage-03-note.png"), full_page=False)
    # a note whose passage left the page (a protocol update) is listed as orphaned, not lost
    status = page.evaluate(
        """async (nct) => {
            const token = JSON.parse(document.body.getAttribute('hx-headers'))['X-CSRF-Token'];
            const r = await fetch('/notes/' + nct, {method: 'POST', headers: {
                'Content-Type': 'application/json', 'X-CSRF-Token': token},
                body: JSON.stringify({exact: 'a sentence removed by the update', prefix: '',
                                      suffix: '', body: 'orphan to be'})});
            return r.status;
        }""",
        NOTES_TRIAL,
    )
    assert status == 201
    page.reload()
    expect(page.locator("#engage-note-list li")).to_have_count(2)
    expect(page.locator("#engage-note-list li.orphaned")).to_contain_text("orphan to be")
    expect(page.locator("#eligibility mark.engage-hl")).to_have_text(exact)

    friend, friend_errors = _page(browser)  # another browser: no cookie, no session
    friend.goto(share_url)
    for attempt in range(1, 6):
        friend.fill("#s-passcode", f"wrong-{attempt}")
        friend.click("#s-open")
        message = friend.locator("#share-message")
        if attempt < 5:
            expect(message).to_contain_text(f"{5 - attempt} tries left")
        else:
            expect(message).to_contain_text("locked")
    friend.fill("#s-passcode", "tulip-kettle-9")  # right, but locked
    friend.click("#s-open")
    expect(friend.locator("#share-message")).to_contain_text("locked")
    server.clock.advance(seconds=301)
    friend.fill("#s-passcode", "tulip-kettle-9")
    friend.click("#s-open")
    expect(friend.locator("#engage-shared h2")).to_contain_text("Shared notes")
    expect(friend.locator("mark.engage-hl")).to_have_text(exact)
    expect(friend.locator("#engage-note-list li")).to_contain_text(note)
    assert friend.locator("#engage-note-list button").count() == 0  # read-only
    assert friend.locator("#contact-form").count() == 0
    friend.screenshot(path=str(ARTIFACTS / "engage-04-shared.png"), full_page=False)
    # the author revokes the link: it stops working at once
    page.locator("#engage-share-list button", has_text="Revoke").click()
    expect(page.locator("#engage-share-list li")).to_contain_text("revoked")
    friend.goto(share_url)
    expect(friend.locator("h1")).not_to_have_text("Shared notes")
    assert "expired or was revoked" in friend.content()
    friend.context.close()
    page.context.close()
    expected = (  # the refusals
        "status of 401 (Unauthorized)",
        "status of 423 (Locked)",
        "status of 404 (Not Found)",
    )
    assert errors == [] and [e for e in friend_errors if not e.endswith(expected)] == []
    server.assert_not_logged(note, "tulip-kettle-9")


ANCHOR_CASES = [
    ("a b c a b d", "a b", "c ", " d"),
    ("Inclusion\n  * aged 18 to 65 years;\n  * aged under 18 years", "18 years", "under ", ""),
    ("Inclusion\n  * aged 18 to 65 years;\n  * aged under 18 years", "years", "to 65 ", ";"),
    ("text   with\n\n  odd   spacing here", "with odd spacing", "text ", " here"),
    ("nothing to find", "absent passage", "", ""),
    ("x", "   ", "", ""),
    ("répète répète répète", "répète", "répète ", " répète"),
]


def test_js_and_python_anchor_agree(server: Server, browser: Any) -> None:
    """The page's re-anchoring (engage_notes.js) and the library's (anchor.py) are one
    algorithm: same offsets, same orphans."""
    from cartrial.engage.anchor import anchor

    page, errors = _page(browser)
    page.goto(f"{server.url}/trials/{NOTES_TRIAL}")
    for text_, exact, prefix, suffix in ANCHOR_CASES:
        js = page.evaluate(
            "([t, e, p, s]) => window.cartrialEngage.anchor(t, e, p, s)",
            [text_, exact, prefix, suffix],
        )
        py = anchor(text_, exact, prefix, suffix)
        expected = None if py is None else {"start": py.start, "end": py.end}
        assert js == expected, (text_, exact)
    page.context.close()
    assert errors == []
