"""Load checks for the classroom server: many teams submitting at once, over real HTTP.

Used by the load and crash tests and by ``benchmarks/bench_classroom.py``; an instructor
can run it against a spare game file to see how a machine copes. It writes a synthetic
scenario with as many actors as there are teams (the bundled ones have six).
"""

from __future__ import annotations

import re
import select
import subprocess
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .client import Client

CODE_RE = re.compile(r"team (\S+)\s+([A-Z0-9]{4}(?:-[A-Z0-9]{4}){3})")
INSTRUCTOR_RE = re.compile(r"instructor\s+([A-Z0-9]{4}(?:-[A-Z0-9]{4}){3})")


def synthetic_scenario(n_actors: int, turns: int = 12) -> str:
    """A valid scenario with ``n_actors`` actors, each with three moves."""
    lines = [
        "meta:",
        "  id: synthetic-class",
        "  title: A synthetic class of many actors",
        "  summary: Many actors push a shared tension index up or down.",
        "  start_date: '2024-01-01'",
        f"  turns: {turns}",
        "  sources:",
        "    - {id: none, title: Synthetic load-test scenario}",
        "variables:",
        "  tension: {initial: 50, bounds: [0, 100], description: Shared tension index}",
        "  trade: {initial: 50, bounds: [0, 100], description: Shared trade index}",
        "actors:",
    ]
    for i in range(n_actors):
        lines += [
            f"  a{i:02d}:",
            f"    name: Actor {i}",
            f"    description: Actor number {i}.",
            "    interests:",
            f"      - {{kind: lower, variable: tension, weight: {1 + i % 3}, description: calm}}",
            "      - {kind: raise, variable: trade, weight: 1, description: trade}",
            "    briefing:",
            f"      public: You are actor {i}.",
            f"      private: Actor {i}'s secret plan.",
        ]
    lines.append("moves:")
    for i in range(n_actors):
        lines += [
            f"  calm_{i:02d}: {{name: Calm things, description: Lower tension., by: a{i:02d}, "
            "cost: 0.1, effects: [{variable: tension, delta: -1}]}",
            f"  trade_{i:02d}: {{name: Trade more, description: Raise trade., by: a{i:02d}, "
            "cost: 0.1, effects: [{variable: trade, delta: 1}]}",
            f"  shout_{i:02d}: {{name: Shout, description: Raise tension., by: a{i:02d}, "
            "escalation: 2, effects: [{variable: tension, dist: normal, mean: 2, sd: 1}]}",
        ]
    lines += [
        "outcomes:",
        "  tension: {description: Final tension, expr: tension, type: number}",
    ]
    return "\n".join(lines) + "\n"


def cli(*args: str) -> list[str]:
    """The command line that runs ``summitsim ARGS`` with this Python."""
    from ..cli import command

    return command(*args)


def new_game(folder: Path, n_teams: int, turns: int = 12) -> tuple[Path, dict[str, str], str]:
    """A game file with ``n_teams`` teams; returns it, the teams' codes and the instructor's."""
    scen = folder / "synthetic.yaml"
    scen.write_text(synthetic_scenario(n_teams, turns), encoding="utf-8")
    db = folder / "game.sqlite"
    teams = ",".join(f"a{i:02d}" for i in range(n_teams))
    out = subprocess.run(
        cli("classroom", "new", str(scen), "--teams", teams, "--db", str(db)),
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    ).stdout
    codes = dict(CODE_RE.findall(out))
    m = INSTRUCTOR_RE.search(out)
    assert m is not None and len(codes) == n_teams, out
    return db, codes, m.group(1)


class ServerProcess:
    """``summitsim classroom serve`` in a child process on a free loopback port."""

    def __init__(self, db: Path, host: str = "127.0.0.1"):
        # the server's log goes to a file: an unread pipe could fill up and stall it
        self.log = tempfile.TemporaryFile(mode="w+")  # noqa: SIM115 - lives with the server
        self.proc = subprocess.Popen(
            cli("classroom", "serve", str(db), "--host", host, "--port", "0", "--quiet"),
            stdout=subprocess.PIPE,
            stderr=self.log,
            text=True,
        )
        assert self.proc.stdout is not None
        ready, _, _ = select.select([self.proc.stdout], [], [], 120)
        line = self.proc.stdout.readline() if ready else ""
        m = re.search(r"http://([\d.]+):(\d+)/", line)
        if m is None:
            self.proc.kill()
            self.log.seek(0)
            err = self.log.read()[-3000:]
            raise RuntimeError(f"the server did not start: {line!r} {err}")
        self.base = f"http://{m.group(1)}:{m.group(2)}"

    def kill(self) -> None:
        """SIGKILL: no chance to flush or clean up."""
        self.proc.kill()
        self.proc.wait(timeout=30)

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.kill()


@dataclass
class LoadResult:
    accepted: list[tuple[str, str]] = field(default_factory=list)  # (actor, justification)
    rejected: list[tuple[str, Any]] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    latencies: list[float] = field(default_factory=list)
    wall: float = 0.0


def submit_all(
    base: str,
    codes: dict[str, str],
    rounds: int,
    tag: str = "",
    moves: tuple[str, ...] = ("calm", "trade", "shout", "hold"),
    stop: threading.Event | None = None,
) -> LoadResult:
    """Every team logs in, then submits ``rounds`` moves as fast as it can, all teams at
    once (one thread each). Each justification is unique, so stored rows can be matched."""
    res = LoadResult()
    lock = threading.Lock()
    start = threading.Barrier(len(codes))

    def team(actor: str, code: str) -> None:
        cl = Client(base, timeout=60)
        try:
            r = cl.login(code)
            if r.status_code != 302:
                raise RuntimeError(f"login failed: {r.status_code}")
            start.wait(timeout=60)
            for k in range(rounds):
                if stop is not None and stop.is_set():
                    return
                m = moves[k % len(moves)]
                move = m if m == "hold" else f"{m}_{actor[1:]}"
                why = f"{tag}{actor} round {k}"
                status, msg, dt = cl.submit(move, why)
                with lock:
                    res.latencies.append(dt)
                    if status == 200 and isinstance(msg, str) and "received" in msg:
                        res.accepted.append((actor, why))
                    else:
                        res.rejected.append((actor, (status, msg)))
        except Exception as exc:  # reported, not raised, from a thread
            with lock:
                res.errors.append(f"{actor}: {exc!r}")

    threads = [threading.Thread(target=team, args=item, daemon=True) for item in codes.items()]
    t0 = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=600)
    res.wall = time.perf_counter() - t0
    return res


def stored_submissions(db: Path) -> list[tuple[str, str]]:
    """(actor, justification) of every submission row in a game file."""
    import json
    import sqlite3

    c = sqlite3.connect(str(db))
    try:
        rows = c.execute("SELECT actor, data FROM log WHERE kind = 'submit'").fetchall()
    finally:
        c.close()
    return [(a, json.loads(d)["justification"]) for a, d in rows]
