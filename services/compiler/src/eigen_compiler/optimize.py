"""Qiskit preset pass managers for optimisation levels 0-3, built once per process and reused.

The pass managers have no coupling map and a fixed ``seed_transpiler``. Levels 0-1 target the
whole AQO basis (:data:`eigen_ir.aqo_qiskit.BASIS_GATES` plus ``if_else``). Levels 2-3
resynthesise two-qubit blocks, and with several two-qubit gates in the target Qiskit 2.x
(``TwoQubitPeepholeOptimization``, ``ConsolidateBlocks``) chooses among equally good
decompositions in hash-map order — different output on every run, which breaks the determinism
invariant (SPEC §5). Levels 2-3 therefore target the one-qubit gates, CX, CCX and CSWAP only.

Thread safety: ``PassManager.run`` is *not* safe to call concurrently on one instance — every
pass stores the running ``property_set`` on itself (``GenericPass.execute`` assigns
``self.property_set``), so two threads would overwrite each other's analysis results. Each level
therefore has its own lock; different levels run in parallel.
"""

from __future__ import annotations

import threading

from qiskit.circuit import QuantumCircuit
from qiskit.transpiler import PassManager, generate_preset_pass_manager

from eigen_ir.aqo_qiskit import BASIS_GATES

LEVELS: tuple[int, ...] = (0, 1, 2, 3)
DEFAULT_SEED = 20_240_601
TARGET_BASIS: list[str] = [*BASIS_GATES, "if_else"]
_ONE_QUBIT = ["h", "x", "y", "z", "s", "sdg", "t", "tdg", "sx", "rx", "ry", "rz", "p", "u"]
#: Basis of levels 2-3: a single two-qubit entangler keeps 2q resynthesis deterministic.
SYNTHESIS_BASIS: list[str] = [*_ONE_QUBIT, "cx", "ccx", "cswap", "if_else"]
assert set(SYNTHESIS_BASIS) <= set(TARGET_BASIS)


def target_basis(level: int) -> list[str]:
    """Gate names the pass manager of ``level`` emits (all are AQO ops or ``if_else``)."""
    return TARGET_BASIS if level < 2 else SYNTHESIS_BASIS


class PassManagerCache:
    """Lazily builds one preset pass manager per level and serialises runs per level.

    Args:
        seed_transpiler: fixed seed for the stochastic passes (layout, synthesis).
    """

    def __init__(self, seed_transpiler: int = DEFAULT_SEED) -> None:
        self.seed_transpiler = seed_transpiler
        self._managers: dict[int, PassManager] = {}
        self._build_lock = threading.Lock()
        self._run_locks = {level: threading.Lock() for level in LEVELS}
        self.builds = 0

    def get(self, level: int) -> PassManager:
        """Return the (cached) pass manager for ``level``.

        Raises:
            ValueError: ``level`` is not 0-3.
        """
        if level not in LEVELS:
            raise ValueError(f"optimization level must be one of {LEVELS}, got {level}")
        pm = self._managers.get(level)
        if pm is None:
            with self._build_lock:
                pm = self._managers.get(level)
                if pm is None:
                    pm = generate_preset_pass_manager(
                        optimization_level=level,
                        basis_gates=target_basis(level),
                        seed_transpiler=self.seed_transpiler,
                    )
                    self._managers[level] = pm
                    self.builds += 1
        return pm

    def warm(self, *levels: int) -> None:
        """Build the pass managers of ``levels`` now (startup), so first requests are fast."""
        for level in levels:
            self.get(level)

    def run(self, circuit: QuantumCircuit, level: int) -> QuantumCircuit:
        """Optimise ``circuit`` at ``level`` into the AQO basis (blocking; ~ms for small circuits).

        Raises:
            ValueError: bad level.
            qiskit.transpiler.TranspilerError: the circuit cannot be translated (opaque gates).
        """
        pm = self.get(level)
        with self._run_locks[level]:
            out = pm.run(circuit)
        assert isinstance(out, QuantumCircuit)
        return out
