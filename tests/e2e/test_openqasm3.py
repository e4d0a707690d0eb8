"""OpenQASM 3 programs with run-time control flow through the four real processes.

The spec examples ``rus.qasm`` (a ``while`` on a measurement, a subroutine returning measured
bits) and ``ipe.qasm`` (a measured ``angle`` fed back as a gate angle, shifted with ``<<=``)
are submitted as OpenQASM text on ``sim:local`` and compared with the same programs written by
hand with Qiskit's dynamic-circuit API and run on Aer directly (no Eigen OS code between the
text and the counts): Hellinger fidelity ≥ 0.99. The noisy paths (``sim:noisy``, an
``ibm:fake_*`` device) run the conditioned operations too: repeat-until-success with real
division ends in 0 there unless noise flips it.
"""

from __future__ import annotations

import math
import struct

import pytest
from qiskit import ClassicalRegister, QuantumCircuit, QuantumRegister
from qiskit.circuit.classical import expr
from qiskit.quantum_info import hellinger_fidelity
from qiskit_aer import AerSimulator

from eigen.api.v1 import job_pb2
from tests.conftest import CORPUS
from tests.e2e.helpers import qasm_request, submit, wait

PROGRAMS = CORPUS / "openqasm3"
SHOTS = 8192
REF_SHOTS = 65536


def reference(qc: QuantumCircuit) -> dict[str, int]:
    counts = AerSimulator().run(qc, shots=REF_SHOTS, seed_simulator=99).result().get_counts()
    out: dict[str, int] = {}
    for key, n in counts.items():
        k = key.replace(" ", "")
        out[k] = out.get(k, 0) + n
    return out


def rus_by_hand(ratio: float) -> QuantumCircuit:
    """rus.qasm with Qiskit's unbounded ``while_loop``; clbits: flags (0-1), output (2)."""
    inp, anc = QuantumRegister(1, "input"), QuantumRegister(2, "ancilla")
    flags, out = ClassicalRegister(2, "flags"), ClassicalRegister(1, "output")
    qc = QuantumCircuit(inp, anc, flags, out)

    def segment() -> None:
        qc.reset(anc)
        qc.h(anc)
        qc.ccx(anc[0], anc[1], inp[0])
        qc.s(inp[0])
        qc.ccx(anc[0], anc[1], inp[0])
        qc.z(inp[0])
        qc.h(anc)
        qc.measure(anc, flags)

    qc.reset(inp)
    qc.h(inp)
    segment()
    with qc.while_loop(expr.not_equal(flags, 0)):
        segment()
    qc.rz(math.pi - math.acos(ratio), inp[0])
    qc.h(inp)
    qc.measure(inp, out)
    return qc


def ipe_by_hand() -> QuantumCircuit:
    """ipe.qasm: one conditioned phase per bit of ``c``, ``c <<= 1`` as classical stores."""
    theta = struct.unpack("f", struct.pack("f", 3 * math.pi / 8))[0]  # const float[32]
    q, c = QuantumRegister(2, "q"), ClassicalRegister(10, "c")
    qc = QuantumCircuit(q, c)
    qc.reset(q)
    qc.h(q[1])
    power = 1
    for _ in range(10):
        qc.reset(q[0])
        qc.h(q[0])
        qc.cp(power * theta, q[0], q[1])
        for k in range(10):
            with qc.if_test((c[k], True)):
                qc.p(-2 * math.pi * (1 << k) / 1024, q[0])
        qc.h(q[0])
        qc.measure(q[0], c[0])
        for k in range(9, 0, -1):
            qc.store(c[k], expr.lift(c[k - 1]))
        qc.store(c[0], expr.lift(False))
        power = (power << 1) % 1024
    return qc


@pytest.mark.slow
def test_runtime_control_flow_programs_match_qiskit_on_sim_local(api) -> None:
    rus = (PROGRAMS / "rus.qasm").read_text()
    jobs = {
        "rus": (rus, rus_by_hand(0.0)),
        "rus-real-division": (rus.replace("3 / 5", "3.0 / 5"), rus_by_hand(0.6)),
        "ipe": ((PROGRAMS / "ipe.qasm").read_text(), ipe_by_hand()),
    }
    ids = {
        name: submit(api, qasm_request(text, name=name, shots=SHOTS, seed=2024))
        for name, (text, _) in jobs.items()
    }
    for name, (_, by_hand) in jobs.items():
        res = wait(api, ids[name])
        assert res.state == job_pb2.JOB_STATUS_DONE, (name, res.error_summary, res.diagnostics)
        counts = dict(res.counts)
        assert sum(counts.values()) == SHOTS and res.metadata["aqo_sha256"]
        fidelity = hellinger_fidelity(reference(by_hand), counts)
        assert fidelity > 0.99, (name, fidelity)
    real = dict(wait(api, ids["rus-real-division"]).counts)
    assert real == {"000": SHOTS}  # the loop always ended and undid the rotation


@pytest.mark.slow
@pytest.mark.parametrize("target", ["sim:noisy", "ibm:fake_brisbane"])
def test_runtime_control_flow_runs_on_noisy_devices(api, target: str) -> None:
    text = (PROGRAMS / "rus.qasm").read_text().replace("3 / 5", "3.0 / 5")
    res = wait(api, submit(api, qasm_request(text, target=target, shots=2000, seed=7)))
    assert res.state == job_pb2.JOB_STATUS_DONE, (res.error_summary, res.diagnostics)
    counts = dict(res.counts)
    zero = sum(n for k, n in counts.items() if k[0] == "0")  # output_qubit is clbit 2
    assert sum(counts.values()) == 2000 and zero / 2000 > 0.8, counts


def test_rejected_example_reports_construct_and_line(api) -> None:
    text = (PROGRAMS / "gateteleport.qasm").read_text()
    res = wait(api, submit(api, qasm_request(text, name="gateteleport")))
    assert res.state == job_pb2.JOB_STATUS_ERROR and res.error_code == "COMPILATION_FAILED"
    (diag,) = res.diagnostics
    assert (diag.rule, diag.line, diag.column) == ("qasm3-unsupported", 12, 9)
    assert "extern function 'vote'" in diag.message
