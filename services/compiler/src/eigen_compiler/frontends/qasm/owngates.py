"""A program's own gates that carry a standard gate's name: compiled by their bodies.

The transpiler keeps a gate whose *name* is in its target basis and
:func:`eigen_ir.aqo_qiskit.from_qiskit` writes AQO by name, so a program's ``gate h a { U(pi, 0,
pi) a; }`` (an X) would come out as AQO ``H``; ``ctrl @`` of such a gate would be Qiskit's
controlled *standard* gate, and Qiskit's OpenQASM 2 loader replaces a program's definition of a
``LEGACY_CUSTOM_INSTRUCTIONS`` name by the Qiskit gate outright. Here:

- OpenQASM 3 (:func:`rename_oq3`, on the parsed AST before any conversion): redefining ``U`` or,
  with ``include "stdgates.inc"``, a gate of that library is a ``qasm-syntax`` error at the
  definition (as in the reference semantic analyser, ``openqasm3_parser``); any other definition
  with a :data:`RESERVED` name is renamed to ``program.<name>`` with all its calls, so the
  importer, the lowering and every modifier build it from its body.
- OpenQASM 2 (:func:`qasm2_instructions`): a name the program defines with ``gate`` is dropped
  from Qiskit's legacy custom instructions, so the loader keeps the program's body (a
  redefinition of a ``qelib1.inc`` gate stays the loader's "already defined" error). ``opaque``
  declarations keep the Qiskit gate: they have no body to honour.
- Both (:func:`honour_definitions`, on the loaded circuit): each program-defined gate is given a
  definition in which its own calls are honoured the same way (built lazily, so the size check
  still bounds the expansion), under ``program.<name>`` when its name is :data:`RESERVED`. A
  top-level application whose body equals the standard gate of that name for its parameters, up
  to a global phase (unobservable outside a definition), is written as that standard gate, so
  Qiskit's exported ``gate ryy(...)`` still compiles to ``RYY``: compared as unitaries for
  numeric parameters, operation for operation for ``input`` ones (bounded: at most
  ``_COMPARE_APPLICATIONS`` comparisons of gates of ``_COMPARE_OPERATIONS`` operations).
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from numbers import Real
from typing import Any

from openqasm3 import ast
from qiskit.circuit import (
    CONTROL_FLOW_OP_NAMES,
    ControlFlowOp,
    ControlledGate,
    Gate,
    ParameterExpression,
    QuantumCircuit,
)
from qiskit.circuit.library import get_standard_gate_name_mapping
from qiskit.qasm2 import LEGACY_CUSTOM_INSTRUCTIONS, CustomInstruction
from qiskit.quantum_info import Operator

from eigen_common.errors import CompilationFailedError, Diagnostic
from eigen_compiler.frontends.qasm.oq3.gates import BUILTIN, STDGATES
from eigen_compiler.model import fail
from eigen_ir.aqo_qiskit import GATE_NAMES

__all__ = [
    "PREFIX",
    "RESERVED",
    "honour_definitions",
    "qasm2_instructions",
    "rename_oq3",
    "unmangle",
]

#: Program gates with a :data:`RESERVED` name are called ``PREFIX + name`` inside the compiler
#: (not an OpenQASM identifier, so it cannot collide with one of the program's names).
PREFIX = "program."
_STANDARD: dict[str, Gate] = {
    name: op for name, op in get_standard_gate_name_mapping().items() if isinstance(op, Gate)
}
#: Names Qiskit or AQO give a meaning by name alone.
RESERVED: frozenset[str] = frozenset(
    {
        *get_standard_gate_name_mapping(),
        *GATE_NAMES,
        *CONTROL_FLOW_OP_NAMES,
        *STDGATES,
        *(c.name for c in LEGACY_CUSTOM_INSTRUCTIONS),
        "unitary",
        "store",
    }
)
#: Standard gate by name, for the equivalence check: (constructor, parameters, qubits).
_KNOWN: dict[str, tuple[Callable[..., Gate], int, int]] = {
    **{n: (g.base_class, len(g.params), g.num_qubits) for n, g in _STANDARD.items()},
    **{
        c.name: (c.constructor, c.num_params, c.num_qubits)
        for c in LEGACY_CUSTOM_INSTRUCTIONS
        if c.name not in ("delay", "u0")  # an instruction; integer counts of identities
    },
    **{n: (i.build, i.num_params, i.num_qubits) for n, i in STDGATES.items()},
}
_MANGLED = re.compile(rf"(?<![\w.]){re.escape(PREFIX)}([A-Za-z_][A-Za-z0-9_]*)")
_BLANK = re.compile(r"//[^\n]*|/\*.*?\*/|\"[^\"\n]*\"", re.DOTALL)
_GATE_DEFINITION = re.compile(r"\bgate\s+([A-Za-z_][A-Za-z0-9_]*)")
#: The equivalence check compares gates of at most this many qubits and expanded operations,
#: and at most this many distinct applications per program; beyond, the body is compiled.
_COMPARE_QUBITS = 3
_COMPARE_OPERATIONS = 64
_COMPARE_APPLICATIONS = 1024


def qasm2_instructions(source: str) -> tuple[CustomInstruction, ...]:
    """Qiskit's legacy OpenQASM 2 custom instructions less the names ``source`` defines.

    Args:
        source: the OpenQASM 2 program (comments and the include's string are ignored).
    """
    defined = _defined(source)
    return tuple(c for c in LEGACY_CUSTOM_INSTRUCTIONS if c.name not in defined)


def rename_oq3(program: ast.Program, source: str) -> set[str]:
    """Check an OpenQASM 3 program's gate definitions and rename the :data:`RESERVED` ones.

    The AST is changed in place: each such definition and every call of it get the name
    ``PREFIX + name``. The AST is walked only when ``source`` defines such a gate.

    Returns:
        The program's names that were renamed.

    Raises:
        CompilationFailedError: ``qasm-syntax`` at a definition of ``U``, or of a
            ``stdgates.inc`` gate when the program includes it.
    """
    if not _defined(source) & (RESERVED | BUILTIN.keys()):
        return set()
    included = any(
        isinstance(s, ast.Include) and s.filename == "stdgates.inc" for s in program.statements
    )
    definitions, calls = _gate_nodes(program)
    renamed: dict[str, str] = {}
    for node in definitions:
        name = node.name.name
        if name in BUILTIN:
            raise _redefined(node, f"gate {name!r} is built into OpenQASM 3", "")
        if included and name in STDGATES:
            hint = 'rename the gate, or leave out `include "stdgates.inc";` and define all yours'
            raise _redefined(node, f"gate {name!r} is already defined by stdgates.inc", hint)
        if name in RESERVED:
            renamed[name] = PREFIX + name
    for ident in [d.name for d in definitions] + [c.name for c in calls]:
        ident.name = renamed.get(ident.name, ident.name)
    return set(renamed)


def unmangle(text: str) -> str:
    """``text`` (a diagnostic) with each internal ``program.<name>`` written as ``<name>``."""
    return _MANGLED.sub(r"\1", text) if PREFIX in text else text


def honour_definitions(circuit: QuantumCircuit, source: str) -> QuantumCircuit:
    """``circuit`` with every program-defined gate compiled by its body (module docstring).

    Args:
        circuit: a loader's new circuit for ``source``; changed in place and returned.
        source: the program; when it defines no gate with a :data:`RESERVED` name there is
            nothing to do (a program's gates can only misbehave by such a name).
    """
    if not _defined(source) & RESERVED:
        return circuit
    budget = [_COMPARE_APPLICATIONS]
    memo: dict[tuple[str, tuple[Any, ...]], Gate | None] = {}
    _honour(circuit, lambda op: _standard_equivalent(op, memo, budget))
    return circuit


class _OwnGate(Gate):
    """A program's gate whose definition is built, on first use, with its calls honoured.

    Only for numeric parameters: binding an input later would not reach a definition not yet
    built. A gate with input parameters is an OpenQASM 3 one (OpenQASM 2 has no inputs), whose
    names :func:`rename_oq3` already made safe, so it stays as the importer built it.
    """

    def __init__(self, original: Gate, name: str) -> None:
        super().__init__(name, original.num_qubits, list(original.params), label=original.label)
        self._original: Gate | None = original

    def _define(self) -> None:
        original, self._original = self._original, None
        body = original.definition if original is not None else None
        if body is not None:
            _honour(body, lambda _op: None)
        self.definition = body


def _honour(circuit: QuantumCircuit, standard: Callable[[Gate], Gate | None]) -> bool:
    """Replace the program-defined gates of ``circuit`` in place; whether any was replaced."""
    data = circuit.data
    changed = False
    for index, inst in enumerate(data):
        op = inst.operation
        new: Any = op
        if isinstance(op, ControlFlowOp):
            blocks = list(op.blocks)
            if any([_honour(block, standard) for block in blocks]):
                new = op.replace_blocks(blocks)
        elif _program_defined(op):
            name = op.name.removeprefix(PREFIX)
            new = standard(op) if name in RESERVED else None
            if new is None and _numeric(op.params):
                new = _OwnGate(op, PREFIX + name if name in RESERVED else op.name)
            new = op if new is None else new
        if new is not op:
            data[index] = inst.replace(operation=new)
            changed = True
    return changed


def _numeric(params: Any) -> bool:
    """Whether gate ``params`` are all numbers (no input parameter to be bound later)."""
    return all(isinstance(p, Real) for p in params)


def _defined(source: str) -> set[str]:
    """Names after ``gate`` in ``source`` outside comments and strings (a superset of its gates)."""
    if "gate" not in source:
        return set()
    return {m.group(1) for m in _GATE_DEFINITION.finditer(_BLANK.sub(" ", source))}


def _program_defined(op: Any) -> bool:
    """A gate Qiskit's libraries did not make: the program's own (or a modifier of one)."""
    if not isinstance(op, Gate) or isinstance(op, _OwnGate):
        return False
    if isinstance(op, ControlledGate):  # ``ctrl @`` of a library gate is the library's
        return _program_defined(op.base_gate)
    return not op.base_class.__module__.startswith("qiskit.circuit.library")


def _standard_equivalent(
    op: Gate, memo: dict[tuple[str, tuple[Any, ...]], Gate | None], budget: list[int]
) -> Gate | None:
    """The standard gate of ``op``'s name when ``op``'s body is it up to a global phase.

    Numeric parameters: the two unitaries are compared. Input parameters (not known yet): the
    body must be the standard gate's own definition, operation for operation (what Qiskit's
    exporters write), else it is compiled as it is.
    """
    name = op.name.removeprefix(PREFIX)
    known = _KNOWN.get(name)
    params = tuple(op.params)
    if known is None or op.num_qubits > _COMPARE_QUBITS:
        return None
    build, num_params, num_qubits = known
    if (num_params, num_qubits) != (len(params), op.num_qubits) or budget[0] <= 0:
        return None
    if not _numeric(params):
        budget[0] -= 1
        standard = build(*params)
        return standard if isinstance(standard, Gate) and _same_body(op, standard) else None
    if not all(math.isfinite(p) for p in params):
        return None
    key = (name, tuple(float(p) for p in params))
    if key in memo:
        return memo[key]
    if not _small(op, _COMPARE_OPERATIONS):
        return None
    budget[0] -= 1
    found: Gate | None = build(*params)
    own = _OwnGate(op, PREFIX + name)
    if not isinstance(found, Gate) or not Operator(own).equiv(Operator(found)):
        found = None
    memo[key] = found
    return found


def _same_body(op: Gate, standard: Gate, left: list[int] | None = None) -> bool:
    """Whether ``op``'s definition is ``standard``'s, operation for operation (phases aside).

    A program's gate in the body matches the library gate of its name when its own body does
    (Qiskit's exporters write ``ryy`` with a ``gate sxdg`` of their own). At most
    ``_COMPARE_OPERATIONS`` operations are compared in all.
    """
    left = [_COMPARE_OPERATIONS] if left is None else left
    mine, theirs = op.definition, standard.definition
    if mine is None or theirs is None or len(mine.data) != len(theirs.data):
        return False
    left[0] -= len(mine.data)
    if left[0] < 0:
        return False
    for a, b in zip(mine.data, theirs.data, strict=True):
        inner, library = a.operation, b.operation
        if inner.name.removeprefix(PREFIX) != library.name:
            return False
        if a.clbits or b.clbits or len(inner.params) != len(library.params):
            return False
        where_a = [mine.find_bit(q).index for q in a.qubits]
        if where_a != [theirs.find_bit(q).index for q in b.qubits]:
            return False
        if not all(map(_same_value, inner.params, library.params)):
            return False
        if _program_defined(inner) and not _same_body(inner, library, left):
            return False
    return True


def _same_value(a: Any, b: Any) -> bool:
    """Two gate parameters (numbers, or expressions of inputs compared symbolically) are equal."""
    if isinstance(a, ParameterExpression) or isinstance(b, ParameterExpression):
        return bool(a == b)
    return isinstance(a, Real) and isinstance(b, Real) and abs(float(a) - float(b)) < 1e-12


def _small(op: Gate, limit: int) -> bool:
    """Whether ``op`` expands to at most ``limit`` operations (every level counted)."""
    left = [limit]

    def visit(gate: Any) -> bool:
        left[0] -= 1
        if left[0] < 0 or isinstance(gate, ControlFlowOp):
            return False
        body = gate.definition if _program_defined(gate) else None
        return body is None or all(visit(i.operation) for i in body.data)

    return visit(op)


def _gate_nodes(
    program: ast.Program,
) -> tuple[list[ast.QuantumGateDefinition], list[ast.QuantumGate]]:
    """Every gate definition and gate call in ``program`` (walked without recursion)."""
    definitions: list[ast.QuantumGateDefinition] = []
    calls: list[ast.QuantumGate] = []
    stack: list[Any] = [program]
    while stack:
        node = stack.pop()
        if isinstance(node, ast.QuantumGateDefinition):
            definitions.append(node)
        elif isinstance(node, ast.QuantumGate):
            calls.append(node)
        for value in vars(node).values():
            if isinstance(value, list):
                stack.extend(v for v in value if isinstance(v, ast.QASMNode))
            elif isinstance(value, ast.QASMNode):
                stack.append(value)
    definitions.sort(key=lambda d: (d.span.start_line, d.span.start_column) if d.span else (0, 0))
    return definitions, calls


def _redefined(node: ast.QuantumGateDefinition, message: str, hint: str) -> CompilationFailedError:
    span = node.span
    line, column = (span.start_line, span.start_column + 1) if span is not None else (0, 0)
    return fail([Diagnostic("qasm-syntax", message, line, column, hint)])
