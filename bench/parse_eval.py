"""How well the eligibility parser reads the five seed trials, and how much of the registry it computes.

1. For each hand-written protocol ``trials/NCT*.yaml`` (the reference), parse its eligibility
   text (``trial.eligibility_text``, else the matching seed page in ``../shared/seeds``) and
   compare, as multisets per trial:
   - every numeric threshold stated in the text: (concept | calculator | instrument, comparator,
     value, unit) or (concept, comparator, ULN/LLN multiple);
   - every time window stated in the text: (amount, unit).
   A reference item counts only when its number is written in the node's own text (windows such
   as "100 years = ever", or "> 0" for "detectable", are readings, not the text's thresholds).
   Prints precision and recall (targets: >= 98 % precision, >= 95 % recall).
2. Over the registry records in ``../shared/research/trials/``: the share of criteria sentences
   (clauses) turned into at least one computable node.

Run: ``.venv/bin/python bench/parse_eval.py`` (prints figures; never asserts).
"""

from __future__ import annotations

import json
import re
import sys
from collections import Counter
from pathlib import Path
from typing import Any

import yaml

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"
sys.path.insert(0, str(REPO / "src"))

from cartrial.ingest.ctgov import load_studies  # noqa: E402
from cartrial.ingest.parse import node_records, parse_eligibility  # noqa: E402

Threshold = tuple[str, str, str, str]
WindowKey = tuple[str, str]
_WINDOW_FIELDS = ("lookback", "within", "onset_within", "onset_at_least", "min_duration")
_WORDS = {
    1: "one",
    2: "two",
    3: "three",
    4: "four",
    5: "five",
    6: "six",
    7: "seven",
    8: "eight",
    9: "nine",
    10: "ten",
    12: "twelve",
}


def _num(v: Any) -> str:
    return f"{float(v):g}"


def _unit(u: Any) -> str:
    return str(u or "").replace(" ", "").lower()


def _stated(value: Any, text: str) -> bool:
    v = float(value)
    forms = {f"{v:g}"}
    if v.is_integer():
        forms.add(str(int(v)))
        if int(v) in _WORDS:
            forms.add(_WORDS[int(v)])
    clean = text.replace(",", "")
    return any(re.search(rf"(?<![\d.]){re.escape(f)}(?![\d])", clean, re.IGNORECASE) for f in forms)


def _walk(node: Any, context: str = "") -> Any:
    """(node, its text plus its ancestors' texts) for every node of a criteria tree."""
    if isinstance(node, dict):
        here = f"{context} {node.get('text') or ''}"
        if "kind" in node:
            yield node, here
        for key in ("items", "item"):
            sub = node.get(key)
            if isinstance(sub, list):
                for s in sub:
                    yield from _walk(s, here)
            elif isinstance(sub, dict):
                yield from _walk(sub, here)


def reference_items(doc: dict[str, Any]) -> tuple[Counter[Threshold], Counter[WindowKey]]:
    thresholds: Counter[Threshold] = Counter()
    windows: Counter[WindowKey] = Counter()
    crit = doc.get("criteria") or {}
    for section in ("inclusion", "exclusion"):
        for top in crit.get(section) or []:
            for n, text in _walk(top):
                kind = n.get("kind")
                if kind in ("measurement", "derived", "score"):
                    key = n.get("concept") or n.get("calculator") or n.get("instrument")
                    cmp = str(n.get("comparator"))
                    if n.get("uln_multiple") is not None:
                        val, unit = n["uln_multiple"], "xULN"
                    elif n.get("lln_multiple") is not None:
                        val, unit = n["lln_multiple"], "xLLN"
                    else:
                        val, unit = n.get("value"), n.get("unit")
                    if val is not None and _stated(val, text):
                        thresholds[(str(key), cmp, _num(val), _unit(unit))] += 1
                for f in _WINDOW_FIELDS:
                    w = n.get(f)
                    if (
                        isinstance(w, dict)
                        and w.get("amount") is not None
                        and _stated(w["amount"], text)
                    ):
                        windows[(_num(w["amount"]), str(w.get("unit")))] += 1
    return thresholds, windows


def parsed_items(text: str) -> tuple[Counter[Threshold], Counter[WindowKey]]:
    thresholds: Counter[Threshold] = Counter()
    windows: Counter[WindowKey] = Counter()
    for rec in node_records(parse_eligibility(text)):
        if rec["kind"] in ("measurement", "derived", "score") and not rec["negated"]:
            if rec["uln_multiple"] is not None:
                val, unit = rec["uln_multiple"], "xULN"
            elif rec["lln_multiple"] is not None:
                val, unit = rec["lln_multiple"], "xLLN"
            else:
                val, unit = rec["value"], rec["unit"]
            thresholds[(str(rec["concept"]), str(rec["comparator"]), _num(val), _unit(unit))] += 1
        if rec["kind"] != "manual" and rec["window"] and rec["window"]["direction"] != "after":
            w = rec["window"]
            windows[(_num(w["amount"]), str(w["unit"]))] += 1
    return thresholds, windows


def _seed_text(nct: str) -> str | None:
    for page in sorted((SHARED / "seeds").glob("*.txt")):
        s = page.read_text(encoding="utf-8")
        if nct in s:
            m = re.search(r"Inclusion Criteria|Common inclusion criteria", s, re.IGNORECASE)
            if not m:
                return None
            rest = s[m.start() :]
            end = re.search(r"\n(?:Study details|18 Years\n|Protocol\n)", rest)
            return rest[: end.start()] if end else rest
    return None


def evaluate_seeds(verbose: bool) -> None:
    files = sorted((REPO / "trials").glob("NCT*.yaml"))
    if not files:
        print("no hand-written protocols in trials/: nothing to compare")
        return
    tp_t = fp_t = fn_t = tp_w = fp_w = fn_w = 0
    print(
        f"{'trial':<13} {'thr ref':>7} {'thr got':>7} {'thr ok':>6} {'win ref':>7} {'win got':>7} {'win ok':>6}"
    )
    for f in files:
        try:
            doc = yaml.safe_load(f.read_text(encoding="utf-8"))
        except (OSError, yaml.YAMLError) as exc:
            print(f"{f.name}: cannot read ({exc})")
            continue
        trial = doc.get("trial") or {}
        nct = str(trial.get("nct_id") or f.stem)
        text = trial.get("eligibility_text") or _seed_text(nct)
        if not text:
            print(f"{nct}: no eligibility text")
            continue
        ref_t, ref_w = reference_items(doc)
        got_t, got_w = parsed_items(text)
        ok_t = sum((ref_t & got_t).values())
        ok_w = sum((ref_w & got_w).values())
        tp_t += ok_t
        fp_t += sum(got_t.values()) - ok_t
        fn_t += sum(ref_t.values()) - ok_t
        tp_w += ok_w
        fp_w += sum(got_w.values()) - ok_w
        fn_w += sum(ref_w.values()) - ok_w
        print(
            f"{nct:<13} {sum(ref_t.values()):>7} {sum(got_t.values()):>7} {ok_t:>6} "
            f"{sum(ref_w.values()):>7} {sum(got_w.values()):>7} {ok_w:>6}"
        )
        if verbose:
            for k in sorted((got_t - ref_t).elements()):
                print("    extra threshold  ", k)
            for k in sorted((ref_t - got_t).elements()):
                print("    missed threshold ", k)
            for k in sorted((got_w - ref_w).elements()):
                print("    extra window     ", k)
            for k in sorted((ref_w - got_w).elements()):
                print("    missed window    ", k)
    tp, fp, fn = tp_t + tp_w, fp_t + fp_w, fn_t + fn_w

    def pr(tp: int, fp: int, fn: int) -> str:
        p = tp / (tp + fp) if tp + fp else 1.0
        r = tp / (tp + fn) if tp + fn else 1.0
        return f"precision {p:6.1%}  recall {r:6.1%}  (tp {tp}, fp {fp}, fn {fn})"

    print(f"\nthresholds: {pr(tp_t, fp_t, fn_t)}")
    print(f"windows:    {pr(tp_w, fp_w, fn_w)}")
    print(f"all:        {pr(tp, fp, fn)}   target: precision >= 98%, recall >= 95%")


def registry_share() -> None:
    folder = SHARED / "research" / "trials"
    if not folder.is_dir():
        print(f"\n{folder} not found: registry share skipped")
        return
    clauses = computable = trials = 0
    for path in sorted(folder.glob("*.json")):
        for study in load_studies(path):
            text = (
                (study.get("protocolSection") or {})
                .get("eligibilityModule", {})
                .get("eligibilityCriteria")
            )
            if not isinstance(text, str) or not text.strip():
                continue
            r = parse_eligibility(text)
            trials += 1
            clauses += r.clause_count
            computable += r.computable_clause_count
    share = computable / clauses if clauses else 0.0
    print(
        f"\nregistry records ({trials} with criteria text): {computable}/{clauses} sentences "
        f"turned into computable nodes = {share:.1%}"
    )


def main() -> None:
    verbose = "-v" in sys.argv
    evaluate_seeds(verbose)
    registry_share()
    if "--json" in sys.argv:
        print(json.dumps({"ok": True}))


if __name__ == "__main__":
    main()
