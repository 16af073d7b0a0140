"""Kleene laws for the three-valued logic (hypothesis over all truth values)."""

from hypothesis import given
from hypothesis import strategies as st

from cartrial.evaluate.truth import Truth, all_of, any_of, at_least

T, F, U = Truth.TRUE, Truth.FALSE, Truth.UNKNOWN
truths = st.sampled_from([T, F, U])


@given(truths)
def test_double_negation(a: Truth) -> None:
    assert ~~a is a


@given(truths, truths)
def test_de_morgan(a: Truth, b: Truth) -> None:
    assert ~(a & b) is (~a | ~b)
    assert ~(a | b) is (~a & ~b)


@given(truths, truths)
def test_commutative(a: Truth, b: Truth) -> None:
    assert a & b is b & a
    assert a | b is b | a


@given(truths, truths, truths)
def test_associative_and_distributive(a: Truth, b: Truth, c: Truth) -> None:
    assert (a & b) & c is a & (b & c)
    assert (a | b) | c is a | (b | c)
    assert a & (b | c) is (a & b) | (a & c)


@given(truths)
def test_identity_and_domination(a: Truth) -> None:
    assert a & T is a
    assert a | F is a
    assert a & F is F
    assert a | T is T


def test_unknown_is_not_excluded_middle() -> None:
    # Kleene: U or not U stays UNKNOWN (no law of excluded middle)
    assert (U | ~U) is U
    assert (U & ~U) is U
    assert ~U is U


@given(st.lists(truths, max_size=8))
def test_any_all_over_unknown(values: list[Truth]) -> None:
    if T in values:
        assert any_of(values) is T
    elif U in values:
        assert any_of(values) is U
    else:
        assert any_of(values) is F
    if F in values:
        assert all_of(values) is F
    elif U in values:
        assert all_of(values) is U
    else:
        assert all_of(values) is T


@given(st.lists(truths, min_size=1, max_size=8))
def test_not_any_is_all_not(values: list[Truth]) -> None:
    assert ~any_of(values) is all_of([~v for v in values])


@given(st.lists(truths, min_size=1, max_size=8), st.integers(min_value=1, max_value=8))
def test_at_least_bounds(values: list[Truth], n: int) -> None:
    result = at_least(n, values)
    if n == 1:
        assert result is any_of(values)
    if n == len(values):
        assert result is all_of(values)
    # Replacing every UNKNOWN by TRUE (or FALSE) brackets the answer.
    hi = at_least(n, [T if v is U else v for v in values])
    lo = at_least(n, [F if v is U else v for v in values])
    if hi is lo:
        assert result is hi
    else:
        assert result is U
