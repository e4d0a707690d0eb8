"""``eigen.compiler.v1.CompilationService``: proto ↔ domain; compile work runs in the backend.

No error mapping here: typed errors raised by the backend are turned into statuses by the
server interceptor (``eigen_common.server``).
"""

from __future__ import annotations

from typing import Any

import grpc

from eigen.compiler.v1 import compiler_pb2, compiler_pb2_grpc
from eigen_common.logs import get_logger
from eigen_compiler import convert
from eigen_compiler.service import CompileService

log = get_logger("eigen.compiler")
Context = grpc.aio.ServicerContext[Any, Any]


class CompilationServicer(compiler_pb2_grpc.CompilationServiceServicer):
    """Serves CompileCircuit, OptimizeCircuit and ValidateCircuit with one backend."""

    def __init__(self, backend: CompileService) -> None:
        self._backend = backend

    async def CompileCircuit(
        self, request: compiler_pb2.CompileCircuitRequest, context: Context
    ) -> compiler_pb2.CompileCircuitResponse:
        """Compile to canonical AQO; a program that does not compile → COMPILATION_FAILED."""
        req = convert.compile_request(request)
        result = await self._backend.compile(req)
        log.info(
            "compiled",
            job_id=req.job_id,
            language=result.metrics["language"],
            aqo_sha256=result.aqo_sha256,
            compile_ms=result.metrics["compile_ms"],
        )
        return convert.compile_response(result)

    async def OptimizeCircuit(
        self, request: compiler_pb2.OptimizeCircuitRequest, context: Context
    ) -> compiler_pb2.OptimizeCircuitResponse:
        """Re-optimise an AQO circuit at ``optimization_level``."""
        data = convert.aqo_bytes(request.payload, "payload")
        result = await self._backend.optimize(data, request.optimization_level, request.target)
        return convert.optimize_response(result)

    async def ValidateCircuit(
        self, request: compiler_pb2.ValidateCircuitRequest, context: Context
    ) -> compiler_pb2.ValidateCircuitResponse:
        """Check a program; findings are returned as data, not as an error status."""
        req = convert.validate_request(request)
        report = await self._backend.validate(req)
        return convert.validate_response(report)
