"""``minimize``: optimise a ``@cost_function`` with the kernel's own optimisers.

Locally this calls :func:`eigen_ir.optimize.minimize`, the function the kernel's hybrid loop
calls, with the same method, evaluation budget, tolerance and seed, so a program gives the same
numbers here and on the platform. One iteration is one objective evaluation.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from eigen_ir import optimize
from eigen_lang.expectation import CostFunction
from eigen_lang.program import running_program_seed

#: Method names ``minimize`` accepts (case-insensitive).
METHODS: tuple[str, ...] = optimize.METHODS


@dataclass
class MinimizeResult:
    """Outcome of :func:`minimize`.

    Attributes:
        optimal_value: the lowest objective value evaluated (observable units).
        optimal_parameters: the point where it was reached, shape ``(num_params,)``, radians.
        success: the method reported convergence (``False`` when ``max_iter`` ran out first).
        iterations: objective evaluations made (``<= max_iter``).
        history: the value of every evaluation, in order.
        message: the optimiser's message.
    """

    optimal_value: float
    optimal_parameters: np.ndarray
    success: bool
    iterations: int
    history: list[float] = field(default_factory=list)
    message: str = ""


def minimize(
    objective: CostFunction,
    initial_guess: Sequence[float] | np.ndarray,
    method: str = "cobyla",
    max_iter: int = 100,
    tolerance: float | None = None,
) -> MinimizeResult:
    """Minimise a ``@cost_function`` over its ansatz parameters.

    Each evaluation at ``x`` is ``objective(x).evaluate(x, seed)``: exact when the
    ExpectationValue has ``shots=None``, else sampled with ``seed``, the running
    ``@hybrid_program``'s decorator seed (``None`` outside a program or when unset), which also
    seeds SPSA.

    Args:
        objective: a function decorated with ``@cost_function``.
        initial_guess: start point, shape ``(num_params,)`` in the ansatz's parameter order.
        method: ``"cobyla"``, ``"nelder-mead"``, ``"powell"`` or ``"spsa"`` (any case).
        max_iter: evaluation budget, >= 1.
        tolerance: the optimiser's tolerance (SciPy ``tol``; SPSA: smallest step), ``> 0``, or
            ``None`` for the method's default.

    Returns:
        A :class:`MinimizeResult` (best value and point, success, evaluations, history).

    Raises:
        TypeError: ``objective`` is not a ``@cost_function``, or a bad argument type.
        ValueError: unknown method, ``max_iter < 1``, a non-positive or non-finite tolerance,
            or ``initial_guess`` whose length is not the ansatz's ``num_params``.
    """
    if not isinstance(objective, CostFunction):
        raise TypeError(f"minimize(objective=...) must be a @cost_function, got {objective!r}")
    if not isinstance(method, str) or method.lower() not in METHODS:
        raise ValueError(f"unknown method {method!r}; choose one of {', '.join(METHODS)}")
    if isinstance(max_iter, bool) or not isinstance(max_iter, numbers.Integral):
        raise TypeError(f"minimize(max_iter=...) must be an integer, got {max_iter!r}")
    if max_iter < 1:
        raise ValueError(f"minimize(max_iter=...) must be >= 1, got {max_iter}")
    tol = _tolerance(tolerance)
    x0 = np.asarray(initial_guess, dtype=float)
    expectation = objective(x0)
    expected = expectation.ansatz.num_params
    if x0.ndim != 1 or x0.shape[0] != expected:
        raise ValueError(
            f"initial_guess must have shape ({expected},) (the ansatz's num_params), got {x0.shape}"
        )
    seed = running_program_seed()

    def fun(x: np.ndarray) -> float:
        return objective(x).evaluate(x, seed)

    outcome = optimize.minimize(
        fun, x0, method=method.lower(), max_iter=int(max_iter), tolerance=tol, seed=seed
    )
    return MinimizeResult(
        optimal_value=float(outcome.optimal_value),
        optimal_parameters=np.asarray(outcome.optimal_parameters, dtype=float),
        success=bool(outcome.success),
        iterations=int(outcome.iterations),
        history=[float(v) for v in outcome.history],
        message=outcome.message,
    )


def _tolerance(value: Any) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"minimize(tolerance=...) must be a number or None, got {value!r}")
    tol = float(value)
    if not math.isfinite(tol) or tol <= 0:
        raise ValueError(f"minimize(tolerance=...) must be finite and > 0, got {value!r}")
    return tol
