"""Device commands: devices, device, reserve."""

from __future__ import annotations

import click
from rich.text import Text

from eigen_os.cli import render
from eigen_os.cli.context import AppContext, pass_app
from eigen_os.cli.output import emit_json, format_time, json_option, message_to_dict, stdout_console


@click.command()
@json_option
@pass_app
def devices(app: AppContext, as_json: bool) -> None:
    """List devices with status, targets and queue."""
    devs = app.client().devices()
    if as_json:
        emit_json({"devices": [message_to_dict(d) for d in devs]})
    else:
        render.render_devices(stdout_console(), devs)


@click.command()
@click.argument("device_id")
@json_option
@pass_app
def device(app: AppContext, device_id: str, as_json: bool) -> None:
    """Show one device (id or target name): capabilities and live status."""
    client = app.client()
    dev = client.device(device_id)
    st = client.device_status(device_id)
    if as_json:
        emit_json({"device": message_to_dict(dev), "device_status": message_to_dict(st)})
    else:
        render.render_device(stdout_console(), dev, st)


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
    """Reserve a slot on a device; pass the id to `eigen submit --reservation`."""
    resp = app.client().reserve(device_id, ttl, purpose)
    if as_json:
        emit_json(message_to_dict(resp))
    else:
        stdout_console().print(
            Text.assemble(
                "reservation ",
                (resp.reservation_id, "bold"),
                f" on {resp.device_id}, expires {format_time(resp.expires_at)}",
            )
        )


COMMANDS = [devices, device, reserve]
