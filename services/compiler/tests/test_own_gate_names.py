"""A program's own gate with a standard gate's name compiles by its body (frontends/qasm/owngates).

Without the standard library, ``gate h a { U(pi, 0, pi) a; }`` is an X: the AQO must be an X,
never the ``H`` its name suggests. With ``include "stdgates.inc"`` / ``"qelib1.inc"``,
redefining one of the library's gates is a ``qasm-syntax`` error at the definition. Every
compiled program here is checked by the unitary of its AQO (``to_qiskit``) against the circuit
the program means, and the single-qubit one by Aer's counts as well.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable

import grpc
import pytest
from qiskit import QuantumCircuit, qasm2, qasm3
from qiskit.circuit import Parameter
from qiskit.quantum_info import Operator

from eigen.api.v1 import common_pb2
from eigen.compiler.v1 import compiler_pb2, compiler_pb2_grpc
from eigen_common.errors import CompilationFailedError
from eigen_common.testing import start_test_server
from eigen_compiler.app import binding
from eigen_compiler.model import CompileRequest, QasmSource
from eigen_compiler.optimize import LEVELS
from eigen_compiler.pipeline import Compiler
from eigen_compiler.service import InProcess
from eigen_ir import aqo
from eigen_ir.aqo_qiskit import to_qiskit

OQ3 = "OPENQASM 3.0;\n"
OQ2 = "OPENQASM 2.0;\n"
#: The colleague's program: its own ``h`` is an X, so every shot measures 1.
OWN_H_OQ3 = (
    OQ3 + "qubit[1] q;\nbit[1] c;\ngate h a { U(pi, 0, pi) a; }\nh q[0];\nc[0] = measure q[0];\n"
)
OWN_H_OQ2 = (
    OQ2 + "qreg q[1];\ncreg c[1];\ngate h a { U(pi,0,pi) a; }\nh q[0];\nmeasure q[0] -> c[0];\n"
)
#: ``cx`` defined as a CZ (OpenQASM 3 builds in only U and gphase; OpenQASM 2 builds in CX).
OWN_CX_OQ3 = OQ3 + "qubit[2] q;\ngate cx a, b { ctrl @ U(0, 0, pi) a, b; }\ncx q[0], q[1];\n"
OWN_CX_OQ2 = (
    OQ2 + "qreg q[2];\ngate h a { U(pi/2,0,pi) a; }\ngate cx a,b { h b; CX a,b; h b; }\n"
    "cx q[0],q[1];\n"
)
#: Makes the OpenQASM 3 importer's circuit one the compiler's own lowering takes instead.
LOOP = "for int i in [0:0] {{ {} }}\n"


def _x() -> QuantumCircuit:
    qc = QuantumCircuit(1)
    qc.x(0)
    return qc


def _cz() -> QuantumCircuit:
    qc = QuantumCircuit(2)
    qc.cz(0, 1)
    return qc


def _compile(compiler: Compiler, source: str, level: int = 1) -> aqo.Circuit:
    request = CompileRequest(QasmSource(source), options={"optimization_level": str(level)})
    return aqo.parse(compiler.compile(request).aqo_json)


def _unitary(circuit: aqo.Circuit) -> Operator:
    qc = to_qiskit(circuit)
    qc.remove_final_measurements()
    return Operator(qc)


def _refused(compiler: Compiler, source: str) -> list[tuple[str, str, int]]:
    with pytest.raises(CompilationFailedError) as info:
        compiler.compile(CompileRequest(QasmSource(source)))
    return [(d.rule, d.message, d.line) for d in info.value.diagnostics]


@pytest.mark.parametrize("level", LEVELS)
@pytest.mark.parametrize("source", [OWN_H_OQ3, OWN_H_OQ2], ids=["oq3", "oq2"])
def test_an_own_h_without_the_library_is_its_body(
    compiler: Compiler, source: str, level: int
) -> None:
    circuit = _compile(compiler, source, level)
    assert "H" not in {o.op for o in circuit.operations}
    assert _unitary(circuit).equiv(Operator(_x()))


@pytest.mark.parametrize("source", [OWN_H_OQ3, OWN_H_OQ2], ids=["oq3", "oq2"])
def test_an_own_h_measures_1_on_aer(compiler: Compiler, source: str) -> None:
    from qiskit_aer import AerSimulator

    qc = to_qiskit(_compile(compiler, source))
    counts = AerSimulator(seed_simulator=7).run(qc, shots=200).result().get_counts()
    assert counts == {"1": 200}


@pytest.mark.parametrize("level", LEVELS)
@pytest.mark.parametrize("source", [OWN_CX_OQ3, OWN_CX_OQ2], ids=["oq3", "oq2"])
def test_an_own_two_qubit_cx_is_its_body(compiler: Compiler, source: str, level: int) -> None:
    circuit = _compile(compiler, source, level)
    assert _unitary(circuit).equiv(Operator(_cz()))
    cx = QuantumCircuit(2)
    cx.cx(0, 1)
    assert not _unitary(circuit).equiv(Operator(cx))


@pytest.mark.parametrize("lowered", [False, True], ids=["importer", "lowering"])
@pytest.mark.parametrize(
    ("statement", "expected"),
    [
        ("ctrl @ h q[0], q[1];", "cx"),
        ("inv @ h q[1];", "x1"),
        ("pow(1) @ h q[1];", "x1"),
        ("foo q[1];", "x1"),
        ("h q[1];", "x1"),
    ],
)
def test_modifiers_and_callers_of_an_own_gate_use_its_body(
    compiler: Compiler, statement: str, expected: str, lowered: bool
) -> None:
    """``ctrl @ h`` must be a controlled X (Qiskit names it ``ch`` and would build CH)."""
    body = LOOP.format(statement) if lowered else statement + "\n"
    source = (
        OQ3 + "qubit[2] q;\ngate h a { U(pi, 0, pi) a; }\ngate foo a { h a; }\n"
        "U(pi, 0, pi) q[0];\n" + body
    )
    want = QuantumCircuit(2)
    want.x(0)
    if expected == "cx":
        want.cx(0, 1)
    else:
        want.x(1)
    for level in (0, 2):
        assert _unitary(_compile(compiler, source, level)).equiv(Operator(want))


@pytest.mark.parametrize("lowered", [False, True], ids=["importer", "lowering"])
def test_redefining_a_stdgates_gate_is_an_error_at_its_line(
    compiler: Compiler, lowered: bool
) -> None:
    use = LOOP.format("h q[0];") if lowered else "h q[0];\n"
    source = OQ3 + 'include "stdgates.inc";\nqubit[1] q;\ngate h a { U(pi, 0, pi) a; }\n' + use
    assert _refused(compiler, source) == [
        ("qasm-syntax", "gate 'h' is already defined by stdgates.inc", 4)
    ]


def test_redefining_a_qelib1_gate_is_an_error_at_its_line(compiler: Compiler) -> None:
    source = OQ2 + 'include "qelib1.inc";\nqreg q[1];\ngate h a { U(pi,0,pi) a; }\nh q[0];\n'
    assert _refused(compiler, source) == [("qasm-syntax", "'h' is already defined", 4)]


def test_redefining_the_builtin_u_is_an_error(compiler: Compiler) -> None:
    source = OQ3 + "qubit[1] q;\ngate U(a, b, c) r { }\nU(1, 2, 3) q[0];\n"
    assert _refused(compiler, source) == [("qasm-syntax", "gate 'U' is built into OpenQASM 3", 3)]


@pytest.mark.parametrize(
    "source",
    [
        # not in stdgates.inc, but Qiskit and AQO know rzz and if_else by name
        OQ3 + 'include "stdgates.inc";\nqubit[1] q;\ngate rzz a { x a; }\nrzz q[0];\n',
        OQ3 + "qubit[1] q;\ngate if_else a { U(pi, 0, pi) a; }\nif_else q[0];\n",
        # not in qelib1.inc: Qiskit's legacy loader would have replaced it by its SX
        OQ2 + 'include "qelib1.inc";\nqreg q[1];\ngate sx a { x a; }\nsx q[0];\n',
        OQ2 + "qreg q[1];\ngate swap a { U(pi,0,pi) a; }\nswap q[0];\n",
    ],
    ids=["oq3-rzz", "oq3-if_else", "oq2-sx-with-qelib1", "oq2-swap"],
)
def test_other_standard_names_are_their_bodies(compiler: Compiler, source: str) -> None:
    assert _unitary(_compile(compiler, source, 0)).equiv(Operator(_x()))


@pytest.mark.parametrize("source", [OQ3 + "qubit[1] q;\n", OQ2 + "qreg q[1];\n"], ids=["3", "2"])
def test_diagnostics_name_the_programs_gate(compiler: Compiler, source: str) -> None:
    """The internal name (``program.h``) never reaches the user."""
    diagnostics = _refused(compiler, source + "gate h a { U(pi, 0, pi) a; }\nh(0.5) q[0];\n")
    assert diagnostics and all("program." not in m for _, m, _ in diagnostics)
    assert any("h" in m for _, m, _ in diagnostics)


@pytest.mark.parametrize("export", [qasm2.dumps, qasm3.dumps], ids=["qasm2", "qasm3"])
def test_qiskits_exported_standard_gates_stay_standard(
    compiler: Compiler, export: Callable[[QuantumCircuit], str]
) -> None:
    """Qiskit writes ``gate ryy(...)`` etc. with their true bodies: same gate, same AQO op."""
    qc = QuantumCircuit(3)
    qc.rzz(0.3, 0, 1)
    qc.ryy(0.2, 1, 2)
    qc.rxx(0.1, 0, 2)
    qc.sxdg(0)
    qc.cp(0.4, 0, 1)
    source = export(qc)
    assert "gate ryy" in source  # not in qelib1.inc nor in stdgates.inc
    circuit = _compile(compiler, source, 0)
    assert {"RZZ", "RYY", "RXX"} <= {o.op for o in circuit.operations}
    assert _unitary(circuit).equiv(Operator(qc))


@pytest.mark.parametrize("inputs", [{"theta": 0.3}, {}], ids=["bound", "symbolic"])
def test_qiskits_exported_gates_of_inputs_stay_standard(
    compiler: Compiler, inputs: dict[str, float]
) -> None:
    """``gate ryy(p) ...`` applied to ``input float theta``: its body is Qiskit's RYY's, op for
    op (with its own ``gate sxdg``), so it stays RYY whether theta is bound now or at run time."""
    theta = Parameter("theta")
    qc = QuantumCircuit(2)
    qc.h(0)
    qc.rzz(theta, 0, 1)
    qc.ryy(2 * theta, 1, 0)
    source = qasm3.dumps(qc)
    assert "gate ryy" in source and "gate sxdg" in source
    request = CompileRequest(QasmSource(source), options={"optimization_level": "0"}, inputs=inputs)
    circuit = aqo.parse(compiler.compile(request).aqo_json)
    assert [o.op for o in circuit.operations] == ["H", "RZZ", "RYY"]
    bound = to_qiskit(circuit, {"theta": 0.3})
    assert Operator(bound).equiv(Operator(qc.assign_parameters({theta: 0.3})))


def test_an_own_gate_of_an_input_named_rzz_is_its_body(compiler: Compiler) -> None:
    source = (
        OQ3 + 'include "stdgates.inc";\ninput float theta;\nqubit[2] q;\n'
        "gate rzz(t) a, b { rx(t) a; }\nrzz(theta) q[0], q[1];\n"
    )
    for inputs in ({"theta": 0.3}, {}):
        request = CompileRequest(QasmSource(source), inputs=inputs)
        circuit = aqo.parse(compiler.compile(request).aqo_json)
        assert "RZZ" not in {o.op for o in circuit.operations}
        want = QuantumCircuit(2)
        want.rx(0.3, 0)
        assert Operator(to_qiskit(circuit, {"theta": 0.3})).equiv(Operator(want))


def test_a_body_equal_to_the_standard_gate_but_for_phase_is_that_gate(compiler: Compiler) -> None:
    source = OQ2 + "qreg q[1];\ngate rz(t) a { U(0,0,t) a; }\nrz(0.7) q[0];\n"
    circuit = _compile(compiler, source, 0)
    assert [(o.op, o.params) for o in circuit.operations] == [("RZ", (0.7,))]


@pytest.fixture
async def stub(compiler: Compiler) -> AsyncIterator[compiler_pb2_grpc.CompilationServiceStub]:
    running = await start_test_server("compiler", [binding(InProcess(compiler))])
    channel = grpc.aio.insecure_channel(f"127.0.0.1:{running.port}")
    try:
        yield compiler_pb2_grpc.CompilationServiceStub(channel)
    finally:
        await channel.close(None)
        await running.stop(0)


async def test_compile_rpc_runs_the_programs_own_h(
    stub: compiler_pb2_grpc.CompilationServiceStub,
) -> None:
    """Through the public CompileCircuit RPC: the AQO it returns measures 1 every shot."""
    from qiskit_aer import AerSimulator

    request = compiler_pb2.CompileCircuitRequest(
        qasm=common_pb2.QasmSource(source=OWN_H_OQ3), target="sim:local", job_id="own-h"
    )
    response = await stub.CompileCircuit(request, timeout=60)
    circuit = aqo.parse(response.payload.data)
    assert "H" not in {o.op for o in circuit.operations}
    counts = AerSimulator(seed_simulator=3).run(to_qiskit(circuit), shots=100).result()
    assert counts.get_counts() == {"1": 100}
