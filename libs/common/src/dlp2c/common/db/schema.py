"""The metadata tables (SQLAlchemy Core): the same definitions on SQLite and PostgreSQL.

Artifacts live in the object store; rows hold their keys, statuses and what people add (ratings,
versions). Times are Unix seconds (float), JSON lists and maps are text, so both databases agree.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Float,
    ForeignKey,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)

metadata = MetaData()

migrations = Table(
    "schema_migrations", metadata,
    Column("version", Integer, primary_key=True),
    Column("name", String(200), nullable=False),
    Column("applied_at", Float, nullable=False),
)

papers = Table(
    "papers", metadata,
    Column("id", String(64), primary_key=True),  # sha256 of the PDF
    Column("title", Text, nullable=False, default=""),
    Column("authors", Text, nullable=False, default="[]"),
    Column("arxiv_id", String(40), nullable=False, default=""),
    Column("pages", Integer, nullable=False, default=0),
    Column("pdf_key", String(900), nullable=False),
    Column("manifest_key", String(900), nullable=False, default=""),
    Column("status", String(20), nullable=False),  # submitted | split | tables_read | failed
    Column("error", Text, nullable=False, default=""),
    Column("source", String(300), nullable=False, default=""),
    Column("created_at", Float, nullable=False),
    Column("updated_at", Float, nullable=False),
)

jobs = Table(
    "jobs", metadata,
    Column("id", String(32), primary_key=True),
    Column("paper_id", String(64), ForeignKey("papers.id"), nullable=False, index=True),
    Column("trace_id", String(32), nullable=False),
    Column("status", String(20), nullable=False),  # queued | running | done | failed
    Column("owner", String(120), nullable=False, default=""),  # the API key's owner, "" for the CLI
    Column("callback_url", Text, nullable=False, default=""),
    Column("callback_status", String(40), nullable=False, default=""),
    Column("error", Text, nullable=False, default=""),
    Column("created_at", Float, nullable=False),
    Column("updated_at", Float, nullable=False),
    Column("finished_at", Float, nullable=True),
)

figures = Table(
    "figures", metadata,
    Column("paper_id", String(64), ForeignKey("papers.id"), primary_key=True),
    Column("figure_id", String(40), primary_key=True),  # figure-3
    Column("label", String(60), nullable=False),
    Column("caption", Text, nullable=False, default=""),
    Column("page", Integer, nullable=False, default=0),
    Column("image_key", String(900), nullable=False, default=""),
    # found | design | other | detected | read | unread | failed
    Column("status", String(20), nullable=False),
    Column("p_design", Float, nullable=True),
    Column("style", String(20), nullable=False, default=""),
    Column("flow_key", String(900), nullable=False, default=""),
    Column("figure_graph_key", String(900), nullable=False, default=""),
    Column("overlay_key", String(900), nullable=False, default=""),
    Column("layers", Integer, nullable=False, default=0),
    Column("edges", Integer, nullable=False, default=0),
    Column("error", Text, nullable=False, default=""),
)

designs = Table(
    "designs", metadata,
    Column("id", String(40), primary_key=True),  # d-<hex>: a hash of paper, source and name
    Column("paper_id", String(64), ForeignKey("papers.id"), nullable=False, index=True),
    Column("source", String(20), nullable=False),  # table | figure | user
    Column("ref", String(60), nullable=False, default=""),  # "Table 1", "Figure 2"
    Column("name", Text, nullable=False, default=""),
    Column("status", String(20), nullable=False),  # found | generated | failed
    Column("version", Integer, nullable=False, default=1),
    Column("graph_key", String(900), nullable=False),
    Column("layers", Integer, nullable=False, default=0),
    Column("params", BigInteger, nullable=True),
    Column("code_keys", Text, nullable=False, default="{}"),  # target -> zip key
    Column("failed_targets", Text, nullable=False, default="[]"),
    Column("notes", Text, nullable=False, default="[]"),  # what was left out, assumed or disagrees
    Column("error", Text, nullable=False, default=""),
    Column("created_at", Float, nullable=False),
    Column("updated_at", Float, nullable=False),
)

design_versions = Table(
    "design_versions", metadata,
    Column("design_id", String(40), ForeignKey("designs.id"), primary_key=True),
    Column("version", Integer, primary_key=True),
    Column("graph_key", String(900), nullable=False),
    Column("message", Text, nullable=False, default=""),
    Column("author", String(120), nullable=False, default=""),
    Column("created_at", Float, nullable=False),
)

users = Table(
    "users", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("name", String(120), nullable=False, unique=True),
    Column("password_hash", Text, nullable=False),
    Column("created_at", Float, nullable=False),
)

api_keys = Table(
    "api_keys", metadata,
    Column("key_hash", String(64), primary_key=True),  # sha256 of the key; the key itself is never stored
    Column("owner", String(120), nullable=False),
    Column("active", Boolean, nullable=False, default=True),
    Column("created_at", Float, nullable=False),
)

ratings = Table(
    "ratings", metadata,
    Column("design_id", String(40), ForeignKey("designs.id"), nullable=False),
    Column("user_id", Integer, ForeignKey("users.id"), nullable=False),
    Column("stars", Integer, nullable=False),
    Column("created_at", Float, nullable=False),
    UniqueConstraint("design_id", "user_id", name="one_rating_per_user"),
)

crawls = Table(
    "crawls", metadata,
    Column("id", String(64), primary_key=True),  # hash of query and date range
    Column("query", Text, nullable=False),
    Column("start", Integer, nullable=False, default=0),  # the next page's offset
    Column("total", Integer, nullable=True),
    Column("submitted", Integer, nullable=False, default=0),
    Column("status", String(20), nullable=False),  # running | done
    Column("updated_at", Float, nullable=False),
)

crawled = Table(
    "crawled", metadata,
    Column("arxiv_id", String(40), primary_key=True),  # without version: one paper, however revised
    Column("crawl_id", String(64), nullable=False),
    Column("paper_id", String(64), nullable=False, default=""),
    Column("status", String(20), nullable=False),  # submitted | failed
    Column("error", Text, nullable=False, default=""),
    Column("created_at", Float, nullable=False),
)

sessions = Table(
    "sessions", metadata,
    Column("token_hash", String(64), primary_key=True),  # sha256 of the session cookie; the token is never stored
    Column("user_id", Integer, ForeignKey("users.id"), nullable=False, index=True),
    Column("csrf", String(64), nullable=False),  # the double-submit token the page echoes in a header
    Column("created_at", Float, nullable=False),
    Column("expires_at", Float, nullable=False),
)
