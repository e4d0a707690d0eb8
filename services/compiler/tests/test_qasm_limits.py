"""OpenQASM sizes are bounded before the work they bound (issue 11): the pre-scan, the checks of
the parsed circuit, and the checks of the compiled result.

The inputs that once took the compiler down are in ``programs/hostile_qasm`` and run under an
address-space cap in ``test_hostile_corpus.py``; here each limit is exercised small and fast.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from qiskit.circuit import QuantumCircuit

from eigen_common.errors import CompilationFailedError
from eigen_compiler.frontends.qasm import load_qasm
from eigen_compiler.frontends.qasm.prescan import check_sizes
from eigen_compiler.model import CompileRequest, Limits, QasmSource
from eigen_compiler.optimize import PassManagerCache
from eigen_compiler.output import aqo_floor_bytes
from eigen_compiler.pipeline import Compiler

CORPUS = Path(__file__).resolve().parents[3] / "tests" / "corpus"
Q2 = 'OPENQASM 2.0;\ninclude "qelib1.inc";\n'
Q3 = 'OPENQASM 3.0;\ninclude "stdgates.inc";\n'


def rejected(source: str, limits: Limits | None = None) -> tuple[str, int, int]:
    """``(rule, line, column)`` of the single diagnostic ``source`` is rejected with."""
    with pytest.raises(CompilationFailedError) as info:
        load_qasm(source, limits=limits)
    (diag,) = info.value.diagnostics
    return diag.rule, diag.line, diag.column


def nested(n: int, version: str = "3", apply: str = "q[0]") -> str:
    lines = [Q3 if version == "3" else Q2, "gate g0 a { x a; }"]
    lines += [f"gate g{i} a {{ g{i - 1} a; g{i - 1} a; }}" for i in range(1, n + 1)]
    declare = "qubit[4] q;" if version == "3" else "qreg q[4];"
    return "\n".join([*lines, declare, f"g{n} {apply};"])


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        (Q2 + "qreg q[1025];", ("too-many-qubits", 3, 1)),
        (Q2 + "qreg a[600];\nqreg b[600];", ("too-many-qubits", 4, 1)),
        (Q2 + "qreg q[2];\ncreg c[4097];", ("too-many-clbits", 4, 1)),
        (Q3 + "qubit[0x401] q;", ("too-many-qubits", 3, 1)),
        (Q3 + "qreg q[1_025];", ("too-many-qubits", 3, 1)),
        (Q3 + "const uint n = 1000;\nqubit[n + 25] q;", ("too-many-qubits", 4, 1)),
        (Q3 + "qubit[2] q;\nbit[4097] c;", ("too-many-clbits", 4, 1)),
        (Q3 + "qubit[2] q;\nx $1024;", ("too-many-qubits", 4, 3)),
        (Q3 + "qubit[n] q;", ("non-constant-size", 3, 1)),
        (Q3 + "qubit[2] q;\nrx(" + "(" * 101 + "1" + ")" * 101 + ") q[0];", ("too-deep", 4, 103)),
    ],
)
def test_sizes_are_refused_before_parsing(source: str, expected: tuple[str, int, int]) -> None:
    assert rejected(source) == expected


def test_comments_strings_and_block_locals_are_not_program_declarations() -> None:
    load_qasm(Q2 + "// qreg q[2147483647];\nqreg q[2];")
    load_qasm(Q3 + "/* qubit[2147483647] r;\n bit[99999999999999999999] c; */\nqubit[2] q;")
    check_sizes(Q3 + 'qubit[1000] q;\ninclude "qubit[2000] r;";\n', "3", Limits())
    local = Q3 + "qubit[2] q;\nbit[4000] c;\nfor int i in [0:1] { bit[4000] t; }\n"
    check_sizes(local, "3", Limits())  # each within the limit; locals do not add up
    assert rejected(local.replace("bit[4000] t", "bit[4097] t"))[0] == "too-many-clbits"


def test_the_importer_is_spared_exponential_gate_definitions() -> None:
    limits = Limits(max_qasm3_expanded_gates=1000)
    load_qasm(nested(8), limits=limits)  # 2**9 + 2**8 applications
    assert rejected(nested(9), limits) == ("too-many-operations", 13, 1)  # the definition of g9
    assert rejected(nested(5, apply="q"), Limits(max_qasm3_expanded_gates=100))[0] == (
        "too-many-operations"
    )
    assert rejected(Q3 + nested(5)[len(Q3) :].replace("g5 q[0]", "pow(40) @ g5 q[0]"), limits)[
        0
    ] == ("too-many-operations")


def test_qasm2_definitions_are_counted_after_the_cheap_parse() -> None:
    assert rejected(nested(21, version="2"))[0] == "too-many-operations"


def test_a_parser_panic_is_a_diagnostic() -> None:
    """``qreg q[99999999999999999999999]`` panics in qiskit's Rust parser (a BaseException)."""
    huge = Limits(max_qubits=2**70)
    assert rejected(Q2 + "qreg q[99999999999999999999999];", huge)[0] == "qasm-syntax"


def test_angles_must_be_finite(compiler: Compiler) -> None:
    assert rejected(Q2 + "qreg q[1];\nrx(9^9^9) q[0];")[0] == "numeric-error"
    source = Q2 + "gate g a { rx(9^9^9) a; }\nqreg q[1];\ng q[0];"
    with pytest.raises(CompilationFailedError) as info:
        compiler.compile(CompileRequest(QasmSource(source)))
    assert [d.rule for d in info.value.diagnostics] == ["numeric-error"]


@pytest.mark.parametrize("level", ["0", "1", "2", "3"])
def test_barriers_and_measurements_survive_every_level(compiler: Compiler, level: str) -> None:
    """The result-size floor counts them; an optimisation that dropped them would break it."""
    qc = QuantumCircuit(5, 5)
    for _ in range(3):
        qc.barrier()
    qc.h(0)
    qc.barrier()
    qc.measure(range(5), range(5))
    source = Q2 + "qreg q[5];\ncreg c[5];\nbarrier q;\nbarrier q;\nbarrier q;\nh q[0];\n"
    source += "barrier q;\nmeasure q -> c;\n"
    result = compiler.compile(
        CompileRequest(QasmSource(source), options={"optimization_level": level})
    )
    assert len(result.aqo_json) >= aqo_floor_bytes(qc)
    ops = [o.op for o in result.circuit.operations]
    assert ops.count("BARRIER") == 4 and ops.count("MEASURE") == 5


class CountingPassManagers(PassManagerCache):
    """A pass manager cache that counts optimisation runs."""

    runs = 0

    def run(self, circuit: QuantumCircuit, level: int) -> QuantumCircuit:
        self.runs += 1
        return super().run(circuit, level)


def test_a_result_too_large_for_a_response_is_refused_before_optimising() -> None:
    managers = CountingPassManagers()
    compiler = Compiler(Limits(max_result_bytes=50_000), managers)
    source = Q2 + "qreg q[1024];\n" + "barrier q;\n" * 20
    with pytest.raises(CompilationFailedError) as info:
        compiler.compile(CompileRequest(QasmSource(source)))
    assert [d.rule for d in info.value.diagnostics] == ["result-too-large"]
    assert managers.runs == 0
    small = Q2 + "qreg q[2];\n" + "h q[0];\ncx q[0],q[1];\n" * 900
    with pytest.raises(CompilationFailedError) as info:  # exact size, after optimising
        Compiler(Limits(max_result_bytes=2_000), managers).compile(
            CompileRequest(QasmSource(small), options={"optimization_level": "0"})
        )
    assert [d.rule for d in info.value.diagnostics] == ["result-too-large"]
    assert managers.runs == 1


def test_the_vendored_corpus_passes_the_pre_scan() -> None:
    programs = sorted(CORPUS.rglob("*.qasm"))
    assert len(programs) > 20
    for path in programs:
        source = path.read_text(encoding="utf-8")
        major = "3" if "openqasm3" in path.parts else "2"
        check_sizes(source, major, Limits())
