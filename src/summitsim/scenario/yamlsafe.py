"""Safe, bounded YAML loading that remembers where every value came from.

The file is composed into a node graph with PyYAML's *safe* loader (no Python tags),
then converted to plain data by hand so that size, depth and alias expansion are
capped and every value keeps its ``line:col`` for error messages.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

MAX_BYTES = 1_000_000
MAX_DEPTH = 40
MAX_NODES = 200_000

Loc = tuple[str | int, ...]


class ScenarioError(Exception):
    """One or more problems in an input file, each already formatted for the user."""

    def __init__(self, problems: list[str]):
        super().__init__("\n".join(problems))
        self.problems = problems


@dataclass
class Located:
    """Plain data from a YAML file plus the source position of every path in it."""

    data: Any
    source: str
    marks: dict[Loc, tuple[int, int]] = field(default_factory=dict)

    def where(self, loc: Loc) -> str:
        """``FILE:LINE:COL`` for the deepest known prefix of ``loc``."""
        for n in range(len(loc), -1, -1):
            mark = self.marks.get(tuple(loc[:n]))
            if mark is not None:
                return f"{self.source}:{mark[0]}:{mark[1]}"
        return f"{self.source}:1:1"

    def error(self, loc: Loc, message: str) -> str:
        return f"{self.where(loc)}: {message}"


class _Builder:
    def __init__(self, source: str):
        self.source = source
        self.count = 0
        self.marks: dict[Loc, tuple[int, int]] = {}

    def fail(self, node: yaml.Node, message: str) -> ScenarioError:
        m = node.start_mark
        return ScenarioError([f"{self.source}:{m.line + 1}:{m.column + 1}: {message}"])

    def build(self, node: yaml.Node, loc: Loc) -> Any:
        self.count += 1
        if self.count > MAX_NODES:
            raise self.fail(node, f"file expands to more than {MAX_NODES} values (alias bomb?)")
        if len(loc) > MAX_DEPTH:
            raise self.fail(node, f"nesting deeper than {MAX_DEPTH} levels")
        self.marks[loc] = (node.start_mark.line + 1, node.start_mark.column + 1)
        if isinstance(node, yaml.MappingNode | yaml.SequenceNode) and node.tag not in _PLAIN:
            raise self.fail(node, f"unsupported YAML tag {node.tag}")
        if isinstance(node, yaml.MappingNode):
            return self._mapping(node, loc)
        if isinstance(node, yaml.SequenceNode):
            return [self.build(item, (*loc, i)) for i, item in enumerate(node.value)]
        assert isinstance(node, yaml.ScalarNode)
        return self._scalar(node)

    def _mapping(self, node: yaml.MappingNode, loc: Loc) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for key_node, value_node in node.value:
            if not isinstance(key_node, yaml.ScalarNode):
                raise self.fail(key_node, "mapping keys must be plain names")
            key = self._scalar(key_node)
            if key_node.tag == "tag:yaml.org,2002:merge":
                raise self.fail(key_node, "YAML merge keys (<<) are not supported")
            key = str(key)
            if key in out:
                raise self.fail(key_node, f"duplicate key {key!r}")
            out[key] = self.build(value_node, (*loc, key))
        return out

    def _scalar(self, node: yaml.ScalarNode) -> Any:
        value = _CONSTRUCTOR.construct_scalar(node)
        tag = node.tag
        if tag == "tag:yaml.org,2002:int":
            return _CONSTRUCTOR.construct_yaml_int(node)
        if tag == "tag:yaml.org,2002:float":
            number = _CONSTRUCTOR.construct_yaml_float(node)
            if not math.isfinite(number):
                raise self.fail(node, f"{value!r} is not a finite number")
            return number
        if tag == "tag:yaml.org,2002:bool":
            return _CONSTRUCTOR.construct_yaml_bool(node)
        if tag == "tag:yaml.org,2002:null":
            return None
        if tag in ("tag:yaml.org,2002:str", "tag:yaml.org,2002:timestamp"):
            return str(value)
        raise self.fail(node, f"unsupported YAML tag {tag}")


_CONSTRUCTOR = yaml.SafeLoader("")
_PLAIN = {"tag:yaml.org,2002:map", "tag:yaml.org,2002:seq"}


def load_yaml_text(text: str, source: str) -> Located:
    """Parse ``text`` safely; raise :class:`ScenarioError` with ``FILE:LINE:COL`` on any problem."""
    if len(text) > MAX_BYTES:
        raise ScenarioError([f"{source}:1:1: file is larger than {MAX_BYTES} bytes"])
    if "\x00" in text:
        raise ScenarioError([f"{source}:1:1: file contains binary data (NUL bytes)"])
    _check_flow_depth(text, source)
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, col = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        problem = exc.problem or exc.context or "invalid YAML"
        raise ScenarioError([f"{source}:{line}:{col}: YAML syntax error: {problem}"]) from None
    except RecursionError:
        raise ScenarioError([f"{source}:1:1: nesting too deep"]) from None
    except yaml.YAMLError as exc:
        raise ScenarioError([f"{source}:1:1: YAML error: {exc}"]) from None
    if node is None:
        raise ScenarioError([f"{source}:1:1: file is empty"])
    builder = _Builder(source)
    try:
        data = builder.build(node, ())
    except RecursionError:
        raise ScenarioError([f"{source}:1:1: nesting too deep"]) from None
    return Located(data=data, source=source, marks=builder.marks)


def _check_flow_depth(text: str, source: str) -> None:
    """Refuse deeply nested ``[...]``/``{...}`` before the (recursive) YAML composer sees it."""
    depth = line = col = 0
    for ch in text:
        col += 1
        if ch == "\n":
            line, col = line + 1, 0
        elif ch in "[{":
            depth += 1
            if depth > MAX_DEPTH:
                raise ScenarioError(
                    [f"{source}:{line + 1}:{col}: nesting deeper than {MAX_DEPTH} levels"]
                )
        elif ch in "]}" and depth:
            depth -= 1


def load_yaml_file(path: Path, source: str | None = None) -> Located:
    src = source or str(path)
    try:
        size = path.stat().st_size
        if size > MAX_BYTES:
            raise ScenarioError([f"{src}:1:1: file is larger than {MAX_BYTES} bytes"])
        raw = path.read_bytes()
    except OSError as exc:
        raise ScenarioError([f"{src}: cannot read file: {exc.strerror}"]) from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ScenarioError([f"{src}:1:1: not UTF-8 text (byte {exc.start})"]) from None
    return load_yaml_text(text, src)
