"""Amazon Braket devices through ``AwsDevice``/``AwsQuantumTask`` (the driver's cloud side).

:class:`AwsDevices` serves the device ARNs of the driver's config as asynchronous devices
``braket.<name>`` through one ``AwsSession`` (boto3's usual credential chain, or one a test
builds):

- the device entry comes from ``AwsDevice`` (``GetDevice``: name, status, qubit count);
- ``start``: the bound AQO circuit as OpenQASM 3 (``OpenQASMProgram``) in a quantum task
  (``AwsQuantumTask.create`` → ``CreateQuantumTask``), results to ``s3://<bucket>/<prefix>``
  (config ``s3_bucket``/``s3_prefix``; default the SDK's own ``amazon-braket-<region>-<account>``
  bucket); the execution id ``braket:<task ARN>#<clbits>#<qubit:clbit,...>`` names the task,
  so ``await_`` re-attaches after a restart without resubmitting;
- ``await_``: polls ``GetQuantumTask`` with backoff (0.5 s doubling to 10 s) up to
  ``wait_seconds``; a COMPLETED task's ``results.json`` is read from S3 by the SDK and its
  counts normalised to our bit order;
- ``cancel``: ``CancelQuantumTask``.

AWS errors map to SPEC §13 (:func:`map_aws_error`): refused or expired credentials →
``DEVICE_AUTH_FAILED``; a program Braket rejects → INVALID_ARGUMENT; a task that FAILED →
FAILED_PRECONDITION ``VENDOR_TASK_FAILED`` with Braket's reason (not retried: a rerun would be
billed again); throttling, 5xx and network failures → UNAVAILABLE (retried by the kernel).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence
from typing import Any

from eigen_common.errors import (
    BackendUnavailableError,
    DeviceNotFoundError,
    DeviceOfflineError,
    EigenError,
    FailedPreconditionError,
    InvalidArgumentError,
    NotFoundError,
)
from eigen_driver_manager.base import (
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
from eigen_driver_manager.braket_program import normalise_counts, to_openqasm
from eigen_driver_manager.execution import DeviceAuthFailedError, ExecutionCancelledError

#: Poll interval bounds while waiting on a quantum task, in seconds.
POLL_FIRST = 0.5
POLL_MAX = 10.0
_AUTH_CODES = frozenset(
    {
        "UnrecognizedClientException",
        "AccessDeniedException",
        "ExpiredTokenException",
        "InvalidClientTokenId",
        "InvalidSignatureException",
    }
)
_AUTH_NAMES = frozenset({"NoCredentialsError", "PartialCredentialsError", "NoRegionError"})


class AwsDevices:
    """The configured Braket devices of one ``AwsSession`` as asynchronous Eigen OS devices.

    Args:
        session: a ``braket.aws.AwsSession``.
        arns: device ARNs to offer (``arn:aws:braket:...:device/...``).
        s3_folder: ``(bucket, key prefix)`` for task results; None = the SDK's default bucket.
        poll_first: first poll interval (s), doubling to :data:`POLL_MAX`.
    """

    def __init__(
        self,
        session: Any,
        arns: Sequence[str],
        *,
        s3_folder: tuple[str, str] | None = None,
        poll_first: float = POLL_FIRST,
    ):
        self._session = session
        self._s3_folder = s3_folder
        self._poll_first = poll_first
        self._devices: dict[str, tuple[Any, DeviceInfo]] = {}
        self._tasks: dict[str, Any] = {}
        self._lock = threading.Lock()
        self._stop = threading.Event()
        for arn in arns:
            self._devices[device_id_of(arn)] = self._device(arn)

    def _device(self, arn: str) -> tuple[Any, DeviceInfo]:
        from braket.aws import AwsDevice

        short = arn.rsplit("/", 1)[-1].lower()
        device_id = device_id_of(arn)
        try:
            dev = AwsDevice(arn, aws_session=self._session)
            info = DeviceInfo(
                device_id=device_id,
                name=f"Amazon Braket {dev.name}",
                backend_type="braket",
                status=DeviceStatus.ONLINE if dev.status == "ONLINE" else DeviceStatus.OFFLINE,
                max_qubits=int(getattr(dev.properties.paradigm, "qubitCount", 1)),
                targets=(f"braket:{short}",),
                capabilities={"arn": arn, "program": "OpenQASM 3", "provider": dev.provider_name},
                status_message="" if dev.status == "ONLINE" else f"Braket reports {dev.status}",
                asynchronous=True,
            )
            return dev, info
        except Exception as exc:
            err = map_aws_error(exc, device_id)
            info = DeviceInfo(
                device_id=device_id,
                name=f"Amazon Braket {short}",
                backend_type="braket",
                status=DeviceStatus.OFFLINE,
                max_qubits=1,
                targets=(f"braket:{short}",),
                status_message=f"{err.reason}: {err.message}",
                asynchronous=True,
            )
            return None, info

    def devices(self) -> list[DeviceInfo]:
        """The device entries, in config order."""
        return [info for _, info in self._devices.values()]

    def __contains__(self, device_id: object) -> bool:
        return device_id in self._devices

    def status(self, device_id: str) -> DeviceStatusReport:
        """The device's status, asked afresh (``GetDevice``).

        Raises:
            DeviceNotFoundError: unknown device.
            EigenError: the AWS failure, mapped by :func:`map_aws_error`.
        """
        dev, info = self._entry(device_id)
        if dev is None:
            return DeviceStatusReport(device_id, DeviceStatus.OFFLINE, message=info.status_message)
        try:
            dev.refresh_metadata()
        except Exception as exc:
            raise map_aws_error(exc, device_id) from None
        online = dev.status == "ONLINE"
        return DeviceStatusReport(
            device_id,
            DeviceStatus.ONLINE if online else DeviceStatus.OFFLINE,
            message=str(dev.status),
        )

    def start(self, item: ExecutionItem) -> StartedExecution:
        """Create a quantum task (OpenQASM 3) for ``item``; the id names the task ARN.

        Raises:
            DeviceOfflineError: the device is not ONLINE.
            FailedPreconditionError: ``CIRCUIT_TOO_LARGE``, ``DEVICE_AUTH_FAILED``.
            InvalidArgumentError: a circuit Braket cannot run or rejects.
            BackendUnavailableError: AWS cannot be reached.
        """
        from braket.aws import AwsQuantumTask
        from braket.ir.openqasm import Program

        dev, info = self._entry(item.device_id)
        if dev is None or info.status is not DeviceStatus.ONLINE:
            raise DeviceOfflineError(
                f"device {item.device_id!r} is OFFLINE: {info.status_message}",
                metadata={"subject": item.device_id},
            )
        check_width(item.circuit, info)
        bound = bind_parameters(item.circuit, item.parameter_values)
        source, pairs = to_openqasm(bound)
        try:
            folder = self._s3_folder or (self._session.default_bucket(), "tasks")
            task = AwsQuantumTask.create(
                self._session, dev.arn, Program(source=source), folder, item.shots
            )
        except Exception as exc:
            raise map_aws_error(exc, item.device_id) from None
        with self._lock:
            self._tasks[task.id] = task
        mapping = ",".join(f"{q}:{c}" for q, c in pairs)
        return StartedExecution(f"braket:{task.id}#{bound.clbits}#{mapping}", task.id)

    def await_(self, device_id: str, execution_id: str, wait_seconds: float) -> ExecutionProgress:
        """Poll the quantum task with backoff for up to ``wait_seconds``.

        Raises:
            NotFoundError: an execution id this driver did not make.
            ExecutionCancelledError: the task was cancelled.
            FailedPreconditionError: ``VENDOR_TASK_FAILED`` (Braket's reason), auth failures.
            BackendUnavailableError: AWS cannot be reached.
        """
        self._entry(device_id)
        arn, clbits, pairs = parse_execution_id(execution_id)
        task = self._task(arn)
        deadline, delay = time.monotonic() + wait_seconds, self._poll_first
        while True:
            try:
                state = str(task.state())
            except Exception as exc:
                raise map_aws_error(exc, device_id) from None
            if state in ("COMPLETED", "FAILED", "CANCELLED"):
                break
            left = deadline - time.monotonic()
            if left <= 0 or self._stop.wait(min(delay, left)):
                return ExecutionProgress(False, vendor_status=state, queue_position=_queue(task))
            delay = min(delay * 2, POLL_MAX)
        if state == "CANCELLED":
            raise ExecutionCancelledError(f"Braket task {arn} was cancelled")
        if state == "FAILED":
            reason = str(task.metadata(True).get("failureReason", "no reason given"))
            raise FailedPreconditionError(
                f"Braket task {arn} failed: {reason}",
                reason="VENDOR_TASK_FAILED",
                metadata={"subject": device_id, "vendor_job_id": arn},
            )
        try:
            result = task.result()
            counts = normalise_counts(
                result.measurement_counts, list(result.measured_qubits), pairs, clbits
            )
        except Exception as exc:
            raise map_aws_error(exc, device_id) from None
        meta = {
            "device_id": device_id,
            "vendor_job_id": arn,
            "shots": str(sum(counts.values())),
            "backend": str(result.task_metadata.deviceId),
        }
        return ExecutionProgress(True, ExecutionResult(counts, 0.0, meta), vendor_status=state)

    def cancel(self, device_id: str, execution_id: str) -> bool:
        """Cancel the quantum task (``CancelQuantumTask``); False for ids not of this driver."""
        if not execution_id.startswith("braket:"):
            return False
        try:
            arn = parse_execution_id(execution_id)[0]
        except NotFoundError:
            return False
        try:
            self._task(arn).cancel()
        except Exception as exc:
            raise map_aws_error(exc, device_id) from None
        return True

    def close(self) -> None:
        """Stop waits in progress."""
        self._stop.set()

    def _task(self, arn: str) -> Any:
        from braket.aws import AwsQuantumTask

        with self._lock:
            task = self._tasks.get(arn)
        if task is None:  # re-attach (e.g. after a restart): the task ARN names it
            task = AwsQuantumTask(arn, aws_session=self._session)
            with self._lock:
                self._tasks[arn] = task
        return task

    def _entry(self, device_id: str) -> tuple[Any, DeviceInfo]:
        entry = self._devices.get(device_id)
        if entry is None:
            raise DeviceNotFoundError(f"no braket device {device_id!r}")
        return entry


def device_id_of(arn: str) -> str:
    """``arn:aws:braket:::device/quantum-simulator/amazon/sv1`` → ``braket.sv1``."""
    return f"braket.{arn.rsplit('/', 1)[-1].lower()}"


def _queue(task: Any) -> int | None:
    try:
        pos = task.queue_position().queue_position
    except Exception:
        return None
    return int(pos) if isinstance(pos, str) and pos.isdigit() else None


def parse_execution_id(execution_id: str) -> tuple[str, int, list[tuple[int, int]]]:
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


def map_aws_error(exc: Exception, device_id: str) -> EigenError:
    """Botocore / Braket failures as the seed's statuses (SPEC §13), credentials-free."""
    if isinstance(exc, EigenError):
        return exc
    code = ""
    response = getattr(exc, "response", None)
    if isinstance(response, dict):
        code = str(response.get("Error", {}).get("Code", ""))
    name = type(exc).__name__
    if code in _AUTH_CODES or name in _AUTH_NAMES:
        return DeviceAuthFailedError(
            f"AWS refused the credentials for {device_id!r} ({code or name})",
            metadata={"subject": device_id},
        )
    if code == "ValidationException":
        message = str(response.get("Error", {}).get("Message", "")) if response else ""
        return InvalidArgumentError(
            f"Braket rejected the program for {device_id!r}: {message[:300]}",
            reason="VENDOR_REJECTED_PROGRAM",
        )
    if code == "ResourceNotFoundException":
        return NotFoundError(f"Braket does not know it ({device_id!r}): {code}")
    return BackendUnavailableError(
        f"Amazon Braket is unavailable for {device_id!r}: {code or name}"
    )
