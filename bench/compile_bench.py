"""Compile-time benchmark of issue 3: Eigen-Lang → AQO at optimisation level 1, in process.

Measures the median wall time of ``Compiler.compile`` (built by
``eigen_compiler.app.build_compiler``) for a generated 1000-qubit, 5000-gate program written with
``for`` loops and for the example programs, after warm-up (the level-1 pass manager is cached).
Each compile is also split into its stages, timed separately with the same functions the
pipeline calls:

- front end: parse + allowlist check + lowering (``lower_program``);
- to Qiskit: AQO → ``QuantumCircuit`` (``to_qiskit``);
- optimise: the cached level-1 preset pass manager;
- AQO out: ``from_qiskit`` + canonical JSON + depth/gate statistics + SHA-256.

The table is measured as a library user sees it (default garbage collector). A service
worker calls ``warm_and_freeze`` at start-up (``gc.freeze()`` after building the pass manager);
the next line repeats the 1000-qubit compile in that configuration. The service compiles in
sandboxed worker processes (``eigen_compiler.sandbox``): the last lines compare Bell and the
1000-qubit program through a started sandbox (default settings: pickling, the pipe and the
per-job rlimit calls) with the same compile in process, and print the difference.

The goal of issue 3 is a median ≤ 100 ms for the 1000-qubit program; the table prints the ratio
measured / goal (< 1 meets it). No thresholds are asserted.

Usage: ``uv run python bench/compile_bench.py [--reps 21] [--profile] [--no-sandbox]``.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import gc
import hashlib
import pstats
import statistics
import time
from collections.abc import Callable
from pathlib import Path

from eigen_compiler.app import build_compiler, build_sandbox, warm_and_freeze
from eigen_compiler.frontends.eigen_lang import lower_program
from eigen_compiler.model import CompileRequest, EigenLangSource
from eigen_compiler.pipeline import Compiler, circuit_stats
from eigen_compiler.settings import CompilerSettings
from eigen_ir.aqo_qiskit import from_qiskit, to_qiskit

ROOT = Path(__file__).resolve().parents[1]
VALID = ROOT / "services/compiler/tests/programs/valid"
GOAL_MS = 100.0
LEVEL = 1

LARGE_PROGRAM = '''\
"""1000 qubits, two layers of H, nearest-neighbour CX and RZ: 5000 gates + 1000 measures."""
from eigen_lang import QubitRegister, cx, h, hybrid_program, measure_all, rz


@hybrid_program(shots=100, seed=7)
def layers(depth: int = 2, theta: float = 0.1):
    q = QubitRegister(1000)
    for layer in range(depth):
        for qubit in q:
            h(qubit)
        for i in range(0, 999, 2):
            cx(q[i], q[i + 1])
        for i in range(1000):
            rz(theta * (layer + 1) + 0.001 * i, q[i])
    measure_all(q)
'''

EXAMPLES = [
    ROOT / "examples/bell/program.eigen.py",
    ROOT / "examples/ghz/program.eigen.py",
    ROOT / "examples/h2_vqe/program.eigen.py",
    ROOT / "examples/h2_vqe/pattern_a.eigen.py",
    ROOT / "services/compiler/tests/programs/seed_appendix.eigen.txt",
    VALID / "02_ghz_for_range.eigen.py",
    VALID / "04_nested_for.eigen.py",
    VALID / "22_helpers_nested.eigen.py",
    VALID / "28_qft.eigen.py",
    VALID / "29_all_gates.eigen.py",
]


def median_ms(fn: Callable[[], object], reps: int) -> float:
    """Median wall time of ``fn()`` in milliseconds over ``reps`` runs."""
    times = []
    for _ in range(reps):
        t0 = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t0) * 1000)
    return statistics.median(times)


async def sandbox_ms(sources: dict[str, str], reps: int) -> dict[str, float]:
    """Median milliseconds of ``Sandbox.compile`` for each source (default settings)."""
    sandbox = build_sandbox(CompilerSettings())
    await sandbox.start()
    try:
        await sandbox.wait_ready()
        out = {}
        for name, source in sources.items():
            request = CompileRequest(
                EigenLangSource(source), options={"optimization_level": str(LEVEL)}
            )
            for _ in range(3):
                await sandbox.compile(request)
            times = []
            for _ in range(reps):
                t0 = time.perf_counter()
                await sandbox.compile(request)
                times.append((time.perf_counter() - t0) * 1000)
            out[name] = statistics.median(times)
        return out
    finally:
        await sandbox.close()


def measure(compiler: Compiler, source: str, reps: int) -> dict[str, float]:
    """Median milliseconds of the whole compile and of each stage for ``source``."""
    request = CompileRequest(EigenLangSource(source), options={"optimization_level": str(LEVEL)})
    limits = compiler.limits
    pm = compiler.pass_managers
    for _ in range(3):  # warm-up: pass manager built, caches filled
        compiler.compile(request)
    lowered = lower_program(source, limits=limits)
    qc = to_qiskit(lowered.circuit)
    optimised = pm.run(qc, LEVEL)

    def aqo_out() -> None:
        circuit = from_qiskit(optimised, {"language": "eigen-lang"})
        data = circuit.canonical_bytes()
        circuit_stats(circuit)
        hashlib.sha256(data).hexdigest()

    return {
        "total": median_ms(lambda: compiler.compile(request), reps),
        "front": median_ms(lambda: lower_program(source, limits=limits), reps),
        "to_qiskit": median_ms(lambda: to_qiskit(lowered.circuit), reps),
        "optimise": median_ms(lambda: pm.run(qc, LEVEL), reps),
        "aqo_out": median_ms(aqo_out, reps),
        "ops_in": len(lowered.circuit.operations),
        "qubits": lowered.circuit.qubits,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=21, help="timed runs per measurement")
    parser.add_argument("--profile", action="store_true", help="cProfile the 1000-qubit compile")
    parser.add_argument("--no-sandbox", action="store_true", help="skip the sandbox comparison")
    args = parser.parse_args()

    compiler = build_compiler(CompilerSettings())
    programs = [("1000q × 5000 gates (for)", LARGE_PROGRAM)]
    programs += [
        (str(p.relative_to(ROOT)).replace("services/compiler/tests/programs/", ""), p.read_text())
        for p in EXAMPLES
        if p.exists()
    ]

    header = (
        f"{'program':<40} {'qubits':>6} {'ops':>6} {'total':>8} {'front':>8} "
        f"{'to_qk':>7} {'opt L1':>8} {'aqo':>7} {'total/100ms':>11}"
    )
    print(f"median ms over {args.reps} runs after warm-up, optimisation level {LEVEL}")
    print(header)
    print("-" * len(header))
    for name, source in programs:
        r = measure(compiler, source, args.reps)
        print(
            f"{name:<40} {r['qubits']:>6} {r['ops_in']:>6} {r['total']:>8.2f} "
            f"{r['front']:>8.2f} {r['to_qiskit']:>7.2f} {r['optimise']:>8.2f} "
            f"{r['aqo_out']:>7.2f} {r['total'] / GOAL_MS:>11.2f}"
        )
    print(
        "front = parse + check + lowering; to_qk = AQO → QuantumCircuit; "
        "aqo = from_qiskit + canonical JSON + stats + sha256"
    )

    warm_and_freeze(compiler, LEVEL)
    r = measure(compiler, LARGE_PROGRAM, args.reps)
    print(
        f"as the service (gc.freeze() after start-up): 1000q total {r['total']:.2f} ms "
        f"(front {r['front']:.2f}, to_qk {r['to_qiskit']:.2f}, opt {r['optimise']:.2f}, "
        f"aqo {r['aqo_out']:.2f}), ratio to the 100 ms goal {r['total'] / GOAL_MS:.2f}"
    )
    if not args.no_sandbox:
        bell = (ROOT / "examples/bell/program.eigen.py").read_text()
        sources = {"bell": bell, "1000q": LARGE_PROGRAM}
        local = {
            name: median_ms(
                lambda src=src: compiler.compile(
                    CompileRequest(EigenLangSource(src), options={"optimization_level": "1"})
                ),
                args.reps,
            )
            for name, src in sources.items()
        }
        remote = asyncio.run(sandbox_ms(sources, args.reps))
        for name in sources:
            print(
                f"as the service (sandbox worker): {name} {remote[name]:.2f} ms, in process "
                f"{local[name]:.2f} ms, worker overhead {remote[name] - local[name]:+.2f} ms"
            )
    gc.unfreeze()

    if args.profile:
        request = CompileRequest(
            EigenLangSource(LARGE_PROGRAM), options={"optimization_level": str(LEVEL)}
        )
        profiler = cProfile.Profile()
        profiler.enable()
        for _ in range(5):
            compiler.compile(request)
        profiler.disable()
        pstats.Stats(profiler).sort_stats("cumulative").print_stats(40)
        pstats.Stats(profiler).sort_stats("tottime").print_stats(30)


if __name__ == "__main__":
    main()
