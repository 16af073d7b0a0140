"""The short form covers every datum the bundled trials' computable criteria read: each demo
patient, typed into the form from the record, gets the same verdict for every trial as the
FHIR bundle itself."""

from __future__ import annotations

from pathlib import Path

import pytest

from cartrial.ingest.fhir import load_bundle_file
from cartrial.services import prescreen_form
from cartrial.services.bundled_protocols import examples_dir
from cartrial.services.screening import screen_patient
from tests.web.helpers import AS_OF
from tests.web.screen.form_fill import form_values

DEMOS = sorted((examples_dir() / "patients").glob("*.json"))


@pytest.mark.parametrize("bundle", DEMOS, ids=lambda p: Path(p).stem)
def test_form_gives_the_bundle_verdicts(bundle: Path) -> None:
    patient = load_bundle_file(bundle)
    values = form_values(patient, AS_OF, prescreen_form.choices())
    flat = {k: v for k, v in values.items() if isinstance(v, str)}
    data = prescreen_form.from_flat_fields(flat, {"conditions": values["conditions"]})
    from_form = prescreen_form.patient_from_form(data, as_of=AS_OF)
    expected = {r.trial: r.verdict for r in screen_patient(patient, as_of=AS_OF)}
    got = {r.trial: r.verdict for r in screen_patient(from_form, as_of=AS_OF)}
    assert got == expected


def test_every_criterion_datum_has_a_field() -> None:
    choices = prescreen_form.choices()
    offered = {r["key"] for r in choices["labs"] + choices["imaging"]}
    offered |= {r["key"] for r in choices["serologies"] + choices["scores"]}
    for needed in (
        "cd19_abs",
        "hbv_dna",
        "hcv_rna",
        "syphilis_rpr",
        "inr",
        "prothrombin_time",
        "selena_sledai",
        "sle_eular_acr_2019",
        "ssc_acr_eular_2013",
        "mpap",
        "fvc_pct_pred",
        "hcg_urine_qual",
    ):
        assert needed in offered, needed
    assert {p["key"] for p in choices["procedures"]} >= {"hsct", "solid_organ_transplant"}
    assert "zoster_live" in {v["key"] for v in choices["vaccines"]}
