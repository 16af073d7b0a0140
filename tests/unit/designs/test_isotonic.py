"""The vectorised max-min isotonic fit equals a plain pool-adjacent-violators loop."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from cartrial.designs import isotonic_regression


def _pava(x: list[float], w: list[float]) -> list[float]:
    """Textbook PAVA (Barlow et al. 1972) over the points with positive weight."""
    keep = [i for i, wi in enumerate(w) if wi > 0]
    blocks: list[list[float]] = []  # [weighted sum, weight, count]
    for i in keep:
        blocks.append([x[i] * w[i], w[i], 1])
        while len(blocks) > 1 and blocks[-2][0] / blocks[-2][1] > blocks[-1][0] / blocks[-1][1]:
            s, ww, c = blocks.pop()
            blocks[-1][0] += s
            blocks[-1][1] += ww
            blocks[-1][2] += c
    fitted: list[float] = []
    for s, ww, c in blocks:
        fitted += [s / ww] * int(c)
    out = [float("nan")] * len(x)
    for i, v in zip(keep, fitted, strict=True):
        out[i] = v
    return out


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.floats(0, 1, allow_nan=False),
            st.one_of(st.just(0.0), st.floats(0.1, 50, allow_nan=False)),
        ),
        min_size=1,
        max_size=8,
    )
)
def test_matches_pava(points: list[tuple[float, float]]) -> None:
    x = [p[0] for p in points]
    w = [p[1] for p in points]
    got = isotonic_regression(np.array(x), np.array(w))
    want = np.array(_pava(x, w))
    assert np.allclose(got, want, equal_nan=True, atol=1e-12)


def test_batch_rows_are_independent() -> None:
    x = np.array([[0.5, 0.1, 0.3], [0.1, 0.2, 0.3]])
    w = np.array([[1.0, 1.0, 2.0], [1.0, 0.0, 1.0]])
    got = isotonic_regression(x, w)
    assert np.allclose(got[0], [0.3, 0.3, 0.3])
    assert np.allclose(got[1], [0.1, np.nan, 0.3], equal_nan=True)
