"""Coordinator screen in a real browser (Chromium): the decisive reason in plain words for demo
patient × trial pairs, the short form reaching ELIGIBLE, the calendar download, screenshots at
1280 px and 390 px and axe-core on the pre-screening and workspace pages."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from cartrial.ingest.fhir import load_bundle_file
from cartrial.services import prescreen_form
from cartrial.services.bundled_protocols import examples_dir
from tests.web.helpers import AS_OF
from tests.web.screen.conftest import axe_violations, login
from tests.web.screen.form_fill import form_values

pytestmark = pytest.mark.browser

DEMO = examples_dir() / "patients"

# (demo bundle, trial, text the "Why not eligible" box must show) — expected verdicts and
# reasons from examples/patients/README.md, worded for people.
DECISIVE = [
    (
        "still-disease-steroid-washout",
        "NCT05239702",
        "systemic corticosteroids within 4 weeks before treatment: prednisone 15 mg/day, "
        "last dose 2026-11-05 — clears on 2026-12-04",
    ),
    (
        "sle-washout-belimumab",
        "NCT07193667",
        "within 5 half-lives before enrollment: belimumab, last dose 2026-10-15 — clears on 2027-01-21",
    ),
    (
        "sle-recent-live-vaccine",
        "NCT05858684",
        "live vaccine within 4 weeks before screening: zoster vaccine live (Zostavax) on 2026-11-08 "
        "— clears on 2026-12-07",
    ),
    (
        "sle-anaemia-gc012f",
        "NCT05858684",
        "haemoglobin 76 g/L (reported 7.6 g/dL) on 2026-11-16 — must be ≥ 85 g/L",
    ),
    (
        "ssc-high-mpap",
        "NCT06792344",
        "mean pulmonary artery pressure 52 mmHg on 2026-11-12 — excluded when > 45 mmHg",
    ),
    ("ssc-child-low-dlco", "NCT06792344", "DLCO (% predicted) 34% on 2026-11-10 — must be ≥ 40%"),
    ("sle-eligible-nct07193667", "NCT06792344", "age 34 — must be 5 to 18"),
    ("ssc-child-eligible", "NCT06464679", "age 12 — must be 18 to 65 — turns 18 on 2032-04-10"),
    (
        "lupus-nephritis-dialysis",
        "NCT07193667",
        "end-stage renal disease (since 2025-08-20, active)",
    ),
    (
        "lupus-nephritis-dialysis",
        "NCT05858684",
        "serum creatinine 5.8 mg/dL on 2026-11-16 — excluded when > 2.5 mg/dL",
    ),
    ("sle-hbv-positive", "NCT07193667", "HBV DNA 3200 IU/mL (detectable) on 2026-11-16"),
    ("sle-pregnant", "NCT07193667", "serum hCG pregnancy test positive on 2026-11-18"),
    ("myositis-alt-high", "NCT05858684", "ALT 160 U/L = 4.0 × ULN (ULN 40 U/L"),
]


def _upload(page: Any, server: str, name: str) -> None:
    """Upload a demo bundle on the pre-screening page and wait for its results (the previous
    results are cleared first, so nothing stale is read)."""
    from playwright.sync_api import expect

    if not page.url.endswith("/prescreen"):
        page.goto(server + "/prescreen")
    page.evaluate("document.getElementById('prescreen-results').innerHTML = ''")
    page.fill("#as-of-1", AS_OF.isoformat())
    page.set_input_files("#bundle-file", str(DEMO / f"{name}.json"))
    page.click("#screen-bundle")
    expect(page.locator("#results-title")).to_have_text(f"Results as of {AS_OF}")


def test_decisive_reason_in_words_for_demo_pairs(server: str, browser: Any, shots: Path) -> None:
    from playwright.sync_api import expect

    page = browser.new_page(viewport={"width": 1280, "height": 900})
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(server + "/prescreen")
    checked = 0
    for name, nct, text in DECISIVE:
        _upload(page, server, name)
        card = page.locator(f"#result-{nct}")
        expect(card.locator(".result-head .verdict")).to_contain_text("INELIGIBLE")
        expect(card.locator(".decisive")).to_contain_text(text)
        # the verdict table names the same first reason beside the verdict
        row = page.locator("table.verdicts tr", has=page.locator(f"a[href='#result-{nct}']"))
        expect(row.locator(".main-reason")).not_to_be_empty()
        checked += 1
    assert checked >= 10
    # a failed "any of": every alternative listed with why it failed
    _upload(page, server, "crohn-cd7")
    alts = page.locator("#result-NCT07193667 .decisive > ul.reasons > li > ul.alternatives > li")
    expect(alts).to_have_count(4)
    expect(alts.nth(0)).to_contain_text(
        "no systemic lupus erythematosus or lupus nephritis in the record"
    )
    # missing data only where it can change the verdict, grouped, with human names
    _upload(page, server, "sjogren-missing-labs")
    nk = page.locator("#result-NCT06464679")
    expect(nk.locator(".result-head .verdict")).to_contain_text("NEEDS DATA")
    expect(nk.locator(".missing h5").first).to_have_text("Labs and vital signs")
    expect(nk.locator(".missing")).to_contain_text("serum hCG pregnancy test")
    expect(nk.locator(".missing")).to_contain_text(
        "on or after 2026-11-15 (within 7 days before enrollment)"
    )
    assert "hcg_serum_qual" not in nk.inner_text()
    assert page.locator("#result-NCT06792344 .missing").count() == 0  # already ineligible
    page.screenshot(path=str(shots / "prescreen-1280.png"), full_page=True)
    assert axe_violations(page) == []
    assert errors == []
    page.close()


def test_short_form_reaches_eligible_and_asks_only_what_matters(
    server: str, browser: Any, shots: Path
) -> None:
    from playwright.sync_api import expect

    patient = load_bundle_file(DEMO / "ra-refractory-eligible.json")
    values = form_values(patient, AS_OF, prescreen_form.choices())
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.goto(server + "/prescreen")
    # the basics alone: results appear without submitting (htmx on change) and ask for more
    page.fill("#as-of-2", AS_OF.isoformat())
    page.fill("#f-age", values["age"])
    page.select_option("#f-sex", values["sex"])
    page.select_option("#f-dx", values["diagnosis"])
    expect(page.locator("#results-title")).to_be_visible()
    expect(page.locator("#ask-next li").first).to_be_visible()
    asked = page.locator("#ask-next li a.ask").all_inner_texts()
    assert asked, "the form asks for the data still missing"
    page.locator("#ask-next li a.ask").first.click()  # opens the group and focuses the field
    focused = page.evaluate("document.activeElement && document.activeElement.id")
    assert focused and page.locator(f"#{focused}").is_visible()
    # every field the record answers
    page.evaluate("document.querySelectorAll('#short-form details').forEach(d => d.open = true)")
    for name, value in values.items():
        if name in ("mode", "age", "sex", "diagnosis", "as_of"):
            continue
        if name == "conditions":
            for key in value:
                page.check(f"#short-form input[name=conditions][value={key}]")
            continue
        field = page.locator(f"#short-form [name='{name}']")
        if field.evaluate("el => el.tagName") == "SELECT":
            field.select_option(value)
        else:
            field.fill(value)
    page.click("#screen-form")
    card = page.locator("#result-NCT05239702")
    expect(card.locator(".result-head .verdict")).to_contain_text("ELIGIBLE")
    expect(page.locator("#result-NCT06464679 .result-head .verdict")).to_contain_text("ELIGIBLE")
    expect(page.locator("#ask-next")).to_contain_text("Nothing more to fill in")
    page.screenshot(path=str(shots / "short-form-1280.png"), full_page=False)
    assert axe_violations(page) == []
    page.close()


def test_prescreen_at_390px_stacks_and_does_not_scroll_sideways(
    server: str, browser: Any, shots: Path
) -> None:
    from playwright.sync_api import expect

    phone = browser.new_page(
        viewport={"width": 390, "height": 844}, is_mobile=True, device_scale_factor=2
    )
    phone.goto(server + "/prescreen")
    _upload(phone, server, "still-disease-steroid-washout")
    expect(phone.locator("#result-NCT05239702 .decisive")).to_contain_text("prednisone 15 mg/day")
    assert phone.evaluate("document.documentElement.scrollWidth - window.innerWidth") <= 1
    # the verdict table is stacked: each cell carries its column name
    cell = phone.locator("table.verdicts td[data-label='Verdict']").first
    label = cell.evaluate("el => getComputedStyle(el, '::before').content")
    assert "Verdict" in label
    phone.screenshot(path=str(shots / "prescreen-390.png"), full_page=True)
    phone.close()


def test_workspace_badges_reasons_and_axe(server: str, browser: Any, shots: Path) -> None:
    from playwright.sync_api import expect

    for width in (1280, 390):
        page = browser.new_page(viewport={"width": width, "height": 900})
        login(page, server, "/workspace/patients")
        if width == 1280:  # screen one demo patient so the list and history have verdicts
            page.locator("table.patients a", has_text=re.compile("still", re.I)).first.click()
            page.click("text=Screen against all")
            expect(page.locator("h2", has_text="Results")).to_be_visible()
            expect(page.locator("#result-NCT05239702 .decisive")).to_contain_text(
                "prednisone 15 mg/day, last dose 2026-11-05 — clears on 2026-12-04"
            )
            # what changed since the seed's screening reads in the same words; a trial that
            # stays ineligible is not listed for its missing data
            changes = page.locator("section.changes")
            expect(changes).to_contain_text("systemic corticosteroids within 4 weeks")
            assert "1 qualifying agent(s)" not in changes.inner_text()
            assert "NCT06792344" not in changes.inner_text()
            page.screenshot(path=str(shots / f"ws-screening-{width}.png"), full_page=True)
            assert axe_violations(page) == []
            page.goto(server + "/workspace/patients")
        still = page.locator(
            "table.patients tbody tr", has=page.locator("a", has_text=re.compile("still", re.I))
        ).first
        badge = still.locator(".verdict[aria-label^='NCT05239702']").first
        expect(badge).to_contain_text("NCT05239702")
        expect(badge).to_contain_text("INELIGIBLE")
        assert badge.get_attribute("aria-label") == "NCT05239702: not eligible"
        assert page.evaluate("document.documentElement.scrollWidth - window.innerWidth") <= 1
        page.screenshot(path=str(shots / f"ws-patients-{width}.png"), full_page=True)
        assert axe_violations(page) == []
        page.locator("table.patients a", has_text=re.compile("still", re.I)).first.click()
        expect(page.locator("h2", has_text="Screening history")).to_be_visible()
        if width == 390:
            cells = page.locator("table.history td[data-label='Verdicts']").first
            box = cells.bounding_box()
            assert (
                box is not None and box["width"] > 300
            )  # stacked: full width, not a letter a line
        assert page.evaluate("document.documentElement.scrollWidth - window.innerWidth") <= 1
        page.screenshot(path=str(shots / f"ws-patient-{width}.png"), full_page=True)
        assert axe_violations(page) == []
        page.close()


def test_calendar_dates_and_ics_download(server: str, browser: Any, tmp_path: Path) -> None:
    from playwright.sync_api import expect

    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.goto(server + "/trials/NCT07193667")
    expect(page.locator("#lymphodepletion")).to_contain_text("Day -5 to Day -3")
    page.fill("#infusion-date", "2027-03-01")
    page.click("#date-calendar")
    expect(page.locator("table.calendar")).to_contain_text("2027-02-24 Wed")
    with page.expect_download() as info:
        page.click("#ics-download")
    path = tmp_path / info.value.suggested_filename
    info.value.save_as(path)
    ics = path.read_text()
    assert info.value.suggested_filename == "NCT07193667-course-2027-03-01.ics"
    assert "BEGIN:VCALENDAR" in ics and "DTSTART;VALUE=DATE:20270301" in ics
    page.close()


def test_calculator_and_trials_pages_are_axe_clean(server: str, browser: Any, shots: Path) -> None:
    from playwright.sync_api import expect

    page = browser.new_page(viewport={"width": 390, "height": 844}, is_mobile=True)
    login(page, server, "/workspace/calculators")
    assert axe_violations(page) == []
    page.goto(server + "/workspace/calculators/crcl_cockcroft_gault")
    page.fill("#c-age_years", "40")
    page.fill("#c-weight_kg", "60")
    page.fill("#c-scr_mg_dl", "1.0")
    page.select_option("#c-sex", "female")
    page.click("form.calc-form button[type=submit]")
    expect(page.locator("#calc-result .big")).to_contain_text("70.83")
    expect(page.locator("#calc-result table.breakdown").first).to_contain_text("Sex factor")
    assert page.evaluate("document.documentElement.scrollWidth - window.innerWidth") <= 1
    page.screenshot(path=str(shots / "calculator-390.png"), full_page=True)
    assert axe_violations(page) == []
    page.goto(server + "/workspace/trials")
    assert axe_violations(page) == []
    page.close()


def _catalogue_ids(page: Any, server: str, words: str) -> set[str]:
    """Every NCT id the catalogue lists for a search typed in its box, over all its pages."""
    page.goto(server + "/")
    page.fill("#f-q", words)
    page.press("#f-q", "Enter")
    page.wait_for_load_state("networkidle")
    url = page.url
    found: set[str] = set()
    for number in range(1, 40):
        if number > 1:
            page.goto(f"{url}&page={number}")
        ids = set(re.findall(r"NCT\d{8}", page.inner_text("main")))
        if not ids - found:
            break
        found |= ids
    return found


def test_catalogue_search_by_everyday_disease_names(server: str, browser: Any) -> None:
    """'lupus' finds the SLE trials and 'scleroderma' the SSc ones, typed as a visitor would."""
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    lupus = _catalogue_ids(page, server, "lupus")
    assert {"NCT07193667", "NCT05858684"} <= lupus
    assert "NCT06792344" not in lupus  # childhood SSc only
    scleroderma = _catalogue_ids(page, server, "scleroderma")
    assert {"NCT06792344", "NCT07193667", "NCT06464679"} <= scleroderma
    assert "NCT05858684" not in scleroderma  # SLE only
    page.close()
