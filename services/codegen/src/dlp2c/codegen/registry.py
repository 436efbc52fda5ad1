"""Per target, one emitter per op (or op family), registered in one place.

Adding a layer means one emitter per target in that target's module, or an explicit
``unsupported(op, because=...)`` line: the coverage test walks the catalog and fails on any op
that has neither. A user who asks for an unsupported op gets the reason, never a traceback.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any, TypeVar

from dlp2c.codegen.plan import Step
from dlp2c.common.errors import UnsupportedError

E = TypeVar("E", bound=Callable[..., Any])


class EmitterRegistry:
    def __init__(self, target: str) -> None:
        self.target = target
        self._emitters: dict[str, Callable[..., Any]] = {}
        self._unsupported: dict[str, str] = {}

    def emits(self, *ops: str) -> Callable[[E], E]:
        def register(fn: E) -> E:
            for op in ops:
                self._claim(op)
                self._emitters[op] = fn
            return fn
        return register

    def unsupported(self, *ops: str, because: str) -> None:
        for op in ops:
            self._claim(op)
            self._unsupported[op] = because

    def _claim(self, op: str) -> None:
        if op in self._emitters or op in self._unsupported:
            raise ValueError(f"{self.target}: op {op!r} is registered twice")

    def get(self, step: Step) -> Callable[..., Any]:
        fn = self._emitters.get(step.op)
        if fn is None:
            reason = self._unsupported.get(step.op, "no emitter is registered for it")
            raise UnsupportedError(f"{step.op} is not supported in {self.target}: {reason}", f"layer {step.name!r}")
        return fn

    def covered(self, ops: Iterable[str]) -> list[str]:
        """The ops of ``ops`` with neither an emitter nor an 'unsupported because' entry."""
        return [op for op in ops if op not in self._emitters and op not in self._unsupported]

    def supports(self, op: str) -> bool:
        return op in self._emitters

    @property
    def reasons(self) -> dict[str, str]:
        return dict(self._unsupported)


def refuse(step: Step, target: str, reason: str, hint: str = "") -> UnsupportedError:
    """The error for a parameter setting a target cannot express (the op itself is supported)."""
    return UnsupportedError(f"{step.op} {reason} is not supported in {target}", f"layer {step.name!r}", hint)
