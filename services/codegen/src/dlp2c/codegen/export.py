"""Trained Keras weights, converted and written beside the generated code of every target."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import onnx
from dlp2c.codegen.generate import Generated
from dlp2c.codegen.weights import convert
from dlp2c.common.errors import Dlp2cError, SchemaError
from onnx import numpy_helper


def load_keras_weights(path: Path) -> dict[str, np.ndarray]:
    try:
        with np.load(path) as data:
            return {k: data[k] for k in data.files}
    except (OSError, ValueError) as exc:
        raise SchemaError(f"cannot read weights: {exc}", str(path),
                          "give an .npz with one array per <layer>/<index>, as Keras' get_weights() lists them"
                          ) from None


def write_weights(generated: Generated, weights: Path, out_dir: Path) -> dict[str, Path]:
    """``<target>/weights.npz`` per target (ONNX: the weights go into model.onnx); returns what was written."""
    keras = load_keras_weights(weights)
    written: dict[str, Path] = {}
    for target, result in generated.results.items():
        if not result.ok:
            continue
        converted = convert(generated.plan, keras, target)
        if target == "onnx":
            path = out_dir / "onnx" / "model.onnx"
            model = onnx.load(path)
            for init in model.graph.initializer:
                if init.name in converted:
                    value = converted.pop(init.name)
                    if tuple(init.dims) != value.shape:
                        raise Dlp2cError(f"weights {value.shape} do not fit {tuple(init.dims)}", init.name)
                    init.CopyFrom(numpy_helper.from_array(value, init.name))
            onnx.save(model, path)
        else:
            path = out_dir / target / "weights.npz"
            np.savez(path, **converted)
        written[target] = path
    return written
