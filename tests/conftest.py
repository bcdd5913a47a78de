"""Shared fixtures. In CI (CI=true) a test that needs a part CI installs must fail, not skip:
use :func:`need` instead of ``pytest.skip``."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SCENARIO_FILES = sorted((ROOT / "scenarios").glob("*.yaml"))


def need(condition: bool, why: str) -> None:
    """Skip locally when a part is missing; fail in CI, where it must be installed."""
    if condition:
        return
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"CI must provide this: {why}")
    pytest.skip(why)


@pytest.fixture(scope="session")
def root() -> Path:
    return ROOT
