"""What several recognizer families share: change-versus-level guards, list joining,
exceptions after a reading, definition sentences, the myositis family pattern."""

from __future__ import annotations

import re

from cartrial.criteria.nodes import (
    AllOf,
    AnyOf,
    Criterion,
)
from cartrial.ingest.parse import lexicon as lx
from cartrial.ingest.parse.hits import Ctx

_I = re.IGNORECASE


def gated(pattern: str, flags: int = _I) -> re.Pattern[str]:
    """``pattern`` behind a look-ahead of the characters a match can start with
    (:func:`lexicon.first_chars`): the regex engine then fails most positions on one character
    test instead of trying every branch (speed; the matches are the same)."""
    first = lx.first_chars(pattern)
    if not first:
        return re.compile(pattern, flags)
    chars = "".join(sorted(re.escape(c) for c in first | {c.upper() for c in first}))
    return re.compile(f"(?=[{chars}])(?:{pattern})", flags)


#: the myositis family ("idiopathic inflammatory myopathies", "IIM", "myositis")
IIM_RX = gated(lx.IIM_PATTERN)


_GUARD_BEFORE = re.compile(
    r"(?:increase|decrease|decline|reduction|drop|change|improvement|worsening|fall|rise|"
    r"reduce|reduced|taper\w*)\s+(?:in|of|to)?\s*(?:the\s+)?[^;.,]{0,25}$",
    _I,
)
_GUARD_AFTER = re.compile(
    r"^\s*%?\s*(?:\(?\s*)?(?:increase|decrease|decline|reduction|drop|improvement|change|"
    r"worsening|from\s+baseline)",
    _I,
)


_CHANGE_FILL = re.compile(
    r"\b(?:increase|decrease|decline|reduction|drop|change|improvement|worsening|rise|fall)\w*\b",
    _I,
)
_ABOVE_REFERENCE = re.compile(
    r"^\s*(?:[a-z/%]+\s*)?(?:above|over|below|from|greater\s+than)\s+(?:the\s+)?"
    r"(?:upper|lower|ULN|LLN|baseline|normal|reference)",
    _I,
)


def is_relative(text: str, start: int, val_end: int, fill: str = "") -> bool:
    """True for a change ("10% decrease in FVC", "creatinine increase > 0.5", "> 0.5 mg/dL above
    the upper limit of normal"), not a level."""
    before = text[max(0, start - 40) : start]
    after = text[val_end : val_end + 40]
    return bool(
        _GUARD_BEFORE.search(before)
        or _GUARD_AFTER.search(after)
        or _CHANGE_FILL.search(fill)
        or _ABOVE_REFERENCE.match(after)
    )


def combine(
    ctx: Ctx, nodes: list[Criterion], joiner: str, a: int, b: int, conf: float
) -> Criterion:
    if len(nodes) == 1:
        return nodes[0]
    use_any = joiner == "or" or (joiner == "list" and ctx.section == "exclusion")
    cls = AnyOf if use_any else AllOf
    return cls(items=tuple(nodes), **ctx.common(a, b, conf))


def exception_after(text: str, pos: int) -> re.Match[str] | None:
    return re.match(
        r"\s*[,;]?\s*(?P<open>\()?\s*(?P<body>(?:except(?:\s+for)?|excluding|unless|other\s+than|"
        r"with\s+the\s+exception\s+of|not\s+applicable|no\s+requirements?)\b[^()]*?"
        r"(?:\([^()]*\)[^()]*?)*)(?(open)\)|(?=;|$))",
        text[pos:],
        _I,
    )


DEFINITION_RX = re.compile(
    r"\s*(?:the\s+)?(?:\w+\s+)?definition\s+of\s+(?:the\s+)?(?:[\w/]+[- ])*?"
    r"(?:relaps|refractor|progress|recurren|routine|intractab|conventional|remission|flare)",
    _I,
)


def vocab_note(key: str) -> str | None:
    return f"'{key}' is not in the shared vocabulary yet" if key in lx.NOT_IN_VOCABULARY else None
