"""Composition rules for therapy counts and doses (run before the medication-history reader).

* **Counts** — "failed >= 2 immunosuppressants", "at least two non-glucocorticoid
  immunosuppressive therapies", "any two or more of the following immunomodulatory drugs",
  "maximum of 4 previous treatment regimens": a count (the quantity grammar's comparison) of a
  therapy noun. A count of a drug class the vocabulary knows is computable
  (``MedicationHistory(classes=..., min_distinct=n)``); a count of "lines of therapy" or
  "regimens" — which no medication record can count — and a maximum count are review nodes
  that keep the fact read.
* **Doses** — a daily dose next to a drug or the glucocorticoid class: "prednisone >= 7.5 mg/day",
  "more than 20 mg/d of prednisone", "azathioprine (minimum daily dose of 1.5 mg/kg)". A
  minimum (>=) is computable (``min_daily_dose_mg`` / ``min_dose_mg_per_kg_day``); a cap, a
  strict bound or a cumulative dose is kept as a read fact on a review node, since the criteria
  model states only minimum daily doses and a boundary read as its neighbour would be wrong.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from cartrial.criteria.nodes import Comparator, Criterion, MedicationHistory
from cartrial.ingest.parse import grammar
from cartrial.ingest.parse import lexicon as lx
from cartrial.ingest.parse.hits import HL, Ctx, Hit, duration, manual_fact_hit, window
from cartrial.ingest.parse.patterns import ANYNUM, lower_twin, to_number
from cartrial.ingest.parse.temporal import WindowHit

__all__ = ["counts", "doses"]

_I = re.IGNORECASE

# ---------------------------------------------------------------------------- counts

#: therapy noun -> class key ("*" = any therapy: not countable from medication records)
_COUNT_NOUNS: tuple[tuple[str, str], ...] = (
    (
        r"(?:immunosuppress\w*|immunomodulat\w*)(?:\s+(?:drugs?|agents?|medications?|therap(?:y|ies)|"
        r"treatments?))?",
        "conventional_immunosuppressants",
    ),
    (r"(?:conventional\s+synthetic\s+)?(?-i:cs)?-?(?-i:DMARDs?)\b", "csDMARDs"),
    (
        r"(?:lines?\s+of\s+(?:systemic\s+)?(?:therapy|therapies|treatments?)|(?:treatment\s+)?regimens?|"
        r"(?:induction\s+)?therap(?:y|ies)|treatments?)",
        "*",
    ),
)
_NOUN_RX = re.compile("|".join(f"(?P<n{i}>{p})" for i, (p, _) in enumerate(_COUNT_NOUNS)), _I)
_COUNT_RX = re.compile(
    rf"(?P<q>(?:at\s+least|>=|>|more\s+than|no\s+(?:more|fewer)\s+than|not\s+more\s+than|"
    rf"(?:a\s+)?maximum\s+of|up\s+to|<=|<|any)?\s*(?P<n>{ANYNUM})(?:\s+or\s+more)?)\s+"
    r"(?P<mods>(?:(?:other|different|prior|previous|standard|conventional|non-?\s?glucocorticoid|"
    r"non-?\s?steroid(?:al)?|systemic|oral|intravenous|first\s+and\s+second\s+line|of\s+the\s+following:?)\s+){0,3})"
    r"(?=\S)",
    _I,
)
_FAILED = re.compile(
    r"fail\w*|refractory|inadequate|insufficient|intoleran\w*|ineffective|poor\s+response|"
    r"no\s+response|not\s+respond\w*|relapse",
    _I,
)


_COUNT_WORDS = ("immuno", "dmard", "therap", "regimen", "treatment", "following")
_COUNT_HINT = re.compile("|".join(_COUNT_WORDS), _I)
_NUMBER_HINT = re.compile(r"\d|two|three|four|five")
_EPISODE_WORDS = ("relapse", "flare", "exacerbation", "attack", "seizure")

#: disease episodes counted ("at least 2 relapses in the last year") -> concept key
_EPISODES = re.compile(
    rf"(?P<q>at\s+least|>=|>|more\s+than|no\s+more\s+than|not\s+more\s+than|<=|<|"
    rf"fewer\s+than|less\s+than)?\s*(?P<n>{ANYNUM})(?:\s+or\s+more)?\s+"
    r"(?:(?:documented|clinical|confirmed|acute|severe|major|separate|distinct|disease|"
    r"(?:MS|NMOSD|SLE|lupus|MG)|protocol-defined)\s+){0,2}"
    r"(?P<noun>relapses?|flares?|exacerbations?|attacks?|seizures?)\b",
    _I,
)
_EPISODE_KEYS = {
    "relapse": "relapse",
    "flare": "relapse",
    "exacerbation": "relapse",
    "attack": "relapse",
    "seizure": "seizure",
}


def episodes(text: str, base: int) -> list[Hit]:
    """ "At least 2 relapses in the last 12 months": a count of disease episodes, kept for
    review with the number read (no record counts episodes); "at least one" is an occurrence,
    read by the condition reader, not a count."""
    hits: list[Hit] = []
    for m in _EPISODES.finditer(text):
        try:
            n = to_number(m.group("n"))
        except ValueError:
            continue
        if not (1 <= n <= 20) or n != int(n):
            continue
        q = (m.group("q") or "").lower()
        if "or more" in m.group(0).lower() or q in ("at least", ">="):
            cmp = ">="
        elif q in (">", "more than"):
            cmp = ">"
        elif q in ("<=", "no more than", "not more than"):
            cmp = "<="
        elif q in ("<", "fewer than", "less than"):
            cmp = "<"
        else:
            continue  # "2 relapses" with no comparator: not guessed
        if cmp == ">=" and n < 2:
            continue  # "at least one relapse in the last year": an occurrence (a window), no count
        noun = m.group("noun").lower().rstrip("s")
        key = _EPISODE_KEYS[noun]
        start = m.start() + (len(m.group(0)) - len(m.group(0).lstrip()))
        fact = {
            "category": "count",
            "concept": [key],
            "comparator": cmp,
            "value": float(n),
            "unit": "",
        }
        hits.append(
            manual_fact_hit(
                base + start,
                base + m.end(),
                f"{key} count",
                f"count of {noun} episodes read as {cmp} {n:g}: records do not count episodes; "
                "check by hand",
                [fact],
            )
        )
    return hits


_COUNT_LOWER = lower_twin(_COUNT_RX)


def _count_matches(text: str) -> Iterator[re.Match[str]]:
    """``_COUNT_RX.finditer(text)``; in an ASCII text the search runs on its lower-cased twin
    and each match is read again from the text where the twin found it (same match)."""
    if _COUNT_LOWER is None or not text.isascii():
        yield from _COUNT_RX.finditer(text)
        return
    for found in _COUNT_LOWER.finditer(text.lower()):
        m = _COUNT_RX.match(text, found.start())
        assert m is not None and m.end() == found.end()
        yield m


def counts(ctx: Ctx, text: str, base: int) -> list[Hit]:
    hits: list[Hit] = []
    lowered = ctx.low
    if any(w in lowered for w in _EPISODE_WORDS):
        hits.extend(episodes(text, base))
    # (plain substring tests where they say the same as the case-blind hint regex: ASCII)
    hinted = (
        any(w in lowered for w in _COUNT_WORDS)
        if lowered.isascii()
        else _COUNT_HINT.search(lowered)
    )
    if not hinted or not _NUMBER_HINT.search(lowered):
        return hits
    for m in _count_matches(text):
        noun = _NOUN_RX.match(text, m.end())
        following = "of the following" in m.group("mods").lower()
        if noun is None and not following:
            continue
        try:
            n = to_number(m.group("n"))
        except ValueError:
            continue
        if not (1 <= n <= 12) or n != int(n):
            continue
        if noun is not None:
            i = next(k for k in range(len(_COUNT_NOUNS)) if noun.group(f"n{k}"))
            cls, end = _COUNT_NOUNS[i][1], noun.end()
            if cls == "*" and following and len(lx.keys_in(lx.DRUGS, text[end : end + 250])) >= 2:
                # ">= 2 of the following treatments: cyclophosphamide, MMF, ...": agents
                cls = "conventional_immunosuppressants"
        else:
            cls, end = "conventional_immunosuppressants", m.end()
            lead = re.match(
                r"\s*(?P<w>treatments?|drugs?|immunomodulat\w*\s+drugs?|medications?)",
                text[end:],
                _I,
            )
            if lead is not None:
                end += lead.end()
            elif following and len(lx.keys_in(lx.DRUGS, text[end : end + 250])) >= 2:
                pass  # "at least 2 of the following: MMF, cyclophosphamide, rituximab"
            else:
                continue
        q = m.group("q").lower()
        if re.search(r"maximum|no\s+more|not\s+more|up\s+to|<", q):
            cmp = Comparator.LE
        elif re.search(r"more\s+than|>(?!=)", q) and "or more" not in q:
            cmp = Comparator.GT
        else:
            cmp = Comparator.GE
        low = int(n) + 1 if cmp is Comparator.GT else int(n)
        start = m.start() + (len(m.group(0)) - len(m.group(0).lstrip()))
        failed = bool(_FAILED.search(text[max(0, start - 80) : end + 40]))
        fact: dict[str, Any] = {
            "category": "count",
            "concept": [cls if cls != "*" else "prior_therapies"],
            "comparator": cmp.value,
            "value": float(n),
            "unit": "",
        }
        if low < 2 and cmp is not Comparator.LE:
            continue  # "at least one": any exposure, read by the medication reader
        if cls == "*" or cmp is Comparator.LE:
            hits.append(
                manual_fact_hit(
                    base + start,
                    base + end,
                    "prior therapies",
                    f"count of prior therapies read as {cmp.value} {n:g}; medication records "
                    "cannot count lines or regimens: check by hand",
                    [fact],
                )
            )
            continue
        hits.append(_count_hit(base + start, base + end, cls, low, failed))
    return hits


def _count_hit(start: int, end: int, cls: str, n: int, failed: bool) -> Hit:
    """A computable count; it takes a "within" and a "for at least" window together ("two
    immunosuppressants for at least 12 weeks within 24 months")."""

    def build(c: Ctx, w: WindowHit | None, a: int, b: int, cf: float) -> Criterion:
        ws = [x for x in (w, hit.window2) if x is not None]
        inside = next((x for x in ws if x.direction == "within"), None)
        lasting = next((x for x in ws if x.direction == "duration"), None)
        return MedicationHistory(
            classes=(cls,),
            min_distinct=n,
            within=window(inside),
            min_duration=duration(lasting),
            outcome="failure_or_intolerance" if failed else "any",
            **c.common(a, b, cf, "count of distinct agents of the class"),
        )

    hit = Hit(start, end, build, frozenset({"within", "duration", HL}), 0.85, kind="count")
    return hit


# ---------------------------------------------------------------------------- doses

#: a number with a dose unit after it (the only places a dose constraint can end)
_DOSE_NUMBER = re.compile(r"(?<![\w.])\d(?=[\d,.]*\s*(?:mg|g)\b)", _I)
_TAPER = re.compile(r"\b(?:reduc|taper|decreas|lower|wean|below)\w*\b[^;.]{0,45}$", _I)
_DAILY = re.compile(r"\bdaily\b|\bper\s+day\b|/\s*d(?:ay)?\b", _I)
_GC_CLASS = "glucocorticoids"
_GRAMS = re.compile(r"\d\s*g\b")


def _mentions(ctx: Ctx, text: str, base: int) -> list[tuple[str, int, int]]:
    drugs = lx.find_all(lx.DRUGS, text, base)
    gcs = [(k, s, e) for k, s, e in lx.find_all(lx.DRUG_CLASSES, text, base) if k == _GC_CLASS]
    return sorted(drugs + gcs, key=lambda x: x[1])


def doses(ctx: Ctx, text: str, base: int) -> list[Hit]:
    if "mg" not in ctx.low and not _GRAMS.search(ctx.low):
        return []
    mentions = _mentions(ctx, text, base)
    if not mentions:
        return []
    hits: list[Hit] = []
    taken: list[tuple[int, int]] = []
    for num in _DOSE_NUMBER.finditer(text):
        if any(t[0] <= num.start() < t[1] for t in taken):
            continue
        c = _constraint_over(text, num.start())
        if c is None or len(c.bounds) > 2:
            continue
        if not all(
            b.unit in ("mg", "mg/d", "mg/kg", "mg/kg/d", "g", "g/d", "mg/wk", "mg/mo")
            for b in c.bounds
        ):
            continue
        if _TAPER.search(text[max(0, c.start - 60) : c.start]):
            continue  # "inability to reduce glucocorticoids to < 7.5 mg/day": a judgement
        drug = _nearest(text, mentions, c.start, c.end)
        if drug is None:
            continue
        key, ds, de = drug
        seg_a, seg_b = min(ds, c.start), max(de, c.end)
        # "daily" said for this dose, not for another dose of the same list
        lo = max(0, min(ds, c.start) - 30)
        for other in re.finditer(r"\d\s*(?:mg|g)\b", text[lo : c.start], _I):
            lo = lo + other.end()
        # ... up to just after the drug when the dose comes first ("15 mg of prednisolone daily")
        daily = bool(_DAILY.search(text[lo : max(c.end, de) + 12]))
        cumulative = bool(re.search(r"cumulative", text[max(0, c.start - 40) : c.start], _I))
        facts: list[dict[str, Any]] = []
        computable: list[tuple[float, str]] = []
        for b in c.bounds:
            unit = b.unit or ""
            if not cumulative and daily and unit == "mg":
                unit = "mg/d"
            elif not cumulative and daily and unit == "mg/kg":
                unit = "mg/kg/d"
            concept = (
                "prednisone"
                if key == _GC_CLASS and re.search(r"prednisone", text[seg_a : seg_b + 25], _I)
                else key
            )
            facts.append(
                {
                    "category": "dose",
                    "concept": [concept],
                    "comparator": b.comparator.value,
                    "value": b.value,
                    "unit": unit,
                }
            )
            if b.comparator is Comparator.GE and unit in ("mg/d", "mg/kg/d") and not cumulative:
                computable.append((b.value, unit))
        taken.append((seg_a, seg_b))
        if len(computable) == len(c.bounds) == 1:
            value, unit = computable[0]
            hits.append(_dose_hit(base + seg_a, base + seg_b, key, value, unit))
        else:
            shown = "; ".join(
                f"{f['concept'][0]} {f['comparator']} {f['value']:g} {f['unit']}" for f in facts
            )
            hits.append(
                manual_fact_hit(
                    base + seg_a,
                    base + seg_b,
                    "dose",
                    f"dose read as {shown}; the criteria model states minimum daily doses only: "
                    "check by hand",
                    facts,
                )
            )
    return hits


_WORD_START = re.compile(r"(?<![\w<>=])(?=[\w<>])")


def _constraint_over(text: str, pos: int) -> grammar.Constraint | None:
    """The constraint whose first number is at ``pos``, its comparator up to 5 words before."""
    starts = [m.start() for m in _WORD_START.finditer(text, max(0, pos - 45), pos)]
    for q in [*starts, pos]:
        c = grammar.constraint(text, q)
        if c is not None and c.bounds[0].start <= pos < c.bounds[0].end + 1:
            return c
    return None


def _nearest(
    text: str, mentions: list[tuple[str, int, int]], start: int, end: int
) -> tuple[str, int, int] | None:
    """The drug a dose belongs to: the last mention before it in the same stretch, or the first
    one right after it ("20 mg/d of prednisone", "7.5 mg prednisolone")."""
    before = [
        x
        for x in mentions
        if x[2] <= start
        and not re.search(r"[;.]|\b(?:or|and)\b(?![^()]*\))", text[x[2] : start])
        and start - x[2] < 80
    ]
    if before:
        return before[-1]
    after = [
        x
        for x in mentions
        if x[1] >= end and re.fullmatch(r"\s*(?:of\s+)?(?:oral\s+)?", text[end : x[1]])
    ]
    return after[0] if after else None


def _dose_hit(start: int, end: int, key: str, value: float, unit: str) -> Hit:
    is_class = key == _GC_CLASS

    def build(c: Ctx, w: WindowHit | None, a: int, b: int, cf: float) -> Criterion:
        return MedicationHistory(
            drugs=() if is_class else (key,),
            classes=(key,) if is_class else (),
            min_daily_dose_mg=value if unit == "mg/d" else None,
            min_dose_mg_per_kg_day=value if unit == "mg/kg/d" else None,
            within=window(w) if w is not None and w.direction == "within" else None,
            min_duration=duration(w),
            **c.common(a, b, cf, "prednisone-equivalent dose" if is_class else None),
        )

    return Hit(start, end, build, frozenset({"within", "duration"}), 0.85, kind="dose")
