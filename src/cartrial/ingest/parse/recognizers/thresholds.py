"""Thresholds: a lab value, a score or a derived value against a number, a ULN multiple or a
range ("ALT <= 2.5 x ULN", "AST and ALT <= 3 x ULN", "SLEDAI-2K >= 6"), with an exception
written right after it ("except Gilbert's syndrome, total bilirubin <= 3 x ULN")."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from cartrial.criteria.nodes import (
    AllOf,
    AnyOf,
    Comparator,
    ConditionHistory,
    Criterion,
    ManualReview,
    Measurement,
    Not,
    Score,
)
from cartrial.ingest.parse import grammar
from cartrial.ingest.parse import lexicon as lx
from cartrial.ingest.parse.hits import Ctx, Hit, merge_notes, window
from cartrial.ingest.parse.patterns import (
    NEGATED,
    comparator,
    to_number,
    ucum,
)
from cartrial.ingest.parse.recognizers.common import (
    DEFINITION_RX,
    combine,
    exception_after,
    is_relative,
    vocab_note,
)
from cartrial.ingest.parse.recognizers.names import (
    ALLOWED_UNITS,
    DERIVED_RX,
    LAB_RX,
    SCORE_RX,
    group_keys,
    name_starts,
    names_any,
    score_key,
)
from cartrial.ingest.parse.recognizers.pairs import grammar_bounds, pair_hit
from cartrial.ingest.parse.recognizers.renal import derived_hit
from cartrial.ingest.parse.temporal import WindowHit

_I = re.IGNORECASE
_DIGIT = re.compile(r"\d")
_CANNOT_MAINTAIN = re.compile(r"cannot\s+be\s+maintained|unable\s+to\s+maintain", _I)


def thresholds(ctx: Ctx, text: str, base: int) -> list[Hit]:
    hits: list[Hit] = []
    if _DIGIT.search(text) is None:
        return hits
    if DEFINITION_RX.match(text) and not _CANNOT_MAINTAIN.search(text):
        return hits  # "Definition of progressive: ... > 25% increase": explanation, not a criterion
    taken: list[tuple[int, int]] = []
    for family, rx in (("derived", DERIVED_RX), ("score", SCORE_RX), ("lab", LAB_RX)):
        last_end = -1
        for pos in name_starts(family, text, base):
            if pos < last_end:
                continue
            m = rx.match(text, pos)
            if m is None:
                continue
            if any(m.start() < e and s < m.end() for s, e in taken):
                continue
            hit = _threshold_hit(ctx, text, base, m, family)
            if hit is None:
                continue
            last_end = m.end()
            hits.append(hit)
            taken.append((m.start(), m.end() if hit.claim is None else hit.claim[1] - base))
    return hits


@dataclass(frozen=True)
class _Reading:
    """One comparison read after a threshold's names: what the families build nodes from."""

    cmp: Comparator
    value: float
    unit: str | None
    note: str | None
    conf_adj: float


def _threshold_hit(ctx: Ctx, text: str, base: int, m: re.Match[str], family: str) -> Hit | None:
    fill = m.group("fill") or ""
    if fill.strip() and names_any(re.sub(r"\([^()]*\)", "", fill)):
        return None  # the comparator belongs to a later name
    if family in ("lab", "score"):
        pair = grammar_bounds(text, m, family)
        if pair is not None:
            return pair_hit(ctx, text, base, m, family, *pair)
    r = _reading(text, m, fill)
    if r is None:
        return None
    if family == "derived":
        return derived_hit(ctx, text, base, m, r.cmp, r.value, r.unit, r.note, r.conf_adj)
    if family == "score":
        return _score_hit(text, base, m, r)
    return _lab_hit(ctx, text, base, m, fill, r)


_IMPLICIT_AT_LEAST = re.compile(r"\b(?:are|is|was|were|at|elevated|increased|levels?)\s*$", _I)
_NOT_MAINTAINED = re.compile(
    r"(?:cannot|can\s*not|could\s+not|unable\s+to|fail\w*\s+to)\s+(?:be\s+)?maintain\w*", _I
)
_FAILURE_BEFORE = re.compile(r"fails?\s+to|failure", _I)


def _reading(text: str, m: re.Match[str], fill: str) -> _Reading | None:
    """The comparator, value and unit of a threshold match, with how sure the reading is; None
    when there is no comparator, the number is unreadable, or the text states a change."""
    cmp = comparator(m.group("cmp"), m.group("post"))
    implicit = (
        cmp is None
        and m.group("cmp") is None
        and m.group("mult") == "xULN"
        and bool(_IMPLICIT_AT_LEAST.search(m.group("names") + fill))
    )
    if implicit:
        cmp = Comparator.GE  # "muscle enzyme levels are 1.5 x ULN": at least
    if cmp is None:
        return None
    negate = bool(_NOT_MAINTAINED.search(text[max(0, m.start() - 150) : m.start()]))
    if negate:
        cmp = NEGATED[cmp]
    try:
        value = to_number(m.group("val"))
    except ValueError:
        return None
    if is_relative(text, m.start(), m.end("val"), fill):
        return None
    unit_raw = m.group("unit")
    note, conf_adj = _reading_note(text, m.start(), negate)
    if implicit:
        note = merge_notes(note, "no comparator written: 'at least' assumed")
        conf_adj *= 0.85
    return _Reading(cmp, value, ucum(unit_raw) if unit_raw else None, note, conf_adj)


def _reading_note(text: str, start: int, negate: bool) -> tuple[str | None, float]:
    """A note and a confidence factor for a level that "cannot be maintained" or a threshold
    read from a definition or a failure statement."""
    if negate:
        return "the text's level 'cannot be maintained': read as not above it", 0.75
    if DEFINITION_RX.match(text) or _FAILURE_BEFORE.search(text[max(0, start - 80) : start]):
        return "read from a definition; check that this threshold is a criterion", 0.55
    return None, 1.0


def _score_hit(text: str, base: int, m: re.Match[str], r: _Reading) -> Hit | None:
    """Score nodes for "SLEDAI-2K >= 6", "DAS28 or CDAI > 3.2" (no ULN multiple; a % only on
    the scales written in %: "Karnofsky > 70 %")."""
    keys, joiner = group_keys(
        lx.SCORES, m.group("names"), text[m.end("names") : m.end("names") + 60]
    )
    if not keys or m.group("mult"):
        return None
    if r.unit == "%" and not all(k in lx.PERCENT_SCORES for k in keys):
        return None
    keys = [score_key(k, text) for k in keys]
    cmp, value, note = r.cmp, r.value, r.note

    def build_score(c: Ctx, w: WindowHit | None, a: int, b: int, cf: float) -> Criterion:
        nodes: list[Criterion] = [
            Score(
                instrument=k,
                comparator=cmp,
                value=value,
                lookback=window(w),
                **c.common(a, b, cf, merge_notes(note, vocab_note(k))),
            )
            for k in keys
        ]
        return combine(c, nodes, joiner, a, b, cf)

    return Hit(
        base + m.start(), base + m.end(), build_score, frozenset({"within"}), 0.9 * r.conf_adj
    )


def _lab_keys(names: str, fill: str, note: str | None) -> tuple[list[str], str, str | None] | None:
    """The analytes named, expanded ("muscle enzymes" -> CK and aldolase, or the text's own
    list in brackets), their joiner and the note that says so."""
    keys, joiner = group_keys(lx.ANALYTES, names)
    if not keys:
        return None
    listed = re.match(r"\s*\(([^()]*)\)", fill)
    named = lx.keys_in(lx.ANALYTES, listed.group(1)) if listed and len(keys) == 1 else []
    if keys[0] in lx.EXPANSIONS and len(named) >= 2:
        # "muscle enzymes (CK, AST, ALT, aldolase, LDH)": the text's own list
        keys, joiner = named, "or"
        note = merge_notes(note, "any of the enzymes listed")
    expanded: list[str] = []
    for k in keys:
        for e in lx.EXPANSIONS.get(k, (k,)):
            if e not in expanded:
                expanded.append(e)
    if expanded != keys:
        note = merge_notes(note, "muscle enzymes read as creatine kinase and aldolase")
        joiner = "or"
    return expanded, joiner, note


def _lab_unit(text: str, m: re.Match[str], key: str, unit: str | None) -> str | None:
    """The unit written, or the one implied by the analyte: an amount per 24-hour collection,
    a time for a time observation."""
    if unit is None and key == "urine_protein_24h":
        # "24-hour urine protein >= 0.5 g": an amount per 24-hour collection
        q = grammar.quantity(text, m.start("val"))
        if q is not None and q.unit in ("g", "mg"):
            unit = f"{q.unit}/(24.h)"
    if unit is None and key in lx.TIME_OBSERVATIONS:
        q = grammar.quantity(text, m.start("val"))
        unit = q.unit if q is not None and q.unit in ("a", "mo", "wk", "d") else None
    return unit


def _lab_field(
    text: str, m: re.Match[str], key: str, r: _Reading, conf: float
) -> tuple[dict[str, object], float] | None:
    """The fields of one Measurement and the confidence left; None when the unit cannot be
    told (a threshold without a unit is not guessed)."""
    f: dict[str, object] = {"concept": key}
    mult = m.group("mult")
    if mult:
        f["uln_multiple" if mult.endswith("ULN") else "lln_multiple"] = r.value
    else:
        k_unit = _lab_unit(text, m, key, r.unit)
        if k_unit is None:
            k_unit = lx.DEFAULT_UNITS.get(key)
            if k_unit == "%" and r.value < 2:
                return None  # "FVC 0.7": a fraction, not a percentage: not guessed
            if k_unit is None:
                return None  # a threshold without a unit is not guessed
            conf = min(conf, 0.85 * r.conf_adj)
        if k_unit == "%" and key == "cd19_abs":
            f["concept"] = key = "cd19_pct"
        elif k_unit == "%" and key not in lx.DEFAULT_UNITS:
            return None
        allowed = ALLOWED_UNITS.get(key)
        if allowed is not None and k_unit not in allowed:
            conf = min(conf, 0.6)
            f["note"] = f"unit {k_unit} is unusual for {key}"
        f["value"] = r.value
        f["unit"] = k_unit
        if key in lx.PERCENT_PREDICTED:
            f["note"] = "% of predicted"
    if key in lx.NOT_IN_VOCABULARY:
        f["note"] = merge_notes(str(f.get("note") or ""), vocab_note(key))
    return f, conf


def _lab_hit(
    ctx: Ctx, text: str, base: int, m: re.Match[str], fill: str, r: _Reading
) -> Hit | None:
    """Measurement nodes for the analytes named, joined as the text joins them, with an
    exception written right after the threshold ("(except Gilbert's syndrome, TBIL <= 3 x ULN)")."""
    got = _lab_keys(m.group("names"), fill, r.note)
    if got is None:
        return None
    keys, joiner, note = got
    conf = 0.95 * r.conf_adj
    fields: list[dict[str, object]] = []
    for key in keys:
        field = _lab_field(text, m, key, r, conf)
        if field is None:
            return None
        fields.append(field[0])
        conf = field[1]
    start, end = m.start(), m.end()
    exc = exception_after(text, end)
    exc_node_fn: Callable[[Ctx, float], Criterion] | None = None
    claim_end = end
    if exc is not None:
        claim_end = end + exc.end()
        exc_node_fn = _exception_builder(
            ctx, text, base, end + exc.start("body"), end + exc.end("body"), keys
        )
    else:
        alt = _alternative_limit(ctx, text, base, end, fields)
        if alt is not None:
            claim_end, exc_node_fn = end + alt[0], alt[1]
    cmp = r.cmp

    def build_lab(c: Ctx, w: WindowHit | None, a: int, b: int, cf: float) -> Criterion:
        nodes: list[Criterion] = []
        # the node(s) quote the whole stretch read (with its window) unless an exception
        # follows, which then gets the wider stretch
        outer = (a, b) if exc_node_fn is None else (base + start, base + end)
        inner = outer if len(fields) == 1 else (base + start, base + end)
        for f in fields:
            f = dict(f)
            extra = f.pop("note", None)
            nodes.append(
                Measurement(
                    comparator=cmp,
                    lookback=window(w),
                    **f,
                    **c.common(
                        inner[0],
                        inner[1],
                        cf,
                        merge_notes(note, str(extra) if extra else None),
                    ),
                )
            )
        main = combine(c, nodes, joiner, outer[0], outer[1], cf)
        if exc_node_fn is None:
            return main
        other = exc_node_fn(c, cf)
        if c.section == "exclusion":
            return AllOf(
                items=(main, Not(item=other, **c.common(base + end, claim_end + base, cf))),
                **c.common(a, b, cf * 0.9, "exception read as 'and not'"),
            )
        return AnyOf(items=(main, other), **c.common(a, b, cf * 0.9, "threshold with an exception"))

    return Hit(
        base + start,
        base + end,
        build_lab,
        frozenset({"within"}),
        conf,
        claim=(base + start, base + claim_end),
        exc_zone=(base + end, base + claim_end) if exc is not None else None,
    )


#: "(or <= 3 x ULN for subjects with Gilbert syndrome)", "(< 3.0 mg/dL in Gilbert's)": the
#: same analyte's limit for a named group, written without the analyte's name
_ALT_LIMIT = re.compile(
    r"\s*[,;]?\s*\(\s*(?:or\s+)?(?P<q>(?:<=|>=|<|>)\s*[\d.]+[^()]{0,20}?)\s+"
    r"(?:for|in|if|with)\s+(?P<who>[^()]{3,80})\)",
    _I,
)


def _alternative_limit(
    ctx: Ctx, text: str, base: int, end: int, fields: list[dict[str, object]]
) -> tuple[int, Callable[[Ctx, float], Criterion]] | None:
    """A bracketed limit of the same analyte for a named group, right after a threshold: in
    an inclusion, ``any of (main, all of (the group, the other limit))``; the group must be a
    disease the lexicon names and the bound the same kind (ULN multiple or the same unit) as
    the main one, else the aside is left to a person (never a guess). Returns (the aside's
    end relative to ``end``, the builder of the alternative)."""
    m = _ALT_LIMIT.match(text, end)
    if m is None:
        return None
    c = grammar.constraint(text, m.start("q"))
    conds = tuple(dict.fromkeys(k for k, _s, _e in lx.find_all(lx.CONDITIONS, m.group("who"))))
    alt_fields: list[dict[str, object]] = []
    if c is not None and len(c.bounds) == 1 and conds and ctx.section == "inclusion":
        bound = c.bounds[0]
        for f in fields:
            g = {k: v for k, v in f.items() if k != "note"}
            if "uln_multiple" in f and bound.multiple == "ULN":
                g["uln_multiple"] = bound.value
            elif "value" in f and bound.multiple is None and bound.unit in (None, f.get("unit")):
                g["value"] = bound.value
            else:
                break
            alt_fields.append(g)
    q_start, q_end = base + m.start(), base + m.end()
    if len(alt_fields) != len(fields):

        def review(c: Ctx, cf: float) -> Criterion:
            return ManualReview(
                data_hint="another limit for a subgroup",
                **c.common(q_start, q_end, 1.0, "a limit for a named group: check by hand"),
            )

        return m.end() - end, review
    w_start, w_end = base + m.start("who"), base + m.end("who")
    cmp = c.bounds[0].comparator if c is not None else None

    def build(c: Ctx, cf: float) -> Criterion:
        group = ConditionHistory(concepts=conds, **c.common(w_start, w_end, cf * 0.9))
        limits = [
            Measurement(comparator=cmp, lookback=None, **f, **c.common(q_start, q_end, cf * 0.9))
            for f in alt_fields
        ]
        return AllOf(items=(group, *limits), **c.common(q_start, q_end, cf * 0.9))

    return m.end() - end, build


def _exception_builder(
    ctx: Ctx, text: str, base: int, e_start: int, e_end: int, keys: Sequence[str]
) -> Callable[[Ctx, float], Criterion]:
    body = text[e_start:e_end]
    conds = [(k, s, e) for k, s, e in lx.find_all(lx.CONDITIONS, body) if k not in ("malignancy",)]
    inner = [h for h in _thresholds_plain(ctx, body, base + e_start)]

    def build(c: Ctx, cf: float) -> Criterion:
        parts: list[Criterion] = []
        if conds:
            concepts = tuple(dict.fromkeys(k for k, _, _ in conds))
            s0 = min(s for _, s, _ in conds)
            e0 = max(e for _, _, e in conds)
            parts.append(
                ConditionHistory(
                    concepts=concepts,
                    **c.common(base + e_start + s0, base + e_start + e0, cf * 0.9),
                )
            )
        for h in inner:
            parts.append(h.build(c, None, h.start, h.end, cf * 0.9))
        if not parts or (not conds and not inner):
            return ManualReview(
                data_hint="exception to a threshold",
                **c.common(base + e_start, base + e_end, 1.0, "exception not computable"),
            )
        if conds and not inner and re.search(r"caused\s+by|due\s+to|induced", body, _I):
            parts.append(
                ManualReview(
                    data_hint="cause of the abnormal value",
                    **c.common(base + e_start, base + e_end, 1.0),
                )
            )
        if len(parts) == 1:
            return parts[0]
        return AllOf(items=tuple(parts), **c.common(base + e_start, base + e_end, cf * 0.9))

    return build


def _thresholds_plain(ctx: Ctx, text: str, base: int) -> list[Hit]:
    """Threshold hits inside an exception body (no nested exceptions)."""
    out: list[Hit] = []
    for pos in name_starts("lab", text):
        m = LAB_RX.match(text, pos)
        if m is None:
            continue
        h = _threshold_hit(ctx, text, base, m, "lab")
        if h is not None:
            h.claim = None
            out.append(h)
    return out
