"""What a worker process does: play one chunk of runs and return their rows as columns.

A chunk is a contiguous range of run ids. Workers keep the loaded scenario (by sha256) and the
compiled scenarios (per parameter point, in the engine's registry) between chunks, so a warm
worker that runs many seeds of one point compiles it once. A run that raises becomes a
failure row with its error; it does not stop the chunk.
"""

from __future__ import annotations

import gc
import time
from dataclasses import dataclass
from typing import Any

from ..scenario import LoadedScenario, load_text
from .plan import run_seed

_LOADED: dict[str, LoadedScenario] = {}
_GC_FROZEN = False


@dataclass(frozen=True)
class Chunk:
    """Runs ``start <= run_id < stop``; ``points`` holds every parameter value they need."""

    sha256: str
    text: str  # the scenario file's text (a few tens of kB, sent once per chunk)
    source: str
    turns: int
    keep_turns: bool
    seed: int
    common_seeds: bool
    replicates: int
    start: int
    stop: int
    points: dict[int, dict[str, Any]]


@dataclass
class ChunkResult:
    start: int
    stop: int
    runs: dict[str, list[Any]]
    turns: dict[str, list[Any]] | None
    seconds: float  # time spent playing the runs (for chunk sizing)
    failed: int


def scenario_for(chunk: Chunk) -> LoadedScenario:
    loaded = _LOADED.get(chunk.sha256)
    if loaded is None:
        loaded = load_text(chunk.text, chunk.source)
        if loaded.sha256 != chunk.sha256:
            raise RuntimeError("scenario text does not match its sha256")
        _LOADED[chunk.sha256] = loaded
    return loaded


def run_chunk(chunk: Chunk) -> ChunkResult:
    from ..api import run

    t0 = time.perf_counter()
    loaded = scenario_for(chunk)
    _freeze_once()
    sc = loaded.spec
    red_lines = list(sc.red_lines)
    cols: dict[str, list[Any]] = {
        k: [] for k in ("run_id", "point_id", "replicate", "seed", *sc.parameters)
    }
    cols.update({o: [] for o in sc.outcomes})
    cols["peak_escalation"] = []
    cols.update({f"first_crossed_{r}": [] for r in red_lines})
    cols["error"] = []
    turns: dict[str, list[Any]] | None = None
    failed = 0
    defaults = {n: p.default for n, p in sc.parameters.items()}
    for rid in range(chunk.start, chunk.stop):
        point, rep = divmod(rid, chunk.replicates)
        seed = run_seed(chunk.seed, 0 if chunk.common_seeds else point, rep)
        params = chunk.points[point]
        for k, v in (("run_id", rid), ("point_id", point), ("replicate", rep), ("seed", seed)):
            cols[k].append(v)
        for n, d in defaults.items():
            cols[n].append(params.get(n, d))
        try:
            result = run(loaded, seed=seed, params=params, turns=chunk.turns, rationales=False)
            outcomes = result.outcomes
            peak: float | None = result.peak_escalation()
            crossed = result.first_crossed()
            error = None
        except Exception as exc:
            failed += 1
            outcomes, peak, crossed = {}, None, {}
            error = f"{type(exc).__name__}: {exc}"
            result = None
        finally:
            forget_models()
        for o in sc.outcomes:
            cols[o].append(outcomes.get(o))
        cols["peak_escalation"].append(peak)
        for r in red_lines:
            cols[f"first_crossed_{r}"].append(crossed.get(r))
        cols["error"].append(error)
        if chunk.keep_turns and result is not None:
            turns = _add_turns(turns, rid, result)
    return ChunkResult(chunk.start, chunk.stop, cols, turns, time.perf_counter() - t0, failed)


def _freeze_once() -> None:
    """Move what the worker has imported and loaded out of the garbage collector's sight.

    A worker holds some 100,000 long-lived objects (numpy, pandas, pyarrow, the scenario);
    every full collection walks them all, which cost about 10% of a run's time. Frozen once,
    after the first load, they are never scanned again; the runs' own objects are collected
    as usual."""
    global _GC_FROZEN
    if not _GC_FROZEN:
        gc.collect()
        gc.freeze()
        _GC_FROZEN = True


def forget_models() -> None:
    """Let finished models go.

    mesa 3 numbers agents per model in ``mesa.Agent._ids``, a class-level dict keyed by the
    model, and never removes the key: every model built in a process stays reachable, with its
    agents and records (about 20-70 kB a run here), so a worker that plays 100,000 runs would
    grow by gigabytes and spend ever longer in the garbage collector. A worker plays its runs
    one after another and keeps no model, so once a run is over no entry is needed."""
    import mesa

    ids = getattr(mesa.Agent, "_ids", None)
    if isinstance(ids, dict):
        ids.clear()


def _add_turns(turns: dict[str, list[Any]] | None, rid: int, result: Any) -> dict[str, list[Any]]:
    slots = result.compiled.slots
    if turns is None:
        turns = {"run_id": [], "turn": [], **{s: [] for s in slots}}
    states = result.rec.states
    turns["run_id"].extend([rid] * len(states))
    turns["turn"].extend(range(len(states)))
    for j, s in enumerate(slots):
        turns[s].extend(row[j] for row in states)
    return turns
