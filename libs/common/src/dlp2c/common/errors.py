"""Errors a person can act on: each names what is wrong, where, and (when one exists) the fix.

Every error raised for bad input derives from :class:`Dlp2cError`, carries a stable machine code
(for the REST API and the CLI's ``--json`` output) and is never a bare traceback for the user.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(eq=False)
class Dlp2cError(Exception):
    """Base class: ``message`` says what, ``where`` says where, ``hint`` says how to fix it."""

    message: str
    where: str = ""
    hint: str = ""
    code: str = "error"
    details: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        super().__init__(str(self))

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

    def __init__(self, message: str, where: str = "", hint: str = "", **details: Any) -> None:
        super().__init__(message, where, hint, "invalid_schema", details)


class UnknownOpError(Dlp2cError):
    """An op that the catalog does not know."""

    def __init__(self, message: str, where: str = "", hint: str = "", **details: Any) -> None:
        super().__init__(message, where, hint, "unknown_op", details)


class GraphError(Dlp2cError):
    """The graph's wiring cannot run: a cycle, a dangling edge, a node with the wrong number of inputs."""

    def __init__(self, message: str, where: str = "", hint: str = "", **details: Any) -> None:
        super().__init__(message, where, hint, "invalid_graph", details)


class ShapeError(Dlp2cError):
    """Shapes do not fit: the node cannot take the tensors that reach it."""

    def __init__(self, message: str, where: str = "", hint: str = "", **details: Any) -> None:
        super().__init__(message, where, hint, "shape_mismatch", details)


class ModelImportError(Dlp2cError):
    """A model file (Keras JSON, prototxt, ONNX) that cannot be turned into a graph."""

    def __init__(self, message: str, where: str = "", hint: str = "", **details: Any) -> None:
        super().__init__(message, where, hint, "import_failed", details)


class UnsupportedError(Dlp2cError):
    """Something we recognise but do not support yet: a layer, a field, a file format."""

    def __init__(self, message: str, where: str = "", hint: str = "", **details: Any) -> None:
        super().__init__(message, where, hint, "unsupported", details)
