"""The sandbox (issue 11): compilations run in worker processes under a memory and CPU budget.

One pool of two real workers serves the module, with small budgets (256 MiB, 4 s) and the
front-end limits raised, so hostile programs get past the size checks and the budget itself
must stop them: each costs its job (COMPILATION_FAILED with a diagnostic) and at most its
worker (replaced), never the service — the next compilation is answered normally.
"""

from __future__ import annotations

import asyncio
import os
import signal
from collections.abc import AsyncIterator

import pytest
import pytest_asyncio
from prometheus_client import CollectorRegistry

from eigen_common.errors import CompilationFailedError, ServiceUnavailableError
from eigen_compiler.app import build_sandbox
from eigen_compiler.metrics import CompilerMetrics
from eigen_compiler.model import CompileRequest, EigenLangSource, QasmSource
from eigen_compiler.pipeline import Compiler
from eigen_compiler.sandbox.pool import Sandbox
from eigen_compiler.settings import CompilerSettings

pytestmark = [pytest.mark.asyncio(loop_scope="module"), pytest.mark.timeout(600)]

BELL = (
    "from eigen_lang import QubitRegister, cx, h, hybrid_program, measure_all\n"
    "@hybrid_program(shots=100)\n"
    "def bell():\n"
    "    q = QubitRegister(2)\n"
    "    h(q[0])\n"
    "    cx(q[0], q[1])\n"
    "    measure_all(q)\n"
)
#: Each step keeps another 100,000-element array: far more than 256 MiB within a second.
MEMORY_BOMB = (
    "import numpy as np\n"
    "from eigen_lang import hybrid_program\n"
    "@hybrid_program\n"
    "def bomb():\n"
    "    kept = ()\n"
    "    for _ in range(100_000):\n"
    "        kept = kept + (np.ones(100_000),)\n"
)
#: Nine hundred million statements in constant memory: only the time budget stops them.
SLOW = (
    "from eigen_lang import hybrid_program\n"
    "@hybrid_program\n"
    "def spin():\n"
    "    total = 0\n"
    "    for _ in range(900_000_000):\n"
    "        total = total + 1\n"
)
SETTINGS = CompilerSettings(
    sandbox_workers=2,
    sandbox_memory_mib=256,
    sandbox_seconds=4,
    sandbox_queue_seconds=1,
    max_operations=10**9,
    max_message_bytes=2**31 - 1,
    max_qasm3_expanded_gates=10**9,
    max_sequence_elements=10**12,
)
REGISTRY = CollectorRegistry()


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def sandbox() -> AsyncIterator[Sandbox]:
    pool = build_sandbox(SETTINGS, CompilerMetrics(REGISTRY))
    await pool.start()
    try:
        yield pool
    finally:
        await pool.close()


@pytest_asyncio.fixture(loop_scope="module")
async def ready(sandbox: Sandbox) -> Sandbox:
    """The pool with every worker idle (replacements of earlier tests have started)."""
    await sandbox.wait_ready()
    return sandbox


def sample(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


async def test_a_worker_compiles_exactly_what_the_compiler_does(
    ready: Sandbox, compiler: Compiler
) -> None:
    request = CompileRequest(EigenLangSource(BELL), target="sim:local")
    artifact = await ready.compile(request)
    assert artifact.aqo_json == compiler.compile(request).aqo_json
    assert artifact.metrics["language"] == "eigen-lang"
    assert sample("eigen_compiler_compile_seconds_count", language="eigen-lang") >= 1
    report = await ready.validate(request)
    assert report.valid and report.result is not None
    assert report.result.aqo_sha256 == artifact.aqo_sha256


async def test_typed_errors_come_back_whole(ready: Sandbox) -> None:
    source = 'OPENQASM 2.0;\ninclude "qelib1.inc";\nqreg q[1];\nrx(9^9^9) q[0];\n'
    with pytest.raises(CompilationFailedError) as info:
        await ready.compile(CompileRequest(QasmSource(source)))
    assert [d.rule for d in info.value.diagnostics] == ["numeric-error"]
    assert sample("eigen_compiler_failures_total", rule="numeric-error") >= 1


async def test_a_memory_bomb_costs_its_job_and_worker_not_the_service(ready: Sandbox) -> None:
    before = set(ready.worker_pids())
    with pytest.raises(CompilationFailedError) as info:
        await ready.compile(CompileRequest(EigenLangSource(MEMORY_BOMB)))
    assert [d.rule for d in info.value.diagnostics] == ["memory-limit"]
    report = await ready.validate(CompileRequest(EigenLangSource(MEMORY_BOMB)))
    assert not report.valid and [d.rule for d in report.diagnostics] == ["memory-limit"]
    await ready.wait_ready(1)  # a replacement (the queue waits only 1 s here)
    artifact = await ready.compile(CompileRequest(EigenLangSource(BELL)))
    assert artifact.gate_count == 2
    await ready.wait_ready()
    assert set(ready.worker_pids()) != before  # the workers that ran out were replaced
    assert sample("eigen_compiler_worker_replacements_total", cause="retired") >= 2


async def test_overruns_are_stopped_and_a_busy_pool_answers_unavailable(ready: Sandbox) -> None:
    slow = [
        asyncio.ensure_future(ready.compile(CompileRequest(EigenLangSource(SLOW)))) for _ in "ab"
    ]
    await ready.wait_busy(2)  # both workers take a slow job
    with pytest.raises(ServiceUnavailableError):
        await ready.compile(CompileRequest(EigenLangSource(BELL)))
    for outcome in await asyncio.gather(*slow, return_exceptions=True):
        assert isinstance(outcome, CompilationFailedError), outcome
        assert [d.rule for d in outcome.diagnostics] == ["time-limit"]
    await ready.wait_ready(1)
    artifact = await ready.compile(CompileRequest(EigenLangSource(BELL)))
    assert artifact.logical_qubits == 2
    assert sample("eigen_compiler_worker_replacements_total", cause="time-limit") >= 2


async def test_a_worker_killed_mid_job_fails_that_job_only(ready: Sandbox) -> None:
    job = asyncio.ensure_future(ready.compile(CompileRequest(EigenLangSource(SLOW))))
    await ready.wait_busy(1)
    (busy,) = set(ready.worker_pids()) - set(ready.idle_pids())
    os.kill(busy, signal.SIGKILL)
    with pytest.raises(CompilationFailedError) as info:
        await job
    assert [d.rule for d in info.value.diagnostics] == ["memory-limit"]  # SIGKILL: the OOM killer
    artifact = await ready.compile(CompileRequest(EigenLangSource(BELL)))  # the other worker
    assert artifact.gate_count == 2
    await ready.wait_ready()
    assert busy not in ready.worker_pids()
