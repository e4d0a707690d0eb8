"""Eigen-Lang → AQO or a hybrid plan, by AST analysis only (SPEC §6, v0.1).

The program is parsed with :func:`ast.parse`, walked once by :class:`.scan.ModuleScan` (size
limits, the closed allowlist of :mod:`.rules` with every violation collected, and the static
facts the lowering needs), then evaluated by the parts of :mod:`.lowering`; nothing in it is
imported, executed or evaluated by Python. Constants are folded by :mod:`.folding` and
:mod:`.library` with the numeric semantics of docs/eigen-lang-numerics.md.

Accepted:

- module level: docstring, allowlisted imports, constant assignments, exactly one
  ``@hybrid_program`` function (or the one named by ``entrypoint``), ``@quantum_circuit``
  helper functions, a final ``if __name__ == "__main__":`` block (skipped);
- in functions: assignments (also tuple unpacking) of constants, registers and qubits, gate
  calls, ``measure``/``measure_all``/``reset``/``barrier``, calls of ``@quantum_circuit``
  functions (inlined; their last statement may ``return`` a value), ``for`` over ``range``,
  tuples, arrays and registers (unrolled), ``if`` on compile-time constants, docstrings,
  ``pass``, a final bare ``return`` in the program function. Entrypoint parameters are
  compile-time constants: their default, or the job's ``inputs`` value.
- hybrid constructs (seed 004), evaluated with the quantum model (:mod:`.hybrid_library` bounds
  every argument first): ``Param("name")`` as a gate angle (a symbolic AQO parameter; job inputs
  with that name are bound by the kernel, not here), ``Observable`` values and
  ``create_ising_model_hamiltonian`` (``+ - * /``, ``.n_qubits``), ``create_hea_ansatz``;
  ``@ansatz`` functions (one argument, the parameter vector: ``theta[k]`` is the parameter
  ``theta[k]``; lowered once, at first use) and ``@cost_function`` functions (one argument; the
  body is ``return ExpectationValue(...)``, evaluated when ``minimize`` runs, with closure
  semantics), module level or nested in the program function; exactly one
  ``minimize(objective, initial_guess, method, max_iter, tolerance)`` whose result fields the
  program's final ``return {...}`` may name. Such a program lowers to a
  :class:`~eigen_ir.hybrid.HybridPlan` (``LoweredProgram.plan``) around its ansatz circuit.
- QML constructs (seed 004, docs/qml.md; :mod:`.qml_library` checks every size against the
  dataset table, nothing is loaded): ``load_dataset``, ``angle_encoding``/``zz_feature_map``,
  ``QuantumModel(feature_map, ansatz, observable)``, ``SupervisedTask(...)`` and one
  ``task.fit()`` in the program function, whose result fields the final ``return {...}`` may
  name. Such a program lowers to a :class:`~eigen_ir.qml.TrainingPlan` (a ``HybridPlan`` whose
  circuit is the feature map then the ansatz), which the kernel trains.

Before a loop is unrolled or a function inlined, its work is estimated (iterations × statically
counted statements) and the program is rejected at once when it would exceed
``Limits.max_operations``; executed statements are counted too, so no program can run long.
Every violation becomes a :class:`~eigen_common.errors.Diagnostic` (rule, 1-based line and
column, hint); all are collected before :class:`CompilationFailedError` is raised.
"""

from __future__ import annotations

from collections.abc import Mapping

from eigen_common.errors import Diagnostic
from eigen_compiler.frontends.eigen_lang.lowering.lowerer import lower_module
from eigen_compiler.frontends.eigen_lang.lowering.program import (
    DEFAULT_RANDOM_SEED,
    LoweredProgram,
)
from eigen_compiler.model import Limits, fail

__all__ = ["DEFAULT_RANDOM_SEED", "LoweredProgram", "decode_source", "lower_program"]


def lower_program(
    source: str | bytes,
    *,
    entrypoint: str = "",
    inputs: Mapping[str, float] | None = None,
    limits: Limits | None = None,
) -> LoweredProgram:
    """Compile Eigen-Lang ``source`` to an unoptimised AQO circuit by AST analysis.

    Args:
        source: the program text (``bytes`` must be UTF-8).
        entrypoint: name of the ``@hybrid_program`` function; '' = the only one.
        inputs: values for the program function's parameters (override their defaults).
        limits: source bytes, AST nodes, nesting depth, qubits and operations.

    Returns:
        The lowered program.

    Raises:
        CompilationFailedError: with every violation found (rule, line, column, hint).
    """
    limits = limits or Limits()
    text = decode_source(source, limits)
    return lower_module(text, inputs or {}, limits, entrypoint)


def decode_source(source: str | bytes, limits: Limits) -> str:
    """Check the size and encoding of ``source`` and return it as text.

    Raises:
        CompilationFailedError: ``source-too-large`` or ``not-utf8``.
    """
    try:
        data = source.encode("utf-8") if isinstance(source, str) else bytes(source)
        text = source if isinstance(source, str) else data.decode("utf-8")
    except UnicodeError as exc:
        where = f"byte {exc.start}" if isinstance(exc, UnicodeDecodeError) else "a character"
        message = f"the program is not valid UTF-8 (at {where})"
        raise fail([Diagnostic("not-utf8", message, hint="save the file as UTF-8")]) from None
    if len(data) > limits.max_source_bytes:
        message = f"program is {len(data)} bytes; the limit is {limits.max_source_bytes}"
        raise fail([Diagnostic("source-too-large", message, hint="split the program")])
    return text
