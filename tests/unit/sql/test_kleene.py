"""SQL's three-valued AND / OR / NOT is Kleene logic: proved on DuckDB for every combination,
against the evaluator's own Truth functions, and the same for the compiled at_least."""

from __future__ import annotations

import itertools

import duckdb
import pytest
from sqlglot import exp

from cartrial.evaluate.truth import Truth, all_of, any_of, at_least
from cartrial.sql.build import and_, not_, or_, truth
from cartrial.sql.composites import _at_least

VALUES = (Truth.TRUE, Truth.FALSE, Truth.UNKNOWN)
AS_SQL = {Truth.TRUE: True, Truth.FALSE: False, Truth.UNKNOWN: None}
FROM_SQL = {True: Truth.TRUE, False: Truth.FALSE, None: Truth.UNKNOWN}


def _run(e: exp.Expression) -> Truth:
    row = duckdb.sql(exp.select(e).sql("duckdb")).fetchone()
    assert row is not None
    return FROM_SQL[row[0]]


@pytest.mark.parametrize(("a", "b"), list(itertools.product(VALUES, VALUES)))
def test_and_or_are_kleene(a: Truth, b: Truth) -> None:
    x, y = truth(AS_SQL[a]), truth(AS_SQL[b])
    assert _run(and_(x, y)) is all_of((a, b))
    assert _run(or_(x.copy(), y.copy())) is any_of((a, b))


@pytest.mark.parametrize("a", VALUES)
def test_not_is_kleene(a: Truth) -> None:
    assert _run(not_(truth(AS_SQL[a]))) is ~a


@pytest.mark.parametrize("n", [1, 2, 3])
def test_at_least_counts_like_the_evaluator(n: int) -> None:
    for combo in itertools.product(VALUES, repeat=3):
        got = _run(_at_least(n)([truth(AS_SQL[v]) for v in combo]))
        assert got is at_least(n, combo), (n, combo)
