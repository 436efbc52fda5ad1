"""The catalog: every op by name, and the alias index that OCR and table reading match against."""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from dlp2c.common.catalog import convolution, core, merge, normalization, pooling, recurrent, reshaping
from dlp2c.common.catalog.notation import read_notation
from dlp2c.common.catalog.spec import OpSpec
from dlp2c.common.errors import UnknownOpError

_FAMILIES = (core, convolution, pooling, normalization, merge, reshaping, recurrent)


def normalize_alias(text: str) -> str:
    """Lower case, separators unified: 'Max-Pooling_2D' and 'max pooling 2d' compare equal."""
    text = text.strip().lower()
    text = re.sub(r"[\s_\-/]+", " ", text)
    return text.strip()


@dataclass(frozen=True)
class AliasMatch:
    op: str
    alias: str
    score: float  # 1.0 for an exact alias or notation, difflib's ratio for a fuzzy one
    params: dict[str, Any] = field(default_factory=dict)  # what a notation such as conv3-64 fixes


class Catalog:
    """Ops by name. Registering a name or alias twice is a programming error and raises."""

    def __init__(self) -> None:
        self._ops: dict[str, OpSpec] = {}
        self._aliases: dict[str, str] = {}

    def register(self, spec: OpSpec) -> None:
        if spec.name in self._ops:
            raise ValueError(f"op {spec.name!r} registered twice")
        self._ops[spec.name] = spec
        for alias in (spec.name, *spec.aliases):
            key = normalize_alias(alias)
            owner = self._aliases.get(key)
            if owner is not None and owner != spec.name:
                raise ValueError(f"alias {alias!r} of {spec.name} already belongs to {owner}")
            self._aliases[key] = spec.name

    def __contains__(self, name: object) -> bool:
        return name in self._ops

    def __iter__(self) -> Iterator[OpSpec]:
        return iter(self._ops.values())

    def __len__(self) -> int:
        return len(self._ops)

    def names(self) -> list[str]:
        return list(self._ops)

    def get(self, name: str, where: str = "") -> OpSpec:
        spec = self._ops.get(name)
        if spec is not None:
            return spec
        alias = self._aliases.get(normalize_alias(name)) if isinstance(name, str) else None
        hint = f"did you mean {alias!r}?" if alias else ""
        if not hint:
            close = difflib.get_close_matches(str(name), self.names(), n=1, cutoff=0.6)
            hint = f"did you mean {close[0]!r}?" if close else "see `dlp2c ops` for the supported ops"
        raise UnknownOpError(f"unknown op {name!r}", where, hint, op=name)

    def lookup(self, text: str, cutoff: float = 0.75) -> AliasMatch | None:
        """The op a piece of text names (OCR output, a table cell): exact alias, notation, then fuzzy."""
        key = normalize_alias(text)
        if key in self._aliases:
            return AliasMatch(self._aliases[key], key, 1.0)
        notation = read_notation(text)
        if notation is not None:
            op, params, example = notation
            return AliasMatch(op, example, 1.0, self._ops[op].check_params(params, text))
        close = difflib.get_close_matches(key, list(self._aliases), n=1, cutoff=cutoff)
        if not close:
            return None
        ratio = difflib.SequenceMatcher(None, key, close[0]).ratio()
        return AliasMatch(self._aliases[close[0]], close[0], ratio)


def _build() -> Catalog:
    catalog = Catalog()
    for family in _FAMILIES:
        for spec in family.OPS:
            catalog.register(spec)
    return catalog


CATALOG = _build()
