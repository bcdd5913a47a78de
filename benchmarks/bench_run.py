"""Speed of one run, of the CLI's start-up and of a whole `summitsim run` process.

    uv run python benchmarks/bench_run.py [--runs 500]

Prints figures and their ratio to the targets of the foundation issue. Not a timed test.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

import mesa

import summitsim
from summitsim.engine.registry import get_compiled

TARGETS = {"run_ms": 8.0, "help_s": 0.4, "cli_run_s": 2.5}  # run_ms: issue 9 (with the summit)


def median_run_ms(scenario: str, runs: int) -> float:
    compiled = get_compiled(scenario)
    summitsim.run(compiled, seed=0)  # warm: compile once, import everything
    times = []
    for seed in range(runs):
        start = time.perf_counter()
        summitsim.run(compiled, seed=seed)
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000


def bare_mesa_ms(runs: int = 2000) -> float:
    class Bare(mesa.Model):
        def __init__(self, seed: int):
            super().__init__(rng=seed)
            for _ in range(6):
                mesa.Agent(self)

        def step(self) -> None:
            self.agents.shuffle_do("step")

    times = []
    for seed in range(runs):
        start = time.perf_counter()
        m = Bare(seed)
        for _ in range(24):
            m.step()
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000


def command() -> list[str]:
    exe = Path(sys.executable).parent / "summitsim"
    return [str(exe)] if exe.exists() else [shutil.which("summitsim") or "summitsim"]


def wall(args: list[str], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        subprocess.run(args, check=True, capture_output=True, env={**os.environ, "COLUMNS": "120"})
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--runs", type=int, default=500)
    ap.add_argument("--repeat", type=int, default=7)
    args = ap.parse_args()
    print(f"python {sys.version.split()[0]}, mesa {mesa.__version__}, {os.cpu_count()} cores")
    print(f"load average at start: {os.getloadavg()[0]:.2f}")
    for sid in ("pyongyang-2024", "hanoi-2019"):
        ms = median_run_ms(sid, args.runs)
        turns = get_compiled(sid).turns
        extra = (
            f"  ({ms / TARGETS['run_ms']:.2f}x the 8 ms target)" if sid == "pyongyang-2024" else ""
        )
        print(f"summitsim.run {sid} ({turns} turns, default AI): median {ms:.2f} ms{extra}")
    print(f"for scale, a bare Mesa model of 6 agents x 24 steps: median {bare_mesa_ms():.3f} ms")
    cmd = command()
    help_s = wall([*cmd, "--help"], args.repeat)
    print(
        f"`summitsim --help`: median {help_s:.3f} s wall ({help_s / TARGETS['help_s']:.2f}x target)"
    )
    run_s = wall([*cmd, "run", "pyongyang-2024"], args.repeat)
    print(
        f"`summitsim run pyongyang-2024`: median {run_s:.3f} s wall "
        f"({run_s / TARGETS['cli_run_s']:.2f}x target)"
    )


if __name__ == "__main__":
    main()
