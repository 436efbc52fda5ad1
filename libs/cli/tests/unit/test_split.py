"""`dlp2c split`: a paper in; figures, tables and the graphs its design tables describe out."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest
from click.testing import CliRunner
from dlp2c.cli.main import cli
from dlp2c.common.graph import Graph
from dlp2c.common.inference import infer
from dlp2c.splitter import sample


def _split(pdf: Path, out: Path) -> dict:
    result = CliRunner().invoke(cli, ["split", str(pdf), "-o", str(out)])
    assert result.exit_code == 0, result.output
    return json.loads((out / "manifest.json").read_text())


def _graph(out: Path, record: dict) -> Graph:
    return Graph.from_json(json.loads((out / record["graph"]).read_text()))


def test_sample_paper_to_a_valid_graph(tmp_path: Path) -> None:
    pdf = sample.write_sample(tmp_path / "tinynet.pdf")
    manifest = _split(pdf, tmp_path / "out")
    [table] = manifest["tables"]
    assert table["kind"]["design"] and table["kind"]["major"] == "row"
    [design] = table["designs"]
    graph = _graph(tmp_path / "out", design)
    assert [n.op for n in graph.nodes] == sample.FIGURE_LAYERS
    info = infer(graph)
    assert info.total_params == (3 * 9 * 16 + 16) + (16 * 9 * 32 + 32) + (8 * 8 * 32 * 10 + 10)
    assert (tmp_path / "out" / manifest["figures"][0]["image"]).is_file()


def test_bad_pdf_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "x.pdf"
    path.write_text("hello")
    result = CliRunner().invoke(cli, ["split", str(path), "-o", str(tmp_path / "out")])
    assert result.exit_code != 0
    assert "not a PDF" in result.output and "not_pdf" in result.output


@pytest.mark.realdata
def test_vgg_table_gives_six_configurations(realdata: Path, tmp_path: Path) -> None:
    manifest = _split(realdata / "papers" / "1409.1556.pdf", tmp_path)
    table = next(t for t in manifest["tables"] if t["label"] == "Table 1")
    names = [d["name"] for d in table["designs"]]
    assert names == [f"Table 1 {c}" for c in ("A", "A-LRN", "B", "C", "D", "E")]
    d = _graph(tmp_path, table["designs"][4])
    ops = Counter(n.op for n in d.nodes)
    assert ops["Conv2D"] == 13 and ops["Dense"] == 3
    widths = [n.params["filters"] for n in d.nodes if n.op == "Conv2D"]
    assert widths == [64] * 2 + [128] * 2 + [256] * 3 + [512] * 6
    assert [n.params["units"] for n in d.nodes if n.op == "Dense"] == [4096, 4096, 1000]
    assert infer(d).total_params == 138_357_544  # VGG-16
    assert not any(t["kind"]["design"] for t in manifest["tables"] if t["label"] != "Table 1")


@pytest.mark.realdata
def test_mobilenet_body_table(realdata: Path, tmp_path: Path) -> None:
    pdf = realdata / "papers" / "MobileNets Efficient Convolutional Neural Networks for Mobile Vision Applications.pdf"
    manifest = _split(pdf, tmp_path)
    table = next(t for t in manifest["tables"] if t["label"] == "Table 1")
    [design] = table["designs"]
    graph = _graph(tmp_path, design)
    ops = Counter(n.op for n in graph.nodes)
    assert ops["Conv2D"] == 14 and ops["DepthwiseConv2D"] == 13 and ops["Dense"] == 1
    assert infer(graph).outputs()[0].output.shape == (1000,)
    # The table's last "Conv dw / s2" contradicts its own sizes (7x7 in, 7x7 out): flagged, not followed.
    assert any("stride 2 disagrees" in note for note in design["notes"])


@pytest.mark.realdata
def test_shufflenet_table_one_design_per_group_count(realdata: Path, tmp_path: Path) -> None:
    pdf = realdata / "papers" / "ShuffleNet An Extremely Efficient Convolutional Neural Network for Mobile Devices.pdf"
    manifest = _split(pdf, tmp_path)
    table = next(t for t in manifest["tables"] if t["label"] == "Table 1")
    assert [d["name"] for d in table["designs"]] == [f"Table 1 g = {g}" for g in (1, 2, 3, 4, 8)]
    for design in table["designs"]:
        graph = _graph(tmp_path, design)
        assert [n.op for n in graph.nodes] == ["Input", "Conv2D", "MaxPooling2D", "GlobalAveragePooling2D", "Dense"]
        conv = graph.nodes[1]
        assert conv.params["filters"] == 24 and conv.params["strides"] == 2
        assert infer(graph).output(graph.nodes[2].id).shape == (56, 56, 24)  # as the table prints
        # The ShuffleNet units are drawn in the paper's Figure 2, not in the table: reported, not invented.
        assert design["left_out"] == ["Stage2", "Stage3", "Stage4", "Complexity"]


@pytest.mark.realdata
def test_yolov3_darknet53_table(realdata: Path, tmp_path: Path) -> None:
    manifest = _split(realdata / "papers" / "YOLOv3 An Incremental Improvement.pdf", tmp_path)
    table = next(t for t in manifest["tables"] if t["label"] == "Table 1")
    [design] = table["designs"]
    graph = _graph(tmp_path, design)
    ops = Counter(n.op for n in graph.nodes)
    assert ops["Conv2D"] == 52 and ops["Dense"] == 1 and ops["Add"] == 1 + 2 + 8 + 8 + 4  # Darknet-53
    info = infer(graph)
    assert graph.nodes[0].params["shape"] == [256, 256, 3]
    assert info.output(next(n.id for n in reversed(graph.nodes) if n.op == "Add")).shape == (8, 8, 1024)
    assert not design["left_out"] and not any("disagrees" in note for note in design["notes"])


@pytest.mark.realdata
def test_prelu_paper_tables(realdata: Path, tmp_path: Path) -> None:
    manifest = _split(realdata / "papers" / "1502.01852v1.pdf", tmp_path)
    tables = {t["label"]: t for t in manifest["tables"]}
    assert [label for label, t in tables.items() if t["kind"]["design"]] == ["Table 1", "Table 3"]
    [small] = tables["Table 1"]["designs"]  # names beside specs: the "small but deep 14-layer model"
    graph = _graph(tmp_path, small)
    ops = Counter(n.op for n in graph.nodes)
    assert ops["Conv2D"] + ops["Dense"] == 14 and ops["MaxPooling2D"] == 2
    assert small["left_out"] == ["spp"]  # spatial pyramid pooling is not in the catalog
    large = {d["name"]: _graph(tmp_path, d) for d in tables["Table 3"]["designs"]}
    assert list(large) == ["Table 3 VGG-19 [25]", "Table 3 model A", "Table 3 model B", "Table 3 model C"]
    assert infer(large["Table 3 VGG-19 [25]"]).total_params == 143_667_240  # VGG-19
    depth = {name: sum(n.op in ("Conv2D", "Dense") for n in g.nodes) for name, g in large.items()}
    assert depth == {"Table 3 VGG-19 [25]": 19, "Table 3 model A": 19, "Table 3 model B": 22, "Table 3 model C": 22}
