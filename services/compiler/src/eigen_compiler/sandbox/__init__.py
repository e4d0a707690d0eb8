"""Compilation of untrusted programs in worker processes under a memory and CPU budget.

:class:`~eigen_compiler.sandbox.pool.Sandbox` is the service's compile backend; the workers
(:mod:`.worker`) each hold a warm :class:`~eigen_compiler.pipeline.Compiler`; :mod:`.protocol`
is what they exchange. See docs/fuzzing.md for how the budget is exercised.
"""
