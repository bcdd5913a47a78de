"""Sweeps on a real Dask cluster: a ``dask scheduler`` and two single-threaded ``dask worker``
processes started on 127.0.0.1 for these tests (loopback only)."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest

from test_sweep_helpers import TOY, cli, read, sweep

pytestmark = pytest.mark.dask

GRID = ("--grid", "a=0:1:5", "--grid", "flag=false,true", "-r", "30", "--seed", "4")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _dask_cmd() -> list[str]:
    exe = Path(sys.executable).with_name("dask")
    return [str(exe)] if exe.exists() else [shutil.which("dask") or "dask"]


@pytest.fixture(scope="module")
def cluster(tmp_path_factory) -> Iterator[str]:
    from distributed import Client

    port = _free_port()
    address = f"tcp://127.0.0.1:{port}"
    logs = tmp_path_factory.mktemp("dask")
    env = {**os.environ, "DASK_DISTRIBUTED__WORKER__PROFILE__ENABLED": "False"}
    procs = [
        subprocess.Popen(
            [
                *_dask_cmd(),
                "scheduler",
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                "--no-dashboard",
            ],
            stdout=subprocess.DEVNULL,
            stderr=(logs / "scheduler.log").open("w"),
            env=env,
        )
    ]
    try:
        for i in range(2):
            procs.append(
                subprocess.Popen(
                    [
                        *_dask_cmd(),
                        "worker",
                        address,
                        "--nthreads",
                        "1",
                        "--nworkers",
                        "1",
                        "--host",
                        "127.0.0.1",
                        "--no-dashboard",
                        "--name",
                        f"w{i}",
                    ],
                    stdout=subprocess.DEVNULL,
                    stderr=(logs / f"worker{i}.log").open("w"),
                    env=env,
                )
            )
        deadline = time.monotonic() + 60
        while True:
            try:
                with Client(address, timeout=5) as c:
                    c.wait_for_workers(2, timeout=max(1.0, deadline - time.monotonic()))
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.5)
        yield address
    finally:
        for p in reversed(procs):
            p.terminate()
        for p in procs:
            try:
                p.wait(timeout=20)
            except subprocess.TimeoutExpired:
                p.kill()


def test_dask_results_equal_local_results(cluster, tmp_path):
    local = read(sweep(tmp_path / "local", *GRID, "-w", "2"))
    on_dask = read(sweep(tmp_path / "dask", *GRID, "--dask", cluster))
    assert len(on_dask) == 300
    pd.testing.assert_frame_equal(on_dask, local)
    manifest = (tmp_path / "dask" / "manifest.json").read_text()
    assert '"kind": "dask"' in manifest and cluster in manifest


def test_dask_sweep_with_failures_and_turns(cluster, tmp_path):
    args = ("--grid", "weight=-1,1", "-r", "5", "--keep-turns", "--turns", "4")
    local = tmp_path / "l"
    on_dask = tmp_path / "d"
    sweep(local, *args, "-w", "1")
    sweep(on_dask, *args, "--dask", cluster)
    pd.testing.assert_frame_equal(read(on_dask), read(local))
    pd.testing.assert_frame_equal(read(on_dask, "turns.parquet"), read(local, "turns.parquet"))
    assert read(on_dask)["error"].notna().sum() == 5


def test_unreachable_scheduler_is_one_line_and_writes_nothing(tmp_path):
    out = tmp_path / "out"
    address = f"tcp://127.0.0.1:{_free_port()}"
    t0 = time.monotonic()
    code, _, err = cli("sweep", TOY, "--out", str(out), "--dask", address, "--dask-timeout", "2")
    assert code == 2
    assert f"cannot reach the Dask scheduler at {address}" in err
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err
    assert not out.exists()
    assert time.monotonic() - t0 < 30
