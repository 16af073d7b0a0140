"""Serology: antibodies, antigens and viral loads with their polarity ("HBsAg positive",
"anti-dsDNA negative"), lists sharing one polarity, and viral loads that confirm an
antigen/antibody ("HBsAg or anti-HBc positive and HBV DNA detectable")."""

from __future__ import annotations

import re

from cartrial.criteria.nodes import (
    AllOf,
    AnyOf,
    Criterion,
    Serology,
)
from cartrial.ingest.parse import lexicon as lx
from cartrial.ingest.parse.hits import Ctx, Hit, window
from cartrial.ingest.parse.recognizers.common import combine
from cartrial.ingest.parse.temporal import WindowHit

_I = re.IGNORECASE


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
SERO_TABLE = lx.register_table({key: (pat,) for key, pat in _SERO})
SERO_GROUPS: dict[str, tuple[str, ...]] = {
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


def polarity(text: str, s: int, e: int, lo: int, hi: int) -> tuple[str | None, int, int]:
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


def serology(ctx: Ctx, text: str, base: int) -> list[Hit]:
    found: list[tuple[str, int, int]] = lx.find_all(SERO_TABLE, text, base)
    if not found:
        return []
    # segments between mentions decide the polarity scope
    hits: list[Hit] = []
    items: list[tuple[str, int, int, str | None, int, int]] = []
    for i, (key, s, e) in enumerate(found):
        lo = found[i - 1][2] if i > 0 else 0
        hi = found[i + 1][1] if i + 1 < len(found) else len(text)
        # a polarity shared by a list ("HBsAg or HBcAb positive"): look past the next mention
        res, ps, pe = polarity(text, s, e, lo, hi)
        if (
            res is None
            and i + 1 < len(found)
            and re.fullmatch(
                r"\s*(?:\([^()]*\)\s*)?(?:,|or|and/or|/)\s*", text[e : found[i + 1][1]], _I
            )
        ):
            hi2 = found[i + 2][1] if i + 2 < len(found) else len(text)
            res, ps, pe = polarity(text, s, found[i + 1][2], found[i + 1][2], hi2)
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
        if key in SERO_GROUPS:
            return AnyOf(
                items=tuple(
                    Serology(
                        concept=k,
                        result=result,
                        lookback=window(w),
                        **c.common(base + a, base + b, cf, note),
                    )
                    for k in SERO_GROUPS[key]
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
                return combine(c, [core, *rest], "list", a, b, cf)
        joined = text[g[0][2] : g[-1][1]]
        joiner = (
            "and"
            if re.search(r"\band\b", joined, _I) and not re.search(r"\bor\b", joined, _I)
            else "or"
        )
        if ctx.section == "inclusion" and joiner == "or":
            return AnyOf(items=tuple(nodes), **c.common(a, b, cf))
        return combine(c, nodes, joiner if ctx.section == "inclusion" else "or", a, b, cf)

    return Hit(base + s, base + e, build, frozenset({"within"}), conf)
