"""Registry record -> a draft computable protocol for a coordinator to review.

Every criterion the parser produced carries ``review: auto`` and a confidence; what it did not
understand is a ``manual`` node with its sentence. Disease cohorts become one ``any_of`` over
the cohorts (inclusion) and cohort-gated groups (exclusion: "applies to the X cohort").
A coordinator edits the file and sets ``review: reviewed``; :func:`review_shares` counts how far
that has gone.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from cartrial.criteria.nodes import (
    AllOf,
    AnyOf,
    ConditionHistory,
    Criterion,
    ManualReview,
    Review,
)
from cartrial.criteria.protocol import Protocol, ProtocolCriteria
from cartrial.criteria.walk import children
from cartrial.domain.trial import Trial
from cartrial.ingest.ctgov import study_to_trial
from cartrial.ingest.parse import ParsedCriterion, ParseResult, parse_eligibility

__all__ = ["draft_from_study", "draft_protocol", "not_read", "review_shares"]


def draft_from_study(
    study: Mapping[str, Any], *, where: str = "<study>"
) -> tuple[Protocol, ParseResult]:
    """A draft protocol from one API v2 study object."""
    return draft_protocol(study_to_trial(study, where=where))


def draft_protocol(
    trial: Trial, *, eligibility_text: str | None = None, screening_window_days: int = 28
) -> tuple[Protocol, ParseResult]:
    """Parse the trial's eligibility text into a Protocol (all nodes ``review: auto``)."""
    text = eligibility_text if eligibility_text is not None else (trial.eligibility_text or "")
    result = parse_eligibility(text)
    inclusion = _section(result, "inclusion")
    exclusion = _section(result, "exclusion")
    protocol = Protocol(
        trial=trial
        if trial.eligibility_text == text or not text
        else trial.model_copy(update={"eligibility_text": text}),
        screening_window_days=screening_window_days,
        criteria=ProtocolCriteria(inclusion=tuple(inclusion), exclusion=tuple(exclusion)),
    )
    return protocol, result


def _conf(nodes: list[Criterion]) -> float:
    return min((n.confidence if n.confidence is not None else 1.0) for n in nodes)


def _span(crits: list[ParsedCriterion]) -> tuple[int, int]:
    return (min(c.span[0] for c in crits), max(c.span[1] for c in crits))


def _section(result: ParseResult, section: str) -> list[Criterion]:
    crits = list(result.section(section))
    common: list[Criterion] = []
    for c in crits:
        if c.cohort is not None:
            continue
        node = c.node
        if (
            section == "exclusion"
            and isinstance(node, AnyOf)
            and node.note is None
            and node.text.rstrip().endswith(":")
        ):
            # "Subjects with any of the following ... were not eligible:" -> its items
            common.extend(node.items)
        else:
            common.append(node)
    cohorts: dict[str, list[ParsedCriterion]] = {}
    for c in crits:
        if c.cohort is not None:
            cohorts.setdefault(c.cohort, []).append(c)
    out = list(common)
    if not cohorts:
        return out
    if section == "inclusion":
        groups: list[Criterion] = []
        for label, members in cohorts.items():
            nodes = [m.node for m in members]
            a, b = _span(members)
            if len(nodes) == 1:
                groups.append(nodes[0])
            else:
                groups.append(
                    AllOf(
                        items=tuple(nodes),
                        text=result.text[a:b].strip(),
                        span=(a, b),
                        note=f"cohort: {label}",
                        review=Review.AUTO,
                        confidence=_conf(nodes),
                    )
                )
        if len(groups) == 1:
            out.extend(children(groups[0]) if isinstance(groups[0], AllOf) else groups)
        else:
            a = min(g.span[0] for g in groups if g.span)
            b = max(g.span[1] for g in groups if g.span)
            out.append(
                AnyOf(
                    items=tuple(groups),
                    text=result.text[a:b].strip(),
                    span=(a, b),
                    note="disease cohorts: the criteria of one cohort apply",
                    review=Review.AUTO,
                    confidence=_conf(groups),
                )
            )
        return out
    for label, members in cohorts.items():
        nodes = [m.node for m in members]
        a, b = _span(members)
        keys = members[0].cohort_keys
        body: Criterion = (
            nodes[0]
            if len(nodes) == 1
            else AnyOf(
                items=tuple(nodes),
                text=result.text[a:b].strip(),
                span=(a, b),
                review=Review.AUTO,
                confidence=_conf(nodes),
            )
        )
        if keys:
            out.append(
                AllOf(
                    items=(
                        ConditionHistory(
                            concepts=keys,
                            text=result.text[a:b].strip(),
                            span=(a, b),
                            note=f"cohort gate: these exclusions apply to the {label} cohort",
                            review=Review.AUTO,
                            confidence=0.8,
                        ),
                        body,
                    ),
                    text=result.text[a:b].strip(),
                    span=(a, b),
                    note=f"applies to the {label} cohort",
                    review=Review.AUTO,
                    confidence=min(0.8, _conf(nodes)),
                )
            )
        else:
            out.append(
                body.model_copy(
                    update={
                        "note": ((body.note + "; ") if body.note else "")
                        + f"applies to the {label} cohort"
                    }
                )
            )
    return out


def _walk(node: Criterion) -> Iterator[Criterion]:
    yield node
    for c in children(node):
        yield from _walk(c)


def review_shares(protocol: Protocol) -> dict[str, Any]:
    """How far review has gone: top-level criteria by ``review`` (reviewed / auto / manual).

    ``manual`` counts criteria written by hand (``review: manual`` or unset). Also returned:
    ``total``, the three shares (0..1), ``needs_judgment`` (ManualReview nodes anywhere) and
    ``low_confidence`` (auto nodes with confidence below 0.7).
    """
    counts = {"reviewed": 0, "auto": 0, "manual": 0}
    needs_judgment = 0
    low = 0
    for _section, items in protocol.sections():
        for top in items:
            status = top.review.value if top.review is not None else "manual"
            counts[status] += 1
            for n in _walk(top):
                if isinstance(n, ManualReview):
                    needs_judgment += 1
                if n.review is Review.AUTO and n.confidence is not None and n.confidence < 0.7:
                    low += 1
    total = sum(counts.values())
    shares = {f"{k}_share": (v / total if total else 0.0) for k, v in counts.items()}
    return {
        **counts,
        "total": total,
        **shares,
        "needs_judgment": needs_judgment,
        "low_confidence": low,
    }


def not_read(protocol: Protocol) -> list[dict[str, Any]]:
    """Every stretch of the text left to a person, in text order: the review nodes' id, section,
    quoted text, span and why (their note: an anchor the temporal grammar cannot name, a bound
    with no concept, a ULN multiple with no comparator, the words of a sentence not understood).

    What the draft's reviewers must read themselves; nothing else in the draft is a guess.
    """
    out: list[dict[str, Any]] = []
    for section, items in protocol.sections():
        for top in items:
            for n in _walk(top):
                if isinstance(n, ManualReview):
                    out.append(
                        {
                            "id": n.id,
                            "section": section,
                            "text": n.text,
                            "span": n.span,
                            "why": n.note or "needs a person",
                        }
                    )
    return sorted(out, key=lambda r: (r["span"] or (0, 0), r["id"] or ""))
