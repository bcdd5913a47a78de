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
    assert all(p.startswith(f"{path}:") for p in info.value.problems)
    return info.value.problems


def line_of(text: str, needle: str) -> int:
    return next(i for i, line in enumerate(text.splitlines(), 1) if needle in line)


def pos(text: str, needle: str, shift: int = 0, nth: int = 1) -> str:
    """``LINE:COL`` (both from 1, as editors count) of the ``nth`` ``needle`` in ``text``,
    moved ``shift`` characters right along its line."""
    i = -1
    for _ in range(nth):
        i = text.index(needle, i + 1)
    i += shift
    return f"{text.count(chr(10), 0, i) + 1}:{i - text.rfind(chr(10), 0, i)}"


def at(problem: str) -> str:
    """The ``LINE:COL`` a problem ``bad.yaml:LINE:COL: message`` points at."""
    m = re.match(r".*bad\.yaml:(\d+:\d+): ", problem)
    assert m, problem
    return m.group(1)


def test_pos_counts_like_an_editor():
    assert pos("ab\ncd: x\n", "x") == "2:5"
    assert pos("ab\n", "a") == "1:1"
    assert pos("a a\na", "a", nth=3) == "2:1"


def test_minimal_scenario_loads():
    loaded = load_text(MINIMAL, "tiny.yaml")
    assert loaded.id == "tiny"
    assert list(loaded.spec.actors) == ["a", "b"]
    assert len(loaded.sha256) == 64


# Every kind of problem points at an exact line and column. Where it points is asserted in
# full, so a loader that counts columns from 0, or from the wrong node, fails here.
def test_yaml_syntax_error_has_position(tmp_path):
    # an unclosed flow list: the parser notices at the next line's colon
    text = MINIMAL.replace("  turns: 3", "  turns: [3")
    (p,) = problems_of(text, tmp_path)
    assert "YAML syntax error" in p and at(p) == pos(text, "sources:", shift=len("sources"))
    text = MINIMAL.replace("  turns: 3", "  turns: 3: 4")
    (p,) = problems_of(text, tmp_path)
    assert "mapping values are not allowed" in p and at(p) == pos(text, ": 4")
    text = MINIMAL.replace("  turns: 3", "\tturns: 3")
    (p,) = problems_of(text, tmp_path)
    assert "'\\t'" in p and at(p) == pos(text, "\tturns")


def test_type_error_points_at_the_value(tmp_path):
    text = MINIMAL.replace("  turns: 3", "  turns: three")
    (p,) = problems_of(text, tmp_path)
    assert at(p) == pos(text, "three") == f"{line_of(text, 'turns: three')}:10"
    assert "meta.turns" in p


def test_missing_key(tmp_path):
    text = MINIMAL.replace("  title: Tiny\n", "")
    (p,) = problems_of(text, tmp_path)
    assert "meta.title: missing required key" in p
    assert at(p) == pos(text, "id: tiny") == "2:3"  # the meta mapping that lacks it


def test_unknown_key_is_refused(tmp_path):
    text = MINIMAL.replace("  turns: 3", "  turns: 3\n  turnz: 4")
    (p,) = problems_of(text, tmp_path)
    assert "unknown key" in p
    assert at(p) == pos(text, "turnz: 4", shift=len("turnz: "))  # its value


def test_unknown_name_in_expression(tmp_path):
    text = MINIMAL.replace('trigger: "did(a, push)"', 'trigger: "did(a, push) and vv > 1"')
    (p,) = problems_of(text, tmp_path)
    assert at(p) == pos(text, '"did(a, push) and vv > 1"')  # the expression's first character
    assert "unknown name 'vv'" in p


def test_bad_expressions(tmp_path):
    for expr, message in [
        ('"v +"', "syntax error in expression"),
        ("'9**9**9'", "chained exponents"),
        ("\"__import__('os')\"", "unknown function '__import__'"),
        ("'did(a, fly)'", "actor 'a' has no move 'fly'"),
    ]:
        text = MINIMAL.replace("expr: v\n", f"expr: {expr}\n")
        (p,) = problems_of(text, tmp_path)
        assert message in p and "outcomes.v_end.expr" in p, p
        assert at(p) == pos(text, f"expr: {expr}", shift=len("expr: ")), p
    text = MINIMAL.replace("credibility: cred", "credibility: 'cred +'")
    (p,) = problems_of(text, tmp_path)
    assert "red_lines.no_push.credibility" in p and at(p) == pos(text, "'cred +'")


def test_unknown_actor_and_move(tmp_path):
    text = MINIMAL.replace("    by: b\n", "    by: c\n").replace("moves: [punish]", "moves: [fly]")
    probs = problems_of(text, tmp_path)
    assert len(probs) == 2
    actor = next(p for p in probs if "unknown actor 'c'" in p)
    assert at(actor) == pos(text, "by: c", shift=len("by: ")) == f"{line_of(text, 'by: c')}:9"
    move = next(p for p in probs if "'b' has no move 'fly'" in p)
    assert at(move) == pos(text, "fly]")  # the list item, not the list
    text = MINIMAL.replace("between: [a, b]", "between: [a, q]")
    (p,) = problems_of(text, tmp_path)
    assert "unknown actor 'q'" in p and at(p) == pos(text, "q]")
    text = MINIMAL.replace("{variable: v, delta: -30}", "{variable: vvv, delta: -30}")
    (p,) = problems_of(text, tmp_path)
    assert "unknown variable 'vvv'" in p and at(p) == pos(text, "vvv")


def test_impossible_bounds(tmp_path):
    text = MINIMAL.replace("bounds: [0, 100]\n  w:", "bounds: [100, 0]\n  w:")
    (p,) = problems_of(text, tmp_path)
    assert "impossible bounds" in p and at(p) == pos(text, "[100, 0]")
    text = MINIMAL.replace("range: [0, 50]", "range: [50, 0]")
    (p,) = problems_of(text, tmp_path)
    assert "impossible range" in p and at(p) == pos(text, "[50, 0]")


def test_initial_outside_bounds(tmp_path):
    text = MINIMAL.replace("initial: 50", "initial: 500")
    (p,) = problems_of(text, tmp_path)
    assert "outside bounds" in p
    assert at(p) == pos(text, "description: a number")  # the variable's mapping


def test_duplicate_ids(tmp_path):
    dup_key = MINIMAL.replace("  w:\n    description: another", "  v:\n    description: another")
    (p,) = problems_of(dup_key, tmp_path)
    assert "duplicate key 'v'" in p
    assert at(p) == pos(dup_key, "  v:\n", shift=2, nth=2)  # the second key
    clash = MINIMAL.replace("  gain:\n", "  v:\n").replace("delta: gain", "delta: v")
    (p,) = problems_of(clash, tmp_path)
    assert "duplicate id 'v': also a variable" in p
    assert at(p) == pos(clash, "description: what a's push")  # the parameter's mapping


@pytest.mark.parametrize("bad", [".nan", ".inf", "-.inf"])
def test_non_finite_numbers(tmp_path, bad):
    text = MINIMAL.replace("initial: 50", f"initial: {bad}")
    (p,) = problems_of(text, tmp_path)
    assert "not a finite number" in p
    assert at(p) == pos(text, bad) == f"{line_of(text, 'initial: ' + bad)}:14"


def test_unsupported_yaml_is_located(tmp_path):
    cases = [
        ("  turns: !!python/name:os.system", "unsupported YAML tag", "!!python"),
        ("  turns: !!set {a}", "unsupported YAML tag", "!!set"),
        ("  turns: 3\n  ? [a, b]\n  : 1", "mapping keys must be plain names", "[a, b]"),
        ("  turns: 3\n  <<: {x: 1}", "merge", "<<"),
        ("  turns: " + "[" * 50 + "]" * 50, "nesting deeper than 40", "[" * 10),
    ]
    for replacement, message, needle in cases:
        text = MINIMAL.replace("  turns: 3", replacement)
        (p,) = problems_of(text, tmp_path)
        shift = 40 if message.startswith("nesting") else 0  # the 41st bracket
        assert message in p and at(p) == pos(text, needle, shift=shift), (replacement, p)


def test_several_problems_are_all_reported(tmp_path):
    text = MINIMAL.replace("expr: v\n", "expr: vv\n").replace("by: a\n", "by: z\n")
    probs = problems_of(text, tmp_path)
    where = {at(p): p for p in probs}
    assert "unknown actor 'z'" in where[pos(text, "by: z", shift=len("by: "))]
    assert "unknown name 'vv'" in where[pos(text, "expr: vv", shift=len("expr: "))]
    # the push move no longer belongs to a, so both expressions that name it are reported
    assert "has no move 'push'" in where[pos(text, '"did(a, push)"')]
    assert "has no move 'push'" in where[pos(text, '"did_ever(a, push)"')]
    assert len(probs) == 4


def test_parameter_default_outside_range(tmp_path):
    text = MINIMAL.replace("default: 1.0", "default: 2.0")
    (p,) = problems_of(text, tmp_path)
    assert "outside range" in p and at(p) == pos(text, "description: credibility")


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
