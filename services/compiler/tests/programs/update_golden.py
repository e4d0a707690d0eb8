"""Regenerate the golden AQO files of the Eigen-Lang conformance suite.

Run ``uv run python services/compiler/tests/programs/update_golden.py`` after an intended change
to the lowering, review the diff of ``golden/``, and commit it. The tests only byte-compare.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from eigen_compiler.eigen_frontend import lower_program

HERE = Path(__file__).parent
INPUTS = re.compile(r"# inputs: (.*)\n")


def program_inputs(source: str) -> dict[str, float]:
    """The job inputs of a conformance program (its ``# inputs: {...}`` first line)."""
    m = INPUTS.match(source)
    return json.loads(m.group(1)) if m else {}


def golden_bytes(path: Path) -> bytes:
    """Canonical AQO bytes of the lowered program at ``path`` (plus a final newline)."""
    source = path.read_text(encoding="utf-8")
    lowered = lower_program(source, inputs=program_inputs(source))
    return lowered.circuit.canonical_bytes() + b"\n"


def golden_path(program: Path) -> Path:
    """``valid/NAME.eigen.py`` → ``golden/NAME.aqo.json``."""
    return HERE / "golden" / program.name.replace(".eigen.py", ".aqo.json")


def main() -> None:
    """Write every golden file."""
    for program in sorted((HERE / "valid").glob("*.eigen.py")):
        golden_path(program).write_bytes(golden_bytes(program))
        print(f"wrote {golden_path(program).relative_to(HERE)}")


if __name__ == "__main__":
    main()
