"""Graph <-> protobuf (``dlp2c.graph.v1.Graph``), lossless for every op: the wire form of gRPC and Kafka.

Which ``ParamValue`` member carries a parameter follows its type in the catalog; unknown dimensions of a
shape (null in JSON) travel as -1.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from dlp2c.common.catalog import CATALOG, Kind, Param
from dlp2c.common.errors import SchemaError
from dlp2c.common.graph import SOURCES, Edge, Graph, Node, Provenance
from dlp2c.graph.v1 import graph_pb2 as pb

_SOURCE_ENUM = {name: index + 1 for index, name in enumerate(SOURCES)}
_SOURCE_NAME = {v: k for k, v in _SOURCE_ENUM.items()}


def _value_to_proto(param: Param, value: Any, out: pb.ParamValue) -> None:
    kind = param.kind
    if kind is Kind.LAYER:
        _params_to_proto(value["op"], value["params"], out.layer.params)
        out.layer.op = value["op"]
    elif isinstance(value, str):
        out.string_value = value
    elif isinstance(value, bool):
        out.bool_value = value
    elif isinstance(value, int) and kind in (Kind.INT, Kind.INTS, Kind.PADDING, Kind.SHAPE):
        out.int_value = value
    elif isinstance(value, int | float) and kind in (Kind.FLOAT, Kind.FLOATS):
        out.float_value = float(value)
    elif isinstance(value, list) and kind in (Kind.INTS, Kind.PADDING, Kind.SHAPE):
        out.int_list.values.extend(-1 if v is None else v for v in value)
        if kind is not Kind.SHAPE and -1 in out.int_list.values:
            raise SchemaError(f"parameter {param.name!r} cannot hold -1 on the wire")
    elif isinstance(value, list) and kind is Kind.FLOATS:
        out.float_list.values.extend(float(v) for v in value)
    elif isinstance(value, list) and kind is Kind.STRINGS:
        out.string_list.values.extend(value)
    else:
        raise SchemaError(f"parameter {param.name!r}: cannot encode {value!r} as {kind.value}")


def _value_from_proto(param: Param, value: pb.ParamValue) -> Any:
    which = value.WhichOneof("kind")
    if which is None:
        return None
    if which == "layer":
        return {"op": value.layer.op, "params": _params_from_proto(value.layer.op, value.layer.params)}
    if which == "int_list":
        values = list(value.int_list.values)
        return [None if v == -1 else v for v in values] if param.kind is Kind.SHAPE else values
    if which == "float_list":
        return list(value.float_list.values)
    if which == "string_list":
        return list(value.string_list.values)
    return getattr(value, which)


def _params_to_proto(op: str, params: Mapping[str, Any], out: Any) -> None:
    spec = CATALOG.get(op)
    for name, value in params.items():
        target = out[name]
        if value is not None:
            _value_to_proto(spec.param_index[name], value, target)


def _params_from_proto(op: str, params: Mapping[str, pb.ParamValue]) -> dict[str, Any]:
    spec = CATALOG.get(op)
    out: dict[str, Any] = {}
    for name in spec.param_index:  # catalog order, like JSON written by us
        if name in params:
            out[name] = _value_from_proto(spec.param_index[name], params[name])
    unknown = set(params) - set(spec.param_index)
    if unknown:
        raise SchemaError(f"{op} has no parameter(s) {sorted(unknown)}")
    return out


def _provenance_to_proto(p: Provenance | None, out: pb.Provenance) -> None:
    if p is None:
        return
    out.source = _SOURCE_ENUM[p.source]
    out.ref = p.ref
    if p.page is not None:
        out.page = p.page
    if p.bbox is not None:
        out.bbox.x, out.bbox.y, out.bbox.width, out.bbox.height = p.bbox
    if p.confidence is not None:
        out.confidence = p.confidence


def _provenance_from_proto(msg: Any, has: bool) -> Provenance | None:
    if not has:
        return None
    return Provenance(
        _SOURCE_NAME.get(msg.source, "user"), msg.ref,
        msg.page if msg.HasField("page") else None,
        (msg.bbox.x, msg.bbox.y, msg.bbox.width, msg.bbox.height) if msg.HasField("bbox") else None,
        msg.confidence if msg.HasField("confidence") else None,
    )


def to_proto(graph: Graph) -> pb.Graph:
    out = pb.Graph(name=graph.name)
    for node in graph.nodes:
        msg = out.nodes.add(id=node.id, op=node.op, name=node.name or "")
        _params_to_proto(node.op, node.params, msg.params)
        if node.provenance is not None:
            _provenance_to_proto(node.provenance, msg.provenance)
    for edge in graph.edges:
        msg = out.edges.add(src=edge.src, dst=edge.dst)
        if edge.dst_input is not None:
            msg.dst_input = edge.dst_input
        if edge.provenance is not None:
            _provenance_to_proto(edge.provenance, msg.provenance)
    return out


def from_proto(msg: pb.Graph) -> Graph:
    """Back to a Graph, through the same checks as JSON input."""
    nodes = []
    for n in msg.nodes:
        params = _params_from_proto(n.op, n.params) if n.op in CATALOG else {}
        provenance = _provenance_from_proto(n.provenance, n.HasField("provenance"))
        nodes.append(Node(n.id, n.op, params, n.name or None, provenance))
    edges = [Edge(e.src, e.dst, e.dst_input if e.HasField("dst_input") else None,
                  _provenance_from_proto(e.provenance, e.HasField("provenance"))) for e in msg.edges]
    return Graph.from_json(Graph(msg.name, nodes, edges).to_json())
