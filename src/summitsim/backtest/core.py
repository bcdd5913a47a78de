"""A backtest: how well a scenario's runs forecast its record, against two baselines.

For each entry of the record, three ensembles of runs with the same seeds give the share of
runs in which its check holds: the scenario as written (``scenario``), every actor choosing at
random (``random``), and every actor holding (``hold``: nothing happens but the scenario's
injects and red-line responses). Each share is a forecast of the entry; the forecasts are
scored against the record (:mod:`summitsim.backtest.scores`), and the scenario's skill
against each baseline says whether it beats it.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from . import scores as S
from .play import POLICIES, Played, job_for, play
from .record import LoadedRecord, load_record

DEFAULT_SEEDS = 400
ENSEMBLE_NAMES = {
    "scenario": "the scenario",
    "random": "every actor random",
    "hold": "every actor holds",
}


@dataclass
class Scored:
    """Forecasts and scores of one ensemble over some entries."""

    k: np.ndarray
    n: np.ndarray
    p: np.ndarray  # forecasts, within [FLOOR, 1 - FLOOR]
    brier: np.ndarray  # per entry
    log: np.ndarray

    @classmethod
    def of(cls, k: np.ndarray, n: np.ndarray, y: np.ndarray) -> Scored:
        p = S.forecast(k, n)
        return cls(k, n, p, S.brier(p, y), S.log_score(p, y))

    def take(self, idx: Sequence[int]) -> Scored:
        i = list(idx)
        return Scored(self.k[i], self.n[i], self.p[i], self.brier[i], self.log[i])

    @property
    def mean_brier(self) -> float:
        return float(self.brier.mean()) if len(self.brier) else math.nan

    @property
    def mean_log(self) -> float:
        return float(self.log.mean()) if len(self.log) else math.nan


@dataclass
class Backtest:
    """The result of :func:`run_backtest`."""

    scenario: Any  # LoadedScenario
    record: LoadedRecord
    params: dict[str, Any]  # the --set overrides, coerced
    seeds: int
    seed: int
    scored: dict[str, Scored]  # by ensemble
    failed: dict[str, int]
    errors: list[str] = field(default_factory=list)
    seconds: float = 0.0
    executor: dict[str, Any] = field(default_factory=dict)

    @property
    def y(self) -> np.ndarray:
        return np.array([e.y for e in self.record.entries], dtype=float)

    def wilson(self, ensemble: str, i: int) -> tuple[float, float]:
        from ..stats import wilson

        sc = self.scored[ensemble]
        return wilson(int(sc.k[i]), int(sc.n[i]))

    def subset(self, ids: Sequence[str]) -> dict[str, Any]:
        """Scores, skill and reliability over the entries ``ids`` (JSON-ready)."""
        index = {e.id: i for i, e in enumerate(self.record.entries)}
        idx = [index[i] for i in ids]
        return summary(
            {k: v.take(idx) for k, v in self.scored.items()},
            [self.record.entries[i].id for i in idx],
            self.y[idx],
        )

    def to_dict(self) -> dict[str, Any]:
        from .. import __version__
        from ..viz.labels import Labels

        labels = Labels.from_spec(self.scenario.spec)
        entries = []
        for i, e in enumerate(self.record.entries):
            row: dict[str, Any] = {
                "id": e.id,
                "date": e.date.isoformat(),
                "turn": e.turn,
                "turns": list(e.window),
                "kind": e.kind,
                "check": e.check.model_dump(mode="json", exclude_none=True),
                "describe": e.describe(labels),
                "summary": e.summary,
                "sources": [
                    {"title": s.title, "publisher": s.publisher, "date": s.date}
                    | ({"url": s.url} if s.url else {})
                    for s in e.sources
                ],
                "observed": e.observed,
                "confidence": e.confidence,
                "y": e.y,
            }
            for ens, sc in self.scored.items():
                lo, hi = self.wilson(ens, i)
                row[ens] = {
                    "k": int(sc.k[i]),
                    "n": int(sc.n[i]),
                    "share": float(sc.k[i] / sc.n[i]) if sc.n[i] else None,
                    "ci95": [lo, hi],
                    "forecast": float(sc.p[i]),
                    "brier": float(sc.brier[i]),
                    "log": float(sc.log[i]),
                }
            entries.append(row)
        return {
            "summitsim_version": __version__,
            "scenario": {
                "id": self.scenario.id,
                "sha256": self.scenario.sha256,
                "source": self.scenario.source,
            },
            "record": {
                "source": self.record.source,
                "sha256": self.record.sha256,
                "title": self.record.spec.title,
            },
            "params": self.params,
            "seeds": self.seeds,
            "seed": self.seed,
            "floor": S.FLOOR,
            "failed": self.failed,
            "errors": self.errors[:5],
            "entries": entries,
            **summary(self.scored, [e.id for e in self.record.entries], self.y),
            "seconds": round(self.seconds, 3),
            "executor": self.executor,
        }


def summary(scored: Mapping[str, Scored], ids: Sequence[str], y: np.ndarray) -> dict[str, Any]:
    """Mean scores per ensemble, the scenario's skill against the others (with 95% bootstrap
    intervals over entries) and, for a long enough record, the reliability diagram."""
    out: dict[str, Any] = {
        "n_entries": len(ids),
        "scores": {e: {"brier": s.mean_brier, "log": s.mean_log} for e, s in scored.items()},
    }
    model = scored.get("scenario")
    if model is not None:
        skill: dict[str, Any] = {}
        for ref, s in scored.items():
            if ref == "scenario":
                continue
            skill[ref] = {
                rule: {
                    "value": S.skill(getattr(model, f"mean_{rule}"), getattr(s, f"mean_{rule}")),
                    "ci95": list(S.skill_interval(getattr(model, rule), getattr(s, rule))),
                }
                for rule in ("brier", "log")
            }
        out["skill"] = skill
        bins = S.reliability(model.p, y, ids)
        out["reliability"] = (
            None
            if bins is None
            else [
                {
                    "lo": b.lo,
                    "hi": b.hi,
                    "n": b.n,
                    "mean_forecast": b.mean_forecast,
                    "observed": b.observed,
                    "entries": list(b.ids),
                }
                for b in bins
            ]
        )
    return out


def plan_for(
    scenario: str, seeds: int, seed: int, params: Mapping[str, Any]
) -> tuple[Any, Any, dict[str, Any]]:
    """The scenario (loaded, with its text for the workers), a one-point sweep plan of
    ``seeds`` runs, and the coerced overrides."""
    from ..sweep import spec as sp
    from ..sweep.plan import load, make_plan

    loaded, text = load(scenario)
    spec = sp.from_dict(
        {"scenario": scenario, "replicates": seeds, "seed": seed, "set": dict(params)}, "backtest"
    )
    plan = make_plan(spec, loaded, text)
    return loaded, plan, dict(plan.fixed)


def run_backtest(
    scenario: str,
    record: str | None = None,
    seeds: int = DEFAULT_SEEDS,
    params: Mapping[str, Any] | None = None,
    seed: int = 0,
    executor: Any = None,
    progress: Any = None,
    ensembles: Sequence[str] = POLICIES,
    loaded_record: LoadedRecord | None = None,
) -> Backtest:
    """Play ``seeds`` runs of each ensemble (on ``executor``; default: local workers on every
    core, closed at the end) and score them against ``record`` (default: the bundled record
    of the scenario)."""
    from .play import executor_for

    loaded, plan, fixed = plan_for(scenario, seeds, seed, params or {})
    rec = loaded_record if loaded_record is not None else load_record(record, loaded)
    own = executor is None
    ex = executor_for() if own else executor
    try:
        played = play([(plan, job_for(rec, e)) for e in ensembles], ex, progress)
    finally:
        if own:
            ex.close()
    return make_backtest(
        loaded, rec, fixed, seeds, seed, dict(zip(ensembles, played, strict=True)), ex.describe()
    )


def make_backtest(
    loaded: Any,
    rec: LoadedRecord,
    params: dict[str, Any],
    seeds: int,
    seed: int,
    played: Mapping[str, Played],
    executor: dict[str, Any] | None = None,
    rows: np.ndarray | None = None,
) -> Backtest:
    y = np.array([e.y for e in rec.entries], dtype=float)
    scored, failed, errors = {}, {}, []
    for name, p in played.items():
        k, n = p.counts(rows)
        scored[name] = Scored.of(k, n, y)
        failed[name] = int((~p.ok).sum()) if rows is None else int((~p.ok[rows]).sum())
        errors += p.errors
    seconds = max((p.seconds for p in played.values()), default=0.0)
    return Backtest(
        loaded, rec, params, seeds, seed, scored, failed, errors, seconds, executor or {}
    )
