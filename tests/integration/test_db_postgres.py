"""The metadata store on the machine's PostgreSQL: migrations, idempotent submissions, job progress."""

from __future__ import annotations

import threading

import pytest
from dlp2c.common.db import Database
from dlp2c.common.db.migrations import STEPS, applied, migrate

pytestmark = pytest.mark.connected


def test_migrations_and_a_job_from_submission_to_done(postgres_url: str) -> None:
    db = Database(postgres_url)
    try:
        assert db.engine.dialect.name == "postgresql"
        assert applied(db.engine) == [v for v, _, _ in STEPS] and migrate(db.engine) == []
        paper = "f" * 64
        first, again = db.submit(paper, "k", "upload", owner="lab"), db.submit(paper, "k", "upload", owner="lab")
        assert first.new and not again.new and again.job_id == first.job_id
        assert db.active_jobs("lab") == 1
        db.add_figures(paper, [{"figure_id": "figure-1", "label": "Figure 1"}])
        assert db.add_figures(paper, [{"figure_id": "figure-1", "label": "Figure 1"}]) == 0
        ident = db.add_design(paper, "table", "Table 1", "Table 1", "g", 5)
        db.set_paper(paper, status="tables_read", authors=["A. Author"])
        db.set_figure(paper, "figure-1", status="other")
        db.set_design(ident, status="generated", params=12, code_keys={"all": "z"})
        assert [j["status"] for j in db.settle(paper)] == ["done"]
        assert db.active_jobs("lab") == 0 and db.paper(paper)["authors"] == ["A. Author"]
    finally:
        db.close()


def test_services_starting_together_migrate_once(postgres_url: str) -> None:
    errors: list[Exception] = []

    def start() -> None:
        try:
            Database(postgres_url).close()
        except Exception as exc:
            errors.append(exc)

    threads = [threading.Thread(target=start) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    db = Database(postgres_url)
    with db.engine.connect() as conn:
        assert conn.exec_driver_sql("SELECT count(*) FROM schema_migrations").scalar_one() == len(STEPS)
    db.close()
