"""Never a confident wrong fact: what the grammars cannot read reaches a reviewer with the reason
(an anchor the temporal grammar cannot name, a comparator it cannot place, a bound with no
concept, a time span nothing was dated by), and the draft lists exactly those stretches."""

from __future__ import annotations

import pytest
import yaml

from cartrial.criteria.nodes import AllOf, AnyOf, ManualReview
from cartrial.criteria.serde import dump_protocol, parse_protocol
from cartrial.domain.trial import Trial
from cartrial.ingest.parse import node_records, parse_eligibility
from cartrial.ingest.parse.draft import draft_protocol, not_read


def _records(sentence: str, section: str = "Inclusion") -> list[dict[str, object]]:
    return node_records(parse_eligibility(f"{section} Criteria:\n\n* {sentence}\n"))


def _manual(records: list[dict[str, object]]) -> list[dict[str, object]]:
    return [r for r in records if r["kind"] == "manual"]


def test_a_bound_with_no_concept_is_a_review_node_of_exactly_that_stretch() -> None:
    recs = _records("Hemoglobin ≥ 9 g/dL and Frobnitz index ≥ 6")
    assert [(r["kind"], r["concept"]) for r in recs if r["kind"] != "manual"] == [
        ("measurement", "hemoglobin")
    ]
    (manual,) = _manual(recs)
    assert manual["text"] == "≥ 6"
    assert manual["note"] == "not read: a bound with no concept named"


@pytest.mark.parametrize(
    ("section", "joiner", "group"),
    [("Inclusion", "and", AllOf), ("Exclusion", "or", AnyOf), ("Exclusion", "and", AllOf)],
)
def test_the_unread_stretch_joins_the_sentence_by_its_own_words(
    section: str, joiner: str, group: type
) -> None:
    """An unread alternative ("or") cannot be outvoted by the part read, nor an unread
    condition ("and") be skipped: the review node takes the place the text gives it."""
    text = f"{section} Criteria:\n\n* Serum creatinine > 2 mg/dL {joiner} quux > 5 mg/dL\n"
    node = parse_eligibility(text).criteria[0].node
    assert isinstance(node, group)
    kinds = [type(n) for n in node.items]
    assert ManualReview in kinds and len(kinds) == 2
    manual = next(n for n in node.items if isinstance(n, ManualReview))
    assert manual.text == "> 5 mg/dL"


def test_a_uln_multiple_without_a_comparator_is_not_guessed() -> None:
    recs = _records("ALT 3 x ULN")
    assert [r["kind"] for r in recs] == ["manual"]
    assert '"3 x ULN" (a ULN multiple with no comparator)' in str(recs[0]["note"])


def test_a_time_span_nothing_was_dated_by_is_kept_for_review() -> None:
    recs = _records("Age 18 to 65 years, treated for at least 6 months")
    assert [r["kind"] for r in recs] == ["age", "manual"]
    assert recs[1]["text"] == "for at least 6 months"
    assert recs[1]["note"] == "not read: a time span with nothing read for it"


def test_an_anchor_the_grammar_cannot_name_is_reviewed_not_counted_from_screening() -> None:
    recs = _records("Live vaccine within 4 weeks before the laboratory test", "Exclusion")
    assert [r["kind"] for r in recs] == ["manual"]
    assert "'the laboratory test': not an anchor the parser knows" in str(recs[0]["note"])


def test_a_sentence_understood_in_part_quotes_the_words_not_read() -> None:
    recs = _records("LVEF ≥ 50%, no uncontrolled arrhythmia, no intracardiac thrombus")
    assert recs[0]["concept"] == "lvef"
    (manual,) = _manual(recs)
    assert manual["note"] == (
        'part of this sentence was not understood: "uncontrolled arrhythmia, no intracardiac '
        'thrombus"'
    )


def test_a_sentence_read_in_nothing_is_quoted_whole() -> None:
    (manual,) = _records("Quux score of the frobnitz panel must be ≥ 12")
    assert manual["text"] == "Quux score of the frobnitz panel must be ≥ 12"
    assert manual["note"] == "not understood by the parser: needs a person"


@pytest.mark.parametrize(
    "sentence",
    [
        "Total bilirubin ≤ 34 µmol/L (≤ 2.0 mg/dL)",  # the same bound in another unit
        "At least one of the following antibodies: anti-dsDNA positive",  # "any of"
        "Hemoglobin ≥ 9 g/dL within 2 weeks of screening",  # the window dates the value
    ],
)
def test_what_was_read_raises_no_review(sentence: str) -> None:
    recs = _records(sentence)
    assert recs and _manual(recs) == []


@pytest.mark.parametrize("name", ["Zorbane level", "frobnitz index", "quux titre"])
def test_no_bound_is_dropped_silently(name: str) -> None:
    """Whatever the second name, its bound is either read or quoted for review."""
    recs = _records(f"Platelets ≥ 100 x 10^9/L and {name} > 7 mg/L")
    assert recs[0]["concept"] == "platelets"
    assert any(r["kind"] == "manual" and "> 7 mg/L" in str(r["text"]) for r in recs)


def test_the_draft_lists_exactly_the_stretches_not_read() -> None:
    text = (
        "Inclusion Criteria:\n\n"
        "* Age ≥ 18 years\n"
        "* Hemoglobin ≥ 9 g/dL and Frobnitz index ≥ 6\n"
        "* ALT 3 x ULN\n"
        "Exclusion Criteria:\n\n"
        "* Live vaccine within 4 weeks before the laboratory test\n"
    )
    protocol, _ = draft_protocol(Trial(nct_id="NCT09999997", title="x"), eligibility_text=text)
    listed = not_read(protocol)
    assert [(r["section"], r["text"]) for r in listed] == [
        ("inclusion", "≥ 6"),
        ("inclusion", "ALT 3 x ULN"),
        ("exclusion", "Live vaccine within 4 weeks before the laboratory test"),
    ]
    for r in listed:
        a, b = r["span"]
        assert text[a:b] == r["text"] and r["id"] and r["why"]
    assert [r["id"] for r in listed] == ["inc-2.2", "inc-3", "exc-1"]
    # the YAML a coordinator edits carries the same stretches and reasons
    dumped = dump_protocol(protocol)
    assert "not read: a bound with no concept named" in dumped
    assert parse_protocol(yaml.safe_load(dumped)) == protocol
