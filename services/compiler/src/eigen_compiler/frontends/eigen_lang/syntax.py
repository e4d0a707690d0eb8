"""Static facts of single AST nodes (no evaluation): docstrings, signatures, literal loops."""

from __future__ import annotations

import ast
from typing import Any

from eigen_compiler.frontends.eigen_lang.folding import binary, is_int
from eigen_compiler.frontends.eigen_lang.problem import Problem


def is_docstring(stmt: ast.stmt) -> bool:
    """A bare string expression statement."""
    return (
        isinstance(stmt, ast.Expr)
        and isinstance(stmt.value, ast.Constant)
        and isinstance(stmt.value.value, str)
    )


_DESCRIPTIONS = {
    "Lambda": "lambda",
    "ListComp": "a comprehension",
    "DictComp": "a comprehension",
    "SetComp": "a comprehension",
    "GeneratorExp": "a generator expression",
    "IfExp": "a conditional expression",
    "BoolOp": "and/or",
    "Compare": "a comparison",
    "JoinedStr": "an f-string",
    "List": "a list",
    "Tuple": "a tuple",
    "Dict": "a dict",
    "Set": "a set",
    "NamedExpr": "the walrus operator",
    "Not": "not",
    "Invert": "~",
}


def snippet(node: ast.AST) -> str:
    """Source text of ``node`` for a message, shortened."""
    text = ast.unparse(node)
    return text if len(text) <= 60 else text[:57] + "..."


def describe(node: ast.AST) -> str:
    """What kind of syntax ``node`` is, for messages (``a comprehension``)."""
    kind = type(node).__name__
    return _DESCRIPTIONS.get(kind, kind)


def signature(fn: ast.FunctionDef) -> list[tuple[ast.arg, ast.expr | None]]:
    """``(parameter, default)`` pairs of ``fn`` (positional first, then keyword-only)."""
    a = fn.args
    positional = [*a.posonlyargs, *a.args]
    defaults: list[ast.expr | None] = [None] * (len(positional) - len(a.defaults))
    defaults += a.defaults
    params = [*zip(positional, defaults, strict=True)]
    params += zip(a.kwonlyargs, a.kw_defaults, strict=True)
    return params


def first_parameter(fn: ast.FunctionDef) -> str:
    """Name of ``fn``'s first positional parameter (the caller checked there is one)."""
    return [*fn.args.posonlyargs, *fn.args.args][0].arg


def make_range(args: list[Any]) -> range:
    """``range(*args)`` of 1 to 3 integers. Raises ``Problem('bad-argument')`` otherwise."""
    if not 1 <= len(args) <= 3 or not all(is_int(a) for a in args):
        raise Problem("bad-argument", "range() takes 1 to 3 integers")
    if len(args) == 3 and args[2] == 0:
        raise Problem("bad-argument", "range() step must not be zero")
    return range(*args)


def literal_length(node: ast.expr) -> int:
    """Iterations of ``range(<literal ints>)`` or a literal tuple/list; 1 when not literal."""
    if isinstance(node, ast.Tuple | ast.List):
        return len(node.elts)
    if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)):
        return 1
    if node.func.id != "range" or node.keywords:
        return 1
    try:
        args = [_literal_int(a) for a in node.args]
        return len(make_range(args))
    except (Problem, ValueError, OverflowError):
        return 1


def _literal_int(node: ast.expr) -> int:
    if isinstance(node, ast.Constant) and isinstance(node.value, int):
        return int(node.value)
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        return -_literal_int(node.operand)
    if isinstance(node, ast.BinOp):
        value = binary(type(node.op).__name__, _literal_int(node.left), _literal_int(node.right))
        if is_int(value):
            return int(value)
    raise ValueError("not a literal integer")


def looks_like_entrypoint(stmt: ast.stmt) -> bool:
    """Syntactically a function decorated ``@hybrid_program`` (or ``@x.hybrid_program``)."""
    if not isinstance(stmt, ast.FunctionDef):
        return False
    for dec in stmt.decorator_list:
        target = dec.func if isinstance(dec, ast.Call) else dec
        name = target.attr if isinstance(target, ast.Attribute) else getattr(target, "id", "")
        if name == "hybrid_program":
            return True
    return False
