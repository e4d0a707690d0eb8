"""Qiskit circuits as Eigen OS programs: OpenQASM text, named parameters, classical bit layout.

A ``QuantumCircuit`` goes to the platform as OpenQASM (the public API's ``QasmSource``):
OpenQASM 2 (``qiskit.qasm2.dumps``) when the circuit has no free parameters and OpenQASM 2 can
express it, else OpenQASM 3 (``qiskit.qasm3.dumps``), where every free parameter becomes an
``input float[64]`` the job binds by name (``inputs`` or a ``ParameterSweep``).

Parameter names are made safe before export: a name that is a plain identifier (``theta``,
``b_1``) is kept, any other (``θ[0]`` of a ``ParameterVector``, a name the exporter would have
to escape) becomes ``p<i>``; :class:`CircuitProgram` records the mapping.

Counts come back keyed by bitstrings over all classical bits of the program, bit 0 rightmost, in
the order the program declares them: OpenQASM 3 declares bits outside any register first, then
the registers in ``circuit.cregs`` order; :attr:`CircuitProgram.registers` gives, per
classical register, the positions of its bits in those bitstrings.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from qiskit import QuantumCircuit, qasm2, qasm3
from qiskit.circuit import Clbit, Parameter
from qiskit.qasm2 import QASM2ExportError

from eigen.common.v1 import circuit_pb2
from eigen_common.errors import InvalidArgumentError

_IDENTIFIER = re.compile(r"^[A-Za-z][A-Za-z0-9_]{0,63}$")
_INPUT = re.compile(r"^input\s+float\[64\]\s+([^\s;]+)\s*;", re.MULTILINE)
_JOB_NAME = re.compile(r"[^a-zA-Z0-9._-]+")


@dataclass(frozen=True)
class CircuitProgram:
    """A circuit exported for the platform.

    Attributes:
        source: OpenQASM program text.
        language: ``qasm2`` or ``qasm3``.
        parameters: the circuit's free parameters, in ``circuit.parameters`` order.
        names: the program's input name of each parameter (same order).
        num_clbits: classical bits of the program (width of the counts' bitstrings).
        registers: ``(name, positions)`` per classical register of the circuit, in
            ``circuit.cregs`` order; ``positions[k]`` is the bitstring position (0 = rightmost)
            of the register's bit ``k``.
        clbit_positions: the bitstring position of each of ``circuit.clbits``, in order.
    """

    source: str
    language: str
    parameters: tuple[Parameter, ...]
    names: tuple[str, ...]
    num_clbits: int
    registers: tuple[tuple[str, tuple[int, ...]], ...]
    clbit_positions: tuple[int, ...]

    def memory_counts(self, counts: Mapping[str, int]) -> dict[str, int]:
        """Counts re-keyed in ``circuit.clbits`` order as hex (Qiskit's ``Result`` format)."""
        out: dict[str, int] = {}
        for bits, n in counts.items():
            value = sum(
                1 << i
                for i, pos in enumerate(self.clbit_positions)
                if bits[len(bits) - 1 - pos] == "1"
            )
            key = hex(value)
            out[key] = out.get(key, 0) + int(n)
        return out

    def qasm_message(self) -> Any:
        """The ``eigen.api.v1.QasmSource`` message of the program."""
        from eigen.api.v1 import common_pb2

        return common_pb2.QasmSource(source=self.source, version=self.language[-1])

    def input_names(self, values: Mapping[Parameter | str, float]) -> dict[str, float]:
        """Bindings keyed by program input name, from values keyed by parameter or its name.

        Raises:
            InvalidArgumentError: a key that is not a free parameter of the circuit.
        """
        by_name = {p.name: n for p, n in zip(self.parameters, self.names, strict=True)}
        by_param = dict(zip(self.parameters, self.names, strict=True))
        out: dict[str, float] = {}
        for key, value in values.items():
            name = by_param.get(key) if isinstance(key, Parameter) else by_name.get(key)
            if name is None:
                shown = key.name if isinstance(key, Parameter) else key
                raise InvalidArgumentError(f"{shown!r} is not a free parameter of the circuit")
            out[name] = float(value)
        return out

    def sweep(self, rows: np.ndarray, shape: Sequence[int]) -> circuit_pb2.ParameterSweep:
        """A ``ParameterSweep`` of ``rows`` (one row per binding, columns = :attr:`names`).

        Args:
            rows: array of shape ``(bindings, len(names))``, radians.
            shape: the sweep's shape (product = bindings; ``()`` for one binding).
        """
        table = np.asarray(rows, dtype=float).reshape(-1, len(self.names))
        return circuit_pb2.ParameterSweep(
            parameters=list(self.names),
            bindings=[circuit_pb2.ParameterValues(values=row.tolist()) for row in table],
            shape=[int(n) for n in shape],
        )


def is_circuit(obj: object) -> bool:
    """True for a ``qiskit.QuantumCircuit``."""
    return isinstance(obj, QuantumCircuit)


def job_name(circuit: QuantumCircuit, default: str = "circuit") -> str:
    """A job name (``^[a-zA-Z0-9._-]{1,128}$``) from the circuit's name."""
    name = _JOB_NAME.sub("-", circuit.name or "").strip("-")[:128]
    return name or default


def _safe_names(circuit: QuantumCircuit, fresh: bool) -> list[str]:
    """Program input names for the circuit's parameters (see the module docstring)."""
    taken = {r.name for r in (*circuit.qregs, *circuit.cregs)}
    names: list[str] = []
    for i, p in enumerate(circuit.parameters):
        keep = not fresh and _IDENTIFIER.match(p.name) and p.name not in taken
        name = p.name if keep else f"p{i}"
        while name in taken:
            name = f"eigen_{name}"
        taken.add(name)
        names.append(name)
    return names


def _layout(
    circuit: QuantumCircuit,
) -> tuple[int, tuple[tuple[str, tuple[int, ...]], ...], tuple[int, ...]]:
    """Width, per-register and per-clbit positions of the program's classical bits.

    See the module docstring for the order.

    Raises:
        InvalidArgumentError: a classical bit belongs to two registers.
    """
    owner: dict[Clbit, str] = {}
    for reg in circuit.cregs:
        for bit in reg:
            if bit in owner:
                raise InvalidArgumentError(
                    f"classical registers {owner[bit]!r} and {reg.name!r} share a bit; "
                    "OpenQASM cannot express overlapping registers"
                )
            owner[bit] = reg.name
    order = [b for b in circuit.clbits if b not in owner]
    for reg in circuit.cregs:
        order.extend(reg)
    position = {bit: i for i, bit in enumerate(order)}
    registers = tuple((reg.name, tuple(position[b] for b in reg)) for reg in circuit.cregs)
    return len(order), registers, tuple(position[b] for b in circuit.clbits)


def circuit_program(circuit: QuantumCircuit) -> CircuitProgram:
    """Export ``circuit`` for the platform (see the module docstring).

    Raises:
        InvalidArgumentError: the circuit cannot be written as OpenQASM (overlapping
            registers, an instruction without a definition, ...).
    """
    width, registers, positions = _layout(circuit)
    params = tuple(circuit.parameters)
    if not params:
        try:
            source = qasm2.dumps(circuit)
        except QASM2ExportError:
            pass
        else:
            return CircuitProgram(source, "qasm2", (), (), width, registers, positions)
    for fresh in (False, True):
        names = _safe_names(circuit, fresh)
        renamed = circuit.assign_parameters(
            {p: Parameter(n) for p, n in zip(params, names, strict=True)}, inplace=False
        )
        try:
            source = qasm3.dumps(renamed)
        except Exception as exc:  # qiskit raises several exporter error types
            raise InvalidArgumentError(
                f"the circuit cannot be written as OpenQASM 3: {exc}", reason="UNSUPPORTED_CIRCUIT"
            ) from None
        if sorted(_INPUT.findall(source)) == sorted(names):
            return CircuitProgram(
                source, "qasm3", params, tuple(names), width, registers, positions
            )
    raise InvalidArgumentError(  # pragma: no cover - fresh names are never escaped
        "the circuit's parameters cannot be named in OpenQASM 3", reason="UNSUPPORTED_CIRCUIT"
    )


#: Seed distance between consecutive experiments of one ``AerSimulator.run`` (qiskit-aer).
AER_SEED_STRIDE = 2113


def aer_seeds(seed: int | None, experiments: Sequence[tuple[Any, int]]) -> list[int | None]:
    """The seed of each job of a run, by Qiskit Aer's rule, so counts match Aer's.

    ``AerSimulator.run(circuits, seed_simulator=S)`` seeds its k-th experiment
    ``S + 2113·k``; ``qiskit_aer.primitives.SamplerV2`` runs the PUBs of equal shots in one
    such run, each binding one experiment. A job here gets the seed of its first experiment.

    Args:
        seed: the run's seed; ``None`` = unseeded (every entry ``None``).
        experiments: per job, ``(group, bindings)``: jobs of one ``group`` (e.g. equal shots)
            share a run, in order.
    """
    if seed is None:
        return [None] * len(experiments)
    offset: dict[Any, int] = {}
    out: list[int | None] = []
    for group, size in experiments:
        k = offset.get(group, 0)
        out.append((seed + AER_SEED_STRIDE * k) % 2**63)
        offset[group] = k + size
    return out


__all__ = [
    "AER_SEED_STRIDE",
    "CircuitProgram",
    "aer_seeds",
    "circuit_program",
    "is_circuit",
    "job_name",
]
