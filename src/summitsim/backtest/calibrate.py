"""Fit a scenario's parameters to its record, keeping some entries out of the fit.

Method ``abc``: approximate Bayesian computation by rejection, on the sweep engine.

1. Draw ``draws`` parameter sets from the prior: uniform over each varied parameter's declared
   range, as a Latin hypercube (the sweep's sampler).
2. Play ``seeds`` runs at each draw and, for each entry used in the fit, take the share of
   runs in which its check holds as the forecast ``p_i(θ)`` (within ``[FLOOR, 1 - FLOOR]``).
3. The distance of a draw from the record is the total log score of its forecasts over the fit
   entries, ``D(θ) = Σ_i -(y_i ln p_i + (1 - y_i) ln(1 - p_i))``.
4. Accept each draw with probability ``exp(-(D(θ) - D_min) / T)`` (an exponential ABC kernel;
   ``T`` is ``--temperature``, default 1). The accepted draws are a sample from the posterior
   ``π(θ | record) ∝ π(θ) exp(-D(θ) / T)``.

With ``T = 1`` this target is the prior times the probability of the record's outcomes if the
entries were independent given θ (a Bernoulli composite likelihood, since ``exp(-D)`` is that
product): exact for independent entries, too confident when entries move together (then a
larger ``T`` widens it; Bissiri, Holmes & Walker 2016 call ``1/T`` the learning rate of a
general Bayesian update). Each ``p_i`` is estimated from ``seeds`` runs, so the posterior also
carries that noise: more seeds, less.

Entries can be **held out** (``--holdout ID``; by default the latest third by date): they play
no part in the fit, and the backtest at the default and at the fitted values (the posterior
medians) is reported on the fit entries and on the held-out ones separately. A fit that
improves the fit entries but not the held-out ones has learnt the record, not the situation.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..errors import UserError
from . import scores as S
from .play import job_for, play
from .record import LoadedRecord, load_record

METHODS = ("abc",)
DEFAULT_DRAWS = 200
DEFAULT_SEEDS = 20
DEFAULT_CHECK_SEEDS = 200
INTERVAL = 0.9


def split_holdout(
    record: LoadedRecord, holdout: Sequence[str] | None = None, share: float = 1 / 3
) -> tuple[list[str], list[str]]:
    """(fit ids, hold-out ids): the given hold-out entries, or the latest ``share`` of the
    entries by date (rounded down; at least one entry is always fitted)."""
    ids = record.ids
    if holdout:
        unknown = [h for h in holdout if h not in ids]
        if unknown:
            raise UserError(
                f"--holdout: no entry {unknown[0]!r} in {record.source} (entries: {', '.join(ids)})"
            )
        out = [i for i in ids if i in set(holdout)]
    else:
        if not 0 <= share < 1:
            raise UserError(f"--holdout-share must be from 0 to below 1, got {share}")
        k = math.floor(len(ids) * share + 1e-9)
        by_date = sorted(record.entries, key=lambda e: (e.date, ids.index(e.id)))
        out_set = {e.id for e in by_date[len(by_date) - k :]} if k else set()
        out = [i for i in ids if i in out_set]
    fit = [i for i in ids if i not in set(out)]
    if not fit:
        raise UserError("every entry is held out: nothing is left to fit")
    return fit, out


@dataclass
class Calibration:
    scenario: Any
    record: LoadedRecord
    method: str
    vary: list[str]
    fixed: dict[str, Any]
    seeds: int
    seed: int
    temperature: float
    fit: list[str]
    holdout: list[str]
    draws: list[dict[str, Any]]  # params, distance (mean log score), accepted
    posterior: dict[str, dict[str, Any]]
    fitted: dict[str, Any]
    check: dict[str, Any] = field(default_factory=dict)
    seconds: float = 0.0
    interval: float = INTERVAL

    @property
    def ess(self) -> float:
        """The effective sample size of the weighted draws, (Σw)² / Σw²."""
        w = np.array([d["weight"] for d in self.draws])
        return float(w.sum() ** 2 / (w**2).sum()) if w.sum() > 0 else 0.0

    @property
    def n_accepted(self) -> int:
        return sum(1 for d in self.draws if d["accepted"])

    def accepted(self) -> list[dict[str, Any]]:
        return [d["params"] for d in self.draws if d["accepted"]]

    def to_dict(self) -> dict[str, Any]:
        from .. import __version__

        return {
            "summitsim_version": __version__,
            "scenario": {"id": self.scenario.id, "sha256": self.scenario.sha256},
            "record": {"source": self.record.source, "sha256": self.record.sha256},
            "method": self.method,
            "vary": self.vary,
            "set": self.fixed,
            "n_draws": len(self.draws),
            "seeds": self.seeds,
            "seed": self.seed,
            "temperature": self.temperature,
            "interval": self.interval,
            "fit": self.fit,
            "holdout": self.holdout,
            "n_accepted": self.n_accepted,
            "ess": self.ess,
            "posterior": self.posterior,
            "fitted": self.fitted,
            "accepted": self.accepted(),
            "draws": self.draws,
            "check": self.check,
            "seconds": round(self.seconds, 3),
        }


def _numeric(loaded: Any, vary: Sequence[str], fixed: Mapping[str, Any]) -> None:
    params = loaded.spec.parameters
    if not vary:
        raise UserError("give at least one --vary NAME (a numeric parameter to fit)")
    for name in vary:
        if name not in params:
            raise UserError(f"unknown parameter {name!r} (known: {', '.join(params) or '(none)'})")
        if params[name].kind not in ("int", "float"):
            raise UserError(
                f"--vary {name}: a {params[name].kind} parameter cannot be fitted; fix it with "
                "--set (calibrate fits numbers over their declared range)"
            )
        if name in fixed:
            raise UserError(f"parameter {name!r} is both varied and fixed with --set")
    if len(set(vary)) != len(vary):
        raise UserError("a parameter is given twice with --vary")


def weighted_quantile(values: np.ndarray, weights: np.ndarray, q: float) -> float:
    """The ``q`` quantile of a weighted sample (inverse of the weighted CDF, with each
    value's mass centred on it)."""
    order = np.argsort(values)
    v, w = values[order], weights[order]
    cdf = (np.cumsum(w) - 0.5 * w) / w.sum()
    return float(np.interp(q, cdf, v))


def summarise(
    values: np.ndarray, weights: np.ndarray, interval: float = INTERVAL
) -> dict[str, float]:
    """Weighted mean, sd, median and central ``interval`` of a parameter's draws."""
    w = weights / weights.sum()
    mean = float((w * values).sum())
    a = (1 - interval) / 2
    return {
        "mean": mean,
        "sd": float(math.sqrt(max(0.0, (w * (values - mean) ** 2).sum()))),
        "median": weighted_quantile(values, w, 0.5),
        "lo": weighted_quantile(values, w, a),
        "hi": weighted_quantile(values, w, 1 - a),
    }


def calibrate(
    scenario: str,
    vary: Sequence[str],
    record: str | None = None,
    method: str = "abc",
    draws: int = DEFAULT_DRAWS,
    seeds: int = DEFAULT_SEEDS,
    params: Mapping[str, Any] | None = None,
    seed: int = 0,
    holdout: Sequence[str] | None = None,
    holdout_share: float = 1 / 3,
    temperature: float = 1.0,
    check_seeds: int = DEFAULT_CHECK_SEEDS,
    executor: Any = None,
    progress: Any = None,
    loaded_record: LoadedRecord | None = None,
) -> Calibration:
    """Fit ``vary`` to the record (see the module docstring) and backtest the scenario at the
    default and the fitted values (``check_seeds`` runs per ensemble; 0 skips it)."""
    import time

    from ..sweep import spec as sp
    from ..sweep.plan import load, make_plan
    from .core import make_backtest, plan_for
    from .play import executor_for

    if method not in METHODS:
        raise UserError(f"unknown method {method!r} (methods: {', '.join(METHODS)})")
    if not temperature > 0:
        raise UserError(f"--temperature must be above 0, got {temperature}")
    t0 = time.monotonic()
    loaded, text = load(scenario)
    rec = loaded_record if loaded_record is not None else load_record(record, loaded)
    fit, out = split_holdout(rec, holdout, holdout_share)
    fixed_raw = dict(params or {})
    _numeric(loaded, vary, fixed_raw)
    spec = sp.from_dict(
        {
            "scenario": scenario,
            "replicates": seeds,
            "seed": seed,
            "set": fixed_raw,
            "sample": {"method": "lhs", "n": draws, "vary": list(vary)},
        },
        "calibrate",
    )
    plan = make_plan(spec, loaded, text)
    own = executor is None
    ex = executor_for() if own else executor
    try:
        (played,) = play([(plan, job_for(rec, "scenario"))], ex, progress)
        k, n = played.by_point()
        y = np.array([e.y for e in rec.entries], dtype=float)
        cols = [rec.ids.index(i) for i in fit]
        p = S.forecast(k[:, cols], n[:, cols])
        losses = S.log_score(p, np.broadcast_to(y[cols], p.shape))
        total = losses.sum(axis=1)
        ok = n[:, 0] > 0
        weights = np.where(ok, np.exp(-(total - total[ok].min()) / temperature), 0.0)
        rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(1,)))
        accepted = rng.random(len(weights)) < weights
        if accepted.sum() < 2:  # keep the best two rather than report nothing
            accepted[np.argsort(np.where(ok, total, np.inf))[:2]] = True
        points = [plan.point(i) for i in range(plan.n_points)]
        draw_rows = [
            {
                "params": pt,
                "distance": float(total[i] / len(fit)),
                "weight": float(weights[i]),
                "accepted": bool(accepted[i]),
            }
            for i, pt in enumerate(points)
        ]
        sc = loaded.spec.parameters
        posterior: dict[str, dict[str, Any]] = {}
        fitted: dict[str, Any] = {}
        for name in vary:
            vals = np.array([float(pt[name]) for pt in points])
            post = summarise(vals, weights)
            lo, hi = sc[name].range or (math.nan, math.nan)
            posterior[name] = {"prior": [lo, hi], **post}
            med = post["median"]
            fitted[name] = round(med) if sc[name].kind == "int" else med
        cal = Calibration(
            loaded, rec, method, list(vary), dict(plan.fixed), seeds, seed, temperature, fit,
            out, draw_rows, posterior, fitted,
        )  # fmt: skip
        if check_seeds:
            checks: dict[str, Any] = {}
            for label, values in (
                ("default", dict(plan.fixed)),
                ("fitted", {**plan.fixed, **fitted}),
            ):
                _, bplan, coerced = plan_for(scenario, check_seeds, seed, values)
                runs = play([(bplan, job_for(rec, e)) for e in ("scenario", "random", "hold")], ex)
                bt = make_backtest(
                    loaded,
                    rec,
                    coerced,
                    check_seeds,
                    seed,
                    dict(zip(("scenario", "random", "hold"), runs, strict=True)),
                )
                checks[label] = {"params": coerced, "fit": bt.subset(fit)}
                checks[label]["holdout"] = bt.subset(out) if out else None
                if label == "fitted":
                    checks["fitted_backtest"] = bt.to_dict()
            cal.check = checks
    finally:
        if own:
            ex.close()
    cal.seconds = time.monotonic() - t0
    return cal
