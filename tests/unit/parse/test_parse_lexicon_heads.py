"""Speed devices of the parser, each checked against the plain reading: the lexicon scan's
second dispatch (``lexicon.literal_heads``: a word start spelled in ASCII tries only the
synonyms whose first letters agree with it), its gates over lower-cased text, and the
lower-cased twins of case-blind regexes (``patterns.lower_twin``)."""

from __future__ import annotations

import re

import pytest

from cartrial import vocab
from cartrial.ingest.parse import lexicon as lx


@pytest.mark.parametrize(
    ("pattern", "heads"),
    [
        (r"Tofacitinib", {"tof"}),
        (r"(?-i:\bSLE\b)", {"sle"}),
        (r"(?:plasma\s+)?fibrinogen", {"pla", "fib"}),
        (r"ha?emoglobin", {"hae", "hem"}),
        (r"ab|cd", {"ab", "cd"}),
        (r"[sz]x", {"sx", "zx"}),
        (r"sj[oö]gren", {"sj"}),  # a non-ASCII character ends the prefix
        (r"a+bc", {"a"}),  # a repeat ends it
        (r"(?:\w+[- ])?toxicity", {"", "tox"}),  # "": may start anywhere
        (r"x\.y", {"x.y"}),
    ],
)
def test_literal_heads(pattern: str, heads: set[str]) -> None:
    assert lx.literal_heads(pattern) == frozenset(heads)


@pytest.mark.parametrize(
    ("pattern", "literal"),
    [
        (r"(?:\w+[- ])?toxicit(?:y|ies)", "toxicit"),
        (r"abcd?ef", "abc"),  # an optional letter ends the run before it
        (r"ab+cde", "cde"),
        (r"a|bcd", None),  # not in every match
        (r"x(?:yz)w", None),
    ],
)
def test_required_literal(pattern: str, literal: str | None) -> None:
    assert lx.required_literal(pattern) == literal


@pytest.mark.parametrize(
    ("pattern", "lowered"),
    [
        (r"(?-i:\bSLE\b)", r"(?:\bsle\b)"),
        (r"Anti[\s-]+DNA\S", r"anti[\s-]+dna\S"),  # escapes keep their case
        ("\u212a", None),  # the Kelvin sign matches "k" case-blind
    ],
)
def test_lower_fragment(pattern: str, lowered: str | None) -> None:
    assert lx.lower_fragment(pattern) == lowered


def test_every_synonym_lowered_matches_where_it_matched() -> None:
    text = _sample_text().encode("ascii", "ignore").decode()
    for pattern in _every_synonym():
        low = lx.lower_fragment(pattern)
        assert low is not None, pattern
        rx_low = re.compile(low)
        for m in re.finditer(pattern, text, re.IGNORECASE):
            assert rx_low.match(text.lower(), m.start()), (pattern, m.group(0))


def _every_synonym() -> list[str]:
    tables = (lx.CONDITIONS, lx.ANALYTES, lx.SCORES, lx.DRUGS, lx.DRUG_CLASSES, lx.PROCEDURES)
    return [p for t in tables for pats in t.values() for p in pats]


def _sample_text() -> str:
    names = [
        vocab.display(group, key)
        for group in ("labs", "conditions")
        for key in vocab.concept_keys(group)
    ]
    return (
        "Patients with SLE, haemoglobin >= 9 g/dL, plasma fibrinogen, anti-dsDNA antibodies, "
        "prior Tofacitinib or (anti-CD20) rituximab; Grade 3 toxicity; Sjögren's syndrome. "
        + "; ".join(names)
    )


def test_every_match_starts_with_one_of_its_heads() -> None:
    text = _sample_text()
    matched = 0
    for pattern in _every_synonym():
        heads = lx.literal_heads(pattern)
        for m in re.finditer(pattern, text, re.IGNORECASE):
            if m.end() == m.start():
                continue
            start = m.group(0).lower()
            assert any(start.startswith(h) or h.startswith(start) for h in heads), (
                pattern,
                m.group(0),
            )
            matched += 1
    assert matched > 100


def _reference_scan(table_id: int, text: str) -> tuple[tuple[str, int, int], ...]:
    """The scan without the gates and the head dispatch: every synonym of the first character."""
    by_char, anywhere, keys = lx._dispatch(table_id)
    lowered, out, last = text.lower(), [], 0
    for w in re.finditer(r"(?<!\w)[\w(]", text):
        pos = w.start()
        rx = by_char.get(lowered[pos], anywhere)
        if pos < last or rx is None:
            continue
        m = rx.match(text, pos)
        if m is None or m.end() == pos or m.lastgroup is None:
            continue
        out.append((keys[int(m.lastgroup[1:].split("_", 1)[0])], pos, m.end()))
        last = m.end()
    return tuple(out)


@pytest.mark.parametrize("toxicity", [True, False])
def test_the_scan_finds_what_every_synonym_finds(toxicity: bool) -> None:
    # without "toxicit" in an ASCII text the any-word toxicity synonym leaves the gates
    text = _sample_text().encode("ascii", "ignore").decode()
    if not toxicity:
        text = text.replace("toxicity", "harm")
    assert ("toxicit" in text.lower()) is toxicity
    assert lx._wild(tuple(lx._REGISTRY))  # (there is such a synonym to leave out)
    table_ids = tuple(lx._REGISTRY)
    scanned = lx._scan(table_ids, text)
    assert sum(len(v) for v in scanned.values()) > 50
    for tid in table_ids:
        assert scanned[tid] == _reference_scan(tid, text)


def test_lower_twin_finds_the_same_matches() -> None:
    from cartrial.ingest.parse import therapy
    from cartrial.ingest.parse.patterns import lower_twin

    twin = lower_twin(therapy._COUNT_RX)
    assert twin is not None
    text = "Failed AT LEAST Two immunosuppressants; No more than 3 prior Regimens; 2 DMARDs"
    assert [m.span() for m in twin.finditer(text.lower())] == [
        m.span() for m in therapy._COUNT_RX.finditer(text)
    ]
    assert len(list(therapy._count_matches(text))) == 3
    assert lower_twin(re.compile(r"(?-i:SLE)", re.IGNORECASE)) is None
    assert lower_twin(re.compile(r"Grade\s+\d", re.IGNORECASE)) is None  # a capital
    assert lower_twin(re.compile(r"grade\S", re.IGNORECASE)) is not None  # \S is no capital
