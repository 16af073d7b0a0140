"""Weighted isotonic (non-decreasing) regression, vectorised over many rows.

The estimate is the pool-adjacent-violators solution (Barlow et al. 1972), computed with the
max-min formula that characterises it (Robertson, Wright & Dykstra, *Order Restricted
Statistical Inference*, 1988, Thm 1.4.4):

    f_j = max_{i <= j} min_{k >= j} Av(i, k),   Av(i, k) = sum_{i..k} w x / sum_{i..k} w

Doses with zero weight (not treated, or not admissible) are left out of every average and get
NaN, which is the same as running PAVA on the remaining doses only. The formula costs O(K^2)
per row, which for the handful of dose levels of a phase I trial lets a whole batch of
simulated trials be fitted in a few array operations.
"""

from __future__ import annotations

import numpy as np

from cartrial.designs.base import FloatArray


def isotonic_regression(values: FloatArray, weights: FloatArray) -> FloatArray:
    """Non-decreasing weighted least-squares fit of each row of ``values`` (2-D or 1-D).

    ``weights`` has the same shape; entries with weight 0 are ignored and returned as NaN.
    """
    x = np.asarray(values, dtype=np.float64)
    w = np.asarray(weights, dtype=np.float64)
    one_row = x.ndim == 1
    if one_row:
        x, w = x[None, :], w[None, :]
    if x.shape != w.shape:
        raise ValueError("values and weights must have the same shape")
    if np.any(w < 0):
        raise ValueError("weights must be >= 0")
    rows, k = x.shape
    zeros = np.zeros((rows, 1))
    cw = np.concatenate((zeros, np.cumsum(w, axis=1)), axis=1)
    cwx = np.concatenate((zeros, np.cumsum(np.where(w > 0, w * x, 0.0), axis=1)), axis=1)
    # Interval [i, k]: axis 1 is i (start), axis 2 is k (end).
    den = cw[:, None, 1:] - cw[:, :-1, None]
    num = cwx[:, None, 1:] - cwx[:, :-1, None]
    idx = np.arange(k)
    ordered = idx[:, None] <= idx[None, :]
    usable = ordered[None, :, :] & (den > 0)
    with np.errstate(divide="ignore", invalid="ignore"):
        avg = np.where(usable, num / np.where(usable, den, 1.0), np.inf)
    # min over k >= j of Av(i, k): reverse cumulative minimum along the end axis.
    min_right = np.minimum.accumulate(avg[:, :, ::-1], axis=2)[:, :, ::-1]
    # max over i <= j (axis 1), only i <= j counts.
    lower = ordered[None, :, :]
    fitted = np.where(lower, min_right, -np.inf).max(axis=1)
    out: FloatArray = np.where(w > 0, fitted, np.nan)
    return out[0] if one_row else out
