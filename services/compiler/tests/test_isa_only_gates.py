"""ECR is AQO's for device ISA views only: the compiler lowers a program's ``ecr`` to its usual
basis (docs/aqo.md), never emits ``ECR``, and refuses an ``ecr`` OpenQASM does not define."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from qiskit import QuantumCircuit, qasm2, qasm3
from qiskit.quantum_info import Operator

from eigen_common.errors import CompilationFailedError
from eigen_compiler.model import CompileRequest, QasmSource
from eigen_compiler.optimize import LEVELS, target_basis
from eigen_compiler.pipeline import Compiler
from eigen_ir import aqo
from eigen_ir.aqo_qiskit import to_qiskit


def _with_ecr() -> QuantumCircuit:
    qc = QuantumCircuit(2)
    qc.ry(0.3, 0)
    qc.h(1)
    qc.ecr(0, 1)
    qc.ecr(1, 0)
    return qc


@pytest.mark.parametrize("level", LEVELS)
def test_no_pass_manager_targets_ecr(level: int) -> None:
    assert "ecr" not in target_basis(level)


@pytest.mark.parametrize("export", [qasm2.dumps, qasm3.dumps], ids=["qasm2", "qasm3"])
@pytest.mark.parametrize("level", LEVELS)
def test_a_programs_ecr_compiles_by_its_definition(
    compiler: Compiler, export: Callable[[QuantumCircuit], str], level: int
) -> None:
    """Qiskit's exporters write an ECRGate as ``gate ecr ...``: that definition is compiled."""
    qc = _with_ecr()
    source = export(qc)
    assert "gate ecr" in source
    result = compiler.compile(
        CompileRequest(QasmSource(source), options={"optimization_level": str(level)})
    )
    circuit = aqo.parse(result.aqo_json)
    assert not {o.op for o in circuit.operations} & aqo.ISA_ONLY_GATES
    assert Operator(to_qiskit(circuit)).equiv(Operator(qc))


@pytest.mark.parametrize(
    "source",
    [
        'OPENQASM 2.0;\ninclude "qelib1.inc";\nqreg q[2];\necr q[0],q[1];\n',
        'OPENQASM 3.0;\ninclude "stdgates.inc";\nqubit[2] q;\necr q[0], q[1];\n',
    ],
    ids=["qasm2", "qasm3"],
)
def test_an_undefined_ecr_is_refused_with_its_line(compiler: Compiler, source: str) -> None:
    with pytest.raises(CompilationFailedError) as info:
        compiler.compile(CompileRequest(QasmSource(source)))
    (diag,) = info.value.diagnostics
    assert diag.rule == "qasm-syntax" and diag.line == 4 and "ecr" in diag.message
