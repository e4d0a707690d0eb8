"""Regenerate the Python code for proto/ into libs/eigen_proto/src (committed; CI checks drift).

Usage: uv run python scripts/gen_proto.py
Only `eigen/**` is generated: `google.rpc` comes from the googleapis-common-protos wheel.
"""

from __future__ import annotations

import shutil
import sys
from importlib import resources
from pathlib import Path

from grpc_tools import protoc

ROOT = Path(__file__).resolve().parent.parent
PROTO = ROOT / "proto"
OUT = ROOT / "libs" / "eigen_proto" / "src"


def main() -> int:
    """Wipe and regenerate ``OUT/eigen``; return protoc's exit code."""
    shutil.rmtree(OUT / "eigen", ignore_errors=True)
    OUT.mkdir(parents=True, exist_ok=True)
    files = sorted(str(p.relative_to(PROTO)) for p in (PROTO / "eigen").rglob("*.proto"))
    include = str(resources.files("grpc_tools") / "_proto")
    rc = protoc.main(
        [
            "protoc",
            f"-I{PROTO}",
            f"-I{include}",
            f"--python_out={OUT}",
            f"--pyi_out={OUT}",
            f"--grpc_python_out={OUT}",
            *files,
        ]
    )
    if rc:
        return int(rc)
    for d in sorted((OUT / "eigen").rglob("*")):
        if d.is_dir():
            (d / "__init__.py").write_text('"""Generated from proto/ — do not edit."""\n')
    (OUT / "eigen" / "__init__.py").write_text('"""Generated from proto/ — do not edit."""\n')
    (OUT / "eigen" / "py.typed").write_text("")
    return 0


if __name__ == "__main__":
    sys.exit(main())
