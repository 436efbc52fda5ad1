"""The codegen stage on the bus: every target's files and one zip stored, the finished design announced,
a redelivery doing nothing twice, a design too big for an ONNX file with random weights deferred."""

from __future__ import annotations

import zipfile
from io import BytesIO
from pathlib import Path

import pytest
from dlp2c.codegen.settings import CodegenSettings
from dlp2c.codegen.worker import CodegenStage
from dlp2c.common.bus import MemoryBus
from dlp2c.common.db import Database
from dlp2c.common.events import Topic, decode, new_event
from dlp2c.common.graph import Graph
from dlp2c.common.settings import InfraSettings
from dlp2c.common.storage import FileStorage
from dlp2c.common.worker import Context, Worker
from dlp2c.events.v1 import events_pb2 as pb

PAPER = "a" * 64


def _graph() -> Graph:
    graph = Graph("tiny")
    x = graph.add("Input", {"shape": [16]})
    x = graph.add("Dense", {"units": 8, "activation": "relu"}, inputs=[x], name="hidden")
    graph.add("Dense", {"units": 2}, inputs=[x], name="scores")
    return graph


@pytest.fixture
def ctx(tmp_path: Path) -> Context:
    db = Database(f"sqlite:///{tmp_path / 'db.sqlite'}")
    db.submit(PAPER, "k")
    return Context(FileStorage(tmp_path / "store"), db, InfraSettings())


def _send(ctx: Context, bus: MemoryBus) -> str:
    key = f"papers/{PAPER}/designs/d-1/graph.json"
    ctx.storage.put(key, _graph().dumps().encode())
    ident = ctx.db.add_design(PAPER, "table", "Table 1", "Table 1", key, 3)
    event = new_event(PAPER, "job", "trace", design_found=pb.DesignFound(design_id=ident, graph_key=key,
                                                                         source="table", ref="Table 1"))
    bus.publish(Topic.DESIGNS, PAPER, event.SerializeToString())
    return ident


def test_code_for_every_target_is_stored_and_announced(ctx: Context) -> None:
    bus = MemoryBus()
    ident = _send(ctx, bus)
    Worker(CodegenStage(CodegenSettings(verify_code=False)), ctx, bus).step(0)
    design = ctx.db.design(ident)
    assert design["status"] == "generated" and design["params"] == 16 * 8 + 8 + 8 * 2 + 2
    assert set(design["code_keys"]) == {"keras", "caffe", "pytorch", "onnx", "all"}
    with zipfile.ZipFile(BytesIO(ctx.storage.get(design["code_keys"]["all"]))) as archive:
        assert f"{ident}/keras/model.py" in archive.namelist()
    [finished] = [decode(m.value).design_finished for m in bus.messages(Topic.FINISHED)]
    assert finished.design_id == ident and finished.params == design["params"]
    stored = sorted(ctx.storage.list(f"papers/{PAPER}/"))
    bus.publish(Topic.DESIGNS, PAPER, bus.messages(Topic.DESIGNS)[0].value)  # redelivered
    Worker(CodegenStage(CodegenSettings(verify_code=False)), ctx, bus).step(0)
    assert sorted(ctx.storage.list(f"papers/{PAPER}/")) == stored and len(bus.messages(Topic.FINISHED)) == 2


def test_a_design_too_big_for_onnx_is_deferred_and_said_so(ctx: Context) -> None:
    bus = MemoryBus()
    ident = _send(ctx, bus)
    Worker(CodegenStage(CodegenSettings(verify_code=False, onnx_max_params=100)), ctx, bus).step(0)
    design = ctx.db.design(ident)
    assert design["status"] == "generated" and "onnx" not in design["code_keys"]
    assert design["failed_targets"] == []
    assert any(n.startswith("onnx: not stored, 154 parameters") for n in design["notes"])
    assert not any("/onnx/" in k for k in ctx.storage.list(f"papers/{PAPER}/"))
