"""`dlp2c extract` and `dlp2c evaluate`: a figure to its layers and edges, scored against the simulator's
truth (parsed from the drawing's own DOT)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from dlp2c.cli.evaluate import score_image, truth_from_dot
from dlp2c.cli.main import cli
from dlp2c.common.figure import FigureEdge, FigureGraph, FigureNode

KERAS3 = ('n0 [label=<<table><tr><td><b>input_layer</b> (InputLayer)</td></tr><tr><td>Output shape: '
          '<b>(None, 28, 28, 1)</b></td></tr></table>>, fontname=Helvetica];\n'
          'n1 [label=<<table><tr><td><b>conv2d</b> (Conv2D)</td></tr><tr><td>Input shape: <b>(None, 28, 28, 1)</b>'
          '</td><td>Output shape: <b>(None, 26, 26, 8)</b></td></tr></table>>];\n')
KERAS2 = ('n0 [label="concatenate: Concatenate|{input:|output:}|{{[(None, 8), (None, 4)]}|{(None, 12)}}"];\n'
          'n1 [label="dense: Dense"];\n')
CAFFE = ('l0 [label="conv1\\n(Convolution)\\nkernel size: 5\\nstride: 1\\npad: 2", shape=record];\n'
         'b0 [label="conv1", shape=octagon];\n'
         'l1 [label="pool1\\n(Pooling)\\npool MAX\\nkernel size: 2\\nstride: 2\\npad: 0", shape=record];\n')


def test_truth_is_read_exactly_from_each_look() -> None:
    keras3 = truth_from_dot(KERAS3)
    assert (keras3["n1"].type, keras3["n1"].output_shape) == ("Conv2D", (None, 26, 26, 8))
    assert keras3["n0"].output_shape == (None, 28, 28, 1)
    keras2 = truth_from_dot(KERAS2)
    assert (keras2["n0"].type, keras2["n0"].output_shape) == ("Concatenate", (None, 12))
    assert (keras2["n1"].type, keras2["n1"].output_shape) == ("Dense", None)
    caffe = truth_from_dot(CAFFE)
    assert caffe["b0"].kind == "blob"
    assert dict(caffe["l1"].params) == {"kernel_size": 2, "stride": 2, "pad": 0, "pool": "MAX"}


def _caffe_case() -> tuple[dict, dict]:
    entry = {"style": "caffe", "look": "caffe-lr", "nodes": [
        {"dot": "l0", "box": [0, 0, 10, 10]}, {"dot": "b0", "box": [20, 0, 30, 10]},
        {"dot": "l1", "box": [40, 0, 50, 10]}], "edges": [["l0", "b0"], ["b0", "l1"]]}
    return entry, truth_from_dot(CAFFE)


def _found(pool_type: str = "Pooling", edge: bool = True) -> FigureGraph:
    return FigureGraph(60, 10, "caffe", [
        FigureNode("x", "layer", (0, 0, 10, 10), type="Convolution", params={"kernel_size": 5, "stride": 1, "pad": 2}),
        FigureNode("y", "blob", (20, 0, 30, 10)),
        FigureNode("z", "layer", (40, 0, 50, 11), type=pool_type,
                   params={"kernel_size": 2, "stride": 2, "pad": 0, "pool": "MAX"}),
    ], [FigureEdge("x", "y"), FigureEdge("y", "z")] if edge else [FigureEdge("x", "y")])


def test_a_perfect_reading_scores_one_and_mistakes_cost() -> None:
    entry, truth = _caffe_case()
    perfect = score_image(_found(), entry, truth, "m0", 5)
    assert (perfect.layer_accuracy, perfect.edge_accuracy, perfect.edge_precision, perfect.exact) == (1, 1, 1, True)
    assert (perfect.shown_params, perfect.right_params) == (2, 2)
    wrong_type = score_image(_found("Scale"), entry, truth, "m0", 5)
    assert wrong_type.layer_accuracy == 0.5 and wrong_type.right_params == 1 and not wrong_type.exact
    no_edge = score_image(_found(edge=False), entry, truth, "m0", 5)
    assert (no_edge.edge_accuracy, no_edge.true_edges, no_edge.exact) == (0.0, 1, False)


@pytest.fixture(scope="module")
def dataset(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("sim")
    result = CliRunner().invoke(cli, ["simulate", "-n", "2", "--depth", "5", "--seed", "11", "-j", "1",
                                      "-o", str(root)])
    assert result.exit_code == 0, result.output
    return root


def test_extract_writes_the_graph_and_an_overlay(dataset: Path, tmp_path: Path) -> None:
    image = next(p for p in sorted(dataset.glob("models/*/*/keras.*")) if p.suffix in (".png", ".jpg"))
    result = CliRunner().invoke(cli, ["extract", str(image), "-o", str(tmp_path / "g.json"),
                                      "--overlay", str(tmp_path / "seen.png")])
    assert result.exit_code == 0, result.output
    graph = json.loads((tmp_path / "g.json").read_text())
    layers = [n for n in graph["nodes"] if n["kind"] == "layer"]
    assert len(layers) >= 5 and len(graph["edges"]) >= 4
    assert all(n["kind"] != "blob" for n in graph["nodes"])
    assert (tmp_path / "seen.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_extract_refuses_what_is_not_an_image(tmp_path: Path) -> None:
    (tmp_path / "x.png").write_text("not an image")
    result = CliRunner().invoke(cli, ["extract", str(tmp_path / "x.png")])
    assert result.exit_code == 2 and "not a readable image" in result.output
    result = CliRunner().invoke(cli, ["extract", str(tmp_path / "missing.png")])
    assert result.exit_code == 2 and "no such image file" in result.output


def test_evaluate_scores_every_drawing(dataset: Path, tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["evaluate", str(dataset), "-j", "1", "--json", str(tmp_path / "s.json"),
                                      "--plot", str(tmp_path / "fig6.png")])
    assert result.exit_code == 0, result.output
    scores = json.loads((tmp_path / "s.json").read_text())
    assert len(scores) >= 3 and {s["style"] for s in scores} >= {"caffe"}
    assert all(0 <= s["right_layers"] <= s["true_layers"] and 0 <= s["right_edges"] <= s["true_edges"]
               for s in scores)
    # a smoke floor (the accuracy itself is measured by `make bench`): the pipeline reads most layers
    assert sum(s["right_layers"] for s in scores) >= 0.5 * sum(s["true_layers"] for s in scores)
    assert (tmp_path / "fig6.png").stat().st_size > 1000
    assert "caffe" in result.output and "keras" in result.output  # the summary table


def test_evaluate_refuses_a_folder_without_drawings(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["evaluate", str(tmp_path)])
    assert result.exit_code == 2 and "no simulated" in result.output
