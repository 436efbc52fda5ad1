"""A small client for DLPaper2Code's REST and gRPC APIs, for other lab services and notebooks.

    from dlp2c.client import Client
    client = Client("http://dlp2c.lab:8080", api_key="dlp2c_...")
    job = client.submit_pdf(Path("paper.pdf").read_bytes())
    job = client.wait(job["job_id"])
    for design in client.paper(job["paper_id"])["designs"]:
        files = client.code(design["id"], "pytorch")

    from dlp2c.client import GrpcClient
    with GrpcClient("dlp2c.lab:50061", api_key="dlp2c_...") as grpc_client:
        submitted = grpc_client.submit_pdf(pdf_bytes)

Errors come back as :class:`ApiError` with the server's code and message (and Retry-After on 429/503).
"""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
import uuid
from typing import Any

from dlp2c.common.errors import Dlp2cError


class ApiError(Dlp2cError):
    """An error answer: ``status`` (HTTP), ``code`` and message from the server, ``retry_after`` seconds."""

    code = "api_error"

    def __init__(self, status: int, code: str, message: str, retry_after: float | None = None) -> None:
        super().__init__(message, code=code)
        self.status, self.retry_after = status, retry_after


class Client:
    def __init__(self, base_url: str, api_key: str = "", timeout_s: float = 60.0) -> None:
        self.base_url, self.api_key, self.timeout_s = base_url.rstrip("/"), api_key, timeout_s

    def _request(self, method: str, path: str, body: bytes | None = None,
                 headers: dict[str, str] | None = None) -> tuple[bytes, str]:
        request = urllib.request.Request(self.base_url + path, data=body, method=method,
                                         headers={**({"X-API-Key": self.api_key} if self.api_key else {}),
                                                  **(headers or {})})
        try:
            with urllib.request.urlopen(request, timeout=self.timeout_s) as response:
                return response.read(), response.headers.get("Content-Type", "")
        except urllib.error.HTTPError as exc:
            raw = exc.read()
            try:
                error = json.loads(raw)["error"]
            except (ValueError, KeyError, TypeError):
                error = {"code": "http_error", "message": raw[:300].decode(errors="replace")}
            retry = exc.headers.get("Retry-After")
            raise ApiError(exc.code, error.get("code", "http_error"), error.get("message", ""),
                           float(retry) if retry and retry.isdigit() else None) from None

    def _json(self, method: str, path: str, **kwargs: Any) -> Any:
        return json.loads(self._request(method, path, **kwargs)[0])

    def _form(self, fields: dict[str, str], pdf: bytes | None = None) -> tuple[bytes, dict[str, str]]:
        boundary = uuid.uuid4().hex
        parts = []
        for name, value in fields.items():
            parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode())
        if pdf is not None:
            parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="pdf"; filename="paper.pdf"\r\n'
                         "Content-Type: application/pdf\r\n\r\n".encode() + pdf + b"\r\n")
        parts.append(f"--{boundary}--\r\n".encode())
        return b"".join(parts), {"Content-Type": f"multipart/form-data; boundary={boundary}"}

    def submit_pdf(self, pdf: bytes, callback_url: str = "") -> dict[str, Any]:
        body, headers = self._form({"callback_url": callback_url} if callback_url else {}, pdf)
        return self._json("POST", "/v1/papers", body=body, headers=headers)

    def submit_arxiv(self, arxiv_id: str, callback_url: str = "") -> dict[str, Any]:
        body, headers = self._form({"arxiv_id": arxiv_id, **({"callback_url": callback_url} if callback_url else {})})
        return self._json("POST", "/v1/papers", body=body, headers=headers)

    def submit_url(self, url: str, callback_url: str = "") -> dict[str, Any]:
        body, headers = self._form({"url": url, **({"callback_url": callback_url} if callback_url else {})})
        return self._json("POST", "/v1/papers", body=body, headers=headers)

    def job(self, job_id: str) -> dict[str, Any]:
        return self._json("GET", f"/v1/jobs/{job_id}")

    def wait(self, job_id: str, timeout_s: float = 1800.0, every_s: float = 1.0) -> dict[str, Any]:
        """Poll the job until it is done or failed."""
        deadline = time.monotonic() + timeout_s
        while True:
            job = self.job(job_id)
            if job["status"] in ("done", "failed"):
                return job
            if time.monotonic() > deadline:
                raise ApiError(0, "timeout", f"job {job_id} not finished after {timeout_s:.0f} s")
            time.sleep(every_s)

    def papers(self, limit: int = 50, offset: int = 0) -> dict[str, Any]:
        return self._json("GET", f"/v1/papers?limit={limit}&offset={offset}")

    def paper(self, paper_id: str) -> dict[str, Any]:
        return self._json("GET", f"/v1/papers/{paper_id}")

    def design(self, design_id: str) -> dict[str, Any]:
        return self._json("GET", f"/v1/designs/{design_id}")

    def code(self, design_id: str, target: str) -> dict[str, str]:
        """One target's files: path -> text."""
        return self._json("GET", f"/v1/designs/{design_id}/code/{target}")["files"]

    def code_zip(self, paper_id: str) -> bytes:
        return self._request("GET", f"/v1/papers/{paper_id}/code.zip")[0]


class GrpcClient:
    """The PipelineService over gRPC."""

    def __init__(self, target: str, api_key: str = "") -> None:
        import grpc
        from dlp2c.pipeline.v1 import pipeline_pb2_grpc

        self.api_key = api_key
        self._channel = grpc.insecure_channel(target)
        self._stub = pipeline_pb2_grpc.PipelineServiceStub(self._channel)

    def __enter__(self) -> GrpcClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._channel.close()

    def submit_pdf(self, pdf: bytes, callback_url: str = "") -> Any:
        from dlp2c.pipeline.v1 import pipeline_pb2

        return self._stub.Submit(pipeline_pb2.SubmitRequest(pdf=pdf, api_key=self.api_key, callback_url=callback_url))

    def job(self, job_id: str) -> Any:
        from dlp2c.pipeline.v1 import pipeline_pb2

        return self._stub.GetJob(pipeline_pb2.GetJobRequest(job_id=job_id))

    def designs(self, paper_id: str) -> Any:
        from dlp2c.pipeline.v1 import pipeline_pb2

        return self._stub.ListDesigns(pipeline_pb2.ListDesignsRequest(paper_id=paper_id)).designs
