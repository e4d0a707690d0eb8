"""Reservation commands (SPEC §12): ``reserve``, ``reservations``, ``reservation cancel``.

A reservation holds one slot of a device for its owner (the tenant) until it expires or is
cancelled; only jobs submitted with its id (``eigen submit --reservation ID`` or
``spec.reservation_id``) run in that slot. Another tenant's id reads as not found (exit 2); no
free slot to reserve is RESOURCE_EXHAUSTED (exit 2).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

import click
from google.protobuf.timestamp_pb2 import Timestamp
from rich.console import Console
from rich.table import Table
from rich.text import Text

from eigen.api.v1 import device_pb2
from eigen_os.cli.context import AppContext, pass_app
from eigen_os.cli.output import (
    emit_json,
    format_time,
    json_option,
    message_to_dict,
    stdout_console,
)

_STATE_STYLE = {"ACTIVE": "green", "EXPIRED": "dim", "CANCELLED": "yellow"}


def reservation_state_name(state: int) -> str:
    """``RESERVATION_STATE_ACTIVE`` (or 1) → ``ACTIVE``."""
    try:
        return device_pb2.ReservationState.Name(state).removeprefix("RESERVATION_STATE_")
    except ValueError:
        return f"UNKNOWN({state})"


def _remaining(ts: Timestamp, now: dt.datetime | None = None) -> str:
    """``in 59 s`` / ``in 4 min`` / ``in 2.0 h`` until ``ts``; ``ended`` when it passed."""
    if ts.seconds == 0 and ts.nanos == 0:
        return "-"
    now = now or dt.datetime.now(dt.UTC)
    left = (ts.ToDatetime(tzinfo=dt.UTC) - now).total_seconds()
    if left <= 0:
        return "ended"
    if left < 90:
        return f"in {int(left)} s"
    if left < 90 * 60:
        return f"in {round(left / 60)} min"
    return f"in {left / 3600:.1f} h"


def render_reservation(console: Console, r: device_pb2.Reservation) -> None:
    """One reservation: id and device, then its times, state, purpose and unfinished jobs."""
    state = reservation_state_name(r.state)
    console.print(
        Text.assemble("reservation ", (r.reservation_id, "bold"), f" on {r.device_id} ")
        + Text(state, style=_STATE_STYLE.get(state, ""))
    )
    table = Table.grid(padding=(0, 2))
    table.add_column(style="bold")
    table.add_column()
    table.add_row("  starts_at", format_time(r.starts_at))
    expires = format_time(r.expires_at)
    if r.state == device_pb2.RESERVATION_STATE_ACTIVE:
        expires += f" ({_remaining(r.expires_at)})"
    table.add_row("  expires_at", expires)
    if r.purpose:
        table.add_row("  purpose", Text(r.purpose))
    table.add_row("  active_jobs", str(r.active_jobs))
    console.print(table)


def render_reservations(console: Console, items: Iterable[device_pb2.Reservation]) -> int:
    """Table of reservations; returns how many rows were printed."""
    table = Table(box=None, pad_edge=False)
    for col in ("RESERVATION", "DEVICE", "STATE", "STARTS", "EXPIRES", "JOBS", "PURPOSE"):
        table.add_column(col, no_wrap=col != "PURPOSE", overflow="fold")
    n = 0
    for r in items:
        state = reservation_state_name(r.state)
        expires = format_time(r.expires_at)
        if r.state == device_pb2.RESERVATION_STATE_ACTIVE:
            expires += f" ({_remaining(r.expires_at)})"
        table.add_row(
            r.reservation_id,
            r.device_id,
            Text(state, style=_STATE_STYLE.get(state, "")),
            format_time(r.starts_at),
            expires,
            str(r.active_jobs),
            Text(r.purpose or "-"),
        )
        n += 1
    if n:
        console.print(table)
    return n


@click.command()
@click.argument("device_id")
@click.option(
    "--ttl",
    type=click.IntRange(1, 86400),
    required=True,
    metavar="SECONDS",
    help="How long the reservation holds, 1..86400 s.",
)
@click.option("--purpose", default="", help="Optional note for operators.")
@json_option
@pass_app
def reserve(app: AppContext, device_id: str, ttl: int, purpose: str, as_json: bool) -> None:
    """Reserve a slot on a device (id or target) for your jobs only.

    Prints the reservation id, when it starts and when it expires; submit into it with
    `eigen submit --reservation ID` (or `spec.reservation_id` in job.yaml). Exit 2 when the
    device has no free slot left.
    """
    resp = app.client().reserve(device_id, ttl, purpose)
    if as_json:
        emit_json(message_to_dict(resp))
        return
    console = stdout_console()
    res = device_pb2.Reservation()
    res.CopyFrom(resp.reservation)
    # the top-level fields are the contract; the embedded reservation adds state and purpose
    res.reservation_id = resp.reservation_id
    res.device_id = resp.device_id
    res.starts_at.CopyFrom(resp.starts_at)
    res.expires_at.CopyFrom(resp.expires_at)
    if not res.state:
        res.state = device_pb2.RESERVATION_STATE_ACTIVE
    render_reservation(console, res)
    console.print(
        Text(f"submit into it: eigen submit --reservation {resp.reservation_id} ...", style="dim")
    )


@click.command()
@click.option(
    "--all",
    "include_ended",
    is_flag=True,
    help="Also expired and cancelled reservations (the last 24 h).",
)
@json_option
@pass_app
def reservations(app: AppContext, include_ended: bool, as_json: bool) -> None:
    """List your (your tenant's) reservations, newest first."""
    items = app.client().list_reservations(include_ended)
    if as_json:
        emit_json({"reservations": [message_to_dict(r) for r in items]})
        return
    console = stdout_console()
    if not render_reservations(console, items):
        console.print(
            "no reservations" if include_ended else "no active reservations (--all: ended too)"
        )


@click.group()
def reservation() -> None:
    """Act on one reservation."""


@reservation.command("cancel")
@click.argument("reservation_id")
@json_option
@pass_app
def cancel_reservation(app: AppContext, reservation_id: str, as_json: bool) -> None:
    """End a reservation now: its slot is freed; jobs still waiting in it end ERROR.

    Exit 2 when there is no such reservation of yours.
    """
    res = app.client().cancel_reservation(reservation_id)
    if as_json:
        emit_json({"reservation": message_to_dict(res)})
    else:
        render_reservation(stdout_console(), res)


COMMANDS = [reserve, reservations, reservation]
