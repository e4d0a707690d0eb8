"""Driver-manager requests in domain terms (what the servicer hands the manager)."""

from __future__ import annotations

import enum
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

#: Limits of an EstimateExpectationValues request (proto ``EstimateExpectationValuesRequest``)
#: and of a sweep's bindings.
MAX_TERMS = 100_000
MAX_BINDINGS = 1024
#: Items of one ExecuteCircuitBatch request (proto ``ExecuteCircuitBatchRequest``).
MAX_BATCH_ITEMS = 256
#: Longest AwaitExecution wait, in seconds.
MAX_WAIT_SECONDS = 300.0


class PayloadFormat(enum.Enum):
    """Encoding of a circuit payload (proto ``CircuitPayload.Format``)."""

    UNSPECIFIED = "unspecified"
    AQO_JSON = "aqo_json"
    AQO_PROTO = "aqo_proto"
    QASM3_TEXT = "qasm3_text"
    BACKEND_NATIVE = "backend_native"


@dataclass(frozen=True)
class ExecutionRequest:
    """An ExecuteCircuit request in domain terms.

    Attributes:
        job_id: for logs only.
        device_id: the device to run on.
        payload_format: how ``payload`` is encoded; only ``AQO_JSON`` is executable.
        payload: the circuit bytes.
        shots: repetitions, 1..``max_shots``.
        options: execution options (checked against the driver's allowlist).
        seed: simulator seed, or None for a random one.
        parameter_values: symbolic parameter values in radians, by name.
        bindings: a parameter sweep (one run per binding, each binding every parameter);
            exclusive with ``parameter_values`` and ``save_state``.
        save_state: ``statevector``, ``density_matrix``, ``matrix_product_state`` or ``""``.
    """

    job_id: str
    device_id: str
    payload_format: PayloadFormat
    payload: bytes
    shots: int
    options: Mapping[str, str] = field(default_factory=dict)
    seed: int | None = None
    parameter_values: Mapping[str, float] = field(default_factory=dict)
    bindings: Sequence[Mapping[str, float]] = ()
    save_state: str = ""


@dataclass(frozen=True)
class EstimationRequest:
    """An EstimateExpectationValues request in domain terms.

    Attributes:
        job_id: for logs only.
        device_id: the device to run on.
        payload_format: how ``payload`` is encoded; only ``AQO_JSON`` is accepted.
        payload: the parametrised circuit, without measurements or clbits.
        observable: ``(label, coefficient)`` Pauli terms, 1..:data:`MAX_TERMS`; labels over
            ``IXYZ``, one character per circuit qubit, rightmost = qubit 0.
        bindings: 1..:data:`MAX_BINDINGS` mappings, each binding exactly the circuit's
            parameters (radians).
        shots: shots per measurement group (1..``max_shots``), or None for exact values.
        options: execution options (checked against the driver's allowlist).
        seed: simulator seed (≥ 0), or None for a random one.
    """

    job_id: str
    device_id: str
    payload_format: PayloadFormat
    payload: bytes
    observable: Sequence[tuple[str, float]]
    bindings: Sequence[Mapping[str, float]]
    shots: int | None = None
    options: Mapping[str, str] = field(default_factory=dict)
    seed: int | None = None


@dataclass(frozen=True)
class TranspileRequest:
    """A TranspileCircuit request in domain terms.

    Attributes:
        device_id: the device to transpile for.
        payload_format: how ``payload`` is encoded; only ``AQO_JSON`` is accepted.
        payload: the circuit bytes, every parameter bound.
    """

    device_id: str
    payload_format: PayloadFormat
    payload: bytes
