"""Small constructors for sqlglot expressions, so builders read like the logic they encode.

Truth values are SQL booleans: TRUE, FALSE and NULL for UNKNOWN (decided once, DESIGN example
3). SQL's AND / OR / NOT on NULL are exactly Kleene's strong three-valued logic (FALSE AND NULL is
FALSE, TRUE OR NULL is TRUE, NOT NULL is NULL), which is the evaluator's :mod:`truth`; the test
``tests/unit/sql/test_kleene.py`` checks every combination on a real engine.

Aggregates over many rows use the "truth code" 2 = TRUE, 1 = UNKNOWN, 0 = FALSE: the maximum of
the codes is the Kleene OR of the rows.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from sqlglot import exp

from cartrial.criteria.nodes import Comparator

BOOLEAN = exp.DataType.build("boolean")
DEC = exp.DataType.build("decimal(38, 10)")
DOUBLE = exp.DataType.build("double")
TEXT = exp.DataType.build("varchar")

TRUE: exp.Expression = exp.Boolean(this=True)
FALSE: exp.Expression = exp.Boolean(this=False)


def null_bool() -> exp.Expression:
    return exp.cast(exp.Null(), BOOLEAN)


def col(name: str, table: str | None = None) -> exp.Column:
    return exp.column(name, table)


def lit(value: str | float | bool | None) -> exp.Expression:
    if value is None:
        return exp.Null()
    if isinstance(value, bool):
        return TRUE if value else FALSE
    if isinstance(value, str):
        return exp.Literal.string(value)
    return exp.Literal.number(repr(float(value)) if isinstance(value, float) else value)


def num(value: float) -> exp.Expression:
    """A double constant (exact repr, no SQL decimal surprises)."""
    return exp.cast(exp.Literal.number(repr(float(value))), DOUBLE)


def truth(value: bool | None) -> exp.Expression:
    return null_bool() if value is None else (TRUE if value else FALSE)


def in_(e: exp.Expression, values: Iterable[str]) -> exp.Expression:
    vals = sorted(set(values))
    if not vals:
        return FALSE
    return exp.In(this=e, expressions=[exp.Literal.string(v) for v in vals])


def and_(*items: exp.Expression) -> exp.Expression:
    """Kleene AND of the items (SQL's own AND)."""
    if not items:
        return TRUE
    out: exp.Expression = exp.paren(items[0])
    for it in items[1:]:
        out = exp.And(this=out, expression=exp.paren(it))
    return out


def or_(*items: exp.Expression) -> exp.Expression:
    """Kleene OR of the items (SQL's own OR)."""
    if not items:
        return FALSE
    out: exp.Expression = exp.paren(items[0])
    for it in items[1:]:
        out = exp.Or(this=out, expression=exp.paren(it))
    return out


def not_(item: exp.Expression) -> exp.Expression:
    """Kleene NOT (SQL's own NOT: NOT NULL is NULL)."""
    return exp.Not(this=exp.paren(item))


def is_null(e: exp.Expression) -> exp.Expression:
    return exp.Is(this=exp.paren(e), expression=exp.Null())


def not_null(e: exp.Expression) -> exp.Expression:
    return exp.Not(this=is_null(e))


def case(
    whens: Sequence[tuple[exp.Expression, exp.Expression]], default: exp.Expression | None = None
) -> exp.Expression:
    return exp.Case(ifs=[exp.If(this=c, true=v) for c, v in whens], default=default)


def max_where(value: exp.Expression, where: exp.Expression) -> exp.Expression:
    """The maximum of ``value`` over the rows where ``where`` holds (NULL without one).

    ``MAX(CASE WHEN where THEN value END)`` rather than ``FILTER (WHERE ...)``: DuckDB then
    computes ``value`` only on those rows (with FILTER it computes it on every row)."""
    return exp.Max(this=case([(where, value)]))


def code(b: exp.Expression) -> exp.Expression:
    """Truth code of a boolean: 2 TRUE, 1 NULL (UNKNOWN), 0 FALSE."""
    return case([(b, lit(2)), (is_null(b), lit(1))], lit(0))


def from_code(c: exp.Expression) -> exp.Expression:
    """Back from a truth code (an absent code reads as FALSE: closed-world history)."""
    return case(
        [
            (exp.EQ(this=c, expression=lit(2)), TRUE),
            (exp.EQ(this=c, expression=lit(1)), null_bool()),
        ],
        FALSE,
    )


def r10(e: exp.Expression) -> exp.Expression:
    """Reporting precision of :meth:`Comparator.holds`: both sides rounded to 10 decimals."""
    return exp.cast(e, DEC)


def r10_const(value: float) -> exp.Expression:
    return exp.cast(exp.Literal.string(f"{round(value, 10):.10f}"), DEC)


_OPS: dict[Comparator, type[exp.Binary]] = {
    Comparator.LT: exp.LT,
    Comparator.LE: exp.LTE,
    Comparator.GT: exp.GT,
    Comparator.GE: exp.GTE,
    Comparator.EQ: exp.EQ,
}


def holds(comparator: Comparator, left: exp.Expression, right: exp.Expression) -> exp.Expression:
    """``comparator.holds(left, right)`` with both sides at reporting precision."""
    return _OPS[comparator](this=r10(left), expression=r10(right))


def holds_const(comparator: Comparator, left: exp.Expression, right: float) -> exp.Expression:
    return _OPS[comparator](this=r10(left), expression=r10_const(right))


def censored_compare(
    comparator: Comparator, threshold: exp.Expression, value: exp.Expression, censor: exp.Expression
) -> exp.Expression:
    """SQL twin of the evaluator's ``censored_compare`` (``<x`` / ``>x`` reports).

    TRUE if every value the report allows meets the threshold, FALSE if none does, else NULL;
    a NULL threshold (no ULN known) is NULL.
    """
    below = in_(censor, ("<", "<="))
    closed = in_(censor, ("<=", ">="))
    equal = exp.EQ(this=r10(value), expression=r10(threshold))
    at_bound = holds(comparator, value, threshold)
    open_equal = and_(not_(closed), equal)
    if comparator is Comparator.EQ:
        reach_below = case([(equal, closed)], exp.LT(this=threshold, expression=value))
        reach_above = case([(equal, closed)], exp.GT(this=threshold, expression=value))
        censored = case([(case([(below, reach_below)], reach_above), null_bool())], FALSE)
    else:
        upward = comparator in (Comparator.GT, Comparator.GE)
        away = case([(or_(at_bound, open_equal), TRUE)], null_bool())
        towards = case([(or_(not_(at_bound), open_equal), FALSE)], null_bool())
        # values run away from the threshold's side when below != upward
        censored = case([(below, towards if upward else away)], away if upward else towards)
    return case([(is_null(threshold), null_bool()), (is_null(censor), at_bound)], censored)


def select(*cols: exp.Expression | str) -> exp.Select:
    return exp.select(*cols)


def alias(e: exp.Expression, name: str) -> exp.Expression:
    named: exp.Expression = exp.alias_(e, name, quoted=False)
    return named


def values(
    rows: Sequence[Sequence[str | float | None]],
    name: str,
    columns: Sequence[str],
    types: Sequence[exp.DataType] | None = None,
) -> exp.Expression:
    """A VALUES table; an empty one becomes a typed zero-row SELECT (text unless ``types``)."""
    if not rows:
        kinds = types or [TEXT] * len(columns)
        return (
            exp.select(
                *[
                    exp.alias_(exp.cast(exp.Null(), t), c)
                    for c, t in zip(columns, kinds, strict=True)
                ]
            )
            .where(FALSE)
            .subquery(name)
        )
    tuples = [exp.tuple_(*[lit(v) for v in row]) for row in rows]
    return exp.Values(
        expressions=tuples,
        alias=exp.TableAlias(
            this=exp.to_identifier(name), columns=[exp.to_identifier(c) for c in columns]
        ),
    )
