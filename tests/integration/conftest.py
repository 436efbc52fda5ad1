"""Real servers on loopback for the integration tests, started once per session and stopped after."""

from __future__ import annotations

import socket
from collections.abc import Iterator

import pytest
from dlp2c.common.storage import StorageSettings


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def s3_settings() -> Iterator[StorageSettings]:
    """An S3-protocol server (moto's) on a free loopback port; settings for the minio client."""
    from moto.server import ThreadedMotoServer

    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    try:
        yield StorageSettings(s3_endpoint=f"127.0.0.1:{port}", s3_access_key="test-key",
                              s3_secret_key="test-secret", s3_secure=False, s3_region="us-east-1")
    finally:
        server.stop()
