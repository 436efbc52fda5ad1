"""The issue's check: `dlp2c simulate -n 1000` gives a valid dataset whose graphs all validate and whose
Keras JSON and prototxt import back to the same design."""

import json
from collections import Counter
from pathlib import Path

import pytest
from click.testing import CliRunner
from dlp2c.cli.main import cli
from dlp2c.common.design import differences
from dlp2c.common.graph import Graph
from dlp2c.common.importers import load_model
from dlp2c.common.inference import infer
from dlp2c.simulator.dataset import model_key

pytestmark = pytest.mark.slow


def test_a_thousand_models_validate_and_import_back(tmp_path: Path) -> None:
    out = tmp_path / "sim"
    result = CliRunner().invoke(cli, ["simulate", "-n", "1000", "--seed", "1000", "-j", "2", "-o", str(out)])
    assert result.exit_code == 0, result.output
    card = json.loads((out / "card.json").read_text())
    assert card["models"] == 1000 and card["failed"] == []
    outcome: Counter[str] = Counter()
    for index in range(1000):
        folder = out / model_key(index)
        truth = Graph.loads((folder / "graph.json").read_text())
        infer(truth)
        assert differences(truth, load_model(folder / "keras.json")) == [], folder
        outcome["keras"] += 1
        if (folder / "deploy.prototxt").is_file():
            assert differences(truth, load_model(folder / "deploy.prototxt")) == [], folder
            outcome["caffe"] += 1
        else:  # the one kind of model Caffe cannot take from our target, and its meta says so
            assert any(n.op == "SimpleRNN" for n in truth.nodes), folder
            assert "SimpleRNN" in json.loads((folder / "meta.json").read_text())["caffe"]["unsupported"]
            outcome["no_caffe"] += 1
    assert outcome["keras"] == 1000 and outcome["caffe"] + outcome["no_caffe"] == 1000
    assert outcome["caffe"] >= 700  # LSTM models included; a SimpleRNN keeps about a fifth out
