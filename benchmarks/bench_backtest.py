"""Time `summitsim backtest hanoi-2019` (default seeds) as a whole process, and the CPU time
per run of each ensemble, with the load average at the time.

    uv run python benchmarks/bench_backtest.py [--seeds N]
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import time

from summitsim.cli import command


def cpu_per_run(ensemble: str, n: int = 40) -> float:
    from summitsim.backtest.core import run_backtest
    from summitsim.backtest.play import SerialExecutor

    run_backtest("hanoi-2019", seeds=10, executor=SerialExecutor(), ensembles=(ensemble,))
    t = time.process_time()
    run_backtest("hanoi-2019", seeds=n, executor=SerialExecutor(), ensembles=(ensemble,))
    return (time.process_time() - t) / n


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seeds", type=int, default=None)
    args = ap.parse_args()
    extra = ["--seeds", str(args.seeds)] if args.seeds else []
    print(f"load average before: {os.getloadavg()[0]:.2f}")
    t0 = time.perf_counter()
    out = subprocess.run(command("backtest", "hanoi-2019", "-q", *extra), capture_output=True,
                         text=True, check=True)  # fmt: skip
    wall = time.perf_counter() - t0
    child = resource.getrusage(resource.RUSAGE_CHILDREN)
    assert "Skill of the scenario" in out.stdout
    print(f"summitsim backtest hanoi-2019 {' '.join(extra)}: {wall:.1f} s wall, "
          f"{child.ru_utime + child.ru_stime:.1f} s CPU in all processes")  # fmt: skip
    print(f"load average after: {os.getloadavg()[0]:.2f}")
    for ens in ("scenario", "random", "hold"):
        print(f"CPU per run, {ens}: {cpu_per_run(ens) * 1000:.1f} ms")


if __name__ == "__main__":
    main()
