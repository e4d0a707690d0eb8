"""Eigen OS client side: the Python SDK, the job.yaml parser and the ``eigen`` CLI.

from eigen_os import EigenClient, load_jobspec

with EigenClient() as client:
job_id = client.submit(load_jobspec("examples/bell/job.yaml").spec)
print(client.wait(job_id).state, client.results(job_id).counts)
"""

from eigen_os.client import (
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

__all__ = [
    "AsyncEigenClient",
    "ClientConfig",
    "ConnectionFailedError",
    "EigenClient",
    "JobSpec",
    "JobSpecError",
    "Overrides",
    "ParsedJob",
    "WaitTimeoutError",
    "load_jobspec",
    "parse_jobspec",
    "resolve_config",
]
