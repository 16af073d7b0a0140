"""Builders for all_of / any_of / not / at_least: SQL's own three-valued AND / OR / NOT.

SQL evaluates AND, OR and NOT over TRUE / FALSE / NULL by Kleene's strong three-valued logic —
the evaluator's :mod:`cartrial.evaluate.truth` with NULL for UNKNOWN (proved on a real engine by
``tests/unit/sql/test_kleene.py``); ``at_least`` counts the TRUE and the NULL children exactly as
``truth.at_least`` does.

The evaluator's rule for protocol exceptions (:mod:`cartrial.evaluate.composites`) is mirrored
per person: ``on_data`` combines the children with every assumed one (a ManualReview, or a
composite resting on one) read as NULL; if that decides, it is the truth; else if a computable
child is NULL the truth is NULL (an exception rescues only what is known to fail); else the
combination with the assumptions stands, and the node is itself assumed.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from sqlglot import exp

from cartrial.criteria.nodes import AllOf, AnyOf, AtLeast, Not
from cartrial.sql.build import (
    FALSE,
    TRUE,
    and_,
    case,
    col,
    is_null,
    lit,
    not_,
    not_null,
    null_bool,
    or_,
)
from cartrial.sql.context import COMPILER, Composite, Ref, Scope, compile_node

Combine = Callable[[Sequence[exp.Expression]], exp.Expression]


def _at_least(n: int) -> Combine:
    def combine(kids: Sequence[exp.Expression]) -> exp.Expression:
        def count(unknown: bool) -> exp.Expression:
            terms = [
                case([(is_null(k.copy()) if unknown else k.copy(), lit(1))], lit(0)) for k in kids
            ]
            total = terms[0]
            for t in terms[1:]:
                total = exp.Add(this=total, expression=t)
            return exp.paren(total)

        true = count(False)
        return case(
            [
                (exp.GTE(this=true, expression=lit(n)), TRUE),
                (
                    exp.LT(
                        this=exp.Add(this=true.copy(), expression=count(True)), expression=lit(n)
                    ),
                    FALSE,
                ),
            ],
            null_bool(),
        )

    return combine


def _composite(kids: list[Ref], combine: Combine) -> Composite:
    height = 1 + max(k.height for k in kids)
    values = [col(k.value) for k in kids]
    if all(k.assumed is False for k in kids):
        return Composite(combine(values), False, height)

    def on_data_of(k: Ref) -> exp.Expression:
        if k.assumed is True:
            return null_bool()
        if k.assumed is False:
            return col(k.value)
        return case([(col(k.assumed), null_bool())], col(k.value))

    on_data = combine([on_data_of(k) for k in kids])
    with_assumptions = combine(values)
    open_parts = []
    for k in kids:
        if k.assumed is False:
            open_parts.append(is_null(col(k.value)))
        elif k.assumed is not True:
            open_parts.append(and_(not_(col(k.assumed)), is_null(col(k.value))))
    open_data = or_(*open_parts) if open_parts else FALSE
    value = case([(not_null(on_data), on_data.copy()), (open_data, null_bool())], with_assumptions)
    assumed = case(
        [(not_null(on_data.copy()), FALSE), (open_data.copy(), FALSE)],
        not_null(with_assumptions.copy()),
    )
    return Composite(value, assumed, height)


@COMPILER.register(AllOf)
def _all(node: AllOf, scope: Scope) -> Composite:
    return _composite([compile_node(c, scope) for c in node.items], lambda ks: and_(*ks))


@COMPILER.register(AnyOf)
def _any(node: AnyOf, scope: Scope) -> Composite:
    return _composite([compile_node(c, scope) for c in node.items], lambda ks: or_(*ks))


@COMPILER.register(AtLeast)
def _at_least_node(node: AtLeast, scope: Scope) -> Composite:
    return _composite([compile_node(c, scope) for c in node.items], _at_least(node.n))


@COMPILER.register(Not)
def _not(node: Not, scope: Scope) -> Composite:
    kid = compile_node(node.item, scope.flipped())
    assumed: bool | exp.Expression = (
        kid.assumed if isinstance(kid.assumed, bool) else col(kid.assumed)
    )
    return Composite(not_(col(kid.value)), assumed, kid.height + 1)
