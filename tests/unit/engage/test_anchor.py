"""TextQuoteSelector re-anchoring (the same steps as static/js/engage_notes.js)."""

from __future__ import annotations

from cartrial.engage.anchor import anchor

TEXT = (
    "Inclusion Criteria\n  * aged 18 to 65 years;\n  * positive CD19 expression;\n"
    "Exclusion Criteria\n  * aged under 18 years; * positive HIV antibodies"
)


def _quote(text: str, exact: str, occurrence: int = 0) -> tuple[str, str, str]:
    start = -1
    for _ in range(occurrence + 1):
        start = text.index(exact, start + 1)
    end = start + len(exact)
    return exact, text[max(0, start - 32) : start], text[end : end + 32]


def test_unique_passage_found_again() -> None:
    exact, prefix, suffix = _quote(TEXT, "positive CD19 expression")
    a = anchor(TEXT, exact, prefix, suffix)
    assert a is not None and TEXT[a.start : a.end] == exact


def test_repeated_passage_disambiguated_by_context() -> None:
    second = TEXT.index("years", TEXT.index("under"))
    a = anchor(TEXT, *_quote(TEXT, "years", occurrence=1))
    assert a is not None and a.start == second
    b = anchor(TEXT, *_quote(TEXT, "years", occurrence=0))
    assert b is not None and b.start == TEXT.index("years") < second


def test_rerendered_whitespace_still_anchors() -> None:
    exact, prefix, suffix = _quote(TEXT, "Exclusion Criteria\n  * aged under")
    rerendered = " ".join(TEXT.split())  # other line breaks and indentation
    a = anchor(rerendered, exact, prefix, suffix)
    assert a is not None and rerendered[a.start : a.end] == "Exclusion Criteria * aged under"


def test_updated_protocol_keeps_or_orphans() -> None:
    exact, prefix, suffix = _quote(TEXT, "positive HIV antibodies")
    updated = "New paragraph first.\n" + TEXT.replace("aged 18 to 65", "aged 18 to 70")
    a = anchor(updated, exact, prefix, suffix)
    assert a is not None and updated[a.start : a.end] == exact
    assert anchor(TEXT.replace("HIV", "HTLV"), exact, prefix, suffix) is None  # orphaned
    assert anchor(TEXT, "   ", "", "") is None
