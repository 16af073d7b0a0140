"""One patient's course through the conduct pages in headless Chromium (the real app under
uvicorn): enrol -> lymphodepletion plan -> infusion -> CRS entered as observations -> grade
computed -> DLT counted -> the escalation page's decision changes -> efficacy visit with
SLEDAI-2K items -> swimmer plot and safety report PDF (first page rendered with pdftoppm).

Screenshots and the rendered page go to ``test-artifacts/conduct/`` (gitignored).
"""

from __future__ import annotations

import datetime as dt
import io
import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from cartrial.conduct.demo import seed_conduct_demo
from cartrial.persistence.repositories import Patients
from cartrial.web.app import create_app
from cartrial.web.deps import get_today
from tests.support.browser import ARTIFACTS as ARTIFACTS_ROOT
from tests.support.browser import serve
from tests.support.fhir_builder import BundleBuilder
from tests.web.helpers import ADMIN_PASSWORD, AS_OF, make_settings

pytestmark = pytest.mark.browser

ARTIFACTS = ARTIFACTS_ROOT / "conduct"
TRIAL = "NCT05858684"
INFUSION = AS_OF - dt.timedelta(days=12)
LABEL = "Browser course – SLE"


def _patient_bundle() -> dict[str, object]:
    b = BundleBuilder("browser-course", birth="1990-06-15", gender="female")
    b.condition("sle", "2016-02-01")
    b.lab("body_height", 168, "cm", "2026-10-20")
    b.lab("body_weight", 62, "kg", "2026-10-20")
    b.lab("creatinine", 62, "umol/L", "2026-10-20")
    return b.build()


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    tmp = tmp_path_factory.mktemp("conduct-browser")
    app = create_app(make_settings(tmp), say=lambda _text: None)
    app.dependency_overrides[get_today] = lambda: AS_OF
    with serve(app) as url:
        state = app.state.cartrial
        with state.sessions.begin() as db:  # the demo trial's earlier patients, then ours
            seed_conduct_demo(db, None, state.catalog.protocols, today=AS_OF)
            Patients(db).create(owner=None, label=LABEL, bundle=_patient_bundle())
        yield url


def _wait_loaded(img: object) -> None:
    """An <img> finished loading with a picture (polled: the CSP forbids eval'd predicates)."""
    from playwright.sync_api import Locator

    assert isinstance(img, Locator)
    deadline = time.monotonic() + 20
    while not img.evaluate("i => i.complete && i.naturalWidth > 0"):
        assert time.monotonic() < deadline, "the picture did not load"
        time.sleep(0.1)


def _escalation_page_action(page: object, server: str) -> str:
    from playwright.sync_api import Page, expect

    assert isinstance(page, Page)
    page.goto(f"{server}/workspace/trials/{TRIAL}/conduct")
    page.click("#open-escalation")
    expect(page.locator("h1")).to_have_text("Escalation decision")
    assert page.url.endswith("/workspace/escalation")
    return page.locator(".esc-action").inner_text()


def test_one_patients_course(server: str, browser: object, tmp_path: Path) -> None:
    from playwright.sync_api import Browser, expect

    assert isinstance(browser, Browser)
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(f"{server}/login?next=/workspace/conduct")
    page.fill("#username", "admin")
    page.fill("#password", ADMIN_PASSWORD)
    page.click("main button[type=submit]")
    expect(page.locator("h1")).to_have_text("Trial conduct")
    page.click(f"a[href='/workspace/trials/{TRIAL}/conduct']")
    expect(page.locator(".dlt-source")).to_contain_text("not from a trial")

    # the board before our patient: 6 at level 1 (1 DLT), 2 at level 2 (none) -> escalate
    expect(page.locator(".board-action")).to_have_text("Escalate")
    before = _escalation_page_action(page, server)
    assert before == "Escalate"
    page.goto(f"{server}/workspace/trials/{TRIAL}/conduct")
    page.click("#record-decision")
    expect(page.locator("table.decisions tbody tr")).to_have_count(1)

    # enrol at the decided level (3) with the course planned around the infusion
    page.select_option("#en-patient", label=LABEL)
    assert page.locator("#en-level").input_value() == "3"
    page.fill("#en-enrolled", (INFUSION - dt.timedelta(days=20)).isoformat())
    page.fill("#en-infusion", INFUSION.isoformat())
    page.click("#enrol")
    expect(page.locator("h1")).to_contain_text(f"{TRIAL}-009")
    doses = page.locator("table.ld-doses .dose").all_inner_texts()
    assert len(doses) == 6 and all(float(d) > 0 for d in doses)  # FC x 3 days, BSA-dosed
    page.screenshot(path=str(ARTIFACTS / "01-course-lymphodepletion.png"), full_page=True)

    # infusion marked done on its day
    page.locator("#visit-infusion button").click()
    expect(page.locator("#infused")).to_have_text(INFUSION.isoformat())

    # CRS entered as observations -> ASTCT grade 3 computed, with its components
    page.select_option("#ae-term-pick", "Cytokine release syndrome")
    page.click("#ae-choose")
    page.fill("#obs-temperature_c", "39.4")
    page.check("#obs-hypotension")
    page.fill("#obs-vasopressors_excluding_vasopressin", "1")
    page.fill("#ae-onset", (INFUSION + dt.timedelta(days=2)).isoformat())
    page.select_option("#ae-rel-car", "definite")
    page.click("#ae-save")
    expect(page.locator("#computed-grade")).to_have_text("3")
    expect(page.locator("table.components")).to_contain_text("hypotension grade")
    page.click("#confirm-grade")  # the investigator confirms the computed grade
    expect(page.locator("#grade-status")).to_have_text("confirmed")
    page.screenshot(path=str(ARTIFACTS / "02-crs-graded.png"), full_page=True)

    # the DLT is counted on the board and the decision changes, on the escalation page too
    page.goto(f"{server}/workspace/trials/{TRIAL}/conduct")
    row = page.locator("table.dlt-patients tr", has_text=f"{TRIAL}-009")
    expect(row).to_contain_text("dlt")
    expect(row).to_contain_text("CRS grade >= 3")
    expect(page.locator("table.dlt-levels tbody tr").nth(2).locator(".y")).to_have_text("1")
    expect(page.locator(".board-action")).to_have_text("De-escalate")
    page.screenshot(path=str(ARTIFACTS / "03-dlt-board.png"), full_page=True)
    after = _escalation_page_action(page, server)
    assert after == "De-escalate" and after != before
    page.screenshot(path=str(ARTIFACTS / "04-escalation-page.png"), full_page=True)

    # efficacy: SLEDAI-2K by its items at baseline and at a visit, with change from baseline
    page.goto(f"{server}/workspace/trials/{TRIAL}/conduct")
    page.click(f"a:text('{TRIAL}-009')")
    page.select_option("#eff-pick", "sledai_2k")
    page.click("#eff-choose")
    page.select_option("#eff-visit", "screening")
    page.fill("#eff-date", (INFUSION - dt.timedelta(days=10)).isoformat())
    for key in ("arthritis", "rash", "proteinuria", "low_complement"):
        page.check(f"#d-{key}")
    page.click("#eff-save")
    page.select_option("#eff-pick", "sledai_2k")
    page.click("#eff-choose")
    page.select_option(
        "#eff-visit", label=f"Safety D7 ({(INFUSION + dt.timedelta(days=7)).isoformat()})"
    )
    page.fill("#eff-date", (INFUSION + dt.timedelta(days=7)).isoformat())
    page.check("#d-low_complement")
    page.click("#eff-save")
    values = page.locator("table.efficacy .eff-value").all_inner_texts()
    assert values == ["12", "2"]  # 4 + 2 + 4 + 2; then low complement alone
    expect(page.locator("table.efficacy .eff-change").nth(1)).to_have_text("-10")
    for img in page.locator("#labs img").all():  # the kinetics pictures load (SVG)
        img.scroll_into_view_if_needed()
        _wait_loaded(img)
    page.screenshot(path=str(ARTIFACTS / "05-efficacy.png"), full_page=True)

    # swimmer plot (server-side SVG) shows our patient with the DLT
    page.goto(f"{server}/workspace/trials/{TRIAL}/conduct")
    page.locator("#swimmer").scroll_into_view_if_needed()
    _wait_loaded(page.locator("#swimmer"))
    svg = page.request.get(f"{server}/workspace/trials/{TRIAL}/conduct/swimmer.svg")
    assert svg.ok and svg.headers["content-type"].startswith("image/svg+xml")
    assert "009 DL3 DLT" in svg.text()
    page.screenshot(path=str(ARTIFACTS / "06-board-pictures.png"), full_page=True)

    # the safety report PDF, its first page rendered to PNG and looked at
    pdf = page.request.get(f"{server}/workspace/trials/{TRIAL}/conduct/report.pdf?cut={AS_OF}")
    assert pdf.ok and pdf.headers["content-type"] == "application/pdf"
    body = pdf.body()
    assert body.startswith(b"%PDF")
    from pypdf import PdfReader

    text = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(body)).pages)
    assert f"Data cut: {AS_OF}" in text and f"{TRIAL}-009" in text
    assert "Cytokine release syndrome" in text
    pdf_path = tmp_path / "safety.pdf"
    pdf_path.write_bytes(body)
    if shutil.which("pdftoppm") is None:
        pytest.skip("pdftoppm (poppler-utils) is not installed: the PDF page was not rendered")
    subprocess.run(
        ["pdftoppm", "-png", "-r", "80", "-f", "1", "-l", "1", str(pdf_path), str(tmp_path / "p")],
        check=True,
        timeout=60,
    )
    png = next(tmp_path.glob("p*.png"))
    assert png.stat().st_size > 10_000
    shutil.copy(png, ARTIFACTS / "07-safety-report-page1.png")
    # the board and a course fit a phone: no sideways scrolling at 390 px
    phone = browser.new_page(
        viewport={"width": 390, "height": 844}, is_mobile=True, device_scale_factor=2
    )
    phone.context.add_cookies(page.context.cookies())
    for path in (f"/workspace/trials/{TRIAL}/conduct", "/workspace/conduct/enrolments/9"):
        phone.goto(server + path)
        overflow = phone.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 1, f"{path} scrolls sideways by {overflow}px at 390 px"
    phone.screenshot(path=str(ARTIFACTS / "08-course-phone-390x844.png"))
    phone.close()
    assert errors == []
    page.close()
