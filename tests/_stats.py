"""The margins the statistical tests share: a Wilson interval at 99.9% (z = 3.29) and a
one-sided two-proportion z statistic."""

from __future__ import annotations

import math


def wilson(p: float, n: int, z: float = 3.29) -> tuple[float, float]:
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return centre - half, centre + half


def z_more(p_hi: float, p_lo: float, n: int, n_lo: int | None = None) -> float:
    """How far ``p_hi`` exceeds ``p_lo`` (shares over ``n`` and ``n_lo`` runs, ``n_lo`` = ``n``
    by default), in standard errors of the pooled share."""
    m = n if n_lo is None else n_lo
    pooled = (p_hi * n + p_lo * m) / (n + m)
    se = math.sqrt(max(pooled * (1 - pooled), 1e-12) * (1 / n + 1 / m))
    return (p_hi - p_lo) / se
