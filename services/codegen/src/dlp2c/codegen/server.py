"""The gRPC CodegenService: a thin servicer over :func:`dlp2c.codegen.generate.generate`.

Run: ``python -m dlp2c.codegen.server`` (port from DLP2C_GRPC_PORT, default 50061). It serves
``grpc.health.v1`` (Kubernetes' native gRPC probes) and reflection too.
"""

from __future__ import annotations

import logging

import grpc
from dlp2c.codegen.generate import generate
from dlp2c.codegen.settings import CodegenSettings
from dlp2c.codegen.v1 import codegen_pb2 as pb
from dlp2c.codegen.v1 import codegen_pb2_grpc as pb_grpc
from dlp2c.common import rpc
from dlp2c.common.errors import Dlp2cError
from dlp2c.common.proto_io import from_proto

log = logging.getLogger("dlp2c.codegen")

TARGET_NAMES = {pb.TARGET_KERAS: "keras", pb.TARGET_CAFFE: "caffe", pb.TARGET_PYTORCH: "pytorch",
                pb.TARGET_ONNX: "onnx"}
TARGET_ENUMS = {name: value for value, name in TARGET_NAMES.items()}
SERVICE_NAME = "dlp2c.codegen.v1.CodegenService"


class CodegenServicer(pb_grpc.CodegenServiceServicer):
    def Generate(self, request: pb.GenerateRequest, context: grpc.ServicerContext) -> pb.GenerateResponse:
        unknown = [t for t in request.targets if t not in TARGET_NAMES]
        if unknown:
            context.abort(grpc.StatusCode.INVALID_ARGUMENT, f"unknown targets {unknown}; give 1-4 or none for all")
        targets = [TARGET_NAMES[t] for t in request.targets] or ["all"]
        try:
            generated = generate(from_proto(request.graph), targets)
        except Dlp2cError as exc:
            context.abort(grpc.StatusCode.INVALID_ARGUMENT, str(exc))
        response = pb.GenerateResponse(params=generated.plan.total_params)
        for target, result in generated.results.items():
            enum = TARGET_ENUMS[target]
            if result.error is not None:
                e = result.error
                response.errors.add(target=enum, code=e.code, message=e.message, where=e.where, hint=e.hint)
            for name, content in result.files.items():
                response.files.add(target=enum, path=f"{target}/{name}", content=content)
        return response


def build_server(port: int, max_workers: int = 4) -> tuple[grpc.Server, int]:
    """A started-to-be server with the service, health checks and reflection; returns it and the bound port."""
    return rpc.build_server([(pb_grpc.add_CodegenServiceServicer_to_server, CodegenServicer(), SERVICE_NAME)],
                            port, max_workers)


def registration() -> rpc.Registration:
    return (pb_grpc.add_CodegenServiceServicer_to_server, CodegenServicer(), SERVICE_NAME)


def main() -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    settings = CodegenSettings()
    server, port = build_server(settings.grpc_port)
    server.start()
    log.info("CodegenService listening on port %d", port)
    server.wait_for_termination()


if __name__ == "__main__":
    main()
