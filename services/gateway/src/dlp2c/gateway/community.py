"""The website's API: accounts (sessions in an HttpOnly cookie), ratings, design versions and their
diffs, publishing, and the catalogue with search and sorting.

A request that changes something with the session cookie must carry the session's CSRF token in the
``X-CSRF-Token`` header (the double-submit pattern: the page reads it from ``/v1/auth/me``); the cookie
is ``SameSite=Strict`` as well. No ``from __future__ import annotations``: FastAPI reads these
annotations at runtime.
"""

import hashlib
import hmac
import json
from typing import Annotated, Any

from dlp2c.common.bus import Bus
from dlp2c.common.db import Database
from dlp2c.common.db.community import AccountError, Community
from dlp2c.common.design import version_diff
from dlp2c.common.errors import Dlp2cError
from dlp2c.common.events import Topic, new_event
from dlp2c.common.graph import Graph
from dlp2c.common.inference import infer
from dlp2c.common.storage import Storage
from dlp2c.events.v1 import events_pb2 as pb
from dlp2c.gateway.errors import ApiError
from dlp2c.gateway.settings import GatewaySettings
from fastapi import APIRouter, Cookie, Depends, Header, Query, Response
from pydantic import BaseModel, Field

COOKIE = "dlp2c_session"


class Credentials(BaseModel):
    name: str = Field(max_length=40)
    password: str = Field(max_length=200)


class Stars(BaseModel):
    stars: int = Field(ge=1, le=5)


class NewVersion(BaseModel):
    graph: dict[str, Any]
    message: str = Field(default="", max_length=2000)


class Publish(BaseModel):
    version: int = Field(ge=1)


def community_router(storage: Storage, db: Database, bus: Bus, settings: GatewaySettings) -> APIRouter:
    router = APIRouter()
    people = Community(db)

    def user(dlp2c_session: Annotated[str | None, Cookie()] = None) -> dict[str, Any]:
        session = people.session(dlp2c_session or "")
        if session is None:
            raise ApiError(401, "not_logged_in", "log in first")
        return session

    def writer(session: Annotated[dict, Depends(user)],
               x_csrf_token: Annotated[str | None, Header()] = None) -> dict[str, Any]:
        if not x_csrf_token or not hmac.compare_digest(x_csrf_token, session["csrf"]):
            raise ApiError(403, "csrf", "a change needs the session's X-CSRF-Token header")
        return session

    def design_row(design_id: str) -> dict[str, Any]:
        row = db.design(design_id[:40])
        if row is None:
            raise ApiError(404, "not_found", f"no design {design_id[:40]!r}")
        return row

    # --- accounts ---------------------------------------------------------------------------------

    @router.post("/v1/auth/signup", status_code=201, tags=["accounts"])
    def sign_up(body: Credentials) -> dict[str, Any]:
        try:
            ident = people.sign_up(body.name, body.password)
        except AccountError as exc:
            raise ApiError(409 if "taken" in exc.message else 400, exc.code, exc.message, exc.where) from exc
        return {"id": ident, "name": body.name}

    @router.post("/v1/auth/login", tags=["accounts"])
    def log_in(body: Credentials, response: Response) -> dict[str, Any]:
        try:
            token, csrf, account = people.log_in(body.name, body.password)
        except AccountError as exc:
            raise ApiError(401, exc.code, exc.message) from exc
        response.set_cookie(COOKIE, token, httponly=True, samesite="strict", secure=settings.secure_cookies,
                            max_age=14 * 24 * 3600, path="/")
        return {"user": account, "csrf": csrf}

    @router.get("/v1/auth/me", tags=["accounts"])
    def me(session: Annotated[dict, Depends(user)]) -> dict[str, Any]:
        return {"user": {"id": session["id"], "name": session["name"]}, "csrf": session["csrf"]}

    @router.post("/v1/auth/logout", tags=["accounts"])
    def log_out(response: Response, _session: Annotated[dict, Depends(writer)],
                dlp2c_session: Annotated[str | None, Cookie()] = None) -> dict[str, str]:
        people.log_out(dlp2c_session or "")
        response.delete_cookie(COOKIE, path="/")
        return {"status": "logged out"}

    # --- ratings ----------------------------------------------------------------------------------

    @router.put("/v1/designs/{design_id}/rating", tags=["designs"])
    def rate(design_id: str, body: Stars, session: Annotated[dict, Depends(writer)]) -> dict[str, Any]:
        """Rate a design, 1 to 5 stars; rating again replaces your rating (one per user per design)."""
        design_row(design_id)
        return people.rate(design_id, session["id"], body.stars)

    @router.get("/v1/designs/{design_id}/rating", tags=["designs"])
    def rating(design_id: str, dlp2c_session: Annotated[str | None, Cookie()] = None) -> dict[str, Any]:
        design_row(design_id)
        session = people.session(dlp2c_session or "")
        return people.rating(design_id, session["id"] if session else None)

    # --- versions ---------------------------------------------------------------------------------

    @router.get("/v1/designs/{design_id}/versions", tags=["designs"])
    def versions(design_id: str) -> dict[str, Any]:
        row = design_row(design_id)
        return {"published": row["version"],
                "versions": [{k: v[k] for k in ("version", "message", "author", "created_at")}
                             for v in people.versions(design_id)]}

    @router.get("/v1/designs/{design_id}/versions/{version}", tags=["designs"])
    def version(design_id: str, version: int) -> dict[str, Any]:
        design_row(design_id)
        row = people.version(design_id, version)
        if row is None:
            raise ApiError(404, "not_found", f"no version {version}")
        return {**{k: row[k] for k in ("version", "message", "author", "created_at")},
                "graph": json.loads(storage.get(row["graph_key"]))}

    @router.post("/v1/designs/{design_id}/versions", status_code=201, tags=["designs"])
    def save_version(design_id: str, body: NewVersion, session: Annotated[dict, Depends(writer)]) -> dict[str, Any]:
        """Save an edited graph as the next version (checked by shape inference first)."""
        row = design_row(design_id)
        try:
            graph = Graph.from_json(body.graph)
            params = infer(graph).total_params
        except Dlp2cError as exc:
            raise ApiError(400, exc.code, exc.message, exc.where) from exc
        text = graph.dumps(1).encode()
        digest = hashlib.sha256(text).hexdigest()[:16]
        key = f"papers/{row['paper_id']}/designs/{design_id}/versions/{digest}/graph.json"
        storage.put(key, text, "application/json")
        number = people.add_version(design_id, key, body.message, session["name"])
        return {"version": number, "params": params, "layers": len(graph.nodes)}

    @router.get("/v1/designs/{design_id}/diff", tags=["designs"])
    def diff(design_id: str, a: Annotated[int, Query(ge=1)], b: Annotated[int, Query(ge=1)]) -> dict[str, Any]:
        """What changed from version a to version b."""
        design_row(design_id)
        graphs = []
        for number in (a, b):
            row = people.version(design_id, number)
            if row is None:
                raise ApiError(404, "not_found", f"no version {number}")
            graphs.append(Graph.loads(storage.get(row["graph_key"]).decode()))
        return {"a": a, "b": b, **version_diff(*graphs)}

    @router.post("/v1/designs/{design_id}/publish", tags=["designs"])
    def publish(design_id: str, body: Publish, _session: Annotated[dict, Depends(writer)]) -> dict[str, Any]:
        """Make a version the design's published one; its code is generated again."""
        row = design_row(design_id)
        try:
            people.publish(design_id, body.version)
        except AccountError as exc:
            raise ApiError(404, exc.code, exc.message) from exc
        key = people.version(design_id, body.version)["graph_key"]
        job = (db.jobs_of(row["paper_id"]) or [{"id": "", "trace_id": ""}])[-1]
        event = new_event(row["paper_id"], job["id"], job["trace_id"], design_found=pb.DesignFound(
            design_id=design_id, graph_key=key, source=row["source"], ref=row["ref"]))
        bus.publish(Topic.DESIGNS, row["paper_id"], event.SerializeToString())
        bus.flush()
        return {"design_id": design_id, "published": body.version}

    # --- the catalogue ----------------------------------------------------------------------------

    @router.get("/v1/catalogue", tags=["papers"])
    def catalogue(q: Annotated[str, Query(max_length=200)] = "",
                  sort: Annotated[str, Query(pattern="^(newest|rating|edits)$")] = "newest",
                  limit: Annotated[int, Query(ge=1, le=100)] = 20,
                  offset: Annotated[int, Query(ge=0)] = 0) -> dict[str, Any]:
        """Papers for the website: search title, authors and arXiv id; sort newest, best rated, most edited."""
        total, rows = people.catalogue(q, sort, limit, offset)
        for row in rows:
            row["thumbnail"] = _thumbnail(db, row["id"])
        return {"total": total, "limit": limit, "offset": offset, "papers": rows}

    return router


def _thumbnail(db: Database, paper_id: str) -> str | None:
    """The paper's picture in the catalogue: the first design figure that was read (its overlay), else the
    first figure called a design, else none."""
    figures = sorted(db.figures_of(paper_id), key=lambda f: (f["page"], f["figure_id"]))
    for wanted, kind in ((("read",), "overlay"), (("read", "unread", "detected", "design"), "image")):
        for figure in figures:
            if figure["status"] in wanted and (kind == "image" or figure["overlay_key"]):
                return f"/v1/papers/{paper_id}/figures/{figure['figure_id']}/{kind}.png"
    return None

