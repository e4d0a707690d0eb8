"""Qiskit users on Eigen OS (issue 13, SPEC §15): circuits in the SDK, the V2 primitives and
``EigenBackend``, against the real in-process stack and checked against Qiskit Aer itself."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import scipy.optimize
from qiskit import ClassicalRegister, QuantumCircuit, QuantumRegister, transpile
from qiskit.circuit import Parameter, ParameterVector
from qiskit.primitives import BitArray, StatevectorEstimator
from qiskit.quantum_info import SparseObservable, SparsePauliOp
from qiskit_aer import AerSimulator
from qiskit_aer.primitives import SamplerV2 as AerSamplerV2

from cli.tests.conftest import (
    ADMIN_TOKEN,
    BELL_QASM,
    Api,
    cancel_quietly,
    running_stack,
    submit_long_job,
)
from eigen.api.v1 import job_pb2
from eigen_common.errors import DeviceNotFoundError, InvalidArgumentError
from eigen_os.circuits import AER_SEED_STRIDE, circuit_program
from eigen_os.qiskit import (
    EigenBackend,
    EigenEstimatorV2,
    EigenSamplerV2,
    device_target,
    observable_message,
)
from eigen_os.results import JobFailedError, JobStatus

#: H2 (STO-3G, 0.735 Å, parity mapping, two-qubit reduction), Hartree, Qiskit label order.
H2 = SparsePauliOp.from_list(
    [
        ("II", -1.052373245772859),
        ("IZ", 0.39793742484318045),
        ("ZI", -0.39793742484318045),
        ("ZZ", -0.01128010425623538),
        ("XX", 0.18093119978423156),
    ]
)
H2_EXACT = -1.857275030202


def bell() -> QuantumCircuit:
    qc = QuantumCircuit(2, name="bell")
    qc.h(0)
    qc.cx(0, 1)
    qc.measure_all()
    return qc


def two_registers() -> QuantumCircuit:
    """Three qubits measured into two registers, ``c`` (1 bit) and ``d`` (2 bits)."""
    qc = QuantumCircuit(
        QuantumRegister(3, "q"), ClassicalRegister(1, "c"), ClassicalRegister(2, "d")
    )
    qc.h(0)
    qc.cx(0, 1)
    qc.rx(0.7, 2)
    qc.measure(0, 0)
    qc.measure([1, 2], [1, 2])
    return qc


def rotations() -> tuple[QuantumCircuit, list[Parameter]]:
    """A parametrised circuit: a plain name, an expression and ParameterVector elements."""
    theta = ParameterVector("θ", 2)
    a = Parameter("a")
    qc = QuantumCircuit(2, name="rotations")
    qc.ry(theta[0], 0)
    qc.rx(2 * a + 0.1, 1)
    qc.cx(0, 1)
    qc.rz(theta[1], 1)
    qc.h(1)
    qc.measure_all()
    return qc, [a, theta[0], theta[1]]


def aer_counts(result: object, circuit: QuantumCircuit) -> list[dict[str, int]]:
    """Counts of every binding of a SamplerPubResult over all registers (flat bitstrings)."""
    data = result.data  # type: ignore[attr-defined]
    full = BitArray.concatenate_bits([getattr(data, r.name) for r in circuit.cregs])
    return [full[idx].get_counts() for idx in np.ndindex(*full.shape)]


# --- the SDK takes circuits and OpenQASM text; results are typed -----------------------------


def test_sdk_submits_a_quantum_circuit(api: Api) -> None:
    with api.client() as c:
        job_id = c.submit(bell(), shots=1000, seed=7)
        job = c.wait(job_id, timeout=60)
        res = c.results(job_id)
    assert job.state is JobStatus.DONE and job.state.terminal and str(job.state) == "DONE"
    assert job.name == "bell" and job.target == "sim:local" and job.shots == 1000
    assert job.created_at is not None and job.created_at.tzinfo is not None
    assert res.ok and set(res.get_counts()) == {"00", "11"}
    assert sum(res.get_counts().values()) == 1000 and res.metadata["seed"] == "7"
    assert res.proto.state == job_pb2.JOB_STATUS_DONE and job.proto.job_id == job_id
    assert api.submission(job_id).language == "qasm"  # sent as OpenQASM 2: enough here
    aer = AerSimulator().run(bell(), shots=1000, seed_simulator=7).result().get_counts()
    assert res.get_counts() == aer


def test_sdk_submits_openqasm_text_and_rejects_other_things(api: Api) -> None:
    with api.client() as c:
        job_id = c.submit(BELL_QASM, shots=20, name="text")
        res = c.results(c.wait(job_id, timeout=60).job_id)
        assert sum(res.counts.values()) == 20 and c.status(job_id).name == "text"
        with pytest.raises(InvalidArgumentError, match="OpenQASM 2 or 3"):
            c.submit("h(0)")
        with pytest.raises(TypeError, match="cannot submit a int"):
            c.submit(42)


def test_circuit_parameters_are_inputs(api: Api) -> None:
    qc, (a, t0, t1) = rotations()
    values = {a: 0.4, "θ[0]": 1.1, t1: -0.3}  # by Parameter or by its name
    with api.client() as c:
        job_id = c.submit(qc, inputs=values, shots=800, seed=3)
        res = c.results(c.wait(job_id, timeout=60).job_id).raise_for_state()
        with pytest.raises(InvalidArgumentError, match="not a free parameter"):
            c.submit(qc, inputs={"b": 1.0})
    bound = qc.assign_parameters({a: 0.4, t0: 1.1, t1: -0.3})
    aer = AerSimulator().run(bound, shots=800, seed_simulator=3).result().get_counts()
    assert res.get_counts() == aer
    program = circuit_program(qc)
    assert program.language == "qasm3" and program.names == ("a", "p1", "p2")
    assert "input float[64] p1;" in program.source


def test_typed_events_and_failures(api: Api) -> None:
    broken = "OPENQASM 2.0;\nqreg q[1];\nfoo q[0];\n"
    with api.client() as c:
        job_id = c.submit(broken)
        events = list(c.stream_updates(job_id, timeout=60))
        res = c.results(job_id)
    assert [e.event_seq for e in events] == list(range(1, len(events) + 1))
    assert events[-1].terminal and events[-1].state is JobStatus.ERROR
    assert events[0].timestamp is not None and events[-1].proto.terminal
    assert res.state is JobStatus.ERROR and not res.ok and res.error_code == "COMPILATION_FAILED"
    assert res.diagnostics and res.diagnostics[0].line == 3
    with pytest.raises(JobFailedError) as ei:
        res.raise_for_state()
    assert ei.value.job_id == job_id and ei.value.error_code == "COMPILATION_FAILED"
    assert ei.value.diagnostics[0].line == 3
    with pytest.raises(ValueError, match="has no sweep"):
        res.get_counts(0)


def test_typed_hybrid_outcome(api: Api) -> None:
    from eigen_os.jobspec import load_jobspec

    here = Path(__file__).resolve().parents[2] / "examples" / "h2_vqe" / "job.yaml"
    with api.client() as c:
        job_id = c.submit(load_jobspec(here))
        res = c.results(c.wait(job_id, timeout=120).job_id)
    opt = res.optimization
    assert opt is not None and math.isclose(opt.optimal_value, H2_EXACT, abs_tol=1e-6)
    assert set(opt.optimal_parameters) == {"theta[0]", "theta[1]"}
    assert len(opt.history) == opt.iterations and res.outputs["energy"] == opt.optimal_value
    assert res.counts == {} and res.sweep_results == ()


# --- EigenSamplerV2: the same script, the same counts as Aer's SamplerV2 ---------------------


def test_aer_seeds_consecutive_experiments_2113_apart() -> None:
    """The rule the primitives rely on to match Aer (pinned: a new Aer may change it)."""
    sim = AerSimulator()
    r = sim.run([bell()] * 3, shots=10, seed_simulator=11).result()
    assert [e.seed_simulator for e in r.results] == [11 + AER_SEED_STRIDE * k for k in range(3)]


@pytest.mark.parametrize(
    ("target", "aer_options"),
    [("sim:local", {}), ("sim:statevector", {"backend_options": {"method": "statevector"}})],
)
def test_sampler_counts_match_aer_for_the_same_seed(
    api: Api, target: str, aer_options: dict[str, Any]
) -> None:
    """Issue 13: the same Qiskit script on Aer's SamplerV2 and on EigenSamplerV2.

    Parity needs the same seed, shots and simulation method: ``sim:local`` is Aer's automatic
    method, as is ``SamplerV2()``; ``sim:statevector`` is its statevector method. PUBs run as
    Aer runs them (k-th experiment seeded seed + 2113·k), so several PUBs match too.
    """
    qc, params = rotations()
    values = [0.4, 1.1, -0.3]  # in circuit.parameters order: a, θ[0], θ[1]
    assert list(qc.parameters) == params

    def script(sampler: object) -> list[list[dict[str, int]]]:
        pubs = [(bell(),), (two_registers(),), (qc, values)]
        result = sampler.run(pubs, shots=2000).result()  # type: ignore[attr-defined]
        return [aer_counts(r, p[0]) for r, p in zip(result, pubs, strict=True)]

    with api.client() as c:
        eigen = script(EigenSamplerV2(target, client=c, options={"seed": 1234}))
    aer = script(AerSamplerV2(seed=1234, options=aer_options))
    assert eigen == aer
    assert set(eigen[0][0]) == {"00", "11"} and sum(eigen[2][0].values()) == 2000


def test_sampler_result_structure(api: Api) -> None:
    with api.client() as c:
        sampler = EigenSamplerV2(client=c, options={"default_shots": 300, "seed": 5})
        job = sampler.run([two_registers()])
        result = job.result()
        assert job.done() and job.in_final_state() and not job.cancelled()
        assert job.status().name == "DONE" and job.job_id() == job.eigen_job_ids[0]
    pub = result[0]
    assert pub.data.c.num_bits == 1 and pub.data.d.num_bits == 2
    assert pub.data.c.shape == () and pub.data.c.num_shots == 300
    assert pub.metadata["shots"] == 300 and pub.metadata["job_id"] == job.eigen_job_ids[0]
    assert result.metadata == {"version": 2}
    # c is q0; d = (q1, q2) with q1 == q0 (a Bell pair): d's low bit equals c
    joint = BitArray.concatenate_bits([pub.data.c, pub.data.d]).get_counts()
    assert all(bits[1] == bits[2] for bits in joint)


def test_sampler_job_can_be_cancelled(tmp_path: Path) -> None:
    """A PUB's job waiting for a busy device is cancelled through the Qiskit job handle."""
    with running_stack(tmp_path) as a:
        busy = [submit_long_job(a, f"busy{i}") for i in range(2)]  # the device's two slots
        try:
            with a.client() as c:
                job = EigenSamplerV2(client=c).run([bell()])
                for u in c.stream_updates(job.eigen_job_ids[0], timeout=60):  # compiled, waits
                    assert not u.terminal, u.message
                    if u.state is JobStatus.QUEUED:
                        break
                assert c.status(job.eigen_job_ids[0]).state is JobStatus.QUEUED
                assert job.status().name == "QUEUED" and not job.in_final_state()
                job.cancel()
                assert job.cancelled() and job.status().name == "CANCELLED"
                with pytest.raises(JobFailedError, match="CANCELLED"):
                    job.result()
        finally:
            for job_id in busy:
                cancel_quietly(a, job_id)


def test_sampler_sweep_is_one_job_in_the_pub_shape(api: Api) -> None:
    qc, _ = rotations()
    grid = np.linspace(0.1, 1.5, 12).reshape(2, 2, 3)  # shape (2, 2), 3 parameters each
    with api.client() as c:
        sampler = EigenSamplerV2(client=c, options={"seed": 99})
        job = sampler.run([(qc, grid)], shots=500)
        result = job.result()
        assert len(job.eigen_job_ids) == 1
    assert result[0].data.meas.shape == (2, 2)
    aer = AerSamplerV2(seed=99).run([(qc, grid)], shots=500).result()
    assert aer_counts(result[0], qc) == aer_counts(aer[0], qc)


# --- EigenEstimatorV2 -------------------------------------------------------------------------


def test_observables_become_pauli_sums() -> None:
    msg = observable_message({"ZZ": 1.0, "XI": -0.5}, 2)
    assert [(t.label, t.coefficient) for t in msg.terms] == [("ZZ", 1.0), ("XI", -0.5)]
    projector = observable_message(SparseObservable.from_label("0X"), 2)  # |0><0| on qubit 1
    assert sorted((t.label, t.coefficient) for t in projector.terms) == [
        ("IX", 0.5),
        ("ZX", 0.5),
    ]
    with pytest.raises(InvalidArgumentError, match="complex"):
        observable_message({"ZZ": 1j}, 2)


def vqe(estimator: object) -> float:
    """An H2 VQE written against Qiskit's own estimator interface (BaseEstimatorV2)."""
    theta = ParameterVector("theta", 2)
    ansatz = QuantumCircuit(2)
    ansatz.ry(theta[0], 0)
    ansatz.ry(theta[1], 1)
    ansatz.cx(0, 1)

    def energy(x: np.ndarray) -> float:
        pub = (ansatz, H2, x)
        return float(estimator.run([pub]).result()[0].data.evs)  # type: ignore[attr-defined]

    out = scipy.optimize.minimize(energy, [0.5, -0.5], method="COBYLA", options={"tol": 1e-6})
    return float(out.fun)


def test_vqe_reference_on_qiskit_estimator() -> None:
    assert math.isclose(vqe(StatevectorEstimator()), H2_EXACT, abs_tol=1e-5)


def test_h2_vqe_runs_unchanged_on_eigen_estimator(api: Api) -> None:
    with api.client() as c:
        energy = vqe(EigenEstimatorV2("sim:local", client=c))
    assert math.isclose(energy, vqe(StatevectorEstimator()), abs_tol=1e-6)


def test_estimator_broadcasts_observables_and_bindings(api: Api) -> None:
    theta = Parameter("t")
    qc = QuantumCircuit(2)
    qc.ry(theta, 0)
    qc.cx(0, 1)
    observables = [[SparsePauliOp("ZZ")], [SparsePauliOp("XX")], [SparsePauliOp("ZI")]]  # (3, 1)
    values = np.linspace(0, np.pi, 4).reshape(1, 4, 1)  # (1, 4) bindings
    with api.client() as c:
        result = EigenEstimatorV2(client=c).run([(qc, observables, values)]).result()
    ref = StatevectorEstimator().run([(qc, observables, values)]).result()
    assert result[0].data.evs.shape == (3, 4)
    np.testing.assert_allclose(result[0].data.evs, ref[0].data.evs, atol=1e-9)
    np.testing.assert_allclose(result[0].data.stds, 0.0)


# --- EigenBackend -----------------------------------------------------------------------------


def test_backend_target_and_transpile_for_the_noisy_device(api: Api) -> None:
    qc = QuantumCircuit(3, 3)
    qc.h(0)
    qc.cx(0, 2)
    qc.cz(1, 2)
    qc.measure([0, 1, 2], [0, 1, 2])
    with api.client() as c:
        backend = EigenBackend("sim:noisy", client=c)
        device = c.device("sim:noisy")
        isa = transpile(qc, backend, seed_transpiler=1)
        counts = backend.run(isa, shots=500, seed_simulator=2).result().get_counts()
    assert backend.num_qubits == device.max_qubits == 5
    assert backend.name == device.device_id and backend.eigen_target == "sim:noisy"
    ops = set(backend.target.operation_names)
    assert {"cx", "rz", "sx", "x", "measure"} <= ops and "h" not in ops
    assert set(isa.count_ops()) <= ops
    coupling = backend.coupling_map
    for inst in isa.data:
        if inst.operation.num_qubits == 2:
            pair = tuple(isa.find_bit(q).index for q in inst.qubits)
            assert coupling.graph.has_edge(*pair)
    assert sum(counts.values()) == 500 and {"000", "101"} <= set(counts)


def test_backend_run_matches_aer_simulator(api: Api) -> None:
    circuits = [bell(), two_registers()]
    with api.client() as c:
        backend = EigenBackend("sim:local", client=c)
        job = backend.run(circuits, shots=1500, seed_simulator=21)
        result = job.result()
        assert job.status().name == "DONE" and len(job.eigen_job_ids) == 2
    aer = AerSimulator().run(circuits, shots=1500, seed_simulator=21).result()
    assert result.get_counts(0) == aer.get_counts(0)
    assert result.get_counts(1) == aer.get_counts(1)  # "d1d0 c0" keys, as Aer formats them
    assert all(" " in key for key in result.get_counts(1))
    with api.client() as c, pytest.raises(DeviceNotFoundError):
        EigenBackend("qpu:nowhere", client=c)


def test_device_target_of_an_all_to_all_simulator(api: Api) -> None:
    with api.client() as c:
        target = device_target(c.device("sim:local"))
    assert target.num_qubits == 30 and {"cx", "ccx", "rzz", "measure"} <= set(
        target.operation_names
    )
    assert target.build_coupling_map() is None  # all-to-all


# --- no client: configured as the CLI is --------------------------------------------------------


def test_primitives_without_a_client_use_the_cli_configuration(
    api: Api, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    home = tmp_path / "eigen-home"  # $EIGEN_HOME (isolated_env)
    home.mkdir()
    (home / "token").write_text(ADMIN_TOKEN)
    monkeypatch.setenv("EIGEN_ENDPOINT", api.endpoint)
    with EigenSamplerV2(options={"seed": 3}) as sampler:
        counts = sampler.run([bell()], shots=100).result()[0].data.meas.get_counts()
    assert sum(counts.values()) == 100
    with EigenEstimatorV2() as estimator:
        assert estimator.client.config.token_source == str(home / "token")
    backend = EigenBackend()
    assert backend.client.config.endpoint_source == "EIGEN_ENDPOINT"
    backend.client.close()


# --- how a sweep job's results read in `eigen results` ------------------------------------------


def rendered_sweep(points: list[job_pb2.SweepResult], top: int = 32) -> str:
    import io

    from rich.console import Console

    from eigen_os.cli import render

    out = io.StringIO()
    render.render_results(
        Console(file=out, width=120, color_system=None),
        job_pb2.GetJobResultsResponse(
            job_id="j1", state=job_pb2.JOB_STATUS_DONE, sweep_results=points
        ),
        top=top,
    )
    return out.getvalue()


def test_sweep_results_render_one_row_per_binding() -> None:
    points = [
        job_pb2.SweepResult(
            parameter_values={"theta[10]": 0.5, "theta[2]": float(k)},
            counts={"00": 10 - k, "11": k},
        )
        for k in range(4)
    ]
    text = rendered_sweep(points)
    assert "sweep: 4 binding(s)" in text
    rows = [ln.split() for ln in text.splitlines() if ln.strip()[:1].isdigit()]
    assert rows[0][:5] == ["0", "theta[2]=0,", "theta[10]=0.5", "00", "10"]
    assert rows[3][3:] == ["00", "7", "2"]  # top outcome, its count, distinct outcomes
    assert "1 more binding(s)" in rendered_sweep(points, top=3)
    estimates = [
        job_pb2.SweepResult(
            parameter_values={"t": 0.1}, expectation_values=[0.25, -1.0], std_errors=[0.01]
        )
    ]
    text = rendered_sweep(estimates)
    assert "0.25 ± 0.01, -1 ± 0" in text and "expectation values" in text
