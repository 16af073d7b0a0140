"""Eligibility texts parsed per second on one core (target: >= 200 trials/s).

Corpus: the criteria texts of the registry records in ``../shared/research/trials/`` and the five
seed pages (``../shared/seeds``); without ``../shared``, the project's own fixtures. Every text is
made unique per round and the parser's memo caches are cleared before each text, so no result
is reused from an earlier parse. Prints figures; never asserts.
"""

from __future__ import annotations

import json
import re
import statistics
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"
sys.path.insert(0, str(REPO / "src"))

from cartrial.ingest.parse import lexicon, parse_eligibility  # noqa: E402


def corpus() -> list[str]:
    texts: list[str] = []
    for path in sorted((SHARED / "research" / "trials").glob("*.json")):
        doc = json.loads(path.read_text(encoding="utf-8"))
        text = (
            (doc.get("protocolSection") or {})
            .get("eligibilityModule", {})
            .get("eligibilityCriteria")
        )
        if isinstance(text, str) and text.strip():
            texts.append(text)
    for page in sorted((SHARED / "seeds").glob("*.txt")):
        # the criteria part of the seed page (as bench/parse_eval.py reads it)
        s = page.read_text(encoding="utf-8")
        m = re.search(r"Inclusion Criteria|Common inclusion criteria", s, re.IGNORECASE)
        if m:
            rest = s[m.start() :]
            end = re.search(r"\n(?:Study details|18 Years\n|Protocol\n)", rest)
            texts.append(rest[: end.start()] if end else rest)
    if not texts:
        for path in sorted((REPO / "tests" / "fixtures" / "ctgov").glob("*.json")):
            try:
                doc = json.loads(path.read_text(encoding="utf-8"))
            except ValueError:
                continue
            studies = doc.get("studies", [doc]) if isinstance(doc, dict) else []
            for st in studies:
                text = (
                    (st.get("protocolSection") or {})
                    .get("eligibilityModule", {})
                    .get("eligibilityCriteria")
                )
                if isinstance(text, str):
                    texts.append(text)
    return texts


def main() -> None:
    texts = corpus()
    if not texts:
        print("no criteria texts found")
        return
    chars = sum(len(t) for t in texts)
    print(f"corpus: {len(texts)} criteria texts, mean {chars / len(texts):.0f} characters")
    wall: list[float] = []
    cpu: list[float] = []
    for rnd in range(7):
        suffix = f"\n{rnd}"
        start, start_cpu = time.perf_counter(), time.process_time()
        for t in texts:
            lexicon._find_all.cache_clear()
            lexicon._candidates.cache_clear()
            parse_eligibility(t + suffix)
        wall.append(len(texts) / (time.perf_counter() - start))
        cpu.append(len(texts) / (time.process_time() - start_cpu))
    print(
        f"parse_eligibility: {statistics.median(cpu):.0f} texts/s per CPU second "
        f"(median of 7 rounds, best {max(cpu):.0f}); wall clock {statistics.median(wall):.0f} texts/s; "
        f"{statistics.median(cpu) * chars / len(texts) / 1000:.0f} kchar/s"
    )
    print("target: >= 200 trials/s on one core")


if __name__ == "__main__":
    main()
