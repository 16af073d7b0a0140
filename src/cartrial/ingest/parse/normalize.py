"""Eligibility text cleaned for matching, with every offset mapped back to the original.

Registry criteria arrive with HTML comment debris (``<!-- -->``), markdown escapes (``\\<``,
``\\>``, ``\\^``), unicode comparators (``≥ ≤``), superscripts (``10⁹``), multiplication signs
(``×``), full-width punctuation, and words for comparators ("greater than or equal to") and ULN
multiples ("times the upper limit of normal"). :func:`normalize` rewrites all of them in one
regex pass; :class:`Normalized` maps a span of the cleaned text back to the original text so
that every node can quote the protocol's own words.

Newlines are never added or removed, so line structure survives.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache

__all__ = ["Normalized", "normalize"]

_SUPERSCRIPT = str.maketrans("⁰¹²³⁴⁵⁶⁷⁸⁹⁻⁺", "0123456789-+")

_CHARS: dict[str, str] = {
    "≥": ">=",
    "⩾": ">=",
    "≧": ">=",
    "≤": "<=",
    "⩽": "<=",
    "≦": "<=",
    "＞": ">",
    "＜": "<",
    "＝": "=",
    "×": "x",
    "✕": "x",
    "╳": "x",
    "∗": "*",
    "µ": "u",
    "μ": "u",
    "–": "-",
    "—": "-",
    "−": "-",
    "‐": "-",
    "‑": "-",
    "⁃": "-",
    "～": "~",
    "：": ":",
    "；": ";",
    "，": ",",
    "、": ",",
    "（": "(",
    "）": ")",
    "【": "[",
    "】": "]",
    "。": ".",
    "’": "'",
    "‘": "'",
    "´": "'",
    "“": '"',
    "”": '"',
    "\u00a0": " ",
    "\u2009": " ",
    "\u202f": " ",
    "\u3000": " ",
    "\u200b": " ",
    "\t": " ",
    "\r": " ",
    "•": "*",
    "·": "*",
    "▪": "*",
    "●": "*",
    "○": "*",
    "◦": "*",
    "℃": "C",
    "ﬁ": "fi",
}

_ULN_WORDS = (
    r"(?:the\s+)?(?:institutional\s+|normal\s+)?(?:upper\s+limits?\s+of\s+(?:the\s+)?"
    r"(?:institutional\s+)?normal(?:\s+(?:range|value|reference\s+range))?"
    r"(?:\s*\(\s*(?:ULN|UNL)\s*\))?|upper\s+normal\s+limits?(?:\s*\(\s*(?:ULN|UNL)\s*\))?|ULN|UNL)"
)
_LLN_WORDS = (
    r"(?:the\s+)?(?:lower\s+limits?\s+of\s+(?:the\s+)?normal"
    r"(?:\s+(?:range|value))?(?:\s*\(\s*LLN\s*\))?|LLN)"
)

#: "0.5 mg/dL above the upper limit of normal" is relative to ULN, not "above ULN"
_AFTER_QUANTITY = re.compile(r"\d\s*[A-Za-z/%]*\s*$")


_ENTITIES: dict[str, str] = {
    "&amp;": "&",
    "&lt;": "<",
    "&gt;": ">",
    "&ge;": ">=",
    "&le;": "<=",
    "&nbsp;": " ",
    "&#39;": "'",
    "&quot;": '"',
}

# (pattern, replacement): replacement is a string or a function of the match (functions must
# use ``m.group(0)`` only: group numbers refer to the combined pattern).
_Repl = str | Callable[[re.Match[str]], str]
_RULES: list[tuple[str, _Repl]] = [
    (r"<!--.*?-->", " "),
    (r"</?(?:br|p|li|ul|ol|b|i|strong|em|span|div)\s*/?>", " "),
    (r"&(?:amp|lt|gt|ge|le|nbsp|#39|quot);", lambda m: _ENTITIES[m.group(0).lower()]),
    # ">/=", "</=", "> or equal to", "< or =" (registry spellings of >= and <=), escaped or not
    (r"(?=[<>\\])\\?(?:>\s*\\?/\s*=|>\s*or\s+(?:equal(?:\s+to)?|=))", ">="),
    (r"(?=[<>\\])\\?(?:<\s*\\?/\s*=|<\s*or\s+(?:equal(?:\s+to)?|=))", "<="),
    (r"\\[<>^*\[\]_#+\-.()=~|!&`{}]", lambda m: m.group(0)[1:]),
    # 10⁹/L, x10^9/L, x 10 9 /L, *10^9/L, x10E9/L, x 109/L (superscript lost), G/L
    (
        r"(?=[\sx×✕*1])(?:\s*[x×✕*]\s*|\s+)?10\s*(?:\\?\^|\*\*|[eE])?\s*"
        r"(?:(?:⁹|9)\s*/\s*[lL]\b|(?:¹²|12)\s*/\s*[lL]\b|(?:³|3)\s*/\s*(?:[uµμ][lL]|mm3|mm³))",
        lambda m: _power_unit(m),
    ),
    (r"(?=[\sG])(?<=\d)\s*(?-i:G/L|Giga/L)\b", " 10^9/L"),
    (r"[⁰¹²³⁴⁵⁶⁷⁸⁹⁻⁺]+", lambda m: _superscript(m)),
    # "greater than or equal to [>=] 6" (registry text repeats the symbol in brackets)
    (
        r"\b(?=[gmhl])(?:greater|more|higher|less|lower)\s+than(?:\s+or\s+equal(?:\s+to)?)?\s*\\?\[\s*\\?"
        r"(?:>=|<=|>|<)\s*\\?\]",
        lambda m: re.findall(r">=|<=|>|<", m.group(0))[-1],
    ),
    # "above the (reference laboratory) upper normal limit (UNL)": more than 1 x ULN
    (
        r"\b(?=[aghe])(?:above|greater\s+than|higher\s+than|exceed(?:s|ing)?)\s+(?:the\s+)?(?:[\w-]+\s+){0,2}?"
        r"(?:upper\s+(?:normal\s+limit|limit\s+of\s+(?:the\s+)?normal)|ULN|UNL)\b"
        r"(?:\s*\(\s*(?:ULN|UNL)\s*\))?",
        lambda m: m.group(0) if _AFTER_QUANTITY.search(m.string, 0, m.start()) else "> 1 xULN",
    ),
    # comparator words
    (
        r"\b(?=[gmhle])(?:greater|more|higher|larger)\s+(?:than\s+)?or\s+equal(?:\s+to)?\b"
        r"|\bequal\s+to\s+or\s+(?:greater|more|higher)\s+than\b",
        ">=",
    ),
    (
        r"\b(?=[lsfe])(?:less|lower|smaller|fewer)\s+(?:than\s+)?or\s+equal(?:\s+to)?\b"
        r"|\bequal\s+to\s+or\s+(?:less|lower)\s+than\b",
        "<=",
    ),
    (r"\b(?=n)(?:n[o']?t?\s+(?:less|lower|fewer|younger)\s+than\b|\bno\s+less\s+than\b)", ">="),
    (
        r"\b(?=n)(?:n[o']?t?\s+(?:more|greater|higher|older)\s+than\b|\bnot\s+(?:to\s+)?exceed(?:ing)?\b)",
        "<=",
    ),
    (r"=>", ">="),
    (r"=<", "<="),
    (r"\+/-", "±"),
    # ULN / LLN multiples: "3 x ULN", "3 times the upper limit of normal", "3-fold ULN"
    (
        r"(?=[\sx×✕*tf-])(?<=[\d\s])\s*(?:[x×✕*]|times|-?fold)\s*(?:the\s+|of\s+(?:the\s+)?)?"
        + _ULN_WORDS.replace("(?:the\\s+)?", "", 1),
        " xULN",
    ),
    (
        r"(?=[\sx×✕*tf-])(?<=[\d\s])\s*(?:[x×✕*]|times|-?fold)\s*(?:the\s+|of\s+(?:the\s+)?)?"
        + _LLN_WORDS.replace("(?:the\\s+)?", "", 1),
        " xLLN",
    ),
    (r"(?=[\su])(?<=\d)\s*(?:ULN|upper\s+limits?\s+of\s+(?:the\s+)?normal)\b", " xULN"),
    (
        r"(?=[\sl])(?<=\d)\s*(?:LLN|lower\s+limits?\s+of\s+(?:the\s+)?normal)\b",
        " xLLN",
    ),  # "SGOT/SGPT less than 2 times normal"
    (
        r"(?=[\sx×t])(?<=[\d\s])\s*(?:[x×]|times)\s*(?:the\s+)?(?:upper\s+)?normal"
        r"(?:\s+values?|\s+limits?)?\b(?!\s+range)",
        " xULN",
    ),
    # a number glued to the word before it ("aged from18- 60", "over65"): split
    (
        r"\b(?=[faoub])(?:from|aged?|over|under|above|below)(?=\d)",
        lambda m: m.group(0) + " ",
    ),
    # an abbreviation in square brackets, escaped or not, is an aside like one in round
    # brackets ("\\[AST\\]", "[ALT]")
    (
        r"\\?\[(?=[A-Za-z][\w /+-]{0,20}\\?\])[A-Za-z][\w /+-]{0,20}\\?\]",
        lambda m: "(" + m.group(0).strip("\\[]").rstrip("\\") + ")",
    ),
    # plural unit spellings after a number ("15 mgs", "2 gms")
    (r"(?<=[\d\s])(?=[mg])(?:mgs|gms)\b", lambda m: m.group(0)[:-1]),
    # "between the ages of 18 and 65": an age range
    (r"between\s+the\s+ages?\s+of\b", "aged between"),
]


def _power_unit(m: re.Match[str]) -> str:
    """ " x 10⁹/L" -> " 10^9/L" (also 10^12/L, 10^3/uL): the exponent is read after the "10"."""
    tail = m.group(0)[m.group(0).index("10") + 2 :].lstrip(" \\^*eE")
    if tail.startswith(("¹²", "12")):
        return " 10^12/L"
    if tail.startswith(("³", "3")):
        return " 10^3/uL"
    return " 10^9/L"


def _superscript(m: re.Match[str]) -> str:
    digits = m.group(0).translate(_SUPERSCRIPT)
    before = m.string[max(0, m.start() - 2) : m.start()]
    # 10⁹ -> 10^9 ; m² -> m2 ; a stray superscript after text keeps its digits
    return "^" + digits if before.endswith("10") else digits


#: a literal (lower case) that must occur in the text for each rule to apply (speed)
_TRIGGERS: list[tuple[str, ...]] = [
    ("<!--",),
    ("<",),
    ("&",),
    ("/=", "or equal", "or ="),
    ("/=", "or equal", "or ="),
    ("\\",),
    ("10",),
    ("g/l", "giga"),
    tuple("⁰¹²³⁴⁵⁶⁷⁸⁹⁻⁺"),
    ("[",),
    ("upper", "uln", "unl"),
    ("than", "equal"),
    ("than", "equal"),
    ("than",),
    ("than", "exceed"),
    ("=>",),
    ("=<",),
    ("+/-",),
    ("uln", "upper", "unl"),
    ("lln", "lower"),
    ("uln", "upper"),
    ("lln", "lower"),
    ("normal",),
    tuple(
        f"{w}{d}" for w in ("from", "age", "over", "under", "above", "below") for d in "0123456789"
    ),
    ("[",),
    ("mgs", "gms"),
    ("between the age",),
]
assert len(_TRIGGERS) == len(_RULES)
# one-for-one characters are translated up front (offsets do not move); only the characters
# that become several ("≥" -> ">=") go through the regex pass.
_ONE_TO_ONE = str.maketrans({k: v for k, v in _CHARS.items() if len(v) == 1})
_TRANSLATED = re.compile(
    "[" + re.escape("".join(k for k, v in _CHARS.items() if len(v) == 1)) + "]"
)
_MULTI = {k: v for k, v in _CHARS.items() if len(v) != 1}
_CHAR_CLASS = "(?P<ch>[" + re.escape("".join(_MULTI)) + "])"


# Rules that can only start at the same kind of place share one zero-width lead, so the regex
# engine tests it once per position instead of once per rule (the pass costs per rule tried at
# each character). Groups keep the rules' order; rules of different groups never match at the
# same position.
_LEADS: list[tuple[str, tuple[int, ...]]] = [
    (r"(?=[<>&\\\[])", (0, 1, 2, 3, 4, 24, 5)),
    (r"(?=[\sx×✕*1G])", (6, 7)),
    ("", (8,)),
    (r"\b", (9, 10, 11, 12, 13, 14, 26)),
    (r"(?=[=+])", (15, 16, 17)),
    (r"(?<=[\d\s])", (18, 19, 20, 21, 22, 25)),
    (r"(?<![\w.])", (23,)),
]
assert sorted(i for _, idx in _LEADS for i in idx) == list(range(len(_RULES)))


@lru_cache(maxsize=256)
def _master(active: tuple[int, ...]) -> re.Pattern[str]:
    parts: list[str] = []
    for lead, rules in _LEADS:
        inner = [f"(?P<r{i}>{_RULES[i][0]})" for i in rules if i in active]
        if inner:
            parts.append(f"{lead}(?:{'|'.join(inner)})")
    return re.compile("|".join([*parts, _CHAR_CLASS]), re.IGNORECASE | re.DOTALL)


#: triggers tested once each however many rules share them; a long list is one regex search
_SHORT = 4
_DISTINCT = sorted({t for trig in _TRIGGERS if len(trig) <= _SHORT for t in trig})


def _wide(trig: tuple[str, ...]) -> list[tuple[str, re.Pattern[str]]]:
    """A long trigger list as (stem, regex) pairs: "from0" ... "below9" -> ("from",
    ``from[0-9]``) ...; the regex runs only where the stem occurs (a plain substring test)."""
    last: dict[str, set[str]] = {}
    for t in trig:
        last.setdefault(t[:-1], set()).add(t[-1])
    return [
        (stem, re.compile(re.escape(stem) + "[" + re.escape("".join(sorted(ends))) + "]"))
        for stem, ends in last.items()
    ]


_WIDE = {i: _wide(trig) for i, trig in enumerate(_TRIGGERS) if len(trig) > _SHORT}


def _active_rules(original: str) -> tuple[int, ...]:
    lowered = original.lower()
    present = {t for t in _DISTINCT if t in lowered}
    return tuple(
        i
        for i, trig in enumerate(_TRIGGERS)
        if (
            any(stem in lowered and rx.search(lowered) for stem, rx in _WIDE[i])
            if i in _WIDE
            else any(t in present for t in trig)
        )
    )


@dataclass(frozen=True)
class Normalized:
    """Cleaned ``text`` of ``original`` with a piecewise offset map between them."""

    original: str
    text: str
    # parallel lists: for each replaced piece, where it sits in the cleaned and original text
    _n_start: list[int] = field(default_factory=list, repr=False)
    _n_end: list[int] = field(default_factory=list, repr=False)
    _o_start: list[int] = field(default_factory=list, repr=False)
    _o_end: list[int] = field(default_factory=list, repr=False)

    def _delta_before(self, k: int) -> int:
        """original - cleaned offset for text after replaced piece ``k`` (-1: before all)."""
        return 0 if k < 0 else self._o_end[k] - self._n_end[k]

    def orig_start(self, i: int) -> int:
        """Original offset of the character at cleaned offset ``i`` (start of a span)."""
        k = bisect_right(self._n_start, i) - 1
        if k >= 0 and i < self._n_end[k]:
            return self._o_start[k]
        return i + self._delta_before(k)

    def orig_end(self, j: int) -> int:
        """Original offset for an exclusive cleaned end offset ``j``."""
        if j <= 0:
            return 0
        k = bisect_right(self._n_start, j - 1) - 1
        if k >= 0 and j - 1 < self._n_end[k]:
            return self._o_end[k]
        return j + self._delta_before(k)

    def span(self, start: int, end: int) -> tuple[int, int]:
        """The original span of the cleaned span ``[start, end)``."""
        a = self.orig_start(start)
        b = self.orig_end(end)
        return (a, max(a, b))

    def original_text(self, start: int, end: int) -> str:
        a, b = self.span(start, end)
        return self.original[a:b]


def normalize(original: str) -> Normalized:
    """Clean ``original`` for matching; offsets map back with :meth:`Normalized.span`."""
    out: list[str] = []
    n_start: list[int] = []
    n_end: list[int] = []
    o_start: list[int] = []
    o_end: list[int] = []
    pos = 0
    npos = 0
    # (most texts hold none of the characters: one scan instead of a translation)
    source = original.translate(_ONE_TO_ONE) if _TRANSLATED.search(original) else original
    for m in _master(_active_rules(source)).finditer(source):
        group = m.lastgroup
        assert group is not None
        matched = m.group(0)
        if group == "ch":
            repl = _MULTI[matched]
        else:
            rule = _RULES[int(group[1:])][1]
            repl = rule if isinstance(rule, str) else rule(m)
        # keep every newline of the matched text (line structure must survive)
        newlines = matched.count("\n")
        if newlines:
            repl = repl + "\n" * newlines if "\n" not in repl else repl
        if repl == matched:
            continue  # (the translated text already holds it)
        if m.start() > pos:
            chunk = source[pos : m.start()]
            out.append(chunk)
            npos += len(chunk)
        n_start.append(npos)
        out.append(repl)
        npos += len(repl)
        n_end.append(npos)
        o_start.append(m.start())
        o_end.append(m.end())
        pos = m.end()
    out.append(source[pos:])
    return Normalized(original, "".join(out), n_start, n_end, o_start, o_end)
