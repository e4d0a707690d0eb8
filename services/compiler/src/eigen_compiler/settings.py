"""Compiler settings (env prefix ``EIGEN_COMPILER_``), parsed once in ``__main__``."""

from __future__ import annotations

from typing import ClassVar

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from eigen_common.settings import ServiceSettings
from eigen_compiler.model import KIB, MIB, Limits


class CompilerSettings(ServiceSettings):
    """Settings of the compiler service; sizes in bytes.

    ``max_qasm3_bytes`` caps OpenQASM 3 below ``max_qasm_bytes`` because its parser needs ~1 s
    per 45 KiB. ``seed_transpiler`` fixes the stochastic passes (determinism invariant).
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
    default_optimization_level: int = Field(default=1, ge=0, le=3)
    seed_transpiler: int = Field(default=20_240_601, ge=0)

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
        )
