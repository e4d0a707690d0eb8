from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc

from eigen.api.v1 import common_pb2
from eigen.common.v1 import circuit_pb2
from eigen.compiler.v1 import compiler_pb2, compiler_pb2_grpc
from eigen_common.errors import (
    CompilationFailedError,
    InvalidOptionError,
    UnsupportedFormatError,
    ValidationError,
)
from eigen_common.status import from_rpc_error
from eigen_common.testing import start_test_server
from eigen_compiler.app import binding
from eigen_compiler.pipeline import Compiler
from eigen_compiler.service import InProcess
from eigen_ir import aqo

BELL = (
    "from eigen_lang import QubitRegister, cx, h, hybrid_program, measure_all\n"
    "@hybrid_program(shots=100)\n"
    "def bell():\n"
    "    q = QubitRegister(2)\n"
    "    h(q[0])\n"
    "    cx(q[0], q[1])\n"
    "    measure_all(q)\n"
)
AQO = circuit_pb2.CircuitPayload.FORMAT_AQO_JSON


@pytest.fixture
async def channel(compiler: Compiler) -> AsyncIterator[grpc.aio.Channel]:
    running = await start_test_server("compiler", [binding(InProcess(compiler))])
    chan = grpc.aio.insecure_channel(f"127.0.0.1:{running.port}")
    try:
        yield chan
    finally:
        await chan.close()
        await running.stop(0)


@pytest.fixture
def stub(channel: grpc.aio.Channel) -> compiler_pb2_grpc.CompilationServiceStub:
    return compiler_pb2_grpc.CompilationServiceStub(channel)


async def test_compile_circuit(stub: compiler_pb2_grpc.CompilationServiceStub) -> None:
    request = compiler_pb2.CompileCircuitRequest(
        eigen_lang=common_pb2.EigenLangSource(source=BELL), target="sim:local", job_id="j1"
    )
    response = await stub.CompileCircuit(request, timeout=30)
    assert response.payload.format == AQO
    circuit = aqo.parse(response.payload.data)
    assert [o.op for o in circuit.operations] == ["H", "CX", "MEASURE", "MEASURE"]
    meta = response.metadata
    assert (meta.logical_qubits, meta.depth, meta.gate_count) == (2, 3, 2)
    assert meta.aqo_sha256 == circuit.sha256()
    assert meta.metrics["program.shots"] == "100"
    assert meta.metrics["language"] == "eigen-lang"
    assert response.hybrid_plan_json == b""
    again = await stub.CompileCircuit(request, timeout=30)
    assert again.payload.data == response.payload.data


async def test_compile_hybrid_program_returns_the_plan(
    stub: compiler_pb2_grpc.CompilationServiceStub,
) -> None:
    from pathlib import Path

    from eigen_ir.hybrid import parse_plan

    seed = Path(__file__).parent / "programs" / "seed_appendix.eigen.txt"
    request = compiler_pb2.CompileCircuitRequest(
        eigen_lang=common_pb2.EigenLangSource(source=seed.read_text(encoding="utf-8")),
        inputs={"n_routes": 4},
    )
    response = await stub.CompileCircuit(request, timeout=60)
    plan = parse_plan(response.hybrid_plan_json)
    assert plan.circuit.canonical_bytes() == response.payload.data
    assert (plan.num_qubits, len(plan.parameters)) == (4, 16)
    assert response.metadata.metrics["hybrid"] == "true"
    assert response.metadata.aqo_sha256 == plan.circuit.sha256()


async def test_compile_failure_is_invalid_argument_with_diagnostics(
    stub: compiler_pb2_grpc.CompilationServiceStub,
) -> None:
    request = compiler_pb2.CompileCircuitRequest(
        eigen_lang=common_pb2.EigenLangSource(
            source="import os\n" + BELL.replace("h(q[0])", "h(eval('7'))")
        )
    )
    with pytest.raises(grpc.aio.AioRpcError) as info:
        await stub.CompileCircuit(request, timeout=30)
    assert info.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    err = from_rpc_error(info.value)
    assert isinstance(err, CompilationFailedError)
    assert err.reason == "COMPILATION_FAILED"
    assert [(d.rule, d.line) for d in err.diagnostics] == [
        ("forbidden-import", 1),
        ("forbidden-call", 6),
    ]
    assert all(d.column > 0 for d in err.diagnostics)


async def test_qasm_syntax_error_over_grpc(stub: compiler_pb2_grpc.CompilationServiceStub) -> None:
    request = compiler_pb2.CompileCircuitRequest(
        qasm=common_pb2.QasmSource(source="OPENQASM 2.0;\nqreg q[1];\nfoo q[0];", version="2")
    )
    with pytest.raises(grpc.aio.AioRpcError) as info:
        await stub.CompileCircuit(request, timeout=30)
    err = from_rpc_error(info.value)
    assert isinstance(err, CompilationFailedError)
    assert [(d.rule, d.line, d.column) for d in err.diagnostics] == [("qasm-syntax", 3, 1)]


async def test_request_level_errors(stub: compiler_pb2_grpc.CompilationServiceStub) -> None:
    cases = [
        (compiler_pb2.CompileCircuitRequest(), ValidationError),
        (
            compiler_pb2.CompileCircuitRequest(
                qasm=common_pb2.QasmSource(source="OPENQASM 2.0;"),
                options={"optimization_level": "7"},
            ),
            InvalidOptionError,
        ),
        (
            compiler_pb2.CompileCircuitRequest(
                aqo=circuit_pb2.CircuitPayload(format=circuit_pb2.CircuitPayload.FORMAT_QASM3_TEXT)
            ),
            UnsupportedFormatError,
        ),
    ]
    for request, expected in cases:
        with pytest.raises(grpc.aio.AioRpcError) as info:
            await stub.CompileCircuit(request, timeout=30)
        assert info.value.code() == grpc.StatusCode.INVALID_ARGUMENT
        err = from_rpc_error(info.value)
        assert type(err) is expected
        assert err.violations


async def test_validate_circuit_returns_data(
    stub: compiler_pb2_grpc.CompilationServiceStub,
) -> None:
    bad = await stub.ValidateCircuit(
        compiler_pb2.ValidateCircuitRequest(
            eigen_lang=common_pb2.EigenLangSource(source="while True: pass\n")
        ),
        timeout=30,
    )
    assert not bad.valid
    assert [d.rule for d in bad.diagnostics] == ["while", "missing-entrypoint"]
    assert bad.diagnostics[0].severity == common_pb2.SEVERITY_ERROR
    good = await stub.ValidateCircuit(
        compiler_pb2.ValidateCircuitRequest(
            eigen_lang=common_pb2.EigenLangSource(source=BELL), options={"unknown": "1"}
        ),
        timeout=30,
    )
    assert good.valid
    assert good.metadata.gate_count == 2
    assert [(d.rule, d.severity) for d in good.diagnostics] == [
        ("unknown-option", common_pb2.SEVERITY_WARNING)
    ]


async def test_optimize_circuit(stub: compiler_pb2_grpc.CompilationServiceStub) -> None:
    doc = {
        "version": "0.1",
        "qubits": 1,
        "clbits": 0,
        "operations": [{"op": "X", "q": [0]}, {"op": "X", "q": [0]}, {"op": "H", "q": [0]}],
    }
    response = await stub.OptimizeCircuit(
        compiler_pb2.OptimizeCircuitRequest(
            payload=circuit_pb2.CircuitPayload(format=AQO, data=json.dumps(doc).encode()),
            optimization_level=1,
        ),
        timeout=30,
    )
    assert response.metadata.gate_count == 1
    assert [o.op for o in aqo.parse(response.payload.data).operations] == ["H"]


async def test_slow_compile_does_not_block_health(
    stub: compiler_pb2_grpc.CompilationServiceStub, channel: grpc.aio.Channel
) -> None:
    body = "".join(f"h q[{i % 8}];\ncx q[{i % 8}],q[{(i + 1) % 8}];\n" for i in range(30_000))
    src = 'OPENQASM 2.0;\ninclude "qelib1.inc";\nqreg q[8];\n' + body
    request = compiler_pb2.CompileCircuitRequest(qasm=common_pb2.QasmSource(source=src))

    async def compile_slowly() -> compiler_pb2.CompileCircuitResponse:
        return await stub.CompileCircuit(request, timeout=60)

    slow = asyncio.create_task(compile_slowly())
    await asyncio.sleep(0.2)  # the request is now being compiled in a worker thread
    health = await health_pb2_grpc.HealthStub(channel).Check(
        health_pb2.HealthCheckRequest(), timeout=5
    )
    assert health.status == health_pb2.HealthCheckResponse.SERVING
    # answered while the compile is still running: it did not wait behind the event loop
    assert not slow.done()
    assert (await slow).metadata.gate_count > 0
