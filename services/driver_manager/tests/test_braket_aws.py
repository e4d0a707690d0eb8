"""The Braket driver's AWS path: ``AwsDevice``/``AwsQuantumTask`` of amazon-braket-sdk run
unchanged against botocore's ``Stubber`` on the Braket client (GetDevice, CreateQuantumTask,
GetQuantumTask, CancelQuantumTask; botocore checks every stubbed request and response against
the service's own model) and moto's in-memory S3, where the task's ``results.json`` lies as
Braket writes it (a ``GateModelTaskResult`` made by Braket's own simulator).

Covered: the device entry, task creation (OpenQASM 3 program, shots, S3 folder), polling through
QUEUED (queue position) → RUNNING → COMPLETED, the result read from S3 and normalised to our bit
order, re-attach after a restart without a second CreateQuantumTask, cancel, and the errors:
refused and expired credentials (DEVICE_AUTH_FAILED), a rejected program, throttling/5xx
(UNAVAILABLE), a FAILED task (VENDOR_TASK_FAILED with Braket's reason), an unknown device.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import boto3
import pytest
from botocore.stub import ANY, Stubber
from moto import mock_aws

from eigen_common.errors import (
    BackendUnavailableError,
    FailedPreconditionError,
    InvalidArgumentError,
)
from eigen_driver_manager.base import DeviceStatus, ExecutionItem
from eigen_driver_manager.braket_program import to_openqasm
from eigen_driver_manager.execution import DeviceAuthFailedError, ExecutionCancelledError
from eigen_driver_manager.plugins.braket_driver import BraketDriver
from eigen_driver_manager.testing import aqo_circuit

SV1 = "arn:aws:braket:::device/quantum-simulator/amazon/sv1"
DEVICE = "braket.sv1"
REGION = "us-east-1"
BUCKET = "amazon-braket-eigen-results"
PREFIX = "eigen-tasks"
TASK = f"arn:aws:braket:{REGION}:123456789012:quantum-task/5b0f4c1e-2d3a-4e5f-8a9b-0c1d2e3f4a5b"
# qubit 0 → clbit 1, qubit 1 → clbit 0: the normalisation must swap them back
CIRCUIT = aqo_circuit(
    2,
    2,
    [
        {"op": "X", "q": [0]},
        {"op": "H", "q": [1]},
        {"op": "MEASURE", "q": [0, 1], "c": [1, 0]},
    ],
)


def _capabilities() -> str:
    """SV1's GetDevice ``deviceCapabilities``: Braket's simulator capabilities schema."""
    from braket.devices import LocalSimulator

    caps = json.loads(LocalSimulator().properties.json())
    caps["paradigm"]["qubitCount"] = 34
    return json.dumps(caps)


def _device(status: str = "ONLINE") -> dict[str, Any]:
    return {
        "deviceArn": SV1,
        "deviceName": "SV1",
        "providerName": "Amazon Braket",
        "deviceType": "SIMULATOR",
        "deviceStatus": status,
        "deviceCapabilities": _capabilities(),
        "deviceQueueInfo": [{"queue": "QUANTUM_TASKS_QUEUE", "queueSize": "3"}],
    }


def _task(status: str, **extra: Any) -> dict[str, Any]:
    """GetQuantumTask's answer (the fields of the service model)."""
    out: dict[str, Any] = {
        "quantumTaskArn": TASK,
        "status": status,
        "deviceArn": SV1,
        "deviceParameters": "{}",
        "shots": 200,
        "outputS3Bucket": BUCKET,
        "outputS3Directory": f"{PREFIX}/{TASK.rsplit('/', 1)[-1]}",
        "createdAt": datetime(2026, 12, 6, 10, 0, tzinfo=UTC),
        "actionMetadata": {"actionType": "braket.ir.openqasm.program", "programCount": 1},
    }
    if status == "QUEUED":
        out["queueInfo"] = {"queue": "QUANTUM_TASKS_QUEUE", "position": "2"}
    out.update(extra)
    return out


def _results_json(source: str, shots: int) -> str:
    """``results.json`` as Braket writes it: Braket's simulator run of the program."""
    from braket.default_simulator import StateVectorSimulator
    from braket.ir.openqasm import Program

    result = StateVectorSimulator().run_openqasm(Program(source=source), shots=shots)
    result.taskMetadata.id = TASK
    result.taskMetadata.deviceId = SV1
    return str(result.json())


GET_TASK = {"quantumTaskArn": TASK, "additionalAttributeNames": ["QueueInfo"]}


class Aws:
    """moto's S3 and a stubbed Braket client in one boto3 session."""

    def __init__(self) -> None:
        self.boto = boto3.Session(
            aws_access_key_id="AKIAIOSFODNN7EXAMPLE",
            aws_secret_access_key="wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
            region_name=REGION,
        )
        self.boto.client("s3").create_bucket(Bucket=BUCKET)
        self.braket = self.boto.client("braket", region_name=REGION)
        self.stub = Stubber(self.braket)
        self.sent: list[dict[str, Any]] = []
        self.braket.meta.events.register(
            "provide-client-params.braket.CreateQuantumTask",
            lambda params, **_: self.sent.append(dict(params)),
        )

    def session(self) -> Any:
        from braket.aws import AwsSession

        return AwsSession(boto_session=self.boto, braket_client=self.braket)

    def write_results(self, body: str) -> None:
        key = f"{PREFIX}/{TASK.rsplit('/', 1)[-1]}/results.json"
        self.boto.client("s3").put_object(Bucket=BUCKET, Key=key, Body=body.encode())


@pytest.fixture
def aws() -> Iterator[Aws]:
    with mock_aws():
        a = Aws()
        a.stub.activate()
        yield a
        a.stub.deactivate()


def _driver(aws: Aws) -> BraketDriver:
    drv = BraketDriver()
    drv.initialize(
        {
            "devices": "braket.local",
            "s3_bucket": BUCKET,
            "s3_prefix": PREFIX,
            "poll_seconds": "0.01",
        }
    )
    aws.stub.add_response("get_device", _device(), {"deviceArn": SV1})
    drv.use_aws_session(aws.session(), [SV1])
    return drv


def _create(aws: Aws, shots: int = 200) -> None:
    aws.stub.add_response(
        "create_quantum_task",
        {"quantumTaskArn": TASK},
        {
            "deviceArn": SV1,
            "outputS3Bucket": BUCKET,
            "outputS3KeyPrefix": PREFIX,
            "shots": shots,
            "action": ANY,
        },
    )


def test_an_aws_device_runs_a_task_through_the_queue(aws: Aws) -> None:
    drv = _driver(aws)
    devices = {d.device_id: d for d in drv.get_devices()}
    dev = devices[DEVICE]
    assert dev.asynchronous and dev.status is DeviceStatus.ONLINE and dev.max_qubits == 34
    assert dev.targets == ("braket:sv1",) and dev.capabilities["arn"] == SV1

    _create(aws)
    started = drv.start_execution(ExecutionItem("job-1", DEVICE, CIRCUIT, 200))
    assert started.vendor_job_id == TASK and started.execution_id.startswith(f"braket:{TASK}#")
    (sent,) = aws.sent
    action = json.loads(sent["action"])
    assert action["source"] == to_openqasm(CIRCUIT)[0] and sent["shots"] == 200

    aws.stub.add_response("get_quantum_task", _task("QUEUED"), GET_TASK)
    aws.stub.add_response("get_quantum_task", _task("QUEUED"), GET_TASK)
    queued = drv.await_execution(DEVICE, started.execution_id, 0)
    assert not queued.done and queued.vendor_status == "QUEUED"

    aws.write_results(_results_json(to_openqasm(CIRCUIT)[0], 200))
    aws.stub.add_response("get_quantum_task", _task("RUNNING"), GET_TASK)
    for _ in range(3):  # the SDK asks again when it fetches the result
        aws.stub.add_response("get_quantum_task", _task("COMPLETED"), GET_TASK)
    done = drv.await_execution(DEVICE, started.execution_id, 30)
    assert done.done and done.result is not None
    counts = done.result.counts
    # qubit 0 (always 1) is clbit 1, qubit 1 (H) is clbit 0: keys "10" and "11"
    assert set(counts) <= {"10", "11"} and sum(counts.values()) == 200
    assert min(counts.values()) > 50
    assert done.result.metadata["vendor_job_id"] == TASK


def test_a_restart_reattaches_without_creating_the_task_again(aws: Aws) -> None:
    drv = _driver(aws)
    _create(aws)
    started = drv.start_execution(ExecutionItem("job-2", DEVICE, CIRCUIT, 200))
    aws.write_results(_results_json(to_openqasm(CIRCUIT)[0], 200))
    restarted = _driver(aws)
    for _ in range(3):
        aws.stub.add_response("get_quantum_task", _task("COMPLETED"), GET_TASK)
    done = restarted.await_execution(DEVICE, started.execution_id, 30)
    assert done.done and done.result is not None and sum(done.result.counts.values()) == 200
    assert len(aws.sent) == 1  # a second CreateQuantumTask would also fail the Stubber's order


def test_cancel_and_a_cancelled_task(aws: Aws) -> None:
    drv = _driver(aws)
    _create(aws)
    started = drv.start_execution(ExecutionItem("job-3", DEVICE, CIRCUIT, 200))
    aws.stub.add_response(
        "cancel_quantum_task",
        {"quantumTaskArn": TASK, "cancellationStatus": "CANCELLING"},
        {"quantumTaskArn": TASK},
    )
    assert drv.cancel_execution(DEVICE, "job-3", started.execution_id) is True
    aws.stub.add_response("get_quantum_task", _task("CANCELLED"), GET_TASK)
    with pytest.raises(ExecutionCancelledError):
        drv.await_execution(DEVICE, started.execution_id, 5)
    assert drv.cancel_execution(DEVICE, "job-3", "not-a-braket-id") is False


def test_a_failed_task_reports_brakets_reason_and_is_not_retried(aws: Aws) -> None:
    drv = _driver(aws)
    _create(aws)
    started = drv.start_execution(ExecutionItem("job-4", DEVICE, CIRCUIT, 200))
    failed = _task("FAILED", failureReason="Device sv1 is unable to run more than 34 qubits")
    aws.stub.add_response("get_quantum_task", failed, GET_TASK)
    aws.stub.add_response("get_quantum_task", failed, GET_TASK)
    with pytest.raises(FailedPreconditionError) as exc:
        drv.await_execution(DEVICE, started.execution_id, 5)
    assert exc.value.reason == "VENDOR_TASK_FAILED" and "34 qubits" in exc.value.message


@pytest.mark.parametrize(
    ("operation", "code", "status", "error"),
    [
        ("create_quantum_task", "AccessDeniedException", 403, DeviceAuthFailedError),
        ("create_quantum_task", "ValidationException", 400, InvalidArgumentError),
        ("create_quantum_task", "ThrottlingException", 429, BackendUnavailableError),
        ("create_quantum_task", "InternalServiceException", 500, BackendUnavailableError),
        ("get_quantum_task", "ExpiredTokenException", 400, DeviceAuthFailedError),
    ],
)
def test_aws_errors_map_to_the_seed_statuses(
    aws: Aws, operation: str, code: str, status: int, error: type[Exception]
) -> None:
    drv = _driver(aws)
    if operation == "get_quantum_task":
        _create(aws)
        started = drv.start_execution(ExecutionItem("job-5", DEVICE, CIRCUIT, 200))
    aws.stub.add_client_error(
        operation,
        service_error_code=code,
        service_message=f"{code} (recorded)",
        http_status_code=status,
    )
    with pytest.raises(error) as exc:
        if operation == "get_quantum_task":
            drv.await_execution(DEVICE, started.execution_id, 5)
        else:
            drv.start_execution(ExecutionItem("job-5", DEVICE, CIRCUIT, 200))
    assert "AKIA" not in str(exc.value)


def test_an_unreachable_device_is_offline_with_the_reason(aws: Aws) -> None:
    drv = BraketDriver()
    drv.initialize({"devices": "braket.local"})
    aws.stub.add_client_error(
        "get_device", service_error_code="AccessDeniedException", http_status_code=403
    )
    drv.use_aws_session(aws.session(), [SV1])
    dev = {d.device_id: d for d in drv.get_devices()}[DEVICE]
    assert dev.status is DeviceStatus.OFFLINE and "DEVICE_AUTH_FAILED" in dev.status_message
    report = drv.get_device_status(DEVICE)
    assert report.status is DeviceStatus.OFFLINE
    with pytest.raises(Exception) as exc:
        drv.start_execution(ExecutionItem("job-6", DEVICE, CIRCUIT, 10))
    assert getattr(exc.value, "reason", "") == "DEVICE_OFFLINE"
