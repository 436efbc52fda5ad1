"""The network a design table describes, as graphs (one per configuration the table lists).

The grid is turned so that layers run down the rows (a column-major table is transposed). Then
either several columns list layers side by side (VGG's configurations A-E: one design each, a merged
cell such as `maxpool` belonging to every column it spans), or one column names the layer type and
the others give its parameters, found by their header names (`Filter Shape`, `stride`, `Output
size`, `Repeat`, ...). A multiplier alone on a row (`5x`) repeats the two rows around it, as
MobileNet's table draws it.

Nothing is invented silently: each assumption (an input size the table does not give, `same`
padding, a Flatten before the first dense layer) and each cell that could not be read is a note on
the design, and each node says which cell it came from.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from dlp2c.common.document import Table
from dlp2c.common.errors import Dlp2cError
from dlp2c.common.graph import Graph, Provenance
from dlp2c.common.inference import infer
from dlp2c.tables.cells import LayerCell, dims, read_layer, repeat_of
from dlp2c.tables.kind import TableKind, classify

DEFAULT_INPUT = (224, 224, 3)
ROLES: tuple[tuple[str, re.Pattern[str]], ...] = tuple((role, re.compile(p, re.IGNORECASE)) for role, p in (
    ("input", r"\binput\b"),
    ("output", r"\boutput\b(?!\s*channel)|\bout size"),
    ("stride", r"\bstride"),
    ("pad", r"\bpad"),
    ("repeat", r"\brepeat|\btimes\b|^\s*[n#]\s*$"),
    ("filters", r"num\.? ?filts|filters\b|channels|#\s*out|\bunits|\bmaps\b|\bwidth\b"),
    ("kernel", r"filter ?shape|kernel|ksize|filt\.? ?dim|support|patch|\bsize\b"),
    ("type", r"type|layer|operation|\bname\b|stage|module|block"),
))
CONV = {"Conv2D", "DepthwiseConv2D", "SeparableConv2D", "Conv2DTranspose"}
POOL = {"MaxPooling2D", "AveragePooling2D"}
FLAT = {"Dense", "Flatten", "GlobalAveragePooling2D", "GlobalMaxPooling2D"}


@dataclass
class TableDesign:
    name: str
    graph: Graph | None
    notes: list[str] = field(default_factory=list)
    error: str = ""

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name, "graph": self.graph.to_json() if self.graph is not None else None,
                "notes": self.notes, "error": self.error}


@dataclass
class _Row:
    index: int
    layer: LayerCell
    params: dict[str, Any] = field(default_factory=dict)
    output: tuple[int, ...] | None = None
    input: tuple[int, ...] | None = None
    where: str = ""


def _roles(header: list[str]) -> dict[int, str]:
    roles: dict[int, str] = {}
    for col, text in enumerate(header):
        for role, pattern in ROLES:
            if text and pattern.search(text) and role not in roles.values():
                roles[col] = role
                break
    return roles


def _apply(row: _Row, role: str, text: str) -> None:
    op = row.layer.op
    numbers = dims(text)
    single = [int(v) for v in re.findall(r"\d+", text)]
    if role == "kernel":
        if op == "Dense" and len(numbers) == 2:
            row.params["units"] = numbers[1]
        elif op in CONV and numbers:
            row.params["kernel_size"] = numbers[:2] if len(numbers) >= 2 else numbers[0]
            if len(numbers) == 4 and op != "DepthwiseConv2D":
                row.params["filters"] = numbers[3]
        elif op in POOL and (numbers or single):
            row.params["pool_size"] = (numbers or single)[:2]
        elif op in CONV and single:
            row.params["kernel_size"] = single[0]
    elif role == "filters" and len(single) == 1:
        if op == "Dense":
            row.params["units"] = single[0]
        elif op in CONV - {"DepthwiseConv2D"}:
            row.params["filters"] = single[0]
    elif role == "stride" and len(single) == 1 and (op in CONV or op in POOL):
        row.params["strides"] = single[0]
    elif role == "repeat" and len(single) == 1:
        row.layer.repeat = max(1, single[0])
    elif role == "output" and numbers:
        row.output = tuple(numbers)
    elif role == "input" and numbers:
        row.input = tuple(numbers)


def _reconcile_strides(rows: list[_Row], notes: list[str]) -> None:
    """Where the table prints the sizes, a stride that contradicts them yields to them (and is flagged)."""
    for i, row in enumerate(rows):
        if row.layer.op not in CONV and row.layer.op not in POOL:
            continue
        before = row.input or (rows[i - 1].output if i > 0 else None)
        after = row.output or (rows[i + 1].input if i + 1 < len(rows) else None)
        if not before or not after or after[0] <= 0 or before[0] % after[0]:
            continue
        window = row.params.get("pool_size", 0)
        window = window[0] if isinstance(window, list | tuple) else window
        if row.layer.op in POOL and window >= before[0]:
            continue  # one window over the whole input: the stride does not matter
        implied = before[0] // after[0]
        stated = row.params.get("strides", 1)
        stated = stated[0] if isinstance(stated, list | tuple) else stated
        if implied != stated:
            row.params["strides"] = implied
            notes.append(f"{row.where}: stride {stated} disagrees with the sizes the table prints "
                         f"({before[0]} -> {after[0]}); stride {implied} used")


def _assemble(name: str, rows: list[_Row], table: Table, notes: list[str]) -> TableDesign:
    _reconcile_strides(rows, notes)
    graph = Graph(name=re.sub(r"[^A-Za-z0-9_-]+", "_", name).strip("_") or "table")
    shape: tuple[int, ...] | None = None
    for row in rows[:2]:
        if row.layer.op == "Input":
            shape = row.layer.shape or row.output
        shape = shape or row.input
        if shape:
            break
    if shape is None or len(shape) != 3:
        shape = DEFAULT_INPUT
        notes.append(f"the table gives no input size: {'x'.join(map(str, DEFAULT_INPUT))} assumed")
    prev = graph.add("Input", {"shape": list(shape)}, id="input")
    rank = 3
    padded = False
    made: list[tuple[_Row, str]] = []  # each row with the last node it made, for the size check below
    for row in rows:
        op = row.layer.op
        if op == "Input":
            continue
        params = dict(row.params)
        if op in CONV and "padding" not in params:
            params["padding"] = "same"
            padded = True
        if op == "Dense" and rank == 3:
            prev = graph.add("Flatten", inputs=[prev], id=graph.unique_id("flatten"))
            notes.append(f"Flatten inserted before the first dense layer ({row.where})")
            rank = 1
        provenance = Provenance("table", f"{table.label}: {row.where}: {row.layer.text.strip()[:80]}", table.page)
        for k in range(row.layer.repeat):
            try:
                prev = graph.add(op, params, inputs=[prev], id=graph.unique_id(f"{op.lower()}_{row.index}"),
                                 provenance=provenance)
            except Dlp2cError as exc:
                return TableDesign(name, None, notes, f"{row.where}: {exc}")
            if k == 0 and row.layer.repeat > 1:
                notes.append(f"{row.where}: repeated {row.layer.repeat} times")
        made.append((row, prev))
        if op in FLAT:
            rank = 1
    if padded:
        notes.append("the table gives no padding: 'same' assumed for convolutions")
    try:
        inference = infer(graph)
    except Dlp2cError as exc:
        return TableDesign(name, graph, notes, str(exc))
    for row, node_id in made:
        said = row.output
        if said is None or len(said) != 3 or row.layer.op in FLAT:
            continue
        got = inference.output(node_id).shape
        if tuple(got) != said:
            notes.append(f"{row.where}: the table gives the output as {'x'.join(map(str, said))}; "
                         f"shape inference gives {got}")
    return TableDesign(name, graph, notes)


def _row(r: int, text: str, notes: list[str]) -> _Row | None:
    """Row ``r``'s layer from ``text``; an unreadable (non-empty) cell becomes a note."""
    if not text:
        return None
    layer = read_layer(text)
    if layer is None:
        notes.append(f"row {r + 1}: {text[:60]!r} is not a layer in the catalog; left out")
        return None
    return _Row(r, layer, dict(layer.params), where=f"row {r + 1}")


def _rows_of_column(grid: list[list[str]], col: int, start: int, notes: list[str]) -> list[_Row]:
    rows: list[_Row] = []
    for r in range(start, len(grid)):
        text = grid[r][col].strip()
        row = _row(r, text, notes)
        if row is not None:
            rows.append(row)
    return rows


def _single(grid: list[list[str]], type_col: int, start: int, roles: dict[int, str], notes: list[str]) -> list[_Row]:
    rows: list[_Row] = []
    pending: list[tuple[int, int]] = []  # (repeat count, index in rows of the row above the marker)
    for r in range(start, len(grid)):
        text = grid[r][type_col].strip()
        others = [c for c in range(len(grid[r])) if c != type_col and grid[r][c].strip()]
        count = repeat_of(text)
        if count is not None and not others:
            pending.append((count, len(rows) - 1))
            continue
        row = _row(r, text, notes)
        if row is None:
            continue
        for col, role in roles.items():
            if col != type_col and grid[r][col].strip():
                _apply(row, role, grid[r][col])
        rows.append(row)
    # A lone multiplier between two rows repeats both (MobileNet's "5x" beside its dw/pw pair).
    for count, above in reversed(pending):
        if 0 <= above < len(rows) - 1:
            block = rows[above:above + 2]
            rows[above:above + 2] = [
                _Row(b.index, LayerCell(b.layer.op, b.layer.params, 1, b.layer.shape, b.layer.text), b.params,
                     b.output, b.input, f"{b.where} (repeat {k + 1}/{count})")
                for k in range(count) for b in block]
            notes.append(f"rows {block[0].index + 1}-{block[1].index + 1}: repeated {count} times")
    return rows


def read_table(table: Table, kind: TableKind | None = None) -> list[TableDesign]:
    """Every design ``table`` describes; [] when it is not a design table."""
    kind = kind or classify(table)
    if not kind.design or table.n_rows == 0:
        return []
    grid = table.grid()
    if kind.major == "column":
        grid = [list(col) for col in zip(*grid, strict=True)]
    parsed = [[read_layer(text) is not None for text in row] for row in grid]
    start = next((r for r, row in enumerate(parsed) if any(row)), 0)
    body = len(grid) - start
    counts = [sum(parsed[r][c] for r in range(start, len(grid))) for c in range(len(grid[0]))]
    header = [" ".join(grid[r][c] for r in range(start) if grid[r][c]).strip() for c in range(len(grid[0]))]
    layer_cols = [c for c, n in enumerate(counts) if n >= max(3, 0.4 * body)]
    designs: list[TableDesign] = []
    if len(layer_cols) >= 2:
        for col in layer_cols:
            notes: list[str] = []
            rows = _rows_of_column(grid, col, start, notes)
            label = (grid[0][col] if start else "") or f"column {col + 1}"
            designs.append(_assemble(f"{table.label} {label}", rows, table, notes))
        return designs
    roles = _roles(header)
    type_col = max(range(len(counts)), key=lambda c: counts[c])
    notes = []
    rows = _single(grid, type_col, start, roles, notes)
    return [_assemble(table.label, rows, table, notes)]
