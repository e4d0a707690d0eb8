"""The typed artifact store (QFS level 3, SPEC §7): one method per artifact, one owner per fact.

A job's artifacts keep the names and ``qfs://jobs/<job_id>/<name>`` references of SPEC §7;
where each lives is this module's business:

====================== ==================================================================
``input/job.yaml``     the accepted submission (JSON, a subset of YAML) — from the job row
``input/program.<ext>`` the program source — from the job row
``compiled.aqo.json``  canonical AQO — blob ``aqo/<sha256>.json``, one per distinct program
``hybrid_plan.json``   hybrid plan — blob ``plans/<sha256>.json``
``results.json``       counts, metadata, hybrid outcome, sweep — the store's outcome row,
                       written with the terminal event (one transaction)
``error.json``         error code, summary, diagnostics — the store, with the terminal event
``events.jsonl``       the job's events — the store's event rows
``history.json``       a hybrid loop's full convergence history — blob ``jobs/<id>/…``
``state.npy``          a simulator's final state (QFS level 2) — blob ``jobs/<id>/…``
====================== ==================================================================

Jobs finished by the first kernel kept ``results.json``/``error.json`` as files under
``jobs/<id>/``; they are still read from there when the store has no outcome row.
"""

from __future__ import annotations

import hashlib
import json
from collections import OrderedDict
from collections.abc import Iterator
from dataclasses import dataclass

from eigen_common import errors
from eigen_kernel.domain import (
    CompiledProgram,
    ErrorRecord,
    Job,
    JobOutcome,
    JobResults,
)
from eigen_kernel.ports import BlobStore, CompiledRef, JobStore

_EXT = {"eigen-lang": "eigen.py", "qasm": "qasm", "aqo-ref": "ref"}
CHUNK_BYTES = 1024 * 1024

#: Blob artifacts a job may have beyond the always-present ones, with their media types.
BLOB_ARTIFACTS = {"history.json": "application/json", "state.npy": "application/octet-stream"}


@dataclass(frozen=True)
class ArtifactInfo:
    """One artifact of a job: name, ``qfs://`` reference, size in bytes, media type."""

    name: str
    ref: str
    size_bytes: int
    content_type: str


@dataclass(frozen=True)
class ArtifactBody:
    """An artifact's bytes in chunks of at most 1 MiB."""

    info: ArtifactInfo
    chunks: Iterator[bytes]


def ref(job_id: str, name: str) -> str:
    """The ``qfs://`` reference of a job's artifact."""
    return f"qfs://jobs/{job_id}/{name}"


def _canonical(obj: object) -> bytes:
    return json.dumps(obj, sort_keys=True, allow_nan=False).encode()


class Artifacts:
    """Reads and writes a job's artifacts over the job store and a blob store."""

    def __init__(self, store: JobStore, blobs: BlobStore, cache_bytes: int = 64 * 1024 * 1024):
        self._store = store
        self._blobs = blobs
        # compiled programs by content hash: every job of a cached program reads the same bytes
        self._aqo: OrderedDict[str, bytes] = OrderedDict()
        self._aqo_bytes = 0
        self._cache_bytes = cache_bytes

    def _aqo_blob(self, sha: str) -> bytes | None:
        data = self._aqo.get(sha)
        if data is not None:
            self._aqo.move_to_end(sha)
            return data
        data = self._blobs.get(f"aqo/{sha}.json")
        if data is not None:
            self._remember(sha, data)
        return data

    def _remember(self, sha: str, data: bytes) -> None:
        if len(data) > self._cache_bytes // 4 or sha in self._aqo:
            return
        self._aqo[sha] = data
        self._aqo_bytes += len(data)
        while self._aqo_bytes > self._cache_bytes:
            _, old = self._aqo.popitem(last=False)
            self._aqo_bytes -= len(old)

    # --- compiled programs (content-addressed) --------------------------------------------

    def put_compiled(self, program: CompiledProgram) -> CompiledRef:
        """Store the AQO (and plan) blobs once per content; returns the job's reference.

        Raises:
            OSError: the blob store cannot be written (disk full, read-only).
        """
        # Written unless this kernel wrote or read it lately: a put is idempotent, and another
        # kernel's retention may have removed a blob that an existence check had just seen.
        if program.aqo_sha256 not in self._aqo:
            self._blobs.put(f"aqo/{program.aqo_sha256}.json", program.aqo_json)
            self._remember(program.aqo_sha256, program.aqo_json)
        plan_sha = ""
        if program.hybrid_plan_json:
            plan_sha = hashlib.sha256(program.hybrid_plan_json).hexdigest()
            self._blobs.put(f"plans/{plan_sha}.json", program.hybrid_plan_json)
        return CompiledRef(program.aqo_sha256, plan_sha, program.metrics, program.parameters)

    def load_compiled(self, ref: CompiledRef) -> CompiledProgram | None:
        """The program a stored reference names, or None when its blobs are gone."""
        aqo = self._aqo_blob(ref.aqo_sha256)
        plan = self._blobs.get(f"plans/{ref.plan_sha256}.json") if ref.plan_sha256 else b""
        if aqo is None or plan is None:
            return None
        return CompiledProgram(aqo, ref.aqo_sha256, dict(ref.metrics), plan, ref.parameters)

    def compiled(self, job_id: str) -> CompiledProgram:
        """The job's compiled program.

        Raises:
            InternalError: the job was not compiled or its blob is gone (reason
                ``ARTIFACT_MISSING``).
        """
        cref = self._store.compiled(job_id)
        aqo = None if cref is None else self._aqo_blob(cref.aqo_sha256)
        if cref is None or aqo is None:
            raise errors.InternalError(
                "compiled artifact missing", reason="ARTIFACT_MISSING", metadata={"job_id": job_id}
            )
        plan = b""
        if cref.plan_sha256:
            plan = self._blobs.get(f"plans/{cref.plan_sha256}.json") or b""
            if not plan:
                raise errors.InternalError(
                    "hybrid plan missing", reason="ARTIFACT_MISSING", metadata={"job_id": job_id}
                )
        return CompiledProgram(aqo, cref.aqo_sha256, dict(cref.metrics), plan, cref.parameters)

    # --- per-job blobs ----------------------------------------------------------------------

    def put_history(self, job_id: str, history: dict[str, object]) -> str:
        """Store a hybrid loop's history (``history.json``); returns its reference."""
        self._blobs.put(f"jobs/{job_id}/history.json", _canonical(history))
        return ref(job_id, "history.json")

    def put_state(self, job_id: str, npy: bytes) -> str:
        """Store a final simulator state (``state.npy``, QFS level 2); returns its reference."""
        self._blobs.put(f"jobs/{job_id}/state.npy", npy)
        return ref(job_id, "state.npy")

    # --- results ------------------------------------------------------------------------------

    def results(self, job: Job) -> JobResults:
        """Outcome and error record of a terminal job (legacy files read as a fallback)."""
        outcome, error = self._store.outcome(job.job_id)
        if outcome is None and error is None:
            outcome, error = self._legacy(job.job_id)
        return JobResults(job, outcome or JobOutcome(), error)

    def _legacy(self, job_id: str) -> tuple[JobOutcome | None, ErrorRecord | None]:
        res = self._blobs.get(f"jobs/{job_id}/results.json")
        err = self._blobs.get(f"jobs/{job_id}/error.json")
        outcome = error = None
        if res is not None:
            d = json.loads(res)
            outcome = JobOutcome(
                d.get("counts", {}),
                d.get("metadata", {}),
                d.get("optimization", {}),
                d.get("outputs", {}),
            )
        if err is not None:
            d = json.loads(err)
            error = ErrorRecord(
                d.get("error_code", ""), d.get("summary", ""), tuple(d.get("diagnostics", ()))
            )
        return outcome, error

    # --- the artifact view (GetJobArtifact) -------------------------------------------------

    def _render(self, job: Job, name: str) -> bytes | None:
        """Bytes of a store-backed artifact, or None when the job has no such artifact."""
        jid = job.job_id
        if name == "input/job.yaml":
            spec = {k: v for k, v in job.submission.to_json().items() if k != "source"}
            return (
                "# accepted submission (JSON, a subset of YAML)\n"
                + json.dumps(spec, indent=2, sort_keys=True, ensure_ascii=False)
            ).encode()
        if name == f"input/program.{_EXT.get(job.submission.language, 'txt')}":
            return self._store.source(jid).encode()
        if name == "events.jsonl":
            lines = [
                json.dumps(
                    {
                        "event_seq": e.seq,
                        "state": e.state.value,
                        "progress": e.progress,
                        "message": e.message,
                        "timestamp": e.timestamp,
                        "terminal": e.terminal,
                        "iteration": e.iteration,
                        "value": e.value,
                    }
                )
                for e in self._store.events_after(jid, 0, 100_000)
            ]
            return ("\n".join(lines) + "\n").encode()
        if name in ("results.json", "error.json"):
            res = self.results(job)
            if name == "error.json":
                if res.error is None:
                    return None
                e = res.error
                return _canonical(
                    {"error_code": e.error_code, "summary": e.summary,
                     "diagnostics": list(e.diagnostics)}
                )  # fmt: skip
            if res.outcome == JobOutcome() and res.error is not None:
                return None
            o = res.outcome
            return _canonical(
                {
                    "counts": o.counts,
                    "metadata": o.metadata,
                    "optimization": o.optimization,
                    "outputs": o.outputs,
                    "sweep": [p.__dict__ for p in o.sweep],
                }
            )
        if name in ("compiled.aqo.json", "hybrid_plan.json"):
            cref = self._store.compiled(jid)
            if cref is None:
                return None
            if name == "compiled.aqo.json":
                return self._blobs.get(f"aqo/{cref.aqo_sha256}.json")
            return self._blobs.get(f"plans/{cref.plan_sha256}.json") if cref.plan_sha256 else None
        return None

    def list(self, job: Job) -> list[ArtifactInfo]:
        """The artifacts this job has now (names a client can pass to :meth:`read`)."""
        names = [
            "input/job.yaml",
            f"input/program.{_EXT.get(job.submission.language, 'txt')}",
            "events.jsonl",
            "compiled.aqo.json",
            "hybrid_plan.json",
            "results.json",
            "error.json",
        ]
        out = []
        for name in names:
            if name == "events.jsonl":  # always there; rendering it only to size it is costly
                out.append(ArtifactInfo(name, ref(job.job_id, name), 0, _media(name)))
                continue
            data = self._render(job, name)
            if data is not None:
                out.append(ArtifactInfo(name, ref(job.job_id, name), len(data), _media(name)))
        for name, media in BLOB_ARTIFACTS.items():
            size = self._blobs.size(f"jobs/{job.job_id}/{name}")
            if size is not None:
                out.append(ArtifactInfo(name, ref(job.job_id, name), size, media))
        return out

    def read(self, job: Job, name: str) -> ArtifactBody:
        """One artifact of ``job`` by name or full ``qfs://`` reference, in chunks.

        Raises:
            NotFoundError: the job has no such artifact (reason ``ARTIFACT_NOT_FOUND``).
        """
        prefix = f"qfs://jobs/{job.job_id}/"
        if name.startswith("qfs://"):
            if not name.startswith(prefix):
                raise _not_found(job.job_id, name)
            name = name[len(prefix) :]
        if name in BLOB_ARTIFACTS:
            key = f"jobs/{job.job_id}/{name}"
            size = self._blobs.size(key)
            chunks = self._blobs.open(key, CHUNK_BYTES)
            if size is None or chunks is None:
                raise _not_found(job.job_id, name)
            return ArtifactBody(
                ArtifactInfo(name, ref(job.job_id, name), size, BLOB_ARTIFACTS[name]), chunks
            )
        data = self._render(job, name)
        if data is None:
            raise _not_found(job.job_id, name)
        info = ArtifactInfo(name, ref(job.job_id, name), len(data), _media(name))
        return ArtifactBody(
            info,
            iter([data[i : i + CHUNK_BYTES] for i in range(0, max(len(data), 1), CHUNK_BYTES)]),
        )

    # --- retention --------------------------------------------------------------------------

    def delete(self, job_id: str, compiled: CompiledRef | None) -> int:
        """Delete a removed job's blobs (and its compiled blobs when no job uses them).

        Call after the job's rows are gone. Returns the bytes freed.
        """
        freed = self._blobs.delete_prefix(f"jobs/{job_id}")
        if compiled is not None:
            if not self._store.blob_in_use(aqo_sha256=compiled.aqo_sha256):
                old = self._aqo.pop(compiled.aqo_sha256, None)
                self._aqo_bytes -= len(old or b"")
                freed += self._blobs.delete_prefix(f"aqo/{compiled.aqo_sha256}.json")
            if compiled.plan_sha256 and not self._store.blob_in_use(
                plan_sha256=compiled.plan_sha256
            ):
                freed += self._blobs.delete_prefix(f"plans/{compiled.plan_sha256}.json")
        return freed


def _media(name: str) -> str:
    if name.endswith(".json"):
        return "application/json"
    if name.endswith(".jsonl"):
        return "application/x-ndjson"
    if name.endswith(".yaml"):
        return "application/yaml"
    return "text/plain; charset=utf-8"


def _not_found(job_id: str, name: str) -> errors.NotFoundError:
    return errors.NotFoundError(
        f"job {job_id} has no artifact {name[:200]!r}",
        reason="ARTIFACT_NOT_FOUND",
        metadata={"job_id": job_id},
    )
