"""The code generation targets, each a module with ``EMITTERS`` and ``render(plan) -> {file: content}``."""

from __future__ import annotations

from types import ModuleType

from dlp2c.codegen.targets import caffe, keras, onnx, pytorch

TARGETS: dict[str, ModuleType] = {"keras": keras, "caffe": caffe, "pytorch": pytorch, "onnx": onnx}
