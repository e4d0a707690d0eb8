"""The committed OpenAPI document matches the protos, the served one, and the served routes."""

from __future__ import annotations

import asyncio
import json
import re
from pathlib import Path
from typing import Any

import requests

from eigen_system_api.app import SystemApiApp, build
from eigen_system_api.rest import openapi_document
from eigen_system_api.rest.rules import bindings
from eigen_system_api.routes import SERVICES
from eigen_system_api.settings import SystemApiSettings
from services.system_api.scripts import gen_openapi

#: The routes SPEC §15 names (plus the reservation, status and artifact routes annotated).
SPEC_ROUTES = {
    ("post", "/v1/jobs"),
    ("get", "/v1/jobs"),
    ("get", "/v1/jobs/{job_id}"),
    ("get", "/v1/jobs/{job_id}/results"),
    ("post", "/v1/jobs/{job_id}:cancel"),
    ("get", "/v1/jobs/{job_id}/events"),
    ("get", "/v1/devices"),
    ("get", "/v1/devices/{device_id}"),
    ("post", "/v1/devices/{device_id}:reserve"),
    ("get", "/v1/devices/{device_id}/status"),
    ("get", "/v1/reservations"),
    ("post", "/v1/reservations/{reservation_id}:cancel"),
    ("get", "/v1/jobs/{job_id}/artifacts/{name}"),
}


def _refs(node: Any) -> set[str]:
    if isinstance(node, dict):
        out = {node["$ref"]} if isinstance(node.get("$ref"), str) else set()
        for v in node.values():
            out |= _refs(v)
        return out
    if isinstance(node, list):
        return set().union(*(_refs(v) for v in node)) if node else set()
    return set()


def test_the_committed_document_is_what_the_protos_generate() -> None:
    # fails after a proto change until `uv run python services/system_api/scripts/gen_openapi.py`
    assert gen_openapi.main(["--check"]) == 0
    assert openapi_document().decode() == gen_openapi.render()


def test_the_document_describes_exactly_the_served_routes() -> None:
    doc = json.loads(openapi_document())
    documented = {(verb, path) for path, ops in doc["paths"].items() for verb in ops}
    served = {(b.verb.lower(), b.template) for b in bindings(SERVICES)}
    assert documented == served == SPEC_ROUTES
    schemas = doc["components"]["schemas"]
    for ref in _refs(doc):
        assert ref.startswith("#/components/schemas/") and ref.rsplit("/", 1)[1] in schemas, ref
    for path, ops in doc["paths"].items():
        for op in ops.values():
            in_path = {p["name"] for p in op["parameters"] if p["in"] == "path"}
            assert in_path == set(re.findall(r"\{(\w+)\}", path)), path
            assert op["responses"]["default"]["content"]["application/json"]["schema"] == {
                "$ref": "#/components/schemas/google.rpc.Status"
            }
    events = doc["paths"]["/v1/jobs/{job_id}/events"]["get"]
    assert "text/event-stream" in events["responses"]["200"]["content"]
    assert {p["name"] for p in events["parameters"]} >= {
        "job_id",
        "last_event_seq",
        "Last-Event-ID",
    }
    submit = schemas["eigen.api.v1.SubmitJobRequest"]
    assert submit["properties"]["seed"] == {
        "type": "string",
        "format": "int64",
        "description": "Simulator seed; the same seed gives the same counts.",
    }
    assert "ErrorInfo" in " ".join(schemas) and schemas["eigen.api.v1.JobStatus"]["enum"][4] == (
        "JOB_STATUS_DONE"
    )


async def test_the_service_serves_the_committed_document(tmp_path: Path) -> None:
    # no kernel needed: the document and the auth check answer without a backend
    app = build(
        SystemApiSettings(
            port=0,
            metrics_port=0,
            api_keys_file=tmp_path / "keys.json",
            kernel_address="127.0.0.1:9",
        )
    )
    server = await app.start()
    try:
        assert isinstance(app, SystemApiApp) and app.rest is not None
        base = f"http://127.0.0.1:{app.rest.port}"
        got = await asyncio.to_thread(requests.get, f"{base}/openapi.json", timeout=30)
        assert got.status_code == 200 and got.content == openapi_document()
        assert got.headers["content-type"] == "application/json"
    finally:
        await server.stop(0)
        await app.close()
