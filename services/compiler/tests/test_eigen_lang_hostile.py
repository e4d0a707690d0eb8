"""Hostile and invalid Eigen-Lang programs: each is rejected, fast, with the expected rule.

Programs live in ``programs/hostile`` with their rule in ``programs/hostile/expected.json``;
a few too large to commit are generated here. Every case runs under a timeout, so a hang fails
its test instead of stalling the suite, and must finish within two seconds of CPU time.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from eigen_common.errors import CompilationFailedError
from eigen_compiler.frontends.eigen_lang import lower_program
from eigen_compiler.model import CompileRequest, EigenLangSource, Limits
from eigen_compiler.pipeline import Compiler
from eigen_compiler.settings import CompilerSettings

HOSTILE = Path(__file__).parent / "programs" / "hostile"
EXPECTED: dict[str, str] = json.loads((HOSTILE / "expected.json").read_text(encoding="utf-8"))
#: Rules reported for the program as a whole (no source position).
UNPOSITIONED = {"source-too-large", "not-utf8", "too-deep", "missing-entrypoint", "syntax"}
PREAMBLE = "from eigen_lang import *\n"


def rejection(source: str | bytes, limits: Limits | None = None) -> list[str]:
    """Rules of the error diagnostics of ``source``; asserts it is rejected within 2 s of CPU.

    CPU time, not wall time: the bound catches runaway work, not a busy machine.
    """
    t0 = time.process_time()
    with pytest.raises(CompilationFailedError) as info:
        lower_program(source, limits=limits)
    assert time.process_time() - t0 < 2.0
    diags = info.value.diagnostics
    assert diags and all(d.severity == "error" and d.message for d in diags)
    for d in diags:
        assert d.line > 0 or d.rule in UNPOSITIONED, d
        assert d.line == 0 or d.column > 0, d
    return [d.rule for d in diags]


def test_hostile_table_is_complete() -> None:
    files = {p.name.removesuffix(".eigen.py") for p in HOSTILE.glob("*.eigen.py")}
    assert files == set(EXPECTED)
    assert len(EXPECTED) >= 40


@pytest.mark.timeout(20)
@pytest.mark.parametrize(("name", "rule"), sorted(EXPECTED.items()), ids=sorted(EXPECTED))
def test_hostile_program_is_rejected_with_rule(name: str, rule: str) -> None:
    source = (HOSTILE / f"{name}.eigen.py").read_bytes()
    assert rule in rejection(source)


@pytest.mark.timeout(20)
def test_huge_source_is_rejected_before_parsing() -> None:
    source = PREAMBLE + "@hybrid_program\ndef p():\n" + "    h(0)\n" * 40_000
    assert rejection(source) == ["source-too-large"]
    assert rejection("#" * 600, Limits(max_source_bytes=500)) == ["source-too-large"]


@pytest.mark.timeout(20)
def test_too_many_nodes_and_too_deep_are_configurable() -> None:
    many = PREAMBLE + "@hybrid_program\ndef p():\n" + "    h(0)\n" * 20_000
    assert rejection(many) == ["too-many-nodes"]
    nested = PREAMBLE + "@hybrid_program\ndef p():\n    rx(" + "-" * 30 + "1, 0)\n"
    assert rejection(nested, Limits(max_nesting_depth=20)) == ["too-deep"]
    lower_program(nested)  # within the default depth


@pytest.mark.timeout(20)
def test_operation_limit_is_configurable_and_estimated_before_unrolling() -> None:
    loop = PREAMBLE + "@hybrid_program\ndef p():\n    for i in range(600):\n        h(0)\n"
    assert rejection(loop, Limits(max_operations=500)) == ["too-many-operations"]
    assert len(lower_program(loop).circuit.operations) == 600
    settings = CompilerSettings(max_operations=7, max_qubits=3, max_nesting_depth=9)
    assert settings.limits().max_operations == 7
    assert rejection(loop, settings.limits()) == ["too-many-operations"]


def test_lone_surrogate_text_is_not_utf8() -> None:
    assert rejection(PREAMBLE + "x = '\ud800'\n") == ["not-utf8"]


def test_every_violation_is_collected() -> None:
    source = (
        "import os\nimport sys\nfrom eigen_lang import *\n"
        "@hybrid_program\ndef p():\n"
        "    while True:\n        pass\n"
        "    f = lambda: eval('1')\n"
        "    try:\n        h(0)\n    except Exception:\n        pass\n"
    )
    assert rejection(source) == [
        "forbidden-import",
        "forbidden-import",
        "while",
        "lambda",
        "forbidden-call",
        "try",
    ]


def test_pipeline_raises_compilation_failed_with_all_diagnostics(compiler: Compiler) -> None:
    source = (HOSTILE / "class_bases_escape.eigen.py").read_text(encoding="utf-8")
    with pytest.raises(CompilationFailedError) as info:
        compiler.compile(CompileRequest(EigenLangSource("import os\n" + source)))
    assert info.value.reason == "COMPILATION_FAILED"
    assert [d.rule for d in info.value.diagnostics] == ["forbidden-import"] + ["dunder"] * 3


def test_failed_assignments_do_not_cascade() -> None:
    source = PREAMBLE + (
        "X = math.factorial(3)\n"
        "import math\n"
        "@hybrid_program\ndef p(n=X, m=nope):\n"
        "    q = QubitRegister(n)\n"
        "    k = m + 1\n"
        "    h(q[k])\n"
    )
    assert rejection(source) == ["unknown-call"]
    lowered = PREAMBLE + "@hybrid_program\ndef p(m=nope):\n    k = m + 1\n    h(k)\n"
    assert rejection(lowered) == ["unknown-name"]


def test_limits_are_reported_where_the_source_crosses_them() -> None:
    """The scan stops at the first node past a limit, in source order, and points at it."""
    nested = PREAMBLE + "@hybrid_program\ndef p():\n    h(0)\n    rx(" + "-" * 30 + "1, 0)\n"
    with pytest.raises(CompilationFailedError) as info:
        lower_program(nested, limits=Limits(max_nesting_depth=20))
    (deep,) = info.value.diagnostics
    assert (deep.rule, deep.line) == ("too-deep", 5)
    assert 8 < deep.column < 8 + 30  # inside the chain of unary minus signs
    many = PREAMBLE + "@hybrid_program\ndef p():\n" + "    h(0)\n" * 200
    with pytest.raises(CompilationFailedError) as info:
        lower_program(many, limits=Limits(max_ast_nodes=100))
    (nodes,) = info.value.diagnostics
    assert nodes.rule == "too-many-nodes"
    assert 4 < nodes.line < 4 + 100 // 5  # about five nodes per `h(0)` line
