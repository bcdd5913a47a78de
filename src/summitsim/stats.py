"""The few statistics the figures and the sweep summaries share, computed by SciPy.

SciPy is imported on first use, so commands that never ask for an interval do not pay for it.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Sequence

NAN_PAIR = (math.nan, math.nan)


def wilson(k: int, n: int, confidence: float = 0.95) -> tuple[float, float]:
    """The Wilson score interval for ``k`` successes in ``n`` trials
    (:meth:`scipy.stats.binomtest(k, n).proportion_ci(method="wilson")`); ``(nan, nan)``
    when there are no trials."""
    if n <= 0:
        return NAN_PAIR
    return _wilson(int(k), int(n), float(confidence))


@functools.lru_cache(maxsize=65536)
def _wilson(k: int, n: int, confidence: float) -> tuple[float, float]:
    # binomtest also computes a p-value (about 1 ms); sweeps ask for the same k, n often
    from scipy.stats import binomtest

    ci = binomtest(k, n).proportion_ci(confidence_level=confidence, method="wilson")
    return (max(0.0, float(ci.low)), min(1.0, float(ci.high)))


def newcombe(
    k1: int, n1: int, k2: int, n2: int, confidence: float = 0.95
) -> tuple[float, float, float]:
    """The difference of two proportions ``k1/n1 - k2/n2`` with Newcombe's hybrid score
    interval, built from the two Wilson intervals (Newcombe 1998, method 10)."""
    if n1 <= 0 or n2 <= 0:
        return (math.nan, *NAN_PAIR)
    p1, p2 = k1 / n1, k2 / n2
    l1, u1 = wilson(k1, n1, confidence)
    l2, u2 = wilson(k2, n2, confidence)
    d = p1 - p2
    low = d - math.sqrt((p1 - l1) ** 2 + (u2 - p2) ** 2)
    high = d + math.sqrt((u1 - p1) ** 2 + (p2 - l2) ** 2)
    return (d, max(-1.0, low), min(1.0, high))


def mean_interval(
    ys: Sequence[float], xs: Sequence[float], confidence: float = 0.95
) -> tuple[float, float, float]:
    """The difference of two means ``mean(ys) - mean(xs)`` with Welch's t interval
    (:func:`scipy.stats.ttest_ind` with unequal variances)."""
    if not ys or not xs:
        return (math.nan, *NAN_PAIR)
    d = sum(ys) / len(ys) - sum(xs) / len(xs)
    if len(ys) < 2 or len(xs) < 2:
        return (d, *NAN_PAIR)
    import numpy as np

    if np.var(ys) == 0 and np.var(xs) == 0:
        return (d, d, d)
    import warnings

    from scipy.stats import ttest_ind

    with warnings.catch_warnings():  # nearly equal samples: SciPy warns, the interval stands
        warnings.simplefilter("ignore", RuntimeWarning)
        test = ttest_ind(ys, xs, equal_var=False)
        ci = test.confidence_interval(confidence_level=confidence)
    return (d, float(ci.low), float(ci.high))
