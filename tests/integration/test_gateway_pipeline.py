"""The REST API in front of the running pipeline: a paper uploaded, fetched by arXiv id and by URL
from a local server, followed to the end, its designs and code read back, its callback called."""

from __future__ import annotations

import json
import threading
import time
import zipfile
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from io import BytesIO
from pathlib import Path

import httpx
import pytest
from dlp2c.cli.pipeline import Pipeline
from dlp2c.common.settings import InfraSettings
from dlp2c.gateway.app import create_app
from dlp2c.gateway.server import BackgroundServer
from dlp2c.gateway.settings import GatewaySettings
from dlp2c.splitter.sample import write_sample

from .conftest import free_port

pytestmark = pytest.mark.xdist_group("tensorflow")
KEY = "integration-key"


class Lab(BaseHTTPRequestHandler):
    """A stand-in for arXiv's PDF server and a lab service's callback receiver."""

    pdf = b""
    callbacks: list[dict] = []

    def do_GET(self) -> None:
        if self.path.startswith("/pdf/"):
            self.send_response(200)
            self.send_header("Content-Type", "application/pdf")
            self.send_header("Content-Length", str(len(self.pdf)))
            self.end_headers()
            self.wfile.write(self.pdf)
        else:
            self.send_error(404)

    def do_POST(self) -> None:
        Lab.callbacks.append(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args: object) -> None:
        return None


@pytest.fixture(scope="module")
def system(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[httpx.Client, str, Pipeline]]:
    tmp = tmp_path_factory.mktemp("system")
    Lab.pdf = write_sample(tmp / "tinynet.pdf").read_bytes()
    lab = ThreadingHTTPServer(("127.0.0.1", 0), Lab)
    threading.Thread(target=lab.serve_forever, daemon=True).start()
    lab_url = f"http://127.0.0.1:{lab.server_port}"
    pipeline = Pipeline.open(InfraSettings(storage_url=(tmp / "store").as_uri(), db_url=f"sqlite:///{tmp / 'db'}",
                                           bus_url="memory://"), verify_code=False)
    pipeline.db.add_api_key(KEY, "integration")
    settings = GatewaySettings(arxiv_pdf_url=lab_url + "/pdf/{id}", allow_private_urls=True)
    stop = threading.Event()
    threads = pipeline.run_threads(stop)
    with BackgroundServer(create_app(pipeline.storage, pipeline.db, pipeline.bus, settings), port=free_port()) as srv:
        yield httpx.Client(base_url=srv.url, timeout=30, headers={"X-API-Key": KEY}), lab_url, pipeline
    stop.set()
    for thread in threads:
        thread.join(timeout=30)
    pipeline.close()
    lab.shutdown()


def _until_done(http: httpx.Client, job_id: str) -> dict:
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        job = http.get(f"/v1/jobs/{job_id}").json()
        if job["status"] in ("done", "failed"):
            return job
        time.sleep(0.5)
    raise AssertionError("the job did not finish")


def test_an_arxiv_id_is_fetched_processed_and_served(system: tuple[httpx.Client, str, Pipeline]) -> None:
    http, lab_url, _ = system
    submitted = http.post("/v1/papers", data={"arxiv_id": "2401.00001", "callback_url": lab_url + "/done"})
    assert submitted.status_code == 202, submitted.text
    job = _until_done(http, submitted.json()["job_id"])
    assert job["status"] == "done"
    assert job["stages"]["codegen"] == {"done": 2, "total": 2} and job["stages"]["ocr"] == {"done": 1, "total": 1}
    paper = http.get(job["links"]["paper"]).json()
    assert paper["paper"]["title"].startswith("TinyNet")
    [figure] = paper["figures"]
    assert figure["status"] == "read"
    assert http.get(figure["links"]["overlay"]).headers["content-type"] == "image/png"
    design = next(d for d in paper["designs"] if d["source"] == "figure")
    assert design["params"] == 25_578
    graph = http.get(design["links"]["self"]).json()["graph"]
    assert [n["op"] for n in graph["nodes"]][:2] == ["Input", "Conv2D"]
    keras = http.get(design["links"]["code_keras"]).json()["files"]
    assert "import keras" in keras["model.py"]
    with zipfile.ZipFile(BytesIO(http.get(paper["links"]["code"]).content)) as archive:
        names = archive.namelist()
    assert sum(n.endswith("keras/model.py") for n in names) == 2
    deadline = time.monotonic() + 30
    while not Lab.callbacks and time.monotonic() < deadline:
        time.sleep(0.2)
    assert Lab.callbacks[-1]["status"] == "done" and Lab.callbacks[-1]["job_id"] == job["job_id"]


def test_the_same_paper_by_url_or_upload_is_not_run_again(system: tuple[httpx.Client, str, Pipeline]) -> None:
    http, lab_url, pipeline = system
    first = http.post("/v1/papers", data={"url": lab_url + "/pdf/tinynet.pdf"})
    upload = http.post("/v1/papers", files={"pdf": ("tinynet.pdf", Lab.pdf, "application/pdf")})
    assert upload.json()["job_id"] == first.json()["job_id"]
    assert len(pipeline.db.jobs_of(first.json()["paper_id"])) == 1
    listing = http.get("/v1/papers").json()
    assert listing["total"] == 1 and listing["papers"][0]["id"] == first.json()["paper_id"]


def test_a_broken_pdf_fails_its_job_and_the_system_goes_on(system: tuple[httpx.Client, str, Pipeline],
                                                           tmp_path: Path) -> None:
    http, _, _ = system
    broken = http.post("/v1/papers", files={"pdf": ("broken.pdf", Lab.pdf[:700], "application/pdf")})
    job = _until_done(http, broken.json()["job_id"])
    assert job["status"] == "failed" and job["error"]
    assert http.get("/readyz").json() == {"status": "ready"}
