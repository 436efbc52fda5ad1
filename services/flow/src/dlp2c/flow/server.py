"""The gRPC FlowService: a thin servicer over :func:`dlp2c.flow.detect.detect`.

Run: ``python -m dlp2c.flow.server`` (port from DLP2C_GRPC_PORT, default 50061).
"""

from __future__ import annotations

import json

import grpc
from dlp2c.common import rpc
from dlp2c.common.errors import Dlp2cError
from dlp2c.flow.detect import detect
from dlp2c.flow.v1 import flow_pb2 as pb
from dlp2c.flow.v1 import flow_pb2_grpc as pb_grpc
from dlp2c.flow.worker import decode_image

SERVICE_NAME = "dlp2c.flow.v1.FlowService"


class FlowServicer(pb_grpc.FlowServiceServicer):
    def Detect(self, request: pb.DetectRequest, context: grpc.ServicerContext) -> pb.DetectResponse:
        try:
            skeleton = detect(decode_image(request.image, "image")).to_figure()
        except Dlp2cError as exc:
            rpc.abort_bad_input(context, exc)
        return pb.DetectResponse(figure_graph_json=json.dumps(skeleton.to_json()))


def registration() -> rpc.Registration:
    return (pb_grpc.add_FlowServiceServicer_to_server, FlowServicer(), SERVICE_NAME)


if __name__ == "__main__":
    rpc.serve_forever([registration()], "flow")
