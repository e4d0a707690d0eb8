"""QFS level 3 (Circuit & Metadata FS) on the local filesystem (SPEC §7).

Layout per job::

    jobs/<job_id>/input/job.yaml        the submission as accepted
    jobs/<job_id>/input/program.<ext>   the program source (.eigen.py / .qasm / .ref)
    jobs/<job_id>/compiled.aqo.json     canonical AQO
    jobs/<job_id>/results.json          counts + metadata (+ hybrid outcome)
    jobs/<job_id>/error.json            error code, summary, diagnostics
    jobs/<job_id>/events.jsonl          the job's events, exported at its terminal state

Every write is atomic (temp file + ``os.replace``). References have the form
``qfs://jobs/<job_id>/<name>``; only the kernel reads them, for the job's owner.
"""

from __future__ import annotations

import itertools
import json
import os
import re
from pathlib import Path
from typing import Any

_JOB_ID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
_EXT = {"eigen-lang": "eigen.py", "qasm": "qasm", "aqo-ref": "ref"}


class Qfs:
    """Artifact store rooted at ``root`` (created if missing)."""

    def __init__(self, root: Path):
        self.root = root
        (root / "jobs").mkdir(parents=True, exist_ok=True)
        self._seq = itertools.count()

    def job_dir(self, job_id: str) -> Path:
        """Directory of a job.

        Raises:
            ValueError: ``job_id`` is not a safe id (no path traversal possible).
        """
        if not _JOB_ID.fullmatch(job_id):
            raise ValueError(f"invalid job id {job_id!r}")
        return self.root / "jobs" / job_id

    @staticmethod
    def ref(job_id: str, name: str) -> str:
        """The ``qfs://`` reference of an artifact."""
        return f"qfs://jobs/{job_id}/{name}"

    def _write(self, path: Path, data: bytes) -> None:
        tmp = path.with_name(f".{path.name}.{os.getpid()}.{next(self._seq)}.tmp")
        try:
            f = open(tmp, "xb")  # noqa: SIM115 (closed below; retried after mkdir)
        except FileNotFoundError:
            path.parent.mkdir(parents=True, exist_ok=True)
            f = open(tmp, "xb")  # noqa: SIM115
        try:
            with f:
                f.write(data)
            os.replace(tmp, path)
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise

    def write_input(
        self, job_id: str, submission: dict[str, Any], language: str, source: str
    ) -> None:
        """Store ``input/job.yaml`` (submission without the source) and ``input/program.*``."""
        d = self.job_dir(job_id) / "input"
        spec = {k: v for k, v in submission.items() if k != "source"}
        # JSON is valid YAML 1.2 and the json module is C-accelerated: ~0.5 ms/job less
        # than PyYAML's Python representer on the submission path.
        text = "# accepted submission (JSON, a subset of YAML)\n" + json.dumps(
            spec, indent=2, sort_keys=True, ensure_ascii=False
        )
        self._write(d / "job.yaml", text.encode())
        self._write(d / f"program.{_EXT.get(language, 'txt')}", source.encode("utf-8"))

    def write_bytes(self, job_id: str, name: str, data: bytes) -> str:
        """Store an artifact; returns its reference."""
        self._write(self.job_dir(job_id) / name, data)
        return self.ref(job_id, name)

    def write_json(self, job_id: str, name: str, obj: Any) -> str:
        """Store a JSON artifact; returns its reference."""
        return self.write_bytes(job_id, name, json.dumps(obj, sort_keys=True).encode())

    def read_bytes(self, job_id: str, name: str) -> bytes | None:
        """An artifact's bytes, or None when absent."""
        try:
            return (self.job_dir(job_id) / name).read_bytes()
        except FileNotFoundError:
            return None

    def read_json(self, job_id: str, name: str) -> Any:
        """A JSON artifact, or None when absent."""
        data = self.read_bytes(job_id, name)
        return None if data is None else json.loads(data)
