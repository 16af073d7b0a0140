"""The eligibility parser over the whole registry corpus: texts per second on one core, exceptions,
and the share of sentences turned into computable nodes.

Corpus: every text of ``../shared/research/eligibility-corpus/*.jsonl.gz`` (92 registry texts)
and of the records in ``../shared/research/trials/`` (41, those with criteria text), plus the
five seed pages. Without ``../shared`` the bench says so and stops. Every text is made unique per
round and the parser's memo caches are cleared before each text, so no result is reused. One
process, one thread: the figure is per core (CPU time). Prints figures; never asserts
(the 0-exception check is ``tests/unit/parse/test_parse_corpus.py``).

Run: ``.venv/bin/python bench/parse_speed.py [--rounds N]``
"""

from __future__ import annotations

import gzip
import json
import re
import statistics
import sys
import time
import traceback
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"
sys.path.insert(0, str(REPO / "src"))

from cartrial.ingest.parse import lexicon, parse_eligibility  # noqa: E402


def corpus() -> list[tuple[str, str]]:
    """(label, text) for every registry text in ``../shared``."""
    texts: list[tuple[str, str]] = []
    for path in sorted((SHARED / "research" / "eligibility-corpus").glob("*.jsonl.gz")):
        with gzip.open(path, "rt", encoding="utf-8") as fh:
            for line in fh:
                rec = json.loads(line)
                texts.append((f"{path.name}:{rec['nct_id']}", rec["eligibility_text"]))
    for path in sorted((SHARED / "research" / "trials").glob("NCT*.json")):
        doc = json.loads(path.read_text(encoding="utf-8"))
        text = (
            (doc.get("protocolSection") or {})
            .get("eligibilityModule", {})
            .get("eligibilityCriteria")
        )
        if isinstance(text, str) and text.strip():
            texts.append((f"trials:{path.stem}", text))
    for page in sorted((SHARED / "seeds").glob("*.txt")):
        s = page.read_text(encoding="utf-8")
        m = re.search(r"Inclusion Criteria|Common inclusion criteria", s, re.IGNORECASE)
        if m:
            rest = s[m.start() :]
            end = re.search(r"\n(?:Study details|18 Years\n|Protocol\n)", rest)
            texts.append((f"seed:{page.stem}", rest[: end.start()] if end else rest))
    return texts


def _clear() -> None:
    lexicon._find_all.cache_clear()
    lexicon._candidates.cache_clear()


def main() -> None:
    if not (SHARED / "research").is_dir():
        print(f"{SHARED / 'research'} not found: no corpus to parse")
        return
    rounds = int(sys.argv[sys.argv.index("--rounds") + 1]) if "--rounds" in sys.argv else 5
    texts = corpus()
    chars = sum(len(t) for _, t in texts)
    print(
        f"corpus: {len(texts)} registry texts, {chars:,} characters (mean {chars / len(texts):.0f})"
    )

    # one checked pass: exceptions and how much is computable
    errors: list[str] = []
    clauses = computable = review = unread = 0
    for label, text in texts:
        _clear()
        try:
            r = parse_eligibility(text)
        except Exception:  # noqa: BLE001 - counted and shown, that is the point
            errors.append(f"{label}: {traceback.format_exc(limit=3)}")
            continue
        clauses += r.clause_count
        computable += r.computable_clause_count
        for rec in r.records():
            if rec["kind"] == "manual":
                review += 1
                unread += str(rec.get("note") or "").count("not read")
    print(f"exceptions: {len(errors)} over {len(texts)} texts")
    for e in errors[:5]:
        print("  " + e.replace("\n", "\n  "))
    share = computable / clauses if clauses else 0.0
    print(f"sentences turned into computable nodes: {computable}/{clauses} = {share:.1%}")
    print(
        f"left to a reviewer: {review} review nodes, {unread} of them naming stretches not read "
        "(a bound with no concept, a ULN multiple with no comparator, a time span nothing dates)"
    )

    cpu: list[float] = []
    wall: list[float] = []
    for rnd in range(rounds):
        suffix = f"\n{rnd}"
        start, start_cpu = time.perf_counter(), time.process_time()
        for _, t in texts:
            _clear()
            try:
                parse_eligibility(t + suffix)
            except Exception:  # noqa: BLE001,S112 - already reported above
                continue
        wall.append(len(texts) / (time.perf_counter() - start))
        cpu.append(len(texts) / (time.process_time() - start_cpu))
    print(
        f"parse_eligibility: {statistics.median(cpu):.0f} texts/s per CPU second on one core "
        f"(median of {rounds} rounds, best {max(cpu):.0f}); wall clock {statistics.median(wall):.0f} "
        f"texts/s on a shared machine; {statistics.median(cpu) * chars / len(texts) / 1000:.0f} kchar/s"
    )
    print("goal: >= 200 texts/s on one core, 0 exceptions")


if __name__ == "__main__":
    main()
