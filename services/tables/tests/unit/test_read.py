"""Design tables in, graphs out: configurations side by side, parameter columns, repeats, notes."""

from __future__ import annotations

from collections import Counter

from dlp2c.common.document import Box, Cell, Table
from dlp2c.common.inference import infer
from dlp2c.tables.kind import classify
from dlp2c.tables.read import read_table

B = Box(0, 0, 1, 1)


def _table(rows: list[list[str]], caption: str, spans: dict[int, str] | None = None) -> Table:
    """A table from rows of texts; ``spans`` maps a row to one text merged across every column."""
    width = max(len(r) for r in rows)
    cells = []
    for r, row in enumerate(rows):
        if spans and r in spans:
            cells.append(Cell(r, 0, spans[r], B, width - 1))
            continue
        cells.extend(Cell(r, c, text, B) for c, text in enumerate(row) if text)
    return Table("Table 1", caption, 3, B, len(rows), width, cells)


def _configs() -> Table:
    rows = [["A", "B"], ["", ""], ["conv3-64", "conv3-64"], ["", "conv3-64"], ["", ""],
            ["conv3-128", "conv3-128"], ["", ""], ["", ""], ["", ""]]
    spans = {1: "input (32 × 32 RGB image)", 4: "maxpool", 6: "maxpool", 7: "FC-10", 8: "soft-max"}
    return _table(rows, "Table 1: Network configurations (shown in columns).", spans)


def test_configurations_side_by_side() -> None:
    table = _configs()
    kind = classify(table)
    assert kind.design and kind.major == "row"
    designs = read_table(table, kind)
    assert [d.name for d in designs] == ["Table 1 A", "Table 1 B"]
    counts = [Counter(n.op for n in d.graph.nodes) for d in designs]
    assert counts[0]["Conv2D"] == 2 and counts[1]["Conv2D"] == 3
    assert all(c["MaxPooling2D"] == 2 and c["Dense"] == 1 and c["Flatten"] == 1 for c in counts)
    b = infer(designs[1].graph)
    assert b.total_params == (3 * 9 * 64 + 64) + (64 * 9 * 64 + 64) + (64 * 9 * 128 + 128) + (8 * 8 * 128 * 10 + 10)
    assert designs[0].graph.nodes[0].params["shape"] == [32, 32, 3]
    assert any("Flatten inserted" in n for n in designs[0].notes)
    assert all(n.provenance.source == "table" for n in designs[0].graph.nodes[1:] if n.op != "Flatten")


MOBILE = [
    ["Type / Stride", "Filter Shape", "Input Size"],
    ["Conv / s2", "3 × 3 × 3 × 32", "64 × 64 × 3"],
    ["Conv dw / s1", "3 × 3 × 32 dw", "32 × 32 × 32"],
    ["Conv / s1", "1 × 1 × 32 × 64", "32 × 32 × 32"],
    ["Conv dw / s2", "3 × 3 × 64 dw", "32 × 32 × 64"],
    ["5×", "", ""],
    ["Conv / s1", "1 × 1 × 64 × 64", "32 × 32 × 64"],  # the table's stride contradicts its sizes
    ["Avg Pool / s1", "Pool 32 × 32", "32 × 32 × 64"],
    ["FC / s1", "64 × 10", "1 × 1 × 64"],
    ["Softmax / s1", "Classifier", "1 × 1 × 10"],
]


def test_parameter_columns_repeat_and_stride_check() -> None:
    table = _table(MOBILE, "Table 1. Body architecture")
    kind = classify(table)
    assert kind.design and kind.major == "row"
    [design] = read_table(table, kind)
    assert design.error == "", design.error
    ops = Counter(n.op for n in design.graph.nodes)
    assert ops["DepthwiseConv2D"] == 1 + 5 and ops["Conv2D"] == 1 + 1 + 5
    first = design.graph.nodes[1]
    assert first.params["filters"] == 32 and first.params["strides"] in (2, [2, 2], (2, 2))
    assert any("stride 2 disagrees" in n for n in design.notes)
    info = infer(design.graph)
    assert info.outputs()[0].output.shape == (10,)


def test_results_table_is_not_a_design() -> None:
    rows = [["Method", "Top-1 error (%)", "Top-5 error (%)"], ["VGG", "24.4", "7.1"], ["GoogLeNet", "-", "7.9"],
            ["Ours", "21.2%", "5.7%"]]
    kind = classify(_table(rows, "Table 3: Comparison with the state of the art on ImageNet."))
    assert not kind.design
    assert read_table(_table(rows, "Table 3: results")) == []


def test_unknown_cells_are_reported_not_invented() -> None:
    table = _table([["x"], ["conv3-64"], ["conv3-64"], ["spp, {7, 3, 2, 1}"], ["FC-10"]], "Table 2: layers")
    [design] = read_table(table)
    assert any("'spp, {7, 3, 2, 1}' is not a layer" in n for n in design.notes)
    assert any("no input size" in n for n in design.notes)
    assert [n.op for n in design.graph.nodes] == ["Input", "Conv2D", "Conv2D", "Flatten", "Dense"]
