"""The published JSON Schema of the graph, generated from the catalog (one definition per op)."""

from __future__ import annotations

from typing import Any

from dlp2c.common.catalog import CATALOG
from dlp2c.common.graph import ID_PATTERN, MAX_NAME_LENGTH, SOURCES

SCHEMA_ID = "https://dlpaper2code.dev/schemas/dlp2c.graph.v1.json"


def _params_schema(op: str) -> dict[str, Any]:
    spec = CATALOG.get(op)
    return {
        "type": "object",
        "description": spec.doc,
        "properties": {p.name: p.json_schema() for p in spec.params},
        "required": [p.name for p in spec.params if p.required],
        "additionalProperties": False,
    }


def graph_schema() -> dict[str, Any]:
    ops = CATALOG.names()
    provenance = {
        "type": "object",
        "properties": {
            "source": {"enum": list(SOURCES)},
            "ref": {"type": "string"},
            "page": {"type": "integer", "minimum": 1},
            "bbox": {"type": "array", "items": {"type": "number"}, "minItems": 4, "maxItems": 4},
            "confidence": {"type": "number", "minimum": 0, "maximum": 1},
        },
        "required": ["source"],
        "additionalProperties": False,
    }
    node = {
        "type": "object",
        "properties": {
            "id": {"type": "string", "pattern": ID_PATTERN.pattern},
            "op": {"enum": ops},
            "name": {"type": "string", "maxLength": MAX_NAME_LENGTH},
            "params": {"type": "object"},
            "provenance": {"$ref": "#/$defs/Provenance"},
        },
        "required": ["id", "op"],
        "additionalProperties": False,
        "allOf": [
            {"if": {"properties": {"op": {"const": op}}},
             "then": {"properties": {"params": {"$ref": f"#/$defs/params/{op}"}}}}
            for op in ops
        ],
    }
    edge = {
        "type": "object",
        "properties": {
            "src": {"type": "string"},
            "dst": {"type": "string"},
            "dst_input": {"type": "integer", "minimum": 0},
            "provenance": {"$ref": "#/$defs/Provenance"},
        },
        "required": ["src", "dst"],
        "additionalProperties": False,
    }
    wrapped = {
        "type": "object",
        "properties": {"op": {"enum": ops}, "params": {"type": "object"}},
        "required": ["op"],
        "additionalProperties": False,
    }
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": SCHEMA_ID,
        "title": "DLPaper2Code abstract computational graph (dlp2c.graph.v1)",
        "description": "Generated from the layer catalog by `make schema`; do not edit by hand. Beyond this "
                       "schema, edges must name existing nodes and the graph must pass shape inference.",
        "type": "object",
        "properties": {
            "name": {"type": "string"},
            "nodes": {"type": "array", "items": {"$ref": "#/$defs/Node"}},
            "edges": {"type": "array", "items": {"$ref": "#/$defs/Edge"}},
        },
        "required": ["nodes", "edges"],
        "additionalProperties": False,
        "$defs": {
            "Node": node,
            "Edge": edge,
            "Provenance": provenance,
            "WrappedLayer": wrapped,
            "params": {op: _params_schema(op) for op in ops},
        },
    }
