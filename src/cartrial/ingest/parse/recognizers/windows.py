"""Which hit a time window belongs to: the nearest one that accepts it, not across ';', a
sentence end or an unclosed bracket (except the hit's own aside), never an age, and never
out of an exception."""

from __future__ import annotations

import dataclasses
import re

from cartrial.domain.timewindow import TimeUnit
from cartrial.ingest.parse import lexicon as lx
from cartrial.ingest.parse.hits import HL, Hit
from cartrial.ingest.parse.temporal import WindowHit

_I = re.IGNORECASE


def is_used(w: WindowHit, hits: list[Hit]) -> bool:
    return any(h.window is w for h in hits)


_INTRODUCES = re.compile(r"\s*:")
_WITHOUT = re.compile(
    r"\b(?:without|no|free\s+of|independent\s+of|not\s+requiring|absence\s+of)\b", _I
)
_BOUNDARY = re.compile(r";|\.\s|,\s*(?:or|and)\b|\bor\s+(?:history|other|any|severe)\b", _I)


def shared_anchors(text: str, windows: list[WindowHit]) -> list[WindowHit]:
    """A window without an anchor of its own takes the anchor of the next window of the same
    sentence ("rituximab within 6 months or other biologics within 5 half-lives prior to
    apheresis": both before apheresis), instead of falling back to screening."""
    out = list(windows)
    for i in range(len(out) - 2, -1, -1):
        w, nxt = out[i], out[i + 1]
        if (
            not w.anchor_text
            and w.direction in ("within", "at_least")
            and nxt.anchor_text
            and nxt.resolved
            and nxt.direction in ("within", "at_least")
            and not re.search(r"[;:]|\.\s", text[w.end : nxt.start])
        ):
            out[i] = dataclasses.replace(w, reference=nxt.reference)
    return out


def attach_windows(text: str, hits: list[Hit], windows: list[WindowHit]) -> None:
    zones = [h.exc_zone for h in hits if h.exc_zone is not None]
    # a window belongs first to what it follows; only then may one reach forward to a hit
    # named after it ("infection within 1 week or infection needing antibiotics within 3
    # weeks": the second infection takes the second window, never the first)
    for w, forward in [(w, False) for w in windows] + [(w, True) for w in windows]:
        if forward and any(h.window is w or h.window2 is w for h in hits):
            continue
        if w.direction == "after" and not any("after" in h.accepts for h in hits):
            continue
        if any(not h.accepts and h.start <= w.start and w.end <= h.end + 2 for h in hits):
            continue  # "> 25 years and < 72 years" is an age, not a duration
        if _AGED.search(text[max(0, w.start - 12) : w.start]):
            continue  # "with SLE, aged >= 18 years": an age, never a disease duration
        if any(zs <= w.start and w.end <= ze for zs, ze in zones):
            continue  # inside an exception ("except NMSC disease-free > 5 years")
        cands = [
            h
            for h in hits
            if w.direction in h.accepts
            and (w.unit is not TimeUnit.HALF_LIVES or HL in h.accepts)
            and (
                h.window is None
                or (
                    h.kind == "count"
                    and h.window2 is None
                    and {h.window.direction, w.direction} == {"within", "duration"}
                )
            )
        ]
        if re.search(
            r"\b(?:present|existing|ongoing|persist\w*)\s*$",
            text[max(0, w.start - 25) : w.start],
            _I,
        ):
            # "GVHD ... was present within 2 weeks": a state, not an onset
            cands = [h for h in cands if h.kind not in ("condition", "condition_exc")]
        if not cands:
            continue

        def opens(gap: str) -> bool:
            return gap.count("(") > gap.count(")")

        def closes(gap: str) -> bool:
            return gap.count(")") > gap.count("(")

        before = [
            h
            for h in cands
            if h.end <= w.start + 1
            and len(_unbracketed(text[h.end : w.start])) < 160
            and not _BOUNDARY.search(_unbracketed(text[h.end : w.start]))
            and (not opens(text[h.end : w.start]) or _own_aside(text, h.end, w.start, w.end))
            and not _names_a_concept(text, h.end, w.start)
            # "platelets >= 50,000 without transfusion within 7 days": the window dates the
            # thing done without, not the lab value
            and not _WITHOUT.search(text, h.end, w.start)
        ]
        inside = [h for h in cands if h.start < w.end and w.start < h.end]
        bracket_end = _own_bracket_end(text, w)
        after = [
            h
            for h in cands
            if h.start >= w.end - 1
            and h.start - w.end < 160
            and not _BOUNDARY.search(text[w.end : h.start])
            and not closes(text[max(w.end, min(bracket_end, h.start)) : h.start])
        ]
        if len(before) > 1:
            # a list in brackets ("therapies (including A, B) for 12 weeks") is not what the
            # window is about when the hit that introduced it is a candidate too
            outside = [h for h in before if not _in_brackets(text, h.start, w.start)]
            before = outside or before
            # "at least two immunosuppressants (A, B...) for 12 weeks": the counted agents
            before = [h for h in before if h.kind == "count"] or before
            if w.direction in ("duration", "at_least"):
                # how long something lasted belongs to the nearest thing named, not to every
                # disease of an earlier list ("... ineffective for more than 6 months")
                before = [max(before, key=lambda h: h.end)]
        if not before and not inside and len(after) > 1 and w.direction in ("duration", "at_least"):
            # "At least 6 months of stable standard treatment ... in the SLE history": the
            # nearest thing named, not the disease further on
            after = [min(after, key=lambda h: h.start)]
        chosen = before or inside or (after if forward else [])
        if (
            _INTRODUCES.match(text, w.end)
            and after
            and w.direction in ("within", "at_least")
            and not any(h.kind == "count" for h in before)  # a count owns its list
        ):
            # "used the following within the past 6 months: A, B, C": the window introduces
            # the list after its colon, whatever was named before it
            chosen = after
        if not chosen:
            continue
        if (
            w.direction in ("within", "at_least")
            and not inside
            and not any(h.kind == "count" for h in chosen)  # a count's window is its own
        ):
            chosen = chosen + [h for h in _list_mates(text, hits, chosen, w) if h in cands]
        for h in chosen:
            if h.window is None:
                h.window = w
            else:
                h.window2 = w


#: what may stand between two members of one list ("A, B, or C", "A and/or B", "A / B")
_LIST_SEP = re.compile(
    r"\s*(?:,\s*(?:and/or|or|and)?|/|and/or|or|and)\s*"
    # a route or dose word before the next member ("..., or high-dose prednisone")
    r"(?:(?:high|low)[- ]dose\s+|oral\s+|intravenous\s+|i\.?v\.?\s+|systemic\s+)?",
    _I,
)


def _list_mates(text: str, hits: list[Hit], chosen: list[Hit], w: WindowHit) -> list[Hit]:
    """The members of the list the window closes ("ciclosporin, IVIG or plasmapheresis within
    90 days", "MI, stroke, or revascularisation within 3 months"): walking back from the hit
    nearest before the window, every hit joined to the next only by a list separator. A list
    shares its window; a clause boundary (';', a sentence end, other words) ends the walk."""
    prior = [h for h in chosen if h.end <= w.start + 1]
    if not prior:
        return []
    cur = max(prior, key=lambda h: h.end)
    mates: list[Hit] = []
    while True:
        prev = [h for h in hits if h.end <= cur.start and h is not cur]
        if not prev:
            return mates
        p = max(prev, key=lambda h: h.end)
        if not _LIST_SEP.fullmatch(_unbracketed(text[p.end : cur.start])):
            return mates
        if p not in chosen:
            mates.append(p)
        cur = p


STOPPED = re.compile(
    r"\b(?:discontinu|stopp|withdr[ae]w|cessation|interrupt|free\s+of|off)\w*\b[^;.]{0,30}$"
    # "the time from the last chemotherapy ... must be greater than 21 days": since the last dose
    r"|\b(?:time|interval)\s+(?:from|since)\s+(?:the\s+)?(?:last|latest|final|prior|previous)\b"
    r"[^;.]{0,40}$",
    _I,
)
_AGED = re.compile(r"\b(?:aged?|ages)\s*:?\s*$", _I)


_ASIDE_OPEN = re.compile(r"\s*\([^()]{0,40}")
_ASIDE_CLOSE = re.compile(r"[^()]{0,40}\)")


def _own_bracket_end(text: str, w: WindowHit) -> int:
    """Where the window's own brackets close when it stands alone in them before "of" ("stable
    dose (at least 6 weeks) of X": the bracket is no boundary to X), else the window's end."""
    if re.search(r"\(\s*$", text[max(0, w.start - 3) : w.start]):
        m = re.match(r"\s*\)(?=\s*of\b)", text[w.end :])
        if m is not None:
            return w.end + m.end()
    return w.end


def _own_aside(text: str, h_end: int, w_start: int, w_end: int) -> bool:
    """A bracket opened right after the hit that closes after the window is the hit's own
    aside ("mycophenolate mofetil (administered for a minimum of 3 months)")."""
    return (
        _ASIDE_OPEN.fullmatch(text, h_end, w_start) is not None
        and _ASIDE_CLOSE.match(text, w_end) is not None
    )


def _unbracketed(gap: str) -> str:
    """``gap`` without its closed bracketed stretches (a list in brackets is no boundary)."""
    return re.sub(r"\([^()]*\)", " ", gap)


def _in_brackets(text: str, pos: int, until: int) -> bool:
    """Is ``pos`` inside brackets that close before ``until``?"""
    depth = 0
    for ch in text[pos:until]:
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
            if depth < 0:
                return True
    return False


def _names_a_concept(text: str, a: int, b: int) -> bool:
    """Does the stretch between a hit and a window name a drug or procedure of its own (the
    window then belongs to that one, not to the earlier hit)? A bracketed list belongs to the
    hit before it."""
    if b - a < 4:
        return False
    depth = 0
    closed: list[tuple[int, int]] = []
    opened = a
    for i in range(a, b):
        if text[i] == "(":
            if depth == 0:
                opened = i
            depth += 1
        elif text[i] == ")" and depth:
            depth -= 1
            if depth == 0:
                closed.append((opened, i))
    for table in (lx.DRUGS, lx.PROCEDURES):
        for _k, s, _e in lx.find_all(table, text[a:b], a):
            if not any(x <= a + s <= y for x, y in closed):
                return True
    return False
