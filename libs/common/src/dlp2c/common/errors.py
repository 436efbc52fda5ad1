"""Errors a person can act on: each names what is wrong, where, and (when one exists) the fix.

Every error raised for bad input derives from :class:`Dlp2cError`, carries a stable machine code
(for the REST API and the CLI's ``--json`` output) and is never a bare traceback for the user.
"""

from __future__ import annotations

from typing import Any


class Dlp2cError(Exception):
    """Base class: ``message`` says what, ``where`` says where, ``hint`` says how to fix it."""

    code = "error"
    transient = False  # True: the same input may succeed later (a server that was down); workers retry it

    def __init__(self, message: str, where: str = "", hint: str = "", *, code: str | None = None,
                 **details: Any) -> None:
        super().__init__(message)
        self.message = message
        self.where = where
        self.hint = hint
        self.details = details
        if code is not None:
            self.code = code

    def __str__(self) -> str:
        text = f"{self.where}: {self.message}" if self.where else self.message
        if self.hint:
            text += f" (fix: {self.hint})"
        return text

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.where:
            out["where"] = self.where
        if self.hint:
            out["hint"] = self.hint
        if self.details:
            out["details"] = self.details
        return out


class SchemaError(Dlp2cError):
    """The graph JSON does not have the documented shape (a missing, unknown or mistyped field)."""

    code = "invalid_schema"


class UnknownOpError(Dlp2cError):
    """An op that the catalog does not know."""

    code = "unknown_op"


class GraphError(Dlp2cError):
    """The graph's wiring cannot run: a cycle, a dangling edge, a node with the wrong number of inputs."""

    code = "invalid_graph"


class ShapeError(Dlp2cError):
    """Shapes do not fit: the node cannot take the tensors that reach it."""

    code = "shape_mismatch"


class ModelImportError(Dlp2cError):
    """A model file (Keras JSON, prototxt, ONNX) that cannot be turned into a graph."""

    code = "import_failed"


class UnsupportedError(Dlp2cError):
    """Something we recognise but do not support yet: a layer, a field, a file format."""

    code = "unsupported"
