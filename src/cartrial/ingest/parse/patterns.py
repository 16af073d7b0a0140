"""Regular-expression building blocks over *normalized* text (see :mod:`.normalize`).

Numbers, comparators (symbols and words, prefix and postfix), units (mapped to UCUM), ULN/LLN
multiples and time windows. Every parser here returns plain values; recognizers build nodes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from cartrial.criteria.nodes import Comparator
from cartrial.domain.timewindow import TimeUnit

# ------------------------------------------------------------------------ numbers

NUMBER_WORDS: dict[str, float] = {
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
    "eleven": 11,
    "twelve": 12,
    "fourteen": 14,
    "fifteen": 15,
    "eighteen": 18,
    "twenty": 20,
    "twenty-four": 24,
    "thirty": 30,
    "sixty": 60,
    "ninety": 90,
    "a": 1,
    "an": 1,
    "single": 1,
}

NUM = r"(?:\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?|\d+,\d{1,2}(?!\d)|\.\d+)"
WORDNUM = (
    r"(?:twenty-four|fourteen|fifteen|eighteen|eleven|twelve|twenty|thirty|sixty|ninety|"
    r"three|seven|eight|one|two|four|five|six|nine|ten)"
)
ANYNUM = rf"(?:{NUM}|{WORDNUM})"


def to_number(raw: str) -> float:
    """``"1,500"`` -> 1500; ``"1,5"`` -> 1.5; ``"five"`` -> 5."""
    s = raw.strip().lower()
    if s in NUMBER_WORDS:
        return NUMBER_WORDS[s]
    if re.fullmatch(r"\d{1,3}(?:,\d{3})+(?:\.\d+)?", s):
        return float(s.replace(",", ""))
    if re.fullmatch(r"\d+,\d{1,2}", s):
        return float(s.replace(",", "."))
    return float(s)


# ------------------------------------------------------------------------ comparators

#: prefix comparators (before the number). Longest first inside the alternation.
_PREFIX: list[tuple[str, Comparator]] = [
    (r">=", Comparator.GE),
    (r"<=", Comparator.LE),
    (r"at\s+least", Comparator.GE),
    (r"a\s+minimum\s+of", Comparator.GE),
    (r"minimum(?:\s+of)?", Comparator.GE),
    (r"up\s+to", Comparator.LE),
    (r"a\s+maximum\s+of", Comparator.LE),
    (r"maximum(?:\s+of)?", Comparator.LE),
    (r"at\s+most", Comparator.LE),
    (r"(?:greater|more|higher|larger)\s+than", Comparator.GT),
    (r"in\s+excess\s+of", Comparator.GT),
    (r"exceed(?:s|ing)?", Comparator.GT),
    (r"(?:elevated|increased)\s+(?:above|to\s+>)", Comparator.GT),
    (r"above", Comparator.GT),
    (r"over", Comparator.GT),
    (r"(?:less|lower|fewer|smaller)\s+than", Comparator.LT),
    (r"below", Comparator.LT),
    (r"under", Comparator.LT),
    (r">", Comparator.GT),
    (r"<", Comparator.LT),
    (r"==?", Comparator.EQ),
    (r"of", Comparator.EQ),  # "a score of 6 or higher" (needs a postfix comparator)
]

#: postfix comparators ("6 or more", "3 x ULN or less").
_POSTFIX: list[tuple[str, Comparator]] = [
    (r"or\s+(?:more|greater|higher|above|over|larger)", Comparator.GE),
    (r"and\s+(?:above|over|more|higher)", Comparator.GE),
    (r"or\s+(?:less|lower|below|fewer|under)", Comparator.LE),
    (r"and\s+(?:below|under|less)", Comparator.LE),
]


def _alt(items: list[tuple[str, Comparator]]) -> str:
    return "|".join(f"(?:{p})" for p, _ in items)


CMP_PREFIX = rf"(?:{_alt(_PREFIX)})"
CMP_POSTFIX = rf"(?:{_alt(_POSTFIX)})"
_PREFIX_RX = [(re.compile(rf"^(?:{p})$", re.IGNORECASE), c) for p, c in _PREFIX]
_POSTFIX_RX = [(re.compile(rf"^(?:{p})$", re.IGNORECASE), c) for p, c in _POSTFIX]


def comparator(prefix: str | None, postfix: str | None = None) -> Comparator | None:
    """The comparator said by a prefix and/or postfix; None for a bare "of" / "=" (unknown)."""
    if postfix:
        p = " ".join(postfix.lower().split())
        for rx, cmp in _POSTFIX_RX:
            if rx.match(p):
                return cmp
    if prefix:
        p = " ".join(prefix.lower().split())
        for rx, cmp in _PREFIX_RX:
            if rx.match(p):
                return None if cmp is Comparator.EQ else cmp
    return None


NEGATED = {
    Comparator.GE: Comparator.LT,
    Comparator.GT: Comparator.LE,
    Comparator.LE: Comparator.GT,
    Comparator.LT: Comparator.GE,
    Comparator.EQ: Comparator.EQ,
}

# ------------------------------------------------------------------------ units

#: (pattern, UCUM unit). Tried in order at the position right after a number.
_UNITS: list[tuple[str, str]] = [
    (r"10\^9/L", "10*9/L"),
    (r"10\^12/L", "10*12/L"),
    (r"10\^3/uL", "10*3/uL"),
    (r"(?:cells?\s*)?/\s*(?:uL|mm3|mm\^3|cubic\s+mm)", "/uL"),
    (r"k/uL", "10*3/uL"),
    (r"m[lL]\s*/\s*min(?:ute)?\s*(?:/|per)\s*1\.73\s*m\^?2", "mL/min/{1.73_m2}"),
    (r"m[lL]\s*/\s*min(?:ute)?(?:\s*/\s*1\.73)?", "mL/min"),
    (r"m[lL]\s*/\s*s", "mL/s"),
    (r"g\s*/\s*dL", "g/dL"),
    (r"mg\s*/\s*dL", "mg/dL"),
    (r"mg\s*/\s*L", "mg/L"),
    (r"g\s*/\s*L", "g/L"),
    (r"u\s*mol\s*/\s*L", "umol/L"),
    (r"mmol\s*/\s*L", "mmol/L"),
    (r"m?IU\s*/\s*mL", "[IU]/mL"),
    (r"IU\s*/\s*L", "[IU]/L"),
    (r"U\s*/\s*mL", "U/mL"),
    (r"U\s*/\s*L", "U/L"),
    (r"copies\s*/\s*mL", "{copies}/mL"),
    (r"mg\s*/\s*g", "mg/g"),
    (r"mg\s*/\s*mmol", "mg/mmol"),
    (r"g\s*/\s*(?:24\s*h(?:ours?|rs?)?|day|d)\b", "g/(24.h)"),
    (r"mg\s*/\s*(?:24\s*h(?:ours?|rs?)?)", "mg/(24.h)"),
    (r"mm\s*/\s*(?:h(?:our|r)?|1st\s+hour)\b", "mm/h"),
    (r"mm\s*Hg|mmHg", "mm[Hg]"),
    (r"kg\s*/\s*m\^?2", "kg/m2"),
    (r"kg\b", "kg"),
    (r"ms(?:ec)?\b|milliseconds?", "ms"),
    (r"s(?:ec(?:onds?)?)?\b", "s"),
    (r"%", "%"),
    (r"percent\b", "%"),
]
UNIT = "(?:" + "|".join(f"(?:{p})" for p, _ in _UNITS) + ")"
_UNIT_RX = [(re.compile(rf"^(?:{p})$", re.IGNORECASE), u) for p, u in _UNITS]


def ucum(raw: str) -> str | None:
    s = raw.strip()
    for rx, unit in _UNIT_RX:
        if rx.match(s):
            return unit
    return None


#: "3 x ULN" / "1.5 xLLN" after normalization
MULTIPLE = r"(?:\s*x?\s*(?P<mult>xULN|xLLN|ULN|LLN))"

# ------------------------------------------------------------------------ windows

TIME_UNIT = r"(?P<tunit>days?|weeks?|wks?|months?|mos?|years?|yrs?|d|w|m|y)\b"
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


#: reference events a window is measured back from
REFERENCES: list[tuple[str, str]] = [
    (
        r"(?:signing\s+(?:of\s+)?(?:the\s+)?)?(?:written\s+)?informed\s+consent(?:\s+form)?",
        "consent",
    ),
    (r"(?:the\s+)?(?:signing|signature)\b", "consent"),
    (r"(?:the\s+)?(?:study\s+)?(?:enrol(?:l)?ment|enrol(?:l)?ing|entry|inclusion)", "enrollment"),
    (r"(?:the\s+)?(?:start\s+of\s+)?(?:the\s+)?screening(?:\s+(?:visit|period))?", "screening"),
    (r"(?:the\s+)?randomi[sz]ation", "randomization"),
    (r"(?:the\s+)?(?:leuk|leuc)?a?pheresis", "leukapheresis"),
    (
        r"(?:the\s+)?(?:start\s+of\s+)?lymphodepl\w*(?:\s+(?:chemotherapy|therapy|treatment))?",
        "lymphodepletion",
    ),
    (r"(?:the\s+)?(?:car[- ]?t\s+(?:cell\s+)?)?infusion", "infusion"),
    (
        r"(?:the\s+)?(?:first\s+)?(?:dose|administration)(?:\s+of\s+(?:the\s+)?(?:study\s+)?(?:drug|treatment|product))?",
        "first_dose",
    ),
    (r"(?:the\s+)?baseline(?:\s+visit)?", "baseline"),
    (r"(?:the\s+)?day\s*1\b", "day_1"),
    (r"(?:the\s+)?(?:study\s+)?(?:treatment|therapy)", "treatment"),
    (r"participat(?:ing|ion)(?:\s+in\s+(?:the|this)\s+(?:study|trial|treatment))?", "enrollment"),
    (r"(?:the\s+)?(?:examination|test(?:ing)?)", "examination"),
    (r"(?:the\s+)?(?:study|trial)", "enrollment"),
]
REFERENCE = "(?:" + "|".join(f"(?:{p})" for p, _ in REFERENCES) + ")"
_REF_RX = [(re.compile(rf"^(?:{p})$", re.IGNORECASE), r) for p, r in REFERENCES]


def reference(raw: str | None) -> str:
    if not raw:
        return "screening"
    s = " ".join(raw.lower().split())
    for rx, ref in _REF_RX:
        if rx.match(s):
            return ref
    return "screening"


BEFORE = r"(?:prior\s+to|before|preceding|ahead\s+of)"
NOT_AFTER = r"(?!\s+(?:after|following|post)\b)"


@dataclass(frozen=True)
class WindowHit:
    """A time window found in the text (cleaned offsets)."""

    start: int
    end: int
    amount: float
    unit: TimeUnit
    direction: str  # within | at_least | duration | after
    reference: str


_WIN_PATTERNS: list[tuple[str, str]] = [
    # after / following: not a look-back (contraception, follow-up)
    (
        rf"(?:within\s+)?(?P<amt>{ANYNUM})\s*{TIME_UNIT}\s+(?:after|following|post)\b",
        "after",
    ),
    # within five half-lives (prior to X)
    (
        rf"(?:within|in\s+the\s+last|during\s+the\s+(?:last|past))\s+(?:the\s+)?(?P<amt>{ANYNUM})"
        rf"\s*(?:\(\s*\d+\s*\)\s*)?(?:drug\s+)?half[- ]?li(?:fe|ves)(?:\s+(?:of\s+the\s+drug\s+)?"
        rf"{BEFORE}\s+(?P<ref>{REFERENCE}))?",
        "half_lives",
    ),
    (
        rf"(?P<amt>{ANYNUM})\s*(?:\(\s*\d+\s*\)\s*)?(?:drug\s+)?half[- ]?li(?:fe|ves)"
        rf"(?:\s+{BEFORE}\s+(?P<ref>{REFERENCE}))?",
        "half_lives",
    ),
    # at least 6 months before screening / >= 6 months prior to
    (
        rf"(?:at\s+least|>=|>|more\s+than|over|a\s+minimum\s+of)\s*(?P<amt>{ANYNUM})\s*"
        rf"(?:\(\s*\d+\s*\)\s*)?{TIME_UNIT}\s+{BEFORE}\s+(?P<ref>{REFERENCE})",
        "at_least",
    ),
    # within (the past) 4 weeks (prior to screening) / in the 4 weeks before X / last 6 months
    (
        rf"(?:within|in|during|over|for)\s+(?:the\s+)?(?:(?:past|last|previous|prior|preceding|recent)\s+)?"
        rf"(?P<amt>{ANYNUM})\s*(?:\(\s*\d+\s*\)\s*)?{TIME_UNIT}{NOT_AFTER}"
        rf"(?:\s+(?:{BEFORE}|from)\s+(?P<ref>{REFERENCE}))?",
        "within",
    ),
    (
        rf"(?:in\s+the\s+)?(?:past|last|previous|preceding)\s+(?P<amt>{ANYNUM})\s*{TIME_UNIT}",
        "within",
    ),
    # 4 weeks prior to screening
    (
        rf"(?P<amt>{ANYNUM})\s*(?:\(\s*\d+\s*\)\s*)?{TIME_UNIT}\s+{BEFORE}\s+(?P<ref>{REFERENCE})",
        "within",
    ),
    # for more than 6 months / for at least 3 months / lasting >= 12 weeks / >= 6 months
    (
        rf"(?:for|lasting|duration\s+of|course\s+of)\s+(?:at\s+least|>=|>|more\s+than|over|"
        rf"a\s+minimum\s+of)\s*(?P<amt>{ANYNUM})\s*{TIME_UNIT}{NOT_AFTER}",
        "duration",
    ),
    (
        rf"(?:at\s+least|>=|>|more\s+than|over)\s*(?P<amt>{ANYNUM})\s*{TIME_UNIT}{NOT_AFTER}",
        "duration",
    ),
]
WINDOW_RX = re.compile(
    r"(?:(?<![\w])(?=[\w(])|(?=[<>=]))(?:"
    + "|".join(
        f"(?P<w{i}>{p.replace('(?P<amt>', f'(?P<amt{i}>').replace('(?P<ref>', f'(?P<ref{i}>').replace('(?P<tunit>', f'(?P<tunit{i}>')})"
        for i, (p, _) in enumerate(_WIN_PATTERNS)
    )
    + ")",
    re.IGNORECASE,
)


_WINDOW_HINT = re.compile(r"(?:day|week|wk|month|mo|year|yr)s?\b|half|\d\s*[dwmy]\b", re.IGNORECASE)


def find_windows(text: str) -> list[WindowHit]:
    """Every time window in ``text`` (cleaned offsets), left to right, non-overlapping."""
    hits: list[WindowHit] = []
    if not _WINDOW_HINT.search(text):
        return hits
    for m in WINDOW_RX.finditer(text):
        group = m.lastgroup
        if group is None or not group.startswith("w"):
            # lastgroup may name an inner group; find the outer alternative that matched
            group = next(
                (g for g in (f"w{i}" for i in range(len(_WIN_PATTERNS))) if m.group(g)), None
            )
        if group is None:
            continue
        i = int(group[1:])
        direction = _WIN_PATTERNS[i][1]
        try:
            amount = to_number(m.group(f"amt{i}"))
        except (ValueError, TypeError):
            continue
        if amount <= 0:
            continue
        if direction == "half_lives":
            unit = TimeUnit.HALF_LIVES
            direction = "within"
        else:
            raw_unit = m.group(f"tunit{i}")
            if raw_unit is None:
                continue
            # bare single letters are units only right after a digit ("6m", "2w")
            if len(raw_unit) == 1 and not re.search(r"\d\s*$", m.group(f"amt{i}") or ""):
                continue
            unit = time_unit(raw_unit)
        ref_group = f"ref{i}"
        ref_raw = m.group(ref_group) if ref_group in WINDOW_RX.groupindex else None
        hits.append(
            WindowHit(
                start=m.start(),
                end=m.end(),
                amount=amount,
                unit=unit,
                direction=direction,
                reference=reference(ref_raw),
            )
        )
    return hits
