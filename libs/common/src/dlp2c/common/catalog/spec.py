"""What an op is: its parameters (types, defaults, ranges), aliases, arity, shape rule, parameter count.

One :class:`OpSpec` per op, declared in the op-family modules beside this one and registered in
:mod:`dlp2c.common.catalog.registry`. Everything else (validation, the JSON Schema, proto
conversion, the simulator's grammar, OCR correction, code emitters) reads these specs.
"""

from __future__ import annotations

import difflib
import enum
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from dlp2c.common.errors import SchemaError, ShapeError

REQUIRED: Any = object()  # sentinel default: the parameter must be given


class Kind(enum.Enum):
    INT = "int"
    FLOAT = "float"
    BOOL = "bool"
    STRING = "string"
    INTS = "ints"  # fixed or free length list of ints; a scalar broadcasts to `length` items
    FLOATS = "floats"
    STRINGS = "strings"
    SHAPE = "shape"  # list of ints where null means "unknown" (a tensor shape without batch)
    PADDING = "padding"  # "valid" | "same" | "causal" | explicit ints (one per spatial dim)
    LAYER = "layer"  # a wrapped layer: {"op": ..., "params": {...}}


PADDING_MODES = ("valid", "same", "causal")


@dataclass(frozen=True)
class Param:
    name: str
    kind: Kind
    default: Any = None
    doc: str = ""
    min: float | None = None
    max: float | None = None
    choices: tuple[str, ...] | None = None
    length: int | None = None  # for INTS / FLOATS / PADDING: number of items
    nullable: bool = False  # the value may be JSON null (e.g. Dense.units is never null, noise_shape may be)

    @property
    def required(self) -> bool:
        return self.default is REQUIRED

    def check(self, value: Any, where: str) -> Any:
        """Return ``value`` if it fits this parameter (integral floats become ints), else raise."""
        if value is None:
            if self.nullable or (self.default is None and not self.required):
                return None
            raise SchemaError(f"parameter {self.name!r} may not be null", where)
        check = _CHECKS[self.kind]
        return check(self, value, where)

    def resolve(self, value: Any) -> Any:
        """The value shape inference works with: scalars broadcast, lists become tuples."""
        if value is None:
            return None
        if self.kind in (Kind.INTS, Kind.FLOATS, Kind.STRINGS, Kind.SHAPE):
            if isinstance(value, list | tuple):
                return tuple(value)
            return (value,) * (self.length or 1)
        if self.kind is Kind.PADDING and not isinstance(value, str):
            if isinstance(value, list | tuple):
                return tuple(value)
            return (value,) * (self.length or 1)
        return value

    def json_schema(self) -> dict[str, Any]:
        schema = _json_schema_for(self)
        if self.doc:
            schema["description"] = self.doc
        if self.default is not REQUIRED and self.default is not None:
            schema["default"] = list(self.default) if isinstance(self.default, tuple) else self.default
        if self.nullable or self.default is None:
            schema = {"anyOf": [schema, {"type": "null"}], **({"description": self.doc} if self.doc else {})}
        return schema


def _is_int(value: Any) -> bool:
    if isinstance(value, bool):
        return False
    if isinstance(value, int):
        return True
    return isinstance(value, float) and math.isfinite(value) and value.is_integer()


def _check_range(p: Param, value: float, where: str) -> None:
    if p.min is not None and value < p.min:
        raise SchemaError(f"parameter {p.name!r} is {value}, below its minimum {p.min:g}", where)
    if p.max is not None and value > p.max:
        raise SchemaError(f"parameter {p.name!r} is {value}, above its maximum {p.max:g}", where)


def _type_error(p: Param, value: Any, expected: str, where: str) -> SchemaError:
    return SchemaError(f"parameter {p.name!r} must be {expected}, got {value!r}", where)


def _check_int(p: Param, value: Any, where: str) -> int:
    if not _is_int(value):
        raise _type_error(p, value, "an integer", where)
    _check_range(p, int(value), where)
    return int(value)


def _check_float(p: Param, value: Any, where: str) -> float | int:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise _type_error(p, value, "a number", where)
    _check_range(p, value, where)
    return value


def _check_bool(p: Param, value: Any, where: str) -> bool:
    if not isinstance(value, bool):
        raise _type_error(p, value, "true or false", where)
    return value


def _check_string(p: Param, value: Any, where: str) -> str:
    if not isinstance(value, str):
        raise _type_error(p, value, "a string", where)
    if p.choices is not None and value not in p.choices:
        raise SchemaError(
            f"parameter {p.name!r} is {value!r}, not one of {', '.join(map(repr, p.choices))}",
            where,
            _suggest(value, p.choices),
        )
    return value


def _check_list(p: Param, value: Any, where: str, item: Callable[[Any], bool], what: str) -> Any:
    if not isinstance(value, list | tuple):
        if item(value) and p.length is not None:
            _check_items_range(p, [value], where)
            return int(value) if p.kind is Kind.INTS else value
        raise _type_error(p, value, f"a list of {what}", where)
    if p.length is not None and len(value) != p.length:
        raise SchemaError(
            f"parameter {p.name!r} needs {p.length} values, got {len(value)}: {list(value)!r}", where
        )
    for v in value:
        if not item(v):
            raise _type_error(p, list(value), f"a list of {what}", where)
    _check_items_range(p, value, where)
    if p.kind in (Kind.INTS, Kind.SHAPE):
        return [None if v is None else int(v) for v in value]
    return list(value)


def _check_items_range(p: Param, values: Sequence[Any], where: str) -> None:
    for v in values:
        if v is not None and not isinstance(v, str):
            _check_range(p, v, where)


def _check_ints(p: Param, value: Any, where: str) -> Any:
    return _check_list(p, value, where, _is_int, "integers")


def _check_floats(p: Param, value: Any, where: str) -> Any:
    return _check_list(
        p, value, where, lambda v: not isinstance(v, bool) and isinstance(v, int | float), "numbers"
    )


def _check_strings(p: Param, value: Any, where: str) -> Any:
    return _check_list(p, value, where, lambda v: isinstance(v, str), "strings")


def _check_shape(p: Param, value: Any, where: str) -> Any:
    shape = _check_list(p, value, where, lambda v: v is None or _is_int(v), "integers or nulls")
    if any(v is not None and v < 0 for v in shape):
        raise SchemaError(f"parameter {p.name!r} has a negative dimension: {shape!r}", where)
    return shape


def _check_padding(p: Param, value: Any, where: str) -> Any:
    if isinstance(value, str):
        if value not in PADDING_MODES:
            raise SchemaError(
                f"parameter {p.name!r} is {value!r}: use 'valid', 'same', 'causal' or explicit pixel counts",
                where,
                _suggest(value, PADDING_MODES),
            )
        return value
    padded = _check_list(p, value, where, _is_int, "integers")
    if any(v < 0 for v in ([padded] if isinstance(padded, int) else padded)):
        raise SchemaError(f"parameter {p.name!r} has negative padding: {value!r}", where)
    return padded


def _check_layer(p: Param, value: Any, where: str) -> Any:
    if not isinstance(value, Mapping) or set(value) - {"op", "params"} or "op" not in value:
        raise _type_error(p, value, 'an object {"op": ..., "params": {...}}', where)
    from dlp2c.common.catalog.registry import CATALOG  # wrapped layers are catalog ops too

    spec = CATALOG.get(value["op"], where=f"{where}.{p.name}")
    params = value.get("params", {})
    if not isinstance(params, Mapping):
        raise _type_error(p, value, "an object with a params object", where)
    return {"op": spec.name, "params": spec.check_params(params, f"{where}.{p.name}")}


_CHECKS: dict[Kind, Callable[[Param, Any, str], Any]] = {
    Kind.INT: _check_int,
    Kind.FLOAT: _check_float,
    Kind.BOOL: _check_bool,
    Kind.STRING: _check_string,
    Kind.INTS: _check_ints,
    Kind.FLOATS: _check_floats,
    Kind.STRINGS: _check_strings,
    Kind.SHAPE: _check_shape,
    Kind.PADDING: _check_padding,
    Kind.LAYER: _check_layer,
}


def _json_schema_for(p: Param) -> dict[str, Any]:
    def number(kind: str) -> dict[str, Any]:
        s: dict[str, Any] = {"type": kind}
        if p.min is not None:
            s["minimum"] = p.min
        if p.max is not None:
            s["maximum"] = p.max
        return s

    def array(items: dict[str, Any]) -> dict[str, Any]:
        s: dict[str, Any] = {"type": "array", "items": items}
        if p.length is not None:
            s["minItems"] = s["maxItems"] = p.length
        return s

    match p.kind:
        case Kind.INT:
            return number("integer")
        case Kind.FLOAT:
            return number("number")
        case Kind.BOOL:
            return {"type": "boolean"}
        case Kind.STRING:
            return {"type": "string", **({"enum": list(p.choices)} if p.choices else {})}
        case Kind.INTS:
            items = number("integer")
            return {"anyOf": [array(items), items]} if p.length else array(items)
        case Kind.FLOATS:
            return array(number("number"))
        case Kind.STRINGS:
            return array({"type": "string"})
        case Kind.SHAPE:
            return array({"type": ["integer", "null"], "minimum": 0})
        case Kind.PADDING:
            ints = {"type": "integer", "minimum": 0}
            return {"anyOf": [{"enum": list(PADDING_MODES)}, array(ints), ints]}
        case Kind.LAYER:
            return {"$ref": "#/$defs/WrappedLayer"}
    raise AssertionError(p.kind)


def _suggest(word: str, options: Sequence[str]) -> str:
    close = difflib.get_close_matches(word, list(options), n=1, cutoff=0.6)
    return f"did you mean {close[0]!r}?" if close else ""


@dataclass(frozen=True)
class TensorType:
    """A tensor without its batch dimension, channels last (Keras' convention). None = unknown size."""

    shape: tuple[int | None, ...]
    dtype: str = "float32"

    @property
    def rank(self) -> int:
        return len(self.shape)

    def __str__(self) -> str:
        dims = ", ".join("?" if d is None else str(d) for d in self.shape)
        suffix = "" if self.dtype == "float32" else f" {self.dtype}"
        return f"({dims}){suffix}"


InferFn = Callable[[Mapping[str, Any], Sequence[TensorType]], TensorType]
CountFn = Callable[[Mapping[str, Any], Sequence[TensorType], TensorType], int]


def _no_params(_p: Mapping[str, Any], _i: Sequence[TensorType], _o: TensorType) -> int:
    return 0


@dataclass(frozen=True)
class OpSpec:
    """One op of the catalog. ``infer`` raises :class:`~dlp2c.common.errors.ShapeError` with a fix."""

    name: str
    family: str
    doc: str
    params: tuple[Param, ...]
    infer: InferFn
    count: CountFn = _no_params
    aliases: tuple[str, ...] = ()
    min_inputs: int = 1
    max_inputs: int | None = 1
    ordered_inputs: bool = False  # the order of the inputs changes the result (Concatenate, Subtract)
    accepts_int: bool = False  # may take integer tensors (token ids); compute layers may not
    param_index: Mapping[str, Param] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "param_index", {p.name: p for p in self.params})

    def check_params(self, raw: Mapping[str, Any], where: str) -> dict[str, Any]:
        """Validate given params (unknown names, types, ranges); returns them as given, normalised."""
        out: dict[str, Any] = {}
        for key, value in raw.items():
            param = self.param_index.get(key)
            if param is None:
                raise SchemaError(
                    f"{self.name} has no parameter {key!r}; it takes "
                    + (", ".join(self.param_index) or "no parameters"),
                    f"{where}.params.{key}",
                    _suggest(key, list(self.param_index)),
                )
            out[key] = param.check(value, f"{where}.params.{key}")
        for param in self.params:
            if param.required and param.name not in out:
                raise SchemaError(f"{self.name} needs parameter {param.name!r}", where)
        return out

    def resolve(self, given: Mapping[str, Any]) -> dict[str, Any]:
        """All params with defaults filled in and scalars broadcast: what shape rules read."""
        return {
            p.name: p.resolve(given.get(p.name, p.default))
            for p in self.params
        }

    def output(self, params: Mapping[str, Any], inputs: Sequence[TensorType]) -> TensorType:
        """The shape rule, after the one check every compute layer shares: no integer token ids."""
        if not self.accepts_int:
            for t in inputs:
                if t.dtype.startswith("int"):
                    raise ShapeError(f"{self.name} cannot take integer ids {t}",
                                     hint="insert Embedding to turn token ids into vectors")
        return self.infer(params, inputs)

    def arity_text(self) -> str:
        if self.max_inputs == self.min_inputs:
            return f"exactly {self.min_inputs}"
        if self.max_inputs is None:
            return f"at least {self.min_inputs}"
        return f"{self.min_inputs} to {self.max_inputs}"
