"""The explanation of one screening result: the decisive leaves first, then what to order.

Rules (issue 16):

* INELIGIBLE — each decisive criterion is followed down to the leaves that decided it. A failed
  ``any_of`` lists every alternative and why each failed; an exclusion names the matched item
  with its evidence and, for a window, the date it clears.
* NEEDS_DATA — the missing data that can change the verdict, grouped by what to order (labs,
  imaging and function tests, scores, history), one line per datum with the first date it counts.
* Missing data is not listed for a trial the patient is already ineligible for (it cannot change
  the verdict), nor for an eligible one.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from pydantic import BaseModel, ConfigDict

from cartrial.criteria.nodes import (
    AllOf,
    AnyOf,
    AtLeast,
    Derived,
    ManualReview,
    Measurement,
    Not,
    Score,
    Serology,
)
from cartrial.criteria.protocol import Protocol
from cartrial.criteria.walk import children, iter_nodes
from cartrial.evaluate import CriterionReport, ScreeningResult
from cartrial.explain.leaves import Ctx, sentence
from cartrial.explain.names import GROUP_TITLES, ORDER_GROUPS, concept_name, order_group

_CALC_INPUTS: dict[str, tuple[str, ...]] = {
    "crcl_cockcroft_gault": ("creatinine", "body_weight"),
    "egfr_bedside_schwartz": ("creatinine", "body_height"),
    "egfr_ckd_epi_2021": ("creatinine",),
}
"""The record data each renal formula reads besides age and sex (see ``cartrial.calculators``)."""


class Reason(BaseModel):
    """Why one criterion went against the patient, in words; ``alternatives`` for a failed
    "any of" (each alternative with its own reasons)."""

    model_config = ConfigDict(frozen=True)

    id: str
    text: str
    criterion: str = ""
    clears_on: date | None = None
    alternatives: tuple[Alternative, ...] = ()


class Alternative(BaseModel):
    model_config = ConfigDict(frozen=True)

    id: str
    label: str
    reasons: tuple[Reason, ...]


class MissingItem(BaseModel):
    model_config = ConfigDict(frozen=True)

    key: str
    name: str
    when: str
    criteria: tuple[str, ...]


class MissingGroup(BaseModel):
    model_config = ConfigDict(frozen=True)

    group: str
    title: str
    items: tuple[MissingItem, ...]


class Explanation(BaseModel):
    """What a coordinator reads first; ``reason`` is the same text in one line (CLI, JSON)."""

    model_config = ConfigDict(frozen=True)

    trial: str
    verdict: str
    reason: str
    reasons: tuple[Reason, ...]
    missing: tuple[MissingGroup, ...]
    to_confirm: tuple[Reason, ...]
    earliest_eligible_date: date | None = None
    sentences: dict[str, str] = {}
    """Criterion id → its sentence, for every computable leaf (the full criteria list)."""
    headline: str = ""
    """The first reason in one short line (a failed "any of": the first reason of each
    alternative), for a table of verdicts."""


def _label(node: Any) -> str:
    text = " ".join((node.text or "").split()).rstrip(":;,. ")
    if not text:
        return node.id or ""
    return text if len(text) <= 90 else text[:89].rstrip() + "…"


class _Walker:
    def __init__(self, protocol: Protocol, result: ScreeningResult) -> None:
        self.reports = {c.id: c for c in result.criteria}
        self.ctx = Ctx(as_of=result.as_of, window_days=protocol.screening_window_days)
        self.nodes: dict[str, Any] = {}
        for _section, items in protocol.sections():
            for top in items:
                for node in iter_nodes(top):
                    if node.id is not None:
                        self.nodes[node.id] = node

    def sentences(self) -> dict[str, str]:
        out = {}
        for node_id, rep in self.reports.items():
            node = self.nodes.get(node_id)
            if node is None or isinstance(node, (Not, ManualReview)):
                continue
            if isinstance(node, (AllOf, AnyOf, AtLeast)):
                out[node_id] = self._tally(node)
                continue
            out[node_id] = sentence(node, rep, self.ctx)
        return out

    def _tally(self, node: AllOf | AnyOf | AtLeast) -> str:
        """``2 of 3 met (all needed), 1 unknown`` for a composite."""
        kids = [self.reports[k.id] for k in children(node) if k.id in self.reports]
        met = sum(k.status == "met" for k in kids)
        unknown = sum(k.status == "unknown" and k.outcome != "manual" for k in kids)
        if isinstance(node, AllOf):
            need = "all needed"
        elif isinstance(node, AnyOf):
            need = "one is enough"
        else:
            need = f"{node.n} needed"
        text = f"{met} of {len(kids)} met ({need})"
        return text + (f", {unknown} unknown" if unknown else "")

    def reasons(self, node_id: str) -> list[Reason]:
        node, rep = self.nodes.get(node_id), self.reports.get(node_id)
        if rep is None:
            return []
        if node is None:  # a result saved under another version of the protocol
            return [Reason(id=node_id, text=rep.reason, criterion=rep.text)]
        return self._down(node, rep)

    def _down(self, node: Any, rep: CriterionReport) -> list[Reason]:
        if isinstance(node, Not):
            kid = children(node)[0]
            kid_rep = self.reports.get(kid.id or "")
            return self._down(kid, kid_rep) if kid_rep is not None else []
        if not isinstance(node, (AllOf, AnyOf, AtLeast)):
            return [
                Reason(
                    id=rep.id,
                    text=sentence(node, rep, self.ctx),
                    criterion=" ".join(node.text.split()),
                    clears_on=rep.flips_on,
                )
            ]
        kids = [(k, self.reports[k.id]) for k in children(node) if k.id in self.reports]
        deciding = [(k, r) for k, r in kids if r.status == rep.status and r.outcome != "manual"]
        if rep.status == "not_met" and isinstance(node, (AnyOf, AtLeast)):
            alts = []
            for kid, kid_rep in deciding:
                alts.append(
                    Alternative(
                        id=kid_rep.id, label=_label(kid), reasons=_dedupe(self._down(kid, kid_rep))
                    )
                )
            need = "none of" if isinstance(node, AnyOf) else f"fewer than {node.n} of"
            text = f"{need} the {len(kids)} alternatives is met"
            if isinstance(node, AtLeast):
                text = f"needs {node.n} of {len(kids)}; {len(kids) - len(deciding)} met"
            return [
                Reason(
                    id=rep.id,
                    text=text,
                    criterion=" ".join(node.text.split()),
                    clears_on=rep.flips_on,
                    alternatives=tuple(alts),
                )
            ]
        out: list[Reason] = []
        for kid, kid_rep in deciding:
            out.extend(self._down(kid, kid_rep))
        return _dedupe(out)

    # ---------------------------------------------------------------- missing data

    def missing(self) -> list[MissingGroup]:
        items: dict[str, tuple[str, str, date | None, str, list[str]]] = {}

        def add(key: str, start: date | None, label: str, crit: str) -> None:
            when = "any date" if start is None else f"on or after {start.isoformat()} ({label})"
            old = items.get(key)
            if old is not None:
                # keep the most demanding date (the latest first day)
                o_start = old[2]
                if o_start is not None and (start is None or start <= o_start):
                    old[4].append(crit)
                    return
                crits = old[4] + [crit]
            else:
                crits = [crit]
            items[key] = (key, when, start, label, crits)

        for rep in self.reports.values():
            if rep.outcome != "unknown" or not rep.relevant:
                continue
            node = self.nodes.get(rep.id)
            if node is None or isinstance(node, (AllOf, AnyOf, AtLeast, Not)):
                continue
            if isinstance(node, (Measurement, Score)):
                key = node.concept if isinstance(node, Measurement) else node.instrument
                start, label = self.ctx.since(node.lookback)
                add(key, start, label, rep.id)
            elif isinstance(node, Serology):
                start, label = (None, "any date") if node.ever else self.ctx.since(node.lookback)
                add(node.concept, start, label, rep.id)
            elif isinstance(node, Derived):
                start, label = self.ctx.since(node.lookback)
                found = {e.concept for e in rep.evidence}
                lacking = [k for k in _CALC_INPUTS.get(node.calculator, ()) if k not in found]
                for key in lacking or [node.calculator]:
                    add(key, start, label, rep.id)
            else:
                add(f"{node.kind}:{rep.id}", None, "", rep.id)
        grouped: dict[str, list[MissingItem]] = {g: [] for g in ORDER_GROUPS}
        for key, when, _start, _lbl, crits in items.values():  # noqa: B007
            if ":" in key:  # a history item: the criterion's own words
                rep = self.reports[crits[0]]
                grouped["history"].append(
                    MissingItem(
                        key=key,
                        name=_label(self.nodes[crits[0]]) or rep.reason,
                        when=rep.reason,
                        criteria=tuple(crits),
                    )
                )
                continue
            name = concept_name(key)
            if key in _CALC_INPUTS:
                name += " (measured or reported value; the formula does not apply)"
            grouped[order_group(key) if key not in _CALC_INPUTS else "labs"].append(
                MissingItem(key=key, name=name, when=when, criteria=tuple(crits))
            )
        return [
            MissingGroup(group=g, title=GROUP_TITLES[g], items=tuple(v))
            for g, v in grouped.items()
            if v
        ]


def _dedupe(reasons: list[Reason]) -> list[Reason]:
    seen: set[str] = set()
    out = []
    for r in reasons:
        key = r.text + "|" + "|".join(a.id for a in r.alternatives)
        if key not in seen:
            seen.add(key)
            out.append(r)
    return out


def flat(reason: Reason) -> str:
    """One reason (with its alternatives) as one line of text."""
    if not reason.alternatives:
        return reason.text
    parts = []
    for alt in reason.alternatives:
        inner = "; ".join(flat(r) for r in alt.reasons)
        parts.append(f"{alt.label} — {inner}" if inner else alt.label)
    return f"{reason.text}: " + " | ".join(parts)


def headline(reason: Reason) -> str:
    if not reason.alternatives:
        return reason.text
    firsts = [headline(a.reasons[0]) for a in reason.alternatives if a.reasons]
    return f"{reason.text}: " + "; ".join(dict.fromkeys(firsts))


def explain(protocol: Protocol, result: ScreeningResult) -> Explanation:
    """The explanation of ``result`` (a screening of ``protocol``) for people."""
    walker = _Walker(protocol, result)
    verdict = result.verdict.value
    reasons: list[Reason] = []
    missing: list[MissingGroup] = []
    if verdict == "INELIGIBLE":
        for d in result.decisive:
            reasons.extend(walker.reasons(d))
        text = "; ".join(flat(r) for r in reasons)
        if result.earliest_eligible_date is not None:
            text += f" (eligible from {result.earliest_eligible_date.isoformat()} if nothing else changes)"
    elif verdict == "NEEDS_DATA":
        missing = walker.missing()
        names = [f"{i.name}, {i.when}" for g in missing for i in g.items]
        text = "missing: " + "; ".join(names) if names else "some data are missing"
    else:
        text = "every computable criterion is met"
    confirm = [
        Reason(id=c.id, text=" ".join(c.text.split()), criterion=" ".join(c.text.split()))
        for c in result.criteria
        if c.id in set(result.manual_review)
    ]
    if verdict == "ELIGIBLE" and confirm:
        text += f"; {len(confirm)} item{'s' if len(confirm) != 1 else ''} for the investigator to confirm"
    return Explanation(
        trial=result.trial,
        verdict=verdict,
        reason=text,
        reasons=tuple(reasons),
        missing=tuple(missing),
        to_confirm=tuple(confirm),
        earliest_eligible_date=result.earliest_eligible_date,
        sentences=walker.sentences(),
        headline=headline(reasons[0]) if reasons else text,
    )
