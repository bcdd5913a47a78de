"""Checks that people read names, not ids: no snake_case id of a scenario's variables,
parameters, outcomes, red lines, moves (or actors, or a ``rel:a:b`` slot) is visible.

Shared by the dashboard, report and classroom tests::

    from _names import ids_of, visible_ids, figure_texts, JS_PAGE_TEXT

    texts = page.evaluate(JS_PAGE_TEXT)          # the page's text, iframes and charts
    assert visible_ids(texts, ids_of(spec)) == []

``JS_PAGE_TEXT`` returns a list of strings: the body's rendered text, the text of every
``<iframe srcdoc>``, placeholders, and every text a Plotly chart draws (trace names and
texts, hover texts, titles, axis titles and tick labels, annotations, legend group titles,
table cells, slider labels, parallel-coordinates labels), taken from the chart's data.
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Iterable, Mapping
from typing import Any

# Keys of a Plotly figure (data, layout, frames) whose strings are drawn as text.
TEXT_KEYS = {
    "name",
    "text",
    "hovertext",
    "hovertemplate",
    "texttemplate",
    "ticktext",
    "label",
    "values",  # table header and cells; numbers elsewhere
    "prefix",
    "suffix",
}
SKIP_KEYS = {"meta", "customdata", "ids", "uid", "id", "legendgroup", "args", "method"}


def ids_of(spec: Any) -> set[str]:
    """Every id of a scenario that a person must never see: the snake_case ids (with an
    underscore) of variables, parameters, outcomes, red lines, moves, actors and injects,
    and every relation slot ``rel:a:b``."""
    ids: set[str] = set()
    for group in (
        spec.variables,
        spec.parameters,
        spec.outcomes,
        spec.red_lines,
        spec.moves,
        spec.actors,
        spec.injects,
    ):
        ids.update(k for k in group if "_" in k)
    ids.update(f"rel:{r.between[0]}:{r.between[1]}" for r in spec.relations)
    # the columns a sweep adds
    ids.update(f"crossed_{k}" for k in spec.red_lines)
    ids.update(f"first_crossed_{k}" for k in spec.red_lines)
    ids.add("peak_escalation")
    return ids


def _walk(node: Any, key: str | None, out: list[str]) -> None:
    if key in SKIP_KEYS:
        return
    if isinstance(node, Mapping):
        for k, v in node.items():
            if k == "title" and isinstance(v, str):
                out.append(v)
            elif k == "title" and isinstance(v, Mapping):
                _walk(v.get("text"), "text", out)
            else:
                _walk(v, str(k), out)
    elif isinstance(node, list | tuple):
        for v in node:
            _walk(v, key, out)
    elif isinstance(node, str) and key in TEXT_KEYS:
        out.append(node)


def figure_texts(fig: Any) -> list[str]:
    """Every string a Plotly figure (a dict, JSON text or a ``go.Figure``) draws."""
    if hasattr(fig, "to_plotly_json"):
        fig = fig.to_plotly_json()
    if isinstance(fig, str):
        fig = json.loads(fig)
    out: list[str] = []
    _walk(fig, None, out)
    return out


def _plain(text: str) -> str:
    """Markup removed and entities decoded (hover texts hold <br> and &lt;)."""
    return html.unescape(re.sub(r"<[^>]+>", " ", text))


def visible_ids(texts: str | Iterable[str], ids: Iterable[str]) -> list[str]:
    """The ids found as whole words in ``texts`` (sorted, each once), with some context."""
    if isinstance(texts, str):
        texts = [texts]
    found: dict[str, str] = {}
    wanted = sorted(set(ids), key=len, reverse=True)
    pattern = re.compile(
        r"(?<![A-Za-z0-9_:])(" + "|".join(re.escape(i) for i in wanted) + r")(?![A-Za-z0-9_])"
    )
    for text in texts:
        plain = _plain(str(text))
        for m in pattern.finditer(plain):
            found.setdefault(m.group(1), plain[max(0, m.start() - 40) : m.end() + 40])
    return [f"{k}: …{v}…" for k, v in sorted(found.items())]


def snake_case_words(texts: str | Iterable[str]) -> list[str]:
    """Any snake_case word at all (``a_b``) in ``texts``: a stricter, scenario-free check."""
    if isinstance(texts, str):
        texts = [texts]
    words: set[str] = set()
    for text in texts:
        words.update(
            re.findall(r"(?<![A-Za-z0-9_./-])[a-z][a-z0-9]*(?:_[a-z0-9]+)+\b", _plain(text))
        )
    return sorted(words)


# The page's visible text, as a list of strings (see the module docstring).
JS_PAGE_TEXT = """() => {
  const out = [document.body.innerText];
  for (const f of document.querySelectorAll('iframe')) {
    const d = f.contentDocument;
    if (d && d.body) out.push(d.body.innerText);
    else if (f.srcdoc) out.push(f.srcdoc);
  }
  for (const el of document.querySelectorAll('[placeholder]')) out.push(el.placeholder);
  for (const gd of document.querySelectorAll('.js-plotly-plot')) {
    out.push('__FIGURE__' + JSON.stringify({data: gd.data, layout: gd.layout}));
    for (const t of gd.querySelectorAll('svg text')) out.push(t.textContent);
  }
  return out;
}"""


def page_texts(raw: Iterable[str]) -> list[str]:
    """Expand the figures in what ``JS_PAGE_TEXT`` returned into their drawn strings."""
    out: list[str] = []
    for item in raw:
        if item.startswith("__FIGURE__"):
            out.extend(figure_texts(item[len("__FIGURE__") :]))
        else:
            out.append(item)
    return out


def report_texts(text: str) -> list[str]:
    """What a static report shows: its text without scripts and styles, and every string its
    figures draw (read from the figure JSON passed to ``Plotly.newPlot``)."""
    out: list[str] = []
    for m in re.finditer(
        r"Plotly\.newPlot\(document\.getElementById\([^)]*\), (\{.*?\})\);</script>", text, re.S
    ):
        out.extend(figure_texts(m.group(1)))
    body = re.sub(r"<script\b.*?</script>|<style\b.*?</style>", " ", text, flags=re.S)
    out.append(_plain(body))
    return out
