"""dlp2c generate: files per target, --verify per target, exit status 2 when a target fails."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from dlp2c.cli.main import cli
from dlp2c.common.graph import Graph

EXAMPLE = Path(__file__).parents[2] / "src/dlp2c/cli/examples/lenet5.prototxt"


def test_generate_writes_every_target_and_a_readme(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["generate", str(EXAMPLE), "-o", str(tmp_path / "out"), "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert report["params"] == 61_706
    assert {t: r["generated"] for t, r in report["targets"].items()} == dict.fromkeys(
        ("keras", "caffe", "pytorch", "onnx"), True)
    for rel in ("README.md", "graph.json", "keras/model.py", "pytorch/model.py", "onnx/model.onnx",
                "caffe/deploy.prototxt", "caffe/netspec.py"):
        assert (tmp_path / "out" / rel).is_file(), rel


@pytest.mark.slow
def test_verify_reports_built_shape_and_count_per_target(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["generate", str(EXAMPLE), "-o", str(tmp_path), "--verify", "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    for target in ("keras", "caffe", "pytorch", "onnx"):
        check = report["targets"][target]["verify"]
        assert (check["ok"], check["built"], check["outputs"], check["params"]) == (True, True, [[10]], 61_706)


def test_an_unsupported_layer_fails_verify_with_the_reason(tmp_path: Path) -> None:
    g = Graph("seq")
    x = g.add("Input", {"shape": [5, 3]})
    g.add("SimpleRNN", {"units": 4}, inputs=[x], name="encoder")
    (tmp_path / "g.json").write_text(g.dumps())
    result = CliRunner().invoke(cli, ["generate", str(tmp_path / "g.json"), "-t", "caffe", "-o", str(tmp_path / "o"),
                                      "--verify"])
    assert result.exit_code == 2
    assert "SimpleRNN is not supported in caffe" in result.output


def test_weights_are_converted_for_every_target(tmp_path: Path) -> None:
    g = Graph("mlp")
    x = g.add("Input", {"shape": [4]})
    g.add("Dense", {"units": 2}, inputs=[x], name="fc")
    (tmp_path / "g.json").write_text(g.dumps())
    kernel, bias = np.arange(8, dtype=np.float32).reshape(4, 2), np.array([1, 2], np.float32)
    np.savez(tmp_path / "w.npz", **{"fc/0": kernel, "fc/1": bias})
    result = CliRunner().invoke(cli, ["generate", str(tmp_path / "g.json"), "-o", str(tmp_path / "o"),
                                      "--weights", str(tmp_path / "w.npz")])
    assert result.exit_code == 0, result.output
    torch_weights = np.load(tmp_path / "o/pytorch/weights.npz")
    assert np.array_equal(torch_weights["fc.weight"], kernel.T)
    caffe_weights = np.load(tmp_path / "o/caffe/weights.npz")
    assert np.array_equal(caffe_weights["fc/0"], kernel.T) and np.array_equal(caffe_weights["fc/1"], bias)
    import onnx
    from onnx import numpy_helper

    inits = {i.name: numpy_helper.to_array(i) for i in onnx.load(tmp_path / "o/onnx/model.onnx").graph.initializer}
    assert np.array_equal(inits["fc.weight"], kernel.T)


def test_bad_weights_file_is_a_clear_error(tmp_path: Path) -> None:
    (tmp_path / "w.npz").write_text("not an npz")
    result = CliRunner().invoke(cli, ["generate", str(EXAMPLE), "-o", str(tmp_path / "o"),
                                      "--weights", str(tmp_path / "w.npz")])
    assert result.exit_code == 2 and "cannot read weights" in result.output
