"""The service's logs: one JSON object per line, and a filter that scrubs credentials from any message.

The access log (:mod:`iprisk.web.telemetry`) already leaves out names, addresses and query strings; the
filter is the second line of defence for every other logger (a library that quotes a header, a URL with a
password): API tokens and bearer credentials are replaced by ``[redacted]``, URL passwords and
``password=...`` values by ``***`` (:mod:`iprisk.security.redact`).
"""

from __future__ import annotations

import logging
import re
from typing import IO, Any

from pythonjsonlogger.json import JsonFormatter

from iprisk.security.redact import redact as security_redact

#: What only the node handles; URL passwords and ``password=...`` pairs are iprisk.security's (one redactor).
_CREDENTIALS = (
    re.compile(r"iprisk\.[a-z2-7]{12}\.[A-Za-z0-9_-]{20,}"),  # an API token
    re.compile(r"(?i)(bearer|basic)\s+[A-Za-z0-9._~+/=-]+"),  # an Authorization header's credentials
)


def redact(text: str) -> str:
    """``text`` without API tokens, Authorization credentials, URL passwords or ``password=...`` values."""
    for pattern in _CREDENTIALS:
        text = pattern.sub("[redacted]", text)
    return security_redact(text)


class RedactingFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = redact(record.getMessage())
        record.args = None
        return True


def json_handler(stream: IO[str] | None = None) -> logging.Handler:
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter("%(asctime)s %(levelname)s %(name)s %(message)s", timestamp=False))
    handler.addFilter(RedactingFilter())
    return handler


def configure_logging(level: str = "INFO", stream: IO[str] | None = None) -> None:
    """Send the node's and uvicorn's logs, as JSON lines, to ``stream`` (default: standard error)."""
    handler = json_handler(stream)
    for name in ("iprisk", "uvicorn", "uvicorn.error"):
        logger = logging.getLogger(name)
        logger.handlers[:] = [handler]
        logger.setLevel(level)
        logger.propagate = False
    logging.getLogger("uvicorn.access").disabled = True  # ours leaves out addresses and query strings


def uvicorn_log_config(level: str) -> dict[str, Any]:
    """A ``logging.config`` dict for uvicorn's workers: the same JSON lines, the same filter."""
    return {
        "version": 1,
        "disable_existing_loggers": False,
        # Import strings, not classes: uvicorn hands the same config to each worker process.
        "filters": {"redact": {"()": "iprisk.web.logs.RedactingFilter"}},
        "formatters": {
            "json": {
                "()": "pythonjsonlogger.json.JsonFormatter",
                "fmt": "%(asctime)s %(levelname)s %(name)s %(message)s",
            }
        },
        "handlers": {"json": {"class": "logging.StreamHandler", "formatter": "json", "filters": ["redact"]}},
        "loggers": {
            name: {"handlers": ["json"], "level": level, "propagate": False}
            for name in ("iprisk", "uvicorn", "uvicorn.error")
        }
        | {"uvicorn.access": {"handlers": [], "level": "CRITICAL", "propagate": False}},
    }
