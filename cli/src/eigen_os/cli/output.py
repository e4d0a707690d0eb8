"""Output helpers: proto → JSON (proto field names), consoles, time formatting."""

from __future__ import annotations

import datetime as dt
import json
import sys
from typing import Any

import click
from google.protobuf.json_format import MessageToDict
from google.protobuf.message import Message
from google.protobuf.timestamp_pb2 import Timestamp
from rich.console import Console

from eigen_os import paths

JSON_META_KEY = "eigen.json"


def message_to_dict(msg: Message) -> dict[str, Any]:
    """Proto message → JSON-ready dict with proto field names.

    Fields without presence are always printed (stable shapes for scripts), enums are names
    (``JOB_STATUS_DONE``), 64-bit integers are JSON numbers, timestamps RFC 3339 strings.
    """
    return MessageToDict(
        msg,
        preserving_proto_field_name=True,
        always_print_fields_with_no_presence=True,
        unquote_int64_if_possible=True,
    )


def emit_json(data: Any) -> None:
    """Print ``data`` as indented JSON on stdout."""
    click.echo(json.dumps(data, indent=2, sort_keys=False, ensure_ascii=False))


def emit_json_line(data: Any) -> None:
    """Print ``data`` as one compact JSON line on stdout (for streams)."""
    click.echo(json.dumps(data, separators=(",", ":"), ensure_ascii=False))


def json_option(f: Any) -> Any:
    """``--json`` flag; also records the mode so that errors are reported as JSON too."""

    def remember(ctx: click.Context, _param: click.Parameter, value: bool) -> bool:
        ctx.meta[JSON_META_KEY] = bool(value)
        return value

    return click.option(
        "--json",
        "as_json",
        is_flag=True,
        callback=remember,
        help="Print machine-readable JSON (keys are the proto field names).",
    )(f)


#: Width used when stdout is not a terminal (pipes, logs) and COLUMNS is not set.
PIPE_WIDTH = 160


def stdout_console() -> Console:
    """Rich console on the current stdout (resolved at call time, so CliRunner captures it).

    Markup is off: server-provided text (messages, diagnostics like ``[rule]``) prints verbatim;
    styling goes through :class:`rich.text.Text`.

    Off a terminal the width is ``$COLUMNS`` or :data:`PIPE_WIDTH`, so tables are not wrapped
    at 80 columns in pipes and logs.
    """
    console = Console(file=sys.stdout, highlight=False, soft_wrap=False, markup=False)
    if not console.is_terminal and not paths.environ().get("COLUMNS"):
        console.width = PIPE_WIDTH
    return console


def stderr_console() -> Console:
    """Rich console on the current stderr."""
    return Console(file=sys.stderr, highlight=False, soft_wrap=True, markup=False)


def format_time(ts: Timestamp) -> str:
    """Local time ``YYYY-MM-DD HH:MM:SS``, or ``-`` for an unset timestamp."""
    if ts.seconds == 0 and ts.nanos == 0:
        return "-"
    t = dt.datetime.fromtimestamp(ts.seconds + ts.nanos / 1e9, tz=dt.UTC).astimezone()
    return t.strftime("%Y-%m-%d %H:%M:%S")
