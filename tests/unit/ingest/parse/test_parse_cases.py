"""The sentence -> node table (``parse_cases.py``): every expected node is produced."""

from __future__ import annotations

from typing import Any

import pytest

from cartrial.ingest.parse import node_records, parse_eligibility
from tests.unit.ingest.parse.parse_cases import CASES


def _same(got: Any, want: Any) -> bool:
    if isinstance(want, dict):
        return isinstance(got, dict) and all(_same(got.get(k), v) for k, v in want.items())
    if (
        isinstance(want, float | int)
        and not isinstance(want, bool)
        and isinstance(got, float | int)
    ):
        return abs(float(got) - float(want)) < 1e-9
    return bool(got == want)


def _records(section: str, sentence: str) -> list[dict[str, Any]]:
    header = "Inclusion Criteria:" if section == "inclusion" else "Exclusion Criteria:"
    text = f"{header}\n\n1. {sentence}\n"
    result = parse_eligibility(text)
    records = node_records(result)
    for rec in records:
        assert rec["section"] == section
        start, end = rec["span"]
        assert text[start:end] == rec["text"], "a node's text is its span of the original"
    return records


def test_there_are_at_least_150_cases() -> None:
    assert len(CASES) >= 150
    assert len({c[0] for c in CASES}) == len(CASES), "case ids are unique"


@pytest.mark.parametrize(
    ("case_id", "section", "sentence", "expected", "forbidden"), CASES, ids=[c[0] for c in CASES]
)
def test_case(
    case_id: str,
    section: str,
    sentence: str,
    expected: list[dict[str, Any]],
    forbidden: list[dict[str, Any]],
) -> None:
    records = _records(section, sentence)
    for want in expected:
        assert any(_same(r, want) for r in records), f"{want} not in {records}"
    for bad in forbidden:
        assert not any(_same(r, bad) for r in records), f"unexpected {bad} in {records}"
