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


def test_residual_blocks_repeat_and_sum_their_input() -> None:
    """Darknet-53's form: `Residual` rows sum a block with its input; `2x` beside the block repeats it."""
    rows = [
        ["", "Type", "Filters", "Size", "Output"],
        ["", "Convolutional", "8", "3 × 3", "32 × 32"],
        ["", "Convolutional", "16", "3 × 3 / 2", "16 × 16"],
        ["", "Convolutional", "8", "1 × 1", ""],
        ["2×", "Convolutional", "16", "3 × 3", ""],
        ["", "Residual", "", "", "16 × 16"],
        ["", "Avgpool", "", "Global", ""],
        ["", "Connected", "", "10", ""],
        ["", "Softmax", "", "", ""],
    ]
    (design,) = read_table(_table(rows, "Table 1. A small Darknet."))
    assert not design.error
    ops = Counter(n.op for n in design.graph.nodes)
    assert ops == {"Input": 1, "Conv2D": 6, "Add": 2, "GlobalAveragePooling2D": 1, "Dense": 1, "Softmax": 1}
    assert design.graph.nodes[0].params["shape"] == [32, 32, 3]  # from the first row's output and stride
    adds = [n for n in design.graph.nodes if n.op == "Add"]
    down = next(n for n in design.graph.nodes if n.params.get("strides") == 2)
    sources = design.graph.inputs_of()
    assert down.id in sources[adds[0].id] and adds[0].id in sources[adds[1].id]
    block = 16 * 8 + 8 + 8 * 9 * 16 + 16
    assert infer(design.graph).total_params == (3 * 9 * 8 + 8) + (8 * 9 * 16 + 16) + 2 * block + (16 * 10 + 10)
    assert any("repeated 2 times" in n for n in design.notes)


def test_names_beside_their_specs() -> None:
    """PReLU's Table 1: a column of layer names (`conv2 1`, `fc 1`) and one of filter sizes and numbers."""
    rows = [
        ["", "layer", "coefficients"],
        ["conv1", "7×7, 16, /2", "0.681"],
        ["pool1", "3×3, /3", ""],
        ["conv2 1", "2×2, 32", "0.103"],
        ["conv2 2", "2×2, 32", "0.099"],
        ["fc 1", "64", "0.063"],
        ["fc 2", "10", ""],
    ]
    (design,) = read_table(_table(rows, "Table 1. A small model. The filter size and filter number of each layer."))
    assert not design.error
    convs = [n for n in design.graph.nodes if n.op == "Conv2D"]
    assert [(n.params["kernel_size"], n.params["filters"]) for n in convs] == [(7, 16), (2, 32), (2, 32)]
    assert convs[0].params["strides"] == 2
    pool = next(n for n in design.graph.nodes if n.op == "MaxPooling2D")
    assert pool.params["pool_size"] == 3 and pool.params["strides"] == 3
    assert [n.params["units"] for n in design.graph.nodes if n.op == "Dense"] == [64, 10]


def test_one_parameter_per_configuration() -> None:
    """ShuffleNet's form: one output-channel column per group count, `Stage` rows the catalog lacks."""
    rows = [
        ["Layer", "Output size", "KSize", "Stride", "Output channels", "Output channels"],
        ["", "", "", "", "g = 1", "g = 2"],
        ["Image", "64 × 64", "", "", "3", "3"],
        ["Conv1", "32 × 32", "3 × 3", "2", "24", "32"],
        ["MaxPool", "16 × 16", "3 × 3", "2", "", ""],
        ["Stage2", "8 × 8", "", "2", "144", "200"],
        ["GlobalPool", "1 × 1", "8 × 8", "", "", ""],
        ["FC", "", "", "", "10", "10"],
    ]
    designs = read_table(_table(rows, "Table 1. Network architecture: layer, output size, stride, channels."))
    assert [d.name for d in designs] == ["Table 1 g = 1", "Table 1 g = 2"]
    assert [next(n for n in d.graph.nodes if n.op == "Conv2D").params["filters"] for d in designs] == [24, 32]
    for design in designs:
        assert not design.error
        assert design.graph.nodes[0].params["shape"] == [64, 64, 3]
        pool = next(n for n in design.graph.nodes if n.op == "MaxPooling2D")
        assert pool.params["padding"] == "same"  # 32 -> 16 through a 3x3 window at stride 2
        assert design.left_out == ["Stage2"]


def test_configurations_with_names_in_their_own_column() -> None:
    """PReLU's Table 3: `fc 1` named in the first column, its width merged across the configurations."""
    rows = [
        ["input size", "A", "B"],
        ["", "3×3, 64", "3×3, 64"],
        ["32", "3×3, 64", "3×3, 64"],
        ["", "2×2 maxpool, /2", "2×2 maxpool, /2"],
        ["16", "", "3×3, 128"],
        ["fc 1", "100", "100"],
        ["fc 2", "10", "10"],
    ]
    designs = read_table(_table(rows, "Table 3. Architectures of models."))
    assert [Counter(n.op for n in d.graph.nodes)["Conv2D"] for d in designs] == [2, 3]
    assert all([n.params["units"] for n in d.graph.nodes if n.op == "Dense"] == [100, 10] for d in designs)


def test_bracketed_blocks_become_residual_blocks_with_projections() -> None:
    rows = [["layer name", "output size", "net"],
            ["conv1", "16×16", "3×3, 16, stride 2"],
            ["stage1", "16×16", "[1×1, 16; 3×3, 16; 1×1, 64] ×2"],
            ["stage2", "8×8", "[1×1, 32; 3×3, 32; 1×1, 128] ×2"],
            ["", "1×1", "average pool, 10-d fc, softmax"]]
    table = _table(rows, "Table 1: Architecture. Building blocks are shown in brackets.")
    [design] = read_table(table)
    assert not design.error, design.error
    graph, inference = design.graph, infer(design.graph)
    adds = [n for n in graph.nodes if n.op == "Add"]
    assert len(adds) == 4
    projections = [n for n in graph.nodes if n.id.startswith("shortcut")]
    # stage1's first block widens 16 -> 64 channels, stage2's first block halves the size and widens to 128
    assert [(n.params["filters"], n.params["strides"]) for n in projections] == [(64, 1), (128, 2)]
    # the blocks after the first add their own input (identity): the add's second input is the previous add
    inputs = graph.inputs_of()
    assert adds[0].id in inputs[adds[1].id] and adds[2].id in inputs[adds[3].id]
    first_of_stage2 = next(n for n in graph.nodes if n.op == "Conv2D" and n.params.get("filters") == 32)
    assert first_of_stage2.params.get("strides") == 2
    assert tuple(inference.output(adds[-1].id).shape) == (8, 8, 128)
    assert [n.op for n in graph.nodes[-3:]] == ["GlobalAveragePooling2D", "Dense", "Softmax"]
    assert any("residual blocks" in note for note in design.notes)
