from __future__ import annotations

import ast
import importlib
from pathlib import Path
from typing import Any

import pytest
from qiskit import QuantumCircuit

import eigen_lang
from eigen_lang import (
    QubitRegister,
    ansatz,
    create_hea_ansatz,
    cx,
    get_program_ast,
    h,
    hybrid_program,
    measure_all,
    ry,
    visualize_circuit,
)

SEED_APPENDIX = Path(__file__).with_name("seed_appendix.eigen.txt")


@hybrid_program(shots=100)
def bell_program() -> None:
    q = QubitRegister(2)
    h(q[0])
    cx(q[0], q[1])
    measure_all(q)


@ansatz
def small(theta: Any) -> None:
    q = QubitRegister(2)
    ry(theta[0], q[0])
    cx(q[0], q[1])


def _function_names(tree: ast.Module) -> set[str]:
    return {n.name for n in ast.walk(tree) if isinstance(n, ast.FunctionDef)}


def test_get_program_ast_of_a_program_is_its_module() -> None:
    tree = get_program_ast(bell_program)
    assert isinstance(tree, ast.Module)
    assert "bell_program" in _function_names(tree)
    fn = next(
        n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef) and n.name == "bell_program"
    )
    assert ast.unparse(fn.decorator_list[0]).startswith("hybrid_program")
    assert "_function_names" in _function_names(get_program_ast(_function_names))


def test_get_program_ast_of_a_path_and_of_source_text() -> None:
    for arg in (SEED_APPENDIX, str(SEED_APPENDIX), SEED_APPENDIX.read_text()):
        tree = get_program_ast(arg)
        assert isinstance(tree, ast.Module)
        assert "solve_logistics_optimization" in _function_names(tree)
        assert "total_cost" in _function_names(tree)
    with pytest.raises(FileNotFoundError):
        get_program_ast("no_such_program.py")
    with pytest.raises(SyntaxError):
        get_program_ast("def broken(:\n    pass\n")
    with pytest.raises(TypeError):
        get_program_ast(42)  # type: ignore[arg-type]


def test_visualize_circuit_text() -> None:
    text = visualize_circuit(bell_program)
    assert "H" in text and "M" in text and "q_1" in text
    drawn = visualize_circuit(small)
    assert "Ry(theta[0])" in drawn
    assert "Ry(0.25)" in visualize_circuit(small, values=[0.25])
    assert "Ry(theta[3])" in visualize_circuit(create_hea_ansatz(2, depth=1))
    qc = QuantumCircuit(1)
    qc.sx(0)
    assert "√X" in visualize_circuit(qc)


@pytest.mark.parametrize(("output", "magic"), [("png", b"\x89PNG\r\n\x1a\n"), ("svg", b"<svg")])
def test_visualize_circuit_writes_images(tmp_path: Path, output: str, magic: bytes) -> None:
    target = tmp_path / f"circuit.{output}"
    returned = visualize_circuit(small, output=output, filename=target, values=[0.5])
    assert returned == str(target)
    data = target.read_bytes()
    assert data
    if output == "png":
        assert data.startswith(magic)
    else:
        assert data.lstrip().startswith(b"<?xml") and magic in data[:2000]


def test_visualize_circuit_argument_checks(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="filename"):
        visualize_circuit(small, output="png")
    with pytest.raises(ValueError, match="output"):
        visualize_circuit(small, output="pdf", filename=tmp_path / "x.pdf")
    with pytest.raises(TypeError):
        visualize_circuit("not a circuit")  # type: ignore[arg-type]


def test_eigen_lang_alias_module() -> None:
    alias = importlib.import_module("Eigen_lang")
    assert alias.__all__ == eigen_lang.__all__
    for name in eigen_lang.__all__:
        assert getattr(alias, name) is getattr(eigen_lang, name)
    from Eigen_lang import ExpectationValue, minimize

    assert minimize is eigen_lang.minimize and ExpectationValue is eigen_lang.ExpectationValue


def test_every_exported_name_exists() -> None:
    for name in eigen_lang.__all__:
        assert hasattr(eigen_lang, name), name


def test_exported_names_are_the_compilers_library_table() -> None:
    import eigen_lang
    from eigen_ir.gates import LIBRARY_NAMES

    assert set(eigen_lang.__all__) == LIBRARY_NAMES
    assert all(hasattr(eigen_lang, n) for n in LIBRARY_NAMES)
