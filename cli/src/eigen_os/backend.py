"""An Eigen OS device as a Qiskit ``BackendV2`` (re-exported by :mod:`eigen_os.qiskit`).

``EigenBackend("sim:noisy").target`` is a ``qiskit.transpiler.Target`` built from the device's
``GetDeviceDetails``: its basis gates, its coupling map (none = all-to-all) and ``max_qubits``,
so ``transpile(circuit, backend)`` produces what the device runs natively. ``backend.run``
submits each circuit as a job and returns a ``JobV1`` whose ``result()`` is a
``qiskit.result.Result`` (``get_counts()`` with registers separated by spaces, as Aer's).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable
from typing import Any

from qiskit import QuantumCircuit
from qiskit.circuit import (
    BoxOp,
    ForLoopOp,
    IfElseOp,
    Instruction,
    SwitchCaseOp,
    WhileLoopOp,
)
from qiskit.circuit.library import get_standard_gate_name_mapping
from qiskit.providers import BackendV2, JobV1, Options
from qiskit.providers import JobStatus as QiskitJobStatus
from qiskit.result import Result
from qiskit.result.models import ExperimentResult, ExperimentResultData
from qiskit.transpiler import Target

from eigen.api.v1 import device_pb2, job_pb2
from eigen_common.errors import FailedPreconditionError
from eigen_os.circuits import CircuitProgram, aer_seeds, circuit_program, job_name
from eigen_os.client import EigenClient
from eigen_os.results import JobResult, JobStatus

_CONTROL_FLOW: dict[str, type[Instruction]] = {
    "if_else": IfElseOp,
    "for_loop": ForLoopOp,
    "while_loop": WhileLoopOp,
    "switch_case": SwitchCaseOp,
    "box": BoxOp,
}
_IGNORED = frozenset({"barrier", "break", "continue"})

#: Eigen OS job status → Qiskit's ``JobStatus``.
QISKIT_STATUS = {
    JobStatus.UNSPECIFIED: QiskitJobStatus.INITIALIZING,
    JobStatus.COMPILING: QiskitJobStatus.VALIDATING,
    JobStatus.QUEUED: QiskitJobStatus.QUEUED,
    JobStatus.RUNNING: QiskitJobStatus.RUNNING,
    JobStatus.DONE: QiskitJobStatus.DONE,
    JobStatus.ERROR: QiskitJobStatus.ERROR,
    JobStatus.TIMEOUT: QiskitJobStatus.ERROR,
    JobStatus.CANCELLED: QiskitJobStatus.CANCELLED,
}


def qiskit_status(states: Iterable[JobStatus]) -> QiskitJobStatus:
    """Qiskit's status of a group of jobs: a failure if any failed, else the least advanced."""
    seen = list(states)
    for bad in (JobStatus.ERROR, JobStatus.TIMEOUT, JobStatus.CANCELLED):
        if bad in seen:
            return QISKIT_STATUS[bad]
    return QISKIT_STATUS[min(seen, default=JobStatus.DONE)]


def _gate_names(device: device_pb2.Device) -> list[str]:
    """Qiskit names of the device's instructions.

    ``basis_gates`` (else the ``native_gates`` / ``basis_gates`` capability), and ``measure``,
    which every device that returns counts runs.
    """
    if device.basis_gates:
        names = [g.lower() for g in device.basis_gates]
    else:
        caps = device.capabilities
        raw = caps.get("native_gates") or caps.get("basis_gates", "")
        names = [g.strip().lower() for g in raw.split(",") if g.strip()]
    return [*names, "measure"]


def _edges(device: device_pb2.Device) -> list[tuple[int, int]]:
    """Directed couplings of the device; empty = all-to-all.

    From ``coupling_map``, else from the ``coupling_map`` capability (undirected ``a-b`` pairs,
    taken in both directions).
    """
    if device.coupling_map:
        return [(e.control, e.target) for e in device.coupling_map]
    out: list[tuple[int, int]] = []
    for pair in device.capabilities.get("coupling_map", "").split(","):
        a, sep, b = pair.strip().partition("-")
        if sep and a.isdigit() and b.isdigit():
            out += [(int(a), int(b)), (int(b), int(a))]
    return out


def device_target(device: device_pb2.Device) -> Target:
    """The Qiskit ``Target`` of an Eigen OS device (ideal: no error or duration data).

    Gates unknown to Qiskit's standard library are left out; so are barriers (always allowed).
    """
    n = device.max_qubits
    edges = _edges(device)
    target = Target(description=device.name or device.device_id, num_qubits=n)
    standard = get_standard_gate_name_mapping()
    for name in dict.fromkeys(_gate_names(device)):
        if name in _IGNORED or name in target:
            continue
        if name in _CONTROL_FLOW:
            target.add_instruction(_CONTROL_FLOW[name], name=name)
            continue
        inst = standard.get(name)
        if inst is None:
            continue
        props: dict[tuple[int, ...], None] | None = None
        if edges and inst.num_qubits == 1:
            props = {(q,): None for q in range(n)}
        elif edges and inst.num_qubits == 2:
            props = dict.fromkeys(edges)
        target.add_instruction(inst, props)
    return target


class EigenBackendJob(JobV1):
    """The jobs of one ``EigenBackend.run`` (one per circuit) as a Qiskit ``JobV1``."""

    def __init__(
        self,
        backend: EigenBackend,
        job_ids: list[str],
        programs: list[CircuitProgram],
        circuits: list[QuantumCircuit],
        timeout: float | None,
    ) -> None:
        super().__init__(backend, ",".join(job_ids))
        self.eigen_job_ids = tuple(job_ids)
        self._programs = programs
        self._circuits = circuits
        self._timeout = timeout
        self._result: Result | None = None

    @property
    def _client(self) -> EigenClient:
        client: EigenClient = self._backend.client
        return client

    def submit(self) -> None:
        """Nothing to do: the jobs were submitted by ``run``."""

    def status(self) -> QiskitJobStatus:
        """Qiskit's ``JobStatus`` of the least advanced job (any failure wins)."""
        return qiskit_status(self._client.status(j).state for j in self.eigen_job_ids)

    def cancel(self) -> None:
        """Cancel the jobs that have not ended."""
        for job_id in self.eigen_job_ids:
            with contextlib.suppress(FailedPreconditionError):
                self._client.cancel(job_id, "cancelled from Qiskit")

    def result(self) -> Result:
        """Wait for the jobs; a ``Result`` with one experiment per circuit.

        Raises:
            JobFailedError: a job ended ERROR, CANCELLED or TIMEOUT.
        """
        if self._result is None:
            experiments = []
            for job_id, program, circuit in zip(
                self.eigen_job_ids, self._programs, self._circuits, strict=True
            ):
                self._client.wait(job_id, timeout=self._timeout)
                res = self._client.results(job_id).raise_for_state()
                experiments.append(_experiment(res, program, circuit))
            self._result = Result(
                backend_name=self._backend.name,
                backend_version=self._backend.backend_version,
                job_id=self.job_id(),
                success=True,
                results=experiments,
            )
        return self._result


def _experiment(res: JobResult, program: CircuitProgram, circuit: QuantumCircuit) -> Any:
    header = {
        "name": circuit.name,
        "memory_slots": circuit.num_clbits,
        "creg_sizes": [[r.name, r.size] for r in circuit.cregs],
        "metadata": circuit.metadata,
    }
    seed = res.metadata.get("seed")
    return ExperimentResult(
        shots=int(res.metadata.get("shots", sum(res.counts.values())) or 0),
        success=True,
        data=ExperimentResultData(counts=program.memory_counts(res.counts)),
        header=header,
        seed=int(seed) if seed and seed.isdigit() else None,
        job_id=res.job_id,
    )


class EigenBackend(BackendV2):
    """An Eigen OS device as a ``BackendV2`` (see the module docstring).

    Args:
        target: target name or device id whose device this backend is (``backend.target`` is
            then the Qiskit ``Target``; the name given is ``eigen_target``).
        client: an :class:`EigenClient`; ``None`` = one configured as the CLI is.

    Raises:
        DeviceNotFoundError: no such device or target.
    """

    def __init__(self, target: str = "sim:local", *, client: EigenClient | None = None) -> None:
        self.client = client if client is not None else EigenClient()
        self.device = self.client.device(target)
        super().__init__(
            name=self.device.device_id,
            description=self.device.name,
            backend_version=self.device.capabilities.get("simulator", "") or None,
        )
        self.eigen_target = target
        self._target = device_target(self.device)

    @property
    def target(self) -> Target:
        """The device's Qiskit ``Target``."""
        return self._target

    @property
    def max_circuits(self) -> None:
        """No limit on the circuits of one ``run``."""
        return None

    @classmethod
    def _default_options(cls) -> Options:
        return Options(shots=1024, seed_simulator=None, timeout=None)

    def run(self, run_input: QuantumCircuit | Iterable[QuantumCircuit], **options: Any) -> Any:
        """Submit each circuit as a job on this device; return an :class:`EigenBackendJob`.

        Options: ``shots`` (default 1024), ``seed_simulator`` (circuit k seeded as Aer would,
        ``seed + 2113·k``), ``timeout`` (seconds ``result()`` waits per job).

        Raises:
            InvalidArgumentError: a circuit OpenQASM cannot express.
            EigenError: the server rejected a job (typed).
        """
        opts = {**dict(self.options.items()), **options}
        circuits = [run_input] if isinstance(run_input, QuantumCircuit) else list(run_input)
        shots = int(opts["shots"])
        seeds = aer_seeds(opts.get("seed_simulator"), [(shots, 1)] * len(circuits))
        programs = [circuit_program(c) for c in circuits]
        ids = []
        for circuit, program, seed in zip(circuits, programs, seeds, strict=True):
            req = job_pb2.SubmitJobRequest(
                name=job_name(circuit),
                target=self.eigen_target,
                qasm=program.qasm_message(),
                shots=shots,
                metadata={"qiskit.backend": self.name},
            )
            if seed is not None:
                req.seed = seed
            ids.append(self.client.submit(req))
        return EigenBackendJob(self, ids, programs, circuits, opts.get("timeout"))


__all__ = ["QISKIT_STATUS", "EigenBackend", "EigenBackendJob", "device_target", "qiskit_status"]
