"""Sweep benchmarks: throughput, memory, mesa.batch_run and Dask. Not a timed test.

    uv run python benchmarks/bench_sweep.py throughput [--runs 8000]   # 1 and 2 workers
    uv run python benchmarks/bench_sweep.py mesa [--runs 20000]        # vs mesa.batch_run
    uv run python benchmarks/bench_sweep.py memory [--runs 200000]     # peak memory
    uv run python benchmarks/bench_sweep.py dask [--runs 4000]         # loopback cluster
    uv run python benchmarks/bench_sweep.py all

Every sweep runs as its own ``summitsim sweep`` process on pyongyang-2024 (24 turns, default
AI, turns not kept) over ``seoul_credibility`` = 0, 0.25, ..., 1 with replicate seeds. Peak
memory is sampled every 0.1 s over the whole process tree (the sweep's main process and its
workers, or the batch_run process and its pool; for Dask, the scheduler and workers too):
the sum of RSS, which counts pages shared between forked processes once per process, and the
sum of PSS (each shared page split between the processes that share it).

The machine's load is printed alongside: on a shared machine, runs/s depend on it.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import psutil

from summitsim.cli import command

POINTS = 5
SCENARIO = "pyongyang-2024"


class TreeMemory:
    """Peak summed RSS and PSS of some process trees, sampled in a thread."""

    def __init__(self, roots: list[int], interval: float = 0.1):
        self.roots = roots
        self.interval = interval
        self.peak_rss = 0
        self.peak_pss = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> TreeMemory:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def _procs(self) -> list[psutil.Process]:
        out = []
        for pid in self.roots:
            try:
                root = psutil.Process(pid)
                out += [root, *root.children(recursive=True)]
            except psutil.NoSuchProcess:
                pass
        return out

    def _run(self) -> None:
        while not self._stop.is_set():
            rss = pss = 0
            for p in self._procs():
                try:
                    info = p.memory_full_info()
                    rss += info.rss
                    pss += getattr(info, "pss", info.rss)
                except (psutil.NoSuchProcess, psutil.AccessDenied):
                    pass
            self.peak_rss = max(self.peak_rss, rss)
            self.peak_pss = max(self.peak_pss, pss)
            self._stop.wait(self.interval)


def child_cpu() -> float:
    """CPU seconds used so far by finished child processes (and the children they waited for)."""
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def mb(n: int) -> str:
    return f"{n / 2**20:,.0f} MB"


def grid_args(runs: int) -> list[str]:
    reps = max(1, runs // POINTS)
    return ["--grid", f"seoul_credibility=0:1:{POINTS}", "-r", str(reps)]


def run_sweep(runs: int, extra: list[str], watch: list[int] | None = None) -> dict[str, Any]:
    out = Path(tempfile.mkdtemp(prefix="bench-sweep-")) / "out"
    cmd = command("sweep", SCENARIO, "--out", str(out), "-q", *grid_args(runs), *extra)
    t0, cpu0 = time.perf_counter(), child_cpu()
    proc = subprocess.Popen(cmd, stderr=subprocess.PIPE, text=True)
    with TreeMemory([proc.pid, *(watch or [])]) as mem:
        _, err = proc.communicate()
    wall, cpu = time.perf_counter() - t0, child_cpu() - cpu0
    if proc.returncode != 0:
        raise SystemExit(f"sweep failed: {err}")
    manifest = json.loads((out / "manifest.json").read_text())
    shutil.rmtree(out.parent)
    seconds = manifest["seconds"]  # from the first chunk sent to the last part written
    done = manifest["counts"]["done"]
    return {"runs": done, "seconds": seconds, "wall": wall, "rate": done / seconds,
            "rss": mem.peak_rss, "pss": mem.peak_pss, "cpu_ms": 1000 * cpu / done}  # fmt: skip


def load() -> str:
    one, five, _ = os.getloadavg()
    return f"load average {one:.1f} (1 min), {five:.1f} (5 min) on {os.cpu_count()} CPUs"


DIRECT_SCRIPT = """
import gc, json, sys, time
import summitsim
from summitsim.sweep.plan import run_seed
points, reps = int(sys.argv[1]), int(sys.argv[2])
values = [round(i / (points - 1), 12) for i in range(points)]
summitsim.run("pyongyang-2024", seed=0)
gc.collect()
gc.freeze()  # as a sweep worker does
t0 = time.perf_counter()
n = 0
for p, v in enumerate(values):
    for r in range(reps):
        res = summitsim.run("pyongyang-2024", seed=run_seed(0, p, r),
                            params={"seoul_credibility": v}, rationales=False)
        res.outcomes, res.peak_escalation(), res.first_crossed()
        n += 1
print(json.dumps({"runs": n, "seconds": time.perf_counter() - t0}))
"""


def direct_rate(runs: int) -> dict[str, float]:
    """The engine alone, as a sweep worker plays it (no rationales kept, the imported heap
    frozen from the GC): summitsim.run in a loop in one process, no sweep machinery."""
    reps = max(1, runs // POINTS)
    cpu0 = child_cpu()
    out = subprocess.run([sys.executable, "-c", DIRECT_SCRIPT, str(POINTS), str(reps)],
                         capture_output=True, text=True, check=True).stdout  # fmt: skip
    data = json.loads(out.strip().splitlines()[-1])
    cpu = child_cpu() - cpu0  # includes the imports: a little pessimistic
    return {"rate": data["runs"] / data["seconds"], "cpu_ms": 1000 * cpu / data["runs"]}


def bench_throughput(runs: int) -> dict[str, Any]:
    print(f"== throughput: {runs:,} runs; {load()}")
    res: dict[Any, Any] = {"direct": direct_rate(min(runs, 1000))}
    d = res["direct"]
    print(f"  engine alone (summitsim.run(..., rationales=False) in a loop, one process): "
          f"{d['rate']:,.1f} runs/s, "
          f"{d['cpu_ms']:.1f} ms CPU per run")  # fmt: skip
    for w in (1, 2):
        r = run_sweep(runs, ["--workers", str(w)])
        res[w] = r
        print(
            f"  {w} worker{'s' if w > 1 else ''}: {r['rate']:,.1f} runs/s ({r['runs']:,} runs "
            f"in {r['seconds']:.1f} s; {r['wall']:.1f} s with start-up), "
            f"{r['cpu_ms']:.1f} ms CPU per run (all processes)"
        )
    print(f"  2 workers / 1 worker = {res[2]['rate'] / res[1]['rate']:.2f}x; "
          f"1 worker / engine alone = {res[1]['rate'] / d['rate']:.2f}")  # fmt: skip
    return res


MESA_SCRIPT = """
import json, sys, time
import mesa
from summitsim.engine.model import SummitModel
from summitsim.sweep.plan import run_seed
points, reps, rationales = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3] == "1"
values = [round(i / (points - 1), 12) for i in range(points)]
seeds = [run_seed(0, 0, r) for r in range(reps)]
t0 = time.perf_counter()
results = mesa.batch_run(
    SummitModel,
    parameters={"scenario": "pyongyang-2024", "seoul_credibility": values, "seed": seeds,
                "rationales": rationales},
    number_processes=2,
    display_progress=False,
)
seconds = time.perf_counter() - t0
print(json.dumps({"runs": len(results), "seconds": seconds}))
"""


def run_batch_run(runs: int, rationales: bool) -> dict[str, Any]:
    """``mesa.batch_run`` over the sweep's points and seeds, its models built with
    ``rationales`` (False: as the sweep's workers play) and the per-turn ``DataCollector`` of
    the outcomes that batch_run reads its result rows from."""
    reps = max(1, runs // POINTS)
    t0, cpu0 = time.perf_counter(), child_cpu()
    args = [str(POINTS), str(reps), "1" if rationales else "0"]
    proc = subprocess.Popen([sys.executable, "-c", MESA_SCRIPT, *args],
                            stdout=subprocess.PIPE, text=True)  # fmt: skip
    with TreeMemory([proc.pid]) as mem:
        out, _ = proc.communicate()
    wall, cpu = time.perf_counter() - t0, child_cpu() - cpu0
    if proc.returncode != 0:
        raise SystemExit("mesa.batch_run failed")
    data = json.loads(out.strip().splitlines()[-1])
    return {**data, "wall": wall, "rate": data["runs"] / data["seconds"],
            "rss": mem.peak_rss, "pss": mem.peak_pss,
            "cpu_ms": 1000 * cpu / data["runs"]}  # fmt: skip


COLLECT_SCRIPT = """
import gc, json, sys, time
from summitsim.api import release
from summitsim.engine.model import SummitModel
from summitsim.engine.registry import get_compiled
rounds, per_round = int(sys.argv[1]), int(sys.argv[2])
compiled = get_compiled("pyongyang-2024", {})
def play(seed, collect):
    m = SummitModel(compiled, seed=seed, collect=collect, rationales=False)
    while m.running:
        m.step()
    release(m)
    if collect:  # as batch_run reads it: each reporter's value at the last step
        return {k: v[m.steps - 1] for k, v in m.datacollector.model_vars.items()}
    return m.result().outcomes
play(0, True), play(0, False)
gc.collect()
gc.freeze()
spent = {True: 0.0, False: 0.0}
for k in range(rounds):  # alternate, so that a change in the machine's load hits both alike
    for collect in (True, False):
        t0 = time.perf_counter()
        for s in range(k * per_round, (k + 1) * per_round):
            play(s, collect)
        spent[collect] += time.perf_counter() - t0
n = rounds * per_round
print(json.dumps({"runs": n, "collect_ms": 1000 * spent[True] / n,
                  "no_collect_ms": 1000 * spent[False] / n}))
"""


def collect_cost(runs: int) -> dict[str, float]:
    """The engine alone in one process, rationales off: a run with the per-turn
    ``DataCollector`` batch_run needs against one that reads its outcomes once at the end."""
    rounds = 10
    out = subprocess.run([sys.executable, "-c", COLLECT_SCRIPT, str(rounds),
                          str(max(1, runs // rounds))],
                         capture_output=True, text=True, check=True).stdout  # fmt: skip
    return dict(json.loads(out.strip().splitlines()[-1]))


def bench_mesa(runs: int) -> dict[str, Any]:
    """Like for like: both sides build the same SummitModel with rationales off (the sweep's
    workers play lean; batch_run's models are given ``rationales=False``). The remaining
    difference on the model side is batch_run's per-turn DataCollector, measured apart, as is
    what the lean mode gives batch_run (its models with rationales, SummitModel's default)."""
    print(f"== vs mesa.batch_run (number_processes=2), like for like: {runs:,} runs")
    ours = run_sweep(runs, ["--workers", "2", "--common-seeds"])
    print(f"  ({load()})")
    lean = run_batch_run(runs, rationales=False)
    print(f"  ({load()})")
    for name, r in (("summitsim sweep", ours), ("mesa.batch_run, rationales off", lean)):
        print(f"  {name:<30}: {r['rate']:,.1f} runs/s ({r['runs']:,} runs in "
              f"{r['seconds']:.1f} s), {r['cpu_ms']:.1f} ms CPU per run, "
              f"peak memory RSS {mb(r['rss'])}, PSS {mb(r['pss'])}")  # fmt: skip
    print(f"  throughput ratio (sweep / batch_run): {ours['rate'] / lean['rate']:.2f}x; "
          f"CPU per run (batch_run / sweep, which the load barely moves): "
          f"{lean['cpu_ms'] / ours['cpu_ms']:.2f}x")  # fmt: skip
    print(f"  peak memory ratio (sweep / batch_run): RSS {ours['rss'] / lean['rss']:.2f}, "
          f"PSS {ours['pss'] / lean['pss']:.2f}")  # fmt: skip
    print("== what the lean mode adds: batch_run with SummitModel's default (rationales kept)")
    full = run_batch_run(runs, rationales=True)
    print(f"  ({load()})")
    print(f"  mesa.batch_run, rationales on: {full['rate']:,.1f} runs/s, "
          f"{full['cpu_ms']:.1f} ms CPU per run, peak memory RSS {mb(full['rss'])}, "
          f"PSS {mb(full['pss'])}")  # fmt: skip
    print(
        f"  rationales off / on, both under batch_run: {lean['rate'] / full['rate']:.2f}x "
        f"throughput, {full['cpu_ms'] / lean['cpu_ms']:.2f}x less CPU per run; sweep / "
        f"batch_run with rationales: {ours['rate'] / full['rate']:.2f}x throughput, "
        f"{full['cpu_ms'] / ours['cpu_ms']:.2f}x less CPU per run"
    )
    print("== what batch_run's per-turn DataCollector costs (the engine alone, rationales off)")
    col = collect_cost(min(runs, 2000))
    print(f"  ({load()})")
    extra = col["collect_ms"] - col["no_collect_ms"]
    print(
        f"  {col['collect_ms']:.2f} ms per run collecting every turn, "
        f"{col['no_collect_ms']:.2f} ms reading the outcomes once at the end: "
        f"{extra:+.2f} ms ({100 * extra / col['no_collect_ms']:+.1f}%)"
    )
    return {"sweep": ours, "batch_run": lean, "batch_run_rationales": full, "collect": col}


def bench_memory(runs: int, turns: int | None) -> dict[str, Any]:
    extra = ["--workers", "2"] + (["--turns", str(turns)] if turns else [])
    what = f"{turns} turns" if turns else "24 turns"
    print(f"== memory: {runs:,} runs ({what}); {load()}")
    r = run_sweep(runs, extra)
    print(f"  peak memory, all processes: RSS {mb(r['rss'])}, PSS {mb(r['pss'])} "
          f"({r['runs']:,} runs in {r['seconds']:.1f} s, {r['rate']:,.1f} runs/s)")  # fmt: skip
    return r


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def bench_dask(runs: int) -> dict[str, Any]:
    print(f"== Dask on loopback (scheduler + 2 single-threaded workers): {runs:,} runs; {load()}")
    dask = str(Path(sys.executable).with_name("dask"))
    port = _free_port()
    address = f"tcp://127.0.0.1:{port}"
    env = {**os.environ, "DASK_DISTRIBUTED__WORKER__PROFILE__ENABLED": "False"}
    quiet = {"stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL, "env": env}
    procs = [subprocess.Popen([dask, "scheduler", "--host", "127.0.0.1", "--port", str(port),
                               "--no-dashboard"], **quiet)]  # type: ignore[call-overload]  # fmt: skip
    try:
        for i in range(2):
            procs.append(subprocess.Popen(
                [dask, "worker", address, "--nthreads", "1", "--no-dashboard",
                 "--host", "127.0.0.1", "--name", f"w{i}"], **quiet))  # type: ignore[call-overload]  # fmt: skip
        from distributed import Client

        with Client(address, timeout=30) as c:
            c.wait_for_workers(2, timeout=60)
            c.run(lambda: __import__("summitsim.api"))  # warm the workers' imports
        local = run_sweep(runs, ["--workers", "2"])
        remote = run_sweep(runs, ["--dask", address], watch=[p.pid for p in procs])
    finally:
        for p in procs:
            p.terminate()
        for p in procs:
            p.wait(timeout=30)
    print(f"  local 2 workers: {local['rate']:,.1f} runs/s; Dask: {remote['rate']:,.1f} runs/s "
          f"(peak memory with scheduler and workers: RSS {mb(remote['rss'])})")  # fmt: skip
    print(f"  Dask / local = {remote['rate'] / local['rate']:.2f}")
    return {"local": local, "dask": remote}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("what", choices=["throughput", "mesa", "memory", "dask", "all"])
    ap.add_argument("--runs", type=int, help="runs (default depends on the benchmark)")
    ap.add_argument("--turns", type=int, help="memory benchmark only: turns per run")
    ap.add_argument("--json", type=Path, help="also write the figures here")
    a = ap.parse_args()
    out: dict[str, Any] = {}
    if a.what in ("throughput", "all"):
        out["throughput"] = bench_throughput(a.runs or 8000)
    if a.what in ("mesa", "all"):
        out["mesa"] = bench_mesa(a.runs or 20_000)
    if a.what in ("memory", "all"):
        out["memory"] = bench_memory(a.runs or 200_000, a.turns)
    if a.what in ("dask", "all"):
        out["dask"] = bench_dask(a.runs or 4000)
    if a.json:
        a.json.write_text(json.dumps(out, indent=2, default=str))


if __name__ == "__main__":
    main()
