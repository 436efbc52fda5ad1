"""Existing model definitions in: Keras JSON / .keras, Caffe prototxt, ONNX; chosen by content."""

from __future__ import annotations

import json
import zipfile
from collections.abc import Mapping, Sequence
from pathlib import Path

from dlp2c.common.errors import ModelImportError, UnsupportedError
from dlp2c.common.graph import Graph

FORMATS = ("auto", "keras", "caffe", "onnx", "graph")
MAX_MODEL_BYTES = 512 * 1024 * 1024


def detect_format(path: Path) -> str:
    """Decide by extension first, then by a look at the content."""
    suffix = path.suffix.lower()
    if suffix == ".onnx":
        return "onnx"
    if suffix in (".prototxt", ".pbtxt") or path.name.endswith(".prototxt.txt"):
        return "caffe"
    if suffix in (".keras", ".h5", ".hdf5") or zipfile.is_zipfile(path):
        return "keras"
    head = path.open("rb").read(4096)
    if head.lstrip().startswith(b"{"):
        try:
            obj = json.loads(path.read_text(encoding="utf-8"))
        except (json.JSONDecodeError, UnicodeDecodeError):
            raise ModelImportError("looks like JSON but does not parse", str(path)) from None
        if isinstance(obj, Mapping) and "arg_nodes" in obj and "heads" in obj:
            raise UnsupportedError("this is an MXNet symbol file, which is not supported", str(path),
                                   "export the network to ONNX and import that")
        if isinstance(obj, Mapping) and "class_name" in obj:
            return "keras"
        if isinstance(obj, Mapping) and "nodes" in obj and "edges" in obj:
            return "graph"
        raise ModelImportError("JSON that is neither a Keras model nor a dlp2c graph", str(path))
    if b"layer" in head or b"input:" in head or b"name:" in head:
        return "caffe"
    raise ModelImportError("cannot tell the format of this file", str(path),
                           "use --format keras|caffe|onnx, or a .json/.keras/.prototxt/.onnx extension")


def load_model(path: str | Path, fmt: str = "auto",
               input_shapes: Mapping[str, Sequence[int]] | None = None) -> Graph:
    """Any supported model file as a graph (not yet shape-checked: see dlp2c.common.inference)."""
    path = Path(path)
    if not path.is_file():
        raise ModelImportError("no such file", str(path))
    if path.stat().st_size > MAX_MODEL_BYTES:
        raise ModelImportError(f"larger than {MAX_MODEL_BYTES >> 20} MiB", str(path))
    if fmt not in FORMATS:
        raise ModelImportError(f"unknown format {fmt!r}; use one of {', '.join(FORMATS)}")
    fmt = detect_format(path) if fmt == "auto" else fmt
    if fmt == "keras":
        from dlp2c.common.importers.keras import import_keras

        return import_keras(path)
    if fmt == "caffe":
        from dlp2c.common.importers.caffe import import_caffe

        return import_caffe(path, input_shapes=input_shapes)
    if fmt == "onnx":
        from dlp2c.common.importers.onnx import import_onnx

        return import_onnx(path)
    return Graph.load(path)
