"""Play ensembles on the sweep engine and evaluate a record's checks on every run.

The runs are planned exactly as a sweep plans them (:mod:`summitsim.sweep.plan`: points,
replicate seeds from the master seed, chunks sized from the measured time per run) and sent
to the sweep's executors (local worker processes or a Dask cluster), or played in this
process (:class:`SerialExecutor`, for the dashboard and small jobs). A worker keeps no run:
it evaluates each entry's check on the run and returns one 0/1 per entry (-1 for a run that
failed), so only a few bytes per run come back.

Three ensembles make a backtest, by the actors' policies: ``scenario`` (each actor's declared
policy: the AI, scripted or random), ``random`` (every actor :class:`RandomPolicy`) and
``hold`` (every actor always holds and walks away from every negotiation; injects and red
lines still act).
"""

from __future__ import annotations

import gc
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from functools import partial
from typing import Any

import numpy as np

from ..sweep.plan import Plan, run_seed
from ..sweep.runner import Sizer, chunks
from ..sweep.worker import Chunk, ChunkResult, forget_models, scenario_for
from . import checks as ck

POLICIES = ("scenario", "random", "hold")
Progress = Callable[[int, int], None]  # runs done, runs in all


@dataclass(frozen=True)
class Job:
    """What to do with each run: the actors' policies and the checks (entry id, check,
    turns) to evaluate. Sent with every chunk; small."""

    policies: str  # scenario | random | hold
    checks: tuple[tuple[str, Any, tuple[int, int]], ...]
    key: str  # identifies the checks (workers cache their compiled forms by it)


def job_for(record: Any, policies: str) -> Job:
    import hashlib
    import json

    if policies not in POLICIES:
        raise ValueError(f"unknown ensemble {policies!r}")
    checks = tuple((e.id, e.check, e.window) for e in record.entries)
    text = json.dumps([[i, c.model_dump(mode="json"), w] for i, c, w in checks])
    return Job(policies, checks, hashlib.sha256(text.encode()).hexdigest())


# ----- in the worker ---------------------------------------------------------------------------
_EVALUATORS: dict[tuple[str, str, str], list[ck.Evaluator]] = {}
_FROZEN = False


def _evaluators(job: Job, compiled: Any) -> list[ck.Evaluator]:
    params = repr(sorted(compiled.params.items()))
    key = (job.key, compiled.loaded.sha256, params)
    hit = _EVALUATORS.get(key)
    if hit is None:
        env = ck.Env.of(compiled)
        hit = [ck.kind_of(c).compile(c, env, w) for _, c, w in job.checks]
        if len(_EVALUATORS) > 4096:
            _EVALUATORS.clear()
        _EVALUATORS[key] = hit
    return hit


def _policies(kind: str, compiled: Any) -> dict[str, Any] | None:
    if kind == "scenario":
        return None
    from ..policies import RandomPolicy, ScriptedPolicy

    if kind == "random":
        return {a.id: RandomPolicy() for a in compiled.actors}
    return {a.id: ScriptedPolicy({}, negotiate=False) for a in compiled.actors}


def play_chunk(job: Job, chunk: Chunk) -> ChunkResult:
    """Play the chunk's runs (seeds and parameters as a sweep would) and evaluate the checks.
    Columns: ``run_id``, ``error`` and one per entry (1 holds, 0 does not, -1 failed run)."""
    from ..api import run
    from ..engine.registry import get_compiled

    global _FROZEN
    t0 = time.perf_counter()
    loaded = scenario_for(chunk)
    if not _FROZEN:  # as sweep workers do: keep the imported heap out of the collector's way
        gc.collect()
        gc.freeze()
        _FROZEN = True
    ids = [i for i, _, _ in job.checks]
    cols: dict[str, list[Any]] = {"run_id": [], "error": [], **{i: [] for i in ids}}
    failed = 0
    for rid in range(chunk.start, chunk.stop):
        point, rep = divmod(rid, chunk.replicates)
        seed = run_seed(chunk.seed, 0 if chunk.common_seeds else point, rep)
        cols["run_id"].append(rid)
        try:
            compiled = get_compiled(loaded, chunk.points[point])
            evals = _evaluators(job, compiled)
            result = run(
                compiled,
                seed=seed,
                turns=chunk.turns,
                policies=_policies(job.policies, compiled),
                rationales=False,
            )
            trace = ck.Trace(result)
            values = [1 if f(trace) else 0 for f in evals]
            cols["error"].append(None)
        except Exception as exc:
            failed += 1
            values = [-1] * len(ids)
            cols["error"].append(f"{type(exc).__name__}: {exc}")
        finally:
            forget_models()
        for i, v in zip(ids, values, strict=True):
            cols[i].append(v)
    return ChunkResult(chunk.start, chunk.stop, cols, None, time.perf_counter() - t0, failed)


# ----- in this process ---------------------------------------------------------------------------
class SerialExecutor:
    """Plays each chunk at once, in this process (the executors' interface, for small jobs
    and for servers that should not fork)."""

    name = "serial"
    slots = 1

    def describe(self) -> dict[str, Any]:
        return {"kind": "serial"}

    def submit(self, chunk: Chunk, fn: Callable[[Chunk], ChunkResult]) -> Any:
        return _Done(fn(chunk))

    def wait_any(self, handles: list[Any], timeout: float) -> list[Any]:
        return list(handles)

    def result(self, handle: Any) -> ChunkResult:
        res: ChunkResult = handle.value
        return res

    def cancel(self, handles: list[Any]) -> list[Any]:
        return []

    def close(self, force: bool = False) -> None:
        pass


@dataclass(eq=False)
class _Done:
    value: ChunkResult


def executor_for(dask: str | None = None, workers: int | None = None, timeout: float = 10.0) -> Any:
    """A Dask executor (``dask`` address), local worker processes (``workers``, default every
    core), or, with ``workers=0``, this process."""
    from ..sweep.executors import DaskExecutor, LocalExecutor, default_workers

    if dask is not None:
        return DaskExecutor(dask, connect_timeout=timeout, worker_wait=3 * timeout)
    if workers == 0:
        return SerialExecutor()
    return LocalExecutor(workers or default_workers())


@dataclass
class Played:
    """What one ensemble gave: per run (rows, by run id) and entry (columns) 1/0, -1 for a
    failed run."""

    plan: Plan
    job: Job
    holds: np.ndarray
    errors: list[str] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def ok(self) -> np.ndarray:
        return np.asarray(self.holds[:, 0] >= 0) if self.holds.size else np.zeros(0, bool)

    def counts(self, rows: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Per entry: runs in which the check holds (k) and successful runs (n)."""
        h = self.holds if rows is None else self.holds[rows]
        good = h[:, :1] >= 0 if h.size else np.zeros((0, 1), bool)
        k = (h == 1).sum(axis=0)
        n = np.full(h.shape[1], int(good.sum()))
        return k, n

    def by_point(self) -> tuple[np.ndarray, np.ndarray]:
        """Per point and entry: k and n (arrays points x entries)."""
        r = self.plan.replicates
        h = self.holds.reshape(self.plan.n_points, r, -1)
        k = (h == 1).sum(axis=1)
        n = (h[:, :, :1] >= 0).sum(axis=1).repeat(h.shape[2], axis=1)
        return k, n


def play(
    work: Sequence[tuple[Plan, Job]],
    executor: Any,
    progress: Progress | None = None,
    chunk_seconds: float = 0.3,
) -> list[Played]:
    """Play every plan's runs with its job, all on one executor (the plans' chunks go out one
    after another, about two per worker in flight); results in run-id order."""
    out = [
        Played(plan, job, np.full((plan.n_runs, len(job.checks)), -1, dtype=np.int8))
        for plan, job in work
    ]
    total = sum(p.n_runs for p, _ in work)
    done = 0
    sizers = [Sizer(executor.slots, chunk_seconds) for _ in work]
    source = _all_chunks(work, sizers)
    inflight: dict[Any, tuple[int, Chunk]] = {}
    t0 = time.monotonic()
    if progress:
        progress(0, total)
    try:
        _fill(executor, inflight, source, work)
        while inflight:
            for h in executor.wait_any(list(inflight), 0.25):
                j = inflight.pop(h)[0]
                res = executor.result(h)
                sizers[j].observe(res)
                _store(out[j], res)
                done += res.stop - res.start
                if progress:
                    progress(done, total)
            _fill(executor, inflight, source, work)
    except BaseException:
        executor.close(force=True)
        raise
    seconds = time.monotonic() - t0
    for p in out:
        p.seconds = seconds
    return out


def _all_chunks(
    work: Sequence[tuple[Plan, Job]], sizers: list[Sizer]
) -> Iterator[tuple[int, Chunk]]:
    for j, (plan, _) in enumerate(work):
        for chunk in chunks(plan, [(0, plan.n_runs)], sizers[j]):
            yield j, chunk


def _fill(
    executor: Any,
    inflight: dict[Any, tuple[int, Chunk]],
    source: Iterator[tuple[int, Chunk]],
    work: Sequence[tuple[Plan, Job]],
) -> None:
    while len(inflight) < 2 * executor.slots:
        item = next(source, None)
        if item is None:
            return
        j, chunk = item
        inflight[executor.submit(chunk, partial(play_chunk, work[j][1]))] = item


def _store(played: Played, res: ChunkResult) -> None:
    ids = [i for i, _, _ in played.job.checks]
    if ids:
        block = np.array([res.runs[i] for i in ids], dtype=np.int8).T
        played.holds[res.start : res.stop] = block
    for e in res.runs["error"]:
        if e is not None and len(played.errors) < 20:
            played.errors.append(e)
