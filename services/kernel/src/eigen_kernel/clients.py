"""gRPC adapters for the kernel's ports: compiler and driver-manager clients.

Every call carries a deadline and the current trace/auth metadata; failures come back as typed
:mod:`eigen_common.errors` (UNAVAILABLE → ``ServiceUnavailableError``, retried by the pipeline).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence

import grpc

from eigen.api.v1 import common_pb2
from eigen.common.v1 import circuit_pb2
from eigen.compiler.v1 import compiler_pb2, compiler_pb2_grpc
from eigen.driver.v1 import driver_pb2, driver_pb2_grpc
from eigen_common.channel import create_channel
from eigen_common.context import outgoing_metadata
from eigen_common.device_proto import device_from_proto, device_to_proto
from eigen_common.devices import Device
from eigen_common.status import from_rpc_error
from eigen_kernel.batching import ExecutionBatcher
from eigen_kernel.domain import (
    CompiledProgram,
    EstimateOutcome,
    ExecutionOutcome,
    IsaCircuit,
    Submission,
    VendorProgress,
)


class GrpcCompiler:
    """:class:`eigen_kernel.ports.CompilerPort` over ``eigen.compiler.v1.CompilationService``."""

    def __init__(self, address: str, max_message_bytes: int):
        self._channel = create_channel(address, max_message_bytes)
        self._stub = compiler_pb2_grpc.CompilationServiceStub(self._channel)

    async def close(self) -> None:
        """Close the channel."""
        await self._channel.close(None)

    async def compile(
        self, job_id: str, submission: Submission, device: Device | None, timeout: float
    ) -> CompiledProgram:
        """Compile a submission's program (see the port)."""
        req = compiler_pb2.CompileCircuitRequest(
            target=submission.target,
            options=submission.compiler_options,
            job_id=job_id,
            inputs=submission.inputs,
        )
        if device is not None:
            req.device.CopyFrom(device_to_proto(device))
        if submission.language == "eigen-lang":
            req.eigen_lang.CopyFrom(
                common_pb2.EigenLangSource(
                    source=submission.source, entrypoint=submission.entrypoint
                )
            )
        else:
            req.qasm.CopyFrom(
                common_pb2.QasmSource(source=submission.source, version=submission.qasm_version)
            )
        try:
            resp = await self._stub.CompileCircuit(
                req, timeout=timeout, metadata=outgoing_metadata(job_id)
            )
        except grpc.RpcError as exc:
            raise from_rpc_error(exc) from None
        md = resp.metadata
        metrics = dict(md.metrics)
        metrics.update(
            logical_qubits=str(md.logical_qubits),
            depth=str(md.depth),
            gate_count=str(md.gate_count),
        )
        return CompiledProgram(
            resp.payload.data,
            md.aqo_sha256,
            metrics,
            resp.hybrid_plan_json,
            _aqo_parameters(resp.payload.data),
        )


class GrpcDriverManager:
    """:class:`eigen_kernel.ports.DriverPort` over ``eigen.driver.v1.DriverManagerService``."""

    def __init__(self, address: str, max_message_bytes: int):
        self._channel = create_channel(address, max_message_bytes)
        self._stub = driver_pb2_grpc.DriverManagerServiceStub(self._channel)
        self.batcher = ExecutionBatcher(self._execute_one, self._execute_batch)
        self._known: dict[bytes, Device] = {}  # a device's wire bytes → its model (last list)

    async def close(self) -> None:
        """Close the channel."""
        await self._channel.close(None)

    async def _execute_one(
        self, req: driver_pb2.ExecuteCircuitRequest, timeout: float
    ) -> driver_pb2.ExecuteCircuitResponse:
        resp: driver_pb2.ExecuteCircuitResponse = await self._stub.ExecuteCircuit(
            req, timeout=timeout, metadata=outgoing_metadata(req.job_id)
        )
        return resp

    async def _execute_batch(
        self,
        req: driver_pb2.ExecuteCircuitBatchRequest,
        timeout: float,
        metadata: list[tuple[str, str]],
    ) -> driver_pb2.ExecuteCircuitBatchResponse:
        resp: driver_pb2.ExecuteCircuitBatchResponse = await self._stub.ExecuteCircuitBatch(
            req, timeout=timeout, metadata=metadata
        )
        return resp

    async def list_devices(self, timeout: float) -> list[Device]:
        """All devices (see the port)."""
        try:
            resp = await self._stub.ListDevices(
                driver_pb2.ListDevicesRequest(), timeout=timeout, metadata=outgoing_metadata()
            )
        except grpc.RpcError as exc:
            raise from_rpc_error(exc) from None
        # A calibrated device is thousands of fields; most refreshes change none of them, so a
        # device whose bytes are unchanged keeps its model (converting 10 devices cost ~40 ms).
        known, self._known = self._known, {}
        out = []
        for d in resp.devices:
            wire = d.SerializeToString(deterministic=True)
            device = known.get(wire) or device_from_proto(d)
            self._known[wire] = device
            out.append(device)
        return out

    async def execute(
        self,
        job_id: str,
        device_id: str,
        aqo_json: bytes,
        shots: int,
        seed: int | None,
        options: Mapping[str, str],
        parameter_values: Mapping[str, float],
        timeout: float,
        *,
        bindings: Sequence[Mapping[str, float]] = (),
        save_state: str = "",
    ) -> ExecutionOutcome:
        """Run a circuit, once or once per binding (see the port).

        A plain run (no sweep, no saved state) goes through :attr:`batcher`: runs of the same
        device made in the same loop turn travel as one ExecuteCircuitBatch.
        """
        req = self._request(
            job_id, device_id, aqo_json, shots, seed, options, parameter_values, bindings,
            save_state,
        )  # fmt: skip
        try:
            if bindings or save_state:
                resp = await self._execute_one(req, timeout)
            else:
                resp = await self.batcher.execute(req, timeout)
        except grpc.RpcError as exc:
            raise from_rpc_error(exc) from None
        return ExecutionOutcome(
            dict(resp.counts),
            resp.execution_time_sec,
            dict(resp.metadata),
            tuple(dict(s.counts) for s in resp.sweep_results),
            bytes(resp.saved_state),
        )

    def _request(
        self,
        job_id: str,
        device_id: str,
        aqo_json: bytes,
        shots: int,
        seed: int | None,
        options: Mapping[str, str],
        parameter_values: Mapping[str, float],
        bindings: Sequence[Mapping[str, float]],
        save_state: str,
    ) -> driver_pb2.ExecuteCircuitRequest:
        req = driver_pb2.ExecuteCircuitRequest(
            job_id=job_id,
            device_id=device_id,
            payload=circuit_pb2.CircuitPayload(
                format=circuit_pb2.CircuitPayload.FORMAT_AQO_JSON, data=aqo_json
            ),
            shots=shots,
            options=dict(options),
            parameter_values=dict(parameter_values),
            bindings=[driver_pb2.ParameterBinding(values=dict(b)) for b in bindings],
            save_state=save_state,
        )
        if seed is not None:
            req.seed = seed
        return req

    async def start(
        self,
        job_id: str,
        device_id: str,
        aqo_json: bytes,
        shots: int,
        seed: int | None,
        parameter_values: Mapping[str, float],
        timeout: float,
        *,
        bindings: Sequence[Mapping[str, float]] = (),
    ) -> tuple[str, str]:
        """Submit to an asynchronous device (see the port)."""
        req = self._request(
            job_id, device_id, aqo_json, shots, seed, {}, parameter_values, bindings, ""
        )
        try:
            resp = await self._stub.StartExecution(
                driver_pb2.StartExecutionRequest(execution=req),
                timeout=timeout,
                metadata=outgoing_metadata(job_id),
            )
        except grpc.RpcError as exc:
            raise from_rpc_error(exc) from None
        return str(resp.execution_id), str(resp.vendor_job_id)

    async def wait(
        self, job_id: str, device_id: str, execution_id: str, wait_seconds: float
    ) -> VendorProgress:
        """Long-poll a started execution (see the port)."""
        try:
            resp = await self._stub.AwaitExecution(
                driver_pb2.AwaitExecutionRequest(
                    device_id=device_id,
                    execution_id=execution_id,
                    wait_seconds=wait_seconds,
                    job_id=job_id,
                ),
                timeout=wait_seconds + 30.0,
                metadata=outgoing_metadata(job_id),
            )
        except grpc.RpcError as exc:
            raise from_rpc_error(exc) from None
        outcome = None
        if resp.done:
            r = resp.result
            outcome = ExecutionOutcome(
                dict(r.counts),
                r.execution_time_sec,
                dict(r.metadata),
                tuple(dict(s.counts) for s in r.sweep_results),
                bytes(r.saved_state),
            )
        return VendorProgress(
            bool(resp.done),
            outcome,
            str(resp.vendor_status),
            resp.vendor_queue_position if resp.HasField("vendor_queue_position") else None,
        )

    async def cancel(self, job_id: str, device_id: str, execution_id: str = "") -> bool:
        """Tell the driver-manager to abandon a job's execution (see the port)."""
        try:
            resp = await self._stub.CancelExecution(
                driver_pb2.CancelExecutionRequest(
                    job_id=job_id, device_id=device_id, execution_id=execution_id
                ),
                timeout=5.0,
                metadata=outgoing_metadata(job_id),
            )
        except grpc.RpcError as exc:
            raise from_rpc_error(exc) from None
        return bool(resp.cancelled)

    async def estimate(
        self,
        job_id: str,
        device_id: str,
        aqo_json: bytes,
        observable: Sequence[tuple[str, float]],
        bindings: Sequence[Mapping[str, float]],
        shots: int | None,
        seed: int | None,
        timeout: float,
    ) -> EstimateOutcome:
        """Expectation values for a batch of bindings (see the port)."""
        req = driver_pb2.EstimateExpectationValuesRequest(
            job_id=job_id,
            device_id=device_id,
            payload=circuit_pb2.CircuitPayload(
                format=circuit_pb2.CircuitPayload.FORMAT_AQO_JSON, data=aqo_json
            ),
            observable=[circuit_pb2.PauliTerm(label=lab, coefficient=c) for lab, c in observable],
            bindings=[driver_pb2.ParameterBinding(values=dict(b)) for b in bindings],
        )
        if shots is not None:
            req.shots = shots
        if seed is not None:
            req.seed = seed
        try:
            resp = await self._stub.EstimateExpectationValues(
                req, timeout=timeout, metadata=outgoing_metadata(job_id)
            )
        except grpc.RpcError as exc:
            raise from_rpc_error(exc) from None
        return EstimateOutcome(
            [v.value for v in resp.values],
            [v.std_error for v in resp.values],
            resp.execution_time_sec,
            dict(resp.metadata),
        )

    async def transpile(self, device_id: str, aqo_json: bytes, timeout: float) -> IsaCircuit:
        """The circuit as the device runs it (see the port)."""
        req = driver_pb2.TranspileCircuitRequest(
            device_id=device_id,
            payload=circuit_pb2.CircuitPayload(
                format=circuit_pb2.CircuitPayload.FORMAT_AQO_JSON, data=aqo_json
            ),
        )
        try:
            resp = await self._stub.TranspileCircuit(
                req, timeout=timeout, metadata=outgoing_metadata()
            )
        except grpc.RpcError as exc:
            raise from_rpc_error(exc) from None
        return IsaCircuit(
            resp.device_id,
            bytes(resp.payload.data),
            tuple(resp.initial_layout),
            tuple(resp.final_layout),
            resp.depth,
            resp.two_qubit_gates,
            dict(resp.gate_counts),
            tuple(resp.active_qubits),
            dict(resp.metadata),
        )


def _aqo_parameters(aqo_json: bytes) -> tuple[str, ...]:
    """The ``parameters`` list of an AQO document (empty if absent or unreadable)."""
    try:
        params = json.loads(aqo_json).get("parameters", [])
    except (ValueError, AttributeError):
        return ()
    return tuple(p for p in params if isinstance(p, str))
