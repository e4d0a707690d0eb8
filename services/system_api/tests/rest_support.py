"""Helpers of the REST tests: an HTTP client (requests, in a thread) and REST replicas.

A replica is a system-api built by ``app.build(settings)`` on the in-process stack, serving
gRPC and REST side by side exactly as ``python -m eigen_system_api`` does (REST on an
ephemeral port because the tests' gRPC port is 0).
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass
from typing import Any

import grpc
import requests
from google.protobuf import json_format
from google.rpc import error_details_pb2, status_pb2

from eigen_system_api.app import SystemApiApp, build
from services.system_api.tests.support import BELL, Client, Edge

TIMEOUT = 120.0


@dataclass(frozen=True)
class Event:
    """One server-sent event: ``id`` (None when absent), ``event`` name and decoded data."""

    id: str | None
    event: str
    data: dict[str, Any]


def bell_json(**fields: Any) -> dict[str, Any]:
    """A SubmitJob body for the Bell circuit on ``sim:local``."""
    return {"name": "rest", "target": "sim:local", "qasm": {"source": BELL}, **fields}


def status_of(resp: requests.Response) -> status_pb2.Status:
    """The body of an error response parsed as ``google.rpc.Status`` (fails on anything else)."""
    assert resp.headers["content-type"] == "application/json", resp.text
    return json_format.Parse(resp.text, status_pb2.Status())


def error_info(status: status_pb2.Status) -> error_details_pb2.ErrorInfo:
    """The first detail, which must be ErrorInfo (SPEC §3.3)."""
    info = error_details_pb2.ErrorInfo()
    assert status.details and status.details[0].Unpack(info), status
    return info


def parse_sse(lines: list[str]) -> list[Event]:
    """Events of an SSE body (comment lines such as pings are skipped)."""
    events: list[Event] = []
    fields: dict[str, str] = {}
    for line in [*lines, ""]:
        if not line:
            if "data" in fields:
                events.append(
                    Event(
                        fields.get("id"), fields.get("event", "message"), json.loads(fields["data"])
                    )
                )
            fields = {}
        elif not line.startswith(":"):
            key, _, value = line.partition(":")
            fields[key] = value[1:] if value.startswith(" ") else value
    return events


@dataclass
class Http:
    """A REST client of one replica; every call runs ``requests`` in a worker thread."""

    base: str
    token: str | None
    verify: Any = True

    def headers(self, token: str | None, extra: dict[str, str] | None) -> dict[str, str]:
        h = dict(extra or {})
        if token is not None:
            h["Authorization"] = f"Bearer {token}"
        return h

    async def request(
        self,
        method: str,
        path: str,
        *,
        token: str | bool | None = True,
        headers: dict[str, str] | None = None,
        **kw: Any,
    ) -> requests.Response:
        tok = self.token if token is True else (None if token is False else token)
        return await asyncio.to_thread(
            requests.request,
            method,
            self.base + path,
            headers=self.headers(tok, headers),  # type: ignore[arg-type]
            timeout=TIMEOUT,
            verify=self.verify,
            **kw,
        )

    async def get(self, path: str, **kw: Any) -> requests.Response:
        return await self.request("GET", path, **kw)

    async def post(self, path: str, **kw: Any) -> requests.Response:
        return await self.request("POST", path, **kw)

    async def events(
        self, path: str, *, headers: dict[str, str] | None = None, first_only: bool = False
    ) -> tuple[requests.Response, list[Event]]:
        """Read an event stream to its end (or only its first event) and close it."""

        def read() -> tuple[requests.Response, list[Event]]:
            with requests.get(
                self.base + path,
                headers=self.headers(self.token, headers),
                stream=True,
                timeout=TIMEOUT,
                verify=self.verify,
            ) as resp:
                if resp.status_code != 200:
                    resp.content  # noqa: B018  (read the error body before closing)
                    return resp, []
                lines: list[str] = []
                for line in resp.iter_lines(decode_unicode=True):
                    lines.append(line)
                    if first_only and line == "" and parse_sse(lines):
                        break
                return resp, parse_sse(lines)

        return await asyncio.to_thread(read)


async def rest_replica(edge: Edge, token: str | None, **overrides: Any) -> tuple[Http, Client]:
    """Start a system-api replica; its REST client (with ``token``) and its gRPC client."""
    app = build(edge.settings(**overrides))
    server = await app.start()
    assert isinstance(app, SystemApiApp) and app.rest is not None and app.rest.port
    ch = grpc.aio.insecure_channel(f"127.0.0.1:{server.port}")
    edge.started.append((app, server, ch))
    scheme = "https" if overrides.get("tls_cert_file") else "http"
    return Http(f"{scheme}://127.0.0.1:{app.rest.port}", token), Client(ch)
