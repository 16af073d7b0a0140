"""Words the parser recognises, each mapped to a vocabulary concept key.

The tables are built at import from two sources:

* the vocabulary (:mod:`cartrial.vocab`, read-only here): every lab, condition, medication and
  procedure display name, and the abbreviations it gives in brackets ("Alanine aminotransferase
  (ALT)"), become synonyms of their key (:func:`vocabulary_names`);
* ``lexicon.yaml`` beside this module: the parser-only synonyms (spellings, abbreviations,
  registry mistranslations) and the few keys the vocabulary does not carry yet
  (:data:`NOT_IN_VOCABULARY`; nodes using them say so in their note).

Synonyms are regular-expression fragments (case-insensitive unless written inside
``(?-i:...)``); at a position the longest match wins. Matching dispatches on the first character
a synonym can start with (:func:`first_chars`, a small analysis of the fragment syntax the data
file uses) and, at a word spelled in ASCII, on its first letters (:func:`literal_heads`), so each
word start tries only a handful of synonyms.
"""

from __future__ import annotations

import re
from bisect import bisect_left
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from functools import cache, lru_cache
from importlib import resources
from typing import Any

import yaml

from cartrial import vocab

Table = dict[str, tuple[str, ...]]


def _load() -> dict[str, Any]:
    text = resources.files("cartrial.ingest.parse").joinpath("lexicon.yaml").read_text("utf-8")
    data = yaml.safe_load(text)
    if not isinstance(data, dict):
        raise ValueError("cartrial/ingest/parse/lexicon.yaml: expected a mapping at the top")
    return data


_DATA = _load()

#: vocabulary keys whose names are *not* used as synonyms (too generic, or read elsewhere)
_SKIP_NAMES: frozenset[str] = frozenset(_DATA.get("vocabulary_names_skip") or ())

_ABBREV = re.compile(r"^[A-Za-z][A-Za-z0-9-]{1,11}$")


def phrase_pattern(name: str) -> str:
    """A display name as a synonym: words escaped, spaces and hyphens interchangeable."""
    words = [w for w in re.split(r"[\s-]+", name.strip()) if w]
    return r"[\s-]+".join(re.escape(w) for w in words)


def vocabulary_names(display: str) -> list[str]:
    """Synonym patterns from one vocabulary display name.

    "Alanine aminotransferase (ALT)" -> the name and ``(?-i:\bALT\b)``; "Stroke / cerebrovascular
    accident" -> the first name; bracketed remarks that are not abbreviations are dropped.
    """
    out: list[str] = []
    head = display.split(" / ")[0]
    for inner in re.findall(r"\(([^()]*)\)", head):
        for part in inner.split("/"):
            part = part.strip()
            abbreviation = part.upper() == part or any(c.isupper() for c in part[1:])
            if _ABBREV.match(part) and not part.isdigit() and abbreviation:
                out.append(rf"(?-i:\b{re.escape(part)}\b)")
    name = _plain_name(display)
    if len(name) >= 4:
        out.insert(0, phrase_pattern(name))
    return out


def _plain_name(display: str) -> str:
    head = re.sub(r"\([^()]*\)", "", display.split(" / ")[0])
    return re.split(r",\s|;", head)[0].strip()


def _table(section: str, *groups: tuple[str, Iterable[str]]) -> Table:
    """The data file's section, extended with the vocabulary's names of ``groups``' keys.

    A vocabulary name is skipped when several keys share it ("Swollen joint count" for the 28-
    and the 66-joint counts) or when the data file already gives it to another key.
    """
    table: dict[str, list[str]] = {k: list(v) for k, v in (_DATA.get(section) or {}).items()}
    own = {k: [re.compile(p, re.IGNORECASE) for p in v] for k, v in table.items()}
    for group, keys in groups:
        names = {k: vocab.display(group, k) for k in keys if k not in _SKIP_NAMES}
        seen: dict[str, int] = {}
        for d in names.values():
            seen[_plain_name(d).lower()] = seen.get(_plain_name(d).lower(), 0) + 1
        for key in sorted(names):
            plain = _plain_name(names[key])
            if ", " in names[key].split(" (")[0]:
                continue  # "Protein, 24 h urine": the name alone ("Protein") says too little
            if seen[plain.lower()] > 1 or any(
                rx.fullmatch(plain) for rxs in own.values() for rx in rxs
            ):
                continue  # shared, or the data file already says it (with more care)
            for pat in vocabulary_names(names[key]):
                if pat not in table.setdefault(key, []):
                    table[key].append(pat)
    return {k: tuple(v) for k, v in table.items()}


_SCORE_KEYS = frozenset(_DATA.get("scores") or ()) | frozenset(_DATA.get("score_keys") or ())
_LAB_KEYS = vocab.concept_keys("labs")

#: disease or comorbidity key -> synonym patterns
CONDITIONS: Table = _table("conditions", ("conditions", vocab.concept_keys("conditions")))
#: lab / observation key -> synonym patterns (a threshold follows the name)
ANALYTES: Table = _table("analytes", ("labs", _LAB_KEYS - _SCORE_KEYS))
#: score instrument key -> synonym patterns
SCORES: Table = _table("scores", ("labs", _LAB_KEYS & _SCORE_KEYS))
#: medication key -> synonym patterns (the parser's one drug-name table)
DRUGS: Table = _table("drugs", ("medications", vocab.concept_keys("medications")))
#: drug class group key -> synonym patterns
DRUG_CLASSES: Table = _table("drug_classes")
#: procedure key -> synonym patterns
PROCEDURES: Table = _table("procedures", ("procedures", vocab.concept_keys("procedures")))
#: CTCAE-graded adverse event key -> synonym patterns (a grade threshold follows or precedes)
TOXICITIES: Table = _table("toxicities")

#: diseases a CAR-cell autoimmune trial targets (a trial's ``diseases``; cohort labels).
TARGET_DISEASES: tuple[str, ...] = tuple(_DATA["target_diseases"])
#: words for "idiopathic inflammatory myopathy" expand to the four myositis keys.
IIM_PATTERN: str = _DATA["iim_pattern"]
IIM_KEYS: tuple[str, ...] = tuple(_DATA["iim_keys"])
#: pseudo-analytes that stand for several concepts
EXPANSIONS: Table = {k: tuple(v) for k, v in _DATA["expansions"].items()}
#: pseudo-classes that stand for several class groups
CLASS_EXPANSIONS: Table = {k: tuple(v) for k, v in _DATA["class_expansions"].items()}
#: canonical UCUM unit of each analyte (the unit a unitless threshold is read in).
DEFAULT_UNITS: dict[str, str] = dict(_DATA["default_units"])
#: analytes whose percentage threshold means "% of predicted" (note on the node).
PERCENT_PREDICTED: frozenset[str] = frozenset(_DATA["percent_predicted"])
#: score instruments written on a 0-100 % scale (Karnofsky)
PERCENT_SCORES: frozenset[str] = frozenset(_DATA.get("percent_scores") or ())
#: therapies and procedures no patient record codes (chemotherapy, surgery...): read for review
UNCODABLE: frozenset[str] = frozenset(_DATA.get("uncodable") or ())
#: (lowest, highest) value of score scales: a bound at either end states nothing
SCALE_RANGES: dict[str, tuple[float, float]] = {
    k: (float(v[0]), float(v[1])) for k, v in (_DATA.get("scale_ranges") or {}).items()
}
#: observations whose threshold is a time ("life expectancy > 12 weeks")
TIME_OBSERVATIONS: frozenset[str] = frozenset(_DATA.get("time_observations") or ())
#: classification criteria -> (score instrument key, disease keys).
CLASSIFICATIONS: dict[str, tuple[str, tuple[str, ...]]] = {
    k: (v[0], tuple(v[1])) for k, v in _DATA["classifications"].items()
}
#: human names of the classification criteria (notes).
CLASSIFICATION_NAMES: dict[str, str] = dict(_DATA["classification_names"])
#: keys used by the parser that the shared vocabulary does not list (yet).
NOT_IN_VOCABULARY: frozenset[str] = frozenset(_DATA["not_in_vocabulary"]) | frozenset(
    v[0] for v in CLASSIFICATIONS.values() if v[0] not in vocab.concept_keys("labs")
)


# ---------------------------------------------------------------------------- first characters

_CLASS_ESCAPES = {
    "d": "0123456789",
    "s": " \t\n\r\f\v",
}


def first_chars(pattern: str) -> frozenset[str] | None:
    """Lower-case characters a match of ``pattern`` can start with (None: any character).

    Understands the fragment syntax of ``lexicon.yaml``: literals and escapes, ``[...]``
    classes, groups (``(?:``, ``(?-i:``, ``(?P<n>``), look-arounds (zero width), ``|``,
    and the quantifiers ``? * + {m,n}``. Anything else answers None (the synonym is then tried
    at every word start), so an unusual fragment is slower, never missed.
    """
    try:
        chars, nullable, _ = _alt(pattern, 0)
    except (IndexError, ValueError):
        return None
    if chars is None or nullable:
        return None
    return frozenset(c.lower() for c in chars)


_Res = tuple[set[str] | None, bool, int]


def _alt(p: str, i: int) -> _Res:
    """``seq ('|' seq)*`` up to an unmatched ``)`` or the end."""
    out: set[str] = set()
    nullable = False
    while True:
        chars, null, i = _seq(p, i)
        if chars is None:
            return None, False, i
        out |= chars
        nullable = nullable or null
        if i < len(p) and p[i] == "|":
            i += 1
            continue
        return out, nullable, i


def _seq(p: str, i: int) -> _Res:
    out: set[str] = set()
    while i < len(p) and p[i] not in "|)":
        chars, null, i = _atom(p, i)
        i, optional = _quantifier(p, i)
        if chars is None:
            return None, False, i
        out |= chars
        if not (null or optional):
            # the rest of the sequence cannot start the match: skip it
            return out, False, _skip_seq(p, i)
    return out, True, i


def _skip_seq(p: str, i: int) -> int:
    depth = 0
    while i < len(p):
        ch = p[i]
        if ch == "\\":
            i += 2
            continue
        if ch == "[":
            i = _class_end(p, i)
            continue
        if ch == "(":
            depth += 1
        elif ch == ")":
            if depth == 0:
                return i
            depth -= 1
        elif ch == "|" and depth == 0:
            return i
        i += 1
    return i


def _quantifier(p: str, i: int) -> tuple[int, bool]:
    if i >= len(p):
        return i, False
    ch = p[i]
    if ch in "?*":
        i += 1
        optional = True
    elif ch == "+":
        i += 1
        optional = False
    elif ch == "{":
        j = p.index("}", i)
        optional = p[i + 1 : j].split(",")[0].strip() in ("", "0")
        i = j + 1
    else:
        return i, False
    if i < len(p) and p[i] in "?+":
        i += 1  # lazy / possessive
    return i, optional


def _class_end(p: str, i: int) -> int:
    j = i + 1
    if j < len(p) and p[j] == "^":
        j += 1
    if j < len(p) and p[j] == "]":
        j += 1
    while p[j] != "]":
        j += 2 if p[j] == "\\" else 1
    return j + 1


def _atom(p: str, i: int) -> _Res:
    ch = p[i]
    if ch == "(":
        if p.startswith(("(?=", "(?!", "(?<=", "(?<!"), i):
            return set(), True, _group_end(p, i)
        if p.startswith("(?P<", i):
            i = p.index(">", i) + 1
        elif p.startswith("(?:", i):
            i += 3
        elif p.startswith("(?", i):
            i = p.index(":", i) + 1  # (?-i: ... and other inline flags
        else:
            i += 1
        chars, null, i = _alt(p, i)
        if p[i] != ")":
            raise ValueError("unbalanced group")
        return chars, null, i + 1
    if ch == "[":
        end = _class_end(p, i)
        body = p[i + 1 : end - 1]
        if body.startswith("^"):
            return None, False, end
        return _class_chars(body), False, end
    if ch == "\\":
        nxt = p[i + 1]
        if nxt in "bBAZ":
            return set(), True, i + 2
        if nxt in _CLASS_ESCAPES:
            return set(_CLASS_ESCAPES[nxt]), False, i + 2
        if nxt.isalpha():
            return None, False, i + 2  # \w, \S ...: any character
        return {nxt}, False, i + 2
    if ch in "^$":
        return set(), True, i + 1
    if ch == ".":
        return None, False, i + 1
    return {ch}, False, i + 1


def _group_end(p: str, i: int) -> int:
    depth = 0
    while i < len(p):
        ch = p[i]
        if ch == "\\":
            i += 2
            continue
        if ch == "[":
            i = _class_end(p, i)
            continue
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
            if depth == 0:
                return i + 1
        i += 1
    raise ValueError("unbalanced group")


def _class_chars(body: str) -> set[str] | None:
    out: set[str] = set()
    i = 0
    while i < len(body):
        ch = body[i]
        if ch == "\\":
            nxt = body[i + 1]
            if nxt in _CLASS_ESCAPES:
                out |= set(_CLASS_ESCAPES[nxt])
            elif nxt.isalpha():
                return None
            else:
                out.add(nxt)
            i += 2
            continue
        if i + 2 < len(body) and body[i + 1] == "-":
            lo, hi = ord(ch), ord(body[i + 2])
            if hi - lo > 64:
                return None
            out |= {chr(c) for c in range(lo, hi + 1)}
            i += 3
            continue
        out.add(ch)
        i += 1
    return out


# ---------------------------------------------------------------------------- helpers


def alternation(patterns: Iterable[str]) -> str:
    """One ``(?:a|b|c)`` group of the patterns, longest source first."""
    return "(?:" + "|".join(sorted(patterns, key=len, reverse=True)) + ")"


def _unwrap(pattern: str) -> str:
    """``(?-i:X)`` or ``(?:X)`` around the whole pattern -> ``X``."""
    for opener in ("(?-i:", "(?:"):
        if pattern.startswith(opener) and pattern.endswith(")"):
            depth = 0
            for i, ch in enumerate(pattern):
                if ch == "(" and (i == 0 or pattern[i - 1] != "\\"):
                    depth += 1
                elif ch == ")" and pattern[i - 1] != "\\":
                    depth -= 1
                    if depth == 0 and i != len(pattern) - 1:
                        return pattern
            return pattern[len(opener) : -1]
    return pattern


def trigger(pattern: str) -> str | None:
    """A lower-case literal every match of ``pattern`` contains (None: no cheap literal).

    Only literal runs at nesting depth 0, not followed by an optional quantifier, in a pattern
    without a top-level ``|``, qualify; the longest such run is used.
    """
    p = _unwrap(pattern)
    depth = 0
    runs: list[str] = []
    cur = ""
    i = 0
    while i < len(p):
        ch = p[i]
        if ch == "\\":
            runs.append(cur)
            cur = ""
            i += 2
            continue
        if ch == "(":
            depth += 1
            runs.append(cur)
            cur = ""
        elif ch == ")":
            depth -= 1
            cur = ""
        elif ch == "|" and depth == 0:
            return None
        elif depth == 0 and (ch.isalnum() or ch in " -'"):
            nxt = p[i + 1] if i + 1 < len(p) else ""
            if nxt and nxt in "?*{":
                runs.append(cur)
                cur = ""
            else:
                cur += ch
        else:
            runs.append(cur)
            cur = ""
        i += 1
    runs.append(cur)
    best = max((r.strip(" -'") for r in runs), key=len, default="")
    return best.lower() if len(best) >= 2 else None


@cache
def _triggers(table_id: int) -> tuple[tuple[str, tuple[str, ...] | None], ...]:
    """Per key: the literals one of which must occur (None: always try the key)."""
    table = _REGISTRY[table_id]
    out: list[tuple[str, tuple[str, ...] | None]] = []
    for key, pats in table.items():
        trig = [trigger(p) for p in pats]
        out.append((key, None if any(t is None for t in trig) else tuple(t for t in trig if t)))
    return tuple(out)


_REGISTRY: dict[int, dict[str, tuple[str, ...]]] = {
    id(t): t for t in (CONDITIONS, ANALYTES, SCORES, DRUGS, DRUG_CLASSES, PROCEDURES, TOXICITIES)
}


def register_table(table: dict[str, tuple[str, ...]]) -> dict[str, tuple[str, ...]]:
    """Make another key -> synonyms table usable with :func:`find_all`."""
    _REGISTRY[id(table)] = table
    return table


@dataclass
class _Scope:
    text: str
    lowered: str
    mentions: dict[int, tuple[tuple[str, int, int], ...]]
    starts: dict[int, list[int]]


_SCOPE: ContextVar[_Scope | None] = ContextVar("lexicon_scope", default=None)


@contextmanager
def scope(text: str) -> Iterator[None]:
    """Within this block ``text`` is the document: :func:`find_all` called with an ``offset``
    into it reads the mentions found by one scan of the whole document (speed)."""
    token = _SCOPE.set(_Scope(text, text.lower(), {}, {}))
    try:
        yield
    finally:
        _SCOPE.reset(token)


@cache
def _trigger_rx(table_id: int) -> re.Pattern[str] | None:
    """One search for every trigger literal of the table (None: a key without one)."""
    literals: set[str] = set()
    for _key, trig in _triggers(table_id):
        if trig is None:
            return None
        literals.update(trig)
    if not literals:
        return re.compile(r"(?!)")
    return re.compile("|".join(re.escape(t) for t in sorted(literals, key=len, reverse=True)))


@lru_cache(maxsize=256)
def _candidates(table_id: int, lowered: str) -> bool:
    """Can any key of the table occur in ``lowered``? (one of its trigger literals does)"""
    rx = _trigger_rx(table_id)
    return rx is None or rx.search(lowered) is not None


def find_all(
    table: dict[str, tuple[str, ...]], text: str, offset: int | None = None
) -> list[tuple[str, int, int]]:
    """Every non-overlapping mention in ``text``: (key, start, end), leftmost-longest.

    With ``offset`` (where ``text`` starts in the document of the enclosing :func:`scope`), the
    document's mentions inside ``text`` are returned, relative to ``text``.
    """
    sc = _SCOPE.get()
    tid = id(table)
    if sc is not None and offset is not None and sc.text.startswith(text, offset):
        found = sc.mentions.get(tid)
        if found is None:
            # one pass over the document for every table (they are all asked for anyway)
            tids = tuple(t for t in _REGISTRY if t not in sc.mentions)
            for t, mentions in _scan(tids, sc.text).items():
                sc.mentions[t] = mentions
                sc.starts[t] = [f[1] for f in mentions]
            found = sc.mentions[tid]
        starts = sc.starts[tid]
        end = offset + len(text)
        out: list[tuple[str, int, int]] = []
        for i in range(bisect_left(starts, offset), bisect_left(starts, end)):
            k, s, e = found[i]
            if e <= end:
                out.append((k, s - offset, e - offset))
        return out
    lowered = sc.lowered if sc is not None and len(text) < len(sc.text) else text.lower()
    if not _candidates(tid, lowered):
        return []
    return list(_find_all(tid, text))


_Part = tuple[str, str, frozenset[str]]  # (alternative with its group name, key, heads)


@cache
def _dispatch(
    table_id: int,
) -> tuple[dict[str, re.Pattern[str]], re.Pattern[str] | None, tuple[str, ...]]:
    """Per first character, one anchored regex of the synonyms that can start with it."""
    by_char, anywhere, keys = _parts(table_id)
    return (
        {ch: _alternation(tuple(p for p, _k, _h in parts)) for ch, parts in by_char.items()},
        _alternation(tuple(p for p, _k, _h in anywhere)) if anywhere else None,
        keys,
    )


@cache
def _parts(table_id: int) -> tuple[dict[str, list[_Part]], list[_Part], tuple[str, ...]]:
    """The alternatives of :func:`_dispatch`, in order, each named ``k<key index>_<n>``."""
    table = _REGISTRY[table_id]
    keys = tuple(table)
    suffix = r"(?!\w)(?:\s*\(\s*(?-i:[A-Z][A-Za-z0-9-]{1,9})\s*\))?"
    buckets: dict[str, list[tuple[int, str]]] = {}
    anywhere: list[tuple[int, str]] = []
    for i, key in enumerate(keys):
        for pat in table[key]:
            first = first_chars(pat)
            if first is None:
                anywhere.append((i, pat))
            else:
                for ch in first:
                    buckets.setdefault(ch, []).append((i, pat))

    def parts(entries: list[tuple[int, str]]) -> list[_Part]:
        return [
            (f"(?P<k{i}_{n}>(?:{pat}){suffix})", keys[i], literal_heads(pat))
            for n, (i, pat) in enumerate(sorted(entries, key=lambda e: -len(e[1])))
        ]

    return (
        {ch: parts(entries + anywhere) for ch, entries in buckets.items()},
        parts(anywhere),
        keys,
    )


@cache
def _alternation(parts: tuple[str, ...]) -> re.Pattern[str]:
    return re.compile("|".join(parts), re.IGNORECASE)


def _agrees(heads: frozenset[str], key: str) -> bool:
    return any(h[: len(key)] == key[: len(h)] for h in heads)


@cache
def _table_at(table_id: int) -> dict[str, re.Pattern[str] | None]:
    """Memo of :func:`_table_rx` (filled as word starts are met)."""
    return {}


def _table_rx(table_id: int, key: str) -> re.Pattern[str] | None:
    """The table's regex at a word start spelled ``key``: only the alternatives with a
    :func:`literal_heads` prefix that agrees with it, in their order (same first match)."""
    memo = _table_at(table_id)
    if key in memo:
        return memo[key]
    by_char, _anywhere, _keys = _parts(table_id)
    parts = by_char.get(key[0])
    if parts is None:
        rx = _dispatch(table_id)[1]
    else:
        kept = tuple(p for p, _k, heads in parts if _agrees(heads, key))
        rx = _alternation(kept) if kept else None
    memo[key] = rx
    return rx


_UNSEEN: Any = object()  # not memoised yet

#: a word start; group 1: its first ASCII letters and digits (a key for the gates)
_WORD_START = re.compile(r"(?<!\w)(?:([A-Za-z0-9]{1,3})|[\w(])")


_HEAD = 3  # how many leading characters of a word start refine the gate


_Heads = set[tuple[str, bool]]  # (lower-case prefix, could the match go on with more of it)
_MAX_HEADS = 64


def literal_heads(pattern: str) -> frozenset[str]:
    """Lower-case prefixes (at most :data:`_HEAD` characters) one of which every match of
    ``pattern`` starts with; "" among them when unsure.

    The same fragment syntax as :func:`first_chars`: alternatives and optional parts widen the
    set, anything not a plain character (``\\w``, ``.``, a negated class, a repeat) ends a
    prefix, so no match is ever outside the set.
    """
    try:
        heads, _ = _heads_alt(pattern, 0)
    except (IndexError, ValueError):
        return frozenset({""})
    if heads is None:
        return frozenset({""})
    return frozenset(h for h, _more in heads)


def _heads_alt(p: str, i: int) -> tuple[_Heads | None, int]:
    out: _Heads = set()
    while True:
        heads, i = _heads_seq(p, i)
        if heads is None:
            return None, _skip_alt(p, i)
        out |= heads
        if len(out) > _MAX_HEADS:
            return None, _skip_alt(p, i)
        if i < len(p) and p[i] == "|":
            i += 1
            continue
        return out, i


def _skip_alt(p: str, i: int) -> int:
    """Index of the ``)`` closing the alternation ``i`` is in (or the end)."""
    while True:
        i = _skip_seq(p, i)
        if i < len(p) and p[i] == "|":
            i += 1
            continue
        return i


def _heads_seq(p: str, i: int) -> tuple[_Heads | None, int]:
    out: _Heads = {("", True)}
    while i < len(p) and p[i] not in "|)":
        atom, i = _heads_atom(p, i)
        i, optional, repeat = _heads_quantifier(p, i)
        if atom is None:
            atom = {("", False)}
        if repeat:
            atom = {(h, False) for h, _more in atom}
        if optional:
            atom = atom | {("", True)}
        joined: _Heads = set()
        for h, more in out:
            if not more or len(h) >= _HEAD:
                joined.add((h, False))
                continue
            for t, more2 in atom:
                c = (h + t)[:_HEAD]
                joined.add((c, more2 and len(h + t) <= _HEAD))
        if len(joined) > _MAX_HEADS:
            return None, _skip_seq(p, i)
        out = joined
        if not any(more for _h, more in out):
            return out, _skip_seq(p, i)
    return out, i


def _heads_quantifier(p: str, i: int) -> tuple[int, bool, bool]:
    """(next index, may the atom be absent, may it repeat)."""
    if i >= len(p) or p[i] not in "?*+{":
        return i, False, False
    ch = p[i]
    j, optional = _quantifier(p, i)
    if ch == "?":
        return j, True, False
    if ch == "{":
        bounds = p[i + 1 : p.index("}", i)].split(",")
        repeat = len(bounds) > 1 or bounds[0].strip() not in ("0", "1")
        return j, optional, repeat
    return j, optional, True


def _heads_atom(p: str, i: int) -> tuple[_Heads | None, int]:
    if p[i] == "(" and not p.startswith(("(?=", "(?!", "(?<=", "(?<!"), i):
        if p.startswith("(?P<", i):
            i = p.index(">", i) + 1
        elif p.startswith("(?", i):
            i = p.index(":", i) + 1  # (?: (?-i: and other inline flags
        else:
            i += 1
        heads, i = _heads_alt(p, i)
        if p[i] != ")":
            raise ValueError("unbalanced group")
        return heads, i + 1
    chars, null, i = _atom(p, i)
    if null:
        return {("", True)}, i  # zero width (a look-around, \\b, ^)
    if chars is None or len(chars) > 16 or not all(c.isascii() for c in chars):
        return None, i
    return {(c.lower(), True) for c in chars}, i


def required_literal(pattern: str) -> str | None:
    """The longest run of ASCII letters and digits (lower case, at least 3) that every match of
    ``pattern`` contains, read from its top-level sequence; None if there is none."""
    try:
        if _skip_seq(pattern, 0) != len(pattern):
            return None  # an alternation at the top
        best, run, i = "", "", 0
        while i < len(pattern):
            ch = pattern[i]
            if ch == "(":
                i, run = _group_end(pattern, i), ""
            elif ch == "[":
                i, run = _class_end(pattern, i), ""
            elif ch == "\\":
                i, run = i + 2, ""
            else:
                i += 1
                run = run + ch.lower() if ch.isascii() and ch.isalnum() else ""
            if i < len(pattern) and pattern[i] in "?*{+":
                optional = pattern[i] != "+"
                i, _opt = _quantifier(pattern, i)
                run = run[:-1] if optional else run
                best = max(best, run, key=len)
                run = ""
            best = max(best, run, key=len)
    except (IndexError, ValueError):
        return None
    return best if len(best) >= 3 else None


@cache
def _wild(table_ids: tuple[int, ...]) -> tuple[tuple[str, str], ...]:
    """The synonyms of the tables that may start at any word (a "" head) and have a
    :func:`required_literal`: a text without it cannot hold them anywhere."""
    out: dict[str, str] = {}
    for tid in table_ids:
        for pats in _REGISTRY[tid].values():
            for pat in pats:
                lit = required_literal(pat) if "" in literal_heads(pat) else None
                if lit is not None:
                    out[pat] = lit
    return tuple(out.items())


@cache
def _gates(
    table_ids: tuple[int, ...],
) -> tuple[
    dict[str, re.Pattern[str]],
    re.Pattern[str] | None,
    dict[str, list[tuple[frozenset[str], str]]],
]:
    """Per first character, one regex of every synonym of all the tables: where it fails, no
    table can match (a gate in front of the per-table matches of :func:`_scan`). Also the
    synonyms of each first character with their :func:`literal_heads`, for :func:`_gate`."""
    buckets: dict[str, list[str]] = {}
    anywhere: list[str] = []
    for tid in table_ids:
        for pats in _REGISTRY[tid].values():
            for pat in pats:
                first = first_chars(pat)
                if first is None:
                    anywhere.append(pat)
                else:
                    for ch in first:
                        buckets.setdefault(ch, []).append(pat)

    return (
        {ch: _gate_rx(tuple(pats + anywhere)) for ch, pats in buckets.items()},
        _gate_rx(tuple(anywhere)) if anywhere else None,
        {
            ch: [(literal_heads(p), p) for p in pats] + [(frozenset({""}), p) for p in anywhere]
            for ch, pats in buckets.items()
        },
    )


@cache
def _gate_rx(pats: tuple[str, ...]) -> re.Pattern[str]:
    return re.compile("|".join(f"(?:{p})" for p in pats), re.IGNORECASE)


def lower_fragment(pattern: str) -> str | None:
    """``pattern`` for a lower-cased ASCII text, case-sensitive: letters lower-cased (escapes
    kept), ``(?-i:`` opened to ``(?:``. It matches wherever the case-blind ``pattern`` matches
    the original text (and where a case-sensitive part matches in another case: a gate may
    let more through, never less). None when a character folds onto ASCII (the Kelvin sign)."""
    out: list[str] = []
    i = 0
    while i < len(pattern):
        ch = pattern[i]
        if ch == "\\":
            out.append(pattern[i : i + 2])
            i += 2
            continue
        if pattern.startswith("(?-i:", i):
            out.append("(?:")
            i += 5
            continue
        if pattern.startswith("(?P", i):
            return None  # a group name would change
        if not ch.isascii() and _ascii_folds(ch):
            return None
        out.append(ch.lower())
        i += 1
    return "".join(out)


@cache
def _ascii_folds(c: str) -> frozenset[str]:
    """The ASCII letters and digits that ``c`` matches case-blind."""
    rx = re.compile(re.escape(c), re.IGNORECASE)
    return frozenset(a for a in _ASCII_ALNUM if rx.fullmatch(a))


_ASCII_ALNUM = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"


@cache
def _gate_lower_rx(pats: tuple[str, ...]) -> re.Pattern[str] | None:
    """:func:`_gate_rx` for an ASCII text lower-cased: case-sensitive, so the engine rejects a
    synonym on its first letter (None: a synonym that cannot be rewritten)."""
    lowered = [lower_fragment(p) for p in pats]
    if any(p is None for p in lowered):
        return None
    try:
        return re.compile("|".join(f"(?:{p})" for p in lowered))
    except re.error:
        return None


@cache
def _gate_at(
    table_ids: tuple[int, ...], dead: frozenset[str], lower: bool
) -> dict[str, tuple[re.Pattern[str] | None, bool]]:
    """Memo of :func:`_gate` (filled as word starts are met)."""
    return {}


def _gate(
    table_ids: tuple[int, ...], key: str, dead: frozenset[str], lower: bool
) -> tuple[re.Pattern[str] | None, bool]:
    """The gate at a word start spelled ``key`` (its first :data:`_HEAD` ASCII letters and
    digits): only the synonyms with a :func:`literal_heads` prefix that agrees with it, less
    the ``dead`` ones (their :func:`required_literal` is not in the text). With ``lower`` (an
    ASCII text) the gate for the lower-cased text where it can be written (:func:`lower_fragment`);
    the flag says which text the gate reads."""
    memo = _gate_at(table_ids, dead, lower)
    if key in memo:
        return memo[key]
    _by_char, _gate_any, heads = _gates(table_ids)
    entries = heads.get(key[0])
    if entries is None:
        pats = tuple(p for _h, p in _anywhere(table_ids))
    else:
        pats = tuple(p for h, p in entries if _agrees(h, key))
    pats = tuple(p for p in pats if p not in dead)
    out: tuple[re.Pattern[str] | None, bool] = (None, False)
    if pats:
        low_rx = _gate_lower_rx(pats) if lower else None
        out = (low_rx, True) if low_rx is not None else (_gate_rx(pats), False)
    memo[key] = out
    return out


@cache
def _anywhere(table_ids: tuple[int, ...]) -> tuple[tuple[frozenset[str], str], ...]:
    """The synonyms of the tables with no known first character (the gate of any other)."""
    return tuple(
        (frozenset({""}), pat)
        for tid in table_ids
        for pats in _REGISTRY[tid].values()
        for pat in pats
        if first_chars(pat) is None
    )


def _scan(table_ids: tuple[int, ...], text: str) -> dict[int, tuple[tuple[str, int, int], ...]]:
    """Leftmost-longest scans of several tables in one pass over the word starts of ``text``.

    At each word start, each table tries only the synonyms that can start there: by its first
    character, and when it is spelled in ASCII by its first letters (:func:`literal_heads`);
    one anchored match each.
    """
    plans = [(tid, *_dispatch(tid), _table_at(tid)) for tid in table_ids]
    found: dict[int, list[tuple[str, int, int]]] = {tid: [] for tid in table_ids}
    last = dict.fromkeys(table_ids, 0)
    lowered = text.lower()
    gates, gate_any, _heads = _gates(table_ids) if len(table_ids) > 1 else ({}, None, {})
    dead: frozenset[str] = frozenset()
    if gates and text.isascii():
        # a synonym that may start at any word but whose letters the text lacks is left out
        # of the gates (case-blind in ASCII is a plain substring test)
        dead = frozenset(p for p, lit in _wild(table_ids) if lit not in lowered)
    lower = bool(gates) and text.isascii()
    gate_memo = _gate_at(table_ids, dead, lower)
    # (an ASCII text is read lower-cased: the same word starts, keys already in lower case)
    for w in _WORD_START.finditer(lowered if lower else text):
        pos = w.start()
        ch = lowered[pos]
        key = w.group(1)
        if key is not None and not lower:
            key = key.lower()
            if key[0] != ch:
                key = None  # (lower-casing moved the offsets: the plain dispatch)
        if gates:
            # one match decides that no table has a name here (most word starts)
            if key:
                known = gate_memo.get(key)
                gate, on_lowered = (
                    known if known is not None else _gate(table_ids, key, dead, lower)
                )
                if gate is None or gate.match(lowered if on_lowered else text, pos) is None:
                    continue
            else:
                gate = gates.get(ch, gate_any)
                if gate is None or gate.match(text, pos) is None:
                    continue
        for tid, by_char, anywhere, keys, memo in plans:
            if pos < last[tid]:
                continue
            if key:
                rx = memo.get(key, _UNSEEN)
                if rx is _UNSEEN:
                    rx = _table_rx(tid, key)
            else:
                rx = by_char.get(ch, anywhere)
            if rx is None:
                continue
            m = rx.match(text, pos)
            if m is None or m.end() == pos:
                continue
            group = m.lastgroup
            assert group is not None
            found[tid].append((keys[int(group[1:].split("_", 1)[0])], pos, m.end()))
            last[tid] = m.end()
    return {tid: tuple(v) for tid, v in found.items()}


@lru_cache(maxsize=4096)
def _find_all(table_id: int, text: str) -> tuple[tuple[str, int, int], ...]:
    return _scan((table_id,), text)[table_id]


def keys_in(table: dict[str, tuple[str, ...]], text: str) -> list[str]:
    """Distinct keys mentioned in ``text`` in order of first mention."""
    out: list[str] = []
    for key, _s, _e in find_all(table, text):
        if key not in out:
            out.append(key)
    return out


def disease_keys(texts: Sequence[str]) -> tuple[str, ...]:
    """Target-disease keys named in condition strings (``conditions``, MeSH terms)."""
    out: list[str] = []
    for text in texts:
        found = [k for k in keys_in(CONDITIONS, text) if k in TARGET_DISEASES]
        if not found and re.search(IIM_PATTERN, text, re.IGNORECASE):
            found = list(IIM_KEYS)
        for k in found:
            if k not in out:
                out.append(k)
    return tuple(out)
