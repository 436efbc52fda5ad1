"""The REST API (FastAPI; OpenAPI at /openapi.json, browsable at /docs).

Write endpoints take an API key (``X-API-Key``); reading is open. A submission is answered at once
(202 and a job id; 200 and the first job when the same PDF was sent before); the job's status lists
each stage's progress. When a key has too many jobs running the answer is 429, when the whole system
is saturated 503, both with Retry-After: a submission is never dropped silently.

No ``from __future__ import annotations`` here: FastAPI reads the routes' annotations at runtime.
"""


import io
import json
import zipfile
from pathlib import Path
from typing import Annotated, Any

from dlp2c.common.bus import Bus
from dlp2c.common.db import Database
from dlp2c.common.errors import Dlp2cError
from dlp2c.common.storage import Storage, StorageError
from dlp2c.common.submit import submit_pdf
from dlp2c.gateway.community import community_router
from dlp2c.gateway.editor import editor_router
from dlp2c.gateway.errors import ApiError
from dlp2c.gateway.fetch import FetchError, arxiv_url, check_callback, fetch_pdf
from dlp2c.gateway.settings import GatewaySettings
from fastapi import Depends, FastAPI, File, Form, Header, Query, Request, UploadFile
from fastapi.responses import FileResponse, JSONResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST, Counter, generate_latest

TARGETS = ("keras", "caffe", "pytorch", "onnx")
SUBMISSIONS = Counter("dlp2c_submissions_total", "Papers submitted over REST, by outcome", ["outcome"])


def _error(status: int, code: str, message: str, where: str = "", headers: dict | None = None) -> JSONResponse:
    body: dict[str, Any] = {"error": {"code": code, "message": message}}
    if where:
        body["error"]["where"] = where
    return JSONResponse(body, status_code=status, headers=headers)


def create_app(storage: Storage, db: Database, bus: Bus, settings: GatewaySettings | None = None) -> FastAPI:
    settings = settings or GatewaySettings()
    app = FastAPI(title="DLPaper2Code", version="1.0",
                  description="Deep-learning papers in; their networks as graphs and code (Keras, Caffe, "
                              "PyTorch, ONNX) out.")

    @app.exception_handler(ApiError)
    async def _api_error(_request: Request, exc: ApiError) -> JSONResponse:
        return _error(exc.status, exc.code, exc.message, exc.where, exc.headers)

    @app.exception_handler(Dlp2cError)
    async def _bad_input(_request: Request, exc: Dlp2cError) -> JSONResponse:
        status = 502 if isinstance(exc, FetchError) and exc.code == "fetch_failed" else 400
        if exc.code == "too_large":
            status = 413
        return _error(status, exc.code, exc.message, exc.where)

    def api_key(x_api_key: Annotated[str | None, Header()] = None) -> str:
        if not x_api_key:
            raise ApiError(401, "no_api_key", "this endpoint needs an API key in the X-API-Key header")
        owner = db.owner_of(x_api_key)
        if owner is None:
            raise ApiError(401, "bad_api_key", "the API key is not known or was revoked")
        return owner

    def _paper_or_404(paper_id: str) -> dict[str, Any]:
        paper = db.paper(paper_id) if len(paper_id) == 64 else None
        if paper is None:
            raise ApiError(404, "not_found", f"no paper {paper_id[:64]!r}")
        return paper

    def _design_or_404(design_id: str) -> dict[str, Any]:
        design = db.design(design_id)
        if design is None:
            raise ApiError(404, "not_found", f"no design {design_id[:64]!r}")
        return design

    def _get(key: str) -> bytes:
        try:
            return storage.get(key)
        except StorageError as exc:
            raise ApiError(404, "not_found", "the artifact is not stored (yet)", key) from exc

    # --- health and metrics -------------------------------------------------------------------------

    @app.get("/livez", include_in_schema=False)
    def livez() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/readyz", include_in_schema=False)
    def readyz() -> Response:
        try:
            db.ping()
            storage.exists("readyz-probe")
        except Exception as exc:  # any dependency that is down makes the gateway not ready
            return _error(503, "not_ready", f"{type(exc).__name__}: {exc}"[:300])
        return JSONResponse({"status": "ready"})

    @app.get("/metrics", include_in_schema=False)
    def metrics() -> Response:
        return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)

    # --- submitting ---------------------------------------------------------------------------------

    @app.post("/v1/papers", status_code=202, tags=["papers"],
              responses={200: {"description": "This PDF was submitted before: its first job"},
                         400: {"description": "Not a PDF, or a bad arXiv id or URL"},
                         401: {"description": "No or unknown API key"}, 413: {"description": "Too large"},
                         429: {"description": "Too many jobs for this key (see Retry-After)"},
                         503: {"description": "The system is saturated (see Retry-After)"}})
    async def submit(request: Request, owner: Annotated[str, Depends(api_key)],
                     pdf: Annotated[UploadFile | None, File(description="The paper's PDF")] = None,
                     arxiv_id: Annotated[str | None, Form(description="e.g. 1409.1556")] = None,
                     url: Annotated[str | None, Form(description="An http(s) URL of the PDF")] = None,
                     callback_url: Annotated[str | None, Form(description="POSTed the job's outcome")] = None,
                     ) -> Response:
        """Submit a paper: exactly one of a PDF upload, an arXiv id or a URL."""
        given = [name for name, value in (("pdf", pdf), ("arxiv_id", arxiv_id), ("url", url)) if value]
        if len(given) != 1:
            raise ApiError(400, "bad_submission", "give exactly one of: pdf (a file), arxiv_id, url",
                           ", ".join(given))
        if callback_url:
            check_callback(callback_url, settings.allow_private_urls)
        declared = request.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > settings.max_upload_bytes + 64 * 1024:
            SUBMISSIONS.labels("too_large").inc()
            raise ApiError(413, "too_large", f"uploads are limited to {settings.max_upload_bytes:,} bytes")
        if db.active_jobs() >= settings.max_pending_jobs:
            SUBMISSIONS.labels("saturated").inc()
            raise ApiError(503, "saturated", "too many papers are being processed; try again later",
                           headers={"Retry-After": str(settings.retry_after_s)})
        if db.active_jobs(owner) >= settings.max_jobs_per_key:
            SUBMISSIONS.labels("rate_limited").inc()
            raise ApiError(429, "too_many_jobs", f"this key has {settings.max_jobs_per_key} jobs running; wait for "
                           "one to finish", headers={"Retry-After": str(settings.retry_after_s)})
        if pdf is not None:
            data = await pdf.read(settings.max_upload_bytes + 1)
            source = f"upload:{(pdf.filename or '')[:200]}"
        else:
            target = arxiv_url(arxiv_id, settings.arxiv_pdf_url) if arxiv_id else str(url)
            data = fetch_pdf(target, settings.max_upload_bytes, settings.fetch_timeout_s,
                             settings.allow_private_urls)
            source = f"arxiv:{arxiv_id}" if arxiv_id else f"url:{target[:250]}"
        if len(data) > settings.max_upload_bytes:
            raise ApiError(413, "too_large", f"uploads are limited to {settings.max_upload_bytes:,} bytes")
        submission = submit_pdf(storage, db, bus, data, source, owner, callback_url or "")
        SUBMISSIONS.labels("new" if submission.new else "again").inc()
        body = {"job_id": submission.job_id, "paper_id": submission.paper_id, "new": submission.new,
                "links": {"job": f"/v1/jobs/{submission.job_id}", "paper": f"/v1/papers/{submission.paper_id}"}}
        return JSONResponse(body, status_code=202 if submission.new else 200,
                            headers={"Location": f"/v1/jobs/{submission.job_id}"})

    # --- following ----------------------------------------------------------------------------------

    @app.get("/v1/jobs/{job_id}", tags=["jobs"])
    def job(job_id: str) -> dict[str, Any]:
        """A job's status (queued, running, done, failed) and each stage's progress."""
        row = db.job(job_id[:64])
        if row is None:
            raise ApiError(404, "not_found", f"no job {job_id[:64]!r}")
        return {"job_id": row["id"], "paper_id": row["paper_id"], "status": row["status"], "error": row["error"],
                "created_at": row["created_at"], "finished_at": row["finished_at"],
                "stages": db.progress(row["paper_id"]), "links": {"paper": f"/v1/papers/{row['paper_id']}"}}

    # --- reading ------------------------------------------------------------------------------------

    @app.get("/v1/papers", tags=["papers"])
    def papers(limit: Annotated[int, Query(ge=1, le=200)] = 50,
               offset: Annotated[int, Query(ge=0)] = 0) -> dict[str, Any]:
        """Papers, newest first."""
        rows = db.papers(limit, offset)
        return {"total": db.count_papers(), "limit": limit, "offset": offset,
                "papers": [{k: r[k] for k in ("id", "title", "authors", "arxiv_id", "pages", "status", "created_at")}
                           for r in rows]}

    @app.get("/v1/papers/{paper_id}", tags=["papers"])
    def paper(paper_id: str) -> dict[str, Any]:
        """A paper: its metadata, figures (with what was read) and designs (with their code)."""
        row = _paper_or_404(paper_id)
        base = f"/v1/papers/{paper_id}"
        figures = [{**{k: f[k] for k in ("figure_id", "label", "caption", "page", "status", "p_design", "style",
                                         "layers", "edges", "error")},
                    "links": {"image": f"{base}/figures/{f['figure_id']}/image.png",
                              **({"overlay": f"{base}/figures/{f['figure_id']}/overlay.png"}
                                 if f["overlay_key"] else {})}}
                   for f in sorted(db.figures_of(paper_id), key=lambda f: (f["page"], f["figure_id"]))]
        designs = [_design_view(d) for d in db.designs_of(paper_id)]
        return {"paper": {k: row[k] for k in ("id", "title", "authors", "arxiv_id", "pages", "status", "error",
                                              "created_at")},
                "figures": figures, "designs": designs, "links": {"code": f"{base}/code.zip"}}

    @app.get("/v1/papers/{paper_id}/figures/{figure_id}/{kind}.png", tags=["papers"],
             response_class=Response, responses={200: {"content": {"image/png": {}}}})
    def figure_image(paper_id: str, figure_id: str, kind: str) -> Response:
        """A figure's crop (``image``) or the overlay of what was read in it (``overlay``)."""
        if kind not in ("image", "overlay"):
            raise ApiError(404, "not_found", "image or overlay")
        row = db.figure(paper_id[:64], figure_id[:40])
        key = (row or {}).get("image_key" if kind == "image" else "overlay_key")
        if not key:
            raise ApiError(404, "not_found", f"no {kind} for {figure_id[:40]!r}")
        return Response(_get(key), media_type="image/png")

    @app.get("/v1/papers/{paper_id}/code.zip", tags=["papers"], response_class=Response,
             responses={200: {"content": {"application/zip": {}}}})
    def paper_code(paper_id: str) -> Response:
        """Every design's code in one zip: one folder per design."""
        _paper_or_404(paper_id)
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
            for design in db.designs_of(paper_id):
                if "all" not in design["code_keys"]:
                    continue
                with zipfile.ZipFile(io.BytesIO(_get(design["code_keys"]["all"]))) as inner:
                    for info in inner.infolist():
                        archive.writestr(info, inner.read(info))
        return Response(buffer.getvalue(), media_type="application/zip",
                        headers={"Content-Disposition": f'attachment; filename="{paper_id[:12]}-code.zip"'})

    @app.get("/v1/designs/{design_id}", tags=["designs"])
    def design(design_id: str) -> dict[str, Any]:
        """A design and its graph (the library-independent JSON every target is generated from)."""
        row = _design_or_404(design_id)
        graph = json.loads(_get(row["graph_key"])) if row["graph_key"] else None
        return {**_design_view(row), "graph": graph}

    @app.get("/v1/designs/{design_id}/code/{target}", tags=["designs"])
    def design_code(design_id: str, target: str) -> dict[str, Any]:
        """One target's files (path -> text)."""
        if target not in TARGETS:
            raise ApiError(404, "not_found", f"target is one of {', '.join(TARGETS)}")
        row = _design_or_404(design_id)
        prefix = row["code_keys"].get(target)
        if not prefix:
            raise ApiError(404, "not_found", f"no {target} code for this design", row["error"] or
                           ", ".join(row["failed_targets"]))
        files = {key[len(prefix) + 1:]: _get(key).decode("utf-8", errors="replace")
                 for key in storage.list(prefix + "/")}
        return {"design_id": design_id, "target": target, "files": files}

    @app.get("/v1/designs/{design_id}/code.zip", tags=["designs"], response_class=Response,
             responses={200: {"content": {"application/zip": {}}}})
    def design_zip(design_id: str) -> Response:
        row = _design_or_404(design_id)
        if "all" not in row["code_keys"]:
            raise ApiError(404, "not_found", "no code for this design (yet)", row["error"])
        return Response(_get(row["code_keys"]["all"]), media_type="application/zip",
                        headers={"Content-Disposition": f'attachment; filename="{design_id}.zip"'})

    app.include_router(community_router(storage, db, bus, settings))
    app.include_router(editor_router(settings))
    if settings.web_dist:
        mount_website(app, Path(settings.web_dist))
    return app


def mount_website(app: FastAPI, dist: Path) -> None:
    """The built website at /, same origin as the API; any path that is not a file gets index.html
    (the single-page app routes it)."""
    index = dist / "index.html"
    if not index.is_file():
        raise FileNotFoundError(f"no built website at {dist} (run `make web`)")
    root = dist.resolve()

    @app.get("/{path:path}", include_in_schema=False)
    def website(path: str) -> Response:
        target = (root / path).resolve()
        if path and target.is_file() and target.is_relative_to(root):
            return FileResponse(target)
        return FileResponse(index, headers={"Cache-Control": "no-cache"})


def _design_view(row: dict[str, Any]) -> dict[str, Any]:
    base = f"/v1/designs/{row['id']}"
    view = {k: row[k] for k in ("id", "source", "ref", "name", "status", "version", "layers", "params", "notes",
                                "failed_targets", "error")}
    view["links"] = {"self": base, **({f"code_{t}": f"{base}/code/{t}" for t in TARGETS if t in row["code_keys"]}),
                     **({"zip": f"{base}/code.zip"} if "all" in row["code_keys"] else {})}
    return view

