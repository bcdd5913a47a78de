"""The static after-action report: one self-contained HTML file (plotly.js embedded, no network).

    >>> from summitsim.viz.report import build_report, write_report
    >>> html_text = build_report(result.to_dict())          # doctest: +SKIP
    >>> write_report(result.to_dict(), "report.html")       # doctest: +SKIP
    >>> write_report(result.to_dict(), "r.html", light=True)  # doctest: +SKIP

A *light* report (``light=True``) loads plotly.js from a file written beside it
(:func:`write_plotly_beside`, about 4.8 MB once, shared by every report in the folder) instead
of embedding it, so the report itself is a few hundred kilobytes.

Other parts (the classroom's after-action report) add their own sections with
``extra_sections=[Section("Decisions by the players", "<p>…</p>")]``; a section's ``html`` is
inserted as given, so the caller escapes any user text in it (with :func:`escape`).
"""

from __future__ import annotations

import datetime as dt
import functools
import html
import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..files import write_atomic
from ..scenario.schema import Scenario
from ..text import scrub
from . import figures as F
from . import negotiation as N
from .labels import Labels, scenario_for, turn_date

Result = Mapping[str, Any]


@dataclass(frozen=True)
class Section:
    """An extra report section. ``html`` is trusted markup; ``title`` is escaped."""

    title: str
    html: str
    id: str | None = None


_CSS = """
:root { color-scheme: light; }
body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, Helvetica, Arial, sans-serif;
       margin: 0 auto; max-width: 1100px; padding: 1.5rem; color: #1b1b1b; line-height: 1.45; }
h1 { font-size: 1.7rem; margin-bottom: .2rem; } h2 { margin-top: 2.2rem; border-bottom: 1px
solid #ddd; padding-bottom: .2rem; } h3 { margin: 1.2rem 0 .3rem; font-size: 1.05rem; }
.meta { color: #555; font-size: .9rem; }
table { border-collapse: collapse; width: 100%; font-size: .88rem; margin: .5rem 0; }
th, td { border: 1px solid #ddd; padding: .3rem .45rem; text-align: left; vertical-align: top; }
th { background: #f4f4f4; }
.fig { margin: 1rem 0; border: 1px solid #eee; border-radius: 4px; }
.crossed { color: #b34700; font-weight: 600; } .approached { color: #8a6d00; }
.why { color: #333; } .held { color: #777; font-size: .88rem; }
nav a { margin-right: .8rem; } ul.turn { margin-top: .2rem; }
ol.talks { margin: .1rem 0 .2rem; padding-left: 1.2rem; color: #444; font-size: .88rem; }
.broken { color: #b34700; }
@media print { .fig { break-inside: avoid; } }
"""


@functools.cache
def plotly_js() -> str:
    """The plotly.js bundle shipped with the plotly package (read once per process)."""
    from plotly.offline import get_plotlyjs

    return get_plotlyjs()


def plotly_js_name() -> str:
    """The file name a light report loads plotly.js from: ``plotly-VERSION.min.js``."""
    from plotly.offline import get_plotlyjs_version

    return f"plotly-{get_plotlyjs_version()}.min.js"


def write_plotly_beside(report: str | Path) -> Path:
    """Write plotly.js into the folder of ``report`` (unless an identical copy is there) and
    return its path; a light report refers to it by :func:`plotly_js_name`."""
    target = Path(report).parent / plotly_js_name()
    js = plotly_js()
    try:
        if target.read_text(encoding="utf-8") == js:
            return target
    except (OSError, UnicodeDecodeError):
        pass
    write_atomic(target, lambda p: p.write_text(js, encoding="utf-8"))
    return target


def figure_html(fig: Any, div_id: str, height: int | None = None) -> str:
    """A div plus an inline script that draws ``fig`` with the embedded plotly.js.

    ``<`` in the figure JSON is written as ``\\u003c`` so no text from a scenario can close the
    script element."""
    data = fig.to_plotly_json()
    payload = {
        "data": data.get("data", []),
        "layout": data.get("layout", {}),
        "frames": data.get("frames", []),
        "config": {"displaylogo": False, "responsive": True},
    }
    import plotly.io as pio

    text = scrub(pio.to_json(payload, validate=False)).replace("<", "\\u003c")
    style = f' style="height:{int(height)}px"' if height else ""
    return (
        f'<div class="fig" id="{div_id}"{style}></div>\n'
        f"<script>Plotly.newPlot(document.getElementById({json.dumps(div_id)}), {text});</script>"
    )


def escape(x: Any) -> str:
    """Text for the page: HTML-escaped, with the characters people's text may not hold
    (:mod:`summitsim.text`) replaced, so text stored by an older version still renders."""
    return html.escape(scrub(str(x)))


def table_html(headers: Sequence[str], rows: Iterable[Sequence[Any]]) -> str:
    """An HTML table with every header and cell escaped (floats shortened)."""
    return _table(headers, ([_fmt(c) if isinstance(c, float) else c for c in r] for r in rows))


def _table(headers: Sequence[str], rows: Iterable[Sequence[Any]]) -> str:
    head = "".join(f"<th>{escape(h)}</th>" for h in headers)
    body = "".join("<tr>" + "".join(f"<td>{escape(c)}</td>" for c in r) + "</tr>" for r in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _unit(unit: str) -> str:
    return f" ({unit})" if unit else ""


def _blank(v: Any) -> Any:
    return "" if v is None else v


def _fmt(v: Any) -> str:
    if isinstance(v, bool):
        return "yes" if v else "no"
    if isinstance(v, float):
        return f"{v:.4g}"
    return str(v)


def _when(result: Result, turn: int) -> str:
    d = turn_date(result, turn)
    return f"Turn {turn}" + (f" ({d})" if d else "")


def biggest_changes(
    result: Result, turn: int, labels: Labels, k: int = 3
) -> list[tuple[str, float, float]]:
    """The ``k`` variables that moved most in ``turn`` (relative to their bounds when known)."""
    if turn == 0:
        return []
    before = result["turns"][turn - 1]["state"]
    after = result["turns"][turn]["state"]
    moves = []
    for v in F.variables_of(result):
        delta = float(after[v]) - float(before[v])
        if abs(delta) < 1e-9:
            continue
        lo, hi = labels.bounds.get(v, (0.0, 0.0))
        scale = (hi - lo) if hi > lo else max(1.0, abs(float(before[v])))
        moves.append((abs(delta) / scale, v, float(before[v]), float(after[v])))
    moves.sort(reverse=True)
    return [(v, a, b) for _, v, a, b in moves[:k]]


def negotiation_html(lines: Sequence[str]) -> str:
    """One negotiation (:func:`negotiation.negotiation_lines`) as a list item: its heading,
    the offers and replies in order, and how it ended."""
    head, *steps, end = lines
    talks = "".join(f"<li>{escape(s)}</li>" for s in steps)
    return f"<li><b>{escape(head)}</b><ol class='talks'>{talks}</ol>{escape(end)}</li>"


def narrative_html(result: Result, labels: Labels) -> str:
    """Turn by turn: negotiations, what happened and why, red lines tested and events."""
    out = []
    said = result.get("said_vs_did") or []
    for t in result["turns"][1:]:
        turn = int(t["turn"])
        items = [negotiation_html(b) for b in N.turn_negotiation_lines(result, turn, labels)]
        items += [
            f"<li class='broken'>{escape(N.commitment_line(e, labels))}</li>"
            for e in N.settled_commitments(said, turn)
        ]
        held = []
        for a in t.get("actions", []):
            if a.get("by") == "inject":
                continue  # listed under events below
            who = labels.actor(a.get("actor"))
            move = a.get("move")
            if move == "hold" and a.get("status") == "done":
                held.append(who)
                continue
            status = " — <em>refused</em>" if a.get("status") == "refused" else ""
            esc = float(a.get("escalation") or 0.0)
            esc_text = f", escalation {esc:+g}" if esc else ""
            why = (a.get("rationale") or {}).get("sentence", "")
            items.append(
                f"<li><b>{escape(who)}</b>: {escape(labels.move(move))}"
                f" <span class='meta'>({escape(labels.name('by', a.get('by')))}{esc_text})"
                f"</span>{status}"
                f"<br><span class='why'>{escape(why)}</span></li>"
            )
        for rl in t.get("red_lines", []):
            owner = labels.actor(rl.get("owner"))
            desc = labels.description("red_line", rl["red_line"]) or labels.name(
                "red_line", rl["red_line"]
            )
            if rl.get("status") == "crossed":
                by = ", ".join(labels.actor(b) for b in rl.get("crossed_by") or [])
                answer = (
                    f"{owner} answered: {labels.responses.get(rl['red_line'], 'it responded')}."
                    if rl.get("responded")
                    else f"{owner} did not follow through this turn."
                )
                items.append(
                    f"<li class='crossed'>Red line crossed — {escape(owner)}'s "
                    f"“{escape(desc)}”{' by ' + escape(by) if by else ''}. {escape(answer)}</li>"
                )
            else:
                items.append(
                    f"<li class='approached'>Red line approached — {escape(owner)}'s "
                    f"“{escape(desc)}”.</li>"
                )
        for inj in t.get("injects", []):
            name = inj.get("name") or labels.name("inject", inj.get("inject"))
            items.append(f"<li>Event: {escape(name)}</li>")
        changes = biggest_changes(result, turn, labels)
        if changes:
            text = "; ".join(
                f"{labels.slot(v)} {a:.3g} → {b:.3g}"
                + (f" {labels.unit('slot', v)}" if labels.unit("slot", v) else "")
                for v, a, b in changes
            )
            items.append(f"<li class='meta'>Biggest changes: {escape(text)}</li>")
        if held:
            items.append(f"<li class='held'>Held: {escape(', '.join(held))}</li>")
        out.append(f"<h3>{escape(_when(result, turn))}</h3><ul class='turn'>{''.join(items)}</ul>")
    return "\n".join(out)


def deals_html(result: Result, labels: Labels) -> str:
    """The deals signed, their obligations (kept, or broken at which turn) and the
    negotiations that ended without a deal; "" when the run held none."""
    signed = N.deal_rows(result, labels)
    obligations = N.obligation_rows(result, labels)
    unsigned = N.unsigned_lines(result, labels)
    if not (signed or unsigned):
        return ""
    parts = [
        _table(N.DEAL_COLUMNS, signed) if signed else "<p>No deal was signed.</p>",
    ]
    if obligations:
        parts.append("<h3>Obligations</h3>" + _table(N.OBLIGATION_COLUMNS, obligations))
    if unsigned:
        parts.append(
            "<h3>Negotiations that ended without a deal</h3><ul>"
            + "".join(f"<li>{escape(line)}</li>" for line in unsigned)
            + "</ul>"
        )
    parts.append(
        "<p class='meta'>Gains are each party's utility over walking away, as it valued the "
        "terms when it signed. The offers and replies are in the narrative, at the turn of "
        "each negotiation.</p>"
    )
    return "".join(parts)


def said_vs_did_html(result: Result, labels: Labels) -> str:
    """Every signal and deal commitment and what became of it; "" when there were none."""
    rows = N.said_vs_did_rows(result.get("said_vs_did") or [], labels)
    return _table(N.SAID_COLUMNS, ([_blank(c) for c in r] for r in rows)) if rows else ""


def outcomes_table(rows: Sequence[Mapping[str, Any]]) -> str:
    """The rows of :func:`figures.outcome_rows` as an HTML table."""
    return _table(
        ["outcome", "description", "value", "first turn it held"],
        [[r["outcome"], r["description"], r["value"], _blank(r["first_turn"])] for r in rows],
    )


def red_lines_summary(result: Result, labels: Labels) -> list[list[Any]]:
    """One row per red line that was approached or crossed."""
    seen: dict[str, dict[str, Any]] = {}
    for t in result["turns"]:
        for rl in t.get("red_lines", []):
            row = seen.setdefault(
                rl["red_line"],
                {
                    "owner": labels.actor(rl.get("owner")),
                    "approached": None,
                    "crossed": None,
                    "by": set(),
                    "responded": False,
                },
            )
            key = "crossed" if rl.get("status") == "crossed" else "approached"
            if row[key] is None:
                row[key] = t["turn"]
            if key == "crossed":
                row["by"].update(rl.get("crossed_by") or [])
                row["responded"] = row["responded"] or bool(rl.get("responded"))
    return [
        [
            labels.name("red_line", rid),
            row["owner"],
            labels.description("red_line", rid),
            _blank(row["approached"]),
            _blank(row["crossed"]),
            ", ".join(sorted(labels.actor(b) for b in row["by"])),
            ("yes" if row["responded"] else "no") if row["crossed"] is not None else "",
        ]
        for rid, row in seen.items()
    ]


def panel_html(
    result: Result, panel: Any, index: int, labels: Labels, make_id: Callable[[str], str]
) -> str:
    """One layout panel (timeline, escalation, ...) as report HTML."""
    kind = panel.kind
    title = panel.title
    h = panel.height
    if kind == "timeline":
        fig = F.timeline_figure(
            result, panel.variables or None, title=title or "World state", labels=labels
        )
        h = max(h, int(fig.layout.height or 0))
    elif kind == "escalation":
        fig = F.escalation_figure(result, title=title or "Escalation per turn", labels=labels)
    elif kind == "actions":
        fig = F.action_timeline_figure(result, title=title or "Who did what, when", labels=labels)
    elif kind == "relations":
        fig = F.relations_figure(result, title=title or "Relations between actors", labels=labels)
    elif kind == "outcomes":
        return f"<h3>{escape(title or 'Outcomes')}</h3>" + outcomes_table(
            F.outcome_rows(result, labels=labels)
        )
    elif kind == "turn_log":
        rows = F.turn_log_rows(result, labels=labels)
        columns = ["turn", "actor", "move", "by", "status", "escalation", "rationale"]
        return f"<h3>{escape(title or 'Turn log')}</h3>" + table_html(
            columns, ([r[c] for c in columns] for r in rows)
        )
    else:  # pragma: no cover - the layout schema allows only the kinds above
        raise ValueError(f"unknown panel kind {kind!r}")
    return figure_html(fig, make_id(f"{kind}-{index}"), h)


def build_report(
    result: Result,
    *,
    extra_sections: Sequence[Section | tuple[str, str]] = (),
    layout: Any = None,
    scenario: Scenario | None = None,
    title: str | None = None,
    plotly_src: str | None = None,
) -> str:
    """The whole report as one HTML string.

    ``layout`` is a :class:`~summitsim.dashboard.layout.Layout` (or a loaded one); by default
    the layout the scenario names, else ``default``. ``scenario`` supplies move names and
    descriptions; by default the bundled scenario of the result, if unchanged.
    ``plotly_src``: load plotly.js from this (relative) address rather than embedding it
    (a light report; see :func:`write_plotly_beside`)."""
    from ..dashboard.layout import LoadedLayout, layout_for

    spec = scenario if scenario is not None else scenario_for(result)
    labels = Labels.from_spec(spec) if spec is not None else F.labels_for(result)
    if layout is None:
        layout = layout_for(spec.meta.dashboard if spec is not None else None)
    if isinstance(layout, LoadedLayout):
        layout = layout.check(list(result["turns"][0]["state"])).layout
    used: set[str] = set()

    def make_id(base: str) -> str:
        k = f"fig-{base}"
        n = 1
        while k in used:
            n += 1
            k = f"fig-{base}-{n}"
        used.add(k)
        return k

    sc = result.get("scenario") or {}
    heading = title or sc.get("title") or sc.get("id") or "summitsim run"
    params = result.get("params") or {}
    summary = result.get("summary") or {}
    n_turns = len(result["turns"]) - 1
    peak_turn = None
    peak = None
    for t in result["turns"][1:]:
        total = sum((t.get("escalation") or {}).values())
        if peak is None or total > peak:
            peak, peak_turn = total, t["turn"]
    rl_rows = red_lines_summary(result, labels)
    sections: list[tuple[str, str, str]] = []
    overview = [
        "<p>",
        f"Scenario <b>{escape(sc.get('id', '?'))}</b>",
        f" ({escape(sc.get('source', ''))}, sha256 {escape(str(sc.get('sha256', ''))[:12])}…),"
        if sc.get("source")
        else ",",
        f" seed {escape(result.get('seed'))}, {n_turns} turns",
        f" of a {escape(result.get('turn_length'))}" if result.get("turn_length") else "",
        f" from {escape(result.get('start_date'))}" if result.get("start_date") else "",
        ".</p>",
    ]
    if peak is not None:
        overview.append(
            f"<p>Peak escalation: <b>{peak:g}</b> in turn {peak_turn}. "
            f"Red lines crossed: <b>{sum(1 for r in rl_rows if r[4] != '')}</b> of "
            f"{len(summary.get('first_crossed') or {}) or len(rl_rows)}"
            " declared.</p>"
        )
    overview.append(
        "<h3>Parameters</h3>"
        + _table(
            ["parameter", "value"],
            [
                [labels.name("parameter", k), _fmt(v) + _unit(labels.unit("parameter", k))]
                for k, v in params.items()
            ],
        )
    )
    overview.append("<h3>Outcomes</h3>" + outcomes_table(F.outcome_rows(result, labels=labels)))
    overview.append(
        "<h3>Red lines tested</h3>"
        + (
            _table(
                [
                    "red line",
                    "owner",
                    "what it guards",
                    "first approached",
                    "first crossed",
                    "crossed by",
                    "answered",
                ],
                rl_rows,
            )
            if rl_rows
            else "<p>No red line was approached or crossed.</p>"
        )
    )
    sections.append(("summary", "Summary", "".join(overview)))
    figs = "\n".join(
        panel_html(result, p, i, labels, make_id)
        for i, p in enumerate(layout.report_panels)
        # outcomes are in the summary; the turn log would repeat the narrative below
        if p.kind not in ("outcomes", "turn_log")
    )
    sections.append(("charts", "Charts", figs))
    sections.append(
        ("narrative", "What happened, turn by turn, and why", narrative_html(result, labels))
    )
    deals = deals_html(result, labels)
    if deals:
        sections.append(("deals", "Deals", deals))
    said = said_vs_did_html(result, labels)
    if said:
        sections.append(("said-vs-did", "What was said, and what was done", said))
    for k, extra in enumerate(extra_sections):
        sec = extra if isinstance(extra, Section) else Section(extra[0], extra[1])
        sections.append((sec.id or f"extra-{k + 1}", escape(sec.title), sec.html))
    nav = "".join(f'<a href="#{sid}">{t}</a>' for sid, t, _ in sections)
    body = "\n".join(f'<section id="{sid}"><h2>{t}</h2>\n{h}</section>' for sid, t, h in sections)
    made = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    if plotly_src is None:
        plotly_tag = f"<script>{plotly_js()}</script>"
    else:
        plotly_tag = f'<script src="{escape(plotly_src)}" charset="utf-8"></script>'
    return (
        "<!DOCTYPE html>\n<html lang='en'>\n<head>\n<meta charset='utf-8'>\n"
        "<meta name='viewport' content='width=device-width, initial-scale=1'>\n"
        f"<meta name='generator' content='summitsim {escape(result.get('summitsim_version', ''))}'>"
        f"\n<title>{escape(heading)} — after-action report</title>\n<style>{_CSS}</style>\n"
        f"{plotly_tag}\n</head>\n<body>\n"
        f"<h1>{escape(heading)}</h1>\n"
        f"<p class='meta'>After-action report made by summitsim "
        f"{escape(result.get('summitsim_version', ''))} on {made}.</p>\n"
        f"<nav>{nav}</nav>\n{body}\n</body>\n</html>\n"
    )


def write_report(
    result: Result,
    path: str | Path,
    *,
    extra_sections: Sequence[Section | tuple[str, str]] = (),
    layout: Any = None,
    scenario: Scenario | None = None,
    light: bool = False,
) -> Path:
    """Build the report and write it atomically (a temporary file, then a rename); with
    ``light``, plotly.js goes into a file beside it (:func:`write_plotly_beside`)."""
    path = Path(path)
    src = write_plotly_beside(path).name if light else None
    text = build_report(
        result, extra_sections=extra_sections, layout=layout, scenario=scenario, plotly_src=src
    )
    write_atomic(path, lambda p: p.write_text(text, encoding="utf-8"))
    return path
