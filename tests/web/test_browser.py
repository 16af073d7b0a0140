"""The real app (uvicorn in a thread) driven by headless Chromium through Playwright.

Catalogue → trial page → pre-screening upload of a demo bundle → verdicts, then the workspace;
screenshots (one at a 390×844 phone viewport) go to ``test-artifacts/`` (gitignored).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from cartrial.services.bundled_protocols import examples_dir, load_protocols
from cartrial.web.app import create_app
from cartrial.web.deps import get_today
from tests.support.browser import ARTIFACTS, serve
from tests.web.helpers import ADMIN_PASSWORD, AS_OF, make_settings, sle_bundle

pytestmark = pytest.mark.browser

DEMO = "sle-eligible-nct07193667.json"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    tmp = tmp_path_factory.mktemp("browser")
    app = create_app(make_settings(tmp, seed_demo=True), say=lambda _text: None)
    app.dependency_overrides[get_today] = lambda: AS_OF
    with serve(app) as url:
        yield url


@pytest.fixture
def demo_bundle(tmp_path: Path) -> Path:
    demo = examples_dir() / "patients" / DEMO
    if demo.exists():
        return demo
    path = tmp_path / "patient.json"  # the demo set is not there yet: a synthetic SLE bundle
    path.write_text(json.dumps(sle_bundle()))
    return path


def test_catalogue_trial_prescreen_verdicts(
    server: str, browser: object, demo_bundle: Path
) -> None:
    from playwright.sync_api import Browser, expect

    assert isinstance(browser, Browser)
    protocols = load_protocols()
    nct = sorted(protocols)[-1]
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)

    page.goto(server + "/")
    # every trial of the registry snapshot, 25 to a page, the reviewed protocols first
    for curated in protocols:
        expect(page.locator(f'.trial-card a[href="/trials/{curated}"]')).to_be_visible()
    antigen = protocols[nct].trial.target_antigens[0]
    page.select_option("#f-antigen", antigen)  # htmx swaps the list in place
    # hx-push-url keeps the filter in the address (waited for: the first page already shows
    # the trial and 25 cards, so only the address says the swap has happened)
    expect(page).to_have_url(re.compile(rf"[?&]antigen={re.escape(antigen)}(&|$)"))
    expect(page.locator(f'.trial-card a[href="/trials/{nct}"]')).to_be_visible()
    page.wait_for_function("n => document.querySelectorAll('.trial-card').length <= n", arg=25)
    page.screenshot(path=str(ARTIFACTS / "01-catalogue.png"), full_page=True)

    page.click(f'.trial-card a[href="/trials/{nct}"]')
    expect(page.locator("h1")).to_contain_text(protocols[nct].trial.brief_title or "")
    expect(page.locator("#eligibility .tree-row").first).to_be_visible()
    expect(page.locator("#calendar .timeline li").first).to_be_visible()
    page.screenshot(path=str(ARTIFACTS / "02-trial.png"), full_page=True)

    page.click("a.button[href='/prescreen']")
    page.set_input_files("#bundle-file", str(demo_bundle))
    page.click("#screen-bundle")
    results = page.locator("#prescreen-results .result")
    expect(results).to_have_count(len(protocols), timeout=20_000)
    verdicts = page.locator("#prescreen-results .result-head .verdict").all_inner_texts()
    assert set(verdicts) <= {"ELIGIBLE", "NEEDS DATA", "INELIGIBLE"} and len(verdicts) == len(
        protocols
    )
    first = page.locator("#prescreen-results details.criteria").first
    first.locator("summary").click()
    expect(first.locator(".crit").first).to_be_visible()
    assert page.url.endswith("/prescreen")  # htmx swapped the results in place
    page.screenshot(path=str(ARTIFACTS / "03-prescreen-verdicts.png"), full_page=True)

    phone = browser.new_page(
        viewport={"width": 390, "height": 844}, is_mobile=True, device_scale_factor=2
    )
    phone.goto(server + "/prescreen")
    phone.set_input_files("#bundle-file", str(demo_bundle))
    phone.click("#screen-bundle")
    expect(phone.locator("#prescreen-results .result")).to_have_count(
        len(protocols), timeout=20_000
    )
    overflow = phone.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 1, f"the page scrolls sideways by {overflow}px at 390 px"
    phone.locator("#prescreen-results").scroll_into_view_if_needed()
    phone.screenshot(path=str(ARTIFACTS / "04-prescreen-phone-390x844.png"))
    phone.goto(server + "/")
    overflow = phone.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 1, f"the catalogue scrolls sideways by {overflow}px at 390 px"
    phone.screenshot(path=str(ARTIFACTS / "05-catalogue-phone-390x844.png"))
    phone.goto(server + f"/trials/{nct}")
    assert phone.evaluate("document.documentElement.scrollWidth - window.innerWidth") <= 1
    phone.close()
    page.close()
    assert errors == []


def test_workspace_login_screen_and_history(server: str, browser: object) -> None:
    from playwright.sync_api import Browser, expect

    assert isinstance(browser, Browser)
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.goto(server + "/workspace/patients")
    assert "/login" in page.url  # anonymous visitors are sent to the login page
    page.fill("#username", "admin")
    page.fill("#password", ADMIN_PASSWORD)
    page.click("button[type=submit]")
    expect(page.locator("h1")).to_have_text("Patients")
    rows = page.locator("table.patients tbody tr a")
    assert rows.count() >= 1  # demo patients loaded at first start
    rows.first.click()
    expect(page.locator("h2", has_text="Screening history")).to_be_visible()
    page.click("text=Screen against all")
    expect(page.locator("h2", has_text="What changed since the previous screening")).to_be_visible()
    page.screenshot(path=str(ARTIFACTS / "06-workspace-screening.png"), full_page=True)
    page.goto(server + "/workspace/audit")
    expect(page.locator("table.audit tbody tr").first).to_be_visible()
    page.close()


def test_workspace_escalation_and_users_at_390px(server: str, browser: object) -> None:
    """The new workspace pages fit a phone: no sideways scrolling at 390 px."""
    from playwright.sync_api import Browser, expect

    assert isinstance(browser, Browser)
    phone = browser.new_page(
        viewport={"width": 390, "height": 844}, is_mobile=True, device_scale_factor=2
    )
    errors: list[str] = []
    phone.on("pageerror", lambda exc: errors.append(str(exc)))
    phone.goto(server + "/login?next=/workspace/escalation")
    phone.fill("#username", "admin")
    phone.fill("#password", ADMIN_PASSWORD)
    phone.click("main button[type=submit]")
    expect(phone.locator("h1")).to_have_text("Escalation decision")
    phone.fill("#e-target", "0.3")
    phone.fill("#e-n", "3, 6, 3")
    phone.fill("#e-y", "0, 1, 2")
    phone.fill("#e-current", "3")
    phone.click("#escalation button[type=submit]")
    expect(phone.locator(".esc-action")).to_have_text("De-escalate")  # swapped in by htmx
    expect(phone.locator("table.boundaries tbody tr").first).to_be_visible()
    assert phone.url.endswith("/workspace/escalation")
    overflow = phone.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 1, f"the escalation page scrolls sideways by {overflow}px at 390 px"
    phone.screenshot(path=str(ARTIFACTS / "07-escalation-phone-390x844.png"), full_page=True)
    phone.fill("#e-current", "9")
    phone.click("#escalation button[type=submit]")
    expect(phone.locator("#esc-error")).to_contain_text("current level")
    for path in ("/workspace/users", "/workspace/users/1", "/workspace/audit"):
        phone.goto(server + path)
        overflow = phone.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 1, f"{path} scrolls sideways by {overflow}px at 390 px"
    phone.goto(server + "/workspace/users/1")
    phone.screenshot(path=str(ARTIFACTS / "08-user-phone-390x844.png"), full_page=True)
    phone.close()
    assert errors == []
