"""The REST API over a real HTTP server on loopback (no workers here: tests/integration runs them)."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from dlp2c.common.bus import MemoryBus
from dlp2c.common.db import Database
from dlp2c.common.events import Topic, decode
from dlp2c.common.storage import FileStorage
from dlp2c.gateway.app import create_app
from dlp2c.gateway.fetch import FetchError, arxiv_url, fetch_pdf
from dlp2c.gateway.server import BackgroundServer
from dlp2c.gateway.settings import GatewaySettings

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
KEY = "test-key-123"


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Gateway:
    def __init__(self, tmp: Path, **settings: object) -> None:
        self.bus = MemoryBus()
        self.db = Database(f"sqlite:///{tmp / 'db.sqlite'}")
        self.db.add_api_key(KEY, "lab-a")
        self.db.add_api_key("other-key", "lab-b")
        self.storage = FileStorage(tmp / "store")
        app = create_app(self.storage, self.db, self.bus, GatewaySettings(**settings))
        self.server = BackgroundServer(app, port=_port())
        self.http = httpx.Client(base_url=self.server.url, timeout=10)


@pytest.fixture
def gateway(tmp_path: Path) -> Iterator[Gateway]:
    g = Gateway(tmp_path, max_jobs_per_key=2, max_upload_bytes=4096)
    with g.server:
        yield g


def _post(g: Gateway, key: str | None = KEY, **kwargs: object) -> httpx.Response:
    headers = {"X-API-Key": key} if key else {}
    return g.http.post("/v1/papers", headers=headers, **kwargs)


def test_an_upload_is_accepted_and_queued_for_the_splitter(gateway: Gateway) -> None:
    response = _post(gateway, files={"pdf": ("paper.pdf", PDF, "application/pdf")})
    assert response.status_code == 202, response.text
    body = response.json()
    assert body["new"] and response.headers["Location"] == f"/v1/jobs/{body['job_id']}"
    [message] = gateway.bus.messages(Topic.PAPERS)
    assert decode(message.value).paper_submitted.pdf_key == f"papers/{body['paper_id']}/paper.pdf"
    job = gateway.http.get(body["links"]["job"]).json()
    assert job["status"] == "queued" and job["stages"]["split"] == {"done": 0, "total": 1, "failed": 0}
    assert gateway.http.get(body["links"]["paper"]).json()["paper"]["status"] == "submitted"


def test_the_same_pdf_twice_is_one_job(gateway: Gateway) -> None:
    first = _post(gateway, files={"pdf": ("a.pdf", PDF)}).json()
    again = _post(gateway, files={"pdf": ("b.pdf", PDF)})
    assert again.status_code == 200 and again.json()["job_id"] == first["job_id"] and not again.json()["new"]
    assert len(gateway.bus.messages(Topic.PAPERS)) == 1


def test_writes_need_a_known_key(gateway: Gateway) -> None:
    assert _post(gateway, key=None, files={"pdf": ("a.pdf", PDF)}).json()["error"]["code"] == "no_api_key"
    response = _post(gateway, key="nope", files={"pdf": ("a.pdf", PDF)})
    assert response.status_code == 401 and response.json()["error"]["code"] == "bad_api_key"
    assert gateway.bus.messages(Topic.PAPERS) == []


def test_bad_submissions_say_what_is_wrong(gateway: Gateway) -> None:
    not_pdf = _post(gateway, files={"pdf": ("a.pdf", b"hello")})
    assert not_pdf.status_code == 400 and "not a PDF" in not_pdf.json()["error"]["message"]
    both = _post(gateway, files={"pdf": ("a.pdf", PDF)}, data={"arxiv_id": "1409.1556"})
    assert both.status_code == 400 and "exactly one" in both.json()["error"]["message"]
    traversal = _post(gateway, data={"arxiv_id": "../../etc/passwd"})
    assert traversal.status_code == 400 and traversal.json()["error"]["code"] == "bad_url"
    private = _post(gateway, data={"url": "http://127.0.0.1:5432/paper.pdf"})
    assert private.status_code == 400 and "non-public" in private.json()["error"]["message"]
    for url in ("file:///etc/passwd", "http://127.0.0.1:5432/", "http://u:p@example.org/"):
        callback = _post(gateway, files={"pdf": ("a.pdf", PDF)}, data={"callback_url": url})
        assert callback.status_code == 400, url
    large = _post(gateway, files={"pdf": ("a.pdf", PDF + b"0" * 10_000)})
    assert large.status_code == 413 and large.json()["error"]["code"] == "too_large"
    assert gateway.bus.messages(Topic.PAPERS) == []


def test_a_key_with_too_many_jobs_is_told_to_wait(gateway: Gateway) -> None:
    for k in range(2):
        assert _post(gateway, files={"pdf": ("a.pdf", PDF + bytes([k]))}).status_code == 202
    third = _post(gateway, files={"pdf": ("a.pdf", PDF + b"x")})
    assert third.status_code == 429 and third.headers["Retry-After"] == "30"
    assert _post(gateway, key="other-key", files={"pdf": ("a.pdf", PDF + b"y")}).status_code == 202


def test_a_saturated_system_answers_503(tmp_path: Path) -> None:
    g = Gateway(tmp_path, max_pending_jobs=1)
    with g.server:
        assert _post(g, files={"pdf": ("a.pdf", PDF)}).status_code == 202
        response = _post(g, key="other-key", files={"pdf": ("a.pdf", PDF + b"z")})
        assert response.status_code == 503 and response.headers["Retry-After"]


def test_missing_things_are_404(gateway: Gateway) -> None:
    for path in ("/v1/jobs/nope", "/v1/papers/" + "0" * 64, "/v1/designs/d-nope", "/v1/designs/d-x/code/keras",
                 "/v1/papers/" + "0" * 64 + "/figures/figure-1/image.png"):
        response = gateway.http.get(path)
        assert response.status_code == 404 and response.json()["error"]["code"] == "not_found", path


def test_health_metrics_and_openapi(gateway: Gateway) -> None:
    assert gateway.http.get("/livez").json() == {"status": "ok"}
    assert gateway.http.get("/readyz").json() == {"status": "ready"}
    _post(gateway, files={"pdf": ("a.pdf", PDF)})
    assert 'dlp2c_submissions_total{outcome="new"}' in gateway.http.get("/metrics").text
    spec = gateway.http.get("/openapi.json").json()
    assert {"/v1/papers", "/v1/jobs/{job_id}", "/v1/designs/{design_id}/code/{target}"} <= set(spec["paths"])


def test_urls_to_private_addresses_are_refused() -> None:
    with pytest.raises(FetchError, match="non-public"):
        fetch_pdf("http://127.0.0.1:9/x.pdf", 1000, 2)
    with pytest.raises(FetchError, match="only http"):
        fetch_pdf("file:///etc/passwd", 1000, 2)
    with pytest.raises(FetchError, match="credentials"):
        fetch_pdf("http://user:pw@example.org/x.pdf", 1000, 2)
    assert arxiv_url("arXiv:1409.1556v6", "https://arxiv.org/pdf/{id}") == "https://arxiv.org/pdf/1409.1556v6"
    assert arxiv_url("cs/0112017", "https://arxiv.org/pdf/{id}") == "https://arxiv.org/pdf/cs/0112017"
