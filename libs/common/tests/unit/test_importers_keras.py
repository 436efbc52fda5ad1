"""Keras JSON of every generation, and .keras files: the same graph Keras itself would build."""

from __future__ import annotations

import json
import os
import zipfile
from pathlib import Path

import pytest
from dlp2c.common.errors import ModelImportError, UnsupportedError
from dlp2c.common.importers import load_model
from dlp2c.common.importers.keras import import_keras
from dlp2c.common.inference import infer

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
keras = pytest.importorskip("keras")


def _functional() -> keras.Model:
    x = keras.Input((32, 32, 3), name="image")
    a = keras.layers.Conv2D(8, 3, padding="same", activation="relu", name="a")(x)
    b = keras.layers.Conv2D(8, 1, name="b")(x)
    s = keras.layers.Add(name="sum")([a, b])
    inner = keras.Sequential([keras.Input((16, 16, 8)), keras.layers.Conv2D(4, 3), keras.layers.BatchNormalization()],
                             name="block")
    y = inner(keras.layers.MaxPooling2D(name="pool")(s))
    c = keras.layers.Concatenate(name="cat")([keras.layers.GlobalAveragePooling2D()(y),
                                              keras.layers.GlobalMaxPooling2D()(s)])
    return keras.Model(x, keras.layers.Dense(10, activation="softmax", name="out")(c))


def test_keras3_functional_with_a_nested_model_matches_keras() -> None:
    model = _functional()
    graph = import_keras(json.loads(model.to_json()))
    result = infer(graph)
    assert result.total_params == model.count_params()
    assert result.outputs()[0].output.shape == tuple(model.output_shape[1:])
    assert "block/conv2d" in {n.name.rsplit("_", 1)[0] for n in graph.nodes if n.name}
    cat = next(n for n in graph.nodes if n.name == "cat")
    assert graph.node(graph.inputs_of()[cat.id][0]).op == "GlobalAveragePooling2D"


def test_dot_keras_archive(tmp_path: Path) -> None:
    model = _functional()
    path = tmp_path / "m.keras"
    model.save(path)
    graph = load_model(path)
    assert infer(graph).total_params == model.count_params()


def test_keras1_sequential_with_old_names_and_a_lambda_whose_code_is_never_run() -> None:
    evil = "import os; os.system('touch /tmp/pwned')"
    model = {"class_name": "Sequential", "keras_version": "1.2.1", "config": [
        {"class_name": "Lambda", "config": {"name": "norm", "function": [evil, None, None], "function_type": "lambda",
                                            "output_shape": None, "batch_input_shape": [None, 66, 200, 3]}},
        {"class_name": "Convolution2D", "config": {"name": "c1", "nb_filter": 24, "nb_row": 5, "nb_col": 5,
                                                   "subsample": [2, 2], "border_mode": "valid", "bias": True,
                                                   "activation": "relu", "dim_ordering": "tf"}},
        {"class_name": "Flatten", "config": {"name": "flat"}},
        {"class_name": "Dropout", "config": {"name": "drop", "p": 0.5}},
        {"class_name": "Dense", "config": {"name": "out", "output_dim": 1}},
    ]}
    graph = import_keras(model)
    assert [n.op for n in graph.nodes] == ["Input", "Lambda", "Conv2D", "Flatten", "Dropout", "Dense"]
    assert evil not in json.dumps(graph.to_json())
    result = infer(graph)
    assert result.output(graph.nodes[2].id).shape == (31, 98, 24)
    assert result.total_params == 5 * 5 * 3 * 24 + 24 + 31 * 98 * 24 + 1


def test_keras2_channels_first_input_becomes_channels_last() -> None:
    model = {"class_name": "Sequential", "keras_version": "2.2.4", "config": {"name": "cf", "layers": [
        {"class_name": "Conv2D", "config": {"name": "c", "filters": 4, "kernel_size": [3, 3], "padding": "same",
                                            "data_format": "channels_first", "batch_input_shape": [None, 3, 10, 12]}},
        {"class_name": "BatchNormalization", "config": {"name": "bn", "axis": 1}},
    ]}}
    graph = import_keras(model)
    result = infer(graph)
    assert result.outputs()[0].output.shape == (10, 12, 4)
    assert result.total_params == 3 * 3 * 3 * 4 + 4 + 4 * 4


def test_custom_layer_is_named() -> None:
    model = {"class_name": "Sequential", "keras_version": "2.3.1", "config": {"layers": [
        {"class_name": "Dense", "config": {"name": "d", "units": 3, "batch_input_shape": [None, 4]}},
        {"class_name": "ClusteringLayer", "config": {"name": "clustering", "n_clusters": 10}},
    ]}}
    with pytest.raises(UnsupportedError, match="'ClusteringLayer' is not supported"):
        import_keras(model)


def test_not_a_keras_file(tmp_path: Path) -> None:
    path = tmp_path / "m.keras"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("other.txt", "x")
    with pytest.raises(ModelImportError, match=r"must contain config\.json"):
        load_model(path)
