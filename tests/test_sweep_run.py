"""Running sweeps: results checked against direct runs, identical for any worker count, order
or chunking; failure rows; turns; the manifest; Ctrl-C and resume after a kill."""

from __future__ import annotations

import json
import os
import random
import signal
import time
from pathlib import Path

import pandas as pd
import pytest

import summitsim
from summitsim.sweep import spec as sp
from summitsim.sweep.plan import load, make_plan
from summitsim.sweep.runner import execute
from summitsim.sweep.store import Store
from summitsim.sweep.worker import run_chunk
from test_sweep_helpers import TOY, popen, read, sweep

GRID = ("--grid", "a=0:1:5", "--grid", "mode=calm,tense", "-r", "6", "--seed", "11")


@pytest.fixture(scope="module")
def reference(tmp_path_factory) -> pd.DataFrame:
    out = tmp_path_factory.mktemp("ref") / "out"
    return read(sweep(out, *GRID, "-w", "2"))


def test_rows_match_direct_runs(reference):
    df = reference
    assert list(df["run_id"]) == list(range(60))
    assert list(df["point_id"]) == [i // 6 for i in range(60)]
    assert list(df["replicate"]) == [i % 6 for i in range(60)]
    assert df["seed"].is_unique
    for row in df.sample(12, random_state=1).itertuples():
        params = {"a": row.a, "mode": row.mode}
        r = summitsim.run(TOY, seed=int(row.seed), params=params)
        assert row.level == r.outcomes["level"]
        assert row.high == r.outcomes["high"]
        assert row.peak_escalation == r.peak_escalation()
        crossed = r.first_crossed()["level_high"]
        got = row.first_crossed_level_high
        assert (pd.isna(got) and crossed is None) or got == crossed
    # every parameter has a column: varied ones vary, the others hold their defaults
    assert sorted(df["a"].unique()) == [0.0, 0.25, 0.5, 0.75, 1.0]
    assert set(df["b"]) == {0.5} and set(df["flag"]) == {False}
    assert df["error"].isna().all()


def test_identical_for_one_worker_and_small_chunks(tmp_path, reference):
    one = read(sweep(tmp_path / "one", *GRID, "-w", "1", "--chunk-seconds", "0.1"))
    pd.testing.assert_frame_equal(one, reference)


class ShuffledExecutor:
    """Runs chunks in this process and hands them back in a random order."""

    slots = 3

    def __init__(self, seed: int):
        self.rng = random.Random(seed)
        self.pending: list[object] = []
        self.results: dict[int, object] = {}

    def describe(self):  # type: ignore[no-untyped-def]
        return {"kind": "test"}

    def submit(self, chunk):  # type: ignore[no-untyped-def]
        h = len(self.results)
        self.results[h] = run_chunk(chunk)
        self.pending.append(h)
        return h

    def wait_any(self, handles, timeout):  # type: ignore[no-untyped-def]
        self.rng.shuffle(self.pending)
        return [self.pending.pop()] if self.pending else []

    def result(self, h):  # type: ignore[no-untyped-def]
        return self.results[h]

    def cancel(self, handles):  # type: ignore[no-untyped-def]
        return list(handles)

    def close(self, force=False):  # type: ignore[no-untyped-def]
        pass


def test_order_of_completion_and_part_size_do_not_matter(tmp_path, reference):
    loaded, text = load(TOY)
    spec = sp.from_dict({"scenario": TOY, "grid": {"a": "0:1:5", "mode": ["calm", "tense"]},
                         "replicates": 6, "seed": 11})  # fmt: skip
    plan = make_plan(spec, loaded, text)
    store = Store(tmp_path / "out", plan)
    assert store.open() == "new"
    seen = []
    outcome = execute(plan, store, ShuffledExecutor(3), lambda d, t, f: seen.append(d),
                      chunk_seconds=0.1, flush_seconds=0.0)  # fmt: skip
    assert outcome.state == "complete" and outcome.done == 60
    assert seen == sorted(seen) and seen[-1] == 60
    pd.testing.assert_frame_equal(read(tmp_path / "out"), reference)


def test_failure_rows_do_not_abort(tmp_path):
    out = sweep(tmp_path / "out", "--grid", "weight=-1,0.5,1", "-r", "4")
    df = read(out)
    assert len(df) == 12
    bad = df[df["weight"] == -1]
    assert bad["error"].str.contains("ParamError: .*weight -1.0 is negative").all()
    assert bad["level"].isna().all() and bad["high"].isna().all()
    good = df[df["weight"] != -1]
    assert good["error"].isna().all() and good["level"].notna().all()
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["counts"] == {"runs": 12, "done": 12, "failed": 4}


def test_keep_turns_and_manifest(tmp_path):
    out = sweep(tmp_path / "out", "--grid", "a=0.2,0.9", "-r", "3", "--keep-turns",
                "--turns", "7")  # fmt: skip
    runs, turns = read(out), read(out, "turns.parquet")
    assert len(turns) == 6 * 8
    assert list(turns.columns[:4]) == ["run_id", "turn", "level", "noise"]
    row = runs.iloc[4]
    r = summitsim.run(TOY, seed=int(row.seed), params={"a": row.a}, turns=7)
    mine = turns[turns["run_id"] == 4].sort_values("turn")
    assert list(mine["level"]) == list(r.states["level"])
    assert list(mine["turn"]) == list(range(8))
    m = json.loads((out / "manifest.json").read_text())
    sha = summitsim.load_scenario(TOY).sha256
    assert m["status"] == "complete"
    assert m["scenario"]["id"] == "toy-sensitivity" and m["scenario"]["sha256"] == sha
    d = m["definition"]
    assert d["design"] == "grid" and d["grid"] == {"a": [0.2, 0.9]} and d["turns"] == 7
    assert d["replicates"] == 3 and d["keep_turns"] is True and d["n_runs"] == 6
    assert {"python", "summitsim", "mesa", "pyarrow"} <= set(m["versions"])
    assert m["columns"]["varied"] == ["a"]
    assert not (out / ".parts").exists()


# ----- interruption --------------------------------------------------------------------------
# Big enough that neither the first part nor a resumed run can finish between two polls
# (~7 s for the whole sweep on 2 cores; the first part lands after ~0.3 s).
SLOW = ("--grid", "a=0:1:4", "--grid", "b=0,1", "-r", "300", "--turns", "200", "--seed", "5")
N_SLOW = 8 * 300


def _wait_for_part(out: Path, more_than: int, proc, timeout: float = 60.0) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        parts = out / ".parts"
        n = len(list(parts.glob("runs-*.parquet"))) if parts.is_dir() else 0
        if n > more_than:
            return
        assert proc.poll() is None, proc.communicate()
        time.sleep(0.05)
    raise AssertionError("no part file appeared")


def _run_args(out: Path, workers: str) -> list[str]:
    return ["sweep", TOY, "--out", str(out), *SLOW, "-w", workers, "--flush-seconds", "0.2"]


def test_ctrl_c_keeps_work_and_a_killed_sweep_resumes_exactly(tmp_path):
    out = tmp_path / "out"
    # 1. Ctrl-C: stops cleanly, keeps what was done, as a readable runs.parquet.
    p = popen(*_run_args(out, "2"))
    _wait_for_part(out, 0, p)
    os.killpg(p.pid, signal.SIGINT)
    _, err = p.communicate(timeout=60)
    assert p.returncode == 130, err
    assert "Interrupted: kept" in err and "Traceback" not in err
    m = json.loads((out / "manifest.json").read_text())
    partial = read(out)
    assert m["status"] == "interrupted"
    assert 0 < len(partial) < N_SLOW and m["counts"]["done"] == len(partial)
    assert partial["run_id"].is_unique and partial["run_id"].is_monotonic_increasing
    # 2. Resume, then kill it hard (no chance to clean up) once it has written more.
    parts_before = len(list((out / ".parts").glob("runs-*")))
    p = popen(*_run_args(out, "2"))
    _wait_for_part(out, parts_before, p)
    os.killpg(p.pid, signal.SIGKILL)
    p.communicate(timeout=30)
    # 3. The same command (with another worker count) finishes the job.
    p = popen(*_run_args(out, "1"))
    _, err = p.communicate(timeout=120)
    assert p.returncode == 0, err
    assert "Resuming" in err
    done = read(out)
    assert list(done["run_id"]) == list(range(N_SLOW))
    # 4. Exactly the result of an uninterrupted sweep.
    whole = read(sweep(tmp_path / "whole", *SLOW, "-w", "2"))
    pd.testing.assert_frame_equal(done, whole)
    assert json.loads((out / "manifest.json").read_text())["status"] == "complete"
    assert not (out / ".parts").exists()
    assert not list(out.glob(".*.tmp"))


def test_common_seeds_give_every_point_the_same_replicate_seeds(tmp_path):
    from summitsim.sweep.plan import run_seed

    df = read(sweep(tmp_path / "c", "--grid", "a=0,1,0.5", "-r", "4", "--common-seeds"))
    assert list(df["seed"]) == [run_seed(0, 0, r) for r in range(4)] * 3
    plain = read(sweep(tmp_path / "p", "--grid", "a=0,1,0.5", "-r", "4"))
    assert plain["seed"].is_unique
    same = df[df["replicate"] == 2]
    assert same["seed"].nunique() == 1 and same["level"].nunique() == 3


class FailingExecutor(ShuffledExecutor):
    """Like ShuffledExecutor, but the third chunk fails as a whole (a lost worker, say)."""

    def result(self, h):  # type: ignore[no-untyped-def]
        if h == 2:
            raise RuntimeError("worker lost")
        return self.results[h]


def test_a_failed_chunk_stops_cleanly_and_the_sweep_resumes(tmp_path, reference):
    loaded, text = load(TOY)
    spec = sp.from_dict({"scenario": TOY, "grid": {"a": "0:1:5", "mode": ["calm", "tense"]},
                         "replicates": 6, "seed": 11})  # fmt: skip
    plan = make_plan(spec, loaded, text)
    store = Store(tmp_path / "out", plan)
    store.open()
    with pytest.raises(sp.SweepError, match="RuntimeError: worker lost"):
        execute(plan, store, FailingExecutor(0), chunk_seconds=0.1, flush_seconds=0.0)
    kept = store.done_ranges()
    assert kept and sum(b - a for a, b in kept) < 60
    assert json.loads((tmp_path / "out" / "manifest.json").read_text())["status"] == "interrupted"
    store = Store(tmp_path / "out", plan)
    assert store.open() == "resume"
    outcome = execute(plan, store, ShuffledExecutor(1), chunk_seconds=0.1)
    assert outcome.state == "complete" and outcome.played == 60 - sum(b - a for a, b in kept)
    pd.testing.assert_frame_equal(read(tmp_path / "out"), reference)


def test_workers_do_not_keep_finished_models():
    """mesa 3 keeps every model in a class-level dict; a worker must not grow with each run."""
    import gc

    import mesa

    from summitsim.engine.model import SummitModel
    from summitsim.sweep.worker import Chunk

    loaded, text = load(TOY)

    def alive() -> int:
        gc.collect()
        return sum(isinstance(o, SummitModel) for o in gc.get_objects())

    before = alive()
    chunk = Chunk(loaded.sha256, text, loaded.source, 5, False, 0, False, 1, 0, 50,
                  {i: {} for i in range(50)})  # fmt: skip
    assert run_chunk(chunk).failed == 0
    assert alive() <= before
    assert len(getattr(mesa.Agent, "_ids", {})) == 0
