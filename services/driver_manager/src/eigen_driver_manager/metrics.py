"""Per-driver Prometheus metrics (seed RFC 0006: request count/latency, error rate, backend wait).

Labels are bounded: driver name, device id, gRPC code name, error reason. Never job or trace ids.
Defined once per process in the default registry, like the server metrics of
:mod:`eigen_common.server`, so that ``/metrics`` exposes them.
"""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60)

REQUESTS = Counter(
    "eigen_driver_requests",
    "Driver calls (ExecuteCircuit, EstimateExpectationValues, GetDeviceStatus, CalibrateDevice) "
    "by outcome",
    ["driver", "device", "code"],
)
REQUEST_DURATION = Histogram(
    "eigen_driver_request_duration_seconds",
    "Time a driver call took, queue wait included, in seconds",
    ["driver"],
    buckets=_BUCKETS,
)
ERRORS = Counter(
    "eigen_driver_errors",
    "Failed driver calls by ErrorInfo reason",
    ["driver", "reason"],
)
QUEUE_WAIT = Histogram(
    "eigen_driver_queue_wait_seconds",
    "Time a call waited for a worker thread before the driver started it, in seconds",
    ["driver"],
    buckets=_BUCKETS,
)
IN_FLIGHT = Gauge(
    "eigen_driver_in_flight",
    "Driver calls accepted and not finished (waiting or running)",
    ["driver"],
)
ESTIMATES = Counter(
    "eigen_driver_estimates",
    "EstimateExpectationValues calls by mode (exact, sampled) and outcome",
    ["driver", "device", "mode", "code"],
)
ESTIMATE_DURATION = Histogram(
    "eigen_driver_estimate_duration_seconds",
    "Time an EstimateExpectationValues call took, queue wait included, in seconds",
    ["driver", "mode"],
    buckets=_BUCKETS,
)
