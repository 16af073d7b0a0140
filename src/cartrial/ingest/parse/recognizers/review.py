"""What the parser leaves to a person, and says so: a window counted from an anchor the
temporal grammar cannot name, a finding dated by a window, and the content words of a
clause that no reading explains (too many -> a ``ManualReview`` for the sentence)."""

from __future__ import annotations

import re
from collections.abc import Iterator

from cartrial.criteria.nodes import (
    Criterion,
    ManualReview,
)
from cartrial.ingest.parse import grammar
from cartrial.ingest.parse.hits import Ctx
from cartrial.ingest.parse.temporal import WindowHit

_I = re.IGNORECASE


_STOP = frozenset(
    [
        "a",
        "an",
        "the",
        "and",
        "or",
        "of",
        "in",
        "on",
        "at",
        "to",
        "for",
        "with",
        "without",
        "by",
        "from",
        "as",
        "is",
        "are",
        "was",
        "were",
        "be",
        "been",
        "being",
        "has",
        "have",
        "had",
        "do",
        "does",
        "did",
        "must",
        "should",
        "shall",
        "will",
        "would",
        "can",
        "could",
        "may",
        "might",
        "who",
        "which",
        "that",
        "this",
        "these",
        "those",
        "their",
        "his",
        "her",
        "its",
        "patients",
        "patient",
        "subjects",
        "subject",
        "participants",
        "participant",
        "persons",
        "person",
        "people",
        "individuals",
        "case",
        "cases",
        "any",
        "all",
        "other",
        "following",
        "requirements",
        "requirement",
        "meet",
        "meets",
        "met",
        "function",
        "functions",
        "value",
        "values",
        "level",
        "levels",
        "count",
        "counts",
        "test",
        "tests",
        "result",
        "results",
        "screening",
        "baseline",
        "time",
        "period",
        "during",
        "prior",
        "before",
        "after",
        "within",
        "than",
        "more",
        "less",
        "equal",
        "greater",
        "also",
        "such",
        "including",
        "include",
        "includes",
        "e.g",
        "i.e",
        "etc",
        "not",
        "no",
        "yes",
        "if",
        "when",
        "where",
        "there",
        "than",
        "both",
        "either",
        "each",
        "per",
        "study",
        "trial",
        "visit",
        "investigator",
        "investigators",
        "opinion",
        "day",
        "days",
        "week",
        "weeks",
        "month",
        "months",
        "year",
        "years",
        "known",
        "history",
        "diagnosis",
        "diagnosed",
        "defined",
        "definition",
        "based",
        "according",
        "following",
        "needs",
        "need",
        "need",
        "required",
        "normal",
        "range",
        "upper",
        "lower",
        "limit",
        "uln",
        "lln",
        "organ",
        "organs",
        "important",
        "major",
        "good",
        "basically",
        "women",
        "woman",
        "men",
        "man",
        "female",
        "male",
        "females",
        "males",
        "childbearing",
        "potential",
        "age",
        "aged",
        "agree",
        "agrees",
        "agreed",
        "disease",
        "diseases",
        "severe",
        "serious",
        "significant",
        "clinically",
        "relevant",
        "activity",
        "score",
        "scores",
        "index",
        "total",
        "points",
        "point",
        "refractory",
        "relapsed",
        "relapsing",
        "recurrent",
        "progressive",
        "relapse-refractory",
        "relapsing-refractory",
        "relapse",
        "state",
        "status",
        "presence",
    ]
)


_WORD_RX = re.compile(r"[A-Za-z][A-Za-z'-]{2,}")


def content_words(text: str) -> list[tuple[int, int]]:
    return [m.span() for m in _WORD_RX.finditer(text) if m.group().lower().strip("'-") not in _STOP]


EVIDENCE = re.compile(
    r"\b(?:evidence|MRI|EMG|biops\w*|imaging|scan|CT|ultrasound|echocardiograph\w*|histolog\w*)\b"
    r"[^;.]{0,40}$",
    _I,
)


def unresolved_anchor(ctx: Ctx, w: WindowHit, a: int, b: int) -> Criterion:
    """A window counted from an event the temporal grammar cannot name: review, not a guess."""
    node = ManualReview(
        **ctx.common(
            a,
            b,
            1.0,
            f"time window counted from {w.anchor_text!r}: not an anchor the parser knows "
            "(screening, enrollment, consent, randomization, baseline, leukapheresis, "
            "lymphodepletion, first dose, last dose, diagnosis)",
        )
    )
    ctx.manual_windows[node.span or (0, 0)] = w
    return node


#: where a bound can start: a comparator sign or word, or a number
_BOUND_START = re.compile(
    r"(?<![\w.,/:-])\d|(?:[<>]|\b(?:at\s+(?:least|most)|up\s+to|no|not|more|less|greater|higher|"
    r"lower|fewer|larger|smaller|above|below|over|under|exceed\w*|in\s+excess|(?:a\s+)?minimum|"
    r"(?:a\s+)?maximum|equal)\b)(?=[^;\d]{0,40}\d)",  # a bound needs a number
    _I,
)
_DIGIT = re.compile(r"\d")
_TIME_UNITS = frozenset({"a", "mo", "wk", "d", "h", "min"})
#: "at least one of (the following)": any of the items, which the composition reads
_ANY_ONE_OF = re.compile(r"(?:at\s+least|>=)\s*(?:one|1)\s+of\b", _I)
_OPENS_ASIDE = re.compile(r"\s*[(\[]\s*(?:or\s+|i\.\s?e\.?,?\s*)?")
_CLOSES_ASIDE = re.compile(r"\s*[)\]]")


def unread_stretches(
    text: str,
    start: int,
    end: int,
    covered: list[tuple[int, int]],
    windows: list[WindowHit],
    used: set[tuple[int, int]],
) -> list[tuple[int, int, str]]:
    """What the grammars read in ``text[start:end]`` that no hit took, as ``(a, b, reason)``:
    a bound with no concept named ("> 5 mg/dL" alone, "at least 2" of nothing read), a ULN
    multiple with no comparator ("ALT 2 x ULN": the comparator cannot be placed) and a time
    span nothing was dated by. A sentence holding one is never read as complete."""
    out: list[tuple[int, int, str]] = []

    def free(a: int, b: int) -> bool:
        return not any(a < ce and cs < b for cs, ce in covered) and not any(
            a < oe and os < b for os, oe, _r in out
        )

    for w in windows:
        if w.direction != "after" and (w.start, w.end) not in used and free(w.start, w.end):
            out.append((w.start, w.end, "a time span with nothing read for it"))
    pos = start
    for m in _bound_starts(text, start, end, covered):
        if m.start() < pos:
            continue
        c = grammar.constraint(text, m.start())
        if c is not None and c.end <= end:
            pos = c.end
            if (
                free(c.start, c.end)
                and not any(b.unit in _TIME_UNITS for b in c.bounds)
                and not _ANY_ONE_OF.match(text, c.start)
                and not _restated(text, c.start, c.end, covered)
                and not all(b.unit is None and 1900 <= b.value <= 2100 for b in c.bounds)
            ):
                out.append((c.start, c.end, "a bound with no concept named"))
            continue
        if m.group(0)[0].isdigit():
            q = grammar.quantity(text, m.start())
            if q is not None and q.multiple and q.end <= end:
                pos = q.end
                if free(q.start, q.end):
                    out.append((q.start, q.end, "a ULN multiple with no comparator"))
    return sorted(out)


def _bound_starts(
    text: str, start: int, end: int, covered: list[tuple[int, int]]
) -> Iterator[re.Match[str]]:
    """Where a bound can start in ``text[start:end]``, outside the stretches read (speed: most
    of a sentence with a reading is read; a gap without a digit holds no bound)."""
    pos = start
    for cs, ce in sorted(covered):
        if ce <= pos:
            continue
        gap_end = min(max(cs, pos), end)
        if gap_end > pos and _DIGIT.search(text, pos, gap_end) is not None:
            yield from _BOUND_START.finditer(text, pos, gap_end)
        pos = ce
        if pos >= end:
            return
    if pos < end and _DIGIT.search(text, pos, end) is not None:
        yield from _BOUND_START.finditer(text, pos, end)


def _restated(text: str, a: int, b: int, covered: list[tuple[int, int]]) -> bool:
    """A bound in brackets right after a reading restates it in another unit ("total bilirubin
    <= 34 umol/L (<= 2.0 mg/dL)")."""
    ends = [ce for _cs, ce in covered if ce <= a]
    return (
        bool(ends)
        and _OPENS_ASIDE.fullmatch(text, max(ends), a) is not None
        and _CLOSES_ASIDE.match(text, b) is not None
    )


def unread_note(ctx: Ctx, note: str, stretches: list[tuple[int, int, str]]) -> str:
    """``note`` and the stretches a reviewer must read, quoted from the original text."""
    if not stretches:
        return note
    return f"{note}; not read: " + "; ".join(
        f'"{ctx.text(a, b)}" ({why})' for a, b, why in stretches
    )


def unexplained_runs(
    words: list[tuple[int, int]], covered: list[tuple[int, int]]
) -> list[tuple[int, int]]:
    """Runs of consecutive content words (``words``, spans) that no covered stretch explains:
    what a reviewer reads of a sentence understood only in part."""
    runs: list[tuple[int, int]] = []
    last = -2
    for i, (a, b) in enumerate(words):
        if any(a < ce and cs < b for cs, ce in covered):
            continue
        if runs and last == i - 1:
            runs[-1] = (runs[-1][0], b)
        else:
            runs.append((a, b))
        last = i
    return runs
