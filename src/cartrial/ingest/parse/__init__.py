"""Eligibility text -> criteria nodes.

:func:`parse_eligibility` cleans the text (:mod:`.normalize`), splits sections, cohorts and
list items (:mod:`.sections`), reads each clause with the recognizers (:mod:`.recognizers`)
and returns a :class:`ParseResult`: one :class:`ParsedCriterion` per top-level item, each with
a criteria tree whose every node records ``span`` (offsets into the *original* text), ``text``,
``review: auto`` and a ``confidence``. What is not understood becomes a ``ManualReview`` node
carrying its sentence; nothing is dropped.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from cartrial.criteria.nodes import (
    Age,
    AllOf,
    AnyOf,
    AtLeast,
    Criterion,
    Derived,
    ManualReview,
)
from cartrial.criteria.walk import children, rewrite
from cartrial.ingest.parse import lexicon
from cartrial.ingest.parse.normalize import Normalized, normalize
from cartrial.ingest.parse.recognizers import Ctx, recognize
from cartrial.ingest.parse.records import node_records
from cartrial.ingest.parse.sections import Item, Layout, clauses, split
from cartrial.ingest.parse.temporal import WindowHit

__all__ = [
    "ParseResult",
    "all_nodes",
    "ParsedCriterion",
    "node_records",
    "parse_eligibility",
]

MAX_CHARS = 2_000_000


@dataclass(frozen=True)
class ParsedCriterion:
    """One top-level criterion: its section, cohort, sentence span and criteria tree."""

    section: str
    cohort: str | None
    cohort_keys: tuple[str, ...]
    node: Criterion
    span: tuple[int, int]
    text: str
    computable_clauses: int
    clauses: int


@dataclass(frozen=True)
class ParseResult:
    text: str
    criteria: tuple[ParsedCriterion, ...]
    headers: tuple[tuple[int, int], ...]
    has_headers: bool
    warnings: tuple[str, ...] = ()
    manual_windows: dict[tuple[int, int], WindowHit] = field(default_factory=dict)
    #: facts read exactly on review nodes the criteria model cannot compute (dose caps...)
    manual_facts: dict[tuple[int, int], tuple[dict[str, Any], ...]] = field(default_factory=dict)
    #: spans of history nodes read from a washout ("at least 4 weeks since X" = Not(X within 4 weeks))
    washouts: frozenset[tuple[int, int]] = frozenset()

    def section(self, name: str) -> tuple[ParsedCriterion, ...]:
        return tuple(c for c in self.criteria if c.section == name)

    @property
    def clause_count(self) -> int:
        return sum(c.clauses for c in self.criteria)

    @property
    def computable_clause_count(self) -> int:
        return sum(c.computable_clauses for c in self.criteria)

    def records(self) -> list[dict[str, Any]]:
        return node_records(self)


_LEADIN_ANY = re.compile(
    r"\b(?:any\s+(?:one\s+)?of\s+the\s+following|one\s+of\s+the\s+following|either\b|"
    r"at\s+least\s+(?:one|1)\s+of\s+the\s+following|meeting\s+any)",
    re.IGNORECASE,
)
_LEADIN_ATLEAST = re.compile(
    r"\bat\s+least\s+(?P<n>two|three|four|2|3|4)\s+(?:of\s+the\s+following|of\s+these|abnormalit)",
    re.IGNORECASE,
)
_NUMS = {"two": 2, "three": 3, "four": 4, "2": 2, "3": 3, "4": 4}


def parse_eligibility(text: str) -> ParseResult:
    """Parse free-text eligibility criteria (never raises on odd input; see warnings)."""
    warnings: list[str] = []
    if not isinstance(text, str):
        raise TypeError("eligibility text must be a string")
    if len(text) > MAX_CHARS:
        warnings.append(f"text longer than {MAX_CHARS} characters: only the start was parsed")
    src = text[:MAX_CHARS]
    norm = normalize(src)
    with lexicon.scope(norm.text):
        return _parse(src, norm, warnings)


def _parse(src: str, norm: Normalized, warnings: list[str]) -> ParseResult:
    layout = split(norm.text)
    if not src.strip():
        warnings.append("empty eligibility text")
    elif not layout.has_headers:
        warnings.append(
            "no 'Inclusion Criteria' / 'Exclusion Criteria' headers: all read as inclusion"
        )
    ctxs: dict[tuple[str, tuple[str, ...]], Ctx] = {}
    manual_windows: dict[tuple[int, int], WindowHit] = {}
    doc: dict[str, Any] = {}  # per-document memo shared by every Ctx
    out: list[ParsedCriterion] = []
    kids_allowed = False
    for root in layout.roots:
        item = layout.items[root]
        ctx = ctxs.setdefault(
            (item.section, item.cohort_keys),
            Ctx(norm, item.section, item.cohort_keys, manual_windows, doc=doc),
        )
        built = _item_node(norm, layout, root, ctx, ctxs, manual_windows)
        if built is None:
            continue
        node, n_clauses, n_comp = built
        a, b = norm.span(item.line_start, _subtree_end(layout, root))
        kids_allowed = kids_allowed or _admits_children(node)
        out.append(
            ParsedCriterion(
                section=item.section,
                cohort=item.cohort_label,
                cohort_keys=item.cohort_keys,
                node=_fix_pediatric(node) if kids_allowed else node,
                span=(a, b),
                text=src[a:b],
                computable_clauses=n_comp,
                clauses=n_clauses,
            )
        )
    headers = tuple(norm.span(h.start, h.end) for h in layout.headers)
    return ParseResult(
        text=src,
        criteria=tuple(out),
        headers=headers,
        has_headers=layout.has_headers,
        warnings=tuple(warnings),
        manual_windows=manual_windows,
        manual_facts=dict(doc.get("manual_facts") or {}),
        washouts=frozenset(doc.get("washouts") or ()),
    )


def _subtree_end(layout: Layout, idx: int) -> int:
    item = layout.items[idx]
    end = item.end
    for c in item.children:
        end = max(end, _subtree_end(layout, c))
    return end


def _item_node(
    norm: Normalized,
    layout: Layout,
    idx: int,
    ctx: Ctx,
    ctxs: dict[tuple[str, tuple[str, ...]], Ctx],
    manual_windows: dict[tuple[int, int], WindowHit],
) -> tuple[Criterion, int, int] | None:
    item = layout.items[idx]
    text = norm.text
    own: list[Criterion] = []
    n_clauses = n_comp = 0
    cl = _merge_exception_lists(text, clauses(text, item.start, item.end))
    connectors: list[str | None] = []
    for a, b in cl:
        res = recognize(ctx, text, a, b)
        if res.node is None:
            continue
        n_clauses += 1
        n_comp += int(res.computable)
        own.append(res.node)
        head = text[a:b].lstrip(" ,").lower()
        connectors.append(
            "or" if head.startswith("or ") else "and" if head.startswith("and ") else None
        )
    own_node = _join_clauses(ctx, own, connectors, item)
    kids: list[Criterion] = []
    for c in item.children:
        child = layout.items[c]
        cctx = ctxs.setdefault(
            (child.section, child.cohort_keys),
            Ctx(norm, child.section, child.cohort_keys, manual_windows, doc=ctx.doc),
        )
        built = _item_node(norm, layout, c, cctx, ctxs, manual_windows)
        if built is None:
            continue
        kids.append(built[0])
        n_clauses += built[1]
        n_comp += built[2]
    if not kids:
        return (own_node, n_clauses, n_comp) if own_node is not None else None
    lead = text[item.start : item.end]
    items: list[Criterion] = []
    if own_node is not None and not _is_pure_leadin(own_node, lead):
        items.append(own_node)
    items.extend(kids)
    common = ctx.common(item.start, item.end, 1.0)
    common.pop("confidence")
    conf = min((n.confidence or 1.0) for n in items)
    m_at = _LEADIN_ATLEAST.search(lead)
    group: Criterion
    if (
        m_at
        and _NUMS[m_at.group("n").lower()] <= len(kids)
        and not (own_node is not None and items[0] is own_node)
    ):
        group = AtLeast(
            n=_NUMS[m_at.group("n").lower()], items=tuple(items), confidence=conf, **common
        )
    elif _LEADIN_ANY.search(lead) or item.section == "exclusion":
        if own_node is not None and items and items[0] is own_node and item.section == "inclusion":
            group = AllOf(
                items=(own_node, AnyOf(items=tuple(kids), confidence=conf, **common)),
                confidence=conf,
                **common,
            )
        else:
            group = AnyOf(items=tuple(items), confidence=conf, **common)
    else:
        group = AllOf(items=tuple(items), confidence=conf, **common)
    return group, n_clauses, n_comp


_EXC_WORD = re.compile(
    r"\b(?:except|excluding|other\s+than|with\s+the\s+exception\s+of)\b", re.IGNORECASE
)


def _merge_exception_lists(text: str, parts: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """ "X, except for A; B; C" lists exceptions across ';': keep them in X's clause."""
    out: list[tuple[int, int]] = []
    in_exc = False
    for a, b in parts:
        piece = text[a:b]
        if out and in_exc and len(piece.split()) <= 6 and not re.search(r"[<>=]|\d", piece):
            out[-1] = (out[-1][0], b)
            continue
        out.append((a, b))
        low = piece.lower()
        in_exc = ("xcept" in low or "xcluding" in low or "other than" in low) and bool(
            _EXC_WORD.search(piece)
        )
    return out


def _is_pure_leadin(node: Criterion, lead: str) -> bool:
    """A manual lead-in like "Liver function:" or "... meet the following requirements:"."""
    if not isinstance(node, ManualReview):
        return False
    s = lead.strip()
    return s.endswith(":") and (
        len(s.split()) <= 6
        or bool(
            re.search(
                r"following|as\s+follows|requirements?|criteria|defined\s+as|\bmeet\b|needs?\s+to|"
                r"\bmust\b|\bshould\b",
                s,
                re.IGNORECASE,
            )
        )
    )


def _join_clauses(
    ctx: Ctx, nodes: list[Criterion], connectors: list[str | None], item: Item
) -> Criterion | None:
    if not nodes:
        return None
    if len(nodes) == 1:
        return nodes[0]
    default = "or" if ctx.section == "exclusion" else "and"
    if ctx.section == "exclusion":
        # "...; and subjects with ..." lists one more exclusion: any of them excludes
        connectors = ["or" for _ in connectors]
    acc: Criterion = nodes[0]
    common = ctx.common(item.start, item.end, 1.0)
    common.pop("confidence")
    for node, conn in zip(nodes[1:], connectors[1:], strict=True):
        op = conn or default
        conf = min(acc.confidence or 1.0, node.confidence or 1.0)
        if op == "or":
            if isinstance(acc, AnyOf) and acc.span == common["span"]:
                acc = acc.model_copy(update={"items": (*acc.items, node), "confidence": conf})
            else:
                acc = AnyOf(items=(acc, node), confidence=conf, **common)
        else:
            if isinstance(acc, AllOf) and acc.span == common["span"]:
                acc = acc.model_copy(update={"items": (*acc.items, node), "confidence": conf})
            else:
                acc = AllOf(items=(acc, node), confidence=conf, **common)
    return acc


def _admits_children(node: Criterion) -> bool:
    return any(
        isinstance(n, Age) and n.min_years is not None and n.min_years < 18 for n in _iter(node)
    )


def _fix_pediatric(node: Criterion) -> Criterion:
    """eGFR in a trial that admits children: bedside Schwartz rather than CKD-EPI."""

    def fix(n: Criterion) -> Criterion:
        if (
            isinstance(n, Derived)
            and n.calculator == "egfr_ckd_epi_2021"
            and n.note
            and "not named" in n.note
        ):
            return n.model_copy(
                update={
                    "calculator": "egfr_bedside_schwartz",
                    "note": "formula not named; the trial admits children: bedside Schwartz assumed",
                }
            )
        return n

    return rewrite(node, fix)


def _iter(node: Criterion) -> Iterator[Criterion]:
    yield node
    for c in children(node):
        yield from _iter(c)


def all_nodes(result: ParseResult) -> Iterator[Criterion]:
    for c in result.criteria:
        yield from _iter(c.node)
