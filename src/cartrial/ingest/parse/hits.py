"""What recognizers share: the clause context (:class:`Ctx`) and a recognised stretch (:class:`Hit`).

A :class:`Hit` marks the evidence it was read from (cleaned offsets) and knows how to build its
node once a time window has been attached. Read-but-not-computable facts (a dose cap, a count of
"prior lines of therapy") are kept by :meth:`Ctx.read_facts` on the review node's span so the draft
shows what was read.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from cartrial.criteria.nodes import Criterion, ManualReview, Review
from cartrial.domain.timewindow import TimeUnit, Window
from cartrial.ingest.parse.normalize import Normalized
from cartrial.ingest.parse.temporal import WindowHit, find_windows

__all__ = [
    "TIME_CODES",
    "BuildFn",
    "Ctx",
    "Hit",
    "duration",
    "manual_fact_hit",
    "merge_notes",
    "window",
]


@dataclass
class Ctx:
    """What a builder needs: the texts, the section and the cohort's disease keys."""

    norm: Normalized
    section: str
    cohort_keys: tuple[str, ...] = ()
    manual_windows: dict[tuple[int, int], WindowHit] = field(default_factory=dict)
    low: str = ""  # the current clause, lower-cased (cheap pre-checks)
    words: frozenset[str] = frozenset()
    doc: dict[str, Any] = field(default_factory=dict, repr=False)  # per-document memo

    def windows_in(self, start: int, end: int) -> list[WindowHit]:
        """The time windows inside ``[start, end)`` of the cleaned text (one scan per document,
        shared by every Ctx of the document through ``doc``)."""
        found = self.doc.get("windows")
        if found is None:
            found = find_windows(self.norm.text)
            self.doc["windows"] = found
            self.doc["window_starts"] = [w.start for w in found]
        starts = self.doc["window_starts"]
        i = bisect_left(starts, start)
        out: list[WindowHit] = []
        while i < len(found) and found[i].start < end:
            if found[i].end <= end:
                out.append(found[i])
            i += 1
        return out

    def has(self, *needles: str) -> bool:
        """Does the current clause contain any of these lower-case substrings?"""
        low = self.low  # (plain substring tests beat one regex for a few needles)
        return any(map(low.__contains__, needles))  # (no generator per call)

    def has_word(self, *words: str) -> bool:
        return not self.words.isdisjoint(words)

    def span(self, a: int, b: int) -> tuple[int, int]:
        return self.norm.span(a, b)

    def text(self, a: int, b: int) -> str:
        return self.norm.original_text(a, b).strip()

    def common_of(self, node: Criterion, note: str | None = None) -> dict[str, object]:
        """Text, span and review fields of ``node`` (for a node that replaces it)."""
        out: dict[str, object] = {
            "text": node.text,
            "span": node.span,
            "review": Review.AUTO,
            "confidence": node.confidence,
        }
        if note:
            out["note"] = note
        return out

    def common(
        self, a: int, b: int, confidence: float, note: str | None = None
    ) -> dict[str, object]:
        s, e = self.span(a, b)
        raw = self.norm.original[s:e]
        lead = len(raw) - len(raw.lstrip())
        trail = len(raw) - len(raw.rstrip())
        s, e = s + lead, e - trail
        out: dict[str, object] = {
            "text": self.norm.original[s:e],
            "span": (s, max(s, e)),
            "review": Review.AUTO,
            "confidence": round(max(0.0, min(1.0, confidence)), 2),
        }
        if note:
            out["note"] = note
        return out


BuildFn = Callable[[Ctx, "WindowHit | None", int, int, float], Criterion]


#: in a hit's ``accepts``: it builds a medication node, the only kind a window counted in
#: half-lives may date (a lab value or a disease has no half-life)
HL = "half_lives"


@dataclass
class Hit:
    start: int
    end: int
    build: BuildFn
    accepts: frozenset[str] = frozenset()
    confidence: float = 0.9
    computable: bool = True
    kind: str = "atom"
    claim: tuple[int, int] | None = None
    window: WindowHit | None = None
    #: a second window of the other kind (within / duration) for hits that take both
    window2: WindowHit | None = None
    # an exception's text ("except NMSC disease-free > 5 years"): its windows are not this hit's
    exc_zone: tuple[int, int] | None = None
    # for merging condition hits
    concepts: tuple[str, ...] = ()
    active_only: bool = False


def window(w: WindowHit | None) -> Window | None:
    if w is None or w.direction == "after":
        return None
    return Window(amount=w.amount, unit=w.unit, reference=w.reference)


def merge_notes(*notes: str | None) -> str | None:
    parts = [n for n in notes if n]
    return "; ".join(parts) if parts else None


def duration(w: WindowHit | None) -> Window | None:
    """A "for at least N" window as a minimum treatment duration (half-lives are no duration)."""
    if w is None or w.direction != "duration" or w.unit is TimeUnit.HALF_LIVES:
        return None
    return Window(amount=w.amount, unit=w.unit, reference=w.reference)


TIME_CODES = {
    TimeUnit.DAYS: "d",
    TimeUnit.WEEKS: "wk",
    TimeUnit.MONTHS: "mo",
    TimeUnit.YEARS: "a",
    TimeUnit.HALF_LIVES: "half_lives",
}


def manual_fact_hit(
    start: int,
    end: int,
    hint: str,
    note: str,
    facts: list[dict[str, Any]],
    claim_end: int | None = None,
) -> Hit:
    """A review node for something read exactly that the criteria model cannot compute; the
    facts read (and a window attached to it) are kept on the node's span
    (``ParseResult.manual_facts``)."""

    def build(c: Ctx, w: WindowHit | None, a: int, b: int, cf: float) -> Criterion:
        node = ManualReview(data_hint=hint, **c.common(a, b, 1.0, note))
        read = list(facts)
        if w is not None and w.resolved and w.direction in ("within", "duration") and facts:
            within = w.direction == "within"
            read.append(
                {
                    "category": "window",
                    "concept": facts[0]["concept"],
                    "comparator": "<=" if within else ">=",
                    "value": w.amount,
                    "unit": TIME_CODES[w.unit],
                    "anchor": w.reference if within else None,
                    "direction": "before" if within else "duration",
                }
            )
        c.doc.setdefault("manual_facts", {})[node.span or (0, 0)] = tuple(read)
        return node

    return Hit(
        start,
        end,
        build,
        frozenset({"within", "duration"}),
        1.0,
        computable=False,
        kind="manual_fact",
        claim=(start, claim_end if claim_end is not None else end),
    )
