"""Issue 9: bundles shaped the way other systems send them (each failed before the fix).

Scores and joint counts by name instead of the project's local code, a more specific SNOMED CT
code, a text-only Condition, two results of one test on one day, UCUM annotation units, numbers
sent as text, a year-only birth date and an ANA titre without a reference range.
"""

from __future__ import annotations

from typing import Any

import pytest

from cartrial.ingest.fhir import patient_from_bundle
from tests.support.fhir_builder import coding
from tests.vignettes import test_nct06464679 as pss
from tests.vignettes import test_nct06792344 as child_ssc
from tests.vignettes._common import (
    ELIGIBLE,
    INELIGIBLE,
    LAB_DAY,
    NEEDS_DATA,
    BundleBuilder,
    check,
    crit,
    outcome,
    run,
)

HOSPITAL = "http://hospital.example.org/fhir/CodeSystem/scores"


def _drop(b: BundleBuilder, key: str) -> BundleBuilder:
    code = coding("labs", key)["code"]
    b.entries = [
        e
        for e in b.entries
        if not (e["resourceType"] == "Observation" and e["code"]["coding"][0].get("code") == code)
    ]
    return b


def _named_obs(
    b: BundleBuilder,
    rid: str,
    code: dict[str, Any],
    value: Any,
    when: str = LAB_DAY,
    unit: str | None = "{score}",
) -> BundleBuilder:
    obs: dict[str, Any] = {
        "resourceType": "Observation",
        "id": rid,
        "status": "final",
        "code": code,
        "effectiveDateTime": when,
    }
    if isinstance(value, str):
        obs["valueString"] = value
    else:
        obs["valueQuantity"] = {
            "value": value,
            **(
                {"unit": unit, "code": unit, "system": "http://unitsofmeasure.org"}
                if unit is not None
                else {}
            ),
        }
    b.entries.append(obs)
    return b


# ------------------------------------------------------------------ scores sent by name


def test_mrss_sent_as_code_text_is_read_and_fails_the_threshold() -> None:
    """NCT06792344 asks mRSS >= 15. The child's mRSS 9 comes as ``code.text: "mRSS"`` with no
    coding: recognised by name, 9 < 15, INELIGIBLE (it was NEEDS_DATA "mRSS missing")."""
    b = _named_obs(child_ssc.child("ssc-mrss-text", mrss=None), "mrss-text", {"text": "mRSS"}, 9)
    res = run("NCT06792344", b)
    check(res, INELIGIBLE, {"inc-4"})
    ev = [e for c in res.criteria if c.kind == "score" for e in c.evidence if e.concept == "mrss"]
    assert ev and ev[0].value == 9 and "recognised by name 'mRSS'" in (ev[0].detail or "")


def test_essdai_under_a_hospital_code_with_a_display_is_recognised() -> None:
    b = _drop(pss.sjogren_woman("pss-essdai-local"), "essdai")
    _named_obs(
        b,
        "essdai-local",
        {"coding": [{"system": HOSPITAL, "code": "ESD", "display": "ESSDAI"}]},
        9,
        unit="{points}",
    )
    res = run("NCT06464679", b)
    assert outcome(res, "inc-5.pss.2") == "pass", res.missing
    assert res.verdict is ELIGIBLE


@pytest.mark.parametrize("unit", ["{#}", "1", "{points}", "{score}", None])
def test_joint_counts_by_name_with_annotation_units(unit: str | None) -> None:
    """ "66/68 swollen joint count" 8 {#} and "68 tender joint count" 11: recognised by name,
    the UCUM annotation read as a dimensionless count (it used to abort the whole bundle)."""
    b = pss.ra_man("ra-names")
    for key in ("swollen_joint_count_66", "tender_joint_count_68"):
        _drop(b, key)
    _named_obs(b, "sjc", {"text": "66/68 swollen joint count"}, 8, unit=unit)
    _named_obs(b, "tjc", {"text": "TJC68"}, 11, unit=unit)
    res = run("NCT06464679", b)
    assert res.verdict is ELIGIBLE, res.missing


def test_unknown_name_is_listed_not_guessed() -> None:
    """ "mRSS (modified)" is not a curated name: no fuzzy match, listed as unrecognised."""
    b = _named_obs(
        child_ssc.child("ssc-mrss-odd", mrss=None), "odd", {"text": "mRSS (modified)"}, 9
    )
    res = run("NCT06792344", b)
    check(res, NEEDS_DATA)
    assert any(u.id == "odd" and "mRSS (modified)" in u.reason for u in res.unrecognized)


# ------------------------------------------------------------------ conditions


def test_seropositive_ra_snomed_descendant_counts_as_ra() -> None:
    """239791005 "Seropositive rheumatoid arthritis" (a child of 69896004 in SNOMED CT): the RA
    cohort applies (it was "no rheumatoid arthritis" -> INELIGIBLE)."""
    b = pss.ra_man("ra-seropositive")
    for e in b.entries:
        if e["resourceType"] == "Condition":
            e["code"] = {
                "coding": [
                    {
                        "system": "http://snomed.info/sct",
                        "code": "239791005",
                        "display": "Seropositive rheumatoid arthritis",
                    }
                ]
            }
    res = run("NCT06464679", b)
    assert res.verdict is ELIGIBLE, res.decisive
    ev = [
        e
        for c in res.criteria
        if c.kind == "condition"
        for e in c.evidence
        if e.concept == "rheumatoid_arthritis"
    ]
    assert ev and "descendant of 69896004" in (ev[0].detail or "")


def test_text_only_epilepsy_is_not_eligible() -> None:
    """A Condition with only ``code.text: "Epilepsy"``: exclusion 3 (CNS disorders including
    epilepsy) can no longer be ruled out. NEEDS_DATA with the record to review (was ELIGIBLE)."""
    b = pss.sjogren_woman("pss-epilepsy-text")
    b.entries.append(
        {
            "resourceType": "Condition",
            "id": "epi",
            "code": {"text": "Epilepsy"},
            "subject": {"reference": "Patient/pss-epilepsy-text"},
            "clinicalStatus": {
                "coding": [
                    {
                        "system": "http://terminology.hl7.org/CodeSystem/condition-clinical",
                        "code": "active",
                    }
                ]
            },
        }
    )
    res = run("NCT06464679", b)
    check(res, NEEDS_DATA)
    assert outcome(res, "exc-3.coded") == "unknown"
    assert any("Condition/epi 'Epilepsy'" in m and "epilepsy" in m for m in res.missing)
    assert any(u.id == "epi" for u in res.unrecognized)


def test_unrelated_unrecognised_condition_changes_nothing() -> None:
    b = pss.sjogren_woman("pss-ingrown-nail")
    b.entries.append(
        {
            "resourceType": "Condition",
            "id": "nail",
            "subject": {"reference": "Patient/pss-ingrown-nail"},
            "code": {"text": "Ingrown toenail"},
        }
    )
    res = run("NCT06464679", b)
    assert res.verdict is ELIGIBLE
    assert any(u.id == "nail" for u in res.unrecognized)


# ------------------------------------------------------------------ ingest edge cases


def _two_creatinines(order: str) -> BundleBuilder:
    """Creatinine 3.5 mg/dL at 08:00 and 0.9 mg/dL at 14:00 the same day (a repeat after a
    haemolysed sample): the later one counts whatever the bundle order."""
    b = _drop(pss.sjogren_woman(f"pss-crea-{order}"), "creatinine")
    high = {
        "resourceType": "Observation",
        "id": "crea-0800",
        "status": "final",
        "code": {"coding": [coding("labs", "creatinine")]},
        "effectiveDateTime": f"{LAB_DAY}T08:00:00+01:00",
        "valueQuantity": {
            "value": 3.5,
            "unit": "mg/dL",
            "system": "http://unitsofmeasure.org",
            "code": "mg/dL",
        },
    }
    low = {
        **high,
        "id": "crea-1400",
        "effectiveDateTime": f"{LAB_DAY}T14:00:00+01:00",
        "valueQuantity": {**high["valueQuantity"], "value": 0.9},
    }
    b.entries += [high, low] if order == "forward" else [low, high]
    return b


@pytest.mark.parametrize("order", ["forward", "reverse"])
def test_same_day_results_ordered_by_time(order: str) -> None:
    res = run("NCT06464679", _two_creatinines(order))
    assert outcome(res, "inc-2.3") == "pass"
    assert any(e.resource == "Observation/crea-1400" for e in crit(res, "inc-2.3").evidence)


def test_equal_instants_take_the_conservative_value_and_say_so() -> None:
    b = _two_creatinines("forward")
    for e in b.entries:
        if e.get("id") in ("crea-0800", "crea-1400"):
            e["effectiveDateTime"] = f"{LAB_DAY}T08:00:00+01:00"
    # ALT: 150 and 30 U/L at the same instant (ULN 40): the failing one counts
    b.entries += [
        {
            "resourceType": "Observation",
            "id": f"alt-{v}",
            "status": "final",
            "code": {"coding": [coding("labs", "alt")]},
            "effectiveDateTime": "2026-11-19T09:30:00Z",
            "valueQuantity": {
                "value": v,
                "unit": "U/L",
                "system": "http://unitsofmeasure.org",
                "code": "U/L",
            },
            "referenceRange": [{"high": {"value": 40, "unit": "U/L"}}],
        }
        for v in (30, 150)
    ]
    res = run("NCT06464679", b)
    alt = crit(res, "inc-2.2.limits.alt")
    assert alt.outcome == "fail" and "the more conservative one counts" in alt.reason


def test_numeric_value_string_is_parsed_with_its_unit() -> None:
    b = _drop(pss.sjogren_woman("pss-crea-text"), "creatinine")
    _named_obs(b, "crea-text", {"coding": [coding("labs", "creatinine")]}, "0.9 mg/dL")
    res = run("NCT06464679", b)
    assert outcome(res, "inc-2.3") == "pass"


def test_numeric_value_string_without_unit_is_listed_with_the_reason() -> None:
    b = _drop(pss.sjogren_woman("pss-crea-nounit"), "creatinine")
    _named_obs(b, "crea-nounit", {"coding": [coding("labs", "creatinine")]}, "0.9")
    p = patient_from_bundle(b.build())
    (u,) = [u for u in p.unrecognized if u.id == "crea-nounit"]
    assert "no unit" in u.reason and "never guessed" in u.reason
    res = run("NCT06464679", b)
    check(res, NEEDS_DATA)


@pytest.mark.parametrize(
    ("birth", "verdict"),
    [("1981", ELIGIBLE), ("1981-08", ELIGIBLE), ("1961", INELIGIBLE), ("1950", INELIGIBLE)],
)
def test_year_only_birth_date_decides_age_when_every_possible_age_agrees(
    birth: str, verdict: object
) -> None:
    """Ages 18-65 on 2026-11-22: born in 1981 -> 44 or 45 (both fit), and Cockcroft-Gault at
    both ends ((140-45) x 55 / (72 x 0.9) x 0.85 = 68.5 and 69.2 mL/min) meets >= 60: ELIGIBLE
    (age used to be unknown). Born 1961 -> 64 or 65 (both fit the age limit, 65 is allowed) but
    CrCl 54.8 / 54.1 mL/min < 60 at both ends: INELIGIBLE on inc-2. Born 1950 -> 75-76: none
    fits inc-1."""
    res = run("NCT06464679", pss.sjogren_woman("pss-year", birth=birth))
    assert res.verdict is verdict, (res.decisive, res.missing)
    assert outcome(res, "inc-1") == ("fail" if birth == "1950" else "pass")
    if birth == "1961":
        assert res.decisive == ("inc-2",) and outcome(res, "inc-2.3") == "fail"


def test_age_interval_straddling_a_limit_is_unknown() -> None:
    """Born in 2008: 17 or 18 on 2026-11-22; the lower limit 18 is met only by some."""
    res = run("NCT06464679", pss.sjogren_woman("pss-2008", birth="2008"))
    assert outcome(res, "inc-1") == "unknown"
    assert "Patient.birthDate (the full date)" in res.missing


def test_ana_titre_without_reference_range_is_read_against_1_to_80() -> None:
    """NCT06792344 inclusion 3 asks for ANA (any time). ANA IFA 1:1280 as a ratio with no
    reference range: positive against the 1:80 titre of the SLE 2019 entry criterion (was
    "inconclusive")."""
    b = child_ssc.child("ssc-ana-1280")
    b.entries = [
        e
        for e in b.entries
        if not (
            e["resourceType"] == "Observation"
            and e["code"]["coding"][0].get("code") == coding("labs", "anti_scl70")["code"]
        )
    ]
    b.entries.append(
        {
            "resourceType": "Observation",
            "id": "ana",
            "status": "final",
            "code": {"coding": [coding("labs", "ana_titer_ifa")]},
            "effectiveDateTime": "2023-05-20",
            "valueRatio": {"numerator": {"value": 1}, "denominator": {"value": 1280}},
        }
    )
    res = run("NCT06792344", b)
    assert outcome(res, "inc-3.ana-titre") == "pass"
    ev = crit(res, "inc-3.ana-titre").evidence[0]
    assert ev.value == 1280 and "1:80" in (ev.uln_source or "")


# ------------------------------------------------------------------ medications, procedures


def _gc012f(pid: str) -> BundleBuilder:
    from tests.vignettes import test_nct05858684 as gc012f

    return gc012f.sle_patient(pid)


@pytest.mark.parametrize(("end", "verdict"), [("2026-11-19", NEEDS_DATA), ("2020-03-01", ELIGIBLE)])
def test_unrecognised_medication_naming_a_washout_drug(end: str, verdict: object) -> None:
    """NCT05858684 exclusion 5: immunosuppressive therapy within 1 week. A MedicationStatement
    worded "methotrexate / leflunomide combination" names two drugs, so it is not recognised;
    stopped 3 days ago it may be that therapy (NEEDS_DATA, the record to review); stopped in
    2020 it is outside the week and changes nothing."""
    b = _gc012f(f"gc-med-{end}")
    b.entries.append(
        {
            "resourceType": "MedicationStatement",
            "id": "combo",
            "status": "completed",
            "subject": {"reference": f"Patient/gc-med-{end}"},
            "medicationCodeableConcept": {"text": "methotrexate / leflunomide combination"},
            "effectivePeriod": {"start": "2019-01-01", "end": end},
        }
    )
    res = run("NCT05858684", b)
    assert res.verdict is verdict, (res.decisive, res.missing)
    if verdict is NEEDS_DATA:
        assert outcome(res, "exc-5") == "unknown"
        assert any("combo" in m and "methotrexate" in m for m in res.missing)


@pytest.mark.parametrize(
    ("when", "verdict"), [("2026-11-17", NEEDS_DATA), ("2019-05-01", ELIGIBLE)]
)
def test_unrecognised_procedure_that_may_be_major_surgery(when: str, verdict: object) -> None:
    """NCT05858684 exclusion 11: major surgery within 2 weeks. A text-only Procedure "Open bowel
    resection" 5 days ago may be one (NEEDS_DATA); in 2019 it is outside the window."""
    b = _gc012f(f"gc-proc-{when}")
    b.entries.append(
        {
            "resourceType": "Procedure",
            "id": "op",
            "status": "completed",
            "subject": {"reference": f"Patient/gc-proc-{when}"},
            "code": {"text": "Open bowel resection"},
            "performedDateTime": when,
        }
    )
    res = run("NCT05858684", b)
    assert res.verdict is verdict, (res.decisive, res.missing)
    if verdict is NEEDS_DATA:
        assert outcome(res, "exc-11.recent") == "unknown"


def test_same_instant_creatinines_take_the_conservative_one_for_crcl() -> None:
    """Creatinine 3.5 and 0.9 mg/dL at the same instant: CrCl >= 60 is judged on 3.5
    ((140-45) x 55 / (72 x 3.5) x 0.85 = 17.6 mL/min, fails) and the evidence says why."""
    for order in ("forward", "reverse"):
        b = _two_creatinines(order)
        for e in b.entries:
            if e.get("id") in ("crea-0800", "crea-1400"):
                e["effectiveDateTime"] = f"{LAB_DAY}T08:00:00+01:00"
        res = run("NCT06464679", b)
        assert outcome(res, "inc-2.3") == "fail"
        scr = [e for e in crit(res, "inc-2.3").evidence if e.concept == "creatinine"]
        assert scr[0].value == 3.5 and "more conservative" in (scr[0].detail or "")


def test_unrecognised_ongoing_medication_started_long_ago_still_counts() -> None:
    """Still taken (status active, no end): whenever it started, it may be inside the washout."""
    b = _gc012f("gc-med-ongoing")
    b.entries.append(
        {
            "resourceType": "MedicationStatement",
            "id": "combo",
            "status": "active",
            "subject": {"reference": "Patient/gc-med-ongoing"},
            "medicationCodeableConcept": {"text": "methotrexate / leflunomide combination"},
            "effectivePeriod": {"start": "2019-01-01"},
        }
    )
    res = run("NCT05858684", b)
    assert res.verdict is NEEDS_DATA and outcome(res, "exc-5") == "unknown"


def test_joint_counts_sent_as_named_components_of_a_panel() -> None:
    """A hospital "RA assessment" panel (own code) with components "66/68 swollen joint count"
    8 and "TJC68" 11: each component is recognised by name as its own count."""
    b = pss.ra_man("ra-panel")
    for key in ("swollen_joint_count_66", "tender_joint_count_68"):
        _drop(b, key)
    b.entries.append(
        {
            "resourceType": "Observation",
            "id": "ra-panel-1",
            "status": "final",
            "code": {
                "coding": [{"system": HOSPITAL, "code": "RA-ASSESS", "display": "RA assessment"}]
            },
            "effectiveDateTime": LAB_DAY,
            "component": [
                {"code": {"text": "66/68 swollen joint count"}, "valueInteger": 8},
                {
                    "code": {"text": "TJC68"},
                    "valueQuantity": {
                        "value": 11,
                        "code": "{#}",
                        "system": "http://unitsofmeasure.org",
                    },
                },
            ],
        }
    )
    p = patient_from_bundle(b.build())
    assert [o.value for o in p.observations_of("swollen_joint_count_66")] == [8]
    assert p.observations_of("tender_joint_count_68")[0].recognized_by == "name 'TJC68'"
    assert run("NCT06464679", b).verdict is ELIGIBLE
