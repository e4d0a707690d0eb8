"""Request validation at the public edge (SPEC §3.3): all field violations reported at once.

Request-level problems are rejected synchronously; program-level problems (syntax, forbidden
constructs, observables wider than the circuit) are the compiler's and the kernel's, and end the
job in ERROR. Every validator here takes ``(request, limits)`` so the routing table can hold it.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from eigen.api.v1 import admin_pb2, device_pb2, job_pb2
from eigen.common.v1 import circuit_pb2
from eigen_common import errors
from eigen_system_api.keys import KEY_ID_RE, ROLES, SUBJECT_RE, TENANT_RE

NAME_RE = re.compile(r"^[a-zA-Z0-9._-]{1,128}$")
IDENT_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_.\[\]]{0,127}$")
JOB_ID_RE = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
#: Reservation and device ids the kernel hands out or knows.
RESOURCE_ID_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$")
#: An artifact's plain name (``results.json``, ``state.npy``): one path segment, no dot-files.
#: Or its full reference: ``qfs://`` + segments of the same alphabet (no ``.``/``..``).
QFS_SEGMENT_RE = re.compile(r"^[A-Za-z0-9_-][A-Za-z0-9._-]{0,127}$")
PAULI_RE = re.compile(r"^[IXYZ]+$")
MAX_MAP_ENTRIES = 64
MAX_KEY = 128
MAX_VALUE = 1024
MAX_DEPENDENCIES = 100
MAX_TIMEOUT_SECONDS = 7 * 24 * 3600
MAX_OBSERVABLES = 1024


@dataclass(frozen=True)
class Limits:
    """Size limits of the edge (from the settings, their one home)."""

    max_program_bytes: int = 1024 * 1024
    max_shots: int = 10_000_000
    max_sweep_rows: int = 10_000
    max_observable_terms: int = 100_000


Violations = list[errors.FieldViolation]


def _raise(v: Violations) -> None:
    if v:
        raise errors.ValidationError(v)


def _check_map(v: Violations, field: str, m: dict[str, str], max_value: int = MAX_VALUE) -> None:
    if len(m) > MAX_MAP_ENTRIES:
        v.append(errors.FieldViolation(field, f"at most {MAX_MAP_ENTRIES} entries"))
    for k, val in m.items():
        if not k or len(k) > MAX_KEY:
            v.append(
                errors.FieldViolation(f"{field}[{k[:32]!r}]", f"key must be 1..{MAX_KEY} chars")
            )
        if len(val) > max_value:
            v.append(
                errors.FieldViolation(f"{field}[{k[:32]!r}]", f"value longer than {max_value}")
            )


def _source_bytes(source: str) -> int:
    return len(source.encode("utf-8", "surrogatepass"))


def check_sweep(v: Violations, sweep: circuit_pb2.ParameterSweep, max_rows: int) -> None:
    """Parameter names unique identifiers; rows of the right length, finite; shape consistent."""
    names = list(sweep.parameters)
    if not names:
        v.append(errors.FieldViolation("sweep.parameters", "at least one parameter"))
    for i, n in enumerate(names):
        if not IDENT_RE.fullmatch(n):
            v.append(errors.FieldViolation(f"sweep.parameters[{i}]", "is not an identifier"))
    dups = sorted({n for n in names if names.count(n) > 1})
    if dups:
        v.append(errors.FieldViolation("sweep.parameters", f"duplicate names {dups[:10]}"))
    rows = sweep.bindings
    if not rows:
        v.append(errors.FieldViolation("sweep.bindings", "at least one row"))
    if len(rows) > max_rows:
        v.append(errors.FieldViolation("sweep.bindings", f"at most {max_rows} rows"))
        return  # do not walk a hostile table
    bad_len = [i for i, r in enumerate(rows) if len(r.values) != len(names)]
    if bad_len:
        v.append(
            errors.FieldViolation(
                f"sweep.bindings[{bad_len[0]}]",
                f"{len(bad_len)} row(s) do not have {len(names)} values (one per parameter)",
            )
        )
    bad_val = [i for i, r in enumerate(rows) if not all(math.isfinite(x) for x in r.values)]
    if bad_val:
        v.append(
            errors.FieldViolation(
                f"sweep.bindings[{bad_val[0]}]", f"{len(bad_val)} row(s) hold non-finite values"
            )
        )
    if sweep.shape:
        if any(d < 1 for d in sweep.shape):
            v.append(errors.FieldViolation("sweep.shape", "dimensions must be ≥ 1"))
        elif math.prod(sweep.shape) != len(rows):
            v.append(
                errors.FieldViolation(
                    "sweep.shape", f"product {math.prod(sweep.shape)} ≠ {len(rows)} rows"
                )
            )


def check_observables(
    v: Violations, observables: Sequence[circuit_pb2.Observable], max_terms: int
) -> None:
    """Labels over IXYZ, all of one width; finite coefficients; bounded term count."""
    if len(observables) > MAX_OBSERVABLES:
        v.append(errors.FieldViolation("observables", f"at most {MAX_OBSERVABLES}"))
        return
    total = sum(len(o.terms) for o in observables)
    if total > max_terms:
        v.append(errors.FieldViolation("observables", f"at most {max_terms} terms in all"))
        return
    widths: set[int] = set()
    for i, o in enumerate(observables):
        if not o.terms:
            v.append(errors.FieldViolation(f"observables[{i}].terms", "at least one term"))
        for j, t in enumerate(o.terms):
            if not PAULI_RE.fullmatch(t.label):
                v.append(
                    errors.FieldViolation(
                        f"observables[{i}].terms[{j}].label", "must be a non-empty IXYZ string"
                    )
                )
            else:
                widths.add(len(t.label))
            if not math.isfinite(t.coefficient):
                v.append(
                    errors.FieldViolation(
                        f"observables[{i}].terms[{j}].coefficient", "must be finite"
                    )
                )
    if len(widths) > 1:
        v.append(
            errors.FieldViolation(
                "observables", f"labels must all have one width; got {sorted(widths)[:10]}"
            )
        )


def _check_program(v: Violations, req: job_pb2.SubmitJobRequest, which: str | None) -> None:
    if which is None:
        v.append(errors.FieldViolation("program", "is required (eigen_lang, qasm or aqo_ref)"))
        return
    if which == "aqo_ref":
        # Accepting it would end every such job in ERROR: say so synchronously instead.
        raise errors.UnimplementedError(
            "program.aqo_ref is not supported yet; submit eigen_lang or qasm source",
            metadata={"field": "program.aqo_ref"},
        )
    source = req.eigen_lang.source if which == "eigen_lang" else req.qasm.source
    if not source.strip():
        v.append(errors.FieldViolation(f"program.{which}.source", "is empty"))
    if "\x00" in source:
        v.append(errors.FieldViolation(f"program.{which}.source", "contains NUL bytes"))
    if which == "eigen_lang":
        if req.eigen_lang.entrypoint and not IDENT_RE.fullmatch(req.eigen_lang.entrypoint):
            v.append(errors.FieldViolation("program.eigen_lang.entrypoint", "is not an identifier"))
    elif req.qasm.version not in ("", "2", "3"):
        v.append(errors.FieldViolation("program.qasm.version", 'must be "2" or "3"'))


def _check_numbers(v: Violations, req: job_pb2.SubmitJobRequest, max_shots: int) -> None:
    if req.HasField("priority") and not 0 <= req.priority <= 100:
        v.append(errors.FieldViolation("priority", "must be in 0..100"))
    if req.HasField("shots") and not 1 <= req.shots <= max_shots:
        v.append(errors.FieldViolation("shots", f"must be in 1..{max_shots}"))
    if req.HasField("seed") and req.seed < 0:
        v.append(errors.FieldViolation("seed", "must be ≥ 0"))
    if req.HasField("timeout_seconds") and not (
        math.isfinite(req.timeout_seconds) and 0 < req.timeout_seconds <= MAX_TIMEOUT_SECONDS
    ):
        v.append(errors.FieldViolation("timeout_seconds", f"must be in (0, {MAX_TIMEOUT_SECONDS}]"))
    if req.HasField("precision") and not (math.isfinite(req.precision) and req.precision > 0):
        v.append(errors.FieldViolation("precision", "must be a finite number > 0"))
    if req.save_state not in job_pb2.SavedState.values():
        v.append(errors.FieldViolation("save_state", "is not a SavedState value"))


def validate_submit(req: job_pb2.SubmitJobRequest, limits: Limits) -> None:
    """Validate a SubmitJobRequest.

    Raises:
        PayloadTooLargeError: the program exceeds ``max_program_bytes`` (RESOURCE_EXHAUSTED).
        UnimplementedError: ``program.aqo_ref`` (not supported yet).
        ValidationError: with every field violation found (INVALID_ARGUMENT, BadRequest).
    """
    which = req.WhichOneof("program")
    if which in ("eigen_lang", "qasm"):
        size = _source_bytes(getattr(req, which).source)
        if size > limits.max_program_bytes:
            raise errors.PayloadTooLargeError(
                f"program is {size} bytes; the limit is {limits.max_program_bytes} bytes",
                metadata={"size": str(size), "limit": str(limits.max_program_bytes)},
            )
    v: Violations = []
    if not req.name:
        v.append(errors.FieldViolation("name", "is required"))
    elif not NAME_RE.fullmatch(req.name):
        v.append(errors.FieldViolation("name", "must match ^[a-zA-Z0-9._-]{1,128}$"))
    _check_program(v, req, which)
    if not req.target:
        v.append(errors.FieldViolation("target", "is required"))
    elif len(req.target) > 128:
        v.append(errors.FieldViolation("target", "longer than 128 characters"))
    _check_numbers(v, req, limits.max_shots)
    _check_map(v, "compiler_options", dict(req.compiler_options))
    _check_map(v, "metadata", dict(req.metadata))
    if len(req.inputs) > 1024:
        v.append(errors.FieldViolation("inputs", "at most 1024 entries"))
    for k, val in req.inputs.items():
        if not IDENT_RE.fullmatch(k):
            v.append(errors.FieldViolation(f"inputs[{k[:32]!r}]", "name is not an identifier"))
        if not math.isfinite(val):
            v.append(errors.FieldViolation(f"inputs[{k[:32]!r}]", "must be a finite number"))
    if len(req.dependencies) > MAX_DEPENDENCIES:
        v.append(errors.FieldViolation("dependencies", f"at most {MAX_DEPENDENCIES}"))
    for i, dep in enumerate(req.dependencies[:MAX_DEPENDENCIES]):
        if not JOB_ID_RE.fullmatch(dep):
            v.append(errors.FieldViolation(f"dependencies[{i}]", "is not a job id"))
    if len(req.idempotency_key) > 128:
        v.append(errors.FieldViolation("idempotency_key", "longer than 128 characters"))
    if req.reservation_id and not RESOURCE_ID_RE.fullmatch(req.reservation_id):
        v.append(errors.FieldViolation("reservation_id", "is not a reservation id"))
    if req.HasField("sweep"):
        check_sweep(v, req.sweep, limits.max_sweep_rows)
    if req.observables:
        check_observables(v, req.observables, limits.max_observable_terms)
    _raise(v)


def submitted_shots(req: job_pb2.SubmitJobRequest) -> int:
    """Shots a (validated) submission asks for: ``shots`` (default 1024) × sweep rows."""
    shots = req.shots if req.HasField("shots") else 1024
    return shots * max(1, len(req.sweep.bindings))


def validate_job_id(job_id: str, field: str = "job_id") -> None:
    """Raises ValidationError unless ``job_id`` looks like a job id."""
    if not JOB_ID_RE.fullmatch(job_id):
        raise errors.ValidationError([errors.FieldViolation(field, "is not a valid job id")])


# --- one validator per public RPC (the routing table's column) --------------------------------


def no_fields(req: Any, limits: Limits) -> None:
    """Requests without fields to check."""


def job_id_only(req: Any, limits: Limits) -> None:
    """Requests whose one field is ``job_id``."""
    validate_job_id(req.job_id)


def cancel_job(req: job_pb2.CancelJobRequest, limits: Limits) -> None:
    """CancelJob: a job id and a short reason."""
    v: Violations = []
    if not JOB_ID_RE.fullmatch(req.job_id):
        v.append(errors.FieldViolation("job_id", "is not a valid job id"))
    if len(req.reason) > 1024:
        v.append(errors.FieldViolation("reason", "longer than 1024"))
    _raise(v)


def list_jobs(req: job_pb2.ListJobsRequest, limits: Limits) -> None:
    """ListJobs: page size, known states, bounded token."""
    v: Violations = []
    if not 0 <= req.page_size <= 1000:
        v.append(errors.FieldViolation("page_size", "must be in 0..1000"))
    if any(s not in job_pb2.JobStatus.values() or s == 0 for s in req.states):
        v.append(errors.FieldViolation("states", "contains an unknown status"))
    if len(req.page_token) > 512:
        v.append(errors.FieldViolation("page_token", "too long"))
    _raise(v)


def stream_updates(req: job_pb2.StreamJobUpdatesRequest, limits: Limits) -> None:
    """StreamJobUpdates: job id and a resume point below 2^63."""
    v: Violations = []
    if not JOB_ID_RE.fullmatch(req.job_id):
        v.append(errors.FieldViolation("job_id", "is not a valid job id"))
    if req.last_event_seq >= 2**63:
        v.append(errors.FieldViolation("last_event_seq", "must be below 2^63"))
    _raise(v)


def artifact_name_ok(name: str) -> bool:
    """A plain artifact name or a ``qfs://`` reference, without path traversal.

    Plain names may be nested (``results.json``, ``input/job.yaml``); every ``/``-separated
    part is a safe segment and none contains ``..``.
    """
    path = name[len("qfs://") :] if name.startswith("qfs://") else name
    segs = path.split("/")
    return 0 < len(name) <= 512 and all(QFS_SEGMENT_RE.fullmatch(s) and ".." not in s for s in segs)


def get_artifact(req: job_pb2.GetJobArtifactRequest, limits: Limits) -> None:
    """GetJobArtifact: job id and an artifact name that cannot leave the job's directory."""
    v: Violations = []
    if not JOB_ID_RE.fullmatch(req.job_id):
        v.append(errors.FieldViolation("job_id", "is not a valid job id"))
    if not artifact_name_ok(req.name):
        v.append(
            errors.FieldViolation(
                "name", "must be an artifact name like results.json or its qfs:// reference"
            )
        )
    _raise(v)


def device_id(req: Any, limits: Limits) -> None:
    """Requests naming one device (id or target name)."""
    if not req.device_id or len(req.device_id) > 128:
        raise errors.ValidationError([errors.FieldViolation("device_id", "must be 1..128 chars")])


def reserve_device(req: device_pb2.ReserveDeviceRequest, limits: Limits) -> None:
    """ReserveDevice: device, TTL in 1..86400 s, short purpose."""
    v: Violations = []
    if not req.device_id or len(req.device_id) > 128:
        v.append(errors.FieldViolation("device_id", "must be 1..128 chars"))
    if not 1 <= req.ttl_seconds <= 86400:
        v.append(errors.FieldViolation("ttl_seconds", "must be in 1..86400"))
    if len(req.purpose) > 1024:
        v.append(errors.FieldViolation("purpose", "longer than 1024"))
    _raise(v)


def reservation_id(req: device_pb2.CancelReservationRequest, limits: Limits) -> None:
    """CancelReservation: a reservation id."""
    if not RESOURCE_ID_RE.fullmatch(req.reservation_id):
        raise errors.ValidationError(
            [errors.FieldViolation("reservation_id", "is not a reservation id")]
        )


def program_source(req: Any, limits: Limits) -> None:
    """Compile/ValidateCircuit: a source within the size limit."""
    which = req.WhichOneof("source")
    if which is None:
        raise errors.ValidationError([errors.FieldViolation("source", "is required")])
    size = _source_bytes(getattr(req, which).source)
    if size > limits.max_program_bytes:
        raise errors.PayloadTooLargeError(
            f"program is {size} bytes; the limit is {limits.max_program_bytes}",
            metadata={"size": str(size), "limit": str(limits.max_program_bytes)},
        )


def aqo_payload(req: Any, limits: Limits) -> None:
    """OptimizeCircuit: AQO JSON within four times the program limit."""
    if len(req.aqo_json) > limits.max_program_bytes * 4:
        raise errors.PayloadTooLargeError("AQO payload too large")


def create_api_key(req: admin_pb2.CreateApiKeyRequest, limits: Limits) -> None:
    """CreateApiKey: tenant, known roles, label, lifetime, subject."""
    v: Violations = []
    if not TENANT_RE.fullmatch(req.tenant):
        v.append(errors.FieldViolation("tenant", "must match ^[a-zA-Z0-9._-]{1,64}$"))
    if not req.roles:
        v.append(errors.FieldViolation("roles", f"at least one of {', '.join(ROLES)}"))
    for i, r in enumerate(req.roles):
        if r not in ROLES:
            v.append(errors.FieldViolation(f"roles[{i}]", f"must be one of {', '.join(ROLES)}"))
    if len(req.name) > 128 or (req.name and not SUBJECT_RE.fullmatch(req.name)):
        v.append(errors.FieldViolation("name", "must be 0..128 printable ASCII characters"))
    if not 0 <= req.expires_days <= 3650:
        v.append(errors.FieldViolation("expires_days", "must be in 0..3650 (0 = never)"))
    if req.subject and not SUBJECT_RE.fullmatch(req.subject):
        v.append(errors.FieldViolation("subject", "must be 1..256 printable ASCII characters"))
    _raise(v)


def list_api_keys(req: admin_pb2.ListApiKeysRequest, limits: Limits) -> None:
    """ListApiKeys: an optional tenant."""
    if req.tenant and not TENANT_RE.fullmatch(req.tenant):
        raise errors.ValidationError(
            [errors.FieldViolation("tenant", "must match ^[a-zA-Z0-9._-]{1,64}$")]
        )


def revoke_api_key(req: admin_pb2.RevokeApiKeyRequest, limits: Limits) -> None:
    """RevokeApiKey: a key id (12 hex digits)."""
    if not KEY_ID_RE.fullmatch(req.key_id):
        raise errors.ValidationError(
            [errors.FieldViolation("key_id", "must be a key id (12 hex digits)")]
        )


def collect_garbage(req: admin_pb2.CollectGarbageRequest, limits: Limits) -> None:
    """CollectGarbage: a finite, non-negative age."""
    if not (math.isfinite(req.older_than_seconds) and req.older_than_seconds >= 0):
        raise errors.ValidationError(
            [errors.FieldViolation("older_than_seconds", "must be a finite number ≥ 0")]
        )
