"""Amazon Braket driver (SPEC §13) on amazon-braket-sdk.

Devices:

- ``braket.local`` (target ``braket:local``): ``LocalSimulator()``, Braket's state-vector
  simulator, run for real in-process;
- ``braket.local_dm`` (target ``braket:local_dm``): ``LocalSimulator("braket_dm")``, its
  density-matrix simulator;
- ``braket.<name>`` (target ``braket:<name>``): an ``AwsDevice`` per ARN in the config
  ``aws_devices`` (comma-separated ARNs) when AWS credentials are configured the usual boto3 way
  (environment, ``~/.aws``); asynchronous (StartExecution / AwaitExecution by quantum-task ARN).

Circuits go to Braket as OpenQASM 3 (``OpenQASMProgram``) built from AQO by :func:`to_openqasm`
(Braket's gate names; ``ctrl @`` for the controlled rotations and ``ch``). Braket reports
counts per measured qubit, first character = first measured qubit; they are normalised to our
clbit order (clbit 0 rightmost, unmeasured clbits 0, counts sum to shots). Measurements must
be terminal (no gate on a qubit after it is measured, each qubit measured once) and there are
no classical conditions or resets: anything else is INVALID_ARGUMENT
``UNSUPPORTED_INSTRUCTION``.
"""

from __future__ import annotations

import importlib.metadata
import threading
import time
from collections.abc import Mapping
from typing import Any, ClassVar

from eigen_common.errors import (
    BackendUnavailableError,
    DeviceNotFoundError,
    DeviceOfflineError,
    EigenError,
    InvalidArgumentError,
    NotFoundError,
)
from eigen_driver_manager.base import (
    BaseDriver,
    DeviceInfo,
    DeviceStatus,
    DeviceStatusReport,
    ExecutionItem,
    ExecutionProgress,
    ExecutionResult,
    StartedExecution,
    bind_parameters,
    check_width,
)
from eigen_driver_manager.execution import DeviceAuthFailedError, ExecutionCancelledError
from eigen_driver_manager.options import OptionSpec
from eigen_ir.aqo import Circuit

#: AQO op → Braket OpenQASM 3 gate (``ctrl @`` where Braket has no controlled gate of its own).
BRAKET_GATE = {
    "H": "h",
    "X": "x",
    "Y": "y",
    "Z": "z",
    "S": "s",
    "SDG": "si",
    "T": "t",
    "TDG": "ti",
    "SX": "v",
    "RX": "rx",
    "RY": "ry",
    "RZ": "rz",
    "P": "phaseshift",
    "U": "U",
    "CX": "cnot",
    "CY": "cy",
    "CZ": "cz",
    "CH": "ctrl @ h",
    "SWAP": "swap",
    "CRX": "ctrl @ rx",
    "CRY": "ctrl @ ry",
    "CRZ": "ctrl @ rz",
    "CP": "cphaseshift",
    "RXX": "xx",
    "RYY": "yy",
    "RZZ": "zz",
    "CCX": "ccnot",
    "CSWAP": "cswap",
}
#: Local device → (Braket simulator entry point, target, the simulator's own name).
_LOCAL = {
    "braket.local": ("default", "braket:local", "StateVectorSimulator"),
    "braket.local_dm": ("braket_dm", "braket:local_dm", "DensityMatrixSimulator"),
}
#: The entry-point group through which amazon-braket-sdk finds its local simulators.
SIMULATOR_GROUP = "braket.simulators"
_CONFIG_KEYS = frozenset({"devices", "aws_devices", "credentials", "max_qubits"})


def to_openqasm(circuit: Circuit) -> tuple[str, list[tuple[int, int]]]:
    """OpenQASM 3 for Braket from a bound AQO circuit.

    Returns:
        The program text and the measurements as ``(qubit, clbit)`` pairs in program order.

    Raises:
        InvalidArgumentError: ``UNSUPPORTED_INSTRUCTION`` (conditions, resets, non-terminal or
            repeated measurements, symbolic parameters left).
    """
    lines = ["OPENQASM 3.0;", f"qubit[{circuit.qubits}] q;"]
    if circuit.clbits:
        lines.append(f"bit[{circuit.clbits}] c;")
    measured: dict[int, int] = {}
    pairs: list[tuple[int, int]] = []
    for i, op in enumerate(circuit.operations):
        if op.cond is not None or op.op == "RESET":
            raise _unsupported(f"operations[{i}]: {op.op} with a classical condition or reset")
        if op.op == "BARRIER":
            continue
        if op.op == "MEASURE":
            for q, c in zip(op.q, op.c, strict=True):
                if q in measured:
                    raise _unsupported(f"operations[{i}]: qubit {q} is measured twice")
                measured[q] = c
                pairs.append((q, c))
                lines.append(f"c[{c}] = measure q[{q}];")
            continue
        if any(q in measured for q in op.q):
            raise _unsupported(f"operations[{i}]: {op.op} after a measurement of its qubit")
        if any(isinstance(p, str) for p in op.params):
            raise _unsupported(f"operations[{i}]: unbound parameter")
        args = f"({', '.join(repr(float(p)) for p in op.params)})" if op.params else ""
        qubits = ", ".join(f"q[{q}]" for q in op.q)
        lines.append(f"{BRAKET_GATE[op.op]}{args} {qubits};")
    return "\n".join(lines) + "\n", pairs


def normalise_counts(
    raw: Mapping[str, int], measured_qubits: list[int], pairs: list[tuple[int, int]], clbits: int
) -> dict[str, int]:
    """Braket counts (char k = ``measured_qubits[k]``) → ours (clbit 0 rightmost)."""
    position = {q: k for k, q in enumerate(measured_qubits)}
    out: dict[str, int] = {}
    for key, n in raw.items():
        bits = ["0"] * clbits
        for q, c in pairs:
            bits[clbits - 1 - c] = key[position[q]]
        s = "".join(bits)
        out[s] = out.get(s, 0) + int(n)
    return out


def _unsupported(detail: str) -> InvalidArgumentError:
    return InvalidArgumentError(
        f"Amazon Braket cannot run this circuit: {detail}", reason="UNSUPPORTED_INSTRUCTION"
    )


class BraketDriver(BaseDriver):
    """Amazon Braket: the local simulators and, with AWS credentials, AwsDevice QPUs.

    Config keys: ``devices`` (subset of ``braket.local,braket.local_dm``), ``max_qubits`` of
    the local simulators (default 20), ``aws_devices`` (comma-separated device ARNs),
    ``credentials`` (``auto`` default: use boto3's credential chain when it finds any; ``none``).
    """

    name: ClassVar[str] = "braket"
    allowed_options: ClassVar[Mapping[str, OptionSpec]] = {}

    def __init__(self) -> None:
        self._local: dict[str, tuple[_LazySimulator, DeviceInfo]] = {}
        self._aws: dict[str, tuple[Any, DeviceInfo]] = {}
        self._tasks: dict[str, Any] = {}
        self._lock = threading.Lock()
        self._stop = threading.Event()

    @classmethod
    def declared_devices(cls, config: Mapping[str, str]) -> tuple[str, ...]:
        """The local simulator ids."""
        return tuple(_LOCAL)

    def initialize(self, config: Mapping[str, str]) -> None:
        """Offer the local simulators; the AwsDevices of ``aws_devices`` with credentials.

        The local simulators are created on first use: importing amazon-braket-sdk takes
        seconds (it pulls in sympy), which would delay the driver-manager's start-up; their
        presence is checked here through the SDK's entry points, which imports nothing.

        Raises:
            ValueError: unknown key or device, or the SDK's simulators are not installed.
        """
        unknown = sorted(set(config) - _CONFIG_KEYS)
        if unknown:
            raise ValueError(f"unknown braket config key(s) {unknown}")
        wanted = [d.strip() for d in config.get("devices", "").split(",") if d.strip()] or list(
            _LOCAL
        )
        bad = sorted(set(wanted) - set(_LOCAL))
        if bad:
            raise ValueError(f"unknown braket device(s) {bad}; available {sorted(_LOCAL)}")
        width = int(config.get("max_qubits", "20"))
        installed = {ep.name for ep in importlib.metadata.entry_points(group=SIMULATOR_GROUP)}
        for device_id in wanted:
            backend, target, sim_name = _LOCAL[device_id]
            if backend not in installed:
                raise ValueError(f"Braket local simulator {backend!r} is not installed")
            info = DeviceInfo(
                device_id=device_id,
                name=f"Amazon Braket {sim_name} (local)",
                backend_type="braket_local",
                status=DeviceStatus.ONLINE,
                max_qubits=width,
                targets=(target,),
                capabilities={"simulator": sim_name, "program": "OpenQASM 3", "seedable": "false"},
                basis_gates=tuple(sorted(BRAKET_GATE)),
            )
            self._local[device_id] = (_LazySimulator(backend), info)
        if config.get("credentials", "auto") != "none" and config.get("aws_devices"):
            self._connect([a.strip() for a in config["aws_devices"].split(",") if a.strip()])

    def _connect(self, arns: list[str]) -> None:
        from braket.aws import AwsDevice

        for arn in arns:
            short = arn.rsplit("/", 1)[-1].lower()
            device_id = f"braket.{short}"
            try:
                dev = AwsDevice(arn)
                status = DeviceStatus.ONLINE if dev.status == "ONLINE" else DeviceStatus.OFFLINE
                info = DeviceInfo(
                    device_id=device_id,
                    name=f"Amazon Braket {dev.name}",
                    backend_type="braket",
                    status=status,
                    max_qubits=int(getattr(dev.properties.paradigm, "qubitCount", 1)),
                    targets=(f"braket:{short}",),
                    capabilities={"arn": arn, "program": "OpenQASM 3"},
                    asynchronous=True,
                )
            except Exception as exc:
                err = _map_aws_error(exc, device_id)
                info = DeviceInfo(
                    device_id=device_id,
                    name=f"Amazon Braket {short}",
                    backend_type="braket",
                    status=DeviceStatus.OFFLINE,
                    max_qubits=1,
                    targets=(f"braket:{short}",),
                    status_message=err.message,
                    asynchronous=True,
                )
                dev = None
            self._aws[device_id] = (dev, info)

    def get_devices(self) -> list[DeviceInfo]:
        """Local simulators, then AWS devices."""
        return [i for _, i in self._local.values()] + [i for _, i in self._aws.values()]

    def get_device_status(self, device_id: str) -> DeviceStatusReport:
        """The device's status (AWS devices asked afresh).

        Raises:
            DeviceNotFoundError: unknown ``device_id``.
        """
        if device_id in self._local:
            return DeviceStatusReport(device_id, DeviceStatus.ONLINE, message="local simulator")
        dev, info = self._aws_entry(device_id)
        if dev is None:
            return DeviceStatusReport(device_id, DeviceStatus.OFFLINE, message=info.status_message)
        try:
            dev.refresh_metadata()
            status = DeviceStatus.ONLINE if dev.status == "ONLINE" else DeviceStatus.OFFLINE
            return DeviceStatusReport(device_id, status, message=str(dev.status))
        except Exception as exc:
            raise _map_aws_error(exc, device_id) from None

    def execute_circuit(
        self,
        device_id: str,
        circuit: Circuit,
        shots: int,
        options: Mapping[str, str],
        *,
        seed: int | None = None,
        parameter_values: Mapping[str, float] | None = None,
    ) -> ExecutionResult:
        """Run on a local simulator; AWS devices are asynchronous (start, then await).

        ``seed`` is ignored: Braket's local simulators are not seedable.

        Raises:
            DeviceNotFoundError, InvalidOptionError, FailedPreconditionError
            (``CIRCUIT_TOO_LARGE``), InvalidArgumentError (``UNSUPPORTED_INSTRUCTION``),
            BackendUnavailableError.
        """
        from braket.ir.openqasm import Program

        lazy, info = self._local_entry(device_id)
        self.parse_options(device_id, options)
        check_width(circuit, info)
        bound = bind_parameters(circuit, parameter_values)
        meta = {
            "backend": info.capabilities["simulator"],
            "device_id": device_id,
            "shots": str(shots),
        }
        if bound.clbits == 0:
            return ExecutionResult({}, 0.0, {**meta, "note": "nothing measured: not run"})
        source, pairs = to_openqasm(bound)
        if not pairs:
            return ExecutionResult({"0" * bound.clbits: shots}, 0.0, meta)
        t0 = time.perf_counter()
        try:
            result = lazy.get().run(Program(source=source), shots=shots).result()
        except Exception as exc:
            raise BackendUnavailableError(f"Braket local simulator failed: {exc}") from None
        counts = normalise_counts(
            result.measurement_counts, list(result.measured_qubits), pairs, bound.clbits
        )
        meta["seed"] = "unseeded"
        return ExecutionResult(counts, time.perf_counter() - t0, meta)

    def start_execution(self, item: ExecutionItem) -> StartedExecution:
        """Create a quantum task on an AwsDevice (OpenQASM 3); id = the task ARN."""
        from braket.ir.openqasm import Program

        dev, info = self._aws_entry(item.device_id)
        if dev is None or info.status is not DeviceStatus.ONLINE:
            raise DeviceOfflineError(
                f"device {item.device_id!r} is OFFLINE: {info.status_message}",
                metadata={"subject": item.device_id},
            )
        check_width(item.circuit, info)
        bound = bind_parameters(item.circuit, item.parameter_values)
        source, pairs = to_openqasm(bound)
        try:
            task = dev.run(Program(source=source), shots=item.shots)
        except Exception as exc:
            raise _map_aws_error(exc, item.device_id) from None
        with self._lock:
            self._tasks[task.id] = task
        mapping = ",".join(f"{q}:{c}" for q, c in pairs)
        return StartedExecution(f"braket:{task.id}#{bound.clbits}#{mapping}", task.id)

    def await_execution(
        self, device_id: str, execution_id: str, wait_seconds: float
    ) -> ExecutionProgress:
        """Poll the quantum task with backoff (0.5 s doubling to 10 s) for ``wait_seconds``."""
        from braket.aws import AwsQuantumTask

        self._aws_entry(device_id)
        arn, clbits, pairs = _parse_execution_id(execution_id)
        with self._lock:
            task = self._tasks.get(arn)
        if task is None:  # re-attach (e.g. after a restart): the task ARN names it
            task = AwsQuantumTask(arn)
        deadline, delay = time.monotonic() + wait_seconds, 0.5
        while True:
            try:
                state = str(task.state())
            except Exception as exc:
                raise _map_aws_error(exc, device_id) from None
            if state in ("COMPLETED", "FAILED", "CANCELLED"):
                break
            left = deadline - time.monotonic()
            if left <= 0 or self._stop.wait(min(delay, left)):
                return ExecutionProgress(False, vendor_status=state)
            delay = min(delay * 2, 10.0)
        if state == "CANCELLED":
            raise ExecutionCancelledError(f"Braket task {arn} was cancelled")
        if state == "FAILED":
            raise BackendUnavailableError(f"Braket task {arn} failed")
        result = task.result()
        counts = normalise_counts(
            result.measurement_counts, list(result.measured_qubits), pairs, clbits
        )
        meta = {"device_id": device_id, "vendor_job_id": arn}
        return ExecutionProgress(True, ExecutionResult(counts, 0.0, meta), vendor_status=state)

    def cancel_execution(self, device_id: str, job_id: str, execution_id: str) -> bool:
        """Cancel an AWS quantum task (local simulators: nothing to stop)."""
        if device_id not in self._aws or not execution_id.startswith("braket:"):
            return False
        from braket.aws import AwsQuantumTask

        try:
            AwsQuantumTask(_parse_execution_id(execution_id)[0]).cancel()
        except Exception as exc:
            raise _map_aws_error(exc, device_id) from None
        return True

    def close(self) -> None:
        """Stop waits in progress."""
        self._stop.set()

    def _local_entry(self, device_id: str) -> tuple[_LazySimulator, DeviceInfo]:
        if device_id in self._local:
            return self._local[device_id]
        if device_id in self._aws:
            raise InvalidArgumentError(
                f"{device_id!r} is an AWS device: use StartExecution/AwaitExecution",
                reason="DEVICE_ASYNCHRONOUS",
            )
        raise DeviceNotFoundError(f"no braket device {device_id!r}")

    def _aws_entry(self, device_id: str) -> tuple[Any, DeviceInfo]:
        if device_id not in self._aws:
            if device_id in self._local:
                raise NotFoundError(f"{device_id!r} is a local simulator, not an AWS device")
            raise DeviceNotFoundError(f"no braket device {device_id!r}")
        return self._aws[device_id]


class _LazySimulator:
    """A Braket ``LocalSimulator`` created on first use (thread-safe)."""

    def __init__(self, backend: str):
        self._backend = backend
        self._sim: Any = None
        self._lock = threading.Lock()

    def get(self) -> Any:
        """The simulator (imports amazon-braket-sdk the first time)."""
        with self._lock:
            if self._sim is None:
                from braket.devices import LocalSimulator

                self._sim = LocalSimulator(self._backend)
            return self._sim


def _parse_execution_id(execution_id: str) -> tuple[str, int, list[tuple[int, int]]]:
    """``braket:<task arn>#<clbits>#<q:c,...>`` → (ARN, clbits, measurement pairs).

    Raises:
        NotFoundError: not an id this driver made.
    """
    try:
        body = execution_id.removeprefix("braket:")
        arn, clbits, mapping = body.split("#")
        pairs = [(int(q), int(c)) for q, c in (p.split(":") for p in mapping.split(",") if p)]
        return arn, int(clbits), pairs
    except ValueError:
        raise NotFoundError(f"no Braket execution {execution_id!r}") from None


def _map_aws_error(exc: Exception, device_id: str) -> EigenError:
    """Botocore / Braket failures as the seed's statuses (SPEC §13), credentials-free."""
    code = ""
    response = getattr(exc, "response", None)
    if isinstance(response, dict):
        code = str(response.get("Error", {}).get("Code", ""))
    name = type(exc).__name__
    if code in (
        "UnrecognizedClientException",
        "AccessDeniedException",
        "ExpiredTokenException",
    ) or name in (
        "NoCredentialsError",
        "PartialCredentialsError",
    ):
        return DeviceAuthFailedError(
            f"AWS refused the credentials for {device_id!r} ({code or name})",
            metadata={"subject": device_id},
        )
    if code == "ValidationException":
        return InvalidArgumentError(f"Braket rejected the program for {device_id!r}: {exc}")
    if code == "ResourceNotFoundException":
        return NotFoundError(f"Braket does not know {device_id!r}: {code}")
    return BackendUnavailableError(
        f"Amazon Braket is unavailable for {device_id!r}: {code or name}"
    )
