"""How well the eligibility parser reads trials it was not written against: a hand-annotated gold set.

Gold set: ``bench/parse_gold/{dev,test}.json`` — 50 trials (first 32: 20 CAR-cell autoimmune records
from ``../shared/research/trials/`` and 12 from ``../shared/research/eligibility-corpus/immunology``;
then 18 more for dev only, drawn from the trial records and both corpus files), chosen and split by
a rule fixed before any tuning (see ``bench/parse_gold/README.md``): the
partition is sha1(NCT id), first hex digit 0-7 -> dev, 8-f -> test. The parser is tuned on
``dev`` only; ``test`` is reported as it comes.

Each gold fact is one of ``age``, ``threshold``, ``count``, ``dose``, ``titre``, ``window`` with
concept (a list of acceptable concept keys, ``*`` = any), comparator, value, unit and, for windows,
anchor and direction. A parsed fact (:func:`cartrial.ingest.parse.records.facts`) is a hit only when
*every* attribute agrees (values compared after unit conversion to the concept's canonical unit;
window comparators by kind — the node model states "within" and "at least", not strictness).
A parsed node that names several concepts (a merged list: "MI or stroke within 3 months") states
its fact once per concept and may match one gold fact per concept. Every parsed fact without a
gold partner is a false positive, including facts read from spans the
gold set deliberately leaves out (categorical classes, mojibake-damaged comparators): a reader that
guesses there is penalised.

The texts are read from ``../shared`` at run time (never copied into the project); without it the
bench says so and stops.

Run: ``.venv/bin/python bench/parse_eval.py [-v] [--dev-only] [--show-test]`` (``-v`` lists misses and
false positives on dev; ``--show-test`` also on test — don't use it while tuning). Prints figures;
never asserts.
"""

from __future__ import annotations

import gzip
import json
import sys
from collections import defaultdict
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"
GOLD = REPO / "bench" / "parse_gold"
sys.path.insert(0, str(REPO / "src"))

from cartrial.domain.errors import UnknownUnitError  # noqa: E402
from cartrial.ingest.parse import parse_eligibility  # noqa: E402
from cartrial.ingest.parse.records import facts, node_records  # noqa: E402
from cartrial.vocab import convert, normalize_unit  # noqa: E402
from cartrial.vocab.units import UnitParseError, convert_units  # noqa: E402

CATEGORIES = ("age", "threshold", "count", "dose", "titre", "window")
Fact = dict[str, Any]


def load_texts() -> dict[str, str]:
    texts: dict[str, str] = {}
    for path in sorted((SHARED / "research" / "trials").glob("NCT*.json")):
        doc = json.loads(path.read_text(encoding="utf-8"))
        text = (
            (doc.get("protocolSection") or {})
            .get("eligibilityModule", {})
            .get("eligibilityCriteria")
        )
        if isinstance(text, str):
            texts[path.stem] = text
    for path in sorted((SHARED / "research" / "eligibility-corpus").glob("*.jsonl.gz")):
        with gzip.open(path, "rt", encoding="utf-8") as fh:
            for line in fh:
                rec = json.loads(line)
                texts.setdefault(rec["nct_id"], rec["eligibility_text"])
    return texts


def _unit(u: str) -> str:
    try:
        return normalize_unit(u)
    except Exception:  # noqa: BLE001 - an odd spelling is compared as written
        return u.replace(" ", "").lower()


def _same_quantity(concepts: list[str], v1: float, u1: str, v2: float, u2: str) -> bool:
    if u1 in ("xULN", "xLLN") or u2 in ("xULN", "xLLN"):
        return u1 == u2 and abs(v1 - v2) < 1e-9
    n1, n2 = _unit(u1), _unit(u2)
    if n1 == n2:
        return abs(v1 - v2) < 1e-9 * max(1.0, abs(v1))
    for c in concepts:
        try:
            a, ua = convert(c, v1, u1)
            b, ub = convert(c, v2, u2)
        except (UnknownUnitError, KeyError, ValueError, UnitParseError):
            continue
        return ua == ub and abs(a - b) < 1e-6 * max(1.0, abs(a))
    try:
        return abs(convert_units(v1, n1, n2) - v2) < 1e-6 * max(1.0, abs(v2))
    except (UnitParseError, ValueError, KeyError):
        return False


def _cmp_class(c: str, category: str) -> str:
    if category == "window":
        return {"<": "<=", ">": ">="}.get(c, c)
    return c


def matches(gold: Fact, got: Fact) -> bool:
    if gold["category"] != got["category"]:
        return False
    cat = gold["category"]
    if "*" not in gold["concept"] and not set(gold["concept"]) & set(got["concept"]):
        return False
    if _cmp_class(gold["comparator"], cat) != _cmp_class(got["comparator"], cat):
        return False
    if cat == "window":
        if gold["direction"] != got.get("direction") or gold["anchor"] != got.get("anchor"):
            return False
        return gold["unit"] == got["unit"] and abs(gold["value"] - got["value"]) < 1e-9
    concepts = [c for c in gold["concept"] if c != "*"] or got["concept"]
    return _same_quantity(concepts, gold["value"], gold["unit"], got["value"], got["unit"])


def score_trial(
    gold: list[Fact], got: list[Fact]
) -> tuple[dict[str, list[int]], list[Fact], list[Fact]]:
    """Per category [tp, fp, fn]; the unmatched gold facts and parsed facts."""
    counts: dict[str, list[int]] = {c: [0, 0, 0] for c in CATEGORIES}
    # a node naming several concepts ("MI or stroke within 3 months" read as one condition
    # node) states its fact once per concept: it can match one gold fact per concept it names
    left: list[set[str]] = [set(p["concept"]) for p in got]
    used = [False] * len(got)
    missed: list[Fact] = []
    for g in gold:
        want = set(g["concept"])
        hit = next(
            (
                i
                for i, p in enumerate(got)
                if left[i] and ("*" in want or want & left[i]) and matches(g, p)
            ),
            None,
        )
        if hit is None:
            missed.append(g)
            counts[g["category"]][2] += 1
        else:
            counts[g["category"]][0] += 1
            used[hit] = True
            left[hit] = set() if "*" in want else left[hit] - want
    free = [p for i, p in enumerate(got) if not used[i]]
    for p in free:
        counts.setdefault(p["category"], [0, 0, 0])[1] += 1
    return counts, missed, free


def _pr(tp: int, fp: int, fn: int) -> str:
    p = tp / (tp + fp) if tp + fp else 1.0
    r = tp / (tp + fn) if tp + fn else 1.0
    return f"precision {p:6.1%}  recall {r:6.1%}  (tp {tp:3}, fp {fp:3}, fn {fn:3})"


def _fmt(f: Fact) -> str:
    s = f"{f['category']:<9} {'|'.join(f['concept'])} {f['comparator']} {f['value']:g} {f['unit']}"
    if f["category"] == "window":
        s += f" {f.get('anchor')} {f.get('direction')}"
    return s


def evaluate(part: str, texts: dict[str, str], verbose: bool) -> dict[str, list[int]]:
    doc = json.loads((GOLD / f"{part}.json").read_text(encoding="utf-8"))
    total: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])
    skipped = []
    for nct, entry in doc["trials"].items():
        if entry["part"] != part:
            raise SystemExit(f"{nct} is marked {entry['part']!r} inside {part}.json")
        text = texts.get(nct)
        if text is None:
            skipped.append(nct)
            continue
        got = [f for rec in node_records(parse_eligibility(text)) for f in facts(rec)]
        counts, missed, extra = score_trial(entry["facts"], got)
        for c, v in counts.items():
            for i in range(3):
                total[c][i] += v[i]
        if verbose and (missed or extra):
            print(f"  {nct}")
            for g in missed:
                print(f"    missed  {_fmt(g)}   <- {g['span']}")
            for p in extra:
                print(f"    extra   {_fmt(p)}   <- {str(p.get('text'))[:90]!r}")
    if skipped:
        print(f"  ({part}: no text for {', '.join(skipped)}: skipped)")
    print(f"\n{part} ({len(doc['trials']) - len(skipped)} trials)")
    for c in CATEGORIES:
        print(f"  {c:<10} {_pr(*total[c])}")
    all_ = [sum(v[i] for v in total.values()) for i in range(3)]
    print(f"  {'overall':<10} {_pr(*all_)}")
    return dict(total)


def main() -> None:
    if not (SHARED / "research").is_dir():
        print(
            f"{SHARED / 'research'} not found: the gold texts are read from there; nothing to score"
        )
        return
    texts = load_texts()
    verbose = "-v" in sys.argv
    evaluate("dev", texts, verbose)
    if "--dev-only" not in sys.argv:  # while tuning, leave the test part unread
        evaluate("test", texts, verbose and "--show-test" in sys.argv)
    print(
        "\ngoal on test: precision >= 98 %, recall >= 95 % overall, no category below 90 % recall"
    )


if __name__ == "__main__":
    main()
