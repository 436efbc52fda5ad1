"""The gRPC CodegenService on a real server on loopback."""

import grpc
import pytest
from dlp2c.codegen.server import build_server
from dlp2c.codegen.v1 import codegen_pb2 as pb
from dlp2c.codegen.v1 import codegen_pb2_grpc as pb_grpc
from dlp2c.common.graph import Graph
from dlp2c.common.proto_io import to_proto
from grpc_health.v1 import health_pb2, health_pb2_grpc


@pytest.fixture(scope="module")
def channel():
    server, port = build_server(0)
    server.start()
    with grpc.insecure_channel(f"127.0.0.1:{port}") as ch:
        yield ch
    server.stop(grace=None)


def small_graph() -> Graph:
    g = Graph("mlp")
    x = g.add("Input", {"shape": [16]})
    h = g.add("Dense", {"units": 8, "activation": "relu"}, inputs=[x], name="hidden")
    g.add("Dense", {"units": 3, "activation": "softmax"}, inputs=[h], name="out")
    return g


def test_generate_returns_files_of_every_target(channel) -> None:
    stub = pb_grpc.CodegenServiceStub(channel)
    response = stub.Generate(pb.GenerateRequest(graph=to_proto(small_graph())), timeout=30)
    paths = {f.path for f in response.files}
    assert paths == {"keras/model.py", "pytorch/model.py", "onnx/model.onnx", "caffe/deploy.prototxt",
                     "caffe/netspec.py"}
    assert response.params == 16 * 8 + 8 + 8 * 3 + 3 and not response.errors
    keras_file = next(f for f in response.files if f.path == "keras/model.py")
    assert b"layers.Dense(units=8, activation='relu', name='hidden')" in keras_file.content


def test_one_target_and_unsupported_layers_come_back_as_errors(channel) -> None:
    g = Graph("seq")
    x = g.add("Input", {"shape": [5, 3]})
    g.add("GRU", {"units": 2}, inputs=[x])
    stub = pb_grpc.CodegenServiceStub(channel)
    response = stub.Generate(pb.GenerateRequest(graph=to_proto(g), targets=[pb.TARGET_CAFFE, pb.TARGET_ONNX]))
    assert [f.path for f in response.files] == ["onnx/model.onnx"]
    assert [(e.target, e.code) for e in response.errors] == [(pb.TARGET_CAFFE, "unsupported")]


def test_a_graph_that_cannot_run_is_invalid_argument(channel) -> None:
    stub = pb_grpc.CodegenServiceStub(channel)
    bad = Graph("broken")
    i = bad.add("Input", {"shape": [8, 8, 3]})
    bad.add("Dense", {"units": 2}, inputs=[i], name="fc")
    bad.add("Flatten", {}, inputs=["n1"])
    with pytest.raises(grpc.RpcError) as info:
        stub.Generate(pb.GenerateRequest(graph=to_proto(bad)))
    assert info.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "fc" in info.value.details() and "Flatten" in info.value.details()


def test_health_check_says_serving(channel) -> None:
    stub = health_pb2_grpc.HealthStub(channel)
    reply = stub.Check(health_pb2.HealthCheckRequest(service="dlp2c.codegen.v1.CodegenService"))
    assert reply.status == health_pb2.HealthCheckResponse.SERVING
