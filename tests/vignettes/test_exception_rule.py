"""Issue 9: a protocol exception rescues only a computable criterion KNOWN to fail.

NCT07193667 ``inc-2.renal`` = any_of(CrCl >= 30 mL/min, manual "disease-induced decline") and
NCT06464679 ``inc-2.2`` = any_of(liver limits, manual "no requirements for conditions caused by
the disease itself"). Before the rule the manual alternative, assumed favourable, made a patient
with no creatinine (or one six months old) ELIGIBLE with nothing listed as missing.
"""

from __future__ import annotations

from typing import Any

from tests.support.fhir_builder import coding
from tests.vignettes import test_nct06464679 as pss
from tests.vignettes import test_nct07193667 as multi
from tests.vignettes._common import ELIGIBLE, NEEDS_DATA, BundleBuilder, check, crit, outcome, run

SIX_MONTHS_AGO = "2026-05-20"  # screening 2026-11-22; the 28-day window opens 2026-10-25


def _is(entry: dict[str, Any], key: str) -> bool:
    code = coding("labs", key)["code"]
    return entry["resourceType"] == "Observation" and any(
        c.get("code") == code for c in entry["code"]["coding"]
    )


def without(b: BundleBuilder, *keys: str) -> BundleBuilder:
    b.entries = [e for e in b.entries if not any(_is(e, k) for k in keys)]
    return b


def redated(b: BundleBuilder, when: str, *keys: str) -> BundleBuilder:
    for e in b.entries:
        if any(_is(e, k) for k in keys):
            e["effectiveDateTime"] = when
    return b


# --------------------------------------------------------------- NCT07193667 inc-2.renal


def test_no_creatinine_is_needs_data_not_eligible() -> None:
    res = run("NCT07193667", without(multi.sle_woman("renal-none"), "creatinine"))
    check(res, NEEDS_DATA)
    assert outcome(res, "inc-2.renal") == "unknown"
    assert outcome(res, "inc-2.renal.crcl") == "unknown"
    assert crit(res, "inc-2.renal").blocked == ("inc-2.renal.crcl",)
    assert [m for m in res.missing if m.startswith("serum creatinine")], res.missing
    assert "inc-2.renal.disease-induced" not in res.manual_review
    assert "inc-2.renal.crcl" not in res.overridden_pending_review


def test_six_month_old_creatinine_is_needs_data_and_says_too_old() -> None:
    res = run("NCT07193667", redated(multi.sle_woman("renal-old"), SIX_MONTHS_AGO, "creatinine"))
    check(res, NEEDS_DATA)
    creat = [m for m in res.missing if m.startswith("serum creatinine")]
    assert creat and "latest on record is 2026-05-20, too old" in creat[0]


def test_known_low_crcl_is_still_rescued_pending_review() -> None:
    """Creatinine 3.0 mg/dL, 32 y, 60 kg, female: CrCl = (140-32) x 60 / (72 x 3.0) x 0.85
    = 25.5 mL/min < 30, known to fail: the exception applies, pending the investigator."""
    res = run("NCT07193667", multi.sle_woman("renal-low", creatinine=(3.0, "mg/dL")))
    assert outcome(res, "inc-2.renal.crcl") == "fail"
    assert outcome(res, "inc-2.renal") == "pass"
    assert "inc-2.renal.crcl" in res.overridden_pending_review
    assert "inc-2.renal.disease-induced" in res.manual_review
    assert res.verdict is ELIGIBLE


# --------------------------------------------------------------- NCT06464679 inc-2.2


def test_no_liver_tests_is_needs_data_not_eligible() -> None:
    res = run("NCT06464679", without(pss.sjogren_woman("liver-none"), "alt", "ast"))
    check(res, NEEDS_DATA)
    assert outcome(res, "inc-2.2") == "unknown"
    assert [m for m in res.missing if m.startswith("alt ")], res.missing
    assert [m for m in res.missing if m.startswith("ast ")], res.missing
    assert "inc-2.2.disease-caused" not in res.manual_review


def test_six_month_old_liver_tests_are_needs_data() -> None:
    res = run(
        "NCT06464679",
        redated(pss.sjogren_woman("liver-old"), SIX_MONTHS_AGO, "alt", "ast", "bilirubin_total"),
    )
    check(res, NEEDS_DATA)
    assert outcome(res, "inc-2.2") == "unknown"
    assert any("alt" in m and "too old" in m for m in res.missing)


def test_unknown_alt_beside_a_failing_ast_is_still_unknown() -> None:
    """A known failure of one part does not let the exception skip the unknown other part."""
    b = without(pss.sjogren_woman("liver-mixed", alt=(150, 40)), "ast")
    res = run("NCT06464679", b)
    assert outcome(res, "inc-2.2.limits.alt") == "fail"
    # ALT fails, so the limits are known FALSE without AST: the exception may rescue them
    assert outcome(res, "inc-2.2") == "pass"
    assert "inc-2.2.disease-caused" in res.manual_review
