"""The metadata store: papers, jobs and their progress, figures, designs, API keys.

One class over SQLAlchemy Core, so SQLite (embedded) and PostgreSQL (distributed) run the same code.
Writes are idempotent where a redelivered message could repeat them: inserting a row that exists
leaves it as it is.
"""

from __future__ import annotations

import hashlib
import json
import time
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from dlp2c.common.db import schema
from dlp2c.common.db.migrations import migrate
from dlp2c.common.errors import Dlp2cError
from sqlalchemy import Engine, Table, create_engine, event, func, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import SQLAlchemyError

FIGURE_DONE = ("other", "read", "unread", "failed")
DESIGN_DONE = ("generated", "failed")


class DatabaseError(Dlp2cError):
    code = "database"
    transient = True


@dataclass(frozen=True)
class Submission:
    job_id: str
    paper_id: str
    trace_id: str
    new: bool  # False: this PDF was submitted before; its job is returned and nothing runs again


def engine_for(url: str) -> Engine:
    """``sqlite:///path`` (its folder made when missing) or ``postgresql://...`` (through psycopg 3)."""
    parsed = urlparse(url)
    if parsed.scheme == "sqlite":
        path = url.split(":///", 1)[1] if ":///" in url else ""
        if path and path != ":memory:":
            Path(path).expanduser().parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})

        @event.listens_for(engine, "connect")
        def _pragmas(conn: Any, _record: Any) -> None:
            cursor = conn.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.close()

        return engine
    if parsed.scheme in ("postgresql", "postgres", "postgresql+psycopg"):
        return create_engine("postgresql+psycopg://" + url.split("://", 1)[1], pool_pre_ping=True)
    raise DatabaseError(f"unknown database scheme {parsed.scheme!r}", url, "use sqlite:///path or postgresql://")


def _now() -> float:
    return time.time()


def design_id(paper_id: str, source: str, ref: str, name: str) -> str:
    digest = hashlib.sha256(f"{paper_id}\0{source}\0{ref}\0{name}".encode()).hexdigest()
    return f"d-{digest[:20]}"


class Database:
    def __init__(self, url: str) -> None:
        self.url = url
        self.engine = engine_for(url)
        try:
            migrate(self.engine)
        except SQLAlchemyError as exc:
            raise DatabaseError(f"cannot open the metadata database: {exc.__class__.__name__}: {exc}",
                                _redact(url), "check DLP2C_DB_URL") from exc

    def close(self) -> None:
        self.engine.dispose()

    # --- helpers -------------------------------------------------------------------------------

    def _insert_new(self, table: Table, rows: list[dict[str, Any]]) -> int:
        """Insert rows whose primary key is not there yet; returns how many were new."""
        if not rows:
            return 0
        dialect = postgresql if self.engine.dialect.name == "postgresql" else sqlite
        statement = (dialect.insert(table).values(rows).on_conflict_do_nothing()
                     .returning(*table.primary_key.columns))
        with self.engine.begin() as conn:
            return len(conn.execute(statement).fetchall())

    def _update(self, table: Table, where: Any, fields: Mapping[str, Any]) -> None:
        with self.engine.begin() as conn:
            conn.execute(update(table).where(where).values(**fields))

    def fetch_one(self, statement: Any) -> dict[str, Any] | None:
        with self.engine.connect() as conn:
            row = conn.execute(statement).mappings().first()
        return dict(row) if row is not None else None

    def fetch_all(self, statement: Any) -> list[dict[str, Any]]:
        with self.engine.connect() as conn:
            return [dict(r) for r in conn.execute(statement).mappings()]

    # --- papers and jobs ------------------------------------------------------------------------

    def submit(self, paper_id: str, pdf_key: str, source: str = "", owner: str = "",
               callback_url: str = "") -> Submission:
        """Record a submitted PDF. The same PDF again gives its first job back (unless that one failed)."""
        now = _now()
        self._insert_new(schema.papers, [{"id": paper_id, "pdf_key": pdf_key, "status": "submitted",
                                          "source": source[:300], "created_at": now, "updated_at": now,
                                          "title": "", "authors": "[]", "arxiv_id": "", "pages": 0,
                                          "manifest_key": "", "error": ""}])
        previous = self.fetch_one(select(schema.jobs).where(schema.jobs.c.paper_id == paper_id,
                                                       schema.jobs.c.status != "failed")
                             .order_by(schema.jobs.c.created_at))
        if previous is not None:
            return Submission(previous["id"], paper_id, previous["trace_id"], False)
        job_id, trace_id = uuid.uuid4().hex, uuid.uuid4().hex
        with self.engine.begin() as conn:
            conn.execute(update(schema.papers).where(schema.papers.c.id == paper_id)
                         .values(status="submitted", error="", updated_at=now))
            conn.execute(insert(schema.jobs).values(id=job_id, paper_id=paper_id, trace_id=trace_id, status="queued",
                                                    owner=owner, callback_url=callback_url, created_at=now,
                                                    updated_at=now))
        return Submission(job_id, paper_id, trace_id, True)

    def paper(self, paper_id: str) -> dict[str, Any] | None:
        row = self.fetch_one(select(schema.papers).where(schema.papers.c.id == paper_id))
        if row is not None:
            row["authors"] = json.loads(row["authors"])
        return row

    def papers(self, limit: int = 50, offset: int = 0) -> list[dict[str, Any]]:
        newest = schema.papers.c.created_at.desc()
        rows = self.fetch_all(select(schema.papers).order_by(newest).limit(limit).offset(offset))
        for row in rows:
            row["authors"] = json.loads(row["authors"])
        return rows

    def set_paper(self, paper_id: str, **fields: Any) -> None:
        if "authors" in fields:
            fields["authors"] = json.dumps(list(fields["authors"]))
        self._update(schema.papers, schema.papers.c.id == paper_id, {**fields, "updated_at": _now()})

    def job(self, job_id: str) -> dict[str, Any] | None:
        return self.fetch_one(select(schema.jobs).where(schema.jobs.c.id == job_id))

    def jobs_of(self, paper_id: str) -> list[dict[str, Any]]:
        return self.fetch_all(select(schema.jobs).where(schema.jobs.c.paper_id == paper_id)
                         .order_by(schema.jobs.c.created_at))

    def active_jobs(self, owner: str | None = None) -> int:
        """Jobs queued or running: one owner's, or everyone's."""
        where = schema.jobs.c.status.in_(("queued", "running"))
        if owner is not None:
            where = where & (schema.jobs.c.owner == owner)
        with self.engine.connect() as conn:
            return conn.execute(select(func.count()).select_from(schema.jobs).where(where)).scalar_one()

    def count_papers(self) -> int:
        with self.engine.connect() as conn:
            return conn.execute(select(func.count()).select_from(schema.papers)).scalar_one()

    def ping(self) -> None:
        with self.engine.connect() as conn:
            conn.exec_driver_sql("SELECT 1")

    def set_job(self, job_id: str, **fields: Any) -> None:
        self._update(schema.jobs, schema.jobs.c.id == job_id, {**fields, "updated_at": _now()})

    # --- figures and designs --------------------------------------------------------------------

    def add_figures(self, paper_id: str, rows: Iterable[Mapping[str, Any]]) -> int:
        full = [{"paper_id": paper_id, "caption": "", "page": 0, "image_key": "", "status": "found", "style": "",
                 "flow_key": "", "figure_graph_key": "", "overlay_key": "", "layers": 0, "edges": 0, "error": "",
                 **row} for row in rows]
        return self._insert_new(schema.figures, full)

    def figure(self, paper_id: str, figure_id: str) -> dict[str, Any] | None:
        return self.fetch_one(select(schema.figures).where(schema.figures.c.paper_id == paper_id,
                                                      schema.figures.c.figure_id == figure_id))

    def figures_of(self, paper_id: str) -> list[dict[str, Any]]:
        return self.fetch_all(select(schema.figures).where(schema.figures.c.paper_id == paper_id))

    def set_figure(self, paper_id: str, figure_id: str, **fields: Any) -> None:
        where = (schema.figures.c.paper_id == paper_id) & (schema.figures.c.figure_id == figure_id)
        self._update(schema.figures, where, fields)

    def add_design(self, paper_id: str, source: str, ref: str, name: str, graph_key: str, layers: int,
                   notes: Iterable[str] = ()) -> str:
        """Record a design (idempotent); returns its id."""
        ident = design_id(paper_id, source, ref, name)
        now = _now()
        self._insert_new(schema.designs, [{"id": ident, "paper_id": paper_id, "source": source, "ref": ref,
                                           "name": name[:500], "status": "found", "version": 1,
                                           "graph_key": graph_key, "layers": layers, "params": None,
                                           "code_keys": "{}", "failed_targets": "[]",
                                           "notes": json.dumps(list(notes)), "error": "",
                                           "created_at": now, "updated_at": now}])
        self._insert_new(schema.design_versions, [{"design_id": ident, "version": 1, "graph_key": graph_key,
                                                   "message": f"read from {ref}", "author": "dlp2c",
                                                   "created_at": now}])
        return ident

    def design(self, ident: str) -> dict[str, Any] | None:
        return _design_row(self.fetch_one(select(schema.designs).where(schema.designs.c.id == ident)))

    def designs_of(self, paper_id: str) -> list[dict[str, Any]]:
        rows = self.fetch_all(select(schema.designs).where(schema.designs.c.paper_id == paper_id)
                         .order_by(schema.designs.c.source.desc(), schema.designs.c.ref, schema.designs.c.name))
        return [_design_row(r) for r in rows]  # type: ignore[misc]

    def set_design(self, ident: str, **fields: Any) -> None:
        for key in ("code_keys", "failed_targets", "notes"):
            if key in fields:
                fields[key] = json.dumps(fields[key])
        self._update(schema.designs, schema.designs.c.id == ident, {**fields, "updated_at": _now()})

    # --- progress -------------------------------------------------------------------------------

    def progress(self, paper_id: str) -> dict[str, Any]:
        """Per stage: how many items it has finished of how many it has (known so far)."""
        paper = self.paper(paper_id)
        figures = self.figures_of(paper_id)
        designs = self.designs_of(paper_id)
        status = paper["status"] if paper else "missing"
        split_done = status in ("split", "tables_read")
        to_read = [f for f in figures if f["status"] not in ("found", "other", "failed") or f["style"]]
        return {
            "split": {"done": int(split_done), "total": 1, "failed": int(status == "failed")},
            "tables": {"done": int(status == "tables_read"), "total": 1},
            "classify": {"done": sum(f["status"] != "found" for f in figures), "total": len(figures)},
            "flow": {"done": sum(f["status"] in ("detected", "read", "unread") for f in to_read),
                     "total": len(to_read)},
            "ocr": {"done": sum(f["status"] in ("read", "unread") for f in to_read), "total": len(to_read)},
            "codegen": {"done": sum(d["status"] in DESIGN_DONE for d in designs), "total": len(designs)},
        }

    def settle(self, paper_id: str) -> list[dict[str, Any]]:
        """Bring the paper's open jobs up to date; returns those that finished just now."""
        paper = self.paper(paper_id)
        if paper is None:
            return []
        figures = self.figures_of(paper_id)
        designs = self.designs_of(paper_id)
        if paper["status"] == "failed":
            state, error = "failed", paper["error"]
        elif (paper["status"] == "tables_read" and all(f["status"] in FIGURE_DONE for f in figures)
              and all(d["status"] in DESIGN_DONE for d in designs)):
            state, error = "done", ""
        else:
            state, error = "running", ""
        finished = []
        now = _now()
        for job in self.jobs_of(paper_id):
            if job["status"] in ("done", "failed") or job["status"] == state:
                continue
            fields: dict[str, Any] = {"status": state, "error": error}
            if state in ("done", "failed"):
                fields["finished_at"] = now
            with self.engine.begin() as conn:
                changed = conn.execute(update(schema.jobs).where(schema.jobs.c.id == job["id"],
                                                                 schema.jobs.c.status == job["status"])
                                       .values(**fields, updated_at=now)).rowcount
            if changed and state in ("done", "failed"):
                finished.append({**job, **fields})
        return finished

    # --- the crawler ------------------------------------------------------------------------------

    def crawl(self, crawl_id: str, query: str) -> dict[str, Any]:
        """The crawl's saved state (created at offset 0 the first time)."""
        self._insert_new(schema.crawls, [{"id": crawl_id, "query": query[:4000], "start": 0, "total": None,
                                          "submitted": 0, "status": "running", "updated_at": _now()}])
        return self.fetch_one(select(schema.crawls).where(schema.crawls.c.id == crawl_id))  # type: ignore[return-value]

    def save_crawl(self, crawl_id: str, **fields: Any) -> None:
        self._update(schema.crawls, schema.crawls.c.id == crawl_id, {**fields, "updated_at": _now()})

    def crawled(self, arxiv_id: str) -> dict[str, Any] | None:
        return self.fetch_one(select(schema.crawled).where(schema.crawled.c.arxiv_id == arxiv_id))

    def mark_crawled(self, arxiv_id: str, crawl_id: str, paper_id: str, status: str, error: str = "") -> None:
        if not self._insert_new(schema.crawled, [{"arxiv_id": arxiv_id, "crawl_id": crawl_id, "paper_id": paper_id,
                                                  "status": status, "error": error[:2000], "created_at": _now()}]):
            self._update(schema.crawled, schema.crawled.c.arxiv_id == arxiv_id,
                         {"paper_id": paper_id, "status": status, "error": error[:2000]})

    # --- API keys -------------------------------------------------------------------------------

    def add_api_key(self, key: str, owner: str) -> None:
        self._insert_new(schema.api_keys, [{"key_hash": _hash_key(key), "owner": owner, "active": True,
                                            "created_at": _now()}])

    def owner_of(self, key: str) -> str | None:
        row = self.fetch_one(select(schema.api_keys).where(schema.api_keys.c.key_hash == _hash_key(key),
                                                      schema.api_keys.c.active.is_(True)))
        return row["owner"] if row else None


def _hash_key(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def _design_row(row: dict[str, Any] | None) -> dict[str, Any] | None:
    if row is None:
        return None
    for key in ("code_keys", "failed_targets", "notes"):
        row[key] = json.loads(row[key])
    return row


def _redact(url: str) -> str:
    parsed = urlparse(url)
    if parsed.password:
        return url.replace(f":{parsed.password}@", ":***@")
    return url
