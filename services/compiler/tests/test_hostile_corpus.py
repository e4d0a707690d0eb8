"""The kept corpus of past crashers, compiled end to end under an address-space cap (issue 11).

``programs/hostile_qasm`` holds the adversarial probe's OpenQASM inputs (``qreg
q[2147483647]`` grew the compiler to 22 GB, ``qreg q[99999999999999999999999]`` panicked in the
parser, ``rx(9^9^9)`` ended INTERNAL, nested gate definitions took seconds and gigabytes, 5,000
``barrier q;`` lines made a 20 MB response); ``programs/hostile`` the hostile Eigen-Lang
programs. Every one runs through the whole pipeline in a child process capped at
:data:`ADDRESS_SPACE_MIB` MiB of address space with a deadline per program (see
``capped_run.py``), and must end in COMPILATION_FAILED with its expected rule — never a crash,
a hang or another error.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).parent))
from capped_run import run_capped

PROGRAMS = Path(__file__).parent / "programs"
CORPORA = (PROGRAMS / "hostile_qasm", PROGRAMS / "hostile")
#: Python with Qiskit imported reserves about 1.5 GB of address space before any work.
ADDRESS_SPACE_MIB = 3 * 1024
DEADLINE_SECONDS = 60


def _expected() -> dict[str, str]:
    out: dict[str, str] = {}
    for corpus in CORPORA:
        table = json.loads((corpus / "expected.json").read_text(encoding="utf-8"))
        suffix = ".qasm" if corpus.name == "hostile_qasm" else ".eigen.py"
        out.update({name + suffix: rule for name, rule in table.items()})
    return out


EXPECTED = _expected()


@pytest.fixture(scope="module")
def outcomes() -> dict[str, dict[str, Any]]:
    """Every corpus program's outcome, compiled once in the capped child process."""
    args = [*map(str, CORPORA), "--deadline", str(DEADLINE_SECONDS)]
    done = run_capped(args, ADDRESS_SPACE_MIB, timeout=len(EXPECTED) * DEADLINE_SECONDS)
    assert done.returncode == 0, done.stderr[-4000:]
    records = [json.loads(line) for line in done.stdout.splitlines() if line.startswith("{")]
    return {r["name"]: r for r in records}


def test_the_corpus_is_complete() -> None:
    for corpus in CORPORA:
        names = {p.name for p in corpus.iterdir() if p.name.endswith((".qasm", ".eigen.py"))}
        assert names <= set(EXPECTED), names - set(EXPECTED)
    assert sum(name.endswith(".qasm") for name in EXPECTED) >= 20


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_a_past_crasher_gets_its_diagnostic(outcomes: dict[str, dict[str, Any]], name: str) -> None:
    record = outcomes[name]
    assert record["outcome"] == "error", record
    assert record["reason"] == "COMPILATION_FAILED", record
    assert EXPECTED[name] in record["rules"], record
