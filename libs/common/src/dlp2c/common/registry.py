"""A name -> function table filled by a decorator, that refuses a second entry for the same name.

Importers register one handler per foreign layer type, code generators one emitter per op: adding a
layer touches one function, and a clash is found at import time, not at run time.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Generic, TypeVar

F = TypeVar("F", bound=Callable[..., object])


class Registry(Generic[F]):
    def __init__(self, what: str) -> None:
        self.what = what
        self._entries: dict[str, F] = {}

    def register(self, *names: str) -> Callable[[F], F]:
        def add(fn: F) -> F:
            for name in names:
                if name in self._entries:
                    raise ValueError(f"{self.what} for {name!r} registered twice")
                self._entries[name] = fn
            return fn
        return add

    def get(self, name: str) -> F | None:
        return self._entries.get(name)

    def __contains__(self, name: object) -> bool:
        return name in self._entries

    def __iter__(self) -> Iterator[str]:
        return iter(self._entries)
