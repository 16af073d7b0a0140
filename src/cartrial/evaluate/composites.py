"""Handlers for all_of / any_of / not / at_least, including when time alone flips them."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

from cartrial.criteria.nodes import AllOf, AnyOf, AtLeast, Not
from cartrial.evaluate.context import Context, evaluate_node, handles
from cartrial.evaluate.result import NodeResult
from cartrial.evaluate.truth import Truth, all_of, any_of, at_least


def _kth(dates: list[date | None], k: int) -> date | None:
    """The date by which k of these flips have happened (None if fewer than k can)."""
    known = sorted(d for d in dates if d is not None)
    if k <= 0:
        return None
    return known[k - 1] if len(known) >= k else None


def _flip_for_count(kids: tuple[NodeResult, ...], status: Truth, n: int) -> date | None:
    """When does "at least n of kids are TRUE" change by time alone?"""
    trues = [k for k in kids if k.status is Truth.TRUE]
    falses = [k for k in kids if k.status is Truth.FALSE]
    if status is Truth.TRUE:
        when = _kth([k.flips_on for k in trues], len(trues) - n + 1)
        others = falses
    elif status is Truth.FALSE:
        unknown = sum(k.status is Truth.UNKNOWN for k in kids)
        if unknown:
            return None
        when = _kth([k.flips_on for k in falses], n - len(trues))
        others = trues
    else:
        return None
    # a child on the other side that changes by then (a met part expiring, a failing part
    # coming true) may keep the answer as it is: no date can be promised
    if when is not None and any(k.flips_on is not None and k.flips_on <= when for k in others):
        return None
    return when


def _still_changed(
    node: AllOf | AnyOf | AtLeast, kids: tuple[NodeResult, ...], status: Truth, when: date,
    ctx: Context,
) -> bool:
    """Have the children that change before ``when`` stayed changed until then?

    ``flips_on`` is a child's first change only: a child may change back (an age bound met,
    then passed; a negation of a mixed group), so each one counted on is looked at again on
    ``when``.
    """
    for child, kid in zip(node.items, kids, strict=True):
        if kid.status is status and kid.flips_on is not None and kid.flips_on < when:
            again = evaluate_node(child, replace(ctx, as_of=when))
            if again.status is status:
                return False
    return True


def _composite(node: AllOf | AnyOf | AtLeast, ctx: Context, n: int) -> NodeResult:
    kids = tuple(evaluate_node(child, ctx) for child in node.items)
    statuses = [k.status for k in kids]
    if isinstance(node, AllOf):
        status = all_of(statuses)
    elif isinstance(node, AnyOf):
        status = any_of(statuses)
    else:
        status = at_least(n, statuses)
    flips = _flip_for_count(kids, status, n)
    if flips is not None and not _still_changed(node, kids, status, flips, ctx):
        flips = None
    met = sum(s is Truth.TRUE for s in statuses)
    reason = f"{met} of {len(kids)} met (needs {n if n < len(kids) else 'all'})"
    if isinstance(node, AnyOf):
        reason = f"{met} of {len(kids)} met (needs any)"
    return NodeResult(
        id=node.id or "",
        kind=node.kind,
        text=node.text,
        note=node.note,
        status=status,
        reason=reason,
        flips_on=flips,
        window_based=flips is not None,
        children=kids,
        needs=n,
    )


@handles(AllOf)
def _all(node: AllOf, ctx: Context) -> NodeResult:
    return _composite(node, ctx, len(node.items))


@handles(AnyOf)
def _any(node: AnyOf, ctx: Context) -> NodeResult:
    return _composite(node, ctx, 1)


@handles(AtLeast)
def _at_least(node: AtLeast, ctx: Context) -> NodeResult:
    return _composite(node, ctx, node.n)


@handles(Not)
def _not(node: Not, ctx: Context) -> NodeResult:
    kid = evaluate_node(node.item, ctx.flipped())
    return NodeResult(
        id=node.id or "",
        kind=node.kind,
        text=node.text,
        note=node.note,
        status=~kid.status,
        reason=f"negation of {kid.id}",
        flips_on=kid.flips_on,
        window_based=kid.window_based,
        children=(kid,),
    )
