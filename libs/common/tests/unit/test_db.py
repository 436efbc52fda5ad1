"""The metadata store on SQLite (PostgreSQL runs the same tests in tests/integration)."""

from __future__ import annotations

from pathlib import Path

import pytest
from dlp2c.common.db import Database, DatabaseError, design_id
from dlp2c.common.db.migrations import STEPS, applied, migrate


@pytest.fixture
def db(tmp_path: Path) -> Database:
    return Database(f"sqlite:///{tmp_path / 'meta' / 'dlp2c.sqlite'}")


def test_migrations_apply_once(db: Database) -> None:
    assert applied(db.engine) == [v for v, _, _ in STEPS]
    assert migrate(db.engine) == []


def test_the_same_pdf_twice_is_one_paper_and_one_job(db: Database) -> None:
    first = db.submit("a" * 64, "papers/a/paper.pdf", "cli")
    again = db.submit("a" * 64, "papers/a/paper.pdf", "upload")
    assert first.new and not again.new
    assert again.job_id == first.job_id and again.trace_id == first.trace_id
    assert len(db.jobs_of("a" * 64)) == 1


def test_a_failed_paper_can_be_submitted_again(db: Database) -> None:
    first = db.submit("b" * 64, "k")
    db.set_paper("b" * 64, status="failed", error="not_pdf: no")
    assert [j["status"] for j in db.settle("b" * 64)] == ["failed"]
    again = db.submit("b" * 64, "k")
    assert again.new and again.job_id != first.job_id
    assert db.paper("b" * 64)["status"] == "submitted"


def test_a_job_finishes_when_every_figure_and_design_is_done(db: Database) -> None:
    paper = "c" * 64
    job = db.submit(paper, "k").job_id
    db.set_paper(paper, status="split")
    assert db.settle(paper) == [] and db.job(job)["status"] == "running"
    db.add_figures(paper, [{"figure_id": "figure-1", "label": "Figure 1"},
                           {"figure_id": "figure-2", "label": "Figure 2"}])
    ident = db.add_design(paper, "table", "Table 1", "Table 1 D", "papers/c/designs/x/graph.json", 16, ["left out: x"])
    db.set_paper(paper, status="tables_read")
    assert db.settle(paper) == []
    db.set_figure(paper, "figure-1", status="other")
    db.set_figure(paper, "figure-2", status="read")
    assert db.settle(paper) == []  # the design still waits for its code
    db.set_design(ident, status="generated", params=138_357_544, code_keys={"keras": "k"})
    finished = db.settle(paper)
    assert [j["id"] for j in finished] == [job] and db.job(job)["status"] == "done"
    assert db.settle(paper) == []  # announced once
    progress = db.progress(paper)
    assert progress["classify"] == {"done": 2, "total": 2}
    assert progress["codegen"] == {"done": 1, "total": 1}
    design = db.design(ident)
    assert design["params"] == 138_357_544 and design["code_keys"] == {"keras": "k"}
    assert design["notes"] == ["left out: x"]


def test_rows_are_inserted_once(db: Database) -> None:
    paper = "d" * 64
    db.submit(paper, "k")
    assert db.add_figures(paper, [{"figure_id": "figure-1", "label": "Figure 1"}]) == 1
    db.set_figure(paper, "figure-1", status="read")
    assert db.add_figures(paper, [{"figure_id": "figure-1", "label": "Figure 1"}]) == 0
    assert db.figure(paper, "figure-1")["status"] == "read"  # a redelivery does not reset it
    first = db.add_design(paper, "figure", "Figure 1", "Figure 1", "key", 3)
    assert db.add_design(paper, "figure", "Figure 1", "Figure 1", "key", 3) == first == design_id(
        paper, "figure", "Figure 1", "Figure 1")
    assert len(db.designs_of(paper)) == 1


def test_api_keys_are_stored_hashed(db: Database) -> None:
    db.add_api_key("secret-key-1", "lab-a")
    assert db.owner_of("secret-key-1") == "lab-a"
    assert db.owner_of("secret-key-2") is None
    with db.engine.connect() as conn:
        stored = conn.exec_driver_sql("SELECT key_hash FROM api_keys").scalar_one()
    assert "secret" not in stored and len(stored) == 64


def test_bad_urls_are_named() -> None:
    with pytest.raises(DatabaseError, match="unknown database scheme"):
        Database("mysql://x")
