"""JSON-lines logging to stdout, which the runtime ships to CloudWatch."""

from __future__ import annotations

import json
import logging
import sys
import time
from typing import Any

LOGGER_NAME = "agent"


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": round(record.created, 3),
            "level": record.levelname,
            "message": record.getMessage(),
        }
        entry.update(getattr(record, "fields", {}))
        if record.exc_info and record.levelno >= logging.ERROR:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str)


def configure_logging(level: str = "INFO") -> logging.Logger:
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    for noisy in ("httpx", "httpx2", "mcp", "strands"):  # per-request chatter, not events
        logging.getLogger(noisy).setLevel(max(logging.WARNING, root.level))
    return logging.getLogger(LOGGER_NAME)


def log(level: int, message: str, *, exc_info: bool | BaseException = False, **fields: Any) -> None:
    """Log one event; callers pass ids and sizes, never prompts, tokens or credentials."""
    logging.getLogger(LOGGER_NAME).log(level, message, exc_info=exc_info, extra={"fields": fields})


def now() -> int:
    return int(time.time())
