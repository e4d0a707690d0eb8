"""Qiskit on Eigen OS: the V2 primitives and a ``BackendV2`` (SPEC §15, issue 13).

Existing Qiskit code runs on Eigen OS by changing one line::

    from eigen_os.qiskit import EigenSamplerV2          # was: from qiskit_aer.primitives ...
    sampler = EigenSamplerV2("sim:local", options={"seed": 7})
    result = sampler.run([(circuit, parameter_values)], shots=1000).result()
    counts = result[0].data.meas.get_counts()

- :class:`EigenSamplerV2` (a ``BaseSamplerV2``): a PUB becomes one job; its results are a
  ``SamplerPubResult`` with one ``BitArray`` per classical register, in the PUB's shape.
- :class:`EigenEstimatorV2` (a ``BaseEstimatorV2``): a PUB becomes one estimation job
  (``observables`` + ``precision``); ``evs`` and ``stds`` arrays in the PUB's broadcast shape.
- :class:`EigenBackend` (a ``BackendV2``): a device's ``Target`` (basis gates, coupling map,
  qubits from ``GetDeviceDetails``) for ``transpile(circuit, backend)``, and ``run``.

A PUB with an array of parameter values is one job with a ``ParameterSweep`` (compiled once,
executed per binding); a PUB with one binding (or none) is an ordinary job with ``inputs``.
Without ``client`` the primitives connect as the ``eigen`` CLI does (``EIGEN_ENDPOINT`` /
``EIGEN_TOKEN``, the config file, the local stack's ``$EIGEN_HOME`` token).

Seeds: with ``seed`` S the k-th experiment of a run is seeded ``S + 2113·k``, the rule of Qiskit
Aer's ``AerSimulator`` (and so of ``qiskit_aer.primitives.SamplerV2``), where a PUB's bindings
are consecutive experiments and PUBs with the same shots follow each other. A PUB's job gets the
seed of its first experiment; the Aer driver seeds a sweep's bindings the same way. Hence the
same script gives the same counts here and on Aer's ``SamplerV2(seed=S)``.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

import numpy as np
from qiskit.primitives import (
    BaseEstimatorV2,
    BasePrimitiveJob,
    BaseSamplerV2,
    BitArray,
    DataBin,
    PrimitiveResult,
    PubResult,
    SamplerPubResult,
)
from qiskit.primitives.containers.estimator_pub import EstimatorPub, EstimatorPubLike
from qiskit.primitives.containers.sampler_pub import SamplerPub, SamplerPubLike
from qiskit.providers import JobStatus as QiskitJobStatus
from qiskit.quantum_info import SparseObservable

from eigen.api.v1 import job_pb2
from eigen.common.v1 import circuit_pb2
from eigen_common.errors import FailedPreconditionError, InternalError, InvalidArgumentError
from eigen_os.backend import EigenBackend, EigenBackendJob, device_target, qiskit_status
from eigen_os.circuits import AER_SEED_STRIDE, CircuitProgram, aer_seeds, circuit_program, job_name
from eigen_os.client import EigenClient
from eigen_os.results import JobResult, JobStatus, SweepResult

R = TypeVar("R")


@dataclass
class SamplerOptions:
    """Options of :class:`EigenSamplerV2` (a dict with these keys is accepted too).

    Attributes:
        default_shots: shots of a PUB that does not set them (and ``run`` without ``shots``).
        seed: simulator seed (see the module docstring); ``None`` = random.
        job_name: name of the jobs; ``None`` = the circuit's name.
        priority: scheduling priority 0..100; ``None`` = the server's default (50).
        compiler_options: e.g. ``{"optimization_level": "1"}``.
        timeout: how long ``result()`` waits per job, in seconds; ``None`` = no limit.
    """

    default_shots: int = 1024
    seed: int | None = None
    job_name: str | None = None
    priority: int | None = None
    compiler_options: dict[str, str] = field(default_factory=dict)
    timeout: float | None = None


@dataclass
class EstimatorOptions:
    """Options of :class:`EigenEstimatorV2` (a dict with these keys is accepted too).

    Attributes:
        default_precision: target standard error of a PUB that does not set one; 0 = exact
            (simulators compute exact expectation values).
        seed: simulator seed of sampled estimates; ``None`` = random.
        job_name, priority, compiler_options, timeout: as in :class:`SamplerOptions`.
    """

    default_precision: float = 0.0
    seed: int | None = None
    job_name: str | None = None
    priority: int | None = None
    compiler_options: dict[str, str] = field(default_factory=dict)
    timeout: float | None = None


class EigenPrimitiveJob(BasePrimitiveJob[R, QiskitJobStatus], Generic[R]):
    """The Eigen OS jobs of one primitive ``run`` (one per PUB), as a Qiskit primitive job.

    ``job_id()`` is the ids joined by commas; ``eigen_job_ids`` lists them. ``result()`` waits
    for every job (following their event streams), then builds the ``PrimitiveResult``.
    """

    def __init__(
        self,
        client: EigenClient,
        job_ids: list[str],
        build: Callable[[list[JobResult]], R],
        timeout: float | None,
    ) -> None:
        super().__init__(",".join(job_ids))
        self.eigen_job_ids = tuple(job_ids)
        self._client = client
        self._build = build
        self._timeout = timeout
        self._result: R | None = None

    def result(self) -> R:
        """Wait for every job and return the primitive result.

        Raises:
            JobFailedError: a job ended ERROR, CANCELLED or TIMEOUT (its error and diagnostics).
            WaitTimeoutError: the options' ``timeout`` passed first.
        """
        if self._result is None:
            results = []
            for job_id in self.eigen_job_ids:
                self._client.wait(job_id, timeout=self._timeout)
                results.append(self._client.results(job_id).raise_for_state())
            self._result = self._build(results)
        return self._result

    def _states(self) -> list[JobStatus]:
        return [self._client.status(j).state for j in self.eigen_job_ids]

    def status(self) -> QiskitJobStatus:
        """The least advanced state of the jobs (any failure wins), as Qiskit's ``JobStatus``."""
        return qiskit_status(self._states())

    def done(self) -> bool:
        """True when every job ended DONE."""
        return all(s is JobStatus.DONE for s in self._states())

    def running(self) -> bool:
        """True while a job executes."""
        return self.status() is QiskitJobStatus.RUNNING

    def cancelled(self) -> bool:
        """True when a job was cancelled."""
        return JobStatus.CANCELLED in self._states()

    def in_final_state(self) -> bool:
        """True when every job is terminal."""
        return all(s.terminal for s in self._states())

    def cancel(self) -> None:
        """Cancel the jobs that have not ended."""
        for job_id in self.eigen_job_ids:
            with contextlib.suppress(FailedPreconditionError):  # already terminal
                self._client.cancel(job_id, "cancelled from Qiskit")


class _EigenPrimitive:
    """Connection, target and request building shared by the two primitives."""

    def __init__(self, target: str, client: EigenClient | None) -> None:
        self.target_name = target
        self._owns_client = client is None
        self.client = client if client is not None else EigenClient()

    def close(self) -> None:
        """Close the client if the primitive created it."""
        if self._owns_client:
            self.client.close()

    def __enter__(self) -> Any:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _request(
        self,
        program: CircuitProgram,
        circuit: Any,
        options: SamplerOptions | EstimatorOptions,
        kind: str,
    ) -> job_pb2.SubmitJobRequest:
        req = job_pb2.SubmitJobRequest(
            name=options.job_name or job_name(circuit, f"qiskit-{kind}"),
            target=self.target_name,
            qasm=program.qasm_message(),
            compiler_options=dict(options.compiler_options),
            metadata={"qiskit.primitive": kind},
        )
        if options.priority is not None:
            req.priority = options.priority
        return req


def _options(cls: type[Any], given: Any) -> Any:
    if given is None:
        return cls()
    if isinstance(given, cls):
        return given
    if isinstance(given, dict):
        return cls(**given)
    raise TypeError(f"options must be a {cls.__name__} or a dict, not {type(given).__name__}")


def _bind(
    req: job_pb2.SubmitJobRequest, program: CircuitProgram, values: Any, always_sweep: bool
) -> None:
    """Put a PUB's parameter values into ``req``: ``inputs`` for one binding, else a sweep."""
    table = values.as_array(program.parameters) if program.names else None
    if values.shape == () and not always_sweep:
        if table is not None:
            req.inputs.update(dict(zip(program.names, np.asarray(table).tolist(), strict=True)))
        return
    if table is None:
        table = np.zeros((*values.shape, 0))
    req.sweep.CopyFrom(program.sweep(np.asarray(table), values.shape))


def _sweep(res: JobResult, size: int) -> tuple[SweepResult, ...]:
    """A sweep job's per-binding results, checked against the number of bindings."""
    if len(res.sweep_results) != size:
        raise InternalError(
            f"job {res.job_id} returned {len(res.sweep_results)} sweep results for {size} bindings",
            reason="SWEEP_SHAPE_MISMATCH",
        )
    return res.sweep_results


class EigenSamplerV2(_EigenPrimitive, BaseSamplerV2):
    """``BaseSamplerV2`` on Eigen OS: one job per PUB, ``BitArray`` results per register.

    Args:
        target: target name or device id (``sim:local`` = Aer, automatic method).
        client: an :class:`EigenClient`; ``None`` = one configured as the CLI is.
        options: :class:`SamplerOptions` or a dict of its fields.
    """

    def __init__(
        self,
        target: str = "sim:local",
        *,
        client: EigenClient | None = None,
        options: SamplerOptions | dict[str, Any] | None = None,
    ) -> None:
        super().__init__(target, client)
        self.options: SamplerOptions = _options(SamplerOptions, options)

    def run(
        self, pubs: Iterable[SamplerPubLike], *, shots: int | None = None
    ) -> EigenPrimitiveJob[PrimitiveResult[SamplerPubResult]]:
        """Submit one job per PUB and return the job handle.

        Raises:
            ValueError: a malformed PUB (Qiskit's own checks).
            InvalidArgumentError: a circuit OpenQASM cannot express.
            EigenError: the server rejected a job (typed; nothing further is submitted).
        """
        default = self.options.default_shots if shots is None else shots
        coerced = [SamplerPub.coerce(pub, default) for pub in pubs]
        programs = [circuit_program(pub.circuit) for pub in coerced]
        seeds = aer_seeds(self.options.seed, [(p.shots, p.parameter_values.size) for p in coerced])
        ids = []
        for pub, program, seed in zip(coerced, programs, seeds, strict=True):
            req = self._request(program, pub.circuit, self.options, "sampler")
            req.shots = int(pub.shots)
            if seed is not None:
                req.seed = seed
            _bind(req, program, pub.parameter_values, always_sweep=False)
            ids.append(self.client.submit(req))

        def build(results: list[JobResult]) -> PrimitiveResult[SamplerPubResult]:
            return PrimitiveResult(
                [
                    _sampler_result(pub, program, res)
                    for pub, program, res in zip(coerced, programs, results, strict=True)
                ],
                metadata={"version": 2},
            )

        return EigenPrimitiveJob(self.client, ids, build, self.options.timeout)


def _sampler_result(pub: SamplerPub, program: CircuitProgram, res: JobResult) -> SamplerPubResult:
    shape = tuple(pub.parameter_values.shape)
    size = int(np.prod(shape, dtype=int))
    counts = [s.get_counts() for s in _sweep(res, size)] if shape else [res.get_counts()]
    meas: dict[str, BitArray] = {}
    if program.num_clbits:
        full = BitArray.from_counts(counts, num_bits=program.num_clbits)
        for name, positions in program.registers:
            bits = full.slice_bits(list(positions)) if positions else None
            if bits is None:
                continue
            meas[name] = BitArray(bits.array.reshape(*shape, *bits.array.shape[-2:]), bits.num_bits)
    return SamplerPubResult(
        DataBin(**meas, shape=shape),
        metadata={
            "shots": pub.shots,
            "circuit_metadata": pub.circuit.metadata,
            "job_id": res.job_id,
            "eigen": dict(res.metadata),
        },
    )


def observable_message(terms: dict[str, complex] | Any, num_qubits: int) -> circuit_pb2.Observable:
    """One element of an ``ObservablesArray`` as an ``eigen.common.v1.Observable``.

    Projector terms (``0``, ``1``, ``+``, ``-``, ``r``, ``l`` of a ``SparseObservable``) are
    expanded into Pauli terms; coefficients must be real (Qiskit checks hermiticity).

    Raises:
        InvalidArgumentError: a coefficient with an imaginary part.
    """
    if isinstance(terms, dict) and all(set(lbl) <= set("IXYZ") for lbl in terms):
        pairs = [(label, complex(c)) for label, c in terms.items()]
    else:
        sparse = SparseObservable(terms) if isinstance(terms, dict) else terms
        pairs = []
        for paulis, indices, coeff in sparse.as_paulis().to_sparse_list():
            chars = ["I"] * num_qubits
            for p, q in zip(paulis, indices, strict=True):
                chars[num_qubits - 1 - q] = p
            pairs.append(("".join(chars), complex(coeff)))
    out = circuit_pb2.Observable()
    for label, c in pairs:
        if abs(c.imag) > 1e-12:
            raise InvalidArgumentError(f"observable term {label} has a complex coefficient {c}")
        out.terms.append(circuit_pb2.PauliTerm(label=label, coefficient=c.real))
    return out


class EigenEstimatorV2(_EigenPrimitive, BaseEstimatorV2):
    """``BaseEstimatorV2`` on Eigen OS: one estimation job per PUB, ``evs``/``stds`` arrays.

    A PUB's distinct observables and its bindings go in one job (the observables are evaluated
    for every binding); the results are broadcast to the PUB's shape as Qiskit defines it.

    Args:
        target: target name or device id (``sim:local`` = Aer).
        client: an :class:`EigenClient`; ``None`` = one configured as the CLI is.
        options: :class:`EstimatorOptions` or a dict of its fields.
    """

    def __init__(
        self,
        target: str = "sim:local",
        *,
        client: EigenClient | None = None,
        options: EstimatorOptions | dict[str, Any] | None = None,
    ) -> None:
        super().__init__(target, client)
        self.options: EstimatorOptions = _options(EstimatorOptions, options)

    def run(
        self, pubs: Iterable[EstimatorPubLike], *, precision: float | None = None
    ) -> EigenPrimitiveJob[PrimitiveResult[PubResult]]:
        """Submit one estimation job per PUB and return the job handle.

        Raises:
            ValueError: a malformed PUB (Qiskit's own checks).
            InvalidArgumentError: a circuit OpenQASM cannot express, a complex coefficient.
            EigenError: the server rejected a job (typed).
        """
        default = self.options.default_precision if precision is None else precision
        coerced = [EstimatorPub.coerce(pub, default) for pub in pubs]
        plans = []
        ids = []
        for pub in coerced:
            program = circuit_program(pub.circuit)
            req = self._request(program, pub.circuit, self.options, "estimator")
            index, observables = _distinct_observables(pub)
            req.observables.extend(observables)
            if pub.precision:
                req.precision = float(pub.precision)
            if self.options.seed is not None:
                req.seed = self.options.seed
            _bind(req, program, pub.parameter_values, always_sweep=True)
            ids.append(self.client.submit(req))
            plans.append(index)

        def build(results: list[JobResult]) -> PrimitiveResult[PubResult]:
            return PrimitiveResult(
                [
                    _estimator_result(pub, index, res)
                    for pub, index, res in zip(coerced, plans, results, strict=True)
                ],
                metadata={"version": 2},
            )

        return EigenPrimitiveJob(self.client, ids, build, self.options.timeout)


def _distinct_observables(pub: EstimatorPub) -> tuple[np.ndarray, list[circuit_pb2.Observable]]:
    """The PUB's distinct observables, and per element of its observables array the index."""
    obs = pub.observables
    seen: dict[bytes, int] = {}
    messages: list[circuit_pb2.Observable] = []
    index = np.empty(obs.shape, dtype=int)
    for pos in np.ndindex(*obs.shape):
        msg = observable_message(obs[pos], pub.circuit.num_qubits)
        key = msg.SerializeToString(deterministic=True)
        if key not in seen:
            seen[key] = len(messages)
            messages.append(msg)
        index[pos] = seen[key]
    return index, messages


def _estimator_result(pub: EstimatorPub, obs_index: np.ndarray, res: JobResult) -> PubResult:
    values = pub.parameter_values
    per = _sweep(res, values.size)
    binding = np.broadcast_to(np.arange(values.size).reshape(values.shape), pub.shape)
    observable = np.broadcast_to(obs_index, pub.shape)
    evs = np.empty(pub.shape)
    stds = np.empty(pub.shape)
    for pos in np.ndindex(*pub.shape):
        sweep = per[int(binding[pos])]
        k = int(observable[pos])
        evs[pos] = sweep.expectation_values[k]
        stds[pos] = sweep.std_errors[k] if len(sweep.std_errors) > k else 0.0
    return PubResult(
        DataBin(evs=evs, stds=stds, shape=pub.shape),
        metadata={
            "target_precision": pub.precision,
            "circuit_metadata": pub.circuit.metadata,
            "job_id": res.job_id,
            "eigen": dict(res.metadata),
        },
    )


__all__ = [
    "AER_SEED_STRIDE",
    "EigenBackend",
    "EigenBackendJob",
    "EigenEstimatorV2",
    "EigenPrimitiveJob",
    "EigenSamplerV2",
    "EstimatorOptions",
    "SamplerOptions",
    "device_target",
    "observable_message",
]
