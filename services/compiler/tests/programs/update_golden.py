"""Regenerate the golden AQO and hybrid plan files of the Eigen-Lang conformance suite.

A program that calls ``minimize`` has a ``golden/NAME.plan.json`` (its canonical hybrid plan,
checked by ``eigen_ir.hybrid.parse_plan`` in the tests); every other program a
``golden/NAME.aqo.json``.

Run ``uv run python services/compiler/tests/programs/update_golden.py`` after an intended change
to the lowering, review the diff of ``golden/``, and commit it. The tests only byte-compare.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from eigen_compiler.frontends.eigen_lang import lower_program

HERE = Path(__file__).parent
INPUTS = re.compile(r"# inputs: (.*)\n")


def program_inputs(source: str) -> dict[str, float]:
    """The job inputs of a conformance program (its ``# inputs: {...}`` first line)."""
    m = INPUTS.match(source)
    return json.loads(m.group(1)) if m else {}


def golden_bytes(path: Path) -> bytes:
    """Canonical AQO (or hybrid plan) bytes of the program at ``path`` plus a final newline."""
    source = path.read_text(encoding="utf-8")
    lowered = lower_program(source, inputs=program_inputs(source))
    if lowered.plan is not None:
        return lowered.plan.canonical_bytes() + b"\n"
    return lowered.circuit.canonical_bytes() + b"\n"


def is_hybrid(program: Path) -> bool:
    """True for a program that calls ``minimize`` (its golden is a plan)."""
    return "minimize(" in program.read_text(encoding="utf-8")


def golden_path(program: Path) -> Path:
    """``valid/NAME.eigen.py`` → ``golden/NAME.aqo.json`` (or ``golden/NAME.plan.json``)."""
    suffix = ".plan.json" if is_hybrid(program) else ".aqo.json"
    return HERE / "golden" / program.name.replace(".eigen.py", suffix)


def main() -> None:
    """Write every golden file."""
    for program in sorted((HERE / "valid").glob("*.eigen.py")):
        golden_path(program).write_bytes(golden_bytes(program))
        print(f"wrote {golden_path(program).relative_to(HERE)}")


if __name__ == "__main__":
    main()
