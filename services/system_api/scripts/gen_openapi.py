"""Regenerate the REST gateway's OpenAPI document from proto/ (committed; a test checks drift).

Usage: uv run python services/system_api/scripts/gen_openapi.py [--check]
Compiles proto/ with protoc (grpcio-tools, a dev dependency) keeping the comments, and writes
services/system_api/src/eigen_system_api/rest/openapi.json. ``--check`` only compares (exit 1
when the committed document no longer matches the protos).
"""

from __future__ import annotations

import json
import sys
import tempfile
from importlib import resources
from pathlib import Path

from google.protobuf import descriptor_pb2
from grpc_tools import protoc

from eigen_system_api.rest.openapi import build_document
from eigen_system_api.routes import SERVICES

ROOT = Path(__file__).resolve().parents[3]
PROTO = ROOT / "proto"
OUT = ROOT / "services" / "system_api" / "src" / "eigen_system_api" / "rest" / "openapi.json"


def descriptor_set() -> descriptor_pb2.FileDescriptorSet:
    """proto/ compiled with comments and imports (raises RuntimeError when protoc fails)."""
    files = [str(p.relative_to(PROTO)) for p in sorted((PROTO / "eigen").rglob("*.proto"))]
    files += ["google/rpc/status.proto", "google/rpc/error_details.proto"]
    include = str(resources.files("grpc_tools") / "_proto")
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "set.binpb"
        rc = protoc.main(
            [
                "protoc",
                f"-I{PROTO}",
                f"-I{include}",
                "--include_source_info",
                "--include_imports",
                f"--descriptor_set_out={out}",
                *files,
            ]
        )
        if rc:
            raise RuntimeError(f"protoc failed with exit code {rc}")
        return descriptor_pb2.FileDescriptorSet.FromString(out.read_bytes())


def render() -> str:
    """The document as committed (2-space JSON, trailing newline)."""
    doc = build_document(descriptor_set().file, [s.name for s in SERVICES])
    return json.dumps(doc, indent=2, ensure_ascii=False) + "\n"


def main(argv: list[str]) -> int:
    """Write (or with ``--check`` compare) the document; 0 when it is up to date."""
    text = render()
    if "--check" in argv:
        if OUT.read_text() != text:
            print(f"{OUT.relative_to(ROOT)} is stale: run {Path(__file__).relative_to(ROOT)}")
            return 1
        return 0
    OUT.write_text(text)
    print(f"wrote {OUT.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
