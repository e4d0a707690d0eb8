"""Eigen OS client side: the Python SDK, the job.yaml parser and the ``eigen`` CLI.

    from eigen_os import EigenClient, load_jobspec

    with EigenClient() as client:
        job_id = client.submit(load_jobspec("examples/bell/job.yaml").spec)
        print(client.wait(job_id).state, client.results(job_id).get_counts())

Qiskit users: :mod:`eigen_os.qiskit` (``EigenSamplerV2``, ``EigenEstimatorV2``, ``EigenBackend``).
"""

from eigen_os.client import (
    ArtifactIncompleteError,
    AsyncEigenClient,
    ClientConfig,
    ConnectionFailedError,
    EigenClient,
    WaitTimeoutError,
    resolve_config,
)
from eigen_os.jobspec import (
    JobSpec,
    JobSpecError,
    Overrides,
    ParsedJob,
    load_jobspec,
    parse_jobspec,
)
from eigen_os.results import (
    ArtifactRef,
    Job,
    JobEvent,
    JobFailedError,
    JobResult,
    JobStatus,
    OptimizationOutcome,
    SweepResult,
    WaitingReason,
)

__all__ = [
    "ArtifactIncompleteError",
    "ArtifactRef",
    "AsyncEigenClient",
    "ClientConfig",
    "ConnectionFailedError",
    "EigenClient",
    "Job",
    "JobEvent",
    "JobFailedError",
    "JobResult",
    "JobSpec",
    "JobSpecError",
    "JobStatus",
    "OptimizationOutcome",
    "Overrides",
    "ParsedJob",
    "SweepResult",
    "WaitTimeoutError",
    "WaitingReason",
    "load_jobspec",
    "parse_jobspec",
    "resolve_config",
]
