"""What :meth:`EigenClient.submit` accepts, turned into one ``SubmitJobRequest``.

A job can be given as

- a ``qiskit.QuantumCircuit`` (exported by :mod:`eigen_os.circuits`; free parameters are bound
  by ``inputs``, keyed by ``Parameter`` or its name),
- OpenQASM 2 or 3 text (the ``OPENQASM`` header decides the version),
- a :class:`~eigen_os.jobspec.JobSpec` or :class:`~eigen_os.jobspec.ParsedJob` (a job.yaml),
- a ready ``eigen.api.v1.SubmitJobRequest``.

Keyword overrides (``target``, ``name``, ``shots``, ``seed``, ``inputs``) win over what the job
says, as CLI flags win over a job.yaml. Circuits and OpenQASM text run on
:data:`DEFAULT_TARGET` unless a target is given; their job name is the circuit's name
(``qasm`` for text).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from eigen.api.v1 import job_pb2
from eigen_common.errors import InvalidArgumentError
from eigen_os.jobspec import JobSpec, ParsedJob, make_spec, qasm_header_version

#: Target of circuits and OpenQASM text submitted without one (the local Aer simulator).
DEFAULT_TARGET = "sim:local"


def _overrides(
    name: str | None, target: str | None, shots: int | None, seed: int | None
) -> dict[str, Any]:
    given = {"name": name, "target": target, "shots": shots, "seed": seed}
    return {k: v for k, v in given.items() if v is not None}


def _from_request(
    job: job_pb2.SubmitJobRequest, over: dict[str, Any], inputs: Mapping[str, float] | None
) -> job_pb2.SubmitJobRequest:
    req = job_pb2.SubmitJobRequest()
    req.CopyFrom(job)
    for key, value in over.items():
        setattr(req, key, value)
    if inputs:
        req.inputs.update({str(k): float(v) for k, v in inputs.items()})
    return req


def _from_spec(spec: JobSpec, over: dict[str, Any], inputs: Mapping[str, float] | None) -> JobSpec:
    if not over and not inputs:
        return spec
    fields = spec.model_dump()
    fields.update(over)
    if inputs:
        fields["inputs"] = {**spec.inputs, **{str(k): float(v) for k, v in inputs.items()}}
    return make_spec(spec.program_path or "job", **fields)


def submit_request(
    job: Any,
    *,
    target: str | None = None,
    name: str | None = None,
    shots: int | None = None,
    seed: int | None = None,
    inputs: Mapping[Any, float] | None = None,
    idempotency_key: str = "",
    reservation_id: str = "",
) -> job_pb2.SubmitJobRequest:
    """Build the ``SubmitJobRequest`` for ``job`` (see the module docstring).

    Raises:
        JobSpecError: an override or the program makes an invalid job (every field listed).
        InvalidArgumentError: text that is not OpenQASM, a circuit OpenQASM cannot express, an
            input that is not a parameter of the circuit.
        TypeError: ``job`` is none of the accepted kinds.
    """
    over = _overrides(name, target, shots, seed)
    if isinstance(job, ParsedJob):
        job = job.spec
    if isinstance(job, job_pb2.SubmitJobRequest):
        req = _from_request(job, over, inputs)
    elif isinstance(job, JobSpec):
        req = _from_spec(job, over, inputs).to_submit_request()
    elif isinstance(job, str):
        version = qasm_header_version(job)
        if version not in ("2", "3"):
            raise InvalidArgumentError(
                "program text must be OpenQASM 2 or 3 (starting with an `OPENQASM` header); "
                "submit Eigen-Lang as a JobSpec",
                reason="UNSUPPORTED_FORMAT",
            )
        fields = {"name": "qasm", "target": DEFAULT_TARGET, **over}
        spec = make_spec(
            "OpenQASM text",
            program=job,
            language=f"qasm{version}",
            inputs={str(k): float(v) for k, v in (inputs or {}).items()},
            **fields,
        )
        req = spec.to_submit_request()
    else:
        req = _circuit_request(job, over, inputs)
    if idempotency_key:
        req.idempotency_key = idempotency_key
    if reservation_id:
        req.reservation_id = reservation_id
    return req


def _circuit_request(
    job: Any, over: dict[str, Any], inputs: Mapping[Any, float] | None
) -> job_pb2.SubmitJobRequest:
    from eigen_os import circuits  # imports Qiskit, which the CLI rarely needs

    if not circuits.is_circuit(job):
        raise TypeError(
            f"cannot submit a {type(job).__name__}: give a qiskit.QuantumCircuit, OpenQASM "
            "text, a JobSpec, a ParsedJob or a SubmitJobRequest"
        )
    program = circuits.circuit_program(job)
    fields = {"name": circuits.job_name(job), "target": DEFAULT_TARGET, **over}
    spec = make_spec(
        "circuit",
        program=program.source,
        language=program.language,
        inputs=program.input_names(inputs or {}),
        **fields,
    )
    return spec.to_submit_request()


__all__ = ["DEFAULT_TARGET", "submit_request"]
