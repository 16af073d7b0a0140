"""Tree traversal and rewriting helpers shared by every interpreter."""

from __future__ import annotations

from collections.abc import Callable, Iterator

from cartrial.criteria.nodes import AllOf, AnyOf, AtLeast, Criterion, Not


def children(node: Criterion) -> tuple[Criterion, ...]:
    if isinstance(node, (AllOf, AnyOf, AtLeast)):
        return node.items
    if isinstance(node, Not):
        return (node.item,)
    return ()


def iter_nodes(node: Criterion) -> Iterator[Criterion]:
    """Depth-first, parents before children."""
    yield node
    for child in children(node):
        yield from iter_nodes(child)


def with_children(node: Criterion, new: tuple[Criterion, ...]) -> Criterion:
    if isinstance(node, (AllOf, AnyOf, AtLeast)):
        return node.model_copy(update={"items": new})
    if isinstance(node, Not):
        return node.model_copy(update={"item": new[0]})
    return node


def rewrite(node: Criterion, fn: Callable[[Criterion], Criterion]) -> Criterion:
    """Bottom-up rewrite: children first, then ``fn`` on the rebuilt parent."""
    kids = children(node)
    if kids:
        node = with_children(node, tuple(rewrite(c, fn) for c in kids))
    return fn(node)


def assign_ids(node: Criterion, node_id: str) -> Criterion:
    """Give every node without an id a dotted id derived from its parent (``inc-5.2``)."""
    if node.id is None:
        node = node.model_copy(update={"id": node_id})
    kids = children(node)
    if kids:
        base = node.id or node_id
        node = with_children(
            node, tuple(assign_ids(c, f"{base}.{i}") for i, c in enumerate(kids, start=1))
        )
    return node
