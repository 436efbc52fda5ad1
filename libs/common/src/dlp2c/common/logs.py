"""Structured logs: one JSON object per line (time, level, logger, message and the event's ids), so
a log store can follow one paper through every service by its ``trace_id``."""

from __future__ import annotations

import json
import logging
import time
from typing import Any

FIELDS = ("stage", "paper_id", "job_id", "trace_id", "event_id", "attempt", "topic", "code", "seconds")


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        data: dict[str, Any] = {"ts": round(record.created, 3), "level": record.levelname.lower(),
                                "logger": record.name, "msg": record.getMessage()}
        for key in FIELDS:
            value = getattr(record, key, None)
            if value not in (None, ""):
                data[key] = value
        if record.exc_info:
            data["error"] = self.formatException(record.exc_info)
        return json.dumps(data, default=str)


def configure(level: str = "INFO", json_lines: bool = True) -> None:
    """Logging for a service process: JSON lines on stderr (or plain text for people)."""
    handler = logging.StreamHandler()
    handler.setFormatter(JsonFormatter() if json_lines else
                         logging.Formatter("%(asctime)s %(name)s %(levelname)s %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    logging.Formatter.converter = time.gmtime
