"""A gRPC server for one or more servicers, with what every service of ours serves beside them:
``grpc.health.v1`` (Kubernetes' native gRPC probes) and server reflection (so ``grpcurl`` and other
tools can list and call the API without the .proto files)."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from concurrent import futures
from typing import Any

import grpc
from grpc_health.v1 import health, health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection
from prometheus_client import Counter, Histogram
from pydantic_settings import BaseSettings, SettingsConfigDict

# (the generated add_XServicer_to_server function, the servicer, the service's full name)
Registration = tuple[Callable[[Any, grpc.Server], None], Any, str]
MAX_MESSAGE = 128 << 20  # a PDF or a batch of figures


CALLS = Counter("dlp2c_grpc_calls_total", "gRPC calls served, by method and status code", ["method", "code"])
CALL_SECONDS = Histogram("dlp2c_grpc_seconds", "Time to answer a gRPC call", ["method"],
                         buckets=(0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 30, 120))


class _Metrics(grpc.ServerInterceptor):
    """Counts and times every unary call (all our methods are unary)."""

    def intercept_service(self, continuation: Callable, details: grpc.HandlerCallDetails) -> Any:
        handler = continuation(details)
        if handler is None or handler.unary_unary is None:
            return handler
        method, inner = details.method, handler.unary_unary

        def timed(request: Any, context: grpc.ServicerContext) -> Any:
            started = time.perf_counter()
            code = "OK"
            try:
                return inner(request, context)
            except Exception:
                code = (context.code() or grpc.StatusCode.UNKNOWN).name
                raise
            finally:
                CALLS.labels(method, code).inc()
                CALL_SECONDS.labels(method).observe(time.perf_counter() - started)

        return grpc.unary_unary_rpc_method_handler(timed, handler.request_deserializer, handler.response_serializer)


def build_server(services: Sequence[Registration], port: int, max_workers: int = 4) -> tuple[grpc.Server, int]:
    """A server (not started) with the services, health and reflection; returns it and its bound port."""
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=max_workers), interceptors=[_Metrics()],
                         options=[("grpc.max_receive_message_length", MAX_MESSAGE),
                                  ("grpc.max_send_message_length", MAX_MESSAGE)])
    checker = health.HealthServicer()
    health_pb2_grpc.add_HealthServicer_to_server(checker, server)
    names = []
    for add, servicer, name in services:
        add(servicer, server)
        checker.set(name, health_pb2.HealthCheckResponse.SERVING)
        names.append(name)
    checker.set("", health_pb2.HealthCheckResponse.SERVING)
    reflection.enable_server_reflection([*names, health.SERVICE_NAME, reflection.SERVICE_NAME], server)
    bound = server.add_insecure_port(f"[::]:{port}")
    return server, bound


class RpcSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="DLP2C_")

    grpc_port: int = 50061
    grpc_workers: int = 4
    metrics_port: int = 0  # Prometheus metrics over HTTP; 0: none


def serve_forever(services: Sequence[Registration], name: str) -> None:
    """Run a service's gRPC server until the process is stopped (``python -m dlp2c.<stage>.server``)."""
    from dlp2c.common.logs import configure

    configure()
    settings = RpcSettings()
    if settings.metrics_port:
        from prometheus_client import start_http_server

        start_http_server(settings.metrics_port)
    server, port = build_server(services, settings.grpc_port, settings.grpc_workers)
    server.start()
    logging.getLogger(f"dlp2c.{name}").info("%s listening on port %d", name, port)
    server.wait_for_termination()


def abort_bad_input(context: grpc.ServicerContext, error: Exception) -> None:
    """INVALID_ARGUMENT with the error's code and message (what and where), for a bad request."""
    context.abort(grpc.StatusCode.INVALID_ARGUMENT, f"{getattr(error, 'code', 'error')}: {error}")
