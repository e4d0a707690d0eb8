"""Circuits as devices run them: ISA circuits in AQO and the figures a user reads (SPEC §13).

``TranspileCircuit`` shows a user the circuit a device will run (``eigen compile --target``),
produced by the same code path as an execution, so that what is shown is what runs:

- :func:`transpile_on` answers for an Aer-backed device with the step its executions take
  before they run a bound circuit: an ideal device rewrites the gates its method lacks exactly
  (:func:`lowered`, which executions call too); a noisy or ``ibm:fake_*`` device transpiles
  with its seeded pass manager
  (:meth:`~eigen_driver_manager.noisy_backend.BackendModel.transpile`, which executions call
  before dropping the idle qubits);
- :func:`isa_from_qiskit` turns a pass manager's output (a Qiskit ISA circuit on all the
  device's physical qubits, with its ``TranspileLayout``) into a
  :class:`~eigen_driver_manager.base.TranspiledCircuit`;
- :func:`figures` gives depth, two-qubit gates, gate counts and active qubits of any driver's
  answer; :func:`check_transpiled` enforces that answer's contract.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass

from qiskit.circuit import QuantumCircuit

from eigen_common.errors import InvalidArgumentError, UnimplementedError
from eigen_driver_manager.aer_engine import AerDevice
from eigen_driver_manager.base import BaseDriver, DeviceInfo, TranspiledCircuit
from eigen_driver_manager.lowering import lower
from eigen_ir.aqo import AqoError, Circuit
from eigen_ir.aqo_qiskit import GATE_NAMES, from_qiskit, to_qiskit

#: ErrorInfo reason of an ISA circuit that uses instructions AQO cannot write (UNIMPLEMENTED).
ISA_NOT_EXPRESSIBLE = "ISA_NOT_EXPRESSIBLE"
#: Qiskit instruction names an ISA circuit may use and still convert to AQO (``ecr`` included:
#: the ISA of IBM Eagle devices is ecr, rz, sx, x).
_EXPRESSIBLE = GATE_NAMES | {"measure", "reset", "barrier", "if_else"}
#: AQO operations counted once per qubit they act on.
_PER_QUBIT = frozenset({"MEASURE", "RESET"})


@dataclass(frozen=True)
class IsaFigures:
    """What a user reads off an ISA circuit.

    Attributes:
        depth: Qiskit's ``QuantumCircuit.depth()`` (barriers add no depth; measurements do).
        two_qubit_gates: gates acting on exactly two qubits.
        gate_counts: lower-case operation name (as device basis gates are named) → count; a
            measurement or reset counts once per qubit; barriers are left out.
        active_qubits: physical qubits some operation other than a barrier acts on, ascending.
    """

    depth: int
    two_qubit_gates: int
    gate_counts: dict[str, int]
    active_qubits: tuple[int, ...]


@dataclass(frozen=True)
class Transpilation:
    """A TranspileCircuit answer: the driver's circuit and its figures."""

    device_id: str
    transpiled: TranspiledCircuit
    figures: IsaFigures


def lowered(dev: AerDevice, circuit: Circuit) -> Circuit:
    """``circuit`` with the gates an ideal device's method lacks rewritten exactly.

    The step an ideal Aer device takes before it runs a bound circuit (executions call it too);
    a device without a native gate set runs the circuit as is.

    Raises:
        InvalidArgumentError: reason ``UNSUPPORTED_INSTRUCTION`` (no exact rewrite).
    """
    if dev.native is None:
        return circuit
    try:
        return lower(circuit, dev.native)
    except ValueError as exc:
        raise InvalidArgumentError(str(exc), reason="UNSUPPORTED_INSTRUCTION") from None


def transpile_on(dev: AerDevice, circuit: Circuit) -> TranspiledCircuit:
    """What :meth:`BaseDriver.transpile_circuit` answers for an Aer-backed device.

    An ideal device: :func:`lowered`, on the trivial layout. A noisy or ``ibm:fake_*`` device:
    its seeded pass manager (:meth:`BackendModel.transpile`, the same call its executions
    make before they drop the idle qubits).

    Args:
        dev: the device.
        circuit: a bound circuit, no wider than the device.

    Raises:
        InvalidArgumentError: ``UNSUPPORTED_INSTRUCTION``.
        UnimplementedError: ``ISA_NOT_EXPRESSIBLE``.
    """
    dev.warm_up()  # a first use loads the backend: seconds that are no transpilation
    t0 = time.perf_counter()
    if dev.model is None:
        ready = lowered(dev, circuit)
        trivial = tuple(range(circuit.qubits))
        meta = {
            "transpiler": "none: an ideal simulator (no coupling map); gates its method "
            "lacks are rewritten exactly",
            "transpile_time_sec": f"{time.perf_counter() - t0:.6f}",
        }
        return TranspiledCircuit(ready, trivial, trivial, meta)
    isa = dev.model.transpile(to_qiskit(circuit))
    meta = {**dev.model.describe(), "transpile_time_sec": f"{time.perf_counter() - t0:.6f}"}
    return isa_from_qiskit(isa, circuit.qubits, dev.info.device_id, meta)


def isa_from_qiskit(
    isa: QuantumCircuit, virtual_qubits: int, device_id: str, metadata: Mapping[str, str]
) -> TranspiledCircuit:
    """A pass manager's output as a :class:`TranspiledCircuit` (AQO qubit ``i`` = physical ``i``).

    Args:
        isa: the transpiled circuit on the device's physical qubits (``isa.layout`` set by the
            pass manager; None means the trivial layout).
        virtual_qubits: qubits of the circuit that was transpiled.
        device_id: for error messages.
        metadata: how it was transpiled.

    Raises:
        UnimplementedError: reason :data:`ISA_NOT_EXPRESSIBLE`, naming the instructions AQO
            v0.1 cannot write (e.g. ``u2`` of the older IBM devices whose ISA is u1, u2, u3, cx).
    """
    unknown = sorted(n for n in isa.count_ops() if n not in _EXPRESSIBLE)
    detail = ", ".join(unknown)
    if not unknown:
        try:
            circuit = from_qiskit(isa)
        except AqoError as exc:  # inside a condition, or a parameter expression
            detail = str(exc)
        else:
            layout = isa.layout
            if layout is None:
                initial = final = tuple(range(virtual_qubits))
            else:
                initial = tuple(int(q) for q in layout.initial_index_layout(filter_ancillas=True))
                final = tuple(int(q) for q in layout.final_index_layout(filter_ancillas=True))
            return TranspiledCircuit(circuit, initial, final, dict(metadata))
    raise UnimplementedError(
        f"the circuit transpiled for {device_id!r} uses instructions AQO v0.1 cannot write "
        f"({detail}); it runs on the device, but cannot be shown",
        reason=ISA_NOT_EXPRESSIBLE,
        metadata={"subject": device_id, "instructions": ",".join(unknown)},
    )


def figures(circuit: Circuit) -> IsaFigures:
    """Depth, two-qubit gates, gate counts and active qubits of ``circuit`` (see IsaFigures)."""
    counts: Counter[str] = Counter()
    two = 0
    active: set[int] = set()
    for o in circuit.operations:
        if o.op == "BARRIER":
            continue
        active.update(o.q)
        counts[o.op.lower()] += len(o.q) if o.op in _PER_QUBIT else 1
        if o.op not in _PER_QUBIT and len(o.q) == 2:
            two += 1
    depth = int(to_qiskit(circuit).depth()) if circuit.operations else 0
    return IsaFigures(depth, two, dict(sorted(counts.items())), tuple(sorted(active)))


def check_transpiled(
    driver: BaseDriver, source: Circuit, device: DeviceInfo, out: TranspiledCircuit
) -> None:
    """Enforce the :class:`TranspiledCircuit` contract; a violation is a driver bug (INTERNAL).

    Raises:
        RuntimeError: the answer is wider than the device, changes the clbits, keeps symbolic
            parameters, or has layouts of the wrong length, out of range or not distinct.
    """
    width = out.circuit.qubits
    problems = []
    if width > device.max_qubits:
        problems.append(f"{width} qubits on a {device.max_qubits}-qubit device")
    if out.circuit.clbits != source.clbits:
        problems.append(f"{out.circuit.clbits} clbits for {source.clbits}")
    if out.circuit.parameters:
        problems.append("symbolic parameters left")
    for name, layout in (("initial", out.initial_layout), ("final", out.final_layout)):
        if len(layout) != source.qubits or len(set(layout)) != len(layout):
            problems.append(f"{name} layout of {len(layout)} (distinct) qubits expected")
        elif any(not 0 <= q < width for q in layout):
            problems.append(f"{name} layout outside 0..{width - 1}")
    if problems:
        raise RuntimeError(
            f"driver {driver.name!r} broke the transpile contract: {'; '.join(problems)}"
        )
