"""Speed of `summitsim report` for a 24-turn run of pyongyang-2024.

    uv run python benchmarks/bench_report.py [--repeat 5]

Measures the whole command (a fresh Python process: start-up, imports, reading the JSON,
figures, writing the HTML) and, separately, build_report in a warm process. Prints the figures
and the ratio to the target of issue 3 (<= 2 s). Not a timed test.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

import summitsim
from summitsim.cli import command
from summitsim.viz.report import build_report

TARGET_S = 2.0
CLI = command()


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()
    result = summitsim.run("pyongyang-2024", seed=1)
    assert result.n_turns == 24
    with tempfile.TemporaryDirectory() as tmp:
        src = Path(tmp) / "run.json"
        src.write_text(result.to_json(), encoding="utf-8")
        out = Path(tmp) / "report.html"
        cli: list[float] = []
        for _ in range(args.repeat):
            start = time.perf_counter()
            subprocess.run([*CLI, "report", str(src), "-o", str(out)], check=True,
                           capture_output=True)  # fmt: skip
            cli.append(time.perf_counter() - start)
        size = out.stat().st_size
        data = json.loads(src.read_text())
        build_report(data)  # warm
        warm: list[float] = []
        for _ in range(args.repeat):
            start = time.perf_counter()
            build_report(data)
            warm.append(time.perf_counter() - start)
    med = statistics.median(cli)
    print("summitsim report benchmark (pyongyang-2024, 24 turns)")
    print(
        f"  `summitsim report run.json` (whole process): median {med:.3f} s "
        f"(min {min(cli):.3f}, max {max(cli):.3f}, n={len(cli)}); report {size / 1e6:.1f} MB"
    )
    print(f"    target <= {TARGET_S:g} s: ratio {med / TARGET_S:.2f}")
    print(f"  build_report in a warm process: median {statistics.median(warm):.3f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
