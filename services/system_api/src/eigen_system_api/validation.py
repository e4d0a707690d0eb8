"""Request validation at the public edge (SPEC §3.3): all field violations reported at once.

Request-level problems are rejected synchronously; program-level problems (syntax, forbidden
constructs) are the compiler's and end the job in ERROR with COMPILATION_FAILED.
"""

from __future__ import annotations

import math
import re

from eigen.api.v1 import job_pb2
from eigen_common import errors

NAME_RE = re.compile(r"^[a-zA-Z0-9._-]{1,128}$")
IDENT_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_.\[\]]{0,127}$")
JOB_ID_RE = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
MAX_MAP_ENTRIES = 64
MAX_KEY = 128
MAX_VALUE = 1024
MAX_DEPENDENCIES = 100
MAX_TIMEOUT_SECONDS = 7 * 24 * 3600


def _check_map(
    v: list[errors.FieldViolation], field: str, m: dict[str, str], max_value: int = MAX_VALUE
) -> None:
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


def validate_submit(req: job_pb2.SubmitJobRequest, max_program_bytes: int, max_shots: int) -> None:
    """Validate a SubmitJobRequest.

    Raises:
        PayloadTooLargeError: the program exceeds ``max_program_bytes`` (RESOURCE_EXHAUSTED).
        ValidationError: with every field violation found (INVALID_ARGUMENT, BadRequest).
    """
    which = req.WhichOneof("program")
    source = ""
    if which == "eigen_lang":
        source = req.eigen_lang.source
    elif which == "qasm":
        source = req.qasm.source
    size = len(source.encode("utf-8", "surrogatepass"))
    if size > max_program_bytes:
        raise errors.PayloadTooLargeError(
            f"program is {size} bytes; the limit is {max_program_bytes} bytes",
            metadata={"size": str(size), "limit": str(max_program_bytes)},
        )
    v: list[errors.FieldViolation] = []
    if not req.name:
        v.append(errors.FieldViolation("name", "is required"))
    elif not NAME_RE.fullmatch(req.name):
        v.append(errors.FieldViolation("name", "must match ^[a-zA-Z0-9._-]{1,128}$"))
    if which is None:
        v.append(errors.FieldViolation("program", "is required (eigen_lang, qasm or aqo_ref)"))
    elif which == "eigen_lang":
        if not source.strip():
            v.append(errors.FieldViolation("program.eigen_lang.source", "is empty"))
        if req.eigen_lang.entrypoint and not IDENT_RE.fullmatch(req.eigen_lang.entrypoint):
            v.append(errors.FieldViolation("program.eigen_lang.entrypoint", "is not an identifier"))
    elif which == "qasm":
        if not source.strip():
            v.append(errors.FieldViolation("program.qasm.source", "is empty"))
        if req.qasm.version not in ("", "2", "3"):
            v.append(errors.FieldViolation("program.qasm.version", 'must be "2" or "3"'))
    elif which == "aqo_ref":
        # Accepting it would end every such job in ERROR: say so synchronously instead.
        raise errors.UnimplementedError(
            "program.aqo_ref is not supported yet; submit eigen_lang or qasm source",
            metadata={"field": "program.aqo_ref"},
        )
    if "\x00" in source:
        v.append(errors.FieldViolation(f"program.{which}.source", "contains NUL bytes"))
    if not req.target:
        v.append(errors.FieldViolation("target", "is required"))
    elif len(req.target) > 128:
        v.append(errors.FieldViolation("target", "longer than 128 characters"))
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
    for i, dep in enumerate(req.dependencies):
        if not JOB_ID_RE.fullmatch(dep):
            v.append(errors.FieldViolation(f"dependencies[{i}]", "is not a job id"))
    if len(req.idempotency_key) > 128:
        v.append(errors.FieldViolation("idempotency_key", "longer than 128 characters"))
    if len(req.reservation_id) > 128:
        v.append(errors.FieldViolation("reservation_id", "longer than 128 characters"))
    if v:
        raise errors.ValidationError(v)


def validate_job_id(job_id: str, field: str = "job_id") -> None:
    """Raises ValidationError unless ``job_id`` looks like a job id."""
    if not JOB_ID_RE.fullmatch(job_id):
        raise errors.ValidationError([errors.FieldViolation(field, "is not a valid job id")])
