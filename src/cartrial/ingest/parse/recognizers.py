"""Recognizers: one clause of cleaned eligibility text -> hits that build criteria nodes.

A :class:`Hit` marks the evidence it was read from (cleaned offsets) and knows how to build
its node once a time window has been attached. Recognizers run in a fixed order and *claim*
their evidence, so a later, vaguer recognizer (conditions) never re-reads a threshold or a
serology. :func:`recognize` runs them all over one clause.

Every node gets ``text``/``span`` from the original text, ``review: auto`` and a confidence.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from cartrial.criteria.nodes import (
    Age,
    AllOf,
    AnyOf,
    Comparator,
    ConditionHistory,
    Criterion,
    Derived,
    ManualReview,
    Measurement,
    MedicationHistory,
    Not,
    ProcedureHistory,
    Score,
    Serology,
    SexIs,
    Vaccination,
)
from cartrial.domain.patient import Sex
from cartrial.domain.timewindow import TimeUnit, Window
from cartrial.ingest.parse import grammar, therapy
from cartrial.ingest.parse import lexicon as lx
from cartrial.ingest.parse.hits import TIME_CODES, BuildFn, Ctx, Hit, merge_notes, window
from cartrial.ingest.parse.patterns import (
    ANYNUM,
    CMP_POSTFIX,
    CMP_PREFIX,
    NEGATED,
    NUM,
    UNIT,
    comparator,
    to_number,
    ucum,
)
from cartrial.ingest.parse.temporal import WindowHit, find_windows, time_unit

__all__ = ["Ctx", "Hit", "recognize"]

_IIM_RX = re.compile(lx.IIM_PATTERN, re.IGNORECASE)

_I = re.IGNORECASE


# ====================================================================== thresholds

_GUARD_BEFORE = re.compile(
    r"(?:increase|decrease|decline|reduction|drop|change|improvement|worsening|fall|rise|"
    r"reduce|reduced|taper\w*)\s+(?:in|of|to)?\s*(?:the\s+)?[^;.]{0,25}$",
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


def _relative(text: str, start: int, val_end: int, fill: str = "") -> bool:
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


def _names_rx(table: dict[str, tuple[str, ...]]) -> str:
    return r"(?<!\w)" + lx.alternation(p for pats in table.values() for p in pats) + r"(?!\w)"


_LAB_NAME = _names_rx(lx.ANALYTES)
_SCORE_NAME = _names_rx(lx.SCORES)
_DERIVED_NAME = (
    r"(?<!\w)(?:(?:estimated\s+)?(?:creatinine\s+clearance(?:\s+rate)?|glomerular\s+filtration\s+rate)"
    r"(?:\s*\(\s*(?:e?GFR|CrCl|CCr|Ccr|CLcr)\s*\))?|(?-i:CrCl|CCr|Ccr|CLcr|CLCr|eGFR|EGFR|GFR))(?!\w)"
)
_JOIN = r"\s*(?:,\s*(?:and/or|and|or)|,|/|and/or|and|or|&|\+)\s*"
_FILL = r"(?P<fill>(?:\s*\([^()]{0,60}\))?[^\d;<>=()\n]{0,40}?(?:\(\s*(?=[<>\d]))?)"
_TAIL = (
    rf"(?P<cmp>{CMP_PREFIX})?\s*(?P<val>{NUM})\s*"
    rf"(?:(?P<mult>xULN|xLLN)|(?P<unit>{UNIT}))?"
    rf"(?P<alt>\s*(?:\(|,|/)?\s*(?:or\s+)?{NUM}\s*(?:{UNIT})\s*\)?)?"
    rf"(?:\s*(?P<post>{CMP_POSTFIX}))?"
)


def _threshold_rx(name: str) -> re.Pattern[str]:
    return re.compile(rf"(?P<names>{name}(?:{_JOIN}{name}){{0,4}}){_FILL}{_TAIL}", _I)


_LAB_RX = _threshold_rx(_LAB_NAME)
_SCORE_RX = _threshold_rx(_SCORE_NAME)
_DERIVED_RX = _threshold_rx(_DERIVED_NAME)


def _names_any(text: str) -> bool:
    """Does ``text`` name an analyte, a score or a derived value? (The lexicon's dispatched
    scan: the same names as one alternation of all of them, far faster.)"""
    return bool(
        lx.find_all(lx.ANALYTES, text)
        or lx.find_all(lx.SCORES, text)
        or (_DERIVED_HINT.search(text) and _DERIVED_NAME_RX.search(text))
    )


#: units an analyte may be written in (UCUM); anything else lowers confidence
_ALLOWED_UNITS: dict[str, frozenset[str]] = {
    "wbc": frozenset({"10*9/L", "10*3/uL", "/uL"}),
    "anc": frozenset({"10*9/L", "10*3/uL", "/uL"}),
    "alc": frozenset({"10*9/L", "10*3/uL", "/uL"}),
    "platelets": frozenset({"10*9/L", "10*3/uL", "/uL"}),
    "hemoglobin": frozenset({"g/dL", "g/L", "mmol/L"}),
    "alt": frozenset({"U/L", "[IU]/L"}),
    "ast": frozenset({"U/L", "[IU]/L"}),
    "creatine_kinase": frozenset({"U/L", "[IU]/L"}),
    "bilirubin_total": frozenset({"mg/dL", "umol/L"}),
    "creatinine": frozenset({"mg/dL", "umol/L", "mmol/L"}),
    "crp": frozenset({"mg/L", "mg/dL"}),
    "esr": frozenset({"mm/h"}),
    "inr": frozenset({"{INR}"}),
    "prothrombin_time": frozenset({"s"}),
    "igg": frozenset({"mg/dL", "g/L"}),
    "complement_c3": frozenset({"mg/dL", "g/L"}),
    "complement_c4": frozenset({"mg/dL", "g/L"}),
    "lvef": frozenset({"%"}),
    "spo2": frozenset({"%"}),
    "dlco": frozenset({"%"}),
    "fvc_pct_pred": frozenset({"%"}),
    "urine_pcr": frozenset({"mg/g", "mg/mmol", "g/g", "mg/mg", "g/mmol"}),
    "urine_protein_24h": frozenset({"g/(24.h)", "mg/(24.h)"}),
    "qtc": frozenset({"ms", "s"}),
    "body_weight": frozenset({"kg"}),
    "bmi": frozenset({"kg/m2"}),
    "hbv_dna": frozenset({"[IU]/mL", "{copies}/mL"}),
    "hcv_rna": frozenset({"[IU]/mL", "{copies}/mL"}),
    "cd19_abs": frozenset({"/uL", "10*9/L", "10*3/uL"}),
    "anti_dsdna": frozenset({"[IU]/mL"}),
    "mpap": frozenset({"mm[Hg]"}),
}


def _group_keys(
    table: dict[str, tuple[str, ...]], names: str, after: str = ""
) -> tuple[list[str], str]:
    """Keys named in an analyte group and the joiner ("or" / "and" / "list").

    ``after`` (the text following the names) lets a synonym look ahead ("swollen joint count
    ... (66 joints)"); only mentions starting inside ``names`` count.
    """
    keys: list[str] = []
    for key, s, _e in lx.find_all(table, names + after):
        if s < len(names) and key not in keys:
            keys.append(key)
    joiner = "list"
    if re.search(r"\bor\b", names, _I) and not re.search(r"\band\b(?!/)", names, _I):
        joiner = "or"
    elif re.search(r"\band\b", names, _I):
        joiner = "and"
    return keys, joiner


def _combine(
    ctx: Ctx, nodes: list[Criterion], joiner: str, a: int, b: int, conf: float
) -> Criterion:
    if len(nodes) == 1:
        return nodes[0]
    use_any = joiner == "or" or (joiner == "list" and ctx.section == "exclusion")
    cls = AnyOf if use_any else AllOf
    return cls(items=tuple(nodes), **ctx.common(a, b, conf))


def _exception_after(text: str, pos: int) -> re.Match[str] | None:
    return re.match(
        r"\s*[,;]?\s*(?P<open>\()?\s*(?P<body>(?:except(?:\s+for)?|excluding|unless|other\s+than|"
        r"with\s+the\s+exception\s+of|not\s+applicable|no\s+requirements?)\b[^()]*?"
        r"(?:\([^()]*\)[^()]*?)*)(?(open)\)|(?=;|$))",
        text[pos:],
        _I,
    )


_DERIVED_NAME_RX = re.compile(_DERIVED_NAME, _I)
_DERIVED_HINT = re.compile(r"clearance|crcl|ccr|clcr|gfr|glomerular", _I)


def _name_starts(family: str, text: str, base: int | None = None) -> list[int]:
    """Where a name of the family starts (the threshold pattern is tried only there)."""
    if family == "derived":
        if not _DERIVED_HINT.search(text):
            return []
        return [m.start() for m in _DERIVED_NAME_RX.finditer(text)]
    table = lx.SCORES if family == "score" else lx.ANALYTES
    return [s for _k, s, _e in lx.find_all(table, text, base)]


def _thresholds(ctx: Ctx, text: str, base: int) -> list[Hit]:
    hits: list[Hit] = []
    if not re.search(r"\d", text):
        return hits
    if _DEFINITION_RX.match(text) and not re.search(
        r"cannot\s+be\s+maintained|unable\s+to\s+maintain", text, _I
    ):
        return hits  # "Definition of progressive: ... > 25% increase": explanation, not a criterion
    taken: list[tuple[int, int]] = []
    for family, rx in (("derived", _DERIVED_RX), ("score", _SCORE_RX), ("lab", _LAB_RX)):
        last_end = -1
        for pos in _name_starts(family, text, base):
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


_DEFINITION_RX = re.compile(
    r"\s*(?:the\s+)?(?:\w+\s+)?definition\s+of\s+(?:the\s+)?(?:[\w/]+[- ])*?"
    r"(?:relaps|refractor|progress|recurren|routine|intractab|conventional|remission|flare)",
    _I,
)


_SCALE_SET = re.compile(
    r"(?:of\s+)?0(?:\s*,\s*(?:1|2|3))*\s*,?\s*(?:or|and)\s+(?P<max>[1-4])\b", _I
)


def _grammar_bounds(
    text: str, m: re.Match[str], family: str
) -> tuple[tuple[grammar.Bound, ...], str, int] | None:
    """Two bounds (a range, or an either/and pair with a shared unit), or a score read as a
    contiguous set of grades from 0 ("ECOG 0 or 1" = at most 1), by the quantity grammar."""
    pos = m.start("cmp") if m.group("cmp") is not None else m.start("val")
    bare = m.group("cmp") is None or m.group("cmp").strip().lower() in ("of", "=", "==")
    if family == "score" and bare:
        s = _SCALE_SET.match(text, m.start("val"))
        if s is not None and re.fullmatch(
            r"[\s(]*(?:of|score\s+of|status\s+of|=)?\s*", m.group("fill") or ""
        ):
            b = grammar.Bound(Comparator.LE, float(s.group("max")), None, None, s.start(), s.end())
            return (b,), "and", s.end()
    gc = grammar.constraint(text, pos)
    if gc is not None and len(gc.bounds) == 1 and gc.bounds[0].unit == "{titer}":
        return gc.bounds, gc.joiner, gc.end  # "ANA >= 1:80"
    if gc is None or len(gc.bounds) != 2:
        return None
    return gc.bounds, gc.joiner, gc.end


def _pair_hit(
    ctx: Ctx,
    text: str,
    base: int,
    m: re.Match[str],
    family: str,
    bounds: tuple[grammar.Bound, ...],
    joiner: str,
    end: int,
) -> Hit | None:
    """Nodes for a threshold with two bounds ("BMI <= 18.5 or >= 35 kg/m2", "EDSS 0 - 5.5")."""
    table = lx.SCORES if family == "score" else lx.ANALYTES
    keys, _j = _group_keys(table, m.group("names"), text[m.end("names") : m.end("names") + 60])
    if not keys or len(keys) > 1 or any(b.comparator is Comparator.EQ for b in bounds):
        return None
    key = _score_key(keys[0], text) if family == "score" else keys[0]
    lo_end, hi_end = lx.SCALE_RANGES.get(key, (None, None))
    bounds = tuple(
        b
        for b in bounds
        if not (b.comparator is Comparator.GE and b.value == lo_end)
        and not (b.comparator is Comparator.LE and b.value == hi_end)
    )
    fields: list[dict[str, object]] = []
    for b in bounds:
        f: dict[str, object] = {"comparator": b.comparator}
        if family == "score":
            if b.multiple or (
                b.unit not in (None, "%") or (b.unit == "%" and key not in lx.PERCENT_SCORES)
            ):
                return None
            f["instrument"], f["value"] = key, b.value
        else:
            if b.multiple:
                f["uln_multiple" if b.multiple == "ULN" else "lln_multiple"] = b.value
            else:
                unit = b.unit or lx.DEFAULT_UNITS.get(key)
                allowed = _ALLOWED_UNITS.get(key)
                if unit is None or (allowed is not None and unit not in allowed):
                    return None
                f["value"], f["unit"] = b.value, unit
            f["concept"] = key
        fields.append(f)
    start = m.start()
    note = _vocab_note(key)

    def build(c: Ctx, w: WindowHit | None, a: int, b: int, cf: float) -> Criterion:
        cls = Score if family == "score" else Measurement
        nodes: list[Criterion] = [
            cls(lookback=window(w), **f, **c.common(base + start, base + end, cf, note))
            for f in fields
        ]
        if len(nodes) == 1:
            return nodes[0]
        group = AnyOf if joiner == "or" else AllOf
        return group(items=tuple(nodes), **c.common(a, b, cf))

    return Hit(base + start, base + end, build, frozenset({"within"}), 0.9)


_JOINTS = re.compile(
    rf"(?P<cmp>{CMP_PREFIX})?\s*(?P<n>\d{{1,2}})\s*(?:or\s+more\s+)?(?:of|/|out\s+of)\s*(?:the\s+)?"
    r"(?P<total>28|66|68)\s+(?:joints?\s+)?(?P<kind>swollen|tender)(?:\s+joints?)?"
    r"|(?P<cmp2>"
    + CMP_PREFIX
    + r")?\s*(?P<n2>\d{1,2})\s*(?:or\s+more\s+)?(?P<kind2>swollen|tender)\s+joints?"
    r"\s*\(?\s*(?:of|out\s+of|on\s+a)\s+(?P<total2>28|66|68)(?:[- ]joint\s+count)?\)?",
    _I,
)
_JOINT_KEYS = {
    ("swollen", "66"): "swollen_joint_count_66",
    ("swollen", "28"): "swollen_joint_count_28",
    ("tender", "68"): "tender_joint_count_68",
    ("tender", "28"): "tender_joint_count_28",
}


def _joint_counts(ctx: Ctx, text: str, base: int) -> list[Hit]:
    """ "≥ 6 of 66 swollen joints", "6 or more tender joints (of 68)": a joint count score."""
    if "joint" not in ctx.low:
        return []
    hits: list[Hit] = []
    for m in _JOINTS.finditer(text):
        kind = (m.group("kind") or m.group("kind2") or "").lower()
        total = m.group("total") or m.group("total2")
        key = _JOINT_KEYS.get((kind, total or ""))
        raw_cmp = m.group("cmp") or m.group("cmp2")
        or_more = "or more" in m.group(0).lower()
        cmp = Comparator.GE if or_more else comparator(raw_cmp)
        if key is None or cmp is None:
            continue
        value = float(m.group("n") or m.group("n2"))
        hits.append(_joint_hit(base + m.start(), base + m.end(), key, cmp, value))
    return hits


_SCORE_FIRST = re.compile(
    rf"\b(?:total\s+)?score\s*(?:of\s+)?(?P<cmp>{CMP_PREFIX})?\s*(?P<val>{NUM})"
    rf"(?:\s*(?P<post>{CMP_POSTFIX}))?\s*(?:points?\s+)?(?:for|on|in|of)\s+(?:the\s+)?",
    _I,
)


def _score_named_after(ctx: Ctx, text: str, base: int) -> list[Hit]:
    """ "Score >= 6 for SELENA-SLEDAI clinical symptoms", "a score of at least 4 on the
    ESSDAI": the value before the instrument's name."""
    if "score" not in ctx.low:
        return []
    hits: list[Hit] = []
    names = {s: (k, e) for k, s, e in lx.find_all(lx.SCORES, text, base)}
    for m in _SCORE_FIRST.finditer(text):
        named = names.get(m.end())
        cmp = comparator(m.group("cmp"), m.group("post"))
        if named is None or cmp is None or _relative(text, m.start(), m.end("val")):
            continue
        try:
            value = to_number(m.group("val"))
        except ValueError:
            continue
        key, end = named
        hits.append(_joint_hit(base + m.start(), base + end, key, cmp, value))
    return hits


_GRADE_AFTER = re.compile(
    rf"\s*(?:of\s+)?(?:\(?\s*(?-i:CTCAE)\s*\)?\s*)?(?P<g1>grade\s*)?(?P<cmp>{CMP_PREFIX})?\s*"
    rf"(?P<g2>grade\s*)?(?P<n>[0-5])\b(?:\s*(?P<post>{CMP_POSTFIX}))?",
    _I,
)
_GRADE_BEFORE = re.compile(
    rf"(?P<cmp>{CMP_PREFIX})?\s*(?:(?-i:CTCAE)\s+)?grade\s*(?P<cmp2>{CMP_PREFIX})?\s*(?P<n>[0-5])"
    rf"(?:\s*(?P<post>{CMP_POSTFIX}))?\s*(?:\(?\s*(?-i:CTCAE)[^()]{{0,20}}\)?\s*)?$",
    _I,
)


def _toxicity_grades(ctx: Ctx, text: str, base: int) -> list[Hit]:
    """A bound on the CTCAE grade of an adverse event: "peripheral neuropathy >= grade 2",
    "grade 3 or higher CRS", "toxicities of grade >= 2 from prior therapy". No comparator
    written ("grade 2 neuropathy"): nothing is read."""
    if "grade" not in ctx.low:
        return []
    hits: list[Hit] = []
    for key, s, e in lx.find_all(lx.TOXICITIES, text, base):
        after = _GRADE_AFTER.match(text, e)
        before = _GRADE_BEFORE.search(text[max(0, s - 45) : s])
        if after is not None and (after.group("g1") or after.group("g2")):
            cmp = comparator(after.group("cmp"), after.group("post"))
            a, b, n = s, after.end(), after.group("n")
        elif before is not None:
            cmp = comparator(before.group("cmp") or before.group("cmp2"), before.group("post"))
            a, b, n = max(0, s - 45) + before.start(), e, before.group("n")
        else:
            continue
        if cmp is None:
            continue
        while a < b and text[a].isspace():
            a += 1
        hits.append(_grade_hit(base + a, base + b, f"{key}_grade", cmp, float(n)))
    return hits


def _grade_hit(start: int, end: int, key: str, cmp: Comparator, value: float) -> Hit:
    def build(c: Ctx, w: WindowHit | None, a: int, b: int, cf: float) -> Criterion:
        note = f"CTCAE grade ('{key}' is not in the shared vocabulary yet)"
        return Score(
            instrument=key,
            comparator=cmp,
            value=value,
            lookback=window(w),
            **c.common(a, b, cf, note),
        )

    return Hit(start, end, build, frozenset({"within"}), 0.85)


def _joint_hit(start: int, end: int, key: str, cmp: Comparator, value: float) -> Hit:
    def build(c: Ctx, w: WindowHit | None, a: int, b: int, cf: float) -> Criterion:
        return Score(
            instrument=key,
            comparator=cmp,
            value=value,
            lookback=window(w),
            **c.common(a, b, cf, _vocab_note(key)),
        )

    return Hit(start, end, build, frozenset({"within"}), 0.9)


def _threshold_hit(ctx: Ctx, text: str, base: int, m: re.Match[str], family: str) -> Hit | None:
    fill = m.group("fill") or ""
    if fill.strip() and _names_any(re.sub(r"\([^()]*\)", "", fill)):
        return None  # the comparator belongs to a later name
    if family in ("lab", "score"):
        pair = _grammar_bounds(text, m, family)
        if pair is not None:
            return _pair_hit(ctx, text, base, m, family, *pair)
    cmp = comparator(m.group("cmp"), m.group("post"))
    implicit = False
    if (
        cmp is None
        and m.group("cmp") is None
        and m.group("mult") == "xULN"
        and re.search(
            r"\b(?:are|is|was|were|at|elevated|increased|levels?)\s*$", m.group("names") + fill, _I
        )
    ):
        cmp, implicit = Comparator.GE, True  # "muscle enzyme levels are 1.5 x ULN": at least
    if cmp is None:
        return None
    negate = bool(
        re.search(
            r"(?:cannot|can\s*not|could\s+not|unable\s+to|fail\w*\s+to)\s+(?:be\s+)?maintain\w*",
            text[max(0, m.start() - 150) : m.start()],
            _I,
        )
    )
    if negate:
        cmp = NEGATED[cmp]
    raw_val = m.group("val")
    try:
        value = to_number(raw_val)
    except ValueError:
        return None
    if _relative(text, m.start(), m.end("val"), fill):
        return None
    unit_raw = m.group("unit")
    unit = ucum(unit_raw) if unit_raw else None
    mult = m.group("mult")
    names = m.group("names")
    start, end = m.start(), m.end()
    note: str | None = None
    if negate:
        note = "the text's level 'cannot be maintained': read as not above it"
        conf_adj = 0.75
    elif _DEFINITION_RX.match(text) or re.search(
        r"fails?\s+to|failure", text[max(0, start - 80) : start], _I
    ):
        note = "read from a definition; check that this threshold is a criterion"
        conf_adj = 0.55
    else:
        conf_adj = 1.0
    if implicit:
        note = merge_notes(note, "no comparator written: 'at least' assumed")
        conf_adj *= 0.85

    if family == "derived":
        return _derived_hit(ctx, text, base, m, cmp, value, unit, note, conf_adj)
    if family == "score":
        if unit not in (None, "%") and unit_raw and not re.match(r"points?", unit_raw, _I):
            pass
        if unit == "%":
            return None
        keys, joiner = _group_keys(lx.SCORES, names, text[m.end("names") : m.end("names") + 60])
        if not keys or mult:
            return None
        keys = [_score_key(k, text) for k in keys]
        conf = 0.9 * conf_adj

        def build_score(
            c: Ctx,
            w: WindowHit | None,
            a: int,
            b: int,
            cf: float,
            keys: list[str] = keys,
            joiner: str = joiner,
            note: str | None = note,
        ) -> Criterion:
            nodes: list[Criterion] = [
                Score(
                    instrument=k,
                    comparator=cmp,
                    value=value,
                    lookback=window(w),
                    **c.common(a, b, cf, merge_notes(note, _vocab_note(k))),
                )
                for k in keys
            ]
            return _combine(c, nodes, joiner, a, b, cf)

        return Hit(base + start, base + end, build_score, frozenset({"within"}), conf)

    # laboratory / observation
    keys, joiner = _group_keys(lx.ANALYTES, names)
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
    keys = expanded
    conf = 0.95 * conf_adj
    fields: list[dict[str, object]] = []
    for key in keys:
        f: dict[str, object] = {"concept": key}
        k_unit = unit
        if mult:
            f["uln_multiple" if mult.endswith("ULN") else "lln_multiple"] = value
        else:
            if k_unit is None and key == "urine_protein_24h":
                # "24-hour urine protein >= 0.5 g": an amount per 24-hour collection
                q = grammar.quantity(text, m.start("val"))
                if q is not None and q.unit in ("g", "mg"):
                    k_unit = f"{q.unit}/(24.h)"
            if k_unit is None and key in lx.TIME_OBSERVATIONS:
                q = grammar.quantity(text, m.start("val"))
                k_unit = q.unit if q is not None and q.unit in ("a", "mo", "wk", "d") else None
            if k_unit is None:
                k_unit = lx.DEFAULT_UNITS.get(key)
                if k_unit == "%" and value < 2:
                    return None  # "FVC 0.7": a fraction, not a percentage: not guessed
                if k_unit is None:
                    return None  # a threshold without a unit is not guessed
                conf = min(conf, 0.85 * conf_adj)
            if k_unit == "%" and key == "cd19_abs":
                f["concept"] = key = "cd19_pct"
            elif k_unit == "%" and key not in lx.DEFAULT_UNITS:
                return None
            allowed = _ALLOWED_UNITS.get(key)
            if allowed is not None and k_unit not in allowed:
                conf = min(conf, 0.6)
                f["note"] = f"unit {k_unit} is unusual for {key}"
            f["value"] = value
            f["unit"] = k_unit
            if key in lx.PERCENT_PREDICTED:
                f["note"] = "% of predicted"
        if key in lx.NOT_IN_VOCABULARY:
            f["note"] = merge_notes(str(f.get("note") or ""), _vocab_note(key))
        fields.append(f)

    # an exception right after the threshold ("(except Gilbert's syndrome, TBIL <= 3 x ULN)")
    exc = _exception_after(text, end)
    exc_node_fn: Callable[[Ctx, float], Criterion] | None = None
    claim_end = end
    if exc is not None:
        e_start = end + exc.start("body")
        e_end = end + exc.end("body")
        claim_end = end + exc.end()
        exc_node_fn = _exception_builder(ctx, text, base, e_start, e_end, keys)

    def build_lab(
        c: Ctx,
        w: WindowHit | None,
        a: int,
        b: int,
        cf: float,
        fields: list[dict[str, object]] = fields,
        joiner: str = joiner,
        note: str | None = note,
    ) -> Criterion:
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
        main = _combine(c, nodes, joiner, outer[0], outer[1], cf)
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


def _score_key(key: str, text: str) -> str:
    if key == "das28":
        if re.search(r"\bESR\b", text):
            return "das28_esr"
        if re.search(r"\bCRP\b", text):
            return "das28_crp"
    return key


def _vocab_note(key: str) -> str | None:
    return f"'{key}' is not in the shared vocabulary yet" if key in lx.NOT_IN_VOCABULARY else None


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
    for pos in _name_starts("lab", text):
        m = _LAB_RX.match(text, pos)
        if m is None:
            continue
        h = _threshold_hit(ctx, text, base, m, "lab")
        if h is not None:
            h.claim = None
            out.append(h)
    return out


def _derived_hit(
    ctx: Ctx,
    text: str,
    base: int,
    m: re.Match[str],
    cmp: Comparator,
    value: float,
    unit: str | None,
    note: str | None,
    conf_adj: float,
) -> Hit | None:
    names = m.group("names")
    around = text[max(0, m.start() - 40) : min(len(text), m.end() + 120)]
    is_crcl = bool(re.search(r"clearance|crcl|ccr|clcr", names, _I))
    calculator: str
    conf = 0.95
    notes: list[str] = []
    if re.search(r"schwartz", around, _I):
        calculator = "egfr_bedside_schwartz"
    elif re.search(r"cockcroft|gault", around, _I):
        calculator = "crcl_cockcroft_gault"
    elif re.search(r"ckd[- ]?epi", around, _I):
        calculator = "egfr_ckd_epi_2021"
    elif re.search(r"mdrd", around, _I):
        calculator = "egfr_ckd_epi_2021"
        notes.append("MDRD named; CKD-EPI 2021 used")
        conf = 0.7
    elif re.search(r"24[- ]?h(?:our)?|measured|urine\s+collection", around, _I):
        return None  # a measured clearance is a lab, not a calculator: leave for review
    elif is_crcl:
        calculator = "crcl_cockcroft_gault"
        notes.append("formula not named; Cockcroft-Gault assumed")
        conf = 0.8
    else:
        calculator = "egfr_ckd_epi_2021"
        notes.append("formula not named; CKD-EPI 2021 assumed (bedside Schwartz for children)")
        conf = 0.8
    canonical = "mL/min" if calculator == "crcl_cockcroft_gault" else "mL/min/{1.73_m2}"
    if unit is None:
        conf = min(conf, 0.75)
        notes.append(f"no unit written; {canonical} assumed")
    elif unit not in ("mL/min", "mL/min/{1.73_m2}", "mL/s"):
        return None
    elif unit != canonical:
        notes.append(f"written as {unit}")
    if m.group("mult"):
        return None
    conf *= conf_adj
    note_all = merge_notes(note, *notes)
    exc = _exception_after(text, m.end())
    claim_end = m.end() + (exc.end() if exc else 0)
    exc_text = (m.end() + exc.start("body"), m.end() + exc.end("body")) if exc else None
    paren = re.match(r"\s*\((?P<inner>[^()]*)\)", text[m.end() :])
    if (
        exc is None
        and paren is not None
        and re.search(
            r"formula|equation|cockcroft|gault|ckd|mdrd|schwartz|except|unless",
            paren.group("inner"),
            _I,
        )
    ):
        claim_end = m.end() + paren.end()
        e_in = re.search(r"\b(?:except|unless|excluding)\b.*", paren.group("inner"), _I)
        if e_in is not None:
            off = m.end() + paren.start("inner")
            exc_text = (off + e_in.start(), off + e_in.end())

    def build(c: Ctx, w: WindowHit | None, a: int, b: int, cf: float) -> Criterion:
        node = Derived(
            calculator=calculator,
            comparator=cmp,
            value=value,
            unit=canonical,
            lookback=window(w),
            **c.common(
                *((a, b) if exc_text is None else (base + m.start(), base + m.end())), cf, note_all
            ),
        )
        if exc_text is None:
            return node
        manual = ManualReview(
            data_hint="exception to a threshold",
            **c.common(base + exc_text[0], base + exc_text[1], 1.0),
        )
        if c.section == "exclusion":
            return AllOf(
                items=(
                    node,
                    Not(item=manual, **c.common(base + exc_text[0], base + exc_text[1], 1.0)),
                ),
                **c.common(a, b, cf * 0.9),
            )
        return AnyOf(
            items=(node, manual), **c.common(a, b, cf * 0.9, "threshold with an exception")
        )

    return Hit(
        base + m.start(),
        base + m.end(),
        build,
        frozenset({"within"}),
        conf,
        claim=(base + m.start(), base + claim_end),
        exc_zone=(base + exc_text[0], base + exc_text[1]) if exc_text else None,
    )


# ====================================================================== BILAG

_BILAG_RX = re.compile(
    r"(?:at\s+least\s+|>=\s*)?(?P<na>one|1|two|2)\s+(?:[^;]{0,80}?)\bBILAG\b[^;]{0,40}?"
    r"(?:category|grade|domain|score)?\s*['\"]?A['\"]?\b(?P<mid>[^;]{0,80}?)\bor\s+"
    r"(?:at\s+least\s+)?(?P<nb>one|1|two|2)\s+(?:(?:BILAG[^;]{0,20}?)?(?:category|grade|domain)?\s*)"
    r"['\"]?B\b",
    _I,
)
_BILAG_RX2 = re.compile(
    r"\bBILAG(?:[- ]2004)?\s+['\"]?A['\"]?\s+(?:score\s+)?in\s+(?:at\s+least\s+|>=\s*)?"
    r"(?P<na>one|1|two|2)\s+(?:organs?|domains?|systems?)[^;]{0,20}?\s+or\s+['\"]?B['\"]?\s+"
    r"(?:score\s+)?in\s+(?:at\s+least\s+|>=\s*)?(?P<nb>one|1|two|2)",
    _I,
)


def _bilag(ctx: Ctx, text: str, base: int) -> list[Hit]:
    hits: list[Hit] = []
    if "bilag" not in text.lower():
        return hits
    for rx in (_BILAG_RX, _BILAG_RX2):
        for m in rx.finditer(text):
            na, nb = to_number(m.group("na")), to_number(m.group("nb"))
            s, e = base + m.start(), base + m.end()

            def build(
                c: Ctx,
                w: WindowHit | None,
                a: int,
                b: int,
                cf: float,
                na: float = na,
                nb: float = nb,
                s: int = s,
                e: int = e,
            ) -> Criterion:
                note = "count of BILAG-2004 organ domains scoring A / B"
                return AnyOf(
                    items=(
                        Score(
                            instrument="bilag_a_count",
                            comparator=Comparator.GE,
                            value=na,
                            lookback=window(w),
                            **c.common(s, e, cf, note),
                        ),
                        Score(
                            instrument="bilag_b_count",
                            comparator=Comparator.GE,
                            value=nb,
                            lookback=window(w),
                            **c.common(s, e, cf, note),
                        ),
                    ),
                    **c.common(a, b, cf),
                )

            hits.append(Hit(s, e, build, frozenset({"within"}), 0.8))
        if hits:
            break
    return hits


# ====================================================================== classification

_ORG = (
    r"(?:EULAR\s*/\s*ACR|ACR\s*/\s*EULAR|ACR\s*-\s*EULAR|EULAR\s*-\s*ACR|SLICC|AECG|ACR|EULAR|ASH|"
    r"American[- ]European\s+Consensus\s+Group|"
    r"European\s+League\s+Against\s+Rheumatism\s*(?:\(EULAR\)\s*)?/\s*American\s+College\s+of\s+Rheumatology|"
    r"American\s+College\s+of\s+Rheumatology\s*(?:\(ACR\)\s*)?/\s*European\s+League\s+Against\s+Rheumatism|"
    r"American\s+College\s+of\s+Rheumatology|European\s+League\s+Against\s+Rheumatism|"
    r"American\s+Society\s+of\s+Hematology|Systemic\s+Lupus\s+International\s+Collaborating\s+Clinics)"
)
_CRIT_RX = re.compile(
    rf"(?:(?P<y1>19\d\d|20\d\d)\s*(?:revised\s+)?)?(?P<org>{_ORG})(?:'s)?(?:\s*\([A-Z/ -]{{2,14}}\))?"
    rf"\s*(?:(?P<y2>19\d\d|20\d\d)\s*)?(?:[A-Za-z'/-]+\s+){{0,4}}?"
    rf"(?:classification|diagnostic|criteria|standards?)"
    rf"(?:\s+(?:classification|diagnostic|criteria|standards?))*"
    rf"|(?P<named>Yamaguchi(?:\s+et\s+al\.?)?(?:\s*,?\s*J\.?\s*Rheumatol\w*\.?\s*,?\s*(?:19\d\d)?)?|"
    rf"Bohan\s+(?:and|&)\s+Peter)",
    _I,
)
_TOTAL_RX = re.compile(
    rf"(?:total\s+)?(?:score|scoring|points?)\s*(?:of\s+)?(?P<cmp>{CMP_PREFIX})\s*(?P<val>{NUM})"
    rf"(?:\s*points?)?(?:\s*(?P<post>{CMP_POSTFIX}))?",
    _I,
)


def _classification_key(
    diseases: tuple[str, ...], year: str | None, org: str, named: str
) -> str | None:
    n = named.lower()
    if "yamaguchi" in n:
        return "aosd_yamaguchi_1992"
    if "bohan" in n:
        return "iim_bohan_peter_1975"
    o = org.lower()
    d = set(diseases)
    if "slicc" in o or "collaborating" in o:
        return "sle_slicc_2012"
    if "aecg" in o or "consensus" in o:
        return "pss_aecg_2002"
    if "hematology" in o or o == "ash":
        return "itp_ash_2019"
    by_year = {
        "2019": "sle_eular_acr_2019",
        "2013": "ssc_acr_eular_2013",
        "2017": "iim_eular_acr_2017",
        "2016": "pss_acr_eular_2016",
        "2010": "ra_acr_eular_2010",
        "1997": "sle_acr_1997",
        "2012": "sle_slicc_2012",
        "2002": "pss_aecg_2002",
    }
    if year in by_year:
        key = by_year[year]
        expected = set(lx.CLASSIFICATIONS[key][1])
        if not d or d & expected:
            return key
    by_disease = {
        "sle": "sle_eular_acr_2019",
        "systemic_sclerosis": "ssc_acr_eular_2013",
        "ssc_diffuse_cutaneous": "ssc_acr_eular_2013",
        "primary_sjogren": "pss_acr_eular_2016",
        "rheumatoid_arthritis": "ra_acr_eular_2010",
        "itp": "itp_ash_2019",
        "dermatomyositis": "iim_eular_acr_2017",
        "polymyositis": "iim_eular_acr_2017",
    }
    for dk in diseases:
        if dk in by_disease and year in (None, "2019", "2013", "2017", "2016", "2010"):
            return by_disease[dk]
    return None


def _classification(ctx: Ctx, text: str, base: int) -> list[Hit]:
    if not ctx.has("criteri", "classif", "standard", "yamaguchi", "bohan"):
        return []
    crits = list(_CRIT_RX.finditer(text))
    crits = [
        m
        for m in crits
        if m.group("named") or re.search(r"criteri|standard|classification", m.group(0), _I)
    ]
    if not crits:
        return []
    mentions = [
        (k, s, e) for k, s, e in lx.find_all(lx.CONDITIONS, text, base) if k in lx.TARGET_DISEASES
    ]
    iim = list(_IIM_RX.finditer(text))
    diseases = tuple(dict.fromkeys(k for k, _, _ in mentions))
    if iim:
        # "inflammatory myopathies (including DM, PM, ASS, and NM)": the whole family
        myositis = set(lx.IIM_KEYS) | {"inclusion_body_myositis"}
        diseases = lx.IIM_KEYS + tuple(k for k in diseases if k not in myositis)
    keys: list[str] = []
    for m in crits:
        year = m.group("y1") or m.group("y2")
        key = _classification_key(
            diseases or ctx.cohort_keys, year, m.group("org") or "", m.group("named") or ""
        )
        if key and key not in keys:
            keys.append(key)
    if not keys:
        return []
    concepts = diseases or tuple(
        dict.fromkeys(k for key in keys for k in lx.CLASSIFICATIONS[key][1])
    )
    s = min([m.start() for m in crits] + [s for _, s, _ in mentions] + [m.start() for m in iim])
    e = max([m.end() for m in crits] + [e for _, _, e in mentions] + [m.end() for m in iim])
    names = " or ".join(lx.CLASSIFICATION_NAMES[k] for k in keys)
    total = _TOTAL_RX.search(text)
    if total is not None:
        cmp = comparator(total.group("cmp"), total.group("post"))
        if cmp is not None:
            value = to_number(total.group("val"))
            instrument = keys[0]
            s2, e2 = min(s, total.start()), max(e, total.end())

            def build_total(c: Ctx, w: WindowHit | None, a: int, b: int, cf: float) -> Criterion:
                return Score(
                    instrument=instrument,
                    comparator=cmp,
                    value=value,
                    lookback=window(w),
                    **c.common(a, b, cf, f"total score of the {names}"),
                )

            return [Hit(base + s2, base + e2, build_total, frozenset({"within"}), 0.9)]

    def build(c: Ctx, w: WindowHit | None, a: int, b: int, cf: float) -> Criterion:
        return ConditionHistory(
            concepts=concepts,
            onset_at_least=window(w) if w and w.direction in ("at_least", "duration") else None,
            **c.common(a, b, cf, f"classified by the {names}"),
        )

    return [
        Hit(
            base + s,
            base + e,
            build,
            frozenset({"at_least", "duration"}),
            0.85,
            kind="condition",
            concepts=concepts,
        )
    ]


# ====================================================================== serology

_SERO: list[tuple[str, str]] = [
    ("anti_sm", r"anti-?\s?(?:(?-i:Sm)|smith)\b(?:\s+\((?-i:anti-Sm)\))?(?:\s+antibod(?:y|ies))?"),
    (
        "hbv_dna",
        r"(?:peripheral\s+blood\s+)?(?:hepatitis\s+b\s+virus\s+(?:\(HBV\)\s+)?DNA|HBV[- ]?DNA)"
        r"(?:\s+(?:titers?|titres?|levels?|loads?|copies|detection|tests?|quantification))*",
    ),
    (
        "hcv_rna",
        r"(?:peripheral\s+blood\s+)?(?:hepatitis\s+c\s+virus\s+(?:\(HCV\)\s+)?RNA|HCV[- ]?RNA)"
        r"(?:\s+(?:titers?|titres?|levels?|loads?|tests?))*",
    ),
    ("hbsag", r"hepatitis\s+b\s+surface\s+antigens?(?:\s*\(\s*HBsAg\s*\))?|HBsAg"),
    (
        "anti_hbc_total",
        r"hepatitis\s+b\s+core\s+antibod(?:y|ies)(?:\s*\(\s*(?:HBcAb|anti-?HBc)\s*\))?"
        r"|HBcAb|anti-?HBc(?:\s+antibod(?:y|ies))?|HBc\s+antibod(?:y|ies)",
    ),
    (
        "anti_hcv",
        r"(?:antibod(?:y|ies)\s+(?:to|against)\s+)?hepatitis\s+c(?:\s+virus)?\s*(?:\(\s*HCV\s*\)\s*)?"
        r"antibod(?:y|ies)|antibod(?:y|ies)\s+(?:to|against)\s+hepatitis\s+c(?:\s+virus)?"
        r"(?:\s*\(\s*HCV\s*\))?|anti-?HCV|HCV[- ]?(?:antibod(?:y|ies)|Ab)\b",
    ),
    (
        "hiv_ab",
        r"(?:antibod(?:y|ies)\s+(?:to|against)\s+)(?:human\s+immunodeficiency\s+virus|HIV)"
        r"(?:\s*\(\s*HIV\s*\))?|(?:human\s+immunodeficiency\s+virus\s*(?:\(\s*HIV\s*\)\s*)?|HIV[- ]?"
        r"(?:1/2\s*)?)(?:antibod(?:y|ies)|Ab\b|positivity|sero-?positiv\w*|[- ]positive)"
        r"|HIV(?=\s+(?:test\s+)?positiv)",
    ),
    ("syphilis_rpr", r"rapid\s+plasma\s+reagin|(?-i:\bRPR\b)"),
    (
        "syphilis_treponemal",
        r"treponema\s+pallidum(?:\s+(?:antibod(?:y|ies)|particle\s+agglutination))?"
        r"|(?-i:\bTPPA\b|\bTP-?Ab\b)|syphilis(?:\s+(?:antibod(?:y|ies)|serology|tests?))?"
        r"(?=[^;]{0,3}(?:positiv|$|;|\.|\n))",
    ),
    ("anti_dsdna", r"anti-?\s?ds-?DNA(?:\s+antibod(?:y|ies))?"),
    ("anti_scl70", r"anti-?\s?(?:Scl-?70|topoisomerase\s+I)(?:\s+antibod(?:y|ies))?"),
    ("anti_centromere", r"anti-?\s?centromere(?:\s+antibod(?:y|ies))?|(?-i:\bACA\b)"),
    ("anti_rna_pol_iii", r"anti-?\s?RNA\s+polymerase\s+(?:III|3)(?:\s+antibod(?:y|ies))?"),
    ("anti_jo1", r"anti-?\s?Jo-?1(?:\s+antibod(?:y|ies))?"),
    ("anti_ssa_ro", r"anti-?\s?(?:SSA|Ro)(?:/Ro)?(?:\s+antibod(?:y|ies))?"),
    ("anti_ssb_la", r"anti-?\s?(?:SSB|La)(?:/La)?(?:\s+antibod(?:y|ies))?"),
    (
        "anti_ccp",
        r"anti-?\s?(?:CCP|cyclic\s+citrullinated\s+peptide)(?:\s+antibod(?:y|ies))?|(?-i:\bACPA\b)",
    ),
    ("rheumatoid_factor", r"rheumatoid\s+factor|(?-i:\bRF\b)"),
    ("ana_presence", r"anti-?\s?nuclear\s+antibod(?:y|ies)(?:\s*\(\s*ANA\s*\))?|(?-i:\bANAs?\b)"),
    (
        "ssc_specific",
        r"(?:systemic\s+sclerosis|SSc|scleroderma)[- ](?:specific|related|associated)\s+"
        r"(?:auto)?antibod(?:y|ies)|(?:auto)?antibod(?:y|ies)\s+(?:related|specific)\s+to\s+"
        r"(?:systemic\s+sclerosis|SSc|scleroderma)",
    ),
    (
        "myositis_specific",
        r"myositis(?:[- ](?:specific|associated|related))?\s+(?:auto)?antibod(?:y|ies)"
        r"|(?:auto)?antibod(?:y|ies)\s+(?:to|for|related\s+to)\s+myositis"
        r"|(?-i:\bMSAs?\b)",
    ),
]
#: serology table for the lexicon's fast scanner (one document pass, word-start dispatch)
_SERO_TABLE = lx.register_table({key: (pat,) for key, pat in _SERO})
_SERO_GROUPS: dict[str, tuple[str, ...]] = {
    "ssc_specific": ("anti_scl70", "anti_centromere", "anti_rna_pol_iii"),
    "myositis_specific": ("anti_jo1", "msa_other"),
}
_POS_RX = re.compile(
    r"positiv\w*|\(\s*\+\s*\)|\breactive\b|\bdetectable\b|\bdetected\b|sero-?positiv\w*|"
    r"(?:greater|higher)\s+than\s+(?:the\s+)?(?:upper\s+limit|normal|lower\s+limit|detection|reference)|"
    r">\s*(?:the\s+)?(?:upper\s+limit|normal|lower\s+limit|ULN|LLOQ|detection)|above\s+the\s+(?:upper|normal|lower|limit)|"
    r"exceed\w*\s+(?:the\s+)?(?:upper|normal|lower|limit)",
    _I,
)
_NEG_RX = re.compile(
    r"negativ\w*|non-?reactive|undetectable|not\s+detect\w*|below\s+the\s+(?:lower\s+)?limit\s+of\s+detection",
    _I,
)


def _polarity(text: str, s: int, e: int, lo: int, hi: int) -> tuple[str | None, int, int]:
    """Polarity word nearest the mention within [lo, hi): (result, start, end)."""
    best: tuple[int, str, int, int] | None = None
    for rx, res in ((_POS_RX, "positive"), (_NEG_RX, "negative")):
        for m in rx.finditer(text, lo, hi):
            d = m.start() - e if m.start() >= e else s - m.end()
            if d < 0:
                d = 0
            if d <= 60 and (best is None or d < best[0]):
                best = (d, res, m.start(), m.end())
    if best is None:
        return None, s, e
    return best[1], best[2], best[3]


_SERO_HINT = re.compile(
    r"hbv|hbs|hbc|hepatitis|hcv|hiv|immunodef|trepon|syphil|rpr|tppa|tp-?ab|anti|antibod|ana\b|anas\b|"
    r"rheumatoid\s+factor|\brf\b|ccp|acpa|\baca\b|msa|ds-?dna|scl|jo-?1|centromere|ssa|ssb|\bro\b|\bla\b",
    _I,
)


def _serology(ctx: Ctx, text: str, base: int) -> list[Hit]:
    found: list[tuple[str, int, int]] = lx.find_all(_SERO_TABLE, text, base)
    if not found:
        return []
    # segments between mentions decide the polarity scope
    hits: list[Hit] = []
    items: list[tuple[str, int, int, str | None, int, int]] = []
    for i, (key, s, e) in enumerate(found):
        lo = found[i - 1][2] if i > 0 else 0
        hi = found[i + 1][1] if i + 1 < len(found) else len(text)
        # a polarity shared by a list ("HBsAg or HBcAb positive"): look past the next mention
        res, ps, pe = _polarity(text, s, e, lo, hi)
        if (
            res is None
            and i + 1 < len(found)
            and re.fullmatch(
                r"\s*(?:\([^()]*\)\s*)?(?:,|or|and/or|/)\s*", text[e : found[i + 1][1]], _I
            )
        ):
            hi2 = found[i + 2][1] if i + 2 < len(found) else len(text)
            res, ps, pe = _polarity(text, s, found[i + 1][2], found[i + 1][2], hi2)
        items.append((key, s, e, res, ps, pe))
    groups: list[list[tuple[str, int, int, str | None, int, int]]] = [[items[0]]]
    for prev, cur in zip(items, items[1:], strict=False):
        gap = text[prev[2] : cur[1]]
        if re.search(r";|\.\s", gap):
            groups.append([cur])
        else:
            groups[-1].append(cur)
    for g in groups:
        hits.append(_serology_group(ctx, text, base, g))
    return hits


def _serology_group(
    ctx: Ctx, text: str, base: int, g: list[tuple[str, int, int, str | None, int, int]]
) -> Hit:
    s = min(min(x[1], x[4]) for x in g)
    e = max(max(x[2], x[5]) for x in g)
    explicit = all(x[3] is not None for x in g)
    conf = 0.9 if explicit else 0.7

    def one(
        c: Ctx, w: WindowHit | None, x: tuple[str, int, int, str | None, int, int], cf: float
    ) -> Criterion:
        key, ks, ke, res, ps, pe = x
        result = res or "positive"
        note = None if res else "no result word; 'positive' assumed"
        a, b = min(ks, ps), max(ke, pe)
        if key in _SERO_GROUPS:
            return AnyOf(
                items=tuple(
                    Serology(
                        concept=k,
                        result=result,
                        lookback=window(w),
                        **c.common(base + a, base + b, cf, note),
                    )
                    for k in _SERO_GROUPS[key]
                ),
                **c.common(base + a, base + b, cf, f"{key.replace('_', ' ')} antibodies"),
            )
        return Serology(
            concept=key,
            result=result,
            lookback=window(w),
            **c.common(base + a, base + b, cf, note),
        )

    def build(c: Ctx, w: WindowHit | None, a: int, b: int, cf: float) -> Criterion:
        nodes = [one(c, w, x, cf) for x in g]
        if len(nodes) == 1:
            node = nodes[0]
            return node.model_copy(update=c.common(a, b, cf, node.note))
        keys = [x[0] for x in g]
        # viral load confirms the antigen/antibody: (HBsAg or anti-HBc) and HBV DNA
        for confirm, base_keys in (
            ("hbv_dna", ("hbsag", "anti_hbc_total")),
            ("hcv_rna", ("anti_hcv",)),
        ):
            if confirm in keys and any(k in keys for k in base_keys):
                i = keys.index(confirm)
                gap = text[g[i - 1][2] : g[i][1]] if i > 0 else ""
                if re.search(r"\bor\b", gap, _I) and not re.search(r"\band\b", gap, _I):
                    continue
                firsts = [n for n, k in zip(nodes, keys, strict=True) if k in base_keys]
                rest = [
                    n
                    for n, k in zip(nodes, keys, strict=True)
                    if k not in base_keys and k != confirm
                ]
                first = (
                    firsts[0]
                    if len(firsts) == 1
                    else AnyOf(
                        items=tuple(firsts), **c.common(base + g[0][1], base + g[i - 1][2], cf)
                    )
                )
                core = AllOf(items=(first, nodes[i]), **c.common(a, b, cf))
                if not rest:
                    return core
                return _combine(c, [core, *rest], "list", a, b, cf)
        joined = text[g[0][2] : g[-1][1]]
        joiner = (
            "and"
            if re.search(r"\band\b", joined, _I) and not re.search(r"\bor\b", joined, _I)
            else "or"
        )
        if ctx.section == "inclusion" and joiner == "or":
            return AnyOf(items=tuple(nodes), **c.common(a, b, cf))
        return _combine(c, nodes, joiner if ctx.section == "inclusion" else "or", a, b, cf)

    return Hit(base + s, base + e, build, frozenset({"within"}), conf)


# ====================================================================== pregnancy & contraception

_PREG_TEST_RX = re.compile(
    r"(?:(?P<k1>serum|blood|urine|urinary|plasma)\s+(?:or\s+(?P<k2>serum|blood|urine|urinary)\s+)?)?"
    r"(?:\(?(?:beta-?\s?|β-?)?h?CG\)?\s+)?(?:pregnancy\s+tests?|(?:beta-?\s?|β-?)?(?-i:HCG|hCG)(?:\s+tests?)?)"
    r"(?:\s*\((?P<k3>serum|blood|urine)[^)]*\))?",
    _I,
)


def _pregnancy_tests(ctx: Ctx, text: str, base: int) -> list[Hit]:
    hits: list[Hit] = []
    if not ctx.has("pregnan", "hcg"):
        return hits
    for m in _PREG_TEST_RX.finditer(text):
        kinds = {(k or "").lower() for k in (m.group("k1"), m.group("k2"), m.group("k3")) if k}
        before = text[max(0, m.start() - 40) : m.start()]
        k_before = re.findall(r"\b(serum|blood|urine)\b", before, _I)
        kinds |= {k.lower() for k in k_before}
        concepts: list[str] = []
        if kinds & {"serum", "blood", "plasma"}:
            concepts.append("hcg_serum_qual")
        if kinds & {"urine", "urinary"}:
            concepts.append("hcg_urine_qual")
        note = None
        if not concepts:
            concepts = ["hcg_urine_qual", "hcg_serum_qual"]
            note = "test type not stated: urine or serum"
        res, ps, pe = _polarity(
            text, m.start(), m.end(), max(0, m.start() - 40), min(len(text), m.end() + 40)
        )
        result = res or ("negative" if ctx.section == "inclusion" else "positive")
        conf = 0.85 if res else 0.65
        if ctx.section == "inclusion":
            note = merge_notes(note, "applies to participants of childbearing potential")
        s, e = min(m.start(), ps), max(m.end(), pe)

        def build(
            c: Ctx,
            w: WindowHit | None,
            a: int,
            b: int,
            cf: float,
            concepts: list[str] = concepts,
            result: str = result,
            note: str | None = note,
        ) -> Criterion:
            nodes = [
                Serology(
                    concept=k,
                    result=result,
                    lookback=window(w),
                    **c.common(a, b, cf, note),
                )
                for k in concepts
            ]
            if len(nodes) == 1:
                return nodes[0]
            return AnyOf(items=tuple(nodes), **c.common(a, b, cf, note))

        hits.append(Hit(base + s, base + e, build, frozenset({"within"}), conf))
    return hits


_CONTRA_RX = re.compile(
    r"contracept\w*|birth\s+control|abstain\w*|abstinen\w*|steriliz\w*|barrier\s+method",
    _I,
)
_INTENT_RX = re.compile(
    r"(?:plan(?:s|ning)?|intend(?:s|ing)?|wish(?:es|ing)?|want(?:s|ing)?)\s+to\s+"
    r"(?:become\s+pregnant|conceive|have\s+(?:a\s+)?(?:child|children|baby)|get\s+pregnant|"
    r"father\s+a\s+child|donate\s+(?:sperm|eggs|ova))[^;,.]*|planning\s+(?:a\s+)?pregnancy|"
    r"pregnancy\s+(?:plan|planning)[^;,.]*",
    _I,
)


def _segment(text: str, pos: int) -> tuple[int, int]:
    """The comma/'and'-delimited stretch of ``text`` around ``pos``."""
    starts = [
        m.end()
        for m in re.finditer(
            r"[;:]|\.\s|,\s*(?:and\s+)?|\b(?:and|but)\s+(?=(?:agree\w*|must|are|is|should|will|be|"
            r"use\w*|take\w*|willing|consent\w*|practi[cs]\w*)\b)",
            text[:pos],
        )
    ]
    a = starts[-1] if starts else 0
    return a, len(text)


_REPRO_RX = re.compile(r"\b(?P<bf>breast[- ]?feed\w*|lactat\w*|nursing)|\b(?P<preg>pregnan\w*)", _I)


def _forward_reproductive(ctx: Ctx, text: str, base: int, claimed: list[Hit]) -> list[Hit]:
    """No pregnancy / breast-feeding for a period after the treatment ("no breast-feeding
    during RTX treatment and in the 12 months following RTX treatment stop"): asked, not
    recorded; a review node that keeps the forward window."""
    if not any(w.direction == "after" for w in ctx.windows_in(base, base + len(text))):
        return []
    m = _REPRO_RX.search(text)
    if m is None or any(h.start <= base + m.start() < h.end for h in claimed):
        return []
    hint = "breastfeeding" if m.group("bf") else "pregnancy"
    a, b = _segment(text, m.start())

    def build(c: Ctx, w: WindowHit | None, s: int, e: int, cf: float) -> Criterion:
        return ManualReview(
            data_hint=hint,
            **c.common(s, e, 1.0, f"no {hint} for a period after treatment: ask the participant"),
        )

    return [
        Hit(base + a, base + b, build, frozenset({"after"}), 1.0, computable=False, kind="manual")
    ]


def _contraception(ctx: Ctx, text: str, base: int) -> list[Hit]:
    hits: list[Hit] = []
    if not ctx.has(
        "contracep",
        "birth",
        "abstain",
        "abstinen",
        "sterili",
        "barrier",
        "plan",
        "intend",
        "wish",
        "want",
        "pregnan",
        "feed",
        "lactat",
        "nursing",
    ):
        return hits
    m = _CONTRA_RX.search(text)
    if m:
        a, b = _segment(text, m.start())

        def build(c: Ctx, w: WindowHit | None, s: int, e: int, cf: float) -> Criterion:
            return ManualReview(
                data_hint="contraception",
                **c.common(s, e, 1.0, "contraception agreement: confirm with the participant"),
            )

        hits.append(
            Hit(
                base + a,
                base + b,
                build,
                frozenset({"after"}),
                1.0,
                computable=False,
                kind="manual",
            )
        )
    hits.extend(_forward_reproductive(ctx, text, base, claimed=hits))
    for m in _INTENT_RX.finditer(text):

        def build_i(c: Ctx, w: WindowHit | None, s: int, e: int, cf: float) -> Criterion:
            return ManualReview(
                data_hint="pregnancy plans",
                **c.common(s, e, 1.0, "plans are asked, not recorded"),
            )

        hits.append(
            Hit(
                base + m.start(),
                base + m.end(),
                build_i,
                frozenset(),
                1.0,
                computable=False,
                kind="manual",
            )
        )
    return hits


# ====================================================================== prior therapy, procedures, vaccines

_CART_RX = re.compile(
    r"(?:chimeric\s+antigen\s+receptor\s*(?:\(CAR\)\s*)?(?:T[- ]?cells?|NK|therapy)?|\bCAR[- ]?(?:T|NK)\b"
    r"(?:[- ]cells?)?|\bCART\b)(?:\s+(?:cell\s+)?(?:therapy|therapies|treatment|products?|infusion))?",
    _I,
)
_TARGETED_RX = re.compile(
    r"(?:anti-?\s?)?(?P<t1>CD-?19|BCMA)(?:\s*(?:or|and|/|,)\s*(?:anti-?\s?)?(?P<t2>CD-?19|BCMA))?"
    r"[- ]?(?:targeted|targeting|directed)(?:\s+(?:therapy|therapies|treatment|agents?|drugs?))?"
    r"|anti-?\s?(?P<t3>CD-?19|BCMA)(?:\s*(?:or|and|/|,)\s*(?:anti-?\s?)?(?P<t4>CD-?19|BCMA))?"
    r"(?:\s+(?:monoclonal\s+)?(?:therapy|therapies|treatment|agents?|drugs?|antibod(?:y|ies)))",
    _I,
)
_GENE_RX = re.compile(
    r"gene(?:tically)?\s+(?:therapy|therapies|modified|editing|engineered)(?:\s+(?:cell\s+)?products?)?",
    _I,
)
_VACCINE_RX = re.compile(r"live(?:[- ]attenuated)?\s+(?:virus\s+)?vaccin\w*", _I)
_TRIAL_RX = re.compile(
    r"(?:participat\w*|enrolled|took\s+part|taking\s+part)\s+in\s+(?:any\s+)?(?:an?\s+)?(?:other\s+)?"
    r"(?:interventional\s+)?(?:clinical\s+)?(?:studies|study|trials?|research)"
    r"|(?:received|receiving|used)\s+(?:any\s+)?(?:other\s+)?(?:clinical\s+trial|investigational|experimental)\s+"
    r"(?:treatment|drugs?|products?|agents?|therap\w+)|investigational\s+(?:drugs?|products?|agents?|therapy|treatment)",
    _I,
)
_EXPOSURE_RX = re.compile(
    r"prior|previous\w*|received|receiv\w+|history|treated|exposure|used|undergone|underwent|had",
    _I,
)


def _prior_therapy(ctx: Ctx, text: str, base: int) -> list[Hit]:
    hits: list[Hit] = []
    excl = ctx.section == "exclusion"
    mt = _TARGETED_RX.search(text) if ctx.has("cd19", "cd-19", "bcma") else None
    if mt and (excl or _EXPOSURE_RX.search(text[: mt.start()])):
        targets = [
            t.upper().replace("-", "")
            for t in (mt.group("t1"), mt.group("t2"), mt.group("t3"), mt.group("t4"))
            if t
        ]
        classes = tuple(
            dict.fromkeys("cd19_targeted" if t == "CD19" else "bcma_targeted" for t in targets)
        )

        def build_t(
            c: Ctx,
            w: WindowHit | None,
            a: int,
            b: int,
            cf: float,
            classes: tuple[str, ...] = classes,
        ) -> Criterion:
            return MedicationHistory(
                classes=classes,
                within=window(w),
                **c.common(
                    a,
                    b,
                    cf,
                    "drug classes " + ", ".join(classes) + " are not in the shared vocabulary yet",
                ),
            )

        hits.append(Hit(base + mt.start(), base + mt.end(), build_t, frozenset({"within"}), 0.75))
    cart_hint = ctx.has_word("car", "cart") or ctx.has("chimeric")
    for m in _CART_RX.finditer(text) if cart_hint else ():
        if not excl and not _EXPOSURE_RX.search(text[max(0, m.start() - 50) : m.start()]):
            continue
        if any(h.start <= base + m.start() < h.end for h in hits):
            continue

        def build_c(c: Ctx, w: WindowHit | None, a: int, b: int, cf: float) -> Criterion:
            return ProcedureHistory(
                concepts=("car_t_therapy",), within=window(w), **c.common(a, b, cf)
            )

        exc = _exception_after(text, m.end())
        hit = Hit(base + m.start(), base + m.end(), build_c, frozenset({"within"}), 0.85)
        if exc is not None:
            es, ee = m.end() + exc.start("body"), m.end() + exc.end("body")
            hit = _with_manual_exception(hit, es + base, ee + base, m.end() + exc.end() + base)
        hits.append(hit)
        break
    for m in _GENE_RX.finditer(text) if ctx.has("gene") else ():

        def build_g(c: Ctx, w: WindowHit | None, a: int, b: int, cf: float) -> Criterion:
            return MedicationHistory(
                classes=("gene_therapy",),
                within=window(w),
                **c.common(a, b, cf, "'gene_therapy' is not in the shared vocabulary yet"),
            )

        hits.append(Hit(base + m.start(), base + m.end(), build_g, frozenset({"within"}), 0.75))
    for m in _VACCINE_RX.finditer(text) if ctx.has("vaccin") else ():

        def build_v(c: Ctx, w: WindowHit | None, a: int, b: int, cf: float) -> Criterion:
            return Vaccination(live_only=True, within=window(w), **c.common(a, b, cf))

        hits.append(Hit(base + m.start(), base + m.end(), build_v, frozenset({"within"}), 0.9))
    procs = [
        (k, s, e)
        for k, s, e in lx.find_all(lx.PROCEDURES, text, base)
        if not re.search(
            r"\bplann\w*|\bscheduled\b|\bexpected\b|\bawaiting\b", text[max(0, s - 40) : s], _I
        )
    ]
    if procs:
        keys = tuple(dict.fromkeys(k for k, _, _ in procs))
        s = min(p[1] for p in procs)
        e = max(p[2] for p in procs)

        def build_p(
            c: Ctx, w: WindowHit | None, a: int, b: int, cf: float, keys: tuple[str, ...] = keys
        ) -> Criterion:
            return ProcedureHistory(
                concepts=keys, within=window(w), **c.common(a, b, cf, _vocab_note(keys[0]))
            )

        hits.append(Hit(base + s, base + e, build_p, frozenset({"within"}), 0.85))
    trial_hint = ctx.has(
        "particip", "enrol", "took part", "taking part", "investigational", "experimental"
    )
    for m in _TRIAL_RX.finditer(text) if trial_hint else ():

        def build_tr(c: Ctx, w: WindowHit | None, a: int, b: int, cf: float) -> Criterion:
            note = "participation in other trials is asked, not recorded"
            if w is not None and w.direction == "at_least":
                note += f"; at least {w.amount:g} {w.unit.value} since it ended"
            elif w is not None and w.direction != "after":
                note += f"; window: {window(w)}"
            return ManualReview(
                data_hint="other clinical trial participation", **c.common(a, b, 1.0, note)
            )

        hits.append(
            Hit(
                base + m.start(),
                base + m.end(),
                build_tr,
                # "within 30 days of screening" and "at least 4 weeks since the last dose of
                # an investigational drug" both date the participation
                frozenset({"within", "at_least"}),
                1.0,
                computable=False,
                kind="manual",
            )
        )
        break
    return hits


def _with_manual_exception(hit: Hit, es: int, ee: int, claim_end: int) -> Hit:
    inner = hit.build

    def build(c: Ctx, w: WindowHit | None, a: int, b: int, cf: float) -> Criterion:
        node = inner(c, w, hit.start, hit.end, cf)
        manual = ManualReview(data_hint="exception", **c.common(es, ee, 1.0))
        if c.section == "exclusion":
            return AllOf(
                items=(node, Not(item=manual, **c.common(es, ee, 1.0))),
                **c.common(a, b, cf * 0.9, "exception read as 'and not'"),
            )
        return AnyOf(items=(node, manual), **c.common(a, b, cf * 0.9))

    return Hit(
        hit.start,
        hit.end,
        build,
        hit.accepts,
        hit.confidence,
        claim=(hit.start, claim_end),
        exc_zone=(es, claim_end),
    )


# ====================================================================== medications

_FAILURE_RX = re.compile(
    r"fail\w*|ineffective|inadequate|insufficient|refractory|no\s+response|not\s+respond\w*|"
    r"did\s+not\s+(?:show|achieve|respond)|unsatisfactory|intoleran\w*|toxicit\w*|non-?respon\w*|"
    r"resistan\w*|still\s+(?:have|has)\s+(?:relapsed|active)|relapse",
    _I,
)
_ALLERGY_RX = re.compile(
    r"allerg\w*|hypersensitiv\w*|contraindicat\w*|intolerance\s+to|anaphyla\w*", _I
)
#: a comparator and a number right after a drug name, with no unit after the number
_UNITLESS_DOSE = re.compile(
    rf"\s*(?:>=|<=|>|<)\s*{NUM}(?![\d.,])(?!\s*(?:m?g|[uµ]g|mcg|%|/|units?|iu)\b)", _I
)
#: "unless contraindicated", "(if not medically contraindicated)": a waiver, not an allergy
_WAIVER_RX = re.compile(
    r"\b(?:unless|if\s+not|except\s+(?:when|where|if))\s+(?:\w+\s+){0,2}?contraindicated\b", _I
)
_DOSE_KG_RX = re.compile(
    rf"(?P<cmp>{CMP_PREFIX})?\s*(?P<val>{NUM})\s*mg\s*/\s*kg\s*(?:/\s*d(?:ay)?|\s*per\s+day|/d|\s*daily)",
    _I,
)
_DOSE_DAY_RX = re.compile(
    rf"(?P<cmp>{CMP_PREFIX})\s*(?P<val>{NUM})\s*mg\s*(?:/\s*d(?:ay)?\b|\s*per\s+day|\s*daily)",
    _I,
)
_MED_EXC_RX = re.compile(r"\(?\s*(?:except|excluding|other\s+than|apart\s+from)\b[^)]*\)?", _I)
_ROUTES_RX = re.compile(
    r"inhal\w*|topical\w*|intra-?articular|local\w*|ophthalmic|nasal|cutaneous", _I
)
_ROUTE_NAMES = {
    "inhal": "inhalation",
    "topic": "topical",
    "intra": "intra-articular",
    "local": "topical",
    "ophth": "ophthalmic",
    "nasal": "nasal",
    "cutan": "topical",
}


def _medications(ctx: Ctx, text: str, base: int) -> list[Hit]:
    drugs = [(k, s, e) for k, s, e in lx.find_all(lx.DRUGS, text, base)]
    classes = [
        (k, s, e)
        for k, s, e in lx.find_all(lx.DRUG_CLASSES, text, base)
        if k not in ("car_t", "cd19_targeted", "bcma_targeted", "gene_therapy", "live_vaccine")
    ]
    generic = [c for c in classes if c[0] in lx.CLASS_EXPANSIONS]
    named = [c for c in classes if c[0] not in lx.CLASS_EXPANSIONS]
    if drugs or named:
        classes = named  # the drugs are listed: "routine treatment" adds nothing
    else:
        classes = [(k2, s, e) for k, s, e in generic for k2 in lx.CLASS_EXPANSIONS[k]]
    if not drugs and not classes:
        return []
    if _ALLERGY_RX.search(_WAIVER_RX.sub(" ", text)):
        return []
    for _k, s, e in drugs:
        bare = _UNITLESS_DOSE.match(text, e)
        if bare is not None:
            # "prednisone >= 100 within 8 w": a dose bound without its unit; reading only the
            # exposure would widen the criterion, so the stretch goes to a person
            return [
                Hit(
                    base + s,
                    base + bare.end(),
                    lambda c, w, a, b, cf: ManualReview(
                        data_hint="dose",
                        **c.common(a, b, 1.0, "a dose bound without a unit: check by hand"),
                    ),
                    frozenset(),
                    1.0,
                    computable=False,
                    kind="manual",
                )
            ]
    first = min(x[1] for x in drugs + classes)
    if re.search(r"\b(?:unless|if|when|whether)\b|^\W*\((?:i|ii|iii|iv)\)", text[:first], _I):
        return []
    # split off an exception ("except inhaled steroids") for routes
    exc = (
        _MED_EXC_RX.search(text)
        if ctx.has("except", "excluding", "other than", "apart from")
        else None
    )
    exclude_routes: tuple[str, ...] = ()
    if exc:
        routes = [
            _ROUTE_NAMES[r.group(0).lower()[:5]]
            for r in _ROUTES_RX.finditer(exc.group(0))
            if r.group(0).lower()[:5] in _ROUTE_NAMES
        ]
        exclude_routes = tuple(dict.fromkeys(routes))
        drugs = [d for d in drugs if not (exc.start() <= d[1] < exc.end())]
        classes = [c for c in classes if not (exc.start() <= c[1] < exc.end())]
        if not drugs and not classes:
            return []
    drug_keys = tuple(dict.fromkeys(k for k, _, _ in drugs))
    class_keys = tuple(dict.fromkeys(k for k, _, _ in classes))
    spans = [(s, e) for _, s, e in drugs + classes]
    s = min(a for a, _ in spans)
    e = max(b for _, b in spans)
    failure = bool(_FAILURE_RX.search(text)) and ctx.section == "inclusion"
    # a dose belongs to one drug: a list with one dose is left to the dose rules (therapy.py),
    # never spread over every drug of the list
    single = len(set(drug_keys) | set(class_keys)) == 1
    has_mg = "mg" in ctx.low
    per_kg = _DOSE_KG_RX.search(text) if has_mg and single else None
    per_day = _DOSE_DAY_RX.search(text) if has_mg else None
    if (
        per_day is not None
        and not single
        and comparator(per_day.group("cmp"))
        in (
            Comparator.GE,
            Comparator.GT,
        )
    ):
        per_day = None
    dose_kg = dose_day = None
    if per_kg and comparator(per_kg.group("cmp")) in (Comparator.GE, Comparator.GT):
        dose_kg = to_number(per_kg.group("val"))
        e = max(e, per_kg.end())
    elif per_day and comparator(per_day.group("cmp")) in (Comparator.GE, Comparator.GT):
        dose_day = to_number(per_day.group("val"))
        e = max(e, per_day.end())
    elif per_day and comparator(per_day.group("cmp")) in (Comparator.LT, Comparator.LE):
        return []  # "unable to taper below 7.5 mg/day": judgment, not history
    conf = 0.5 if failure else 0.8
    outcome = "any"
    note = None
    if failure:
        outcome = (
            "failure_or_intolerance" if re.search(r"intoleran|toxicit", text, _I) else "failure"
        )
        note = "treatment-failure requirement: check which drugs, how many and for how long"
    if exclude_routes:
        note = merge_notes(note, "routes excluded: " + ", ".join(exclude_routes))

    def build(c: Ctx, w: WindowHit | None, a: int, b: int, cf: float) -> Criterion:
        within = min_duration = None
        extra = None
        if w is not None:
            if w.direction == "within":
                within = window(w)
            elif w.direction == "duration" and w.unit is not TimeUnit.HALF_LIVES:
                min_duration = Window(amount=w.amount, unit=w.unit, reference=w.reference)
            elif w.direction == "at_least":
                extra = f"stopped at least {window(w)}"
        return MedicationHistory(
            drugs=drug_keys,
            classes=class_keys,
            exclude_routes=exclude_routes,
            within=within,
            min_duration=min_duration,
            min_dose_mg_per_kg_day=dose_kg,
            min_daily_dose_mg=dose_day,
            outcome=outcome,
            **c.common(a, b, cf, merge_notes(note, extra)),
        )

    claim = (base + s, base + (exc.end() if exc and exc.end() > e else e))
    return [
        Hit(
            base + s,
            base + e,
            build,
            frozenset({"within", "duration", "at_least"}),
            conf,
            claim=claim,
            exc_zone=(base + exc.start(), base + exc.end()) if exc else None,
        )
    ]


# ====================================================================== age & sex

_AGE_CUE = re.compile(
    r"\b(?:aged?|ages)\b\s*(?:range\s*)?(?::|of|is|at)?\s*(?=[<>\d]|between|from|at\s+least|"
    r"(?:greater|more|less|older|younger|over|under|above|below|no|not)\b|equal)",
    _I,
)
_AGE_TAIL = re.compile(r"[\s-]*(?:old|of\s+age)\b", _I)  # also found inside the grammar's unit
_AGE_HINT = re.compile(
    r"\bold\b|of\s+age|adults?|patients?|participants?|subjects?|\bmen\b|women|males?|females?|"
    r"children|persons?",
    _I,
)
_AGE_START = re.compile(r"(?<![\w.])(?:\d|[<>]|at\s+least|between|from|greater|more|less)", _I)
_AGE_WHO = re.compile(
    r"(?:adults?|patients?|participants?|subjects?|men|women|males?|females?|children|persons?)"
    r"\s*(?:,\s*)?(?:aged?\s*)?$",
    _I,
)


def _age_constraint(text: str, pos: int) -> tuple[grammar.Constraint, int] | None:
    """A constraint in years at ``pos`` ("18-65 years", ">= 18 and <= 65", "18 and over")."""
    c = grammar.constraint(text, pos)
    if c is None or any(b.multiple or b.unit not in (None, "a") for b in c.bounds):
        return None
    if any(not (0 <= b.value <= 120) or b.value != int(b.value) for b in c.bounds):
        return None
    end = c.end
    tail = _AGE_TAIL.match(text, end)
    if tail is not None:
        end = tail.end()
    return c, end


def _age(ctx: Ctx, text: str, base: int) -> list[Hit]:
    """Age constraints read by the quantity grammar after an age cue, or in years + "old"."""
    if not ctx.has("age", "year", "yr", "old"):
        return []
    found: tuple[grammar.Constraint, int, int] | None = None
    for m in _AGE_CUE.finditer(text):
        got = _age_constraint(text, m.end())
        if got is not None:
            found = (got[0], m.start(), got[1])
            break
    if found is None and (len(text) < 60 or _AGE_HINT.search(text)):
        for m in _AGE_START.finditer(text):
            got = _age_constraint(text, m.start())
            if got is None:
                continue
            c, end = got
            in_years = any(b.unit == "a" for b in c.bounds)
            aged = _AGE_TAIL.search(text, m.start(), end) or _AGE_WHO.search(
                text[max(0, m.start() - 40) : m.start()]
            )
            whole = re.fullmatch(r"\W*", text[: m.start()] + text[end:]) is not None
            if in_years and (aged or whole):
                found = (c, m.start(), end)
                break
    if found is None:
        return []
    c, start, end = found
    # "ages 0-75": an age of at least 0 says nothing
    bounds = tuple(b for b in c.bounds if not (b.value == 0 and b.comparator is Comparator.GE))
    if not bounds:
        return []
    if c.joiner == "and" and len(bounds) == 2 and bounds[0].value > bounds[1].value:
        return []

    def age_node(cc: Ctx, bs: Sequence[grammar.Bound], a: int, b: int, cf: float) -> Age:
        lo = next((x for x in bs if x.comparator in (Comparator.GE, Comparator.GT)), None)
        hi = next((x for x in bs if x.comparator in (Comparator.LE, Comparator.LT)), None)
        return Age(
            min_years=lo.value if lo else None,
            max_years=hi.value if hi else None,
            min_inclusive=lo is None or lo.comparator is Comparator.GE,
            max_inclusive=hi is None or hi.comparator is Comparator.LE,
            **cc.common(a, b, cf),
        )

    if any(
        b.comparator not in (Comparator.GE, Comparator.GT, Comparator.LE, Comparator.LT)
        for b in bounds
    ):
        return []

    def build(cc: Ctx, w: WindowHit | None, a: int, b: int, cf: float) -> Criterion:
        if c.joiner == "or" and len(bounds) == 2:
            return AnyOf(
                items=tuple(age_node(cc, [x], a, b, cf) for x in bounds), **cc.common(a, b, cf)
            )
        return age_node(cc, bounds, a, b, cf)

    return [Hit(base + start, base + end, build, frozenset(), 0.95)]


_SEX_RX = re.compile(
    r"\b(?:male\s+(?:or|and|/)\s+female|female\s+(?:or|and|/)\s+male|men\s+(?:and|or)\s+women|"
    r"women\s+(?:and|or)\s+men|both\s+(?:sexes|genders)|gender\s+(?:is\s+)?(?:unlimited|not\s+limited|"
    r"not\s+restricted|unrestricted)|(?:any|either)\s+(?:sex|gender)|all\s+genders|sex\s*:\s*all)\b",
    _I,
)
_SEX_ONLY_RX = re.compile(
    r"\b(?:(?P<f>female|women)\s+(?:patients?|participants?|subjects?)?\s*only|only\s+(?P<f2>female|women)"
    r"|(?P<m>male|men)\s+(?:patients?|participants?|subjects?)?\s*only|only\s+(?P<m2>male|men))\b",
    _I,
)


def _sex(ctx: Ctx, text: str, base: int) -> list[Hit]:
    if ctx.section != "inclusion" or not ctx.has_word(
        "male", "female", "men", "women", "sex", "sexes", "gender", "genders"
    ):
        return []
    m = _SEX_RX.search(text)
    allowed: tuple[Sex, ...]
    if m:
        allowed = (Sex.FEMALE, Sex.MALE)
    else:
        m = _SEX_ONLY_RX.search(text)
        if not m:
            return []
        allowed = (Sex.FEMALE,) if (m.group("f") or m.group("f2")) else (Sex.MALE,)

    def build(c: Ctx, w: WindowHit | None, a: int, b: int, cf: float) -> Criterion:
        return SexIs(allowed=allowed, **c.common(a, b, cf))

    return [Hit(base + m.start(), base + m.end(), build, frozenset(), 0.9)]


# ====================================================================== conditions

_ACTIVE_RX = re.compile(
    r"\b(?:active|current\w*|uncontrolled|ongoing|existing|present|acute)\b", _I
)
_EXC_WORDS = re.compile(
    r"\b(?:except(?:\s+for)?|excluding|other\s+than|with\s+the\s+exception\s+of|apart\s+from)\b", _I
)
_MODIFIER_AFTER = re.compile(r"[- ](?:associated|induced|related|caused)\b", _I)
_MODIFIER_BEFORE = re.compile(
    r"(?:due\s+to|caused\s+by|secondary\s+to|(?:years?|months?|weeks?)\s+of)\s+$", _I
)
_DIAGNOSIS_CUE = re.compile(
    r"diagnos\w*|\bmeets?\b|\bmeeting\b|fulfil\w*|classif\w*|criteria|confirmed|\bconform|"
    r"^\W*(?:patients?|subjects?|participants?)\s+with\b|biopsy|\bactive\b|history\s+of|"
    r"^\W*(?:relaps\w*|refractory|recurrent|progressive)",
    _I,
)
_NEG_CONTEXT = re.compile(
    r"\b(?:no|without|not|negative\s+for|free\s+of|exclude)\s+(?:\w+\s+){0,2}$", _I
)


def _conditions(ctx: Ctx, text: str, base: int, claimed: list[tuple[int, int]]) -> list[Hit]:
    def free(s: int, e: int) -> bool:
        return not any(s + base < ce and cs < e + base for cs, ce in claimed)

    found = [(k, s, e) for k, s, e in lx.find_all(lx.CONDITIONS, text, base) if free(s, e)]
    for m in _IIM_RX.finditer(text):
        if free(m.start(), m.end()) and not any(s <= m.start() < e for _, s, e in found):
            found.append(("iim", m.start(), m.end()))
    found.sort(key=lambda x: x[1])
    if not found:
        return []
    exc = _EXC_WORDS.search(text)
    hits: list[Hit] = []
    exceptions = [f for f in found if exc and f[1] >= exc.end()]
    mains = [f for f in found if not (exc and f[1] >= exc.end())]
    cohort = set(ctx.cohort_keys)
    seen: dict[tuple[str, ...], int] = {}
    for key, s, e in mains:
        if _NEG_CONTEXT.search(text[max(0, s - 30) : s]) and ctx.section == "inclusion":
            continue
        if _MODIFIER_AFTER.match(text[e:]) or _MODIFIER_BEFORE.search(text[max(0, s - 30) : s]):
            continue  # "tumor-associated myositis", "within 2 years of tumor diagnosis"
        paren = re.match(r"\s*\(", text[e:])
        if paren is not None and any(
            base + e < cs < base + e + 80 and cs <= base + e + paren.end() + 25
            for cs, _ce in claimed
        ):
            continue  # "severe lupus nephritis (serum creatinine > 2.5 mg/dL)": defined by the test
        concepts = lx.IIM_KEYS if key == "iim" else (key,)
        if cohort and set(concepts) <= cohort:
            # the cohort's own disease: context in its exclusions; in its inclusions only a
            # diagnosis sentence ("meets", "diagnosed with", a cohort title) counts
            if ctx.section == "exclusion":
                continue
            if _DEFINITION_RX.match(text) or not (
                _DIAGNOSIS_CUE.search(text) or len(text.split()) <= 8
            ):
                continue
        active = key in ("pregnancy", "lactation") or bool(
            _ACTIVE_RX.search(text[max(0, s - 30) : s])
        )
        if concepts in seen:
            # the same disease named twice ("active RA with a diagnosis of RA >= 6 months")
            i = seen[concepts]
            prev = hits[i]
            prev_active = prev.active_only or active

            def build_same(
                c: Ctx,
                w: WindowHit | None,
                a: int,
                b: int,
                cf: float,
                concepts: tuple[str, ...] = concepts,
                active: bool = prev_active,
            ) -> Criterion:
                return _condition_node(c, concepts, active, w, a, b, cf)

            hits[i] = Hit(
                prev.start,
                base + e,
                build_same,
                prev.accepts,
                prev.confidence,
                kind="condition",
                concepts=concepts,
                active_only=prev_active,
            )
            continue
        conf = 0.75 if ctx.section == "exclusion" else 0.7

        def build(
            c: Ctx,
            w: WindowHit | None,
            a: int,
            b: int,
            cf: float,
            concepts: tuple[str, ...] = concepts,
            active: bool = active,
        ) -> Criterion:
            return _condition_node(c, concepts, active, w, a, b, cf)

        seen[concepts] = len(hits)
        hits.append(
            Hit(
                base + s,
                base + e,
                build,
                frozenset({"within", "at_least", "duration"}),
                conf,
                kind="condition",
                concepts=concepts,
                active_only=active,
            )
        )
    main_concepts = {k for h in hits for k in h.concepts}
    exc_concepts = tuple(
        dict.fromkeys(
            k
            for key, _, _ in exceptions
            for k in (lx.IIM_KEYS if key == "iim" else (key,))
            if k not in main_concepts
        )
    )
    if exc_concepts and hits and exc is not None:
        es = min(s for _, s, _ in exceptions) + base
        ee = max(e for _, _, e in exceptions) + base
        last = hits[-1]
        inner = last.build
        exc_windows = [w for w in find_windows(text[exc.start() :]) if w.direction != "after"]
        exc_w = exc_windows[0] if exc_windows else None
        if exc_w is not None:
            ee = max(ee, base + exc.start() + exc_w.end)

        def build_exc(
            c: Ctx,
            w: WindowHit | None,
            a: int,
            b: int,
            cf: float,
            inner: BuildFn = inner,
            last: Hit = last,
        ) -> Criterion:
            node = inner(c, w, last.start, last.end, cf)
            # "except NMSC disease-free for more than 5 years": the carve-out is old enough
            other = ConditionHistory(
                concepts=exc_concepts,
                onset_at_least=window(exc_w),
                **c.common(es, ee, cf),
            )
            return AllOf(
                items=(node, Not(item=other, **c.common(es, ee, cf))),
                **c.common(a, b, cf * 0.8, "exceptions read as 'and not'; check"),
            )

        hits[-1] = Hit(
            last.start,
            last.end,
            build_exc,
            last.accepts,
            last.confidence * 0.8,
            kind="condition_exc",
            claim=(last.start, max(ee, last.end)),
            exc_zone=(base + exc.start(), base + len(text)),
        )
    return hits


def _condition_node(
    c: Ctx, concepts: tuple[str, ...], active: bool, w: WindowHit | None, a: int, b: int, cf: float
) -> Criterion:
    within = at_least = None
    if w is not None:
        if w.direction == "within":
            within = window(w)
        elif w.direction in ("at_least", "duration"):
            at_least = window(w)
    return ConditionHistory(
        concepts=concepts,
        active_only=active,
        onset_within=within,
        onset_at_least=at_least,
        **c.common(a, b, cf),
    )


# ====================================================================== assembly

_STOP = frozenset(
    [
        "a",
        "an",
        "the",
        "and",
        "or",
        "of",
        "in",
        "on",
        "at",
        "to",
        "for",
        "with",
        "without",
        "by",
        "from",
        "as",
        "is",
        "are",
        "was",
        "were",
        "be",
        "been",
        "being",
        "has",
        "have",
        "had",
        "do",
        "does",
        "did",
        "must",
        "should",
        "shall",
        "will",
        "would",
        "can",
        "could",
        "may",
        "might",
        "who",
        "which",
        "that",
        "this",
        "these",
        "those",
        "their",
        "his",
        "her",
        "its",
        "patients",
        "patient",
        "subjects",
        "subject",
        "participants",
        "participant",
        "persons",
        "person",
        "people",
        "individuals",
        "case",
        "cases",
        "any",
        "all",
        "other",
        "following",
        "requirements",
        "requirement",
        "meet",
        "meets",
        "met",
        "function",
        "functions",
        "value",
        "values",
        "level",
        "levels",
        "count",
        "counts",
        "test",
        "tests",
        "result",
        "results",
        "screening",
        "baseline",
        "time",
        "period",
        "during",
        "prior",
        "before",
        "after",
        "within",
        "than",
        "more",
        "less",
        "equal",
        "greater",
        "also",
        "such",
        "including",
        "include",
        "includes",
        "e.g",
        "i.e",
        "etc",
        "not",
        "no",
        "yes",
        "if",
        "when",
        "where",
        "there",
        "than",
        "both",
        "either",
        "each",
        "per",
        "study",
        "trial",
        "visit",
        "investigator",
        "investigators",
        "opinion",
        "day",
        "days",
        "week",
        "weeks",
        "month",
        "months",
        "year",
        "years",
        "known",
        "history",
        "diagnosis",
        "diagnosed",
        "defined",
        "definition",
        "based",
        "according",
        "following",
        "needs",
        "need",
        "need",
        "required",
        "normal",
        "range",
        "upper",
        "lower",
        "limit",
        "uln",
        "lln",
        "organ",
        "organs",
        "important",
        "major",
        "good",
        "basically",
        "women",
        "woman",
        "men",
        "man",
        "female",
        "male",
        "females",
        "males",
        "childbearing",
        "potential",
        "age",
        "aged",
        "agree",
        "agrees",
        "agreed",
        "disease",
        "diseases",
        "severe",
        "serious",
        "significant",
        "clinically",
        "relevant",
        "activity",
        "score",
        "scores",
        "index",
        "total",
        "points",
        "point",
        "refractory",
        "relapsed",
        "relapsing",
        "recurrent",
        "progressive",
        "relapse-refractory",
        "relapsing-refractory",
        "relapse",
        "state",
        "status",
        "presence",
    ]
)


_WORD_RX = re.compile(r"[A-Za-z][A-Za-z'-]{2,}")


def _content_words(text: str) -> list[tuple[int, int]]:
    return [m.span() for m in _WORD_RX.finditer(text) if m.group().lower().strip("'-") not in _STOP]


_RECOGNIZERS: list[Callable[[Ctx, str, int], list[Hit]]] = [
    _joint_counts,
    _thresholds,
    _score_named_after,
    _toxicity_grades,
    _bilag,
    _age,
    _classification,
    _pregnancy_tests,
    _serology,
    _contraception,
    therapy.doses,
    therapy.counts,
    _prior_therapy,
    _medications,
    _sex,
]


@dataclass
class ClauseResult:
    node: Criterion | None
    computable: bool
    windows: list[WindowHit]


def recognize(ctx: Ctx, text: str, start: int, end: int) -> ClauseResult:
    """Nodes for the clause ``text[start:end]`` (cleaned offsets)."""
    clause = text[start:end]
    ctx.low = clause.lower()
    ctx.words = frozenset(re.findall(r"[a-z0-9]+", ctx.low))
    claimed: list[tuple[int, int]] = []
    age_regions: set[tuple[int, int]] = set()
    hits: list[Hit] = []
    for rec in _RECOGNIZERS:
        found = rec(ctx, clause, start)
        if (
            rec is _medications
            and claimed
            and any(
                (h.claim or (h.start, h.end))[0] < ce and cs < (h.claim or (h.start, h.end))[1]
                for h in found
                for cs, ce in claimed
            )
        ):
            # the drugs a dose or a count already read are masked: the rest of the list is
            # read on its own ("cyclophosphamide (1.5 g) and mycophenolate (for 3 months)")
            found = _medications(ctx, _masked(clause, start, claimed), start)
            for h in found:
                h.kind = "masked"
        for h in found:
            region = h.claim or (h.start, h.end)
            clash = [(cs, ce) for cs, ce in claimed if region[0] < ce and cs < region[1]]
            # a clause-wide reading ("SLE, aged >= 18 ..., fulfilling the 2019 criteria") may
            # enclose an age read inside it
            clash = [
                (cs, ce)
                for cs, ce in clash
                if not ((cs, ce) in age_regions and region[0] <= cs and ce <= region[1])
            ]
            if h.kind == "masked":
                h.kind, clash = "atom", []  # its mentions lie outside what was claimed
            if clash and h.kind == "manual":
                # a manual stretch ("agrees to use contraception ...") yields to what was read
                new_start = max(ce for _, ce in clash)
                if new_start < h.end and all(ce <= h.end for _, ce in clash):
                    h.start = new_start
                    region = (h.start, h.end)
                    clash = []
            if clash:
                continue
            hits.append(h)
            claimed.append(region)
            if rec is _age:
                age_regions.add(region)
    for h in _conditions(ctx, clause, start, claimed):
        region = h.claim or (h.start, h.end)
        if any(region[0] < ce and cs < region[1] for cs, ce in claimed):
            continue
        hits.append(h)
        claimed.append(region)
    hits.sort(key=lambda h: h.start)
    windows = ctx.windows_in(start, end)
    anchors = [(w.anchor_start, w.end) for w in windows if w.anchor_text]
    if anchors:
        # "5 days before CAR T cell infusion": the anchor is when, not what
        hits = [h for h in hits if not any(a <= h.start and h.end <= b for a, b in anchors)]
    _attach_windows(text, hits, windows)
    for h in hits:
        if (
            h.window is not None
            and h.window.direction == "duration"
            and _STOPPED.search(text[max(start, h.start - 40) : h.start])
        ):
            # "discontinuation of immunosuppressants for more than 1 week": a washout
            h.window = dataclasses.replace(h.window, direction="at_least")
    hits = _merge_conditions(text, hits)

    # how much of the clause the hits explain
    covered = list(claimed) + [(w.start, w.end) for w in windows if _used(w, hits)]
    label = re.match(r"\s*[A-Za-z][A-Za-z /-]{1,40}:\s*", clause) if hits else None
    words = [w for w in _content_words(clause) if not (label and w[1] <= label.end())]
    if words:
        rel = [(cs - start, ce - start) for cs, ce in covered]
        explained = sum(1 for a, b in words if any(a < ce and cs < b for cs, ce in rel))
        coverage = explained / len(words)
        leftover = len(words) - explained
    else:
        coverage, leftover = 1.0, 0
    computable = [h for h in hits if h.computable]
    nodes: list[Criterion] = []
    add_manual = leftover >= 3 and (not hits or coverage < 0.6 or leftover >= 5)
    single = len(hits) == 1 and not add_manual
    for h in hits:
        a, b = h.start, h.end
        if h.window is not None:
            a, b = min(a, h.window.start), max(b, h.window.end)
        if single:
            a, b = start, end  # one node reads the whole sentence: it quotes all of it
        conf = h.confidence * (0.8 + 0.2 * coverage) if h.computable else h.confidence
        if h.window is not None and not h.window.resolved and h.computable:
            node = _unresolved_anchor(ctx, h.window, a, b)
            computable = [x for x in computable if x is not h]
        elif (
            h.window is not None
            and h.kind in ("condition", "condition_exc")
            and (ev := _EVIDENCE.search(text[max(start, h.start - 60) : h.start]))
        ):
            # "MRI evidence of active myositis within 3 months": the finding is dated, not the
            # onset of the disease
            word = ev.group(0).split()[0].lower()
            node = ManualReview(
                data_hint=word if word != "evidence" else "dated finding",
                **ctx.common(
                    a, b, 1.0, "a finding dated by the window, not the onset of the disease"
                ),
            )
            computable = [x for x in computable if x is not h]
        else:
            node = h.build(ctx, h.window, a, b, conf)
            review = _not_computable(ctx, node, h.window)
            if review is not None:
                node = review
                computable = [x for x in computable if x is not h]
            elif h.window is not None and h.window.direction == "at_least":
                node = _washout(ctx, node, h.window)
            elif h.window is not None and isinstance(node, MedicationHistory):
                node = _per_item_window(ctx, text, node, h.window)
        if isinstance(node, ManualReview) and h.window is not None:
            ctx.manual_windows[node.span or (0, 0)] = h.window
        _remember_therapy(ctx, node)
        nodes.append(node)
    if not hits:
        stable = _stable_dose(ctx, clause, start, end, windows)
        if stable is not None:
            return ClauseResult(stable, False, windows)
    if add_manual:
        manual = ManualReview(
            **ctx.common(
                start,
                end,
                1.0,
                "not understood by the parser: needs a person"
                if not hits
                else "part of this sentence was not understood",
            )
        )
        free_windows = [w for w in windows if not _used(w, hits) and w.direction != "after"]
        if free_windows:
            ctx.manual_windows[manual.span or (0, 0)] = free_windows[0]
        nodes.append(manual)
        hits.append(Hit(start, end, lambda *a: manual, computable=False, kind="manual"))
    if not nodes:
        if not re.search(r"[^\W_]", ctx.text(start, end)):
            return ClauseResult(None, False, windows)
        manual = ManualReview(
            **ctx.common(start, end, 1.0, "not understood by the parser: needs a person")
        )
        free_windows = [w for w in windows if w.direction != "after"]
        if free_windows:
            ctx.manual_windows[manual.span or (0, 0)] = free_windows[0]
        return ClauseResult(manual, False, windows)
    node = _join(ctx, text, hits, nodes, start, end)
    return ClauseResult(node, bool(computable), windows)


def _history_concepts(node: Criterion) -> tuple[str, ...] | None:
    if isinstance(node, MedicationHistory):
        return node.drugs + node.classes
    if isinstance(node, (ProcedureHistory, ConditionHistory)):
        return node.concepts
    return None


def _not_computable(ctx: Ctx, node: Criterion, w: WindowHit | None) -> ManualReview | None:
    """A history of things the vocabulary cannot code (chemotherapy, radiotherapy, surgery), or a
    washout written in an exclusion list ("At least 3 weeks since prior X" listed as an
    exclusion: the polarity is the reader's call): review, with the window read kept."""
    concepts = _history_concepts(node)
    if concepts is None:
        return None
    unknown = all(c in lx.UNCODABLE for c in concepts)
    washout_in_exclusion = (
        w is not None and w.direction == "at_least" and ctx.section == "exclusion"
    )
    if not (unknown or washout_in_exclusion):
        return None
    reason = (
        f"{', '.join(concepts)}: not in the vocabulary, no record can be matched"
        if unknown
        else "a washout written in the exclusion list: decide its polarity"
    )
    review = ManualReview(
        data_hint=",".join(concepts),
        **ctx.common_of(node, f"{reason}; read: {node.text!r}"),
    )
    if w is not None and w.resolved:
        facts = [
            {
                "category": "window",
                "concept": list(concepts),
                "comparator": "<=" if w.direction == "within" else ">=",
                "value": w.amount,
                "unit": TIME_CODES[w.unit],
                "anchor": None if w.direction == "duration" else w.reference,
                "direction": "duration" if w.direction == "duration" else "before",
            }
        ]
        ctx.doc.setdefault("manual_facts", {})[review.span or (0, 0)] = tuple(facts)
    return review


def _washout(ctx: Ctx, node: Criterion, w: WindowHit) -> Criterion:
    """ "At least 4 weeks since prior X" (inclusion): no X inside those 4 weeks."""
    if (
        not isinstance(node, (MedicationHistory, ProcedureHistory))
        or w.unit is TimeUnit.HALF_LIVES
        and isinstance(node, ProcedureHistory)
    ):
        return node
    inner = node.model_copy(
        update={"within": Window(amount=w.amount, unit=w.unit, reference=w.reference)}
    )
    ctx.doc.setdefault("washouts", set()).add(inner.span)
    return Not(
        item=inner, **ctx.common_of(node, f"washout: at least {w.amount:g} {w.unit.value} since")
    )


_STABLE_DOSE = re.compile(
    r"^\W*(?:and\s+)?(?:the\s+)?(?:daily\s+)?(?:dose|dosage|regimen|treatment)\b[^;]*\bstable\b", _I
)


def _remember_therapy(ctx: Ctx, node: Criterion) -> None:
    """The drugs the last therapy node of the item named (for "the dose must be stable...")."""
    concepts = _history_concepts(node) if isinstance(node, MedicationHistory) else None
    if concepts is None and isinstance(node, ManualReview) and node.data_hint == "dose":
        read = ctx.doc.get("manual_facts", {}).get(node.span) or ()
        concepts = tuple(read[0]["concept"]) if read else None
    if concepts:
        ctx.doc["last_therapy"] = (node.span, concepts)


def _stable_dose(
    ctx: Ctx, clause: str, start: int, end: int, windows: list[WindowHit]
) -> ManualReview | None:
    """ "The dose must be stable for >= 8 weeks prior to baseline." right after a sentence naming
    the drug: the duration belongs to that drug. Kept for review (a stable dose is more than
    a treatment lasting that long), with the window read."""
    last = ctx.doc.get("last_therapy")
    w = next((x for x in windows if x.direction == "duration" and x.resolved), None)
    if last is None or w is None or not _STABLE_DOSE.match(clause):
        return None
    span, concepts = last
    if span is None or start - span[1] > 400:
        return None
    node = ManualReview(
        data_hint=",".join(concepts),
        **ctx.common(start, end, 1.0, f"stable dose of {', '.join(concepts)} named before"),
    )
    fact = {
        "category": "window",
        "concept": list(concepts),
        "comparator": ">=",
        "value": w.amount,
        "unit": TIME_CODES[w.unit],
        "anchor": None,
        "direction": "duration",
    }
    ctx.doc.setdefault("manual_facts", {})[node.span or (0, 0)] = (fact,)
    return node


_PER_ITEM = re.compile(
    rf"\(\s*(?P<amt>{ANYNUM})\s*(?P<unit>days?|weeks?|months?|years?)\s+for\s+(?P<names>[^()]{{1,80}})\)",
    _I,
)


def _per_item_window(ctx: Ctx, text: str, node: MedicationHistory, w: WindowHit) -> Criterion:
    """ "within 3 months (6 months for rituximab)": the named drugs get their own window,
    ``AnyOf(the list within 3 months, rituximab within 6 months)``."""
    m = _PER_ITEM.search(text, w.start, w.end)
    if m is None or node.within is None:
        return node
    named = tuple(dict.fromkeys(k for k, _s, _e in lx.find_all(lx.DRUGS, m.group("names"))))
    if not named:
        return node
    try:
        amount = to_number(m.group("amt"))
    except ValueError:
        return node
    unit = time_unit(m.group("unit"))
    own = MedicationHistory(
        drugs=named,
        within=Window(amount=amount, unit=unit, reference=node.within.reference),
        **ctx.common_of(node, f"its own window: {m.group(0)}"),
    )
    rest_drugs = tuple(d for d in node.drugs if d not in named)
    if not rest_drugs and not node.classes:
        return own
    rest = node.model_copy(update={"drugs": rest_drugs})
    return AnyOf(items=(rest, own), **ctx.common_of(node, "a window with a per-drug exception"))


def _masked(clause: str, start: int, claimed: list[tuple[int, int]]) -> str:
    """``clause`` with the claimed stretches blanked (same length: offsets do not move)."""
    chars = list(clause)
    for cs, ce in claimed:
        for i in range(max(cs - start, 0), min(ce - start, len(chars))):
            chars[i] = " "
    return "".join(chars)


_EVIDENCE = re.compile(
    r"\b(?:evidence|MRI|EMG|biops\w*|imaging|scan|CT|ultrasound|echocardiograph\w*|histolog\w*)\b"
    r"[^;.]{0,40}$",
    _I,
)


def _unresolved_anchor(ctx: Ctx, w: WindowHit, a: int, b: int) -> Criterion:
    """A window counted from an event the temporal grammar cannot name: review, not a guess."""
    node = ManualReview(
        **ctx.common(
            a,
            b,
            1.0,
            f"time window counted from {w.anchor_text!r}: not an anchor the parser knows "
            "(screening, enrollment, consent, randomization, baseline, leukapheresis, "
            "lymphodepletion, first dose, last dose, diagnosis)",
        )
    )
    ctx.manual_windows[node.span or (0, 0)] = w
    return node


def _used(w: WindowHit, hits: list[Hit]) -> bool:
    return any(h.window is w for h in hits)


_BOUNDARY = re.compile(r";|\.\s|,\s*(?:or|and)\b|\bor\s+(?:history|other|any|severe)\b", _I)


def _attach_windows(text: str, hits: list[Hit], windows: list[WindowHit]) -> None:
    zones = [h.exc_zone for h in hits if h.exc_zone is not None]
    for w in windows:
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
        ]
        inside = [h for h in cands if h.start < w.end and w.start < h.end]
        after = [
            h
            for h in cands
            if h.start >= w.end - 1
            and h.start - w.end < 160
            and not _BOUNDARY.search(text[w.end : h.start])
            and not closes(text[w.end : h.start])
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
        chosen = before or inside or after
        for h in chosen:
            if h.window is None:
                h.window = w
            else:
                h.window2 = w


_STOPPED = re.compile(
    r"\b(?:discontinu|stopp|withdr[ae]w|cessation|interrupt|free\s+of|off)\w*\b[^;.]{0,30}$", _I
)
_AGED = re.compile(r"\b(?:aged?|ages)\s*:?\s*$", _I)


_ASIDE_OPEN = re.compile(r"\s*\([^()]{0,40}")
_ASIDE_CLOSE = re.compile(r"[^()]{0,40}\)")


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


def _merge_conditions(text: str, hits: list[Hit]) -> list[Hit]:
    out: list[Hit] = []
    for h in hits:
        prev = out[-1] if out else None
        if (
            prev is not None
            and prev.kind == "condition"
            and h.kind == "condition"
            and prev.window == h.window
            and prev.active_only == h.active_only
            and not re.search(r";|\.\s|\band\b", text[prev.end : h.start], _I)
        ):
            concepts = tuple(dict.fromkeys(prev.concepts + h.concepts))
            active = prev.active_only
            merged_conf = min(prev.confidence, h.confidence)

            def build(
                c: Ctx,
                w: WindowHit | None,
                a: int,
                b: int,
                cf: float,
                concepts: tuple[str, ...] = concepts,
                active: bool = active,
            ) -> Criterion:
                return _condition_node(c, concepts, active, w, a, b, cf)

            out[-1] = Hit(
                prev.start,
                h.end,
                build,
                prev.accepts,
                merged_conf,
                kind="condition",
                window=prev.window,
                concepts=concepts,
                active_only=active,
            )
            continue
        out.append(h)
    return out


def _join(
    ctx: Ctx, text: str, hits: list[Hit], nodes: list[Criterion], start: int, end: int
) -> Criterion:
    if len(nodes) == 1:
        return nodes[0]
    default_or = ctx.section == "exclusion"
    groups: list[list[Criterion]] = [[nodes[0]]]
    for i in range(1, len(nodes)):
        gap = text[hits[i - 1].end : hits[i].start] if hits[i].start >= hits[i - 1].end else ""
        is_or = bool(re.search(r"\bor\b", gap, _I)) and not re.search(r"\band\b", gap, _I)
        is_and = bool(re.search(r"\band\b|\bwith\b", gap, _I)) and not is_or
        if hits[i].kind == "manual" and hits[i].start == start and hits[i].end == end:
            is_or, is_and = default_or, not default_or
        if is_or or (default_or and not is_and):
            groups.append([nodes[i]])
        else:
            groups[-1].append(nodes[i])
    conf = min((n.confidence or 1.0) for n in nodes)
    parts: list[Criterion] = [
        g[0] if len(g) == 1 else AllOf(items=tuple(g), **ctx.common(start, end, conf))
        for g in groups
    ]
    if len(parts) == 1:
        return parts[0]
    return AnyOf(items=tuple(parts), **ctx.common(start, end, conf))
