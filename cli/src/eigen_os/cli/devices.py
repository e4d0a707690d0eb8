"""Device commands: devices, device (reservations: :mod:`eigen_os.cli.reservations`)."""

from __future__ import annotations

import click

from eigen_os.cli import render
from eigen_os.cli.context import AppContext, pass_app
from eigen_os.cli.output import emit_json, json_option, message_to_dict, stdout_console


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


COMMANDS = [devices, device]
