"""Schema migrations: numbered steps, each applied once, in order, recorded in ``schema_migrations``.

A step is a function of a connection. Step 1 creates the tables; later steps alter them. A database
made by an older release is brought up to date by :func:`migrate`, which the services call at start.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from dlp2c.common.db import schema
from sqlalchemy import Connection, Engine, insert, inspect, select, text

Step = Callable[[Connection], None]


def _initial(conn: Connection) -> None:
    tables = [schema.papers, schema.jobs, schema.figures, schema.designs, schema.design_versions, schema.users,
              schema.api_keys, schema.ratings]
    schema.metadata.create_all(conn, tables=tables)


def _crawler(conn: Connection) -> None:
    schema.metadata.create_all(conn, tables=[schema.crawls, schema.crawled])


def _sessions(conn: Connection) -> None:
    schema.metadata.create_all(conn, tables=[schema.sessions])


STEPS: list[tuple[int, str, Step]] = [
    (1, "papers, jobs, figures, designs, versions, users, api keys, ratings", _initial),
    (2, "crawler state", _crawler),
    (3, "website sessions", _sessions),
]


def applied(engine: Engine) -> list[int]:
    if not inspect(engine).has_table(schema.migrations.name):
        return []
    with engine.connect() as conn:
        return [row[0] for row in conn.execute(select(schema.migrations.c.version).order_by("version"))]


def migrate(engine: Engine) -> list[int]:
    """Apply every step not applied yet, in one transaction; returns the versions applied now.

    On PostgreSQL an advisory lock makes services that start together take turns.
    """
    now = []
    with engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            conn.execute(text("SELECT pg_advisory_xact_lock(461073)"))
        schema.metadata.create_all(conn, tables=[schema.migrations])
        done = {row[0] for row in conn.execute(select(schema.migrations.c.version))}
        for version, name, step in STEPS:
            if version in done:
                continue
            step(conn)
            conn.execute(insert(schema.migrations).values(version=version, name=name, applied_at=time.time()))
            now.append(version)
    return now
