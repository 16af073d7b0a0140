"""Calculator pages: proper titles, labelled inputs with units, selects for the accepted
values, and the result as a readable breakdown (no snake_case, no raw JSON)."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient

from tests.web.helpers import csrf_of


def test_listing_uses_titles_grouped_by_area(admin_client: TestClient) -> None:
    page = admin_client.get("/workspace/calculators")
    assert page.status_code == 200
    assert "<h2>Renal function and conversions</h2>" in page.text
    assert ">Creatinine clearance, Cockcroft-Gault 1976</a>" in page.text
    assert "<code>crcl_cockcroft_gault</code>" not in page.text  # no code names as the link text


def test_form_has_units_and_selects_and_a_readable_breakdown(admin_client: TestClient) -> None:
    page = admin_client.get("/workspace/calculators/crcl_cockcroft_gault")
    assert "<h1>Creatinine clearance, Cockcroft-Gault 1976</h1>" in page.text
    assert re.search(
        r'for="c-scr_mg_dl">Serum creatinine <span class="unit">\(mg/dL\)</span>', page.text
    )
    sex = re.search(r'<select id="c-sex" name="sex"[^>]*>(.*?)</select>', page.text, re.S)
    assert sex is not None
    assert re.findall(r'<option value="(\w+)"', sex.group(1)) == ["female", "male"]
    basis = re.search(r'<select id="c-weight_basis"[^>]*>(.*?)</select>', page.text, re.S)
    assert basis is not None and 'value="adjusted"' in basis.group(1)
    done = admin_client.post(
        "/workspace/calculators/crcl_cockcroft_gault",
        data={
            "csrf_token": csrf_of(admin_client, "/workspace/calculators/crcl_cockcroft_gault"),
            "scr_mg_dl": "1.0",
            "age_years": "40",
            "sex": "female",
            "weight_kg": "60",
            "weight_basis": "actual",
        },
    )
    assert done.status_code == 200
    # (140 − 40) × 60 / (72 × 1.0) × 0.85 = 70.83 mL/min (Cockcroft & Gault 1976)
    assert "<strong>70.83</strong> mL/min" in done.text
    assert '<td data-label="Item">Sex factor</td><td data-label="Value">0.85</td>' in done.text
    assert '<td data-label="Item">Weight used</td><td data-label="Value">60 kg</td>' in done.text
    assert "{&#34;" not in done.text and "weight_used_kg" not in done.text  # no raw JSON


def test_bad_choice_names_the_field(admin_client: TestClient) -> None:
    bad = admin_client.post(
        "/workspace/calculators/crcl_cockcroft_gault",
        data={
            "csrf_token": csrf_of(admin_client, "/workspace/calculators/crcl_cockcroft_gault"),
            "scr_mg_dl": "1.0",
            "age_years": "40",
            "sex": "unknown",
            "weight_kg": "60",
        },
    )
    assert bad.status_code == 422
    assert "sex" in bad.text and "female" in bad.text
