"""Whole networks through every target: VGG16's 138,357,544 parameters in all four, and three models
whose outputs agree numerically across Keras, PyTorch, ONNX Runtime and Caffe."""

from pathlib import Path

import pytest
from dlp2c.codegen.generate import generate
from dlp2c.codegen.numerics import compare
from dlp2c.codegen.samples import random_graph
from dlp2c.codegen.verify import verify
from dlp2c.common.importers import load_model

pytestmark = pytest.mark.slow

LENET = Path(__file__).parents[4] / "libs/cli/src/dlp2c/cli/examples/lenet5.prototxt"


def keras_application(name: str, tmp_path: Path, **kwargs) -> Path:
    import keras

    model = getattr(keras.applications, name)(weights=None, **kwargs)
    path = tmp_path / f"{name}.json"
    path.write_text(model.to_json())
    return path


def test_vgg16_has_the_same_parameter_count_in_all_four_targets(tmp_path: Path, caffe_settings) -> None:
    graph = load_model(keras_application("VGG16", tmp_path))
    generated = generate(graph, ["all"])
    generated.write(tmp_path / "vgg16")
    checks = verify(generated, tmp_path / "vgg16", caffe_settings)
    assert {t: (c.ok, c.params) for t, c in checks.items()} == {
        t: (True, 138_357_544) for t in ("keras", "caffe", "pytorch", "onnx")}


def whole_models(tmp_path: Path) -> dict[str, object]:
    return {
        "lenet5-prototxt": load_model(LENET),
        "mobilenet-0.25": load_model(keras_application("MobileNet", tmp_path, alpha=0.25,
                                                       input_shape=(96, 96, 3), classes=10)),
        "random-branches": random_graph(seed=7, layers=24),
    }


def test_three_models_agree_numerically_in_every_target(tmp_path: Path, caffe_settings) -> None:
    designs, names = [], []
    for name, graph in whole_models(tmp_path).items():
        generated = generate(graph, ["all"])
        assert all(r.ok for r in generated.results.values()), {t: str(r.error) for t, r in generated.results.items()}
        generated.write(tmp_path / name)
        designs.append((generated.plan, tmp_path / name))
        names.append(name)
    results = compare(designs, ["pytorch", "onnx", "caffe"], caffe_settings)
    diffs = {(n, t): a.max_abs_diff if a.max_abs_diff is not None else a.error
             for n, r in zip(names, results, strict=True) for t, a in r.items() if t != "keras"}
    assert all(isinstance(d, float) and d <= 1e-4 for d in diffs.values()), diffs
    spreads = {n: r["keras"].spread for n, r in zip(names, results, strict=True)}
    assert all(s > 1e-3 for s in spreads.values()), spreads  # outputs depend on the input: not a vacuous match
