"""The temporal layer (``ingest/parse/temporal.py``): windows, directions, enumerated anchors."""

from __future__ import annotations

import pytest

from cartrial.domain.timewindow import TimeUnit
from cartrial.ingest.parse.normalize import normalize
from cartrial.ingest.parse.temporal import UNRESOLVED, Anchor, find_windows, read_anchor


def _one(text: str) -> tuple[float, str, str, str]:
    found = find_windows(normalize(text).text)
    assert len(found) == 1, found
    w = found[0]
    return w.amount, w.unit.value, w.direction, w.reference


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("within 4 weeks prior to screening", (4, "weeks", "within", "screening")),
        ("within 6 months", (6, "months", "within", "screening")),
        ("in the past month", (1, "months", "within", "screening")),
        ("during the prior year", (1, "years", "within", "screening")),
        ("the year prior to enrollment", (1, "years", "within", "enrollment")),
        ("not more than 3 years prior to randomization", (3, "years", "within", "randomization")),
        ("less than 2 weeks before leukapheresis", (2, "weeks", "within", "leukapheresis")),
        (
            "within four weeks prior to the first infusion of RTX",
            (4, "weeks", "within", "first_dose"),
        ),
        ("within 14 days prior to Cycle 1 Day 1", (14, "days", "within", "first_dose")),
        ("within 2 weeks before initiating study drug", (2, "weeks", "within", "first_dose")),
        (
            "within 7 days before the start of the conditioning regimen",
            (7, "days", "within", "lymphodepletion"),
        ),
        ("within 4 weeks before CAR T-cell infusion", (4, "weeks", "within", "first_dose")),
        ("within 28 days before KYV-101 administration", (28, "days", "within", "first_dose")),
        ("within 30 days of signing the informed consent form", (30, "days", "within", "consent")),
        ("within 5 half-lives prior to enrollment", (5, "half_lives", "within", "enrollment")),
        ("at least 6 months before screening", (6, "months", "at_least", "screening")),
        ("At least 3 weeks since prior chemotherapy", (3, "weeks", "at_least", "screening")),
        ("2 weeks after the subject received the last dose", (2, "weeks", "at_least", "screening")),
        ("for at least 12 weeks", (12, "weeks", "duration", "screening")),
        ("stable for >= 4 weeks prior to baseline", (4, "weeks", "duration", "screening")),
        ("for 6 months after transfusion", (6, "months", "after", "first_dose")),
        ("until 14 days post last dose of Descartes-08", (14, "days", "after", "last_dose")),
        ("in the 12 months following RTX treatment stop", (12, "months", "after", "last_dose")),
    ],
)
def test_windows(text: str, expected: tuple[float, str, str, str]) -> None:
    assert _one(text) == expected


def test_an_anchor_outside_the_enumeration_is_unresolved_not_screening() -> None:
    w = find_windows(normalize("within 7 days before the laboratory test").text)[0]
    assert w.reference == UNRESOLVED and not w.resolved
    assert w.anchor_text == "the laboratory test"


def test_every_anchor_has_a_phrase() -> None:
    named = {a for a in Anchor}
    for anchor, text in [
        (Anchor.SCREENING, "the screening visit"),
        (Anchor.ENROLLMENT, "study entry"),
        (Anchor.CONSENT, "signing the ICF"),
        (Anchor.RANDOMIZATION, "the date of randomization"),
        (Anchor.BASELINE, "Baseline visit"),
        (Anchor.LEUKAPHERESIS, "apheresis"),
        (Anchor.LYMPHODEPLETION, "lymphodepleting chemotherapy"),
        (Anchor.FIRST_DOSE, "the first dose of study treatment"),
        (Anchor.LAST_DOSE, "the last dose of study drug"),
        (Anchor.DIAGNOSIS, "diagnosis"),
    ]:
        got, _end, _raw = read_anchor(text, 0)
        assert got == anchor.value, text
        named.discard(anchor)
    assert not named


def test_units() -> None:
    assert find_windows("within 2 wks prior to screening")[0].unit is TimeUnit.WEEKS
    assert find_windows("in the last 6m")[0].unit is TimeUnit.MONTHS
    assert find_windows("within the last six months")[0].amount == 6


def test_a_relation_after_an_aside_still_names_the_anchor() -> None:
    text = "disease modifying drugs within the last month (or 30 days) prior to study Day 1"
    w = find_windows(normalize(text).text)[0]
    assert (w.amount, w.unit, w.reference) == (1, TimeUnit.MONTHS, "first_dose")
    w2 = find_windows("within 3 months (6 months for rituximab) prior to CAR T-cell infusion")[0]
    assert (w2.amount, w2.reference) == (3, "first_dose")
