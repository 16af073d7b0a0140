"""Handlers for all_of / any_of / not / at_least, including when time alone flips them.

Protocol exceptions (the evaluator rule, issue 9)
-------------------------------------------------
A ManualReview node takes the value that helps the patient (see ``Context.favourable``),
marked as an assumption pending the investigator. Inside a composite such an assumption may
only decide what the *data* left open once every computable part is known:

1. ``s_data`` = the Kleene value of the composite with every assumed child (a ManualReview, or
   a composite whose own value rests on one) read as UNKNOWN.
2. If ``s_data`` is TRUE or FALSE, that is the status: the data decide, the assumption is moot.
3. Else, if some computable child is UNKNOWN, the status is UNKNOWN: an exception ("CrCl >= 30,
   except disease-induced decline") can only rescue a computable criterion that is *known* to
   fail; while it is unknown the verdict is NEEDS_DATA with that data listed (``blocked``).
4. Else (every computable child known, only assumptions left) the status is the Kleene value
   with the assumptions, and the node is ``assumed``: the investigator confirms it.

Kleene logic is monotone, so in case 2 the value equals the old "assume, then combine" value;
only case 3 differs. The same rule holds in every section (an exclusion's manual part assumed
FALSE cannot clear an exclusion whose lab is unknown) and for ``at_least``. ``not`` passes
``assumed`` through. An SQL compiler agrees by mapping ManualReview to NULL and, where a
composite is NULL only because of ManualReview children whose computable siblings are all
non-NULL, taking the favourable value.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date

from cartrial.criteria.nodes import AllOf, AnyOf, AtLeast, Not
from cartrial.evaluate.context import Context, evaluate_node, handles
from cartrial.evaluate.result import NodeResult
from cartrial.evaluate.truth import Truth


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
    node: AllOf | AnyOf | AtLeast,
    kids: tuple[NodeResult, ...],
    status: Truth,
    when: date,
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


def _by_count(n: int, true: int, unknown: int) -> Truth:
    """Kleene "at least n TRUE" from counts; all_of is n = every child, any_of n = 1
    (the same values as :func:`cartrial.evaluate.truth.all_of` / ``any_of`` / ``at_least``)."""
    if true >= n:
        return Truth.TRUE
    if true + unknown < n:
        return Truth.FALSE
    return Truth.UNKNOWN


def _settle(kids: tuple[NodeResult, ...], n: int) -> tuple[Truth, bool, tuple[str, ...]]:
    """(status, assumed, blocked) of a composite from its children, by the exception rule above."""
    true = unknown = true_data = unknown_data = 0  # data: assumed children read as UNKNOWN
    for k in kids:
        s = k.status
        if s is Truth.TRUE:
            true += 1
        elif s is Truth.UNKNOWN:
            unknown += 1
        if k.assumed or s is Truth.UNKNOWN:
            unknown_data += 1
        elif s is Truth.TRUE:
            true_data += 1
    on_data = _by_count(n, true_data, unknown_data)
    if on_data is not Truth.UNKNOWN:
        return on_data, False, ()
    with_assumptions = _by_count(n, true, unknown)
    open_data = tuple(k.id for k in kids if not k.assumed and k.status is Truth.UNKNOWN)
    if open_data and with_assumptions is not Truth.UNKNOWN:
        return Truth.UNKNOWN, False, open_data  # rule 3: no rescue of an unknown
    return with_assumptions, with_assumptions is not Truth.UNKNOWN, ()


def _composite(node: AllOf | AnyOf | AtLeast, ctx: Context, n: int) -> NodeResult:
    if ctx.lean:
        return _composite_lean(node, ctx, n)
    kids = tuple([evaluate_node(child, ctx) for child in node.items])
    status, assumed, blocked = _settle(kids, n)
    flips = None
    met = 0
    timed = False  # does time alone change some child? (else it changes nothing here)
    for k in kids:
        if k.status is Truth.TRUE:
            met += 1
        if k.flips_on is not None:
            timed = True
    if timed:
        flips = _flip_for_count(kids, status, n)
        if flips is not None and not _still_changed(node, kids, status, flips, ctx):
            flips = None
    reason = f"{met} of {len(kids)} met (needs {n if n < len(kids) else 'all'})"
    if isinstance(node, AnyOf):
        reason = f"{met} of {len(kids)} met (needs any)"
    if blocked:
        reason += (
            f"; the exception pending review applies only once {', '.join(blocked)} "
            "is known to fail"
        )
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
        assumed=assumed,
        blocked=blocked,
    )


def _composite_lean(node: AllOf | AnyOf | AtLeast, ctx: Context, n: int) -> NodeResult:
    """The status alone (``Context.lean``, the verdict-only path): the children are evaluated
    only until the data decide (a FALSE child of an all_of, n TRUE ones of an at_least); Kleene
    logic is monotone, so the rest cannot change that. No reason, dates or children kept."""
    total = len(node.items)
    kids: list[NodeResult] = []
    true_data = false_data = 0
    for child in node.items:
        if true_data >= n or false_data > total - n:
            break
        kid = evaluate_node(child, ctx)
        kids.append(kid)
        if not kid.assumed:
            if kid.status is Truth.TRUE:
                true_data += 1
            elif kid.status is Truth.FALSE:
                false_data += 1
    blocked: tuple[str, ...] = ()
    assumed = False
    if true_data >= n:
        status = Truth.TRUE
    elif false_data > total - n:
        status = Truth.FALSE
    else:  # every child evaluated and the data leave it open
        status, assumed, blocked = _settle(tuple(kids), n)
    return NodeResult(
        id=node.id or "",
        kind=node.kind,
        text=node.text,
        status=status,
        needs=n,
        assumed=assumed,
        blocked=blocked,
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
        assumed=kid.assumed,
        flips_on=kid.flips_on,
        window_based=kid.window_based,
        children=(kid,),
    )
