"""``visualize_circuit``: draw a program's circuit or an ansatz with Qiskit's circuit drawer."""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
from qiskit import QuantumCircuit

from eigen_lang.ansatz import AnsatzLike
from eigen_lang.program import HybridProgram

#: Output formats of :func:`visualize_circuit`.
OUTPUTS: tuple[str, ...] = ("text", "png", "svg")


def _circuit(obj: Any, values: Sequence[float] | np.ndarray | None) -> QuantumCircuit:
    if isinstance(obj, HybridProgram):
        if values is not None:
            raise ValueError("values apply to an ansatz, not to a @hybrid_program")
        return obj.build()
    if isinstance(obj, QuantumCircuit):
        return obj if values is None else obj.assign_parameters(list(values))
    if isinstance(obj, AnsatzLike):
        return obj.circuit() if values is None else obj.build(values)
    raise TypeError(
        "visualize_circuit expects a @hybrid_program, an Ansatz/@ansatz or a QuantumCircuit, "
        f"got {obj!r}"
    )


def visualize_circuit(
    obj: HybridProgram | AnsatzLike | QuantumCircuit,
    output: str = "text",
    filename: str | os.PathLike[str] | None = None,
    values: Sequence[float] | np.ndarray | None = None,
) -> str:
    """Draw a circuit with Qiskit's drawer.

    Args:
        obj: a ``@hybrid_program`` (its recorded circuit, built with no arguments), an
            ``Ansatz``/``@ansatz`` object (parametrised, or bound to ``values``) or a Qiskit
            ``QuantumCircuit`` (``values`` in its ``parameters`` order).
        output: ``"text"`` (ASCII art), ``"png"`` or ``"svg"`` (Qiskit's ``"mpl"`` drawer).
        filename: where to write a png/svg (required for them); for text, also written when
            given.
        values: parameter values, shape ``(num_params,)`` in radians; ``None`` draws symbols.

    Returns:
        The drawing for ``"text"``; the path written (``str``) for ``"png"``/``"svg"``.

    Raises:
        ValueError: unknown ``output``, png/svg without ``filename``, bad ``values``, or
            ``values`` given for a ``@hybrid_program``.
        TypeError: an unsupported ``obj``.
    """
    if output not in OUTPUTS:
        raise ValueError(f"output must be one of {', '.join(OUTPUTS)}, got {output!r}")
    if output != "text" and filename is None:
        raise ValueError(f"output={output!r} needs a filename to write to")
    qc = _circuit(obj, values)
    if output == "text":
        drawing = str(qc.draw(output="text"))
        if filename is not None:
            Path(filename).write_text(drawing + "\n", encoding="utf-8")
        return drawing
    from matplotlib import pyplot as plt

    assert filename is not None
    figure = qc.draw(output="mpl")
    try:
        figure.savefig(os.fspath(filename), format=output, bbox_inches="tight")
    finally:
        plt.close(figure)
    return os.fspath(filename)
