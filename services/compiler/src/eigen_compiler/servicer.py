"""``eigen.compiler.v1.CompilationService``: proto ↔ domain, compile work off the event loop.

No error mapping here: typed errors raised by the domain are turned into statuses by the
server interceptor (``eigen_common.server``).
"""

from __future__ import annotations

import asyncio
from typing import Any

import grpc

from eigen.compiler.v1 import compiler_pb2, compiler_pb2_grpc
from eigen_common.logs import get_logger
from eigen_compiler import convert
from eigen_compiler.pipeline import Compiler

log = get_logger("eigen.compiler")
Context = grpc.aio.ServicerContext[Any, Any]


class CompilationServicer(compiler_pb2_grpc.CompilationServiceServicer):
    """Serves CompileCircuit, OptimizeCircuit and ValidateCircuit with one :class:`Compiler`."""

    def __init__(self, compiler: Compiler) -> None:
        self._compiler = compiler

    async def CompileCircuit(
        self, request: compiler_pb2.CompileCircuitRequest, context: Context
    ) -> compiler_pb2.CompileCircuitResponse:
        """Compile to canonical AQO; a program that does not compile → COMPILATION_FAILED."""
        req = convert.compile_request(request)
        result = await asyncio.to_thread(self._compiler.compile, req)
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
        result = await asyncio.to_thread(
            self._compiler.optimize, data, request.optimization_level, request.target
        )
        return convert.optimize_response(result)

    async def ValidateCircuit(
        self, request: compiler_pb2.ValidateCircuitRequest, context: Context
    ) -> compiler_pb2.ValidateCircuitResponse:
        """Check a program; findings are returned as data, not as an error status."""
        req = convert.validate_request(request)
        report = await asyncio.to_thread(self._compiler.validate, req)
        return convert.validate_response(report)
