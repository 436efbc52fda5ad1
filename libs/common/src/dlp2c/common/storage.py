"""Where artifacts live, chosen by URL: a folder (``file://`` or a plain path, the embedded default)
or an S3 bucket (``s3://bucket/prefix``, MinIO in the distributed mode).

Keys are relative POSIX paths (``models/shard-0000/m000001/graph.json``). Some derive from text that
came from PDFs or users, so a key is checked before use: it can never name anything outside its
store (no ``..``, no absolute path, no backslash, no control character).
"""

from __future__ import annotations

import io
import os
import re
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Protocol
from urllib.parse import urlparse

from dlp2c.common.errors import Dlp2cError
from pydantic_settings import BaseSettings, SettingsConfigDict

_KEY_PART = re.compile(r"^[A-Za-z0-9._=+@,-]+$")
MAX_KEY_LENGTH = 900  # S3 allows 1024 bytes; room for a prefix


class StorageError(Dlp2cError):
    """A bad key, an unreachable store, a missing object."""

    code = "storage"


class StorageSettings(BaseSettings):
    """Which store, and how to reach S3. Only read when the URL says ``s3://``."""

    model_config = SettingsConfigDict(env_prefix="DLP2C_")

    storage_url: str = "file://./data"
    s3_endpoint: str = "127.0.0.1:9000"
    s3_access_key: str = "minioadmin"
    s3_secret_key: str = "minioadmin"
    s3_secure: bool = False
    s3_region: str | None = None


def check_key(key: str) -> str:
    """The key itself when it is a safe relative path; a StorageError saying why otherwise."""
    if not key or len(key) > MAX_KEY_LENGTH:
        raise StorageError(f"a key must be 1 to {MAX_KEY_LENGTH} characters", repr(key[:80]))
    parts = key.split("/")
    for part in parts:
        if part in ("", ".", "..") or not _KEY_PART.match(part):
            raise StorageError("a key is a relative path of plain names (letters, digits, . _ - = + @ ,)",
                               repr(key[:200]))
    return key


class Storage(Protocol):
    url: str

    def put(self, key: str, data: bytes, content_type: str = "application/octet-stream") -> None: ...

    def get(self, key: str) -> bytes: ...

    def exists(self, key: str) -> bool: ...

    def list(self, prefix: str = "") -> Iterator[str]: ...


class FileStorage:
    """Objects as files under one folder; a write is atomic (a temporary file, then a rename)."""

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root).expanduser().resolve()
        self.url = self.root.as_uri()

    def path(self, key: str) -> Path:
        return self.root.joinpath(*check_key(key).split("/"))

    def put(self, key: str, data: bytes, content_type: str = "application/octet-stream") -> None:
        target = self.path(key)
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".tmp-")
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(data)
            os.replace(tmp, target)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise

    def get(self, key: str) -> bytes:
        try:
            return self.path(key).read_bytes()
        except FileNotFoundError:
            raise StorageError("no such object", f"{self.url}/{key}") from None

    def exists(self, key: str) -> bool:
        return self.path(key).is_file()

    def list(self, prefix: str = "") -> Iterator[str]:
        base = self.root / prefix if prefix else self.root
        if prefix:
            check_key(prefix.rstrip("/"))
        start = base if base.is_dir() else base.parent
        if not start.is_dir():
            return
        for dirpath, _dirs, files in os.walk(start):
            for name in files:
                if name.startswith(".tmp-"):
                    continue
                key = Path(dirpath, name).relative_to(self.root).as_posix()
                if key.startswith(prefix):
                    yield key


class S3Storage:
    """Objects in an S3 bucket (MinIO or any S3 server) under an optional prefix."""

    def __init__(self, bucket: str, prefix: str = "", settings: StorageSettings | None = None) -> None:
        from minio import Minio

        self.settings = settings or StorageSettings()
        self.bucket = bucket
        self.prefix = prefix.strip("/")
        if self.prefix:
            check_key(self.prefix)
        self.url = f"s3://{bucket}/{self.prefix}".rstrip("/")
        self.client = Minio(self.settings.s3_endpoint, access_key=self.settings.s3_access_key,
                            secret_key=self.settings.s3_secret_key, secure=self.settings.s3_secure,
                            region=self.settings.s3_region)
        try:
            if not self.client.bucket_exists(bucket):
                self.client.make_bucket(bucket)
        except Exception as exc:  # connection refused, bad credentials, ...: say where
            raise StorageError(f"cannot reach the S3 store: {exc}", f"{self.settings.s3_endpoint}/{bucket}",
                               "check DLP2C_S3_ENDPOINT and the credentials") from exc

    def _name(self, key: str) -> str:
        check_key(key)
        return f"{self.prefix}/{key}" if self.prefix else key

    def put(self, key: str, data: bytes, content_type: str = "application/octet-stream") -> None:
        self.client.put_object(self.bucket, self._name(key), io.BytesIO(data), len(data), content_type=content_type)

    def get(self, key: str) -> bytes:
        from minio.error import S3Error

        try:
            response = self.client.get_object(self.bucket, self._name(key))
        except S3Error as exc:
            if exc.code in ("NoSuchKey", "NoSuchObject"):
                raise StorageError("no such object", f"{self.url}/{key}") from None
            raise
        try:
            return response.read()
        finally:
            response.close()
            response.release_conn()

    def exists(self, key: str) -> bool:
        from minio.error import S3Error

        try:
            self.client.stat_object(self.bucket, self._name(key))
        except S3Error as exc:
            if exc.code in ("NoSuchKey", "NoSuchObject", "NotFound"):
                return False
            raise
        return True

    def list(self, prefix: str = "") -> Iterator[str]:
        if prefix:
            check_key(prefix.rstrip("/"))
        full = f"{self.prefix}/{prefix}" if self.prefix else prefix
        skip = len(self.prefix) + 1 if self.prefix else 0
        for obj in self.client.list_objects(self.bucket, prefix=full or None, recursive=True):
            yield obj.object_name[skip:]


def open_storage(url: str | Path, settings: StorageSettings | None = None) -> Storage:
    """``file:///abs``, ``file://./rel``, a plain path, or ``s3://bucket[/prefix]``."""
    text = str(url)
    parsed = urlparse(text)
    if parsed.scheme == "s3":
        if not parsed.netloc:
            raise StorageError("an S3 URL names its bucket: s3://bucket/prefix", text)
        return S3Storage(parsed.netloc, parsed.path, settings)
    if parsed.scheme == "file":
        return FileStorage(parsed.netloc + parsed.path if parsed.netloc else parsed.path)
    if parsed.scheme and len(parsed.scheme) > 1:  # a Windows drive letter is not a scheme
        raise StorageError(f"unknown storage scheme {parsed.scheme!r}", text, "use a path, file:// or s3://")
    return FileStorage(text)
