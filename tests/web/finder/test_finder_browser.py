"""The patient journey in headless Chromium: catalogue (every trial) -> "lupus, within 500 km of
Shanghai" -> a trial -> its sites by distance -> a similar trial -> its organization page.
axe-core (vendored from npm, tests/web/vendor) checks each page: no serious or critical
violation. Screenshots go to test-artifacts/finder/ (gitignored); one pass at 390 px."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest

from cartrial.web.app import create_app
from tests.support.browser import ARTIFACTS as ARTIFACTS_ROOT
from tests.support.browser import AXE, serve
from tests.web.helpers import make_settings

pytestmark = pytest.mark.browser

ARTIFACTS = ARTIFACTS_ROOT / "finder"
KM = re.compile(r"([\d,]+) km")


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    tmp = tmp_path_factory.mktemp("finder-browser")
    app = create_app(make_settings(tmp), say=lambda _text: None)
    with serve(app) as url:
        yield url


def axe_violations(page: Any) -> list[dict[str, Any]]:
    """Serious and critical axe-core violations of the current page."""
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.evaluate(AXE.read_text(encoding="utf-8"))
    found = page.evaluate(
        """async () => {
            const r = await axe.run(document, {resultTypes: ['violations']});
            return r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
                targets: v.nodes.slice(0, 3).map(n => n.target.join(' '))}));
        }"""
    )
    return [v for v in found if v["impact"] in ("serious", "critical")]


def assert_accessible(page: Any, name: str) -> None:
    bad = axe_violations(page)
    assert not bad, f"{name}: axe-core serious/critical violations: {bad}"


def km_values(texts: list[str]) -> list[float]:
    return [float(m.group(1).replace(",", "")) for t in texts if (m := KM.search(t))]


def test_lupus_near_shanghai_to_trial_sites_similar_and_organization(
    server: str, browser: Any
) -> None:
    from playwright.sync_api import expect

    context = browser.new_context(viewport={"width": 1280, "height": 900}, bypass_csp=True)
    page = context.new_page()
    page.goto(server + "/")
    count = page.locator("p.count").first.inner_text()
    total = int(re.search(r"of (\d+) trials", count).group(1))  # type: ignore[union-attr]
    assert total >= 300, count
    assert "snapshot of 2026-08-22" in page.locator("footer").inner_text()
    assert_accessible(page, "catalogue")
    page.screenshot(path=str(ARTIFACTS / "01-catalogue.png"))

    page.fill("#f-q", "lupus")
    page.fill("#f-near", "Shanghai")
    page.select_option("#f-within", "500")
    page.click("form.filters button[type=submit]")
    expect(page.locator("p.count").first).to_contain_text("Shanghai", timeout=15_000)
    expect(page.locator(".trial-card").first).to_be_visible()
    distances = km_values(page.locator(".trial-card .distance").all_inner_texts())
    assert distances and all(d <= 500 for d in distances)
    assert distances == sorted(distances), "nearest first"
    assert "near=Shanghai" in page.url and "within_km=500" in page.url
    assert_accessible(page, "catalogue filtered")
    page.screenshot(path=str(ARTIFACTS / "02-lupus-within-500km-of-shanghai.png"), full_page=True)

    page.locator(".trial-card h2 a").first.click()
    page.wait_for_url(re.compile(r"/trials/NCT\d{8}"))
    first_trial = page.url
    expect(page.locator("#plain")).to_contain_text("Who can join")
    rows = page.locator("#sites tbody tr")
    assert rows.count() >= 1
    site_km = km_values(page.locator("#sites td.dist").all_inner_texts())
    assert site_km and site_km[0] <= 500 and site_km == sorted(site_km)
    assert_accessible(page, "trial page")
    page.screenshot(path=str(ARTIFACTS / "03-trial-sites-by-distance.png"), full_page=True)

    similar = page.locator("#similar li a").first
    expect(similar).to_be_visible()
    assert page.locator("#similar .why").first.inner_text().startswith("also")
    similar.click()
    page.wait_for_url(re.compile(r"/trials/NCT\d{8}"))
    assert page.url != first_trial
    assert_accessible(page, "similar trial page")
    page.screenshot(path=str(ARTIFACTS / "04-similar-trial.png"), full_page=True)

    page.locator('#details a[href^="/organizations/"]').first.click()
    page.wait_for_url(re.compile(r"/organizations/"))
    expect(page.locator(".trial-card").first).to_be_visible()
    assert_accessible(page, "organization page")
    page.screenshot(path=str(ARTIFACTS / "05-organization.png"), full_page=True)
    context.close()


def test_unknown_place_and_phone_width(server: str, browser: Any) -> None:
    from playwright.sync_api import expect

    phone = browser.new_context(viewport={"width": 390, "height": 844}, bypass_csp=True)
    page = phone.new_page()
    page.goto(server + "/?q=lupus&near=Shanghia&within_km=500")
    alert = page.locator("[role=alert]").first
    expect(alert).to_contain_text("Shanghia")
    expect(alert.locator("a", has_text="Shanghai, China")).to_be_visible()
    alert.locator("a", has_text="Shanghai, China").click()
    expect(page.locator("p.count").first).to_contain_text("Shanghai")
    for url, name in ((page.url, "catalogue"), (server + "/faq", "faq")):
        page.goto(url)
        overflow = page.evaluate(
            "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"
        )
        assert overflow <= 1, f"{name} scrolls sideways by {overflow}px at 390 px"
        assert_accessible(page, f"{name} at 390 px")
    page.locator('a[href^="/trials/"]').first.click() if False else None
    page.goto(server + "/trials/NCT05858684?near=Shanghai")
    overflow = page.evaluate(
        "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    assert overflow <= 1, f"trial page scrolls sideways by {overflow}px at 390 px"
    assert_accessible(page, "trial page at 390 px")
    page.screenshot(path=str(ARTIFACTS / "06-trial-phone-390.png"), full_page=True)
    phone.close()


def test_use_my_location_fills_the_place_and_sorts_by_distance(server: str, browser: Any) -> None:
    from playwright.sync_api import expect

    context = browser.new_context(
        viewport={"width": 1280, "height": 900},
        geolocation={"latitude": 49.5897, "longitude": 11.0120},  # Erlangen
        permissions=["geolocation"],
    )
    page = context.new_page()
    page.goto(server + "/?q=myositis")
    button = page.locator("button.geo").first
    expect(button).to_be_visible()  # shown only where the browser offers geolocation
    button.click()
    expect(page.locator("#f-near")).to_have_value("49.5897,11.0120")
    expect(page.locator("p.count").first).to_contain_text("49.5897", timeout=15_000)
    distances = km_values(page.locator(".trial-card .distance").all_inner_texts())
    assert distances and distances == sorted(distances) and distances[0] < 50
    context.close()
