"""The OpenQASM 3 specification's example programs (tests/corpus/openqasm3): ten run, two are
rejected with the construct and its line, and every one that runs computes what an independent
reference computes.

References never go through our lowering: the program's known outcome (the adder's sum, the
syndrome correction, the inverse QFT of a Fourier state, repeat-until-success ending in 0),
Qiskit's own importer run on Aer where it loads the program, or the program written by hand
with Qiskit's dynamic-circuit API (``if_test``, ``while_loop``, ``store``) and run on Aer.
Ours is the compiled AQO converted back to Qiskit (``to_qiskit``) and run on Aer. Distributions
are compared by Hellinger fidelity at a number of shots where sampling alone costs < 0.005.
"""

from __future__ import annotations

import math
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from qiskit import ClassicalRegister, QuantumCircuit, QuantumRegister, qasm3, transpile
from qiskit.quantum_info import hellinger_fidelity
from qiskit_aer import AerSimulator

from eigen_common.errors import CompilationFailedError
from eigen_compiler.model import CompileRequest, QasmSource
from eigen_compiler.pipeline import Compiler
from eigen_ir import aqo
from eigen_ir.aqo_qiskit import to_qiskit
from tests.qasm3_references import ipe_by_hand, rus_by_hand

CORPUS = Path(__file__).resolve().parents[3] / "tests" / "corpus" / "openqasm3"
SIM = AerSimulator()
SHOTS = 20_000

#: What each program does here: ("runs", warnings) or (rule, line, column) of its rejection.
TALLY: dict[str, tuple[str, ...] | tuple[str, int, int]] = {
    "adder.qasm": ("runs",),
    "cphase.qasm": ("qasm-syntax", 4, 3),  # `CX`: not built into OpenQASM 3 (and `q` undeclared)
    "gateteleport.qasm": ("qasm3-unsupported", 12, 9),  # calls `extern vote`
    "inverseqft1.qasm": ("runs",),
    "inverseqft2.qasm": ("runs",),
    "ipe.qasm": ("runs",),
    "qec.qasm": ("runs", "constant-condition"),  # int[2](syn) == 3 is never true
    "qft.qasm": ("runs",),
    "qpt.qasm": ("runs",),
    "rb.qasm": ("runs",),
    "rus.qasm": ("runs", "bounded-while", "integer-division"),
    "teleport.qasm": ("runs",),
}


def source(name: str) -> str:
    return (CORPUS / name).read_text()


def compiled(compiler: Compiler, text: str) -> aqo.Circuit:
    return aqo.parse(compiler.compile(CompileRequest(QasmSource(text))).aqo_json)


def ours(compiler: Compiler, text: str, shots: int = SHOTS) -> dict[str, int]:
    circuit = to_qiskit(compiled(compiler, text))
    return dict(SIM.run(circuit, shots=shots, seed_simulator=5).result().get_counts())


def aer(qc: QuantumCircuit, shots: int = SHOTS) -> dict[str, int]:
    counts = SIM.run(transpile(qc, SIM), shots=shots, seed_simulator=17).result().get_counts()
    out: dict[str, int] = {}
    for key, n in counts.items():
        k = key.replace(" ", "")
        out[k] = out.get(k, 0) + n
    return out


def test_the_tally(compiler: Compiler) -> None:
    """Every corpus file runs or is rejected exactly as docs/openqasm3.md records."""
    assert sorted(p.name for p in CORPUS.glob("*.qasm")) == sorted(TALLY)
    for name, expected in TALLY.items():
        request = CompileRequest(QasmSource(source(name)))
        if expected[0] == "runs":
            result = compiler.compile(request)
            assert result.metrics["language"] == "qasm3" and result.gate_count > 0, name
            assert sorted({w.rule for w in result.warnings}) == sorted(expected[1:]), name
            continue
        with pytest.raises(CompilationFailedError) as info:
            compiler.compile(request)
        (diag,) = info.value.diagnostics
        assert (diag.rule, diag.line, diag.column) == expected, (name, diag)
        assert "Error" not in diag.message


def test_rejections_name_the_construct(compiler: Compiler) -> None:
    with pytest.raises(CompilationFailedError) as info:
        compiler.compile(CompileRequest(QasmSource(source("gateteleport.qasm"))))
    assert "extern function 'vote'" in info.value.diagnostics[0].message
    with pytest.raises(CompilationFailedError) as info:
        compiler.compile(CompileRequest(QasmSource(source("cphase.qasm"))))
    (diag,) = info.value.diagnostics
    assert diag.message == "gate 'CX' is not defined" and "stdgates.inc" in diag.hint


# --- known outcomes ------------------------------------------------------------------------


@pytest.mark.parametrize(("a", "b"), [(1, 15), (0, 0), (7, 9), (15, 15), (5, 3)])
def test_adder_adds(compiler: Compiler, a: int, b: int) -> None:
    text = source("adder.qasm").replace("a_in = 1;", f"a_in = {a};")
    text = text.replace("b_in = 15;", f"b_in = {b};")
    assert ours(compiler, text, 100) == {format(a + b, "05b"): 100}


@pytest.mark.parametrize(
    ("error", "syndrome", "data"),
    [
        ("x q[0];", "01", "000"),
        ("x q[1];", "11", "010"),
        ("x q[2];", "10", "100"),
        ("", "00", "000"),
    ],
)
def test_qec_corrects_bit_flips_as_written(
    compiler: Compiler, error: str, syndrome: str, data: str
) -> None:
    """``int[2](syn)`` is two's complement (OpenQASM 3 casting): it holds -2..1, so the
    example's ``== 2`` and ``== 3`` corrections never fire (warnings say so); with ``uint[2]``,
    what the example means, every single flip is corrected."""
    text = source("qec.qasm").replace("x q[0]; // insert an error", error)
    # outputs in declaration order: c (clbits 0-2), then syn (clbits 3-4)
    assert ours(compiler, text, 100) == {syndrome + data: 100}
    unsigned = text.replace("int[2](syn)", "uint[2](syn)")
    assert ours(compiler, unsigned, 100) == {syndrome + "000": 100}
    warnings = compiler.compile(CompileRequest(QasmSource(text))).warnings
    never = [(w.line, w.message) for w in warnings if w.rule == "constant-condition"]
    assert [line for line, _ in never] == [24, 25]
    assert all("always false (int[2] (-2..1) ==" in message for _, message in never)


def test_inverse_qft_of_the_uniform_state_is_zero(compiler: Compiler) -> None:
    assert ours(compiler, source("inverseqft1.qasm"), 200) == {"0000": 200}
    assert ours(compiler, source("inverseqft2.qasm"), 200) == {"0000": 200}


def test_repeat_until_success_ends_in_zero_with_real_division(compiler: Compiler) -> None:
    """With cos θ = 3/5 the correction undoes the rotation exactly: output_qubit is always 0
    (the corpus file writes ``3 / 5``, which OpenQASM 3 divides as integers: 0)."""
    text = source("rus.qasm").replace("arccos(3 / 5)", "arccos(3.0 / 5)")
    counts = ours(compiler, text, 2000)
    assert counts == {"000": 2000}  # flags 00 (the loop ended), output 0


# --- Qiskit's importer as the reference ----------------------------------------------------


@pytest.mark.parametrize("name", ["qft.qasm", "qpt.qasm", "rb.qasm"])
def test_programs_qiskit_loads_match_qiskit(compiler: Compiler, name: str) -> None:
    reference = aer(qasm3.loads(source(name)))
    assert hellinger_fidelity(reference, ours(compiler, source(name))) > 0.99


def test_teleport_matches_qiskit_on_the_importers_spelling(compiler: Compiler) -> None:
    """Qiskit's importer wants ``bit == true``; with that spelling it loads teleport."""
    text = source("teleport.qasm")
    spelled = text.replace("c0==1", "c0==true").replace("c1==1", "c1==true")
    reference = aer(qasm3.loads(spelled))
    counts = ours(compiler, text)
    assert hellinger_fidelity(reference, counts) > 0.99
    ones = sum(n for k, n in counts.items() if k[0] == "1")  # c2 is clbit 2 (leftmost)
    expected = math.sin(0.15) ** 2  # |<1|U(0.3, 0.2, 0.1)|0>|^2
    assert abs(ones / SHOTS - expected) < 5 * math.sqrt(expected / SHOTS)


def test_inverseqft2_matches_qiskit_on_the_importers_spelling(compiler: Compiler) -> None:
    text = _fourier_input(source("inverseqft2.qasm"))
    spelled = text.replace("==1", "==true").replace("== 1", "== true")
    assert hellinger_fidelity(aer(qasm3.loads(spelled)), ours(compiler, text)) > 0.99


# --- hand-written Qiskit dynamic circuits as the reference ---------------------------------


def _fourier_input(text: str) -> str:
    """Replace the uniform input with uneven single-qubit states, so every conditional fires."""
    prep = "ry(1.1) q[0]; rz(0.4) q[0]; ry(2.0) q[1]; ry(0.7) q[2]; rz(2.5) q[2]; ry(1.9) q[3];"
    assert "\nh q;\n" in text
    return text.replace("\nh q;\n", f"\n{prep}\n", 1)


def _prepare(qc: QuantumCircuit) -> None:
    q = qc.qubits
    qc.ry(1.1, q[0])
    qc.rz(0.4, q[0])
    qc.ry(2.0, q[1])
    qc.ry(0.7, q[2])
    qc.rz(2.5, q[2])
    qc.ry(1.9, q[3])


def _inverseqft1_reference() -> QuantumCircuit:
    q, c = QuantumRegister(4, "q"), ClassicalRegister(4, "c")
    qc = QuantumCircuit(q, c)
    qc.reset(q)
    _prepare(qc)
    qc.barrier(q)
    angles = {
        1: {1: math.pi / 2},
        2: {1: math.pi / 4, 2: math.pi / 2, 3: math.pi / 2 + math.pi / 4},
        3: {k: math.pi * k / 8 for k in range(1, 8)},
    }
    for j in range(4):
        for value, angle in angles.get(j, {}).items():
            with qc.if_test((c, value)):
                qc.rz(angle, q[j])
        qc.h(q[j])
        qc.measure(q[j], c[j])
    return qc


def test_inverseqft1_matches_a_hand_written_dynamic_circuit(compiler: Compiler) -> None:
    text = _fourier_input(source("inverseqft1.qasm"))
    assert hellinger_fidelity(aer(_inverseqft1_reference()), ours(compiler, text)) > 0.99


def test_ipe_matches_a_hand_written_dynamic_circuit(compiler: Compiler) -> None:
    reference, counts = aer(ipe_by_hand()), ours(compiler, source("ipe.qasm"))
    assert len(reference) > 20  # a spread distribution, not a trivial one
    assert hellinger_fidelity(reference, counts) > 0.99
    assert all(k.endswith("0") for k in counts)  # c[0] is shifted in as 0 by the last `c <<= 1`


@pytest.mark.parametrize(("ratio", "literal"), [(0.0, "3 / 5"), (0.6, "3.0 / 5")])
def test_rus_matches_qiskits_while_loop(compiler: Compiler, ratio: float, literal: str) -> None:
    text = source("rus.qasm").replace("3 / 5", literal)
    reference, counts = aer(rus_by_hand(ratio)), ours(compiler, text)
    assert hellinger_fidelity(reference, counts) > 0.99
    assert all(k[1:] == "00" for k in counts)  # the loop ended every time (64 iterations at most)


def _qec_reference(prep: Callable[[QuantumCircuit, QuantumRegister], None]) -> QuantumCircuit:
    q, a = QuantumRegister(3, "q"), QuantumRegister(2, "a")
    c, syn = ClassicalRegister(3, "c"), ClassicalRegister(2, "syn")
    qc = QuantumCircuit(q, a, c, syn)
    qc.reset(q)
    qc.reset(a)
    prep(qc, q)
    qc.barrier(q)
    qc.cx(q[0], a[0])
    qc.cx(q[1], a[0])
    qc.cx(q[1], a[1])
    qc.cx(q[2], a[1])
    qc.measure(a, syn)
    for value, target in ((1, 0), (2, 2), (3, 1)):
        with qc.if_test((syn, value)):
            qc.x(q[target])
    qc.measure(q, c)
    return qc


def test_qec_with_a_coherent_error_matches_a_hand_written_circuit(compiler: Compiler) -> None:
    text = source("qec.qasm").replace("x q[0]; // insert an error", "ry(0.9) q[0]; ry(2.1) q[2];")
    text = text.replace("int[2](syn)", "uint[2](syn)")  # the reference compares unsigned

    def prep(qc: QuantumCircuit, q: QuantumRegister) -> None:
        qc.ry(0.9, q[0])
        qc.ry(2.1, q[2])

    assert hellinger_fidelity(aer(_qec_reference(prep)), ours(compiler, text)) > 0.99


# --- determinism -----------------------------------------------------------------------------


RUNNING = [n for n, t in TALLY.items() if t[0] == "runs"]


def test_same_source_same_bytes_in_two_processes(compiler: Compiler) -> None:
    here = {n: compiler.compile(CompileRequest(QasmSource(source(n)))).aqo_sha256 for n in RUNNING}
    again = {n: compiler.compile(CompileRequest(QasmSource(source(n)))).aqo_sha256 for n in RUNNING}
    assert here == again
    script = (
        "import sys\n"
        "from pathlib import Path\n"
        "from eigen_compiler.model import CompileRequest, Limits, QasmSource\n"
        "from eigen_compiler.optimize import PassManagerCache\n"
        "from eigen_compiler.pipeline import Compiler\n"
        "c = Compiler(Limits(), PassManagerCache())\n"
        "for name in sys.argv[2:]:\n"
        "    text = (Path(sys.argv[1]) / name).read_text()\n"
        "    print(name, c.compile(CompileRequest(QasmSource(text))).aqo_sha256)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", script, str(CORPUS), *RUNNING],
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    ).stdout
    other = dict(line.split() for line in out.splitlines())
    assert other == here
