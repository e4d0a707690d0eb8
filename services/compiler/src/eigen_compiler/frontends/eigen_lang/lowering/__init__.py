"""Lowering: evaluate a checked Eigen-Lang module into AQO (or a hybrid plan around an ansatz).

The work is split by responsibility into parts that share one :class:`.context.Parts`:
:mod:`.declarations` (module level: imports, constants, decorators), :mod:`.program` (the
``@hybrid_program`` function, its parameters and return), :mod:`.statements`,
:mod:`.expressions` (constant folding and name resolution), :mod:`.calls` (inlining and call
dispatch), :mod:`.circuit_calls` (registers, gates, measure/reset/barrier),
:mod:`.hybrid_values` and :mod:`.hybrid_calls` (seed 004 constructs) and :mod:`.budget` (work
estimates before unrolling). :mod:`.lowerer` wires them; every part depends only on
:mod:`.context`, never on another part.
"""
