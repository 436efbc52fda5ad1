"""The gRPC SplitterService: a thin servicer over :func:`dlp2c.splitter.isolate.split_isolated`.

Run: ``python -m dlp2c.splitter.server`` (port from DLP2C_GRPC_PORT, default 50061).
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

import grpc
from dlp2c.common import rpc
from dlp2c.common.errors import Dlp2cError
from dlp2c.splitter.isolate import split_isolated
from dlp2c.splitter.limits import Limits
from dlp2c.splitter.split import MANIFEST
from dlp2c.splitter.v1 import splitter_pb2 as pb
from dlp2c.splitter.v1 import splitter_pb2_grpc as pb_grpc

SERVICE_NAME = "dlp2c.splitter.v1.SplitterService"


class SplitterServicer(pb_grpc.SplitterServiceServicer):
    def Split(self, request: pb.SplitRequest, context: grpc.ServicerContext) -> pb.SplitResponse:
        limits = Limits(dpi=request.dpi) if request.dpi else Limits()
        with tempfile.TemporaryDirectory(prefix="dlp2c-split-") as tmp:
            pdf = Path(tmp) / "paper.pdf"
            pdf.write_bytes(request.pdf)
            out = Path(tmp) / "out"
            try:
                result = split_isolated(pdf, out, limits)
            except Dlp2cError as exc:
                rpc.abort_bad_input(context, exc)
            response = pb.SplitResponse(manifest_json=json.dumps(result.to_json()))
            for path in sorted(p for p in out.rglob("*") if p.is_file() and p.name != MANIFEST):
                response.files.add(path=path.relative_to(out).as_posix(), content=path.read_bytes())
        return response


def registration() -> rpc.Registration:
    return (pb_grpc.add_SplitterServiceServicer_to_server, SplitterServicer(), SERVICE_NAME)


if __name__ == "__main__":
    rpc.serve_forever([registration()], "splitter")
