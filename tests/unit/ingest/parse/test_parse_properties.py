"""Properties of the eligibility parser: no sentence is ever lost, spans are exact, bad input is safe."""

from __future__ import annotations

import re
from collections.abc import Iterator

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cartrial.criteria.nodes import Criterion, ManualReview
from cartrial.criteria.walk import iter_nodes
from cartrial.ingest.parse import ParseResult, node_records, parse_eligibility
from tests.unit.ingest.parse.parse_cases import CASES

SENTENCES = [c[2] for c in CASES]
_CONTENT = re.compile(r"[^\W_]")
# list markers ("1.", "2)", "(3)", "a.", bullets) anywhere in a line are not sentences
_MARKER = re.compile(
    r"(?:^|(?<=\s)|(?<=[;:]))(?:[-*+•]|\(?\d{1,2}[.)]|\(?[a-zA-Z][.)]|\(\d{1,2}\))(?=\s|$|[;(])"
)


def _nodes(result: ParseResult) -> Iterator[Criterion]:
    for crit in result.criteria:
        yield from iter_nodes(crit.node)


def _uncovered_lines(text: str, result: ParseResult) -> list[str]:
    spans = [n.span for n in _nodes(result) if n.span is not None] + list(result.headers)
    lost = []
    pos = 0
    for line in text.split("\n"):
        start, end = pos, pos + len(line)
        pos = end + 1
        body = _MARKER.sub("", line)
        if not _CONTENT.search(body):
            continue  # blank, or only a list marker / punctuation
        if not any(a < end and start < b for a, b in spans):
            lost.append(line)
    return lost


def _check_spans(text: str, result: ParseResult) -> None:
    for node in _nodes(result):
        assert node.span is not None, f"node without span: {node}"
        a, b = node.span
        assert 0 <= a <= b <= len(text)
        assert node.text == text[a:b], "text is exactly the spanned original"
        assert node.review is not None and node.review.value == "auto"
        assert node.confidence is not None and 0.0 <= node.confidence <= 1.0


# --------------------------------------------------------------------------- strategies

headers = st.sampled_from(
    [
        "Inclusion Criteria:",
        "Exclusion Criteria:",
        "Key Inclusion Criteria:",
        "INCLUSION CRITERIA",
        "Exclusion criteria for Systemic Sclerosis:",
        "Inclusion criteria for relapsing refractory rheumatoid arthritis:",
        "",
    ]
)
noise = st.text(
    alphabet=st.characters(
        blacklist_categories=("Cs",), blacklist_characters="\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029"
    ),
    min_size=0,
    max_size=60,
)
sentence = st.one_of(st.sampled_from(SENTENCES), noise)
marker = st.sampled_from(
    ["", "- ", "* ", "• ", "1. ", "2) ", "(3) ", "a. ", "  1. ", "    b. ", "10. "]
)


@st.composite
def documents(draw: st.DrawFn) -> str:
    lines: list[str] = []
    for _ in range(draw(st.integers(1, 4))):
        lines.append(draw(headers))
        for _ in range(draw(st.integers(0, 6))):
            style = draw(st.integers(0, 3))
            if style == 0:  # inline enumeration on one line
                parts = draw(st.lists(sentence, min_size=1, max_size=4))
                lines.append(" ".join(f"{i}. {p};" for i, p in enumerate(parts, 1)))
            elif style == 1:  # a blank line
                lines.append("")
            else:
                lines.append(draw(marker) + draw(sentence))
    return "\n".join(lines)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(documents())
def test_every_non_blank_line_is_covered_by_a_node(text: str) -> None:
    result = parse_eligibility(text)
    _check_spans(text, result)
    assert _uncovered_lines(text, result) == []


@settings(max_examples=60, deadline=None)
@given(st.lists(st.sampled_from(SENTENCES), min_size=1, max_size=8), st.booleans())
def test_known_sentences_in_any_layout(items: list[str], numbered: bool) -> None:
    body = "\n".join((f"{i}. " if numbered else "* ") + s for i, s in enumerate(items, 1))
    text = f"Inclusion Criteria:\n{body}\n\nExclusion Criteria:\n{body}\n"
    result = parse_eligibility(text)
    _check_spans(text, result)
    assert _uncovered_lines(text, result) == []
    records = node_records(result)
    assert {r["section"] for r in records} == {"inclusion", "exclusion"}


@settings(max_examples=80, deadline=None)
@given(st.text(max_size=400))
def test_arbitrary_text_never_crashes(text: str) -> None:
    result = parse_eligibility(text)
    _check_spans(text, result)
    node_records(result)


# --------------------------------------------------------------------------- bad input


def test_empty_criteria() -> None:
    for text in ("", "   ", "\n\n\t\n"):
        result = parse_eligibility(text)
        assert result.criteria == ()
        assert "empty eligibility text" in result.warnings


def test_headers_only() -> None:
    result = parse_eligibility("Inclusion Criteria:\n\nExclusion Criteria:\n")
    assert result.criteria == ()
    assert len(result.headers) == 2


def test_no_section_headers_reads_as_inclusion_and_warns() -> None:
    text = "Aged 18 to 65 years\nHemoglobin ≥ 9 g/dL\nPregnant or lactating women\n"
    result = parse_eligibility(text)
    assert not result.has_headers
    assert any("no 'Inclusion Criteria'" in w for w in result.warnings)
    assert {c.section for c in result.criteria} == {"inclusion"}
    assert _uncovered_lines(text, result) == []
    kinds = {r["kind"] for r in node_records(result)}
    assert {"age", "measurement", "condition"} <= kinds


def test_non_english_text_becomes_manual_nodes() -> None:
    text = (
        "Einschlusskriterien:\n1. Patienten mit aktiver Erkrankung trotz Standardtherapie\n"
        "2. 年龄18-70岁，签署知情同意书\n3. Критерии исключения: беременность\n"
    )
    result = parse_eligibility(text)
    _check_spans(text, result)
    assert _uncovered_lines(text, result) == []
    assert all(isinstance(c.node, ManualReview) or c.node.kind for c in result.criteria)
    assert any(r["kind"] == "manual" for r in node_records(result))


def test_one_megabyte_of_text() -> None:
    block = "\n".join(f"{i % 40 + 1}. {s}" for i, s in enumerate(SENTENCES))
    text = "Inclusion Criteria:\n"
    while len(text) < 1_000_000:
        text += block + "\n"
    result = parse_eligibility(text)
    assert len(result.criteria) > 1000
    assert result.criteria[-1].span[1] <= len(text)


def test_one_megabyte_single_line_without_structure() -> None:
    text = ("lorem ipsum dolor sit amet " * 40_000)[:1_000_000]
    result = parse_eligibility(text)
    assert _uncovered_lines(text, result) == []


def test_html_debris_and_escapes_keep_offsets() -> None:
    text = (
        "Inclusion Criteria:\n1. Age \\>= 18 years <!-- --> 2. Neutrophil count \\> 1.5 x 10\\^9/L;"
        " 3. ALT ≤ 3 times the upper limit of normal\n"
    )
    result = parse_eligibility(text)
    _check_spans(text, result)
    recs = {r["concept"] or r["kind"]: r for r in node_records(result)}
    assert recs["anc"]["text"].startswith("Neutrophil count \\> 1.5 x 10\\^9/L")
    assert recs["alt"]["uln_multiple"] == 3
    assert recs["age"]["min_years"] == 18
