"""Hybrid (VQE) jobs through the four real services: Pattern B, Pattern A, the seed program.

Numbers checked against diagonalisation of the same Hamiltonian, never against the platform.
"""

from __future__ import annotations

import importlib.util
import re
import sys

import numpy as np
import pytest
from google.protobuf.json_format import MessageToDict
from qiskit.quantum_info import SparsePauliOp, Statevector

from eigen.api.v1 import common_pb2, job_pb2
from eigen_lang import create_hea_ansatz, create_ising_model_hamiltonian
from tests.conftest import ROOT
from tests.e2e.helpers import stream, submit, wait

H2_DIR = ROOT / "examples" / "h2_vqe"
SEED_PROGRAM = ROOT / "services/compiler/tests/programs/seed_appendix.eigen.txt"
H2 = [
    ("II", -1.052373245772859),
    ("IZ", 0.39793742484318045),
    ("ZI", -0.39793742484318045),
    ("ZZ", -0.01128010425623538),
    ("XX", 0.18093119978423156),
]
H2_OP = SparsePauliOp.from_list(H2)
H2_EXACT = float(np.linalg.eigvalsh(H2_OP.to_matrix()).min())
CHEMICAL_ACCURACY = 1.6e-3  # Hartree


def eigen_request(source: str, name: str = "vqe", **kw) -> job_pb2.SubmitJobRequest:
    req = job_pb2.SubmitJobRequest(name=name, target=kw.pop("target", "sim:local"), **kw)
    req.eigen_lang.CopyFrom(common_pb2.EigenLangSource(source=source))
    return req


def h2_energy(theta) -> float:
    """Exact <H2> of the example's ansatz ry(θ0) q0, ry(θ1) q1, cx(q0, q1)."""
    from qiskit import QuantumCircuit

    qc = QuantumCircuit(2)
    qc.ry(theta[0], 0)
    qc.ry(theta[1], 1)
    qc.cx(0, 1)
    return float(Statevector(qc).expectation_value(H2_OP).real)


def test_h2_pattern_b_exact_reaches_chemical_accuracy(api):
    source = (H2_DIR / "program.eigen.py").read_text()
    job_id = submit(api, eigen_request(source))
    ups = [u for u in stream(api, job_id) if not u.heartbeat]
    res = wait(api, job_id)
    assert res.state == job_pb2.JOB_STATUS_DONE, res.error_summary
    opt = res.optimization
    assert abs(opt.optimal_value - H2_EXACT) < CHEMICAL_ACCURACY
    theta = [opt.optimal_parameters["theta[0]"], opt.optimal_parameters["theta[1]"]]
    assert h2_energy(theta) == pytest.approx(opt.optimal_value, abs=1e-9)
    iters = [u for u in ups if u.iteration > 0]
    assert [u.iteration for u in iters] == list(range(1, opt.iterations + 1))
    assert [u.current_value for u in iters] == pytest.approx(list(opt.history))
    assert all(u.state == job_pb2.JOB_STATUS_RUNNING for u in iters)
    assert [u.progress for u in iters] == pytest.approx([k / 100 for k in range(1, len(iters) + 1)])
    assert [u.terminal for u in ups].count(True) == 1 and ups[-1].terminal
    assert [u.event_seq for u in ups] == list(range(1, len(ups) + 1))
    out = MessageToDict(res.outputs)
    assert set(out) == {"energy", "theta", "success", "iterations"}
    assert out["energy"] == pytest.approx(opt.optimal_value)
    assert out["theta"] == pytest.approx(theta)
    assert res.metadata["shots"] == "exact" and re.fullmatch(
        r"[0-9a-f]{64}", res.metadata["aqo_sha256"]
    )


def test_h2_pattern_b_sampled_cobyla_within_its_tolerance(api):
    source = (H2_DIR / "program.eigen.py").read_text().replace("shots=None", "shots=100000")
    source = source.replace("[0.1, 0.1]", "[0.5, -0.5]").replace("tolerance=1e-8", "tolerance=1e-4")
    job_id = submit(api, eigen_request(source, seed=3, inputs={"max_iter": 40}))
    res = wait(api, job_id, timeout=300)
    assert res.state == job_pb2.JOB_STATUS_DONE, res.error_summary
    opt = res.optimization
    theta = [opt.optimal_parameters["theta[0]"], opt.optimal_parameters["theta[1]"]]
    # 1e5 shots per measurement group: about 0.7 mHa standard error per evaluation. The true
    # energy at the returned point is held to 5 mHa, the reported (noisy, best-of) one to 10.
    assert abs(h2_energy(theta) - H2_EXACT) < 5e-3
    assert abs(opt.optimal_value - H2_EXACT) < 10e-3
    assert res.metadata["shots"] == "100000" and 1 <= opt.iterations <= 40


@pytest.mark.slow
def test_h2_pattern_b_sampled_spsa_within_its_tolerance(api):
    source = (H2_DIR / "program.eigen.py").read_text()
    source = source.replace("shots=None", "shots=100000").replace('"cobyla"', '"spsa"')
    source = source.replace("[0.1, 0.1]", "[0.4, 0.4]")
    job_id = submit(api, eigen_request(source, seed=5, inputs={"max_iter": 200}))
    res = wait(api, job_id, timeout=300)
    assert res.state == job_pb2.JOB_STATUS_DONE, res.error_summary
    opt = res.optimization
    theta = [opt.optimal_parameters["theta[0]"], opt.optimal_parameters["theta[1]"]]
    # Sampling: 1e5 shots per group give a standard error of about 0.7 mHa per evaluation;
    # the true energy at the returned point must be within 10 mHa of the ground state.
    assert abs(h2_energy(theta) - H2_EXACT) < 10e-3
    assert abs(opt.optimal_value - H2_EXACT) < 10e-3
    assert res.metadata["shots"] == "100000" and opt.iterations == 200


def test_seed_appendix_program_runs_to_within_5_percent(api):
    source = SEED_PROGRAM.read_text()
    job_id = submit(api, eigen_request(source, name="logistics", inputs={"n_routes": 4}))
    res = wait(api, job_id, timeout=300)
    assert res.state == job_pb2.JOB_STATUS_DONE, res.error_summary
    out = MessageToDict(res.outputs)
    assert set(out) == {
        "optimal_cost",
        "optimal_parameters",
        "success",
        "iterations",
        "qubits_used",
    }
    assert out["qubits_used"] == 4
    assert len(out["optimal_parameters"]) == create_hea_ansatz(4, 3, "linear", "ry").num_params
    h = create_ising_model_hamiltonian(n_spins=4, J=-1.0, h=0.5, periodic=False)
    exact = float(np.linalg.eigvalsh(h.to_matrix()).min())
    assert abs(out["optimal_cost"] - exact) <= 0.05 * abs(exact)
    assert out["iterations"] <= 150


def test_cancel_mid_loop_ends_cancelled(api):
    source = (H2_DIR / "program.eigen.py").read_text().replace("tolerance=1e-8", "tolerance=1e-12")
    job_id = submit(api, eigen_request(source, inputs={"max_iter": 100000}))
    seen = 0
    for u in _live(api, job_id):
        if u.iteration >= 3:
            seen = u.iteration
            break
    api.jobs.CancelJob(job_pb2.CancelJobRequest(job_id=job_id), metadata=api.metadata)
    ups = [u for u in stream(api, job_id) if not u.heartbeat]
    assert ups[-1].state == job_pb2.JOB_STATUS_CANCELLED and ups[-1].terminal
    assert seen >= 3 and max(u.iteration for u in ups) < 100000
    status = api.jobs.GetJobStatus(
        job_pb2.GetJobStatusRequest(job_id=job_id), metadata=api.metadata
    )
    assert status.job.state == job_pb2.JOB_STATUS_CANCELLED
    assert status.job.last_event_seq == ups[-1].event_seq  # nothing announced after the end


def _live(api, job_id):
    req = job_pb2.StreamJobUpdatesRequest(job_id=job_id)
    for resp in api.jobs.StreamJobUpdates(req, metadata=api.metadata, timeout=120):
        yield resp.update


def test_pattern_a_sdk_loop_reaches_the_same_energy_and_compiles_once(process_stack):
    from eigen_os.client import EigenClient

    spec = importlib.util.spec_from_file_location("pattern_a", H2_DIR / "pattern_a.py")
    assert spec is not None and spec.loader is not None
    mod = importlib.util.module_from_spec(spec)
    sys.modules["pattern_a"] = mod
    spec.loader.exec_module(mod)
    with EigenClient(endpoint=process_stack.endpoint, token=process_stack.token) as client:
        run = mod.run_vqe(client, shots=100_000, max_iter=40)
    assert run.jobs == 2 * run.evaluations
    assert run.cache_hits >= run.jobs - 2  # one compilation per measurement basis
    assert abs(h2_energy(run.theta) - H2_EXACT) < 10e-3
    assert abs(run.energy - H2_EXACT) < 10e-3


def test_local_run_and_server_run_give_identical_counts(api):
    spec = importlib.util.spec_from_file_location(
        "bell_example", ROOT / "examples/bell/program.eigen.py"
    )
    assert spec is not None and spec.loader is not None
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    program = next(v for v in vars(mod).values() if type(v).__name__ == "HybridProgram")
    local = program.run(shots=4000, seed=2024)
    source = (ROOT / "examples/bell/program.eigen.py").read_text()
    res = wait(api, submit(api, eigen_request(source, name="bell", shots=4000, seed=2024)))
    assert res.state == job_pb2.JOB_STATUS_DONE
    assert dict(res.counts) == local
    assert sum(local.values()) == 4000 and len(local) == 2


def noisy_h2_energy(theta: list[float]) -> float:
    """<H2> of the example's ansatz under FakeBrisbane's noise, without Eigen OS.

    Qiskit's preset pass manager for the backend (seeded as the driver seeds it) and Aer's
    density-matrix simulator with the backend's noise model — an independent estimate.
    """
    from qiskit import QuantumCircuit
    from qiskit.transpiler import generate_preset_pass_manager
    from qiskit_aer import AerSimulator
    from qiskit_aer.primitives import EstimatorV2
    from qiskit_ibm_runtime.fake_provider import FakeBrisbane

    backend = AerSimulator.from_backend(FakeBrisbane(), method="density_matrix")
    qc = QuantumCircuit(2)
    qc.ry(theta[0], 0)
    qc.ry(theta[1], 1)
    qc.cx(0, 1)
    pm = generate_preset_pass_manager(optimization_level=1, backend=backend, seed_transpiler=1234)
    isa = pm.run(qc)
    est = EstimatorV2.from_backend(backend)
    value = est.run([(isa, H2_OP.apply_layout(isa.layout))], precision=0.0).result()[0]
    return float(value.data.evs)


@pytest.mark.slow
def test_h2_vqe_example_on_a_calibrated_noisy_ibm_device(api):
    """examples/h2_vqe/job.ibm.yaml: the VQE on ibm:fake_brisbane through EstimatorV2 semantics."""
    import yaml

    spec = yaml.safe_load((H2_DIR / "job.ibm.yaml").read_text())["spec"]
    source = (H2_DIR / spec["program_path"]).read_text()
    job_id = submit(api, eigen_request(source, name="vqe-brisbane", target=spec["target"]))
    res = wait(api, job_id, timeout=600)
    assert res.state == job_pb2.JOB_STATUS_DONE, res.error_summary
    assert res.metadata["device_id"] == "ibm.fake_brisbane"
    opt = res.optimization
    # the device's noise (T1/T2, gate and readout errors) keeps the energy above the exact one
    assert H2_EXACT + 1e-3 < opt.optimal_value < H2_EXACT + 0.2, opt.optimal_value
    theta = [opt.optimal_parameters["theta[0]"], opt.optimal_parameters["theta[1]"]]
    reference = noisy_h2_energy(theta)
    print(
        f"\nH2 VQE on ibm.fake_brisbane: {opt.optimal_value:.4f} Ha after {opt.iterations} "
        f"iterations (exact {H2_EXACT:.4f}; Aer+noise model at those parameters {reference:.4f})"
    )
    assert reference == pytest.approx(opt.optimal_value, abs=0.02)
