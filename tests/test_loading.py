"""Scenario files: every kind of bad input gives FILE:LINE:COL problems; hostile files are
refused quickly and never execute anything."""

from __future__ import annotations

import re
import time
from pathlib import Path

import pytest

from summitsim.scenario import ScenarioError, load_path, load_text
from tests.minimal import MINIMAL


def problems_of(text: str, tmp_path: Path) -> list[str]:
    path = tmp_path / "bad.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ScenarioError) as info:
        load_path(path)
    return info.value.problems


def line_of(text: str, needle: str) -> int:
    return next(i for i, line in enumerate(text.splitlines(), 1) if needle in line)


def test_minimal_scenario_loads():
    loaded = load_text(MINIMAL, "tiny.yaml")
    assert loaded.id == "tiny"
    assert list(loaded.spec.actors) == ["a", "b"]
    assert len(loaded.sha256) == 64


def test_yaml_syntax_error_has_position(tmp_path):
    text = MINIMAL.replace("  turns: 3", "  turns: [3")
    (p,) = problems_of(text, tmp_path)
    assert re.match(r".*bad\.yaml:\d+:\d+: YAML syntax error", p)


def test_type_error_points_at_the_value(tmp_path):
    text = MINIMAL.replace("  turns: 3", "  turns: three")
    (p,) = problems_of(text, tmp_path)
    assert f"bad.yaml:{line_of(text, 'turns: three')}:" in p
    assert "meta.turns" in p


def test_missing_key(tmp_path):
    text = MINIMAL.replace("  title: Tiny\n", "")
    (p,) = problems_of(text, tmp_path)
    assert "meta.title: missing required key" in p
    assert ":2:" in p  # the meta mapping that lacks it


def test_unknown_key_is_refused(tmp_path):
    text = MINIMAL.replace("  turns: 3", "  turns: 3\n  turnz: 4")
    (p,) = problems_of(text, tmp_path)
    assert f":{line_of(text, 'turnz')}:" in p and "unknown key" in p


def test_unknown_name_in_expression(tmp_path):
    text = MINIMAL.replace('trigger: "did(a, push)"', 'trigger: "did(a, push) and vv > 1"')
    (p,) = problems_of(text, tmp_path)
    assert f":{line_of(text, 'vv > 1')}:" in p
    assert "unknown name 'vv'" in p


def test_unknown_actor_and_move(tmp_path):
    text = MINIMAL.replace("    by: b\n", "    by: c\n").replace("moves: [punish]", "moves: [fly]")
    probs = problems_of(text, tmp_path)
    assert any("unknown actor 'c'" in p and f":{line_of(text, 'by: c')}:" in p for p in probs)
    assert any("'b' has no move 'fly'" in p for p in probs)


def test_impossible_bounds(tmp_path):
    text = MINIMAL.replace("bounds: [0, 100]\n  w:", "bounds: [100, 0]\n  w:")
    (p,) = problems_of(text, tmp_path)
    assert "impossible bounds" in p and f":{line_of(text, 'bounds: [100, 0]')}:" in p


def test_initial_outside_bounds(tmp_path):
    text = MINIMAL.replace("initial: 50", "initial: 500")
    (p,) = problems_of(text, tmp_path)
    assert "outside bounds" in p


def test_duplicate_ids(tmp_path):
    dup_key = MINIMAL.replace("  w:\n    description: another", "  v:\n    description: another")
    (p,) = problems_of(dup_key, tmp_path)
    assert "duplicate key 'v'" in p
    clash = MINIMAL.replace("  gain:\n", "  v:\n").replace("delta: gain", "delta: v")
    assert any("duplicate id 'v'" in p for p in problems_of(clash, tmp_path))


@pytest.mark.parametrize("bad", [".nan", ".inf", "-.inf"])
def test_non_finite_numbers(tmp_path, bad):
    text = MINIMAL.replace("initial: 50", f"initial: {bad}")
    (p,) = problems_of(text, tmp_path)
    assert "not a finite number" in p and f":{line_of(text, 'initial: ' + bad)}:" in p


def test_several_problems_are_all_reported(tmp_path):
    text = MINIMAL.replace("expr: v\n", "expr: vv\n").replace("by: a\n", "by: z\n")
    assert len(problems_of(text, tmp_path)) >= 2


def test_parameter_default_outside_range(tmp_path):
    text = MINIMAL.replace("default: 1.0", "default: 2.0")
    (p,) = problems_of(text, tmp_path)
    assert "outside range" in p


# ----- hostile files ---------------------------------------------------------------------
ALIAS_BOMB = """\
a: &a ["x", "x", "x", "x", "x", "x", "x", "x", "x"]
b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]
c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]
d: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c]
e: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d]
f: &f [*e, *e, *e, *e, *e, *e, *e, *e, *e]
g: &g [*f, *f, *f, *f, *f, *f, *f, *f, *f]
h: &h [*g, *g, *g, *g, *g, *g, *g, *g, *g]
"""

HOSTILE = {
    "alias bomb": (ALIAS_BOMB, "alias bomb"),
    "deep nesting": ("a: " + "[" * 5000 + "]" * 5000, "nest"),
    "python tag": ("meta: !!python/object/apply:os.system ['touch /tmp/pwned']", "tag"),
    "python name": ("meta: !!python/name:os.system", "tag"),
    "huge file": ("# " + "x" * 2_000_000, "larger than"),
    "binary junk": ("\x00\x01\x02\xff\xfe garbage", "binary"),
    "code in expression": (
        MINIMAL.replace("expr: v\n", "expr: \"__import__('os').system('touch /tmp/pwned')\"\n"),
        "function",
    ),
    "exploding arithmetic": (MINIMAL.replace("expr: v\n", "expr: '9**9**9'\n"), "chained"),
}


@pytest.mark.parametrize("case", sorted(HOSTILE))
def test_hostile_files_are_refused_quickly(tmp_path, case):
    text, expected = HOSTILE[case]
    path = tmp_path / "hostile.yaml"
    path.write_bytes(text.encode("utf-8", "surrogateescape"))
    start = time.perf_counter()
    with pytest.raises(ScenarioError) as info:
        load_path(path)
    assert time.perf_counter() - start < 2.0
    assert expected in " ".join(info.value.problems).lower() or expected in str(info.value)
    assert all(p.startswith(str(path)) for p in info.value.problems)
    assert not Path("/tmp/pwned").exists()


def test_invalid_utf8_is_refused(tmp_path):
    path = tmp_path / "latin1.yaml"
    path.write_bytes(b"meta:\n  title: caf\xe9\n")
    with pytest.raises(ScenarioError, match="not UTF-8"):
        load_path(path)
