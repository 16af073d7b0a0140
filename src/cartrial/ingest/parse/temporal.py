"""Time windows in eligibility text: amount, unit, direction and an *enumerated* anchor.

A window is read in two steps over normalized text (see :mod:`.normalize`):

1. the window phrase (grammar in ``docs/parse-grammar.md``, section *Windows*)::

       window    := lead? amount time_unit relation anchor?
                  | "the" ("past"|"last"|"prior"|"previous") time_unit      (amount 1)
                  | "the" time_unit "prior" ("to" anchor)?                  (amount 1)
       lead      := within-words | at-least-words | duration-words | washout-words
       relation  := "prior to" | "before" | "preceding" | "of" | "from"   (looking back)
                  | "after" | "following" | "post" | "until"               (looking forward)

2. the anchor after the relation word, matched against :data:`ANCHOR_PHRASES` — an explicit
   enumeration (:class:`Anchor`). A window with no relation word is counted back from
   screening (the evaluation date). A relation word followed by an event the table does not
   name yields ``reference = "unresolved"`` and the raw words: the recognizers then emit the
   clause for review instead of guessing screening (the commonest source of wrong facts).

Directions: ``within`` (the event happened inside the window), ``at_least`` (at least that long
ago: washouts, disease duration), ``duration`` (a treatment lasted that long), ``after`` (a
forward-looking period such as contraception after the infusion: not computable, kept for review).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from enum import StrEnum

from cartrial.domain.timewindow import TimeUnit
from cartrial.ingest.parse.patterns import ANYNUM, to_number

__all__ = [
    "ANCHOR_PHRASES",
    "Anchor",
    "UNRESOLVED",
    "WindowHit",
    "find_windows",
    "read_anchor",
    "time_unit",
]


class Anchor(StrEnum):
    """The reference events a window can be counted from (the parser names no others)."""

    SCREENING = "screening"
    ENROLLMENT = "enrollment"
    CONSENT = "consent"
    RANDOMIZATION = "randomization"
    BASELINE = "baseline"
    LEUKAPHERESIS = "leukapheresis"
    LYMPHODEPLETION = "lymphodepletion"
    #: product infusion / first dose of the study treatment / study day 1
    FIRST_DOSE = "first_dose"
    #: last dose or end of the study treatment (forward-looking periods)
    LAST_DOSE = "last_dose"
    DIAGNOSIS = "diagnosis"


UNRESOLVED = "unresolved"

_THE = r"(?:the\s+|a\s+|any\s+)?(?:(?:required|planned|scheduled|expected|anticipated)\s+)?"
_STUDY = r"(?:(?:the\s+)?(?:study|trial|investigational|protocol)\s+)?"
_PRODUCT = r"(?:[\w/+-]+\s+){0,3}?"

#: anchor -> phrases (regular-expression fragments, case-insensitive), tried in this order.
ANCHOR_PHRASES: tuple[tuple[Anchor, str], ...] = (
    (
        Anchor.CONSENT,
        rf"{_THE}(?:signing\s+(?:of\s+)?(?:the\s+)?|signature\s+(?:of\s+)?(?:the\s+)?)?(?:written\s+)?"
        r"(?:informed\s+consent(?:\s+form)?|ICF|consent(?:\s+form)?)",
    ),
    (Anchor.CONSENT, r"(?:the\s+)?(?:signing|signature)\b"),
    (Anchor.RANDOMIZATION, rf"{_THE}(?:date\s+of\s+(?:the\s+)?)?randomi[sz]ation"),
    (Anchor.LEUKAPHERESIS, rf"{_THE}(?:start\s+of\s+)?(?:leuk|leuc)?a?pheresis"),
    (
        Anchor.LYMPHODEPLETION,
        rf"{_THE}(?:start\s+of\s+|initiation\s+of\s+|first\s+dose\s+of\s+)?(?:the\s+)?"
        r"(?:lymphodepl\w*|lympho-depl\w*|conditioning)(?:\s+(?:chemotherapy|therapy|treatment|"
        r"regimen))?",
    ),
    (
        Anchor.SCREENING,
        rf"{_THE}(?:start\s+of\s+|beginning\s+of\s+)?(?:the\s+)?(?:any\s+)?screening(?:\s+(?:visit|"
        r"period|procedures?|assessments?))?",
    ),
    (Anchor.BASELINE, rf"{_THE}baseline(?:\s+visit)?"),
    (
        Anchor.ENROLLMENT,
        rf"{_THE}(?:study\s+|trial\s+|protocol\s+)?(?:enrol(?:l)?ment|enrol(?:l)?ing|entry|inclusion|registration|"
        r"entering\s+(?:the\s+|this\s+)?(?:study|trial))",
    ),
    # "before the current study begins": the patient's start in the study
    (
        Anchor.ENROLLMENT,
        r"(?:the\s+)?(?:current\s+|present\s+)?(?:study|trial)\s+(?:begins|starts)",
    ),
    (
        Anchor.ENROLLMENT,
        rf"{_THE}participat(?:ing|ion)(?:\s+in\s+(?:the|this)\s+(?:clinical\s+)?(?:study|trial|"
        r"treatment|research))?",
    ),
    (
        Anchor.LAST_DOSE,
        rf"{_THE}(?:last|final)\s+(?:dose|infusion|administration)(?:\s+of\s+{_PRODUCT}\S+)?",
    ),
    (
        Anchor.LAST_DOSE,
        rf"{_THE}(?:end|completion|stop|discontinuation)\s+of\s+{_STUDY}(?:treatment|therapy)",
    ),
    (
        Anchor.LAST_DOSE,
        rf"{_THE}{_PRODUCT}(?:treatment|therapy)\s+(?:stop|end|discontinuation|completion)",
    ),
    (
        Anchor.FIRST_DOSE,
        rf"{_THE}(?:first|initial)\s+(?:dose|infusion|administration|dosing)"
        rf"(?:\s+of\s+{_PRODUCT}\S+)?",
    ),
    (
        Anchor.FIRST_DOSE,
        rf"{_THE}(?:start(?:ing)?|initiat(?:ion|ing)|beginning)\s+(?:of\s+)?{_STUDY}"
        r"(?:drug|treatment|therapy|intervention|product|medication|protocol(?:\s+treatment)?)",
    ),
    (Anchor.FIRST_DOSE, rf"{_THE}(?:cycle\s+1,?\s+)?(?:study\s+)?(?:day|D)\s*(?:0|1|one)\b"),
    (
        Anchor.FIRST_DOSE,
        rf"{_THE}{_PRODUCT}(?:car[- ]?t(?:[- ]cells?)?\s+|cell\s+)?(?:infusion|transfusion|"
        r"administration|dosing)(?:\s+of\s+(?:the\s+)?(?:study\s+|investigational\s+)?\S+)?",
    ),
    (
        Anchor.FIRST_DOSE,
        rf"{_THE}{_STUDY}(?:drug|treatment|therapy|intervention|medication)",
    ),
    (Anchor.FIRST_DOSE, r"(?:the\s+)?(?:dosing|administration)\s+of\s+(?:the\s+)?\S+"),
    (Anchor.DIAGNOSIS, rf"{_THE}(?:initial\s+)?(?:diagnosis|disease\s+onset|onset)"),
    (
        Anchor.ENROLLMENT,
        r"(?:participat(?:ing|ion)\s+in\s+)?(?:the|this)\s+(?:study|trial)(?!\s+(?:drug|treatment))",
    ),
)
_ANCHOR_RX = [(a, re.compile(rf"(?:{p})(?![\w-])", re.IGNORECASE)) for a, p in ANCHOR_PHRASES]
_ANCHOR_STOP = re.compile(
    r"[;,.:()\[\]\n]|\s(?:or|and|and/or|if|unless|who|which|that|whichever|for|with|in|to)\s",
    re.IGNORECASE,
)


def read_anchor(text: str, pos: int) -> tuple[str, int, str]:
    """The anchor starting at ``pos``: (anchor value or ``"unresolved"``, end, raw words)."""
    m = re.match(r"\s*", text[pos:])
    start = pos + (m.end() if m else 0)
    for anchor, rx in _ANCHOR_RX:
        hit = rx.match(text, start)
        if hit is not None:
            return anchor.value, hit.end(), text[start : hit.end()]
    stop = _ANCHOR_STOP.search(text, start)
    end = stop.start() if stop else len(text)
    end = min(end, start + 60)
    return UNRESOLVED, end, text[start:end].strip()


# ------------------------------------------------------------------------ time units

TIME_UNIT = r"(?P<tunit>days?|weeks?|wks?|months?|mos?|years?|yrs?|hours?|hrs?|d|w|m|y|h)\b"
_UNIT_MAP = {
    "d": TimeUnit.DAYS,
    "day": TimeUnit.DAYS,
    "days": TimeUnit.DAYS,
    "w": TimeUnit.WEEKS,
    "wk": TimeUnit.WEEKS,
    "wks": TimeUnit.WEEKS,
    "week": TimeUnit.WEEKS,
    "weeks": TimeUnit.WEEKS,
    "m": TimeUnit.MONTHS,
    "mo": TimeUnit.MONTHS,
    "mos": TimeUnit.MONTHS,
    "month": TimeUnit.MONTHS,
    "months": TimeUnit.MONTHS,
    "y": TimeUnit.YEARS,
    "yr": TimeUnit.YEARS,
    "yrs": TimeUnit.YEARS,
    "year": TimeUnit.YEARS,
    "years": TimeUnit.YEARS,
}


def time_unit(raw: str) -> TimeUnit:
    return _UNIT_MAP[raw.lower()]


# ------------------------------------------------------------------------ windows


@dataclass(frozen=True)
class WindowHit:
    """A time window found in the text (cleaned offsets)."""

    start: int
    end: int
    amount: float
    unit: TimeUnit
    direction: str  # within | at_least | duration | after
    reference: str  # an Anchor value, or "unresolved"
    anchor_text: str = ""
    anchor_start: int = 0  # where the anchor's words start (cleaned offsets)

    @property
    def resolved(self) -> bool:
        return self.reference != UNRESOLVED


BEFORE = r"(?:prior\s+to|before|preceding|ahead\s+of)"
_AFTER = r"(?:after|following|post)"
NOT_AFTER = rf"(?!\s+{_AFTER}\b)"
_AMT = rf"(?P<amt>{ANYNUM})\s*(?:\(\s*\d+\s*\)\s*)?"
_GE = (
    r"(?:at\s+least|>=|>|more\s+than|longer\s+than|over|a\s+minimum\s+of|minimum\s+of|"
    r"no\s+less\s+than|not\s+less\s+than|no\s+fewer\s+than|greater\s+than|"
    r"(?:must\s+|should\s+)?exceed(?:s|ing)?|in\s+excess\s+of)"
)
_LE = r"(?:not\s+more\s+than|no\s+more\s+than|no\s+longer\s+than|less\s+than|up\s+to|<=|<)"
_RECENT = r"(?:past|last|previous|prior|preceding|recent)"
_SINCE_EVENT = (
    r"(?:since|from|after)\s+(?:the\s+)?(?:(?:subject|patient|participant)\s+(?:has\s+)?"
    r"received\s+(?:the\s+)?)?(?:last|prior|previous|completion|end|stopping|discontinu\w*)\b"
)

#: (pattern, direction); a ``rel`` group in the pattern means an anchor follows it
_WIN_PATTERNS: list[tuple[str, str]] = [
    # at least 3 weeks since prior chemotherapy / 2 weeks after the last dose: a washout
    (
        rf"(?:{_GE}\s*)?{_AMT}{TIME_UNIT}\s+(?:(?:must|should|will)\s+)?(?:have\s+|has\s+)?"
        rf"(?:(?:elapsed|passed)\s+)?{_SINCE_EVENT}",
        "at_least",
    ),
    # forward-looking: for 6 months after the infusion / until 14 days post last dose
    (
        rf"(?:(?:for|within|during|until|in)\s+)?(?:the\s+)?(?:first\s+)?(?:{_GE}\s*)?{_AMT}"
        rf"{TIME_UNIT}\s+(?P<rel>{_AFTER})\b",
        "after",
    ),
    (rf"(?:the\s+)?first\s+(?P<tunit>year|month|week)\s+(?P<rel>{_AFTER})\b", "after"),
    # within five half-lives (prior to X)
    (
        rf"(?:within|in\s+the\s+last|during\s+the\s+(?:last|past))\s+(?:the\s+)?{_AMT}"
        rf"(?:drug\s+|pharmacokinetic\s+)?half[- ]?li(?:fe|ves)(?:\s+(?:of\s+the\s+\w+\s+)?"
        rf"(?P<rel>{BEFORE}))?",
        "half_lives",
    ),
    (
        rf"{_AMT}(?:drug\s+|pharmacokinetic\s+)?half[- ]?li(?:fe|ves)(?:\s+(?:of\s+the\s+\w+\s+)?"
        rf"(?P<rel>{BEFORE}))?",
        "half_lives",
    ),
    # stable for >= 4 weeks prior to baseline / at least 8 weeks of treatment prior to X:
    # how long a treatment lasted (the anchor only says when the count ends)
    (
        rf"(?:(?:stable|unchanged|treated|administered|used|taken|given)\s+)?for\s+(?:a\s+period\s+of\s+)?"
        rf"{_GE}\s*{_AMT}{TIME_UNIT}(?=\s+{BEFORE})",
        "duration",
    ),
    (
        rf"{_GE}\s*{_AMT}{TIME_UNIT}\s+of\s+(?:\w+\s+)?(?:treatment|therapy|use|exposure)\b",
        "duration",
    ),
    # at least 6 months before screening / >= 6 months prior to
    (rf"{_GE}\s*{_AMT}{TIME_UNIT}\s+(?P<rel>{BEFORE})", "at_least"),
    # not more than 3 years prior to / less than 2 weeks before
    (rf"{_LE}\s*{_AMT}{TIME_UNIT}\s+(?P<rel>{BEFORE})", "within"),
    # within (the past) 4 weeks (prior to screening) / in the 4 weeks before X / last 6 months
    (
        rf"(?:within|in|during|over|for)\s+(?:the\s+)?(?:{_RECENT}\s+)?{_AMT}{TIME_UNIT}{NOT_AFTER}"
        rf"(?P<aside>\s*\([^()]{{0,60}}\))?(?:\s+(?P<rel>{BEFORE}|from|of))?",
        "within",
    ),
    (rf"(?:in\s+the\s+)?(?:past|last|previous|preceding)\s+{_AMT}{TIME_UNIT}", "within"),
    # in the past month / during the prior year / the year prior (to X)
    (
        rf"(?:(?:within|in|during|over)\s+)?the\s+{_RECENT}\s+(?P<tunit>year|month|week|day)\b"
        rf"(?:\s+(?P<rel>{BEFORE}|of))?",
        "within",
    ),
    (r"the\s+(?P<tunit>year|month|week)\s+(?P<rel>prior\s+to|before)", "within"),
    (r"the\s+(?P<tunit>year|month|week)\s+(?:prior|before)\b", "within"),
    # 4 weeks prior to screening
    (rf"{_AMT}{TIME_UNIT}\s+(?P<rel>{BEFORE})", "within"),
    # for more than 6 months / stable for >= 4 weeks / lasting >= 12 weeks
    (
        rf"(?:for|lasting|duration\s+of|course\s+of)\s+(?:a\s+period\s+of\s+)?{_GE}\s*{_AMT}"
        rf"{TIME_UNIT}{NOT_AFTER}",
        "duration",
    ),
    (rf"{_GE}\s*{_AMT}{TIME_UNIT}{NOT_AFTER}", "duration"),
    # >= 3M of glucocorticoids
    (rf"{_GE}\s*(?P<amt>\d+)\s*(?P<tunit>M|mo)\s+of\b", "duration"),
]


def _named(i: int, pattern: str) -> str:
    for g in ("amt", "tunit", "rel", "aside"):
        pattern = pattern.replace(f"(?P<{g}>", f"(?P<{g}{i}>")
    return f"(?P<w{i}>{pattern})"


WINDOW_RX = re.compile(
    r"(?:(?<![\w])(?=[\w(])|(?=[<>=]))(?:"
    + "|".join(_named(i, p) for i, (p, _) in enumerate(_WIN_PATTERNS))
    + ")",
    re.IGNORECASE,
)
_WINDOW_HINT = re.compile(
    r"(?:day|week|wk|month|mo|year|yr|hour|hr)s?\b|half|\d\s*[dwmyMh]\b", re.IGNORECASE
)
#: the same, case-sensitive, over an ASCII text lower-cased (same offsets; several times faster)
_WINDOW_HINT_LOWER = re.compile(r"(?:day|week|wk|month|mo|year|yr|hour|hr)s?\b|half|\d\s*[dwmyh]\b")


def _hints(text: str) -> Iterator[re.Match[str]]:
    """The time words of ``text`` (``_WINDOW_HINT`` matches)."""
    if text.isascii():
        return _WINDOW_HINT_LOWER.finditer(text.lower())
    return _WINDOW_HINT.finditer(text)


_WORD_START = re.compile(r"(?:(?<![\w])(?=[\w(])|(?=[<>=]))")
#: what a window can begin with (the first words of ``_WIN_PATTERNS``): a cheap test before the
#: full pattern at each word start; keep in step with the patterns above
_LEAD_WORDS = (
    r"(?:for|within|during|until|in|the|first|stable|unchanged|treated|administered|used|"
    r"taken|given|lasting|duration|course|over|past|last|previous|preceding)\b"
)
_WINDOW_LEAD = re.compile(rf"(?:{_GE}|{_LE}|{ANYNUM}|{_LEAD_WORDS})", re.IGNORECASE)
#: the same, case-sensitive, for an ASCII text lower-cased (its pattern has no capital)
_WINDOW_LEAD_LOWER = re.compile(_WINDOW_LEAD.pattern)
assert not any(c.isupper() for c in _WINDOW_LEAD.pattern)


def _window_matches(text: str) -> list[re.Match[str]]:
    """Leftmost non-overlapping window matches, tried only at word starts up to 90 characters
    before a time word (the same matches as ``WINDOW_RX.finditer``, without trying every word
    of a long text)."""
    out: list[re.Match[str]] = []
    last = 0
    tried: set[int] = set()
    ascii_text = text.isascii()
    probe = text.lower() if ascii_text else text
    lead = _WINDOW_LEAD_LOWER if ascii_text else _WINDOW_LEAD
    for hint in _hints(text):
        lo = max(last, hint.start() - 90)
        for s in _WORD_START.finditer(text, lo, hint.end()):
            pos = s.start()
            if pos < last or pos in tried:
                continue
            tried.add(pos)
            if lead.match(probe, pos) is None:
                continue
            m = WINDOW_RX.match(text, pos)
            if m is not None and m.end() > pos:
                out.append(m)
                last = m.end()
    return out


_LATE_RELATION = re.compile(rf"\s*(?:\([^()]{{0,40}}\)\s*|,\s*)?(?:{BEFORE})\b", re.IGNORECASE)


def _group(m: re.Match[str], name: str) -> str | None:
    return m.group(name) if name in WINDOW_RX.groupindex else None


def find_windows(text: str) -> list[WindowHit]:
    """Every time window in ``text`` (cleaned offsets), left to right, non-overlapping."""
    hits: list[WindowHit] = []
    if next(_hints(text), None) is None:
        return hits
    for m in _window_matches(text):
        i = next((k for k in range(len(_WIN_PATTERNS)) if m.group(f"w{k}")), None)
        if i is None:
            continue
        direction = _WIN_PATTERNS[i][1]
        raw_amt = _group(m, f"amt{i}")
        try:
            amount = to_number(raw_amt) if raw_amt else 1.0
        except (ValueError, TypeError):
            continue
        if amount <= 0:
            continue
        if direction == "half_lives":
            unit = TimeUnit.HALF_LIVES
            direction = "within"
        else:
            raw_unit = _group(m, f"tunit{i}")
            if raw_unit is None:
                continue
            # bare single letters are units only right after a digit ("6m", "2w")
            if len(raw_unit) == 1 and not re.search(r"\d\s*$", raw_amt or ""):
                continue
            if raw_unit.lower().startswith("h"):
                # "within 72 hours": the window model counts days; 72 h is exactly 3 days
                unit, amount = TimeUnit.DAYS, amount / 24
            else:
                unit = time_unit("m" if raw_unit == "M" else raw_unit)
        end = m.end()
        reference, anchor_text, anchor_start = Anchor.SCREENING.value, "", m.end()
        rel = _group(m, f"rel{i}")
        late = None
        if rel is None and direction in ("within", "at_least"):
            # "within the last month (or 30 days) prior to study Day 1": a relation word a
            # little further on still names the anchor; never fall back to screening past it
            late = _LATE_RELATION.match(text, m.end())
        if rel is not None or late is not None:
            reference, end, anchor_text = read_anchor(text, late.end() if late else m.end())
            anchor_start = end - len(anchor_text)
        hits.append(
            WindowHit(
                start=m.start(),
                end=end,
                amount=amount,
                unit=unit,
                direction=direction,
                reference=reference,
                anchor_text=anchor_text,
                anchor_start=anchor_start,
            )
        )
    return hits
