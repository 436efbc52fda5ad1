"""A graph as Graphviz DOT text, for people who would rather look than read (`dlp2c render`).

Names may come from OCR or uploaded files: every label is escaped, so no text can end the quoted
string and inject DOT of its own.
"""

from __future__ import annotations

from dlp2c.common.graph import Graph
from dlp2c.common.inference import Inference

_FAMILY_COLOURS = {
    "core": "#e8eaf6", "activation": "#fff3e0", "convolution": "#e3f2fd", "pooling": "#e8f5e9",
    "normalization": "#f3e5f5", "merge": "#fffde7", "reshaping": "#eceff1", "recurrent": "#fce4ec",
    "embedding": "#fce4ec", "wrapper": "#fce4ec",
}


def _quote(text: str) -> str:
    cleaned = "".join(ch if ch.isprintable() else " " for ch in text)
    return '"' + cleaned.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _shape(dims: tuple[int | None, ...]) -> str:
    text = ", ".join("?" if d is None else str(d) for d in dims)
    return f"({text},)" if len(dims) == 1 else f"({text})"


def to_dot(graph: Graph, inference: Inference | None = None, rankdir: str = "TB") -> str:
    """DOT text: one box per layer (name, op, output shape, parameters), one arrow per edge."""
    if rankdir not in ("TB", "LR"):
        raise ValueError(f"rankdir must be TB or LR, got {rankdir!r}")
    lines = [
        f"digraph {_quote(graph.name)} {{",
        f"  rankdir={rankdir};",
        '  node [shape=box, style="rounded,filled", fontname="Helvetica", fontsize=10];',
        '  edge [arrowsize=0.7];',
    ]
    for node in graph.nodes:
        label = node.op if not node.name or node.name == node.op else f"{node.name}\n{node.op}"
        if inference is not None:
            info = inference.info[node.id]
            label += f"\n{_shape(info.output.shape)}"
            if info.params:
                label += f"  {info.params:,} params"
        colour = _FAMILY_COLOURS.get(node.spec.family, "#ffffff")
        lines.append(f"  {_quote(node.id)} [label={_quote(label)}, fillcolor={_quote(colour)}];")
    for edge in graph.edges:
        attrs = f" [label={_quote(str(edge.dst_input))}]" if edge.dst_input is not None else ""
        lines.append(f"  {_quote(edge.src)} -> {_quote(edge.dst)}{attrs};")
    lines.append("}")
    return "\n".join(lines) + "\n"
