"""The ``keys`` backend of the routing table: AdminService key management on the key store.

Its methods have the shape of a gRPC stub's (``await m(request, timeout=, metadata=)``) so the
edge forwards to it like to the kernel. File I/O runs in a worker thread.
"""

from __future__ import annotations

import asyncio
from typing import Any

from google.protobuf.timestamp_pb2 import Timestamp

from eigen.api.v1 import admin_pb2
from eigen_common import errors
from eigen_common.context import auth_var
from eigen_common.logs import get_logger
from eigen_system_api.keys import ApiKeyRecord, KeyStore, KeyStoreError

log = get_logger("eigen.system_api.keys")


class ApiKeyNotFoundError(errors.NotFoundError):
    """No API key with this id."""

    reason = "API_KEY_NOT_FOUND"


def key_to_proto(rec: ApiKeyRecord) -> admin_pb2.ApiKey:
    """The public record of a key (never its secret or hash)."""
    out = admin_pb2.ApiKey(
        key_id=rec.key_id,
        name=rec.name,
        tenant=rec.tenant,
        roles=list(rec.roles),
        subject=rec.subject,
        revoked=rec.revoked,
    )
    if rec.created_at is not None:
        out.created_at.CopyFrom(_ts(rec.created_at.timestamp()))
    if rec.expires_at is not None:
        out.expires_at.CopyFrom(_ts(rec.expires_at.timestamp()))
    return out


def _ts(seconds: float) -> Timestamp:
    t = Timestamp()
    t.FromNanoseconds(int(seconds * 1e9))
    return t


async def _in_thread(fn: Any, *args: Any, **kw: Any) -> Any:
    try:
        return await asyncio.to_thread(fn, *args, **kw)
    except KeyStoreError as exc:
        log.error("api key file is malformed", error=str(exc))
        raise errors.FailedPreconditionError(
            "the API key store is malformed; an operator must repair it",
            reason="KEY_STORE_MALFORMED",
        ) from None
    except OSError as exc:
        log.error("api key file cannot be written", error=str(exc))
        raise errors.UnavailableError(
            "the API key store cannot be written", reason="KEY_STORE_UNAVAILABLE", retry_after=5.0
        ) from None


class KeyAdmin:
    """CreateApiKey, ListApiKeys and RevokeApiKey on a :class:`KeyStore`."""

    def __init__(self, store: KeyStore):
        self._store = store

    async def CreateApiKey(
        self, request: admin_pb2.CreateApiKeyRequest, **_: Any
    ) -> admin_pb2.CreateApiKeyResponse:
        """Store a new key; the token is in the answer and nowhere else."""
        rec, token = await _in_thread(
            self._store.create,
            request.tenant,
            tuple(dict.fromkeys(request.roles)),
            name=request.name,
            subject=request.subject,
            expires_days=request.expires_days,
        )
        by = auth_var.get()
        log.info(
            "api key created",
            key_id=rec.key_id,
            tenant=rec.tenant,
            roles=list(rec.roles),
            by=by.subject if by else "",
        )
        return admin_pb2.CreateApiKeyResponse(key=key_to_proto(rec), token=token)

    async def ListApiKeys(
        self, request: admin_pb2.ListApiKeysRequest, **_: Any
    ) -> admin_pb2.ListApiKeysResponse:
        """Every key (of one tenant when asked), newest first."""
        recs: list[ApiKeyRecord] = await _in_thread(self._store.records)
        return admin_pb2.ListApiKeysResponse(
            keys=[key_to_proto(r) for r in recs if not request.tenant or r.tenant == request.tenant]
        )

    async def RevokeApiKey(
        self, request: admin_pb2.RevokeApiKeyRequest, **_: Any
    ) -> admin_pb2.RevokeApiKeyResponse:
        """Revoke a key; every replica rejects it from its next call on.

        Raises:
            ApiKeyNotFoundError: no key has this id.
        """
        rec = await _in_thread(self._store.revoke, request.key_id)
        if rec is None:
            raise ApiKeyNotFoundError(
                f"no API key {request.key_id}", metadata={"key_id": request.key_id}
            )
        by = auth_var.get()
        log.info("api key revoked", key_id=rec.key_id, by=by.subject if by else "")
        return admin_pb2.RevokeApiKeyResponse(key=key_to_proto(rec))
