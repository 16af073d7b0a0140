"""A plain-language summary of a trial, written from structured data only.

Who can join (ages, diseases, a few decisive requirements of the criteria tree), what happens
(lymphodepletion, the CAR-cell infusion, follow-up, hospital stay when stated), what is
measured and where. Nothing comes from the registry's own summary text. Every number is a
:class:`Fact` that carries the sentence it came from (a criterion of the protocol, an endpoint,
the registry's age limits, the site list) and the page anchor of that sentence.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

from cartrial.criteria.nodes import Age, Criterion, Not
from cartrial.criteria.protocol import Protocol
from cartrial.criteria.walk import children
from cartrial.finder.readability import readability
from cartrial.finder.requirements import Fact, Requirement, requirement
from cartrial.finder.store import Entry, SiteDistance

__all__ = ["NUMBER_RE", "Fact", "PlainSummary", "Sentence", "link_numbers", "plain_summary"]

NUMBER_RE = re.compile(r"\d+(?:[.,]\d+)?")

SHORT_NAMES: dict[str, str] = {
    "sle": "lupus (SLE)",
    "lupus_nephritis": "lupus kidney disease",
    "ssc": "scleroderma (SSc)",
    "iim": "myositis",
    "ra": "rheumatoid arthritis",
    "jia": "arthritis in children (JIA)",
    "still": "Still's disease",
    "pss": "Sjögren's disease",
    "aav": "ANCA vasculitis",
    "behcet": "Behçet's disease",
    "itp": "low platelets (ITP)",
    "aiha": "immune anemia (AIHA)",
    "mg": "myasthenia gravis (MG)",
    "ms": "multiple sclerosis (MS)",
    "nmosd": "NMOSD",
    "mogad": "MOGAD",
    "cidp": "CIDP",
    "encephalitis": "immune brain swelling (encephalitis)",
    "sps": "stiff person syndrome",
    "membranous": "membranous kidney disease",
    "igan": "IgA kidney disease",
    "nephrotic": "kidney disease with protein loss",
    "igg4rd": "IgG4 disease",
    "aps": "antiphospholipid syndrome",
    "ibd": "Crohn's disease or colitis",
    "pemphigus": "pemphigus",
    "hs": "hidradenitis",
    "aplastic_anaemia": "aplastic anemia",
    "t1d": "type 1 diabetes",
    "graves": "Graves' disease",
    "cgvhd": "graft-versus-host disease",
    "autoimmune": "an autoimmune disease",
}


@dataclass(frozen=True)
class Sentence:
    topic: str
    parts: tuple[str | Fact, ...]

    @property
    def text(self) -> str:
        return "".join(p if isinstance(p, str) else p.text for p in self.parts)


@dataclass(frozen=True)
class PlainSummary:
    sentences: tuple[Sentence, ...]
    named: frozenset[str] = field(default_factory=frozenset)
    """Named criteria (diseases, scores, antibodies, drugs) the summary mentions, lower case."""
    reviewed: bool = False

    @property
    def text(self) -> str:
        return " ".join(s.text for s in self.sentences)

    def by_topic(self) -> list[tuple[str, list[Sentence]]]:
        out: dict[str, list[Sentence]] = {}
        for s in self.sentences:
            out.setdefault(s.topic, []).append(s)
        return list(out.items())

    @property
    def facts(self) -> list[Fact]:
        return [p for s in self.sentences for p in s.parts if isinstance(p, Fact)]

    @property
    def numbers(self) -> set[str]:
        return {n for f in self.facts for n in NUMBER_RE.findall(f.text)}

    @property
    def grade(self) -> float:
        return readability(self.text).grade


def _num(v: float) -> str:
    return f"{v:g}"


def _walk(node: Criterion) -> Iterator[Criterion]:
    """Nodes that must hold for inclusion (a negated branch is not a requirement)."""
    if isinstance(node, Not):
        return
    yield node
    for c in children(node):
        yield from _walk(c)


def _age_fact(entry: Entry, protocol: Protocol | None) -> tuple[Fact | None, Fact | None]:
    t = entry.trial
    if protocol is not None:
        for top in protocol.criteria.inclusion:
            for n in _walk(top):
                if isinstance(n, Age) and (n.min_years is not None or n.max_years is not None):
                    src, anchor = (n.text or top.text), f"#crit-{n.id or top.id}"
                    lo = Fact(_num(n.min_years), src, anchor) if n.min_years is not None else None
                    hi = Fact(_num(n.max_years), src, anchor) if n.max_years is not None else None
                    return lo, hi
    src = "Registry record: age limits "
    src += f"{_num(t.min_age_years) if t.min_age_years is not None else 'none'} to "
    src += f"{_num(t.max_age_years) if t.max_age_years is not None else 'none'} years"
    lo = Fact(_num(t.min_age_years), src, "#facts-age") if t.min_age_years is not None else None
    hi = Fact(_num(t.max_age_years), src, "#facts-age") if t.max_age_years is not None else None
    return lo, hi


def _requirements(protocol: Protocol, limit: int = 4) -> list[Requirement]:
    """Up to ``limit`` requirements, one per top-level inclusion criterion, in protocol order."""
    out: list[Requirement] = []
    seen: set[str] = set()
    for top in protocol.criteria.inclusion:
        req = requirement(top)
        if req is None:
            continue
        key = "".join(p if isinstance(p, str) else p.text for p in req.parts)
        if key not in seen:
            seen.add(key)
            out.append(req)
        if len(out) >= limit:
            break
    return out


_DURATION = re.compile(
    r"(\d+(?:\.\d+)?)\s*(?:-|to)?\s*(days?|weeks?|months?|years?)\b", re.IGNORECASE
)
_WEEKS_PER = {"day": 1 / 7, "week": 1.0, "month": 52 / 12, "year": 52.0}


def _follow_up(entry: Entry) -> Fact | None:
    """The longest time frame of the primary endpoints (the measure text when no frame)."""
    best: tuple[float, str, str] | None = None
    for ep in entry.trial.primary_endpoints:
        text = ep.time_frame or ep.measure
        for m in _DURATION.finditer(text):
            unit = m.group(2).lower().rstrip("s")
            weeks = float(m.group(1)) * _WEEKS_PER[unit]
            if best is None or weeks > best[0]:
                label = f"{m.group(1)} {unit}{'s' if m.group(1) != '1' else ''}"
                best = (weeks, label, f"Primary endpoint: {ep.measure} — {text}"[:400])
    if best is None:
        return None
    return Fact(best[1], best[2], "#endpoints")


_HOSPITAL = re.compile(
    r"(?:hospitali[sz]ed|in\s+(?:the\s+)?hospital|inpatient|hospital\s+stay)[^.]{0,80}?"
    r"(\d+)\s*days|(\d+)\s*days?\s+(?:of\s+)?(?:hospitali[sz]ation|in\s+(?:the\s+)?hospital)",
    re.IGNORECASE,
)


def _hospital(entry: Entry) -> Fact | None:
    t = entry.trial
    texts = [t.description or "", *(a.description or "" for a in t.arms)]
    if t.schedule and t.schedule.source_text:
        texts.append(t.schedule.source_text)
    for text in texts:
        m = _HOSPITAL.search(text)
        if m:
            start = text.rfind(".", 0, m.start()) + 1
            end = text.find(".", m.end())
            sentence = text[start : end + 1 if end >= 0 else len(text)].strip()
            return Fact(m.group(1) or m.group(2), sentence, "#product")
    return None


_MEASURES: tuple[tuple[str, str], ...] = (
    (r"adverse|safety|toxicit|DLT|dose[- ]limiting|side effect|tolerab", "side effects and safety"),
    (
        r"respon|remission|SRI|efficacy|improv|activity|DORIS|LLDAS|relapse",
        "whether the disease gets better",
    ),
    (
        r"pharmacokinetic|expansion|persistence|cellular kinetic",
        "how long the cells stay in the blood",
    ),
    (r"dose|MTD|RP2D", "the best dose"),
)


def _measured(entry: Entry) -> list[str]:
    found: list[str] = []
    for ep in entry.trial.primary_endpoints:
        for rx, words in _MEASURES:
            if re.search(rx, ep.measure, re.IGNORECASE) and words not in found:
                found.append(words)
    return found


def _infusion(entry: Entry) -> str:
    kind = entry.trial.cell_type or "CAR"
    cells = f"{kind} cells" if kind != "CAR" else "CAR cells"
    ptype = (entry.info.product_type or "").casefold()
    if ptype.startswith("autologous"):
        return f"Then you get {cells} made from your own blood."
    if ptype.startswith("allogeneic"):
        return f"Then you get {cells} made from a donor's blood."
    if ptype.startswith("in vivo"):
        return "Then you get a medicine that turns your own immune cells into CAR cells."
    return f"Then you get {cells}."


_ONCE = re.compile(
    r"\bsingle[- ](?:dose|infusion|administration|intravenous)|\bone[- ]time\b|"
    r"\bonce\b|\bone infusion\b",
    re.IGNORECASE,
)


def _how_given(entry: Entry) -> str:
    """Once, when the record says so (a single dose or infusion); else just how."""
    t = entry.trial
    texts = [t.title, t.brief_title or "", t.description or "", *t.interventions]
    texts += [a.description or "" for a in t.arms]
    what = "it" if (entry.info.product_type or "").casefold().startswith("in vivo") else "them"
    if t.dose_levels or any(_ONCE.search(x) for x in texts):
        return f"You get {what} once, through a drip (an infusion)."
    return f"You get {what} through a drip (an infusion)."


def _join(items: Sequence[str], word: str = "or") -> str:
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + f" {word} " + items[-1]


_B_CELL = {"CD19", "CD20", "CD22", "BCMA", "BAFF-R", "BAFF", "CD38"}
_T_CELL = {"CD7", "CD6", "CD5", "CD3E"}


def _target_cells(entry: Entry) -> str:
    ags = set(entry.trial.target_antigens)
    if ags and ags <= _B_CELL:
        return "B cells"
    if ags and ags <= _T_CELL:
        return "T cells"
    return "immune cells"


def plain_summary(
    entry: Entry,
    protocol: Protocol | None = None,
    *,
    sites: Sequence[SiteDistance] | None = None,
    place: str | None = None,
) -> PlainSummary:
    """The summary of ``entry``; ``protocol`` is the curated one or the parser's draft."""
    t = entry.trial
    protocol = protocol if protocol is not None else entry.protocol
    out: list[Sentence] = []
    named: set[str] = set()

    # -- who can join
    names = [SHORT_NAMES.get(c.key, c.display) for c in entry.conditions]
    named.update(n.casefold() for n in names)
    named.update(c.key for c in entry.conditions)
    lo, hi = _age_fact(entry, protocol)
    who: list[str | Fact] = ["People"]
    if lo is not None and hi is not None:
        who += [" aged ", lo, " to ", hi]
    elif lo is not None:
        who += [" aged ", lo, " or older"]
    elif hi is not None:
        who += [" up to age ", hi]
    if names:
        shown = names[:4] + (["another listed disease"] if len(names) > 4 else [])
        who += [" with ", _join(shown)]
    who.append(" can join.")
    out.append(Sentence("Who can join", tuple(who)))
    if protocol is not None:
        reqs = _requirements(protocol)
        for req in reqs:
            if req.name:
                named.add(req.name)
            out.append(Sentence("Who can join", ("You also need ", *req.parts, ".")))

    # -- what happens
    ld = t.lymphodepletion
    if ld is not None and ld.agents:
        days = sorted({d for a in ld.agents for d in a.days})
        drugs = " and ".join(a.drug.replace("_", " ") for a in ld.agents)
        named.update(a.drug.replace("_", " ").casefold() for a in ld.agents)
        src = ld.source_text or f"Lymphodepletion: {drugs} on days {days}"
        out.append(
            Sentence(
                "What happens",
                (
                    "First you get chemo for ",
                    Fact(str(len(days)), src, "#lymphodepletion"),
                    f" days ({drugs}). It lowers your immune cells.",
                ),
            )
        )
    else:
        drugs_named = [
            d
            for d in ("fludarabine", "cyclophosphamide", "bendamustine")
            if any(d in i.casefold() for i in t.interventions)
        ]
        if drugs_named:
            named.update(drugs_named)
            out.append(
                Sentence(
                    "What happens",
                    (
                        f"First you get chemo ({' and '.join(drugs_named)}). "
                        "It lowers your immune cells.",
                    ),
                )
            )
    out.append(Sentence("What happens", (_infusion(entry),)))
    out.append(Sentence("What happens", (_how_given(entry),)))
    if entry.trial.cell_type in ("CAR-T", "CAR-NK", "CAR-DNT", None):
        what = f"These cells are changed in a lab to find the {_target_cells(entry)} that drive the disease."
    else:
        what = "These cells are changed in a lab to calm the disease."
    out.append(Sentence("What happens", (what,)))
    stay = _hospital(entry)
    if stay is not None:
        out.append(Sentence("What happens", ("You stay in the hospital for ", stay, " days.")))
    follow = _follow_up(entry)
    if follow is not None:
        out.append(Sentence("What happens", ("The team checks on you for ", follow, ".")))

    # -- what is measured
    measured = _measured(entry)
    if measured:
        out.append(Sentence("What is measured", (f"The study looks at {_join(measured, 'and')}.",)))
    elif t.primary_endpoints:
        out.append(Sentence("What is measured", ("The main goal is listed below.",)))

    # -- where
    n_sites = len(t.sites)
    countries = entry.countries
    if n_sites:
        site_src = f"Registry site list: {n_sites} site(s)"
        where: list[str | Fact] = [
            "The study runs at ",
            Fact(str(n_sites), site_src, "#sites"),
            " center" + ("s" if n_sites != 1 else ""),
        ]
        if countries:
            shown = list(countries[:3]) + (["more"] if len(countries) > 3 else [])
            where.append(" in " + _join(shown, "and"))
        where.append(".")
        out.append(Sentence("Where", tuple(where)))
        nearest = next((s for s in (sites or ()) if s.km is not None), None)
        if nearest is not None and place:
            city = nearest.site.city or nearest.site.facility or "a site"
            if nearest.km is not None and nearest.km < 5:
                out.append(Sentence("Where", (f"The nearest is in {city}, close to {place}.",)))
            else:
                source = f"Great-circle distance from {place} to {nearest.site.facility or city}"
                out.append(
                    Sentence(
                        "Where",
                        (
                            f"The nearest is in {city}, about ",
                            Fact(f"{nearest.km:,.0f}", source, "#sites"),
                            f" km from {place}.",
                        ),
                    )
                )
    else:
        out.append(Sentence("Where", ("The registry lists no study centers yet.",)))
    return PlainSummary(tuple(out), frozenset(named), reviewed=entry.reviewed)


def link_numbers(text: str, facts: Sequence[Fact]) -> list[str | Fact]:
    """``text`` (e.g. an accepted rewrite) cut into words and the facts its numbers come from."""
    by_number: dict[str, Fact] = {}
    for f in facts:
        for n in NUMBER_RE.findall(f.text):
            by_number.setdefault(n.replace(",", ""), f)
    out: list[str | Fact] = []
    pos = 0
    for m in NUMBER_RE.finditer(text):
        fact = by_number.get(m.group(0).replace(",", ""))
        if fact is None:
            continue
        out.append(text[pos : m.start()])
        out.append(Fact(m.group(0), fact.source, fact.anchor))
        pos = m.end()
    out.append(text[pos:])
    return [p for p in out if p != ""]
