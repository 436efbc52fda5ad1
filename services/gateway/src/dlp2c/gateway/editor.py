"""The editor's API: check a graph as it is edited (shape inference, the offending node and the reason),
regenerate its code through the codegen service (gRPC), import a model file into a graph.

No ``from __future__ import annotations``: FastAPI reads these annotations at runtime.
"""

import re
import tempfile
import threading
import time
from pathlib import Path
from typing import Annotated, Any

import grpc
from dlp2c.codegen.v1 import codegen_pb2, codegen_pb2_grpc
from dlp2c.common.catalog import CATALOG
from dlp2c.common.errors import Dlp2cError
from dlp2c.common.graph import Graph
from dlp2c.common.importers import load_model
from dlp2c.common.inference import infer
from dlp2c.common.proto_io import to_proto
from dlp2c.gateway.errors import ApiError
from dlp2c.gateway.settings import GatewaySettings
from fastapi import APIRouter, File, UploadFile
from pydantic import BaseModel, Field

TARGETS = {"keras": codegen_pb2.TARGET_KERAS, "caffe": codegen_pb2.TARGET_CAFFE,
           "pytorch": codegen_pb2.TARGET_PYTORCH, "onnx": codegen_pb2.TARGET_ONNX}
MAX_IMPORT_BYTES = 64 * 1024 * 1024
SUFFIXES = {".json", ".prototxt", ".pt", ".onnx", ".keras", ".h5"}


class Edited(BaseModel):
    graph: dict[str, Any]
    targets: list[str] = Field(default_factory=lambda: ["keras", "pytorch"], max_length=4)


def _check(raw: dict[str, Any]) -> tuple[Graph | None, dict[str, Any]]:
    """The graph and what shape inference says: each node's output shape, or the first error and its node."""
    try:
        graph = Graph.from_json(raw)
        result = infer(graph)
    except Dlp2cError as exc:
        node = exc.details.get("node")
        at = re.match(r"nodes\[(\d+)\]", exc.where or "")
        if node is None and at and int(at.group(1)) < len(raw.get("nodes", [])):
            node = raw["nodes"][int(at.group(1))].get("id")  # a parameter the node lacks or gets wrong
        return None, {"valid": False, "error": {"code": exc.code, "message": exc.message, "where": exc.where,
                                                "hint": exc.hint, "node": node}}
    shapes = {nid: list(info.output.shape) for nid, info in result.info.items()}
    params = {nid: info.params for nid, info in result.info.items()}
    return graph, {"valid": True, "params": result.total_params, "shapes": shapes, "node_params": params}


def editor_router(settings: GatewaySettings) -> APIRouter:
    router = APIRouter()
    lock = threading.Lock()
    stubs: dict[str, codegen_pb2_grpc.CodegenServiceStub] = {}

    def codegen() -> codegen_pb2_grpc.CodegenServiceStub:
        with lock:
            if "stub" not in stubs:
                stubs["stub"] = codegen_pb2_grpc.CodegenServiceStub(grpc.insecure_channel(settings.codegen_target))
            return stubs["stub"]

    @router.get("/v1/catalog", tags=["editor"])
    def catalog() -> dict[str, Any]:
        """Every layer the editor offers: family, inputs, and each parameter's type, default and range."""
        ops = []
        for spec in CATALOG:
            ops.append({"op": spec.name, "family": spec.family, "doc": spec.doc, "min_inputs": spec.min_inputs,
                        "max_inputs": spec.max_inputs,
                        "params": [{"name": q.name, "kind": q.kind.value, "required": q.required,
                                    "default": None if q.required else q.default, "min": q.min, "max": q.max,
                                    "choices": list(q.choices) if q.choices else None, "doc": q.doc}
                                   for q in spec.params]})
        return {"ops": ops}

    @router.post("/v1/editor/check", tags=["editor"])
    def check(body: Edited) -> dict[str, Any]:
        """Shape inference on an edited graph: every node's output shape, or the node that breaks it and why."""
        return _check(body.graph)[1]

    @router.post("/v1/editor/generate", tags=["editor"])
    def generate(body: Edited) -> dict[str, Any]:
        """Check the graph, then regenerate the asked targets' code through the codegen service."""
        unknown = [t for t in body.targets if t not in TARGETS]
        if unknown:
            raise ApiError(400, "bad_target", f"unknown targets {unknown}; use {', '.join(TARGETS)}")
        graph, report = _check(body.graph)
        if graph is None:
            return report
        started = time.perf_counter()
        try:
            reply = codegen().Generate(codegen_pb2.GenerateRequest(graph=to_proto(graph),
                                                                   targets=[TARGETS[t] for t in body.targets]),
                                       timeout=10)
        except grpc.RpcError as exc:
            if exc.code() == grpc.StatusCode.INVALID_ARGUMENT:
                return {"valid": False, "error": {"code": "codegen", "message": exc.details(), "node": None}}
            raise ApiError(503, "codegen_unavailable", f"the codegen service did not answer: {exc.code().name}",
                           settings.codegen_target, {"Retry-After": "2"}) from exc
        names = {value: name for name, value in TARGETS.items()}
        files: dict[str, dict[str, str]] = {}
        for item in reply.files:
            if item.path.endswith(".onnx"):
                continue  # binary; the design's zip has it
            files.setdefault(names[item.target], {})[item.path.split("/", 1)[1]] = item.content.decode(
                "utf-8", errors="replace")
        errors = {names[e.target]: e.message for e in reply.errors}
        return {**report, "files": files, "target_errors": errors,
                "codegen_ms": round((time.perf_counter() - started) * 1000, 2)}

    @router.post("/v1/editor/import", tags=["editor"])
    async def import_model(model: Annotated[UploadFile, File(description="Keras JSON, prototxt or ONNX")]
                           ) -> dict[str, Any]:
        """A model file to a graph the editor can open."""
        suffix = Path(model.filename or "").suffix.lower()
        if suffix not in SUFFIXES:
            raise ApiError(400, "bad_file", f"give a Keras .json, a Caffe .prototxt or an .onnx file, not {suffix!r}")
        data = await model.read(MAX_IMPORT_BYTES + 1)
        if len(data) > MAX_IMPORT_BYTES:
            raise ApiError(413, "too_large", f"model files are limited to {MAX_IMPORT_BYTES:,} bytes")
        with tempfile.TemporaryDirectory(prefix="dlp2c-import-") as tmp:
            path = Path(tmp) / f"model{suffix}"  # the user's file name never becomes a path
            path.write_bytes(data)
            try:
                graph = load_model(path)
            except Dlp2cError as exc:
                raise ApiError(400, exc.code, exc.message, exc.where) from exc
        return {"graph": graph.to_json(), **_check(graph.to_json())[1]}

    return router
