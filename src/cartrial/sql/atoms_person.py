"""Builders for who the person is (age on the screening date, sex) and for ManualReview."""

from __future__ import annotations

from sqlglot import exp

from cartrial.criteria.nodes import Age, ManualReview, SexIs
from cartrial.sql import dates
from cartrial.sql.build import and_, case, col, in_, is_null, lit, null_bool, or_, truth
from cartrial.sql.context import COMPILER, Scope

MANUAL_REASON = "needs the investigator's judgment; assumed favourable pending review"


def age_expression(scope: Scope) -> exp.Expression:
    """Completed years on ``as_of`` (NULL without a full birth date, or born after it)."""
    y, m, d = col("by_", "p"), col("bm", "p"), col("bd", "p")
    age = dates.age_years(y, m, d, scope.state.as_of)
    unknown = or_(is_null(y), is_null(m), is_null(d))
    return case(
        [(unknown, exp.Null()), (exp.LT(this=age, expression=lit(0)), exp.Null())], age.copy()
    )


@COMPILER.register(Age)
def _age(node: Age, scope: Scope) -> exp.Expression:
    age = age_expression(scope)
    parts: list[exp.Expression] = []
    if node.min_years is not None:
        op: type[exp.Binary] = exp.GTE if node.min_inclusive else exp.GT
        parts.append(op(this=age.copy(), expression=lit(float(node.min_years))))
    if node.max_years is not None:
        op = exp.LTE if node.max_inclusive else exp.LT
        parts.append(op(this=age.copy(), expression=lit(float(node.max_years))))
    return and_(*parts)


@COMPILER.register(SexIs)
def _sex(node: SexIs, scope: Scope) -> exp.Expression:
    sex = col("sex", "p")
    return case([(is_null(sex), null_bool())], in_(sex.copy(), [s.value for s in node.allowed]))


@COMPILER.register(ManualReview)
def _manual(node: ManualReview, scope: Scope) -> exp.Expression:
    """The verdict logic takes the favourable value, as the evaluator does; the node's own
    output column is NULL with this reason (see :func:`cartrial.sql.compile.compile_protocol`)."""
    scope.state.manual[node.id or ""] = MANUAL_REASON + (
        f" (data: {node.data_hint})" if node.data_hint else ""
    )
    return truth(scope.favourable)
