"""The sections layer (``ingest/parse/sections.py``): headers, list markers and nesting,
inline enumerations, wrapped lines, cohorts and the clauses a recognizer reads."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cartrial.ingest.parse.normalize import normalize
from cartrial.ingest.parse.sections import _HEADER_RX, _header_matches, clauses, split


def _items(text: str) -> list[tuple[str, str | None, int | None, int | None, str]]:
    clean = normalize(text).text
    layout = split(clean)
    return [
        (it.section, it.style, it.number, it.parent, clean[it.start : it.end])
        for it in layout.items
    ]


def test_numbered_lettered_and_roman_lists_nest_by_their_markers() -> None:
    text = (
        "Inclusion Criteria:\n1. Age 18-65\n2. Lupus\n   a. anti-dsDNA positive\n   b. low C3\n"
        "3. Consent\nExclusion Criteria:\ni. Pregnancy\nii. HIV\n"
    )
    assert _items(text) == [
        ("inclusion", "num.", 1, None, "Age 18-65"),
        ("inclusion", "num.", 2, None, "Lupus"),
        ("inclusion", "alpha", 1, 1, "anti-dsDNA positive"),
        ("inclusion", "alpha", 2, 1, "low C3"),
        ("inclusion", "num.", 3, None, "Consent"),
        ("exclusion", "roman", 1, None, "Pregnancy"),
        ("exclusion", "roman", 2, None, "HIV"),
    ]


def test_headers_without_a_colon_and_indented_bullets() -> None:
    text = (
        "Key Inclusion Criteria\n- one\n  - nested\n- two\nKey Exclusion Criteria\n(1) a\n(2) b\n"
    )
    assert _items(text) == [
        ("inclusion", "bullet-", None, None, "one"),
        ("inclusion", "bullet-", None, 0, "nested"),
        ("inclusion", "bullet-", None, None, "two"),
        ("exclusion", "(num)", 1, None, "a"),
        ("exclusion", "(num)", 2, None, "b"),
    ]


def test_an_inline_enumeration_after_a_lead_in_is_its_children() -> None:
    text = "Inclusion criteria: must meet the following: 1. Age over 18; 2. SLE; 3. Consent."
    assert [(style, parent, body) for _s, style, _n, parent, body in _items(text)] == [
        (None, None, "must meet the following:"),
        ("num.", 0, "Age over 18;"),
        ("num.", 0, "SLE;"),
        ("num.", 0, "Consent."),
    ]


def test_a_wrapped_line_continues_its_item() -> None:
    text = "Inclusion Criteria:\n* A sentence that wraps\n  onto a second line\n* next\n"
    assert [body for *_x, body in _items(text)] == [
        "A sentence that wraps\n  onto a second line",
        "next",
    ]


def test_text_without_headers_is_inclusion_and_says_so() -> None:
    layout = split(normalize("Age 18 or older\nSigned consent\n").text)
    assert not layout.has_headers
    assert all(it.section == "inclusion" and it.implicit_section for it in layout.items)


def test_a_disease_heading_its_list_is_a_cohort() -> None:
    clean = normalize("Inclusion Criteria:\n1. Lupus\n   a. anti-dsDNA positive\n2. Consent\n").text
    items = split(clean).items
    assert [it.cohort_keys for it in items] == [("sle",), ("sle",), ()]


@pytest.mark.parametrize(
    ("text", "pieces"),
    [
        ("A; B", ["A;", "B"]),
        # brackets hold their own ';' and '.'
        (
            "Hb >= 9 g/dL (e.g. after transfusion; see note). Next sentence",
            ["Hb >= 9 g/dL (e.g. after transfusion; see note).", "Next sentence"],
        ),
        ("Drugs e.g. MMF. Other", ["Drugs e.g. MMF.", "Other"]),
        ("Value 2.5. And more", ["Value 2.5. And more"]),  # a number's full stop: no end
    ],
)
def test_clauses_end_at_semicolons_and_sentence_ends_outside_brackets(
    text: str, pieces: list[str]
) -> None:
    clean = normalize(text).text
    assert [clean[a:b] for a, b in clauses(clean, 0, len(clean))] == pieces


_FRAGMENTS = [
    "Inclusion", "Exclusion", "inclusive", "EXCLUSIONS", " criteria", " Criteria", ":", "\n",
    " ", "**", "#", "##", "-", "*", "Key ", "main ", "Other ", " for ", "the ", "patients with ",
    "lupus", ".", ";", "/", "Inclu", "sion", "\t", "important\n", "ex", "clu", "\u0131n",
    "\u0130nclusion",
]  # fmt: skip


@settings(max_examples=400, deadline=None)
@given(st.lists(st.sampled_from(_FRAGMENTS), max_size=16))
def test_the_header_fast_path_finds_what_the_pattern_finds(parts: list[str]) -> None:
    text = "".join(parts)
    plain = [(m.start(), m.end()) for m in _HEADER_RX.finditer(text)]
    assert [(m.start(), m.end()) for m in _header_matches(text)] == plain
