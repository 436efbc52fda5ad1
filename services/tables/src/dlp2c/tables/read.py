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
from dlp2c.tables.cells import (
    INDEXED,
    STRIDE_SUFFIX,
    LayerCell,
    dims,
    names_layers,
    read_block,
    read_layer,
    read_sequence,
    read_spec,
    repeat_of,
)
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
LEFT_OUT_SAYS = " is not a layer in the catalog; left out"
LEFT_OUT = re.compile(r"^row \d+: '(?P<text>.*)'" + re.escape(LEFT_OUT_SAYS) + "$")
# `g = 1`, `g = 2`, ... under one header: the same parameter for each configuration (ShuffleNet's groups).
CONFIG = re.compile(r"^\s*(?P<var>[A-Za-z][\w.-]*)\s*=\s*(?P<val>[\w.]+)\s*$")
CONV = {"Conv2D", "DepthwiseConv2D", "SeparableConv2D", "Conv2DTranspose"}
POOL = {"MaxPooling2D", "AveragePooling2D"}
FLAT = {"Dense", "Flatten", "GlobalAveragePooling2D", "GlobalMaxPooling2D"}


@dataclass
class TableDesign:
    name: str
    graph: Graph | None
    notes: list[str] = field(default_factory=list)
    error: str = ""

    @property
    def left_out(self) -> list[str]:
        """The cells naming something the catalog lacks (ShuffleNet's `Stage2`): what the graph is missing."""
        return [m.group("text") for n in self.notes if (m := LEFT_OUT.match(n))]

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name, "graph": self.graph.to_json() if self.graph is not None else None,
                "notes": self.notes, "error": self.error, "left_out": self.left_out}


@dataclass
class _Row:
    index: int
    layer: LayerCell
    params: dict[str, Any] = field(default_factory=dict)
    output: tuple[int, ...] | None = None
    input: tuple[int, ...] | None = None
    where: str = ""
    notes: list[str] = field(default_factory=list)
    block: int = -1  # the grid row of the bracketed block this layer belongs to (-1: none)
    rep: int = 0  # which repetition of its block
    opens: bool = False  # the first layer of a repetition: the shortcut starts before it


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
    if role == "spec":
        params = read_spec(op, text)
        if params is None:
            row.notes.append(f"{row.where}: {text.strip()[:40]!r} gives no parameters a {op} takes; left out")
        else:
            row.params.update(params)
    elif role == "kernel":
        stride = STRIDE_SUFFIX.search(text)
        if stride and (op in CONV or op in POOL):
            row.params["strides"] = int(stride.group("s"))
        if op in POOL and re.search(r"\bglobal\b", text, re.IGNORECASE):
            row.layer.op = f"Global{op}"  # `Avgpool` with the size `Global`
        elif op == "Dense" and len(numbers) == 2:
            row.params["units"] = numbers[1]
        elif op == "Dense" and len(single) == 1:
            row.params["units"] = single[0]
        elif op in CONV and numbers:
            row.params["kernel_size"] = numbers[:2] if len(numbers) >= 2 else numbers[0]
            if len(numbers) == 4 and op != "DepthwiseConv2D":
                row.params["filters"] = numbers[3]
        elif op in POOL and (numbers or single):
            row.params["pool_size"] = (numbers or single)[:2]
        elif op in CONV and single:
            row.params["kernel_size"] = single[0]
    elif role == "filters" and len(single) == 1:
        if op == "Input":
            row.params["channels"] = single[0]
        elif op == "Dense":
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
        if after is None and row.layer.op in POOL and i + 1 < len(rows) and rows[i + 1].opens:
            # ResNet's `3x3 max pool, stride 2` shares its size with the next block (whose first layer keeps it)
            after = next((r.output for r in reversed(rows) if r.block == rows[i + 1].block and r.output), None)
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
        valid = (before[0] - window) // implied + 1 if window else after[0]
        if row.layer.op in POOL and "padding" not in row.params and valid != after[0]:
            row.params["padding"] = "same"  # 112 -> 56 through a 3x3 window at stride 2 needs padding
            notes.append(f"{row.where}: the printed sizes ({before[0]} -> {after[0]}) need 'same' padding")


def _assemble(name: str, rows: list[_Row], table: Table, notes: list[str]) -> TableDesign:
    _reconcile_strides(rows, notes)
    graph = Graph(name=re.sub(r"[^A-Za-z0-9_-]+", "_", name).strip("_") or "table")
    shape: tuple[int, ...] | None = None
    for row in rows[:2]:
        if row.layer.op == "Input":
            shape = row.layer.shape or row.output
            if shape and len(shape) == 2:
                shape = (*shape, row.params.get("channels", 3))
                if "channels" not in row.params:
                    notes.append(f"{row.where}: the input's channels are not given: 3 assumed")
        shape = shape or row.input
        if shape:
            break
    first = next((row for row in rows if row.layer.op != "Input"), None)
    if shape is None and first is not None and first.output and len(first.output) >= 2:
        stride = first.params.get("strides", 1)
        stride = stride[0] if isinstance(stride, list | tuple) else stride
        shape = (first.output[0] * stride, first.output[1] * stride, 3)
        notes.append(f"input {shape[0]}x{shape[1]} from {first.where}'s output size and stride; 3 channels assumed")
    if shape is None or len(shape) != 3:
        shape = DEFAULT_INPUT
        notes.append(f"the table gives no input size: {'x'.join(map(str, DEFAULT_INPUT))} assumed")
    prev = anchor = graph.add("Input", {"shape": list(shape)}, id="input")
    rank = 3
    padded = False
    made: list[tuple[_Row, str]] = []  # each row with the last node it made, for the size check below
    for i, row in enumerate(rows):
        op = row.layer.op
        if op == "Input":
            continue
        params = dict(row.params)
        said = next((r.output for r in rows if r.index == row.index and r.output), None)  # its grid row's size
        if op in POOL and "pool_size" not in params and said and tuple(said[:2]) == (1, 1):
            op = f"Global{op}"  # ResNet's `average pool` with no window, to an output of 1x1
            params.pop("strides", None)
            notes.append(f"{row.where}: a pooling with no window to a 1x1 output read as global pooling")
        if row.opens:
            anchor = prev
            if row.rep == 0 and "strides" not in params and op in CONV | POOL:
                stride = _block_stride(graph, prev, rows, i)
                if stride > 1:
                    params["strides"] = stride
                    notes.append(f"{row.where}: stride {stride} from the output size the table prints for the block")
        if op == "Add" and row.block >= 0:
            anchor = _projection(graph, prev, anchor, row, table, notes)
        if op in CONV and "padding" not in params:
            params["padding"] = "same"
            padded = True
        if op == "Dense" and rank == 3:
            prev = graph.add("Flatten", inputs=[prev], id=graph.unique_id("flatten"))
            notes.append(f"Flatten inserted before the first dense layer ({row.where})")
            rank = 1
        provenance = Provenance("table", f"{table.label}: {row.where}: {row.layer.text.strip()[:80]}", table.page)
        for k in range(row.layer.repeat):
            inputs = [prev, anchor] if op == "Add" else [prev]
            if op == "Add" and anchor == prev:
                return TableDesign(name, None, notes, f"{row.where}: a residual sum with no block before it")
            try:
                prev = graph.add(op, params, inputs=inputs, id=graph.unique_id(f"{op.lower()}_{row.index}"),
                                 provenance=provenance)
            except Dlp2cError as exc:
                return TableDesign(name, None, notes, f"{row.where}: {exc}")
            if k == 0 and row.layer.repeat > 1:
                notes.append(f"{row.where}: repeated {row.layer.repeat} times")
            if row.block < 0 and _boundary(row):
                anchor = prev  # the next residual block adds to this
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


def _shapes(graph: Graph, *nodes: str) -> list[tuple[int, ...] | None]:
    """The output shapes of ``nodes`` from one shape inference of the graph so far (None where it fails)."""
    try:
        inference = infer(graph)
    except Dlp2cError:
        return [None] * len(nodes)
    return [tuple(inference.output(node).shape) for node in nodes]


def _block_stride(graph: Graph, prev: str, rows: list[_Row], at: int) -> int:
    """The stride a block's first layer needs to reach the output size the table prints for the block."""
    said = next((r.output for r in reversed(rows) if r.block == rows[at].block and r.output), None)
    shape = _shapes(graph, prev)[0] if said else None
    if not said or not shape or len(shape) != 3 or not said[0] or shape[0] % said[0]:
        return 1
    return shape[0] // said[0]


def _projection(graph: Graph, prev: str, anchor: str, row: _Row, table: Table, notes: list[str]) -> str:
    """The shortcut's start: ``anchor``, or a 1x1 convolution of it where the block changed the shape."""
    out, into = _shapes(graph, prev, anchor)
    if not out or not into or out == into or len(out) != 3 or len(into) != 3 or not out[0] or into[0] % out[0]:
        return anchor
    notes.append(f"{row.where}: the block changes the shape ({'x'.join(map(str, into))} -> "
                 f"{'x'.join(map(str, out))}): a 1x1 projection on the shortcut")
    provenance = Provenance("table", f"{table.label}: {row.where}: projection shortcut", table.page)
    return graph.add("Conv2D", {"filters": out[2], "kernel_size": 1, "strides": into[0] // out[0], "padding": "same"},
                     inputs=[anchor], id=graph.unique_id(f"shortcut_{row.index}"), provenance=provenance)


def _cell_rows(r: int, text: str, notes: list[str]) -> list[_Row]:
    """Row ``r``'s layers from ``text``: one layer, a comma list, or a bracketed block expanded into
    residual blocks; an unreadable (non-empty) cell becomes a note."""
    if not text:
        return []
    layer = read_layer(text)
    if layer is not None:
        return [_Row(r, layer, dict(layer.params), where=f"row {r + 1}")]
    block = read_block(text)
    if block is not None:
        rows: list[_Row] = []
        for k in range(block.repeat):
            where = f"row {r + 1} (block {k + 1}/{block.repeat})"
            for j, cell in enumerate(block.layers):
                copy = LayerCell(cell.op, dict(cell.params), 1, None, cell.text)
                rows.append(_Row(r, copy, dict(copy.params), where=where, block=r, rep=k, opens=j == 0))
            rows.append(_Row(r, LayerCell("Add", {}, 1, None, "shortcut"), where=where, block=r, rep=k))
        notes.append(f"row {r + 1}: a bracketed block of {len(block.layers)} layers, {block.repeat} times, read as "
                     "residual blocks (identity shortcut, a 1x1 projection where the shape changes)")
        return rows
    sequence = read_sequence(", ".join(line.strip() for line in text.splitlines()))  # lines of one cell, in order
    if sequence is not None:
        return [_Row(r, cell, dict(cell.params), where=f"row {r + 1}") for cell in sequence]
    notes.append(f"row {r + 1}: '{text[:60]}'{LEFT_OUT_SAYS}")
    return []


def _rows_of_column(grid: list[list[str]], col: int, start: int, name_cols: list[int], notes: list[str],
                    output_col: int | None = None) -> list[_Row]:
    rows: list[_Row] = []
    for r in range(start, len(grid)):
        text = grid[r][col].strip()
        named = next((layer for c in name_cols if (layer := read_layer(grid[r][c])) is not None), None)
        params = read_spec(named.op, text) if named is not None and text and read_layer(text) is None else None
        if params is not None:  # `fc1` in a name column, `4096` under this configuration
            found = [_Row(r, named, {**named.params, **params}, where=f"row {r + 1}")]
        else:
            found = _cell_rows(r, text, notes)
        if found and output_col is not None and dims(grid[r][output_col]):
            found[-1].output = tuple(dims(grid[r][output_col]))
        rows.extend(found)
    return rows


def _names(grid: list[list[str]], col: int, start: int) -> bool:
    """Whether column ``col`` names layers (`conv1`, `pool2`, `fc 3`) rather than specifying them."""
    texts = [grid[r][col].strip() for r in range(start, len(grid)) if grid[r][col].strip()]
    layers = [(t, read_layer(t)) for t in texts]
    named = [t for t, layer in layers if layer is not None and not layer.params and INDEXED.match(t)]
    return len(named) >= 2 and len(named) >= 0.7 * sum(1 for _, layer in layers if layer is not None)


def _copy(row: _Row, where: str) -> _Row:
    layer = LayerCell(row.layer.op, row.layer.params, 1, row.layer.shape, row.layer.text)
    return _Row(row.index, layer, dict(row.params), row.output, row.input, where)


def _boundary(row: _Row) -> bool:
    """Where a residual block starts after: a downsampling layer or the previous residual sum."""
    stride = row.params.get("strides", 1)
    return row.layer.op == "Add" or max(stride if isinstance(stride, list | tuple) else [stride]) > 1


def _repeat_block(rows: list[_Row], at: int, count: int, notes: list[str]) -> bool:
    """Repeat the residual block holding ``rows[at]`` (YOLOv3's `8x` beside a bracketed block)."""
    end = next((j for j in range(at, len(rows)) if rows[j].layer.op == "Add" or (j > at and _boundary(rows[j]))), None)
    if end is None or rows[end].layer.op != "Add":
        return False
    begin = next((j + 1 for j in range(at - 1, -1, -1) if _boundary(rows[j])), 0)
    block = rows[begin:end + 1]
    rows[begin:end + 1] = [_copy(b, f"{b.where} (repeat {k + 1}/{count})") for k in range(count) for b in block]
    if count > 1:
        notes.append(f"rows {block[0].index + 1}-{block[-1].index + 1}: residual block repeated {count} times")
    return True


def _single(grid: list[list[str]], type_col: int, start: int, roles: dict[int, str], notes: list[str]) -> list[_Row]:
    rows: list[_Row] = []
    pending: list[tuple[int, int]] = []  # (repeat count, index in rows of the row above the marker)
    marks: list[tuple[int, int]] = []  # (repeat count, index in rows of the row it is printed beside)
    markers = [c for c in range(len(grid[0])) if c != type_col and c not in roles
               and (cells := [grid[r][c].strip() for r in range(start, len(grid)) if grid[r][c].strip()])
               and all(repeat_of(t) is not None for t in cells)]
    for r in range(start, len(grid)):
        text = grid[r][type_col].strip()
        others = [c for c in range(len(grid[r])) if c != type_col and grid[r][c].strip()]
        count = repeat_of(text)
        if count is not None and not others:
            pending.append((count, len(rows) - 1))
            continue
        found = _cell_rows(r, text, notes)
        if len(found) != 1:
            for col, role in roles.items():
                if found and role == "output" and col != type_col and grid[r][col].strip():
                    _apply(found[-1], role, grid[r][col])
            rows.extend(found)
            continue
        row = found[0]
        for col, role in roles.items():
            if col != type_col and grid[r][col].strip():
                _apply(row, role, grid[r][col])
        mark = next((repeat_of(grid[r][c]) for c in markers if grid[r][c].strip()), None)
        if mark is not None or row.layer.repeat > 1:
            marks.append((mark or row.layer.repeat, len(rows)))
        notes.extend(row.notes)
        rows.append(row)
    # A multiplier inside a residual block repeats the block; elsewhere, its own row.
    for count, at in reversed(marks):
        if _repeat_block(rows, at, count, notes):
            continue
        rows[at].layer.repeat = count
    # A lone multiplier between two rows repeats both (MobileNet's "5x" beside its dw/pw pair).
    for count, above in reversed(pending):
        if 0 <= above < len(rows) - 1:
            block = rows[above:above + 2]
            rows[above:above + 2] = [_copy(b, f"{b.where} (repeat {k + 1}/{count})")
                                     for k in range(count) for b in block]
            notes.append(f"rows {block[0].index + 1}-{block[1].index + 1}: repeated {count} times")
    return rows


def _configurations(grid: list[list[str]], start: int) -> list[int]:
    """Columns headed `g = 1`, `g = 2`, ... (the largest such set sharing one variable), else []."""
    if start == 0:
        return []
    by_var: dict[str, list[int]] = {}
    for col, text in enumerate(grid[start - 1]):
        m = CONFIG.match(text)
        if m:
            by_var.setdefault(m.group("var").lower(), []).append(col)
    return max(by_var.values(), key=len, default=[])


def read_table(table: Table, kind: TableKind | None = None) -> list[TableDesign]:
    """Every design ``table`` describes; [] when it is not a design table."""
    kind = kind or classify(table)
    if not kind.design or table.n_rows == 0:
        return []
    grid = table.grid()
    if kind.major == "column":
        grid = [list(col) for col in zip(*grid, strict=True)]
    parsed = [[names_layers(text) for text in row] for row in grid]
    start = next((r for r, row in enumerate(parsed) if any(row)), 0)
    body = len(grid) - start
    counts = [sum(parsed[r][c] for r in range(start, len(grid))) for c in range(len(grid[0]))]
    header = [" ".join(grid[r][c] for r in range(start) if grid[r][c]).strip() for c in range(len(grid[0]))]
    layer_cols = [c for c, n in enumerate(counts) if n >= max(3, 0.4 * body)]
    designs: list[TableDesign] = []
    name_cols = [c for c in range(len(grid[0])) if _names(grid, c, start)]
    if len([c for c in layer_cols if c not in name_cols]) >= 2:
        layer_cols = [c for c in layer_cols if c not in name_cols]  # ResNet's `conv2_x` beside five configurations
    beside = name_cols[0] + 1 if len(name_cols) == 1 else -1
    if beside in layer_cols and len(layer_cols) == 2 and counts[name_cols[0]] >= 0.7 * counts[beside]:
        # A column of layer names and, beside it, their filter sizes and numbers (PReLU's Table 1).
        notes = []
        type_col = name_cols[0]
        roles = {c: r for c, r in _roles(header).items() if c not in layer_cols}
        rows = _single(grid, type_col, start, {**roles, type_col + 1: "spec"}, notes)
        return [_assemble(table.label, rows, table, notes)]
    if len(layer_cols) >= 2:
        for col in layer_cols:
            notes = []
            output_col = next((c for c, r in _roles(header).items() if r == "output" and c not in layer_cols), None)
            rows = _rows_of_column(grid, col, start, [c for c in name_cols if c not in layer_cols], notes, output_col)
            label = (grid[0][col] if start else "") or f"column {col + 1}"
            designs.append(_assemble(f"{table.label} {label}", rows, table, notes))
        return designs
    type_col = max(range(len(counts)), key=lambda c: counts[c])
    configs = _configurations(grid, start)
    roles = _roles([h if c not in configs else "" for c, h in enumerate(header)])
    role = next((r for c in configs for r, pattern in ROLES if pattern.search(header[c])), None)
    if len(configs) >= 2 and role is not None:
        for col in configs:
            notes = []
            rows = _single(grid, type_col, start, {**roles, col: role}, notes)
            designs.append(_assemble(f"{table.label} {' '.join(grid[start - 1][col].split())}", rows, table, notes))
        return designs
    notes = []
    rows = _single(grid, type_col, start, roles, notes)
    return [_assemble(table.label, rows, table, notes)]
