"""The parser over real registry texts (``../shared/research``): never an exception."""

from __future__ import annotations

import gzip
import json
import random
from pathlib import Path

import pytest

from cartrial.ingest.parse import parse_eligibility
from cartrial.ingest.parse.records import facts, node_records

SHARED = Path(__file__).resolve().parents[4] / "shared"
CORPUS = SHARED / "research" / "eligibility-corpus"


def _texts() -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    for path in sorted(CORPUS.glob("*.jsonl.gz")):
        with gzip.open(path, "rt", encoding="utf-8") as fh:
            out.extend(
                (json.loads(line)["nct_id"], json.loads(line)["eligibility_text"]) for line in fh
            )
    for path in sorted((SHARED / "research" / "trials").glob("NCT*.json")):
        doc = json.loads(path.read_text(encoding="utf-8"))
        text = (
            (doc.get("protocolSection") or {})
            .get("eligibilityModule", {})
            .get("eligibilityCriteria")
        )
        if isinstance(text, str):
            out.append((path.stem, text))
    return out


@pytest.mark.shared
def test_a_sample_of_the_corpus_parses_without_an_exception() -> None:
    if not CORPUS.is_dir():
        pytest.skip(f"eligibility corpus not found at {CORPUS}")
    texts = _texts()
    assert len(texts) >= 100
    sample = random.Random(10).sample(texts, 40)
    for nct, text in sample:
        result = parse_eligibility(text)
        for crit in result.criteria:
            a, b = crit.span
            assert result.text[a:b] == crit.text, nct
        for rec in node_records(result):
            facts(rec)  # every record states its facts without error
            if rec["span"]:
                a, b = rec["span"]
                assert result.text[a:b] == rec["text"], nct
