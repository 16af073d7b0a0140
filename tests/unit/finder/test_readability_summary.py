"""The Flesch–Kincaid formula, syllables, and a summary written from structured data only."""

from __future__ import annotations

from pathlib import Path

import pytest

from cartrial.finder.build import build_snapshot, snapshot_bytes
from cartrial.finder.readability import count_syllables, flesch_kincaid_grade, readability
from cartrial.finder.snapshot import load_snapshot
from cartrial.finder.store import FinderStore
from cartrial.finder.summary import NUMBER_RE, Fact, plain_summary


def test_formula_as_published() -> None:
    # 0.39 × 20 + 11.8 × 1.5 − 15.59 = 9.91 (Kincaid et al. 1975)
    assert flesch_kincaid_grade(100, 5, 150) == pytest.approx(9.91)
    with pytest.raises(ValueError):
        flesch_kincaid_grade(0, 1, 0)
    r = readability("The cat sat on the mat. It was a happy cat.")
    assert (r.words, r.sentences, r.syllables) == (11, 2, 12)
    assert r.grade == pytest.approx(0.39 * 11 / 2 + 11.8 * 12 / 11 - 15.59)


@pytest.mark.parametrize(
    ("word", "n"),
    [("cat", 1), ("table", 2), ("made", 1), ("people", 2), ("infusion", 3),
     ("chemotherapy", 5), ("SLE", 3), ("joined", 1)],
)  # fmt: skip
def test_syllables(word: str, n: int) -> None:
    assert count_syllables(word) == n


def test_summary_numbers_are_facts_with_sources(monitor_dir: Path, tmp_path: Path) -> None:
    path = tmp_path / "snap.json.gz"
    path.write_bytes(snapshot_bytes(build_snapshot(monitor_dir)))
    store = FinderStore(load_snapshot(path))
    entry = store.get("NCT00000001")
    assert entry is not None
    s = plain_summary(entry)
    text = s.text
    assert "Zebraword" not in text  # the registry's own summary is not used
    assert "18" in s.numbers and "65" in s.numbers and "28 days" in text
    # every number of the text sits in a Fact that names its source and anchor
    fact_numbers = {n for f in s.facts for n in NUMBER_RE.findall(f.text)}
    assert set(NUMBER_RE.findall(text)) <= fact_numbers
    assert all(isinstance(f, Fact) and f.source and f.anchor.startswith("#") for f in s.facts)
    assert "lupus" in text and "fludarabine" in text
    assert s.grade <= 8
