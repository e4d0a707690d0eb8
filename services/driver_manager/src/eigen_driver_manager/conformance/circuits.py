"""Circuits and references of the conformance kit.

AQO helpers, QASMBench small circuits (vendored in ``tests/corpus/qasmbench/small``, or
``EIGEN_QASMBENCH_DIR``) and their exact output distributions computed by Qiskit
(``Statevector``, measurements at the end).
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping, Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any

from eigen_ir.aqo import AQO_VERSION, Circuit, parse

BELL: tuple[dict[str, Any], ...] = (
    {"op": "H", "q": [0]},
    {"op": "CX", "q": [0, 1]},
    {"op": "MEASURE", "q": [0, 1], "c": [0, 1]},
)
MEASURE0: dict[str, Any] = {"op": "MEASURE", "q": [0], "c": [0]}
MEASURE_ALL3: dict[str, Any] = {"op": "MEASURE", "q": [0, 1, 2], "c": [0, 1, 2]}

#: The vendored corpus (repository checkout) unless ``EIGEN_QASMBENCH_DIR`` says otherwise.
CORPUS = Path(
    os.environ.get(
        "EIGEN_QASMBENCH_DIR",
        str(Path(__file__).resolve().parents[5] / "tests" / "corpus" / "qasmbench" / "small"),
    )
)


def aqo(
    qubits: int,
    clbits: int,
    operations: Sequence[Mapping[str, Any]],
    parameters: Sequence[str] = (),
) -> Circuit:
    """A validated AQO circuit."""
    return parse(
        {
            "version": AQO_VERSION,
            "qubits": qubits,
            "clbits": clbits,
            "parameters": sorted(parameters),
            "operations": [dict(o) for o in operations],
        }
    )


def qasmbench_files() -> list[Path]:
    """The QASMBench small ``.qasm`` files, sorted (one per circuit folder)."""
    return sorted(CORPUS.glob("*/*.qasm"))


def qasmbench_names() -> list[str]:
    """The QASMBench small circuit names, sorted.

    A circuit is named by its folder: its file may be named otherwise
    (``basis_trotter_n4/basis_test_n4.qasm``).
    """
    return sorted({p.parent.name for p in qasmbench_files()})


def qasmbench_path(name: str) -> Path:
    """The ``.qasm`` file of circuit ``name`` (``<name>/<name>.qasm``, else the folder's one).

    Raises:
        FileNotFoundError: no such circuit in the corpus.
    """
    folder = CORPUS / name
    preferred = folder / f"{name}.qasm"
    if preferred.is_file():
        return preferred
    found = sorted(folder.glob("*.qasm"))
    if not found:
        raise FileNotFoundError(f"no QASMBench circuit {name!r} in {CORPUS}")
    return found[0]


@lru_cache(maxsize=64)
def qasmbench(name: str) -> tuple[Circuit, dict[str, float]]:
    """``name``'s circuit as AQO and its exact distribution over clbit strings.

    Raises:
        pytest's skip when the circuit measures mid-circuit (no exact reference).
    """
    import pytest
    from qiskit import qasm2, transpile
    from qiskit.quantum_info import Statevector

    from eigen_ir.aqo_qiskit import BASIS_GATES, from_qiskit

    path = qasmbench_path(name)
    qc = qasm2.loads(path.read_text(), custom_instructions=qasm2.LEGACY_CUSTOM_INSTRUCTIONS)
    qc = transpile(qc, basis_gates=BASIS_GATES, optimization_level=0)
    circuit = from_qiskit(qc)
    measured: dict[int, int] = {}
    body = qc.copy_empty_like()
    for inst in qc.data:
        name_ = inst.operation.name
        if name_ == "measure":
            q = qc.find_bit(inst.qubits[0]).index
            measured[q] = qc.find_bit(inst.clbits[0]).index
            continue
        if name_ == "barrier":
            continue
        if any(qc.find_bit(b).index in measured for b in inst.qubits) or inst.clbits:
            pytest.skip(f"{name} measures mid-circuit: no exact reference")
        body.append(inst)
    body.remove_final_measurements()
    qubits = sorted(measured)
    probs = Statevector(body).probabilities_dict(qargs=qubits)  # key char k ↔ qubits[-1-k]
    width = qc.num_clbits
    exact: dict[str, float] = {}
    for key, p in probs.items():
        bits = ["0"] * width
        for k, q in enumerate(reversed(qubits)):
            bits[width - 1 - measured[q]] = key[k]
        s = "".join(bits)
        exact[s] = exact.get(s, 0.0) + float(p)
    return circuit, exact


def hellinger_fidelity(counts: Mapping[str, int], exact: Mapping[str, float]) -> float:
    """Hellinger fidelity (Qiskit's definition) of sampled ``counts`` and a distribution."""
    total = sum(counts.values())
    bc = sum(math.sqrt(n / total * exact.get(k, 0.0)) for k, n in counts.items())
    return bc**2
