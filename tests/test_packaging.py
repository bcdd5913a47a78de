"""The wheel carries the scenarios and dashboard layouts, so an installed summitsim finds them."""

from __future__ import annotations

import shutil
import subprocess
import zipfile

from tests.conftest import ROOT, need


def test_wheel_bundles_scenarios_and_dashboards(tmp_path):
    uv = shutil.which("uv")
    need(uv is not None, "uv is needed to build the wheel")
    subprocess.run(
        [uv, "build", "--wheel", "-o", str(tmp_path), str(ROOT)],
        check=True,
        capture_output=True,
        timeout=300,
    )
    (wheel,) = tmp_path.glob("summitsim-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    for path in sorted((ROOT / "scenarios").glob("*.yaml")):
        assert f"summitsim/_data/scenarios/{path.name}" in names
    for path in sorted((ROOT / "dashboards").glob("*.yaml")):
        assert f"summitsim/_data/dashboards/{path.name}" in names
    assert "summitsim/_data/scenarios/DEFAULT" in names
    assert "summitsim/cli/__init__.py" in names
