"""Exact beta-binomial posterior tail probabilities (numpy only, no scipy).

With a Beta(1, 1) prior and ``y`` DLTs among ``n`` patients the posterior of the DLT rate ``p``
is Beta(y + 1, n - y + 1). For integer shape parameters a, b the beta tail equals a binomial
sum (the order-statistics identity):

    Pr(p > phi) = 1 - I_phi(a, b) = Pr(Binomial(a + b - 1, phi) <= a - 1)
                = Pr(Binomial(n + 1, phi) <= y)

which is what :func:`posterior_tail_table` evaluates, term by term in log space. This is the
safety (elimination) rule of BOIN: Liu S, Yuan Y. J R Stat Soc C 2015;64:507-523 (§3.3).
"""

from __future__ import annotations

import numpy as np

from cartrial.designs.base import FloatArray


def posterior_tail_table(phi: float, n_max: int) -> FloatArray:
    """``T[n, y] = Pr(p > phi | y DLTs in n, Beta(1,1) prior)`` for 0 <= y <= n <= n_max.

    Entries with y > n are NaN. ``0 < phi < 1``.
    """
    size = n_max + 2  # binomial index m = n + 1 runs to n_max + 1
    log_fact = np.concatenate(([0.0], np.cumsum(np.log(np.arange(1, size + 1, dtype=np.float64)))))
    m = np.arange(1, n_max + 2, dtype=np.int64)[:, None]  # m = n + 1, rows n = 0..n_max
    k = np.arange(0, n_max + 2, dtype=np.int64)[None, :]
    valid = k <= m
    k_c = np.minimum(k, m)
    log_pmf = (
        log_fact[m]
        - log_fact[k_c]
        - log_fact[m - k_c]
        + k_c * np.log(phi)
        + (m - k_c) * np.log1p(-phi)
    )
    pmf = np.where(valid, np.exp(log_pmf), 0.0)
    cdf = np.cumsum(pmf, axis=1)[:, : n_max + 1]  # Pr(Bin(n+1, phi) <= y), y = 0..n_max
    y_grid = np.arange(n_max + 1)[None, :]
    n_grid = np.arange(n_max + 1)[:, None]
    out: FloatArray = np.where(y_grid <= n_grid, np.minimum(cdf, 1.0), np.nan)
    return out


def posterior_prob_above(phi: float, y: int, n: int) -> float:
    """``Pr(p > phi | y, n)`` under a Beta(1, 1) prior (one value)."""
    return float(posterior_tail_table(phi, n)[n, y])
