"""Re-anchoring notes with a W3C Web Annotation TextQuoteSelector (exact + prefix + suffix).

https://www.w3.org/TR/annotation-model/#text-quote-selector — the quoted passage is found again
in the page's current text; where it occurs more than once, the occurrence whose surroundings
best match the stored prefix and suffix wins. Whitespace runs count as one space, so a
re-rendered page (other line breaks, indentation) still anchors. No match: the note is orphaned
(shown as such, never dropped). ``static/js/engage_notes.js`` implements the same steps.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_WS = re.compile(r"\s+")
CONTEXT_CHARS = 32
"""Characters of prefix and suffix the page records around a selection."""


@dataclass(frozen=True)
class Anchor:
    start: int
    end: int
    """Offsets into the original (not normalised) text."""


def normalise(text: str) -> tuple[str, list[int]]:
    """Whitespace runs → one space; returns the text and each character's original offset."""
    out: list[str] = []
    index: list[int] = []
    prev_space = False
    for i, ch in enumerate(text):
        if ch.isspace():
            if prev_space:
                continue
            out.append(" ")
            index.append(i)
            prev_space = True
        else:
            out.append(ch)
            index.append(i)
            prev_space = False
    return "".join(out), index


def _common_suffix(a: str, b: str) -> int:
    n = 0
    while n < len(a) and n < len(b) and a[-1 - n] == b[-1 - n]:
        n += 1
    return n


def _common_prefix(a: str, b: str) -> int:
    n = 0
    while n < len(a) and n < len(b) and a[n] == b[n]:
        n += 1
    return n


def anchor(text: str, exact: str, prefix: str = "", suffix: str = "") -> Anchor | None:
    """Where ``exact`` is in ``text`` now, or ``None`` (orphaned)."""
    norm, index = normalise(text)
    q = _WS.sub(" ", exact).strip()
    if not q:
        return None
    p = _WS.sub(" ", prefix)
    s = _WS.sub(" ", suffix)
    best: tuple[int, int] | None = None  # (score, start)
    start = norm.find(q)
    while start != -1:
        score = _common_suffix(norm[max(0, start - len(p)) : start], p) + _common_prefix(
            norm[start + len(q) : start + len(q) + len(s)], s
        )
        if best is None or score > best[0]:
            best = (score, start)
        start = norm.find(q, start + 1)
    if best is None:
        return None
    begin = best[1]
    last = begin + len(q) - 1
    return Anchor(index[begin], index[last] + 1)
