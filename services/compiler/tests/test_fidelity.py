"""Compiled AQO reproduces Aer's ideal distribution of the original QASMBench circuits."""

from __future__ import annotations

from pathlib import Path

import pytest
from qiskit import qasm2
from qiskit.quantum_info import hellinger_fidelity
from qiskit.transpiler import generate_preset_pass_manager

from eigen_compiler.model import CompileRequest, QasmSource
from eigen_compiler.pipeline import Compiler
from eigen_ir.aqo_qiskit import to_qiskit

aer = pytest.importorskip("qiskit_aer")

CORPUS = Path(__file__).resolve().parents[3] / "tests" / "corpus"  # vendored, see its PROVENANCE
SMALL = [
    p
    for p in sorted((CORPUS / "qasmbench").glob("small/*/*.qasm"))
    if p.name != "vqe_uccsd_n4.qasm"
]
SHOTS = 8192
#: Above this many distinct outcomes, two 8192-shot samples of the same distribution fall below
#: 0.99 fidelity by sampling noise alone (ising_n10 has ~670); those use 8x the shots.
WIDE_SUPPORT = 256


@pytest.fixture(scope="module")
def simulator() -> object:
    return aer.AerSimulator()


@pytest.fixture(scope="module")
def aer_pm(simulator: object) -> object:
    """``transpile(qc, AerSimulator())`` as one reusable pass manager."""
    return generate_preset_pass_manager(optimization_level=1, backend=simulator, seed_transpiler=7)


def counts(simulator: object, pm: object, circuit: object, shots: int, seed: int) -> dict[str, int]:
    job = simulator.run(pm.run(circuit), shots=shots, seed_simulator=seed)  # type: ignore[attr-defined]
    return {k.replace(" ", ""): v for k, v in job.result().get_counts().items()}


@pytest.mark.skipif(not SMALL, reason="QASMBench corpus not found")
@pytest.mark.parametrize("level", ["1", "3"])
@pytest.mark.parametrize("path", SMALL, ids=lambda p: p.name)
def test_compiled_circuit_matches_reference_distribution(
    compiler: Compiler, simulator: object, aer_pm: object, path: Path, level: str
) -> None:
    source = path.read_text()
    reference = qasm2.loads(source, custom_instructions=qasm2.LEGACY_CUSTOM_INSTRUCTIONS)
    result = compiler.compile(
        CompileRequest(QasmSource(source), options={"optimization_level": level})
    )
    compiled = to_qiskit(result.circuit)
    assert compiled.num_clbits == reference.num_clbits
    expected = counts(simulator, aer_pm, reference, SHOTS, seed=11)
    shots = SHOTS * 8 if len(expected) > WIDE_SUPPORT else SHOTS
    if shots != SHOTS:
        expected = counts(simulator, aer_pm, reference, shots, seed=11)
    got = counts(simulator, aer_pm, compiled, shots, seed=12)
    assert sum(got.values()) == shots
    assert hellinger_fidelity(expected, got) >= 0.99
