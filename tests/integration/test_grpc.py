"""Every stage's gRPC service and the PipelineService over a real gRPC server on loopback: health,
reflection, and each call doing its stage's work on the sample paper."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import grpc
import pytest
from dlp2c.classifier.v1 import classifier_pb2, classifier_pb2_grpc
from dlp2c.cli.pipeline import Pipeline
from dlp2c.cli.serve import grpc_services
from dlp2c.codegen.v1 import codegen_pb2, codegen_pb2_grpc
from dlp2c.common.rpc import build_server
from dlp2c.common.settings import InfraSettings
from dlp2c.flow.v1 import flow_pb2, flow_pb2_grpc
from dlp2c.gateway.settings import GatewaySettings
from dlp2c.ocr.v1 import ocr_pb2, ocr_pb2_grpc
from dlp2c.pipeline.v1 import pipeline_pb2, pipeline_pb2_grpc
from dlp2c.splitter.sample import write_sample
from dlp2c.splitter.v1 import splitter_pb2, splitter_pb2_grpc
from dlp2c.tables.v1 import tables_pb2, tables_pb2_grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection_pb2, reflection_pb2_grpc
from prometheus_client import REGISTRY

from .conftest import free_port

pytestmark = pytest.mark.xdist_group("tensorflow")


@pytest.fixture(scope="module")
def channel(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[grpc.Channel, Pipeline, Path]]:
    tmp = tmp_path_factory.mktemp("grpc")
    pipeline = Pipeline.open(InfraSettings(storage_url=(tmp / "store").as_uri(), db_url=f"sqlite:///{tmp / 'db'}",
                                           bus_url="memory://"), verify_code=False)
    pipeline.db.add_api_key("grpc-key", "lab")
    server, port = build_server(grpc_services(pipeline, GatewaySettings()), free_port())
    server.start()
    stop = threading.Event()
    threads = pipeline.run_threads(stop)
    with grpc.insecure_channel(f"127.0.0.1:{port}") as chan:
        yield chan, pipeline, write_sample(tmp / "tinynet.pdf")
    stop.set()
    for thread in threads:
        thread.join(timeout=30)
    server.stop(grace=1)
    pipeline.close()


def test_health_and_reflection_name_every_service(channel: tuple) -> None:
    chan, _, _ = channel
    health = health_pb2_grpc.HealthStub(chan)
    for name in ("", "dlp2c.splitter.v1.SplitterService", "dlp2c.pipeline.v1.PipelineService"):
        status = health.Check(health_pb2.HealthCheckRequest(service=name)).status
        assert status == health_pb2.HealthCheckResponse.SERVING
    stub = reflection_pb2_grpc.ServerReflectionStub(chan)
    [answer] = list(stub.ServerReflectionInfo(iter([reflection_pb2.ServerReflectionRequest(list_services="")])))
    names = {s.name for s in answer.list_services_response.service}
    assert {"dlp2c.splitter.v1.SplitterService", "dlp2c.tables.v1.TablesService",
            "dlp2c.classifier.v1.ClassifierService", "dlp2c.flow.v1.FlowService", "dlp2c.ocr.v1.OcrService",
            "dlp2c.codegen.v1.CodegenService", "dlp2c.pipeline.v1.PipelineService", "grpc.health.v1.Health"} <= names


def test_each_stage_over_grpc(channel: tuple) -> None:
    chan, _, pdf = channel
    split = splitter_pb2_grpc.SplitterServiceStub(chan).Split(splitter_pb2.SplitRequest(pdf=pdf.read_bytes()))
    manifest = json.loads(split.manifest_json)
    files = {f.path: f.content for f in split.files}
    assert manifest["paper"]["title"].startswith("TinyNet") and "figures/figure-1.png" in files
    table = tables_pb2_grpc.TablesServiceStub(chan).ReadTable(
        tables_pb2.ReadTableRequest(table_json=json.dumps(manifest["tables"][0])))
    assert table.design and len(table.designs) == 1 and len(table.designs[0].graph.nodes) == 8
    image = files["figures/figure-1.png"]
    [prediction] = classifier_pb2_grpc.ClassifierServiceStub(chan).Classify(
        classifier_pb2.ClassifyRequest(images=[image])).predictions
    assert prediction.design and prediction.style == "box2d"
    bad = classifier_pb2_grpc.ClassifierServiceStub(chan).Classify(classifier_pb2.ClassifyRequest(images=[b"xx"]))
    assert bad.predictions[0].error
    skeleton = flow_pb2_grpc.FlowServiceStub(chan).Detect(flow_pb2.DetectRequest(image=image)).figure_graph_json
    assert len(json.loads(skeleton)["nodes"]) == 8
    read = json.loads(ocr_pb2_grpc.OcrServiceStub(chan).Read(
        ocr_pb2.ReadRequest(image=image, skeleton_json=skeleton)).figure_graph_json)
    assert [n["op"] for n in read["nodes"] if n["kind"] == "layer"][:3] == ["Input", "Conv2D", "MaxPooling2D"]
    generated = codegen_pb2_grpc.CodegenServiceStub(chan).Generate(
        codegen_pb2.GenerateRequest(graph=table.designs[0].graph, targets=[codegen_pb2.TARGET_PYTORCH]))
    assert generated.params == 25_578 and [f.path for f in generated.files] == ["pytorch/model.py"]
    with pytest.raises(grpc.RpcError) as caught:
        splitter_pb2_grpc.SplitterServiceStub(chan).Split(splitter_pb2.SplitRequest(pdf=b"not a pdf"))
    assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT and "not_pdf" in caught.value.details()
    calls = {"method": "/dlp2c.splitter.v1.SplitterService/Split"}
    assert REGISTRY.get_sample_value("dlp2c_grpc_calls_total", {**calls, "code": "OK"}) >= 1
    assert REGISTRY.get_sample_value("dlp2c_grpc_calls_total", {**calls, "code": "INVALID_ARGUMENT"}) >= 1


def test_the_pipeline_service_takes_a_paper_to_its_designs(channel: tuple) -> None:
    chan, _, pdf = channel
    stub = pipeline_pb2_grpc.PipelineServiceStub(chan)
    with pytest.raises(grpc.RpcError) as caught:
        stub.Submit(pipeline_pb2.SubmitRequest(pdf=pdf.read_bytes()))
    assert caught.value.code() == grpc.StatusCode.UNAUTHENTICATED
    submitted = stub.Submit(pipeline_pb2.SubmitRequest(pdf=pdf.read_bytes(), api_key="grpc-key"))
    assert submitted.new
    deadline = time.monotonic() + 240
    while (job := stub.GetJob(pipeline_pb2.GetJobRequest(job_id=submitted.job_id))).status not in ("done", "failed"):
        assert time.monotonic() < deadline
        time.sleep(0.5)
    assert job.status == "done" and {s.stage for s in job.stages} >= {"split", "codegen"}
    designs = stub.ListDesigns(pipeline_pb2.ListDesignsRequest(paper_id=submitted.paper_id)).designs
    assert sorted(d.source for d in designs) == ["figure", "table"] and all(d.params == 25_578 for d in designs)
    assert all("all" in d.code_keys for d in designs)
    with pytest.raises(grpc.RpcError) as caught:
        stub.GetJob(pipeline_pb2.GetJobRequest(job_id="nope"))
    assert caught.value.code() == grpc.StatusCode.NOT_FOUND
