"""Structured JSON logging with structlog: every line has ``service``, ``trace_id``, ``job_id``.

``trace_id`` (and ``span_id``) come from the current OpenTelemetry span, so a line written by a
job's background stage carries the job's trace id, not the one of whichever call started the
task; outside any span they are the values bound for the call (``""`` when none).
"""

from __future__ import annotations

import logging
import sys
from collections.abc import MutableMapping
from typing import Any

import structlog
from opentelemetry import trace


def _add_trace(_: Any, __: str, event: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
    sc = trace.get_current_span().get_span_context()
    if sc.is_valid:
        event["trace_id"] = f"{sc.trace_id:032x}"
        event["span_id"] = f"{sc.span_id:016x}"
    else:
        event.setdefault("trace_id", "")
    event.setdefault("job_id", "")
    return event


def configure_logging(service: str, level: str = "INFO", json_output: bool = True) -> None:
    """Configure structlog + stdlib logging for ``service`` (writes to stderr).

    Args:
        service: name written as ``service`` in every line (e.g. ``kernel``).
        level: stdlib level name.
        json_output: JSON lines when true, human-readable console output otherwise.
    """
    lvl = logging.getLevelName(level.upper())
    if not isinstance(lvl, int):
        lvl = logging.INFO
    renderer: Any = (
        structlog.processors.JSONRenderer() if json_output else structlog.dev.ConsoleRenderer()
    )
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            _add_trace,
            structlog.processors.format_exc_info,
            renderer,
        ],
        wrapper_class=structlog.make_filtering_bound_logger(lvl),
        logger_factory=structlog.PrintLoggerFactory(file=sys.stderr),
        cache_logger_on_first_use=True,
    )
    structlog.contextvars.clear_contextvars()
    structlog.contextvars.bind_contextvars(service=service)
    logging.basicConfig(level=max(lvl, logging.WARNING), stream=sys.stderr)


def get_logger(name: str = "eigen") -> Any:
    """Return a structlog logger."""
    return structlog.get_logger(name)
