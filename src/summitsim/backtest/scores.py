"""Proper scores of an ensemble forecast of a record, skill against a baseline, and the
reliability diagram.

For entry *i* the ensemble's forecast is the share of runs in which its check holds,
``p = k / n``, kept within ``[FLOOR, 1 - FLOOR]`` (a finite ensemble cannot tell "never" from
"less than once in n runs", and the log score of a certain forecast that fails is infinite).
The record says the check held in reality (``observed``) with probability ``confidence``;
so the outcome is ``y = confidence`` (or ``1 - confidence`` when it was observed not to hold)
and each score is its expectation over that uncertainty. Both scores are affine in the
outcome, so that is the score of the soft outcome ``y``:

* Brier score (Brier 1950): ``y (1 - p)^2 + (1 - y) p^2``; 0 is perfect, 0.25 is the score
  of always saying 50%.
* Log score (negatively oriented, in nats; Good 1952; Gneiting & Raftery 2007):
  ``-(y ln p + (1 - y) ln(1 - p))``; 0 is perfect, ln 2 = 0.693 is always saying 50%.

Both are strictly proper (Gneiting & Raftery 2007): a forecaster minimises the expected score
only by saying what it believes. The per-entry scores are computed by ``scoringrules``; a
record's score is their mean. The skill score of a forecast against a reference is
``1 - S / S_ref`` (Murphy 1973): positive when it beats the reference, 1 when perfect.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

FLOOR = 0.01
MIN_RELIABILITY = 10  # entries needed before a reliability diagram means anything
BINS = 5


def forecast(k: Any, n: Any) -> np.ndarray:
    """Ensemble forecasts ``k / n`` within ``[FLOOR, 1 - FLOOR]`` (0.5 where ``n`` is 0)."""
    k, n = np.asarray(k, dtype=float), np.asarray(n, dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        p = np.where(n > 0, k / np.where(n > 0, n, 1.0), 0.5)
    return np.clip(p, FLOOR, 1.0 - FLOOR)


def brier(p: Any, y: Any) -> np.ndarray:
    """Expected Brier score of forecasts ``p`` for outcomes that hold with probability ``y``."""
    import scoringrules as sr

    p, y = np.asarray(p, dtype=float), np.asarray(y, dtype=float)
    ones, zeros = np.ones_like(p), np.zeros_like(p)
    return np.asarray(y * sr.brier_score(ones, p) + (1 - y) * sr.brier_score(zeros, p))


def log_score(p: Any, y: Any) -> np.ndarray:
    """Expected log score (nats, lower is better) of forecasts ``p`` for outcomes that hold
    with probability ``y``."""
    import scoringrules as sr

    p, y = np.asarray(p, dtype=float), np.asarray(y, dtype=float)
    ones, zeros = np.ones_like(p), np.zeros_like(p)
    return np.asarray(y * sr.log_score(ones, p) + (1 - y) * sr.log_score(zeros, p))


def skill(score: float, reference: float) -> float:
    """``1 - score / reference``; NaN when the reference is perfect (0)."""
    return 1.0 - score / reference if reference > 0 else math.nan


def skill_interval(
    model: Sequence[float], reference: Sequence[float], confidence: float = 0.95,
    resamples: int = 2000, seed: int = 0,
) -> tuple[float, float]:  # fmt: skip
    """A percentile bootstrap interval of the skill score over the record's entries (the
    entries are resampled; the ensembles are taken as given)."""
    m, r = np.asarray(model, dtype=float), np.asarray(reference, dtype=float)
    if len(m) < 2:
        return (math.nan, math.nan)
    rng = np.random.default_rng(seed)
    idx = rng.integers(0, len(m), size=(resamples, len(m)))
    sm, sr_ = m[idx].mean(axis=1), r[idx].mean(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        ss = np.where(sr_ > 0, 1.0 - sm / np.where(sr_ > 0, sr_, 1.0), np.nan)
    ss = ss[np.isfinite(ss)]
    if not len(ss):
        return (math.nan, math.nan)
    a = (1 - confidence) / 2
    return (float(np.quantile(ss, a)), float(np.quantile(ss, 1 - a)))


@dataclass(frozen=True)
class Bin:
    lo: float
    hi: float
    n: int
    mean_forecast: float
    observed: float  # mean outcome y in the bin
    ids: tuple[str, ...]


def reliability(p: Any, y: Any, ids: Sequence[str], bins: int = BINS) -> list[Bin] | None:
    """Entries grouped by forecast into ``bins`` equal-width bins (empty ones left out): the
    mean forecast against the mean outcome. None when the record has fewer than
    :data:`MIN_RELIABILITY` entries."""
    if len(p) < MIN_RELIABILITY:
        return None
    out = []
    edges = np.linspace(0.0, 1.0, bins + 1)
    pa, ya = np.asarray(p, dtype=float), np.asarray(y, dtype=float)
    which = np.minimum((pa * bins).astype(int), bins - 1)
    for b in range(bins):
        sel = which == b
        if sel.any():
            out.append(
                Bin(
                    float(edges[b]),
                    float(edges[b + 1]),
                    int(sel.sum()),
                    float(pa[sel].mean()),
                    float(ya[sel].mean()),
                    tuple(i for i, s in zip(ids, sel, strict=True) if s),
                )
            )
    return out
