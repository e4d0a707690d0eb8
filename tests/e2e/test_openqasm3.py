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

import pytest
from qiskit import QuantumCircuit
from qiskit.quantum_info import hellinger_fidelity
from qiskit_aer import AerSimulator

from eigen.api.v1 import job_pb2
from tests.conftest import CORPUS
from tests.e2e.helpers import qasm_request, submit, wait
from tests.qasm3_references import ipe_by_hand, rus_by_hand

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
