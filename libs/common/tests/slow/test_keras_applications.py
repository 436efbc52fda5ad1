"""Done-when of the foundation: every keras.applications model, imported from model.to_json() by the CLI,
validates with exactly Keras' layer count, edge count, parameter count and output shape."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from click.testing import CliRunner
from dlp2c.cli.main import cli

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
keras = pytest.importorskip("keras")

GROUNDTRUTH = Path(__file__).resolve().parents[4] / "tests" / "data" / "groundtruth" / "reference_models.json"
MODELS: list[str] = json.loads(GROUNDTRUTH.read_text())["keras_applications"]


def _edges(model: keras.Model) -> int:
    """Tensors flowing into each layer, as Keras wires them."""
    total = 0
    for layer in model.layers:
        if isinstance(layer, keras.layers.InputLayer):
            continue
        inputs = layer.input
        total += len(inputs) if isinstance(inputs, list | tuple) else 1
    return total


@pytest.mark.slow
@pytest.mark.parametrize("name", MODELS)
def test_keras_application_imports_with_keras_counts(name: str, tmp_path: Path) -> None:
    model = getattr(keras.applications, name)(weights=None)
    source = tmp_path / f"{name}.json"
    source.write_text(model.to_json())
    graph = tmp_path / f"{name}.graph.json"
    runner = CliRunner()
    imported = runner.invoke(cli, ["import", str(source), "-o", str(graph)])
    assert imported.exit_code == 0, imported.output
    result = runner.invoke(cli, ["validate", str(graph), "--json"])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.output)
    assert summary["nodes"] == len(model.layers)
    assert summary["edges"] == _edges(model)
    assert summary["params"] == model.count_params()
    assert [o["shape"] for o in summary["outputs"]] == [list(model.output_shape[1:])]
