"""Shared helpers for the sweep tests."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pyarrow.parquet as pq
from typer.testing import CliRunner

from summitsim.cli import app, command

DATA = Path(__file__).parent / "data"
TOY = str(DATA / "toy-sensitivity.yaml")
runner = CliRunner()


def cli(*args: str) -> tuple[int, str, str]:
    """Run ``summitsim ARGS`` in this process; (exit code, stdout, stderr)."""
    res = runner.invoke(app, list(args))
    if res.exception is not None and not isinstance(res.exception, SystemExit):
        raise res.exception
    return res.exit_code, res.stdout, res.stderr


def sweep(out: Path, *args: str, scenario: str = TOY) -> Path:
    code, _, err = cli("sweep", scenario, "--out", str(out), "-q", *args)
    assert code == 0, err
    return out


def read(folder: Path, name: str = "runs.parquet"):  # type: ignore[no-untyped-def]
    return pq.read_table(folder / name).to_pandas()


def popen(*args: str) -> subprocess.Popen[str]:
    """``summitsim ARGS`` in a new process group (so signals reach it and its workers)."""
    return subprocess.Popen(
        command(*args),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
        env={**os.environ, "COLUMNS": "200"},
    )
