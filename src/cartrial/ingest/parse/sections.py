"""Split eligibility text into sections (inclusion/exclusion), disease cohorts and list items.

Works on the *cleaned* text (:mod:`.normalize`); every offset here is a cleaned offset.
Formats handled: section headers anywhere in a line ("Inclusion Criteria:", "Key Exclusion
Criteria", "Inclusion criteria for Systemic Sclerosis:"), numbered and nested lists (``1.``,
``1)``, ``(1)``, ``a.``, ``i.``, ``1.1``), bullets (``-``, ``*``, ``•``), inline enumerations
("... ; 2. ... 3. ..."), hard-wrapped continuation lines and paragraphs without markers.

The result is a forest of :class:`Item` (parent/children by marker style, numbering continuity,
indentation and lead-ins ending with ``:``). Items naming a target disease that head a group
(or a run of disease titles) mark a *cohort* for themselves and what follows.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field

from cartrial.ingest.parse import lexicon

__all__ = ["Header", "Item", "Layout", "clauses", "split"]

_IIM_RX = re.compile(lexicon.IIM_PATTERN, re.IGNORECASE)


@dataclass(frozen=True)
class Header:
    start: int
    end: int
    section: str  # inclusion | exclusion
    cohort_label: str | None
    cohort_keys: tuple[str, ...]


@dataclass
class Item:
    start: int  # text start (after the list marker)
    end: int
    line_start: int  # where the item begins including its marker
    section: str
    style: str | None
    number: int | None
    indent: int
    inline: bool
    cohort_label: str | None = None
    cohort_keys: tuple[str, ...] = ()
    parent: int | None = None
    children: list[int] = field(default_factory=list)
    implicit_section: bool = False


@dataclass(frozen=True)
class Layout:
    headers: tuple[Header, ...]
    items: tuple[Item, ...]
    roots: tuple[int, ...]
    has_headers: bool


_HEADER_RX = re.compile(
    # (the lead look-ahead is implied by what follows; it only lets most positions fail fast)
    r"(?=[*#kmgcaospie])"
    r"(?P<pre>(?:^|(?<=[\s.;:>*#\-]))(?:\*\*)?(?:#+\s*)?)"
    r"(?P<head>(?:(?:key|main|major|general|common|additional|other|specific|principal|"
    r"important|main)\s+)?"
    r"(?P<kind>inclusion|exclusion|inclusive|exclusive|inclusions|exclusions)"
    r"(?:\s+criteri(?:a|on|as))?"
    r"(?:\s+(?:for|of|in)\s+(?:the\s+)?(?:patients?\s+with\s+)?(?P<cohort>[^:\n.;]{2,120}?))?)"
    r"(?:\*\*)?\s*(?::|(?=\s*\n)|$)",
    re.IGNORECASE | re.MULTILINE,
)

# A header must say "criteria" unless it stands alone on its line ("Inclusion:" / "Exclusion").
_BARE_OK = re.compile(r"criteri", re.IGNORECASE)
#: every header names its kind, "inclu..." / "exclu...": the characters the header pattern's
#: IGNORECASE lets through spelled out, so the engine scans for them fast (a superset: ix, en)
_KIND_WORD = re.compile("[iIeE\u0130\u0131][nNxX][cC][lL][uU]")


def _header_matches(text: str) -> Iterator[re.Match[str]]:
    """``_HEADER_RX.finditer(text)``, tried only where a header can start: before each kind
    word, back over the spaces, one qualifier word and the ``**`` / ``#`` marks the header
    pattern allows there (speed: the full pattern is not tried at every position)."""
    last = 0
    for k in _KIND_WORD.finditer(text):
        p = k.start()
        if p < last:
            continue
        i = p
        while i > 0 and text[i - 1].isspace():
            i -= 1
        while i > 0 and text[i - 1].isalpha():
            i -= 1
        while i > 0 and (text[i - 1].isspace() or text[i - 1] in "#*"):
            i -= 1
        for start in range(max(i, last), p + 1):
            m = _HEADER_RX.match(text, start)
            if m is not None:
                yield m
                last = m.end()
                break


def _headers(text: str) -> list[Header]:
    found: list[Header] = []
    for m in _header_matches(text):
        head = m.group("head")
        line_start = text.rfind("\n", 0, m.start("head")) + 1
        line_end = text.find("\n", m.end())
        line_end = len(text) if line_end < 0 else line_end
        before = text[line_start : m.start("head")]
        after = text[m.end() : line_end]
        alone = not before.strip(" *-#\t") and not after.strip()
        if not _BARE_OK.search(head) and not (alone or m.group(0).rstrip().endswith(":")):
            continue
        if not _BARE_OK.search(head) and before.strip(" *-#\t"):
            continue
        # "Other protocol-defined Inclusion/Exclusion criteria apply." is not a header
        if re.search(r"/\s*$", text[max(0, m.start("head") - 12) : m.start("head")]):
            continue
        kind = m.group("kind").lower()
        section = "exclusion" if kind.startswith("exclu") else "inclusion"
        label = m.group("cohort")
        keys: tuple[str, ...] = ()
        if label:
            label = " ".join(label.split()).strip(" -*")
            keys = cohort_keys(label)
            if not keys and not re.search(
                r"\b(?:all|the\s+study|this\s+study|cohort|part|arm|"
                r"phase|group|stage)\b",
                label,
                re.IGNORECASE,
            ):
                label = None
        start = m.start("head")
        if alone:
            start = line_start + (len(before) - len(before.lstrip()))
        found.append(Header(start, m.end(), section, label, keys))
    return found


def cohort_keys(label: str) -> tuple[str, ...]:
    """Disease keys named by a cohort label; the myositis family for "inflammatory myopathy"."""
    keys = [k for k in lexicon.keys_in(lexicon.CONDITIONS, label) if k in lexicon.TARGET_DISEASES]
    if _IIM_RX.search(label) and not any(
        k in lexicon.IIM_KEYS or k == "inclusion_body_myositis" for k in keys
    ):
        keys = keys + list(lexicon.IIM_KEYS)
    out: list[str] = []
    for k in keys:
        if k not in out:
            out.append(k)
    return tuple(out)


def cohort_name(keys: tuple[str, ...], label: str | None) -> str | None:
    if not keys:
        return label
    if set(keys) >= set(lexicon.IIM_KEYS) and len(keys) == len(lexicon.IIM_KEYS):
        return "iim"
    return "+".join(keys)


# ------------------------------------------------------------------------ list markers

_LINE_MARKER = re.compile(
    r"^(?P<indent>[ ]*)(?:"
    r"(?P<bullet>[-*+>])(?=\s)"
    r"|(?P<dotted>\d{1,2}\.\d{1,2})\.?(?=\s)"
    r"|\((?P<pnum>\d{1,2})\)"
    r"|(?P<num>\d{1,2})(?P<numsep>[.)、])(?!\d)"
    r"|\((?P<palpha>[a-z])\)"
    r"|(?P<roman>(?:i{1,3}|iv|vi{0,3}|ix|x))[.)](?=\s)"
    r"|(?P<alpha>[a-zA-Z])[.)](?=\s)"
    r")[ ]*",
)

_INLINE_MARKER = re.compile(
    r"(?=\(|\d|[a-h]\.)"  # implied by every branch: most positions fail at once
    r"(?:(?:(?<=[;:.)\]])|(?<=[;:.)\]] )|(?<=[;:.)\]]  )|(?<=   ))"
    r"(?P<m>\((?P<pnum>\d{1,2})\)|(?P<num>\d{1,2})(?P<numsep>[.)])(?![\d])"
    r"|\((?P<palpha>[a-h])\))\s+(?=[A-Za-z(\"'])"
    r"|(?<=\s)(?P<alpha>[a-h])\.\s+(?=[A-Z])"
    r"|(?<=[a-z] )(?P<lead>1)\.\s+(?=[A-Z])"
    r")"
)


def _line_marker(line: str) -> tuple[int, str | None, int | None, int]:
    """(indent, style, number, text offset within the line)."""
    m = _LINE_MARKER.match(line)
    if not m:
        stripped = len(line) - len(line.lstrip(" "))
        return stripped, None, None, stripped
    indent = len(m.group("indent"))
    if m.group("bullet"):
        return indent, "bullet" + m.group("bullet"), None, m.end()
    if m.group("dotted"):
        return indent, "dotted", None, m.end()
    if m.group("pnum"):
        return indent, "(num)", int(m.group("pnum")), m.end()
    if m.group("num"):
        sep = m.group("numsep")
        return indent, "num" + ("." if sep in ".、" else ")"), int(m.group("num")), m.end()
    if m.group("palpha"):
        return indent, "(alpha)", ord(m.group("palpha")) - 96, m.end()
    if m.group("roman"):
        return indent, "roman", _roman(m.group("roman")), m.end()
    letter = m.group("alpha")
    if letter.isupper():
        return indent, "ALPHA", ord(letter.lower()) - 96, m.end()
    return indent, "alpha", ord(letter) - 96, m.end()


def _roman(s: str) -> int:
    values = {"i": 1, "v": 5, "x": 10}
    total = 0
    for a, b in zip(s, s[1:] + " ", strict=True):
        va, vb = values[a], values.get(b, 0)
        total += -va if va < vb else va
    return total


@dataclass
class _Unit:
    start: int
    end: int
    line_start: int
    style: str | None
    number: int | None
    indent: int
    inline: bool
    new_line: bool


def _inline_units(
    text: str, start: int, end: int, line_style: str | None, line_number: int | None
) -> list[tuple[int, int, str, int]]:
    """Inline markers inside ``text[start:end]``: (marker start, text start, style, number).

    The line's own marker (``line_style``/``line_number``) opens the count, so "1. a; 2. b"
    on one line splits at "2.".
    """
    found: list[tuple[int, int, str, int]] = []
    last_num: dict[str, int] = {}
    last_alpha = 0
    if line_style is not None and line_number is not None:
        if line_style == "alpha":
            last_alpha = line_number
        else:
            last_num[line_style] = line_number
    for m in _INLINE_MARKER.finditer(text, start, end):
        if m.group("alpha"):
            n = ord(m.group("alpha")) - 96
            if n != last_alpha + 1:
                continue
            last_alpha = n
            found.append((m.start(), m.end(), "alpha", n))
            continue
        if m.group("palpha"):
            n = ord(m.group("palpha")) - 96
            if n != last_num.get("(alpha)", 0) + 1:
                continue
            last_num["(alpha)"] = n
            found.append((m.start(), m.end(), "(alpha)", n))
            continue
        if m.group("lead"):
            # "... if at least 1 of the following 5 items is met 1. At least ..."
            if not re.search(
                r"following|as follows|these", text[max(start, m.start() - 60) : m.start()]
            ):
                continue
            style, n = "num.", 1
        elif m.group("pnum"):
            style, n = "(num)", int(m.group("pnum"))
        else:
            style = "num" + m.group("numsep")
            n = int(m.group("num"))
        if n == 0 or n > 40:
            continue
        prev = last_num.get(style)
        # accept 1 (a list starts or restarts nested) or a continuation of any open count
        if n != 1 and prev is None:
            continue
        if n != 1 and prev is not None and n > prev + 1:
            continue
        last_num[style] = n
        found.append((m.start(), m.end(), style, n))
    return found


def _units(text: str, start: int, end: int) -> list[_Unit]:
    units: list[_Unit] = []
    pos = start
    while pos < end:
        nl = text.find("\n", pos, end)
        line_end = end if nl < 0 else nl
        line = text[pos:line_end]
        if line.strip():
            indent, style, number, off = _line_marker(line)
            t_start = pos + off
            t_end = pos + len(line.rstrip())
            pieces = _inline_units(text, t_start, t_end, style, number)
            # the part before the first inline marker belongs to the line's own unit
            first_end = pieces[0][0] if pieces else t_end
            if text[t_start:first_end].strip():
                units.append(
                    _Unit(t_start, first_end, pos + indent, style, number, indent, False, True)
                )
            elif pieces and style is not None:
                # a bare marker line followed by inline items: keep the marker as its own unit
                units.append(
                    _Unit(t_start, t_start, pos + indent, style, number, indent, False, True)
                )
            for i, (m_start, txt_start, st, n) in enumerate(pieces):
                p_end = pieces[i + 1][0] if i + 1 < len(pieces) else t_end
                units.append(_Unit(txt_start, p_end, m_start, st, n, indent + 2, True, False))
        pos = line_end + 1
    # trim trailing spaces of every unit
    for u in units:
        while u.end > u.start and text[u.end - 1].isspace():
            u.end -= 1
    return units


_TERMINAL = re.compile(r"[.;:!?。]\s*$")
_LOWER_START = re.compile(r"[a-z(\[,]")
_TITLE = re.compile(r"[A-Z][A-Za-z ]{0,40}:\s*$")


def _merge_continuations(text: str, units: list[_Unit]) -> list[_Unit]:
    """Join hard-wrapped lines (no marker) onto the unit they continue."""
    out: list[_Unit] = []
    for u in units:
        if out and u.style is None and u.new_line:
            prev = out[-1]
            prev_text = text[prev.start : prev.end]
            this_text = text[u.start : u.end]
            lower_start = bool(_LOWER_START.match(this_text))
            if lower_start or not _TERMINAL.search(prev_text) and not _looks_like_title(this_text):
                prev.end = u.end
                continue
        out.append(u)
    return [u for u in out if u.end > u.start or u.style is not None]


def _looks_like_title(s: str) -> bool:
    return bool(_TITLE.match(s))


def _ends_with_colon(text: str, item: Item) -> bool:
    return text[item.start : item.end].rstrip().endswith(":")


_MAX_DEPTH = 8


def _build_tree(text: str, units: list[_Unit], section: str, items: list[Item]) -> list[int]:
    roots: list[int] = []
    # stack of (style, last number, indent, item index)
    stack: list[list[object]] = []
    for u in units:
        item = Item(
            start=u.start,
            end=u.end,
            line_start=u.line_start,
            section=section,
            style=u.style,
            number=u.number,
            indent=u.indent,
            inline=u.inline,
        )
        idx = len(items)
        items.append(item)
        prev_colon = (
            bool(items[idx - 1 :] and len(items) > 1)
            and idx > 0
            and (items[idx - 1].section == section and _ends_with_colon(text, items[idx - 1]))
        )
        level: int | None = None
        as_child = False
        if u.style is None:
            if prev_colon and stack:
                as_child = True
            elif stack and not u.inline and u.indent >= int(str(stack[-1][2])):
                # an unmarked line at the previous item's depth: a sibling of it; the open
                # list keeps counting past it ("2. ..." / unmarked line / "3. ...")
                if len(stack) >= 2:
                    parent = int(str(stack[-2][3]))
                    item.parent = parent
                    items[parent].children.append(idx)
                else:
                    roots.append(idx)
                continue
            else:
                stack.clear()
        else:
            same = [i for i, e in enumerate(stack) if e[0] == u.style]
            if u.number is not None:
                cont = [i for i in same if u.number == int(str(stack[i][1])) + 1]
                if len(cont) > 1 and not u.inline:
                    aligned = [i for i in cont if int(str(stack[i][2])) == u.indent]
                    cont = aligned or cont
                if cont:
                    level = cont[-1]
                elif stack and (
                    prev_colon
                    or (u.number == 1 and (u.inline or u.indent > int(str(stack[-1][2]))))
                ):
                    as_child = True  # a list restarting at 1 under a lead-in / indented
                elif same:
                    level = same[-1]
                elif stack:
                    as_child = True
            else:
                if same and not u.inline:
                    # the same bullet at the nearest indentation not deeper than this line
                    fitting = [i for i in same if int(str(stack[i][2])) <= u.indent + 1]
                    level = fitting[-1] if fitting else same[0]
                    if u.indent > int(str(stack[level][2])) + 1:
                        level = None
                        as_child = True
                elif same:
                    level = same[-1]
                elif stack:
                    as_child = True
        if level is not None:
            del stack[level:]
            as_child = bool(stack)
        if as_child and len(stack) >= _MAX_DEPTH:
            as_child = False
            level = len(stack) - 1
            del stack[level:]
            as_child = bool(stack)
        if as_child and stack:
            parent = int(str(stack[-1][3]))
            item.parent = parent
            items[parent].children.append(idx)
        else:
            stack.clear()
            roots.append(idx)
        if u.style is not None or _ends_with_colon(text, item):
            stack.append([u.style, u.number or 0, u.indent, idx])
    return roots


# ------------------------------------------------------------------------ cohorts

_NUMBERISH = re.compile(r"\d|[<>=]")
_TITLE_WORDS = re.compile(
    r"^(?:(?:relaps(?:ed|ing)|refractory|recurrent|progressive|active|severe|treatment[- ]"
    r"resistant|r/r|and|or|/|-|,|\s)+)?",
    re.IGNORECASE,
)


def _disease_title(text: str) -> tuple[str, ...]:
    """Keys when ``text`` is just a (qualified) disease name, like "Refractory SSc."."""
    s = text.strip().rstrip(".:;")
    if len(s.split()) > 9 or _NUMBERISH.search(s):
        return ()
    keys = cohort_keys(s)
    if not keys:
        return ()
    rest = _TITLE_WORDS.sub("", s)
    for _key, a, b in lexicon.find_all(lexicon.CONDITIONS, rest):
        rest = rest[:a] + " " * (b - a) + rest[b:]
    rest = _IIM_RX.sub(" ", rest)
    rest = re.sub(
        r"\b(?:relaps\w*|refractory|recurrent|progressive|diffuse|primary|disease|cohort|"
        r"adult|juvenile|childhood|onset|systemic|and|or|the|with|patients?)\b|[()/,\-]",
        " ",
        rest,
        flags=re.IGNORECASE,
    )
    return keys if not rest.strip() else ()


def _mark_cohorts(text: str, items: list[Item], roots: list[int]) -> None:
    # 1) a root inclusion item with children that names a target disease
    for r in roots:
        it = items[r]
        if it.section != "inclusion" or it.cohort_keys or not it.children:
            continue
        own = text[it.start : it.end]
        keys = cohort_keys(own)
        if keys and (len(own) < 260):
            _assign(items, r, keys, cohort_name(keys, None))
    # 2) a run of disease titles among siblings (needs at least two titles)
    siblings_groups: dict[int | None, list[int]] = {}
    for i, it in enumerate(items):
        siblings_groups.setdefault(it.parent, []).append(i)
    for group in siblings_groups.values():
        titles = [
            (i, _disease_title(text[items[i].start : items[i].end]))
            for i in group
            if items[i].section == "inclusion" and not items[i].cohort_keys
        ]
        titled = [(i, k) for i, k in titles if k]
        if len(titled) < 2:
            continue
        current: tuple[tuple[str, ...], str | None] | None = None
        title_at = dict(titled)
        for i in group:
            if items[i].section != "inclusion":
                current = None
                continue
            if items[i].children and items[i].cohort_keys:
                current = None  # a titled group (rule 1) owns its subtree only
                continue
            if i in title_at:
                keys = title_at[i]
                current = (keys, cohort_name(keys, None))
            if current is not None and not items[i].cohort_keys:
                _assign(items, i, current[0], current[1])


def _assign(items: list[Item], idx: int, keys: tuple[str, ...], label: str | None) -> None:
    items[idx].cohort_keys = keys
    items[idx].cohort_label = label
    for c in items[idx].children:
        _assign(items, c, keys, label)


# ------------------------------------------------------------------------ entry point


def split(text: str) -> Layout:
    """Sections, cohorts and items of cleaned eligibility ``text``."""
    headers = _headers(text)
    items: list[Item] = []
    roots: list[int] = []
    bounds: list[tuple[int, int, str, Header | None, bool]] = []
    if not headers:
        bounds.append((0, len(text), "inclusion", None, True))
    else:
        if text[: headers[0].start].strip():
            bounds.append((0, headers[0].start, "inclusion", None, True))
        for i, h in enumerate(headers):
            end = headers[i + 1].start if i + 1 < len(headers) else len(text)
            bounds.append((h.end, end, h.section, h, False))
    for start, end, section, header, implicit in bounds:
        units = _merge_continuations(text, _units(text, start, end))
        first = len(items)
        roots.extend(_build_tree(text, units, section, items))
        for it in items[first:]:
            it.implicit_section = implicit
            if header is not None and header.cohort_label:
                it.cohort_label = cohort_name(header.cohort_keys, header.cohort_label)
                it.cohort_keys = header.cohort_keys
    _mark_cohorts(text, items, roots)
    return Layout(tuple(headers), tuple(items), tuple(roots), bool(headers))


# ------------------------------------------------------------------------ clauses

_ABBREV = re.compile(r"(?:\b(?:e\.g|i\.e|vs|etc|al|approx|Dr|no|Fig|incl|ca)|\b[A-Z])\.$")


_CLAUSE_CHARS = re.compile(r"[;.()\[\]]")
#: after a full stop, the marker of a run-in list item ("... 2 weeks. 5. Screening is",
#: "... unless contraindicated. 3.3 Worsening", "... drug. * Either"): a sentence end too
_NEXT_ITEM = re.compile(r"(?:\d{1,2}(?:\.\d{1,2})?[.)]?|[*•-])\s+[A-Z]")


def clauses(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """Split ``text[start:end]`` at ``;`` and sentence ends outside parentheses."""
    out: list[tuple[int, int]] = []
    depth = 0
    seg = start
    for m in _CLAUSE_CHARS.finditer(text, start, end):
        ch = m.group(0)
        i = m.start()
        if ch in "([":
            depth += 1
        elif ch in ")]":
            depth = max(0, depth - 1)
        elif depth == 0 and (
            ch == ";"
            or (
                ch == "."
                and i + 2 < end
                and text[i + 1] == " "
                and (
                    text[i + 2].isupper()
                    or text[i + 2] in "(\"'"
                    or _NEXT_ITEM.match(text, i + 2, end) is not None
                )
                and not _ABBREV.search(text[max(seg, i - 8) : i + 1])
                and not text[i - 1 : i].isdigit()
            )
        ):
            out.append((seg, i + 1))
            seg = i + 1
    if seg < end:
        out.append((seg, end))
    result: list[tuple[int, int]] = []
    for a, b in out:
        while a < b and text[a].isspace():
            a += 1
        while b > a and text[b - 1].isspace():
            b -= 1
        if b > a:
            result.append((a, b))
    return result
