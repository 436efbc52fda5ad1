"""Python literals and calls for generated code, built only from checked values and identifiers."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any


def lit(value: Any) -> str:
    """A Python literal for a catalog-checked value (numbers, booleans, None, choice strings, lists)."""
    if isinstance(value, bool) or value is None or isinstance(value, int):
        return repr(value)
    if isinstance(value, float):
        if math.isinf(value):
            return 'float("inf")' if value > 0 else 'float("-inf")'
        return repr(value)
    if isinstance(value, str):
        return repr(value)  # repr of a str is always a complete, inert literal
    if isinstance(value, list | tuple):
        items = ", ".join(lit(v) for v in value)
        return f"({items},)" if len(value) == 1 else f"({items})"
    raise TypeError(f"no literal for {type(value).__name__}")


def call(fn: str, *args: Any, **kwargs: Any) -> str:
    """``fn(arg, ..., key=value, ...)`` with every value rendered by :func:`lit` (raw strings via Raw)."""
    parts = [_arg(a) for a in args] + [f"{k}={_arg(v)}" for k, v in kwargs.items()]
    return f"{fn}({', '.join(parts)})"


class Raw(str):
    """Code (an identifier or expression we built), passed through :func:`call` unquoted."""


def _arg(value: Any) -> str:
    return str(value) if isinstance(value, Raw) else lit(value)


def kwargs_except(params: Mapping[str, Any], *skip: str) -> dict[str, Any]:
    return {k: v for k, v in params.items() if k not in skip}
