"""DOT text for a :class:`~modelcheck.render.graphs.DrawGraph` (the state graph, its views, the
report's excerpts).

The conventions, also explained in the graph's own legend (``legend=True``):

* a node is a state (or a view of states): its variables, one per line;
* an initial state has an arrow coming from a small black dot;
* an edge is a transition, labelled with the action instance(s) and, after ``Δ``, the
  variables it changes;
* the counterexample is drawn in red and thick; its last (bad) state is filled; the
  step that closes a lasso's cycle is dashed;
* an excerpt's grey "+n more" node stands for successors left out.

The text depends only on the graph (no clock, no hash order), so it is golden-tested.
Node ``id``\\ s carry ``id_prefix`` so several SVGs can live in one HTML page.
"""

from __future__ import annotations

from .graphs import DrawGraph

PATH_COLOUR = "#c62828"
BAD_FILL = "#ffcdd2"
INIT_FILL = "#e3f2fd"


def quote(text: str) -> str:
    """A DOT double-quoted string (backslashes and quotes escaped, newlines as ``\\n``)."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def _lines(lines: list[str]) -> str:
    """A left-justified multi-line label: each line ends in DOT's ``\\l``."""
    body = "".join(line.replace("\\", "\\\\").replace('"', '\\"') + "\\l" for line in lines)
    return f'"{body}"'


def edge_label(actions: list[str], changed: list[str], count: int, max_actions: int = 3,
               loop_back: bool = False) -> str:
    if not actions:  # an excerpt's "+n more" edge
        return ""
    shown = actions[:max_actions]
    if len(actions) > max_actions:
        shown.append(f"+{len(actions) - max_actions} more")
    lines = list(shown)
    if changed:
        lines.append("Δ " + ", ".join(changed))
    if loop_back:
        lines[0] = "loop: " + lines[0]
    return "\n".join(lines)


def to_dot(g: DrawGraph, *, id_prefix: str = "g", max_actions: int = 3, legend: bool = False,
           rankdir: str = "TB") -> str:
    out = [f"digraph {quote(id_prefix)} {{"]
    out.append(f"  id={quote(id_prefix)};")
    if g.title:
        label = g.title + "".join("\n" + n for n in g.notes)
        out.append(f"  label={quote(label)}; labelloc=t; fontsize=12; fontname=\"Helvetica\";")
    out.append(f"  rankdir={rankdir};")
    out.append('  node [shape=box, style="rounded", fontname="Courier", fontsize=10, margin="0.12,0.06"];')
    out.append('  edge [fontname="Helvetica", fontsize=9, color="#546e7a", fontcolor="#37474f"];')
    for k, n in enumerate(g.nodes):
        nid = f"{id_prefix}_s{k}"
        attrs = [f"id={quote(nid)}"]
        if n.elided:
            attrs += [f"label={quote(n.lines[0])}", "shape=plaintext", 'fontcolor="#78909c"',
                      'fontname="Helvetica"']
        else:
            attrs.append(f"label={_lines(n.lines)}")
            style = ["rounded"]
            if n.bad:
                style.append("filled")
                attrs.append(f'fillcolor="{BAD_FILL}"')
            elif n.initial:
                style.append("filled")
                attrs.append(f'fillcolor="{INIT_FILL}"')
            attrs.append(f"style={quote(','.join(style))}")
            if n.on_path:  # one group: dot lines the counterexample up straight
                attrs += [f'color="{PATH_COLOUR}"', "penwidth=2", 'group="cex"']
        out.append(f"  {nid} [{', '.join(attrs)}];")
        if n.initial:
            out.append(f'  {nid}_init [id={quote(nid + "_init")}, shape=point, width=0.08, label=""];')
            out.append(f"  {nid}_init -> {nid};")
    for k, e in enumerate(g.edges):
        attrs = [f"id={quote(f'{id_prefix}_e{k}')}"]
        label = edge_label(e.actions, e.changed, e.count, max_actions, e.loop_back)
        if label:
            attrs.append(f"label={quote(label)}")
        if e.on_path:
            attrs += [f'color="{PATH_COLOUR}"', f'fontcolor="{PATH_COLOUR}"', "penwidth=2.5", "weight=8"]
        if e.loop_back:
            attrs.append("style=dashed")
        if not e.actions:
            attrs += ["style=dotted", 'color="#b0bec5"', "arrowhead=none"]
        out.append(f"  {id_prefix}_s{e.src} -> {id_prefix}_s{e.dst} [{', '.join(attrs)}];")
    if legend:
        out.append(_legend(id_prefix))
    out.append("}")
    return "\n".join(out) + "\n"


def _legend(p: str) -> str:
    return (
        f"  subgraph cluster_{p}_legend {{ label=\"legend\"; fontsize=9; color=\"#cfd8dc\";\n"
        f'    {p}_l1 [label="initial state", shape=box, style="rounded,filled", fillcolor="{INIT_FILL}", '
        'fontname="Helvetica", fontsize=9];\n'
        f'    {p}_l2 [label="bad state", shape=box, style="rounded,filled", fillcolor="{BAD_FILL}", '
        f'color="{PATH_COLOUR}", penwidth=2, fontname="Helvetica", fontsize=9];\n'
        f'    {p}_l1 -> {p}_l2 [label="counterexample step", color="{PATH_COLOUR}", '
        f'fontcolor="{PATH_COLOUR}", penwidth=2.5];\n'
        "  }"
    )
