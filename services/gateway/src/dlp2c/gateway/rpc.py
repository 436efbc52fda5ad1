"""The gRPC PipelineService: submit a paper, follow its job, list its designs (the REST API's core,
for lab services that speak gRPC). Served by ``dlp2c serve`` beside the stage services."""

from __future__ import annotations

import grpc
from dlp2c.common import rpc
from dlp2c.common.bus import Bus
from dlp2c.common.db import Database
from dlp2c.common.errors import Dlp2cError
from dlp2c.common.storage import Storage
from dlp2c.common.submit import submit_pdf
from dlp2c.gateway.fetch import check_callback
from dlp2c.gateway.settings import GatewaySettings
from dlp2c.pipeline.v1 import pipeline_pb2 as pb
from dlp2c.pipeline.v1 import pipeline_pb2_grpc as pb_grpc

SERVICE_NAME = "dlp2c.pipeline.v1.PipelineService"


class PipelineServicer(pb_grpc.PipelineServiceServicer):
    def __init__(self, storage: Storage, db: Database, bus: Bus, settings: GatewaySettings | None = None) -> None:
        self.storage, self.db, self.bus = storage, db, bus
        self.settings = settings or GatewaySettings()

    def Submit(self, request: pb.SubmitRequest, context: grpc.ServicerContext) -> pb.SubmitResponse:
        owner = self.db.owner_of(request.api_key) if request.api_key else None
        if owner is None:
            context.abort(grpc.StatusCode.UNAUTHENTICATED, "an API key that the gateway knows is needed")
        if len(request.pdf) > self.settings.max_upload_bytes:
            context.abort(grpc.StatusCode.INVALID_ARGUMENT, f"too_large: more than {self.settings.max_upload_bytes:,}"
                                                            " bytes")
        if (self.db.active_jobs() >= self.settings.max_pending_jobs
                or self.db.active_jobs(owner) >= self.settings.max_jobs_per_key):
            context.abort(grpc.StatusCode.RESOURCE_EXHAUSTED,
                          f"too many jobs running; retry in {self.settings.retry_after_s} s")
        try:
            if request.callback_url:
                check_callback(request.callback_url, self.settings.allow_private_urls)
            submission = submit_pdf(self.storage, self.db, self.bus, request.pdf, "grpc", owner,
                                    request.callback_url)
        except Dlp2cError as exc:
            rpc.abort_bad_input(context, exc)
        return pb.SubmitResponse(job_id=submission.job_id, paper_id=submission.paper_id, new=submission.new)

    def GetJob(self, request: pb.GetJobRequest, context: grpc.ServicerContext) -> pb.Job:
        job = self.db.job(request.job_id[:64])
        if job is None:
            context.abort(grpc.StatusCode.NOT_FOUND, f"no job {request.job_id[:64]!r}")
        reply = pb.Job(job_id=job["id"], paper_id=job["paper_id"], status=job["status"], error=job["error"])
        for stage, numbers in self.db.progress(job["paper_id"]).items():
            reply.stages.add(stage=stage, done=numbers["done"], total=numbers["total"])
        return reply

    def ListDesigns(self, request: pb.ListDesignsRequest, context: grpc.ServicerContext) -> pb.ListDesignsResponse:
        if self.db.paper(request.paper_id[:64]) is None:
            context.abort(grpc.StatusCode.NOT_FOUND, f"no paper {request.paper_id[:64]!r}")
        reply = pb.ListDesignsResponse()
        for d in self.db.designs_of(request.paper_id):
            item = reply.designs.add(design_id=d["id"], source=d["source"], ref=d["ref"], name=d["name"],
                                     status=d["status"], params=d["params"] or 0, graph_key=d["graph_key"],
                                     notes=d["notes"])
            item.code_keys.update(d["code_keys"])
        return reply


def registration(storage: Storage, db: Database, bus: Bus, settings: GatewaySettings | None = None
                 ) -> rpc.Registration:
    return (pb_grpc.add_PipelineServiceServicer_to_server, PipelineServicer(storage, db, bus, settings), SERVICE_NAME)
