"""Operator commands (SPEC §11), admin role only: ``eigen admin keys ...`` and ``eigen admin gc``.

``keys create`` prints the new token once, alone on stdout (``TOKEN=$(eigen admin keys create
...)`` works); what it is goes to stderr. Only the token's hash is stored by the server.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import click
import grpc
from grpc_status import rpc_status
from rich.table import Table
from rich.text import Text

from eigen.api.v1 import admin_pb2, admin_pb2_grpc
from eigen_common.errors import EigenError, UnavailableError
from eigen_common.status import from_rpc_error
from eigen_os.cli.context import AppContext, pass_app
from eigen_os.cli.output import (
    emit_json,
    format_time,
    json_option,
    message_to_dict,
    stderr_console,
    stdout_console,
)
from eigen_os.client import ConnectionFailedError

ROLES = ("admin", "user", "readonly")


def _call(app: AppContext, method: str, request: Any) -> Any:
    """One AdminService call on the CLI's connection; failures become typed errors."""
    client = app.client()
    stub = admin_pb2_grpc.AdminServiceStub(client.channel)
    md = (("authorization", f"Bearer {client.config.token}"),) if client.config.token else ()
    try:
        return getattr(stub, method)(request, timeout=app.timeout, metadata=md)
    except grpc.RpcError as exc:
        err: EigenError = from_rpc_error(exc)
        if isinstance(err, UnavailableError) and rpc_status.from_call(exc) is None:  # type: ignore[arg-type]
            details = exc.details() if hasattr(exc, "details") else ""
            err = ConnectionFailedError(
                f"cannot reach the Eigen API at {client.endpoint}: {details}"
            )
        raise err from None


def _status(key: admin_pb2.ApiKey) -> str:
    if key.revoked:
        return "revoked"
    if key.HasField("expires_at") and key.expires_at.ToDatetime(dt.UTC) <= dt.datetime.now(dt.UTC):
        return "expired"
    return "active"


@click.group()
def admin() -> None:
    """Operator commands (admin role): API keys and retention."""


@admin.group()
def keys() -> None:
    """Create, list and revoke API keys."""


@keys.command("create")
@click.option("--tenant", required=True, help="Tenant the key acts for.")
@click.option(
    "--role",
    "roles",
    required=True,
    multiple=True,
    type=click.Choice(ROLES),
    help="Role of the key (repeat for several).",
)
@click.option("--name", default="", help="Label for operators (also the default subject).")
@click.option(
    "--expires",
    type=click.IntRange(1, 3650),
    default=None,
    metavar="DAYS",
    help="Lifetime in days (default: never expires).",
)
@click.option("--subject", default="", help="Subject recorded for calls made with the key.")
@json_option
@pass_app
def create(
    app: AppContext,
    tenant: str,
    roles: tuple[str, ...],
    name: str,
    expires: int | None,
    subject: str,
    as_json: bool,
) -> None:
    """Create an API key and print its token (shown this once)."""
    resp = _call(
        app,
        "CreateApiKey",
        admin_pb2.CreateApiKeyRequest(
            tenant=tenant, roles=list(roles), name=name, expires_days=expires or 0, subject=subject
        ),
    )
    if as_json:
        emit_json({"key": message_to_dict(resp.key), "token": resp.token})
        return
    k = resp.key
    expiry = format_time(k.expires_at) if k.HasField("expires_at") else "never"
    stderr_console().print(
        Text.assemble(
            "created key ",
            (k.key_id, "bold"),
            f" for tenant {k.tenant} (roles {', '.join(k.roles)}; expires {expiry}). ",
            ("Store the token now: it is not shown again.", "yellow"),
        )
    )
    click.echo(resp.token)


@keys.command("list")
@click.option("--tenant", default="", help="Only this tenant's keys.")
@json_option
@pass_app
def list_keys(app: AppContext, tenant: str, as_json: bool) -> None:
    """List API keys (never their tokens), newest first."""
    resp = _call(app, "ListApiKeys", admin_pb2.ListApiKeysRequest(tenant=tenant))
    if as_json:
        emit_json({"keys": [{**message_to_dict(k), "status": _status(k)} for k in resp.keys]})
        return
    table = Table(box=None, pad_edge=False)
    for col in ("KEY ID", "NAME", "TENANT", "ROLES", "SUBJECT", "CREATED", "EXPIRES", "STATUS"):
        table.add_column(col)
    for k in resp.keys:
        table.add_row(
            k.key_id,
            k.name or "-",
            k.tenant,
            ",".join(k.roles),
            k.subject,
            format_time(k.created_at),
            format_time(k.expires_at) if k.HasField("expires_at") else "never",
            _status(k),
        )
    stdout_console().print(table)


@keys.command("revoke")
@click.argument("key_id")
@json_option
@pass_app
def revoke(app: AppContext, key_id: str, as_json: bool) -> None:
    """Revoke a key; it is rejected from the next call on."""
    resp = _call(app, "RevokeApiKey", admin_pb2.RevokeApiKeyRequest(key_id=key_id))
    if as_json:
        emit_json({"key": message_to_dict(resp.key)})
    else:
        stdout_console().print(f"revoked key {resp.key.key_id} (tenant {resp.key.tenant})")


@admin.command()
@click.option(
    "--older-than",
    type=click.FloatRange(min=0),
    default=0.0,
    metavar="SECONDS",
    help="Remove terminal jobs older than this (default: the configured retention).",
)
@click.option("--dry-run", is_flag=True, help="Only report what would be removed.")
@json_option
@pass_app
def gc(app: AppContext, older_than: float, dry_run: bool, as_json: bool) -> None:
    """Apply the retention policy now: remove old terminal jobs and their artifacts."""
    resp = _call(
        app,
        "CollectGarbage",
        admin_pb2.CollectGarbageRequest(older_than_seconds=older_than, dry_run=dry_run),
    )
    if as_json:
        emit_json(message_to_dict(resp))
    else:
        verb = "would remove" if dry_run else "removed"
        stdout_console().print(
            f"{verb} {resp.jobs_removed} job(s), {resp.bytes_freed} bytes of artifacts"
        )


COMMANDS = [admin]
