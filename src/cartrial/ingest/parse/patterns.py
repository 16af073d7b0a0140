"""Regular-expression building blocks over *normalized* text (see :mod:`.normalize`).

Numbers, comparators (symbols and words, prefix and postfix), units (mapped to UCUM) and ULN/LLN
multiples. Time windows and their anchors live in :mod:`.temporal`. Every parser here returns
plain values; recognizers build nodes.
"""

from __future__ import annotations

import re

from cartrial.criteria.nodes import Comparator

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
    (r"(?:greater|more|higher|larger|older)\s+than", Comparator.GT),
    (r"in\s+excess\s+of", Comparator.GT),
    (r"exceed(?:s|ing)?", Comparator.GT),
    (r"(?:elevated|increased)\s+(?:above|to\s+>)", Comparator.GT),
    (r"above", Comparator.GT),
    (r"over", Comparator.GT),
    (r"(?:less|lower|fewer|smaller|younger)\s+than", Comparator.LT),
    (r"below", Comparator.LT),
    (r"under", Comparator.LT),
    (r">", Comparator.GT),
    (r"<", Comparator.LT),
    (r"==?", Comparator.EQ),
    (r"of", Comparator.EQ),  # "a score of 6 or higher" (needs a postfix comparator)
]

#: postfix comparators ("6 or more", "3 x ULN or less").
_POSTFIX: list[tuple[str, Comparator]] = [
    # "> 50 % or more than a 5 % increase": "or more than" opens a second comparison
    (r"or\s+(?:more|greater|higher|above|over|larger)(?!\s+than\b)", Comparator.GE),
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
    (r"(?:cells?\s*)?/\s*(?:uL|mm3|mm\^3|mm\(3\)|cubic\s+mm|micro-?lit(?:er|re)s?|mcL)", "/uL"),
    (r"k/uL", "10*3/uL"),
    (r"m[lL]\s*/\s*min(?:ute)?\s*(?:/|per)\s*1\.73\s*m\^?2", "mL/min/{1.73_m2}"),
    (r"m[lL]\s*/\s*min(?:ute)?(?:\s*/\s*1\.73)?", "mL/min"),
    (r"m[lL]\s*/\s*s", "mL/s"),
    (r"gm?\s*/\s*dL", "g/dL"),
    (r"mg\s*/\s*dL", "mg/dL"),
    (r"mg\s*/\s*L", "mg/L"),
    (r"ng\s*/\s*m[lL]", "ng/mL"),
    (r"ng\s*/\s*dL", "ng/dL"),
    (r"pg\s*/\s*m[lL]", "pg/mL"),
    (r"g\s*/\s*L", "g/L"),
    (r"u\s*mol\s*/\s*L", "umol/L"),
    (r"mmol\s*/\s*L", "mmol/L"),
    (r"nmol\s*/\s*L", "nmol/L"),
    (r"pmol\s*/\s*L", "pmol/L"),
    (r"m[Ee]q\s*/\s*L", "meq/L"),
    (r"(?:ug|mcg)\s*/\s*L", "ug/L"),
    (r"(?:ug|mcg)\s*/\s*m[lL]", "ug/mL"),
    (r"(?:ug|mcg)\s*/\s*dL", "ug/dL"),
    (r"ng\s*/\s*L", "ng/L"),
    (r"m[lL]?IU\s*/\s*L", "m[IU]/L"),
    (r"m?IU\s*/\s*mL", "[IU]/mL"),
    (r"IU\s*/\s*L", "[IU]/L"),
    (r"U\s*/\s*mL", "U/mL"),
    (r"U\s*/\s*L", "U/L"),
    (r"copies\s*/\s*mL", "{copies}/mL"),
    (r"mg\s*/\s*mg\b", "mg/mg"),
    (r"g\s*/\s*g\b", "g/g"),
    (r"mg\s*/\s*g", "mg/g"),
    (r"mg\s*/\s*mmol", "mg/mmol"),
    (r"g\s*/\s*(?:24\s*h(?:ours?|rs?)?|day|d)\b", "g/(24.h)"),
    (r"mg\s*/\s*(?:24\s*h(?:ours?|rs?)?)", "mg/(24.h)"),
    (r"mm\s*/\s*(?:h(?:our|r)?|1st\s+hour)\b|millimet(?:er|re)s?\s+(?:per|/)\s*hour", "mm/h"),
    (r"mm\s*Hg|mmHg", "mm[Hg]"),
    (r"kg\s*/\s*m\^?2", "kg/m2"),
    (r"kg\b", "kg"),
    (r"(?:lbs?|pounds?)\b", "[lb_av]"),
    (r"ms(?:ec)?\b|milliseconds?", "ms"),
    (r"s(?:ec(?:onds?)?)?\b", "s"),
    (r"(?:°|º|degrees?\s+)\s*C(?:elsius)?\b", "Cel"),
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


def lower_twin(rx: re.Pattern[str]) -> re.Pattern[str] | None:
    """A case-sensitive twin of the case-blind ``rx`` for an ASCII text lower-cased: the same
    matches at the same offsets, found faster (the engine rejects an alternative on its first
    letter). None when the pattern could not say the same: a capital outside an escape, a
    ``(?-i:`` part, or a non-ASCII character."""
    p = rx.pattern
    if not rx.flags & re.IGNORECASE or "(?-i" in p or not p.isascii():
        return None
    i = 0
    while i < len(p):
        if p[i] == "\\":
            i += 2  # an escape keeps its case (\S, \W, \D)
            continue
        if p.startswith("(?P", i):
            i += 3  # a named group (group names do not match text)
            continue
        if p[i].isupper():
            return None
        i += 1
    return re.compile(p, rx.flags & ~re.IGNORECASE)
