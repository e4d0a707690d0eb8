"""Amazon Braket driver (SPEC §13) on amazon-braket-sdk.

Devices:

- ``braket.local`` (target ``braket:local``): ``LocalSimulator()``, Braket's state-vector
  simulator, run for real in-process;
- ``braket.local_dm`` (target ``braket:local_dm``): ``LocalSimulator("braket_dm")``, its
  density-matrix simulator;
- ``braket.<name>`` (target ``braket:<name>``): an ``AwsDevice`` per ARN in the config
  ``aws_devices`` (comma-separated ARNs) when AWS credentials are configured the usual boto3 way
  (environment, ``~/.aws``); asynchronous (StartExecution / AwaitExecution by quantum-task ARN),
  see :mod:`eigen_driver_manager.braket_aws`.

Circuits go to Braket as OpenQASM 3 (``OpenQASMProgram``) built from AQO, counts come back in
our bit order (:mod:`eigen_driver_manager.braket_program`). The SDK is imported on first use
(it takes seconds: sympy), not at start-up.

Config keys: ``devices`` (subset of ``braket.local,braket.local_dm``), ``max_qubits`` of the
local simulators (default 20), ``aws_devices``, ``credentials`` (``auto`` default: boto3's
credential chain; ``none``), ``s3_bucket``/``s3_prefix`` (where AWS task results go; default
the SDK's ``amazon-braket-<region>-<account>`` bucket, prefix ``tasks``), ``poll_seconds``
(first poll interval of a task, doubling to 10 s; default 0.5).
"""

from __future__ import annotations

import importlib.metadata
import threading
import time
from collections.abc import Mapping, Sequence
from typing import Any, ClassVar

from eigen_common.errors import (
    BackendUnavailableError,
    DeviceNotFoundError,
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
from eigen_driver_manager.braket_aws import AwsDevices
from eigen_driver_manager.braket_program import BRAKET_GATE, normalise_counts, to_openqasm
from eigen_driver_manager.options import OptionSpec
from eigen_ir.aqo import Circuit

#: Local device → (Braket simulator entry point, target, the simulator's own name).
_LOCAL = {
    "braket.local": ("default", "braket:local", "StateVectorSimulator"),
    "braket.local_dm": ("braket_dm", "braket:local_dm", "DensityMatrixSimulator"),
}
#: The entry-point group through which amazon-braket-sdk finds its local simulators.
SIMULATOR_GROUP = "braket.simulators"
_CONFIG_KEYS = frozenset(
    {
        "devices",
        "aws_devices",
        "credentials",
        "max_qubits",
        "s3_bucket",
        "s3_prefix",
        "poll_seconds",
    }
)


class BraketDriver(BaseDriver):
    """Amazon Braket: the local simulators and, with AWS credentials, AWS devices (see module)."""

    name: ClassVar[str] = "braket"
    allowed_options: ClassVar[Mapping[str, OptionSpec]] = {}

    def __init__(self) -> None:
        self._local: dict[str, tuple[_LazySimulator, DeviceInfo]] = {}
        self._aws: AwsDevices | None = None
        self._s3_folder: tuple[str, str] | None = None
        self._poll_first = 0.5

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
        if config.get("s3_bucket"):
            self._s3_folder = (config["s3_bucket"], config.get("s3_prefix", "eigen-tasks"))
        self._poll_first = float(config.get("poll_seconds", "0.5"))
        arns = [a.strip() for a in config.get("aws_devices", "").split(",") if a.strip()]
        if config.get("credentials", "auto") != "none" and arns:
            from braket.aws import AwsSession

            self.use_aws_session(AwsSession(), arns)

    def use_aws_session(self, session: Any, arns: Sequence[str]) -> None:
        """Serve ``arns`` through ``session`` (a ``braket.aws.AwsSession``) as AWS devices.

        ``initialize`` calls it with a session on boto3's credential chain; tests pass one whose
        Braket client is stubbed (botocore ``Stubber``) and whose S3 is moto's.
        """
        self._aws = AwsDevices(
            session, arns, s3_folder=self._s3_folder, poll_first=self._poll_first
        )

    def get_devices(self) -> list[DeviceInfo]:
        """Local simulators, then AWS devices."""
        aws = self._aws.devices() if self._aws is not None else []
        return [i for _, i in self._local.values()] + aws

    def get_device_status(self, device_id: str) -> DeviceStatusReport:
        """The device's status (AWS devices asked afresh).

        Raises:
            DeviceNotFoundError: unknown ``device_id``.
        """
        if device_id in self._local:
            return DeviceStatusReport(device_id, DeviceStatus.ONLINE, message="local simulator")
        return self._aws_devices(device_id).status(device_id)

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
        """Create a quantum task on an AWS device (OpenQASM 3); the id names the task ARN."""
        return self._aws_devices(item.device_id).start(item)

    def await_execution(
        self, device_id: str, execution_id: str, wait_seconds: float
    ) -> ExecutionProgress:
        """Poll the quantum task with backoff (0.5 s doubling to 10 s) for ``wait_seconds``."""
        return self._aws_devices(device_id).await_(device_id, execution_id, wait_seconds)

    def cancel_execution(self, device_id: str, job_id: str, execution_id: str) -> bool:
        """Cancel an AWS quantum task (local simulators: nothing to stop)."""
        if self._aws is None or device_id not in self._aws:
            return False
        return self._aws.cancel(device_id, execution_id)

    def close(self) -> None:
        """Stop waits in progress."""
        if self._aws is not None:
            self._aws.close()

    def _local_entry(self, device_id: str) -> tuple[_LazySimulator, DeviceInfo]:
        if device_id in self._local:
            return self._local[device_id]
        if self._aws is not None and device_id in self._aws:
            raise InvalidArgumentError(
                f"{device_id!r} is an AWS device: use StartExecution/AwaitExecution",
                reason="DEVICE_ASYNCHRONOUS",
            )
        raise DeviceNotFoundError(f"no braket device {device_id!r}")

    def _aws_devices(self, device_id: str) -> AwsDevices:
        if self._aws is None or device_id not in self._aws:
            if device_id in self._local:
                raise NotFoundError(f"{device_id!r} is a local simulator, not an AWS device")
            raise DeviceNotFoundError(f"no braket device {device_id!r}")
        return self._aws


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
