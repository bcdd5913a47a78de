"""The README's first command as a user types it: through the installed ``summitsim`` console
script (the entry point in this environment's bin folder), not through ``python -c``. A broken
``[project.scripts]`` target in pyproject.toml fails here. In CI (CI=true) a missing script
fails rather than skips."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import need


@pytest.fixture(scope="module")
def summitsim() -> Path:
    path = Path(sys.executable).parent / "summitsim"
    need(path.is_file(), f"the summitsim console script is not installed at {path}")
    return path


def run(script: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(script), *args], capture_output=True, text=True, timeout=120, check=False
    )


def test_help_lists_the_commands(summitsim):
    r = run(summitsim, "--help")
    assert r.returncode == 0, r.stderr
    assert "Usage: summitsim" in r.stdout
    for cmd in ("run", "validate", "scenarios", "schema", "report", "sweep", "play", "classroom"):
        assert f"  {cmd} " in r.stdout, cmd


def test_readme_first_command_runs_the_reference_scenario(summitsim):
    r = run(summitsim, "run", "pyongyang-2024", "--quiet")
    assert r.returncode == 0, r.stderr
    out = r.stdout
    assert "Outcomes" in out and "Turn 1" not in out  # --quiet: the outcome table only
    for outcome in ("partnership_signed", "missile_tech_transferred", "munitions_shipped"):
        assert outcome in out
    assert "Traceback" not in r.stderr


def test_a_bad_scenario_fails_plainly(summitsim):
    r = run(summitsim, "run", "no-such-scenario", "--quiet")
    assert r.returncode != 0
    assert "no-such-scenario" in r.stdout + r.stderr and "Traceback" not in r.stdout + r.stderr
