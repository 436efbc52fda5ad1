"""Real model definitions from ../shared/realdata: Caffe's own parameter counts, and clear refusals."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from dlp2c.common.errors import Dlp2cError, ModelImportError, UnsupportedError
from dlp2c.common.importers import load_model
from dlp2c.common.inference import infer

pytestmark = pytest.mark.realdata

# What Caffe itself reports (every blob, BatchNorm statistics included), from the foundation issue.
GROUNDTRUTH = Path(__file__).resolve().parents[4] / "tests" / "data" / "groundtruth" / "reference_models.json"
CAFFE_COUNTS: dict[str, int] = json.loads(GROUNDTRUTH.read_text())["caffe_param_counts"]


@pytest.mark.parametrize("rel", sorted(CAFFE_COUNTS))
def test_caffe_parameter_counts_equal_caffes(realdata: Path, rel: str) -> None:
    result = infer(load_model(realdata / "prototxt" / rel))
    assert result.total_params == CAFFE_COUNTS[rel]


def test_every_prototxt_imports_or_names_what_is_unsupported(realdata: Path) -> None:
    outcomes: dict[str, str] = {}
    for path in sorted((realdata / "prototxt").rglob("*.prototxt")):
        try:
            infer(load_model(path))
            outcomes[str(path.relative_to(realdata / "prototxt"))] = "ok"
        except (UnsupportedError, ModelImportError) as exc:
            assert "layer '" in str(exc), str(exc)  # the refusal names the layer (and its line)
            outcomes[str(path.relative_to(realdata / "prototxt"))] = exc.code
    assert sum(v == "ok" for v in outcomes.values()) >= 25, outcomes
    assert outcomes["senet/SE-ResNet-50.prototxt"] == "unsupported"  # the Axpy layer of a fork


def test_train_val_with_the_input_shape_given_matches_deploy(realdata: Path) -> None:
    net = realdata / "prototxt" / "bvlc_alexnet"
    train = infer(load_model(net / "train_val.prototxt", input_shapes={"data": [1, 3, 227, 227]}))
    assert train.total_params == infer(load_model(net / "deploy.prototxt")).total_params


def test_ceil_mode_dialect_of_caffe_forks(realdata: Path) -> None:
    densenet = infer(load_model(realdata / "prototxt" / "densenet" / "DenseNet_121.prototxt"))
    # Keras' DenseNet121 has 8,062,504; Caffe keeps one more scalar per BatchNorm (121 of them)
    assert densenet.total_params == 8_062_504 + 121
    assert densenet.outputs()[0].output.shape == (1, 1, 1000)


def test_keras_json_files_of_every_version(realdata: Path) -> None:
    found = {}
    for path in sorted((realdata / "keras").glob("*/model.json")):
        try:
            found[path.parent.name] = infer(load_model(path)).total_params
        except Dlp2cError as exc:
            found[path.parent.name] = exc.code
    assert found["keras_mobile_net"] == 4_253_864  # keras.applications.MobileNet().count_params()
    embedding, bilstm, dense = 47238 * 128, 2 * 4 * 256 * (128 + 256 + 1), 512 * 27 + 27
    assert found["biderectional_LSTM_pos_tag"] == embedding + bilstm + dense
    assert found["DEC-Keras"] == "unsupported"  # its custom ClusteringLayer
    assert sum(isinstance(v, int) for v in found.values()) == 7


def test_mxnet_symbol_is_refused_with_a_way_out(realdata: Path) -> None:
    with pytest.raises(UnsupportedError, match="MXNet symbol"):
        load_model(realdata / "keras" / "other_frameworks" / "mxnet" / "SqueezeNet.json")
