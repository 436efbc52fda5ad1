"""Metadata in SQL: SQLite embedded, PostgreSQL distributed (``DLP2C_DB_URL``)."""

from dlp2c.common.db.database import DESIGN_DONE, FIGURE_DONE, Database, DatabaseError, Submission, design_id

__all__ = ["DESIGN_DONE", "FIGURE_DONE", "Database", "DatabaseError", "Submission", "design_id"]
