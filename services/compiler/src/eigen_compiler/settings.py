"""Compiler settings (env prefix ``EIGEN_COMPILER_``), parsed once in ``__main__``."""

from __future__ import annotations

from typing import ClassVar

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from eigen_common.settings import ServiceSettings
from eigen_compiler.model import KIB, MIB, RESPONSE_OVERHEAD, Limits
from eigen_compiler.sandbox.protocol import WorkerConfig


class CompilerSettings(ServiceSettings):
    """Settings of the compiler service; sizes in bytes.

    ``max_qasm3_bytes`` caps OpenQASM 3 below ``max_qasm_bytes`` because its parser needs ~1 s
    per 45 KiB, and ``max_qasm3_expanded_gates`` bounds the gate applications its importer
    performs when it expands custom gates. ``seed_transpiler`` fixes the stochastic passes
    (determinism invariant). The compiled AQO of a response is bounded by
    ``max_message_bytes`` (less 64 KiB for the rest of the response).

    Every compilation runs in one of ``sandbox_workers`` worker processes, with
    ``sandbox_memory_mib`` MiB of memory on top of the warm worker's own (``RLIMIT_AS``) and
    ``sandbox_seconds`` of CPU and wall time; a call waits at most ``sandbox_queue_seconds`` for
    an idle worker (then UNAVAILABLE, retryable).
    """

    model_config = SettingsConfigDict(env_prefix="EIGEN_COMPILER_")

    service_name: ClassVar[str] = "compiler"

    port: int = Field(default=50053, ge=0, le=65535)
    metrics_port: int = Field(default=9103, ge=0, le=65535)
    max_source_bytes: int = Field(default=256 * KIB, ge=1)
    max_qasm_bytes: int = Field(default=4 * MIB, ge=1)
    max_qasm3_bytes: int = Field(default=256 * KIB, ge=1)
    max_qubits: int = Field(default=1024, ge=1)
    max_operations: int = Field(default=1_000_000, ge=1)
    max_ast_nodes: int = Field(default=50_000, ge=1)
    max_nesting_depth: int = Field(default=100, ge=1)
    max_qasm3_expanded_gates: int = Field(default=50_000, ge=1)
    max_sequence_elements: int = Field(default=10_000_000, ge=1)
    default_optimization_level: int = Field(default=1, ge=0, le=3)
    seed_transpiler: int = Field(default=20_240_601, ge=0)
    sandbox_workers: int = Field(default=2, ge=1, le=64)
    sandbox_memory_mib: int = Field(default=2048, ge=64)
    sandbox_seconds: float = Field(default=30.0, gt=0)
    sandbox_queue_seconds: float = Field(default=20.0, gt=0)

    def limits(self) -> Limits:
        """The domain :class:`Limits` of these settings."""
        return Limits(
            max_source_bytes=self.max_source_bytes,
            max_qasm_bytes=self.max_qasm_bytes,
            max_qasm3_bytes=self.max_qasm3_bytes,
            max_qubits=self.max_qubits,
            max_operations=self.max_operations,
            max_ast_nodes=self.max_ast_nodes,
            max_nesting_depth=self.max_nesting_depth,
            max_qasm3_expanded_gates=self.max_qasm3_expanded_gates,
            max_sequence_elements=self.max_sequence_elements,
            max_result_bytes=max(self.max_message_bytes - RESPONSE_OVERHEAD, 1),
        )

    def worker_config(self) -> WorkerConfig:
        """What each sandbox worker builds and its budget."""
        return WorkerConfig(
            limits=self.limits(),
            seed_transpiler=self.seed_transpiler,
            default_level=self.default_optimization_level,
            memory_mib=self.sandbox_memory_mib,
            cpu_seconds=self.sandbox_seconds,
            service=self.service_name,
            log_level=self.log_level,
            log_json=self.log_json,
        )
