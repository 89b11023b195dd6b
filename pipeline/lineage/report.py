"""The auditor's page: a self-contained HTML report of one version's trace (no network)."""

from __future__ import annotations

import json
from html import escape

from .records import Node, Trace
from .svg import anchor, graph_svg
from .text import trace_text

STYLE = """
body{font:14px/1.45 -apple-system,'Segoe UI',Helvetica,Arial,sans-serif;margin:24px;color:#202124}
h1{font-size:22px;margin:0 0 4px}h2{font-size:17px;margin:28px 0 8px}
.muted{color:#5f6368}table{border-collapse:collapse;margin:4px 0 12px}
td,th{border:1px solid #dadce0;padding:3px 8px;text-align:left;vertical-align:top;
word-break:break-all}
th{background:#f1f3f4}code,pre{font:12px/1.4 Menlo,Consolas,monospace}
pre{margin:0;white-space:pre-wrap;word-break:break-all;max-width:1100px}
svg text{font:12px Helvetica,Arial,sans-serif;text-anchor:middle}
svg text.sub{font-size:10px;fill:#5f6368}
svg a.node:hover rect{stroke-width:2.5}.graph{border:1px solid #dadce0;padding:8px;overflow:auto}
section.node{border-top:1px solid #dadce0;padding-top:6px}section.node:target{background:#fef7e0}
"""


def _value(value) -> str:
    if isinstance(value, (dict, list)):
        return f"<pre>{escape(json.dumps(value, indent=2, sort_keys=True))}</pre>"
    return f"<code>{escape(str(value))}</code>"


def _facts_table(facts: dict) -> str:
    rows = "".join(f"<tr><th>{escape(k)}</th><td>{_value(v)}</td></tr>" for k, v in facts.items())
    return f"<table>{rows}</table>" if rows else '<p class="muted">no recorded facts</p>'


def _link(key: str, text: str) -> str:
    return f'<a href="#{anchor(key)}">{escape(text)}</a>'


def _neighbours(node: Node, graph) -> str:
    """Links to the nodes this one read from and wrote to, named by the event key."""
    links = [_link(e.source, f"{e.key or e.event} \u2190 {e.source}")
             for e in graph.edges if e.target == node.key]
    links += [_link(e.target, f"{e.key or e.event} \u2192 {e.target}")
              for e in graph.edges if e.source == node.key]
    return " \u00b7 ".join(links)


def _node_section(node: Node, graph) -> str:
    head = {"kind": node.kind, "id": node.id, "type": node.type, "name": node.name,
            "uri": node.uri, "state": node.state}
    return (
        f'<section class="node" id="{anchor(node.key)}"><h3>{escape(node.label)}</h3>'
        f"{_facts_table({k: v for k, v in head.items() if v != ''})}"
        f'<p class="muted">{_neighbours(node, graph)}</p>{_facts_table(node.facts)}</section>'
    )


def _log_table(trace: Trace) -> str:
    head = "<tr><th>seq</th><th>decided at</th><th>from</th><th>to</th><th>actor</th>" \
           "<th>reason</th><th>record hash</th></tr>"
    rows = "".join(
        f"<tr><td>{t.seq}</td><td>{escape(t.decided_at)}</td><td>{escape(t.from_stage)}</td>"
        f"<td>{escape(t.to_stage)}</td><td>{escape(t.actor)}</td><td>{escape(t.reason)}</td>"
        f"<td><code>{escape(t.record_hash)}</code></td></tr>" for t in trace.history
    )
    return f"<table>{head}{rows}</table>"


def report_html(trace: Trace, *, store: str = "", generated_at: str = "") -> str:
    """One HTML page: summary, governance log, the drawn graph, and every node's facts."""
    title = f"Lineage of {trace.version.identifier}"
    sections = "".join(_node_section(n, trace.graph) for n in trace.graph.nodes)
    return (
        f'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>{escape(title)}'
        f"</title><style>{STYLE}</style></head><body><h1>{escape(title)}</h1>"
        f'<p class="muted">MLMD store {escape(store)} \u00b7 generated {escape(generated_at)}</p>'
        f'<div class="graph">{graph_svg(trace.graph)}</div><p class="muted">Data flows top to '
        f"bottom; click a box for its facts.</p>"
        f"<h2>Summary</h2><pre>{escape(trace_text(trace))}</pre>"
        f"<h2>Governance log</h2>{_log_table(trace)}"
        f"<h2>Nodes</h2>{sections}</body></html>\n"
    )
