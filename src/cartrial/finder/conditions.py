"""Condition names as registries spell them -> one condition key, one page, one family.

Registry records name the same disease many ways ("SLE (Systemic Lupus)", "Lupus Erythematosus,
Systemic", "Systemic Lupus Erthematosus"): each is read against the patterns below and folded to
one key. Keys use the vocabulary's target-disease keys where it has them (``vocab_keys``: the
concept keys of ``vocab/data/conditions.json`` a page covers). A *family* groups keys a patient
would call "the same disease" (lupus nephritis belongs to lupus). Queries go through the same
patterns, so "lupus", "SLE" and "systemic lupus" find the same trials.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache

__all__ = [
    "CONDITIONS",
    "FAMILIES",
    "Condition",
    "by_key",
    "by_slug",
    "family_of",
    "normalise",
    "query_keys",
    "vocab_display",
]


@dataclass(frozen=True)
class Condition:
    key: str
    display: str
    abbreviation: str | None
    family: str
    patterns: tuple[str, ...]
    vocab_keys: tuple[str, ...] = ()
    plain: str = ""
    """One sentence in plain words for the condition page."""

    @property
    def slug(self) -> str:
        return self.key.replace("_", "-")

    @property
    def label(self) -> str:
        return f"{self.display} ({self.abbreviation})" if self.abbreviation else self.display


#: family key -> display name
FAMILIES: dict[str, str] = {
    "lupus": "Lupus",
    "scleroderma": "Systemic sclerosis (scleroderma)",
    "myositis": "Myositis",
    "arthritis": "Inflammatory arthritis",
    "sjogren": "Sjögren's disease",
    "vasculitis": "Vasculitis",
    "cytopenia": "Autoimmune blood disorders",
    "neuro": "Autoimmune nerve and muscle diseases",
    "kidney": "Autoimmune kidney diseases",
    "bowel": "Inflammatory bowel disease",
    "skin": "Autoimmune skin diseases",
    "endocrine": "Autoimmune gland diseases",
    "other": "Other immune-mediated diseases",
    "basket": "Several autoimmune diseases",
}

_ = r"(?-i:{})"  # an abbreviation is matched case-sensitively

CONDITIONS: tuple[Condition, ...] = (
    Condition(
        "lupus_nephritis",
        "Lupus nephritis",
        "LN",
        "lupus",
        (
            r"lupus\s+nephritis",
            r"(?:SLE|lupus|immune)[- ]nephritis",
            r"(?-i:\bLN\b)",
            r"lupus\s+erythen?l?atosus\s+nephritis",
        ),
        ("lupus_nephritis",),
        "Kidney inflammation caused by lupus.",
    ),
    Condition(
        "sle",
        "Systemic lupus erythematosus",
        "SLE",
        "lupus",
        (
            r"systemi?c?\s+lupus(?!\s+(?:\w+\s+)?nephritis)",
            r"lupus\s+erythe\w*(?!\s+nephritis)",
            r"(?-i:\bSLE\b)(?![- ](?:ITP|nephritis))",
            r"\blupus\b(?!\s+nephritis)",
        ),
        ("sle",),
        "A long-term disease in which the immune system attacks the skin, joints, kidneys "
        "and other organs.",
    ),
    Condition(
        "ssc",
        "Systemic sclerosis",
        "SSc",
        "scleroderma",
        (r"systemi?c?;?\s+sclerosis", r"scleroderma", r"(?-i:\bSSc\b)", r"(?-i:\bSSC\b)"),
        ("systemic_sclerosis", "ssc_diffuse_cutaneous", "ssc_ild"),
        "A disease that makes the skin and some inner organs hard and stiff (scleroderma).",
    ),
    Condition(
        "iim",
        "Idiopathic inflammatory myopathy (myositis)",
        "IIM",
        "myositis",
        (
            r"myositis",
            r"inflammatory\s+myopath",
            r"dermatomyositis",
            r"polymyositis",
            r"anti-?\s?synthetase",
            r"necroti[sz]ing\s+(?:autoimmune\s+)?myopath",
            r"(?-i:\bJ?IIM\b)",
            r"(?-i:\bI?MNM\b)",
        ),
        ("dermatomyositis", "polymyositis", "antisynthetase_syndrome", "imnm"),
        "Diseases in which the immune system attacks the muscles and sometimes skin and lungs.",
    ),
    Condition(
        "ra",
        "Rheumatoid arthritis",
        "RA",
        "arthritis",
        (r"rheumatoid\s+arthritis", r"(?-i:\bRA\b)"),
        ("rheumatoid_arthritis",),
        "A disease in which the immune system attacks the joints.",
    ),
    Condition(
        "jia",
        "Juvenile idiopathic arthritis",
        "JIA",
        "arthritis",
        (r"juvenile\s+idiopathic\s+arthritis", r"(?-i:\bp?JIA\b)"),
        (),
        "Long-lasting joint inflammation that starts in childhood.",
    ),
    Condition(
        "still",
        "Still's disease",
        "AOSD",
        "arthritis",
        (r"still'?s?\s+dis", r"(?-i:\bAOSD\b)"),
        ("adult_onset_stills",),
        "An inflammatory disease with fever, rash and joint pain.",
    ),
    Condition(
        "pss",
        "Sjögren's disease",
        "pSS",
        "sjogren",
        (r"sj[oö]e?gren", r"(?-i:\bp?SS\b)", r"(?-i:\bSjD\b)"),
        ("primary_sjogren",),
        "A disease in which the immune system attacks the glands that make tears and saliva.",
    ),
    Condition(
        "aav",
        "ANCA-associated vasculitis",
        "AAV",
        "vasculitis",
        (
            r"\bANCA\b",
            r"anti-?neutrophil(?:ic)?\s+cytoplasmic",
            r"(?-i:\bAAV\b)",
            r"granulomato\w+\s+(?:with\s+)?polyangiitis",
            r"microscopic\s+polyangiitis",
        ),
        ("anca_vasculitis",),
        "Inflammation of small blood vessels caused by ANCA antibodies.",
    ),
    Condition(
        "behcet",
        "Behçet's disease",
        None,
        "vasculitis",
        (r"beh[cç]et",),
        (),
        "Inflammation of blood vessels with mouth and skin sores.",
    ),
    Condition(
        "itp",
        "Immune thrombocytopenia",
        "ITP",
        "cytopenia",
        (
            r"immune\s+thrombocytopeni",
            r"thrombocytopeni\w*\s+purpura",
            r"autoimmune\s+thrombocytopeni",
            r"(?-i:\bITP\b)",
            r"evans\s+syndrome",
        ),
        ("itp",),
        "The immune system destroys blood platelets, so bleeding comes easily.",
    ),
    Condition(
        "aiha",
        "Autoimmune haemolytic anaemia",
        "AIHA",
        "cytopenia",
        (
            r"autoimmune\s+ha?emolytic",
            r"(?-i:\bw?AIHA\b)",
            r"immune\s+cytopeni",
            r"evans\s+syndrome",
        ),
        (),
        "The immune system destroys red blood cells.",
    ),
    Condition(
        "mg",
        "Myasthenia gravis",
        "MG",
        "neuro",
        (r"myast?h?a?enia", r"(?-i:\bg?MG\b)"),
        ("myasthenia_gravis",),
        "Antibodies block the signal from nerves to muscles, causing weakness.",
    ),
    Condition(
        "ms",
        "Multiple sclerosis",
        "MS",
        "neuro",
        (r"multiple\s+sclerosis", r"(?-i:\b[RP]?MS\b)"),
        ("multiple_sclerosis",),
        "The immune system attacks the protective layer around nerves in the brain and spine.",
    ),
    Condition(
        "nmosd",
        "Neuromyelitis optica spectrum disorder",
        "NMOSD",
        "neuro",
        (r"neuromyelitis", r"(?-i:\bNMO(?:SD)?\b)"),
        (),
        "Inflammation of the optic nerve and spinal cord.",
    ),
    Condition(
        "mogad",
        "MOG antibody-associated disease",
        "MOGAD",
        "neuro",
        (r"myelin\s+oligodendrocyte", r"(?-i:\bMOGAD\b)"),
        (),
        "Inflammation of the brain, spine or optic nerve caused by MOG antibodies.",
    ),
    Condition(
        "cidp",
        "Chronic inflammatory demyelinating polyneuropathy",
        "CIDP",
        "neuro",
        (r"chronic\s+inflammatory\s+demyelinating", r"(?-i:\bCIDP\b)"),
        (),
        "The immune system damages the nerves of the arms and legs.",
    ),
    Condition(
        "encephalitis",
        "Autoimmune encephalitis",
        "AE",
        "neuro",
        (r"autoimmune\s+encephalitis",),
        (),
        "The immune system attacks the brain.",
    ),
    Condition(
        "sps",
        "Stiff person syndrome",
        "SPS",
        "neuro",
        (r"stiff[- ]person", r"(?-i:\bSPS\b)"),
        (),
        "A nerve disease that makes muscles stiff and cramp.",
    ),
    Condition(
        "membranous",
        "Membranous nephropathy",
        "MN",
        "kidney",
        (r"membranous", r"(?-i:\bMN\b)"),
        (),
        "Antibodies damage the kidney's filters so protein leaks into the urine.",
    ),
    Condition(
        "igan",
        "IgA nephropathy",
        "IgAN",
        "kidney",
        (r"\biga\s+nephropathy", r"(?-i:\bIgAN\b)"),
        (),
        "Deposits of the antibody IgA damage the kidney.",
    ),
    Condition(
        "nephrotic",
        "Nephrotic syndrome and podocytopathy",
        None,
        "kidney",
        (r"nephrotic\s+syndrome", r"podocytopathy", r"anti-?gbm", r"glomerulonephritis"),
        (),
        "Kidney diseases that let protein leak into the urine.",
    ),
    Condition(
        "igg4rd",
        "IgG4-related disease",
        "IgG4-RD",
        "other",
        (r"igg4",),
        (),
        "Swelling and scarring in one or more organs caused by IgG4-making immune cells.",
    ),
    Condition(
        "aps",
        "Antiphospholipid syndrome",
        "APS",
        "other",
        (r"antiphospholipid", r"(?-i:\bAPS\b)"),
        (),
        "Antibodies make the blood clot too easily.",
    ),
    Condition(
        "ibd",
        "Inflammatory bowel disease",
        "IBD",
        "bowel",
        (r"crohn", r"ulcerative\s+colitis", r"inflammatory\s+bowel"),
        ("crohns_disease", "ulcerative_colitis"),
        "Long-term inflammation of the gut (Crohn's disease, ulcerative colitis).",
    ),
    Condition(
        "pemphigus",
        "Pemphigus",
        None,
        "skin",
        (r"pemphig",),
        (),
        "Antibodies cause blisters on the skin and in the mouth.",
    ),
    Condition(
        "hs",
        "Hidradenitis suppurativa",
        "HS",
        "skin",
        (r"hidradenitis",),
        (),
        "Painful lumps and abscesses in the skin folds.",
    ),
    Condition(
        "aplastic_anaemia",
        "Aplastic anaemia",
        None,
        "cytopenia",
        (r"aplastic\s+ana?emia",),
        (),
        "The bone marrow stops making enough blood cells.",
    ),
    Condition(
        "t1d",
        "Type 1 diabetes",
        "T1D",
        "endocrine",
        (r"type\s+1\s+diabetes", r"(?-i:\bT1DM?\b)"),
        (),
        "The immune system destroys the cells that make insulin.",
    ),
    Condition(
        "graves",
        "Graves' disease",
        None,
        "endocrine",
        (r"graves'?\s+disease",),
        (),
        "Antibodies make the thyroid gland overactive.",
    ),
    Condition(
        "cgvhd",
        "Chronic graft-versus-host disease",
        "cGVHD",
        "other",
        (r"graft[- ]versus[- ]host", r"(?-i:\bc?GVHD\b)"),
        (),
        "Donor immune cells attack the body after a transplant.",
    ),
    Condition(
        "autoimmune",
        "Autoimmune disease (several)",
        None,
        "basket",
        (
            r"autoimmun",
            r"rheumat",
            r"connective\s+tissue",
            r"b[- ]cell[- ]mediated",
            r"immune[- ]mediated",
            r"immune\s+diseases?",
        ),
        (),
        "Trials open to people with one of several autoimmune diseases.",
    ),
)

_BY_KEY = {c.key: c for c in CONDITIONS}
_BY_SLUG = {c.slug: c for c in CONDITIONS}
_SPECIFIC = tuple(c for c in CONDITIONS if c.family != "basket")


@cache
def _compiled(key: str) -> re.Pattern[str]:
    return re.compile("|".join(f"(?:{p})" for p in _BY_KEY[key].patterns), re.IGNORECASE)


def by_key(key: str) -> Condition | None:
    return _BY_KEY.get(key)


def by_slug(slug: str) -> Condition | None:
    return _BY_SLUG.get(slug.strip().lower())


@cache
def _vocab_names() -> dict[str, str]:
    """Vocabulary condition key -> its display name (``vocab/data/conditions.json``)."""
    import json
    from importlib import resources

    text = (resources.files("cartrial.vocab") / "data" / "conditions.json").read_text("utf-8")
    return {str(c["key"]): str(c["display"]) for c in json.loads(text)}


def vocab_display(key: str) -> str:
    """A display name for a vocabulary disease key (``systemic_sclerosis`` -> "Systemic
    sclerosis (SSc)"): the vocabulary's name with the abbreviation of the page covering it."""
    name = _vocab_names().get(key) or key.replace("_", " ").capitalize()
    for c in CONDITIONS:
        if key == c.key or key in c.vocab_keys:
            if len(c.vocab_keys) <= 1 and key in (c.key, *c.vocab_keys):
                return c.label
            return f"{name} ({c.abbreviation})" if c.abbreviation else name
    return name


def family_of(key: str) -> str:
    c = _BY_KEY.get(key)
    return c.family if c else "other"


def _clean(text: str) -> str:
    return " ".join(html.unescape(text).replace("_", " ").split())


def normalise(texts: Iterable[str]) -> tuple[str, ...]:
    """Condition keys named in ``texts`` (condition strings, titles), in table order.

    The catch-all ``autoimmune`` key is given only when nothing more specific is named.
    """
    found: set[str] = set()
    cleaned = [_clean(t) for t in texts if t]
    for c in _SPECIFIC:
        if any(_compiled(c.key).search(t) for t in cleaned):
            found.add(c.key)
    if not found and any(_compiled("autoimmune").search(t) for t in cleaned):
        found.add("autoimmune")
    return tuple(c.key for c in CONDITIONS if c.key in found)


def query_keys(query: str) -> tuple[str, ...]:
    """Condition keys a search query asks for: synonyms, abbreviations, family names.

    "lupus" asks for the whole lupus family (SLE and lupus nephritis); "scleroderma" for SSc.
    """
    q = _clean(query)
    if not q:
        return ()
    keys = set(normalise([q]))
    keys.discard("autoimmune")
    folded = q.casefold()
    for c in CONDITIONS:
        if folded in (c.key, c.slug, (c.abbreviation or "").casefold(), c.display.casefold()):
            keys.add(c.key)
    for fam, name in FAMILIES.items():
        if fam not in ("basket", "other") and folded in (fam, name.casefold()):
            keys.update(c.key for c in CONDITIONS if c.family == fam)
    return tuple(c.key for c in CONDITIONS if c.key in keys)
