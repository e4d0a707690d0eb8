"""Prometheus metrics of the kernel (SPEC §10: no job or trace ids as labels)."""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

TRANSITIONS = Counter(
    "eigen_kernel_job_state_transitions_total", "Job state transitions", ["from_state", "to_state"]
)


def transition(from_state: str, to_state: str) -> None:
    """Count a job's state change ``from_state`` → ``to_state`` (state names, ``QUEUED``).

    A step that keeps the state (a hybrid iteration, a vendor's status while EXECUTING) is an
    event, not a transition, and is not counted.
    """
    if from_state != to_state:
        TRANSITIONS.labels(from_state, to_state).inc()


STAGE_SECONDS = Histogram(
    "eigen_kernel_stage_duration_seconds",
    "Time spent per pipeline stage, in seconds",
    ["stage"],
    buckets=(0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.5, 1, 5, 30, 120, 600),
)
QUEUE_DEPTH = Gauge("eigen_kernel_queue_depth", "Jobs waiting for a device", ["device"])
RUNNING = Gauge("eigen_kernel_running_jobs", "Jobs holding a device slot", ["device"])
ACTIVE_JOBS = Gauge("eigen_kernel_active_jobs", "Non-terminal jobs with a task in this kernel")
ITERATIONS = Counter(
    "eigen_kernel_hybrid_iterations_total", "Objective evaluations run by hybrid loops"
)
COMPILE_CACHE = Counter("eigen_kernel_compile_cache_total", "Compile cache lookups", ["result"])
KNOWLEDGE_BASE = Counter(
    "eigen_kernel_knowledge_base_lookups_total",
    "Compiled programs looked up in the job store after a miss in memory",
    ["result"],
)
RESERVATIONS = Gauge("eigen_kernel_reservations_active", "Active device reservations")
BACKEND_WAITS = Counter(
    "eigen_kernel_backend_unavailable_total",
    "Calls to the compiler or driver-manager that found it unavailable (and were retried)",
    ["what"],
)
GC_REMOVED = Counter("eigen_kernel_gc_jobs_removed_total", "Terminal jobs removed by retention")
GC_BYTES = Counter("eigen_kernel_gc_bytes_freed_total", "Artifact bytes freed by retention")
EXECUTION_BATCH = Histogram(
    "eigen_kernel_execution_batch_size",
    "Plain runs per driver-manager call (1 = ExecuteCircuit; more = one ExecuteCircuitBatch)",
    buckets=(1, 2, 4, 8, 16, 32, 64, 128, 256),
)
