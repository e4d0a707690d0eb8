"""The closed allowlist of Eigen-Lang v0.1 (SPEC §6) as tables: modules, builtins, constructs.

:mod:`.scan` applies them in its one walk over the module; the lowering reads the same tables
when it resolves names, so the check and the lowering cannot disagree about what is allowed.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable

from eigen_ir.gates import LIBRARY_NAMES as _EIGEN_LANG_EXPORTS
from eigen_ir.gates import MODULE_NAMES

#: Modules a program may import (spelling → canonical module).
ALLOWED_MODULES: dict[str, str] = {
    **{m: "eigen_lang" for m in MODULE_NAMES},
    "math": "math",
    "numpy": "numpy",
    "typing": "typing",
    "__future__": "__future__",
}
IMPORT_HINT = "allowed imports: eigen_lang, math, numpy (as np), typing"

#: Builtins that are always rejected (SPEC §6), reported as ``forbidden-call``.
FORBIDDEN_BUILTINS = frozenset(
    [
        "eval", "exec", "open", "compile", "__import__", "getattr", "setattr", "delattr",
        "hasattr", "globals", "locals", "vars", "dir", "input", "breakpoint", "exit", "quit",
        "help", "memoryview", "type", "object", "super", "classmethod", "staticmethod",
    ]
)  # fmt: skip

#: Builtins folded at compile time (``range``/``len``/``list``/``tuple`` are handled apart).
FOLDED_BUILTINS: tuple[str, ...] = ("abs", "float", "int", "round", "min", "max", "sum", "bool")
#: Every builtin a program may call.
BUILTIN_NAMES = frozenset([*FOLDED_BUILTINS, "range", "len", "list", "tuple"])

#: Hybrid library names of seed 004 the compiler knows, whether or not the installed
#: ``eigen_lang`` exports them yet (the library and the compiler are written side by side).
HYBRID_NAMES: tuple[str, ...] = (
    "ansatz",
    "cost_function",
    "Param",
    "Observable",
    "Ansatz",
    "ExpectationValue",
    "minimize",
    "create_hea_ansatz",
    "create_ising_model_hamiltonian",
    "get_program_ast",
    "visualize_circuit",
    "load_dataset",
    "angle_encoding",
    "zz_feature_map",
    "QuantumModel",
    "SupervisedTask",
)

#: Methods a program may call on library values (``result.optimal_parameters.tolist()``).
RESULT_METHODS: frozenset[str] = frozenset(["tolist", "fit"])


def library_names() -> Iterable[str]:
    """Every name ``from eigen_lang import *`` binds in a program."""
    return sorted({*_EIGEN_LANG_EXPORTS, *HYBRID_NAMES})


#: :func:`library_names` as a set.
LIBRARY = frozenset(library_names())

#: Rejected constructs: node type → ``(rule, message, hint)``.
CONSTRUCTS: dict[type, tuple[str, str, str]] = {
    ast.While: ("while", "`while` loops are not allowed", "use `for i in range(<constant>)`"),
    ast.Try: ("try", "`try` is not allowed", "a program cannot catch errors; remove it"),
    ast.With: ("with", "`with` is not allowed", "context managers are not part of Eigen-Lang"),
    ast.AsyncWith: ("async", "`async with` is not allowed", "programs are synchronous"),
    ast.AsyncFor: ("async", "`async for` is not allowed", "programs are synchronous"),
    ast.AsyncFunctionDef: ("async", "`async def` is not allowed", "programs are synchronous"),
    ast.Await: ("async", "`await` is not allowed", "programs are synchronous"),
    ast.Lambda: ("lambda", "`lambda` is not allowed", "use a @quantum_circuit function"),
    ast.ClassDef: ("class", "classes are not allowed", "use functions and library types"),
    ast.Global: ("global", "`global` is not allowed", "pass values as function arguments"),
    ast.Nonlocal: ("global", "`nonlocal` is not allowed", "pass values as function arguments"),
    ast.Yield: ("yield", "`yield` is not allowed", "return a value instead"),
    ast.YieldFrom: ("yield", "`yield from` is not allowed", "return a value instead"),
    ast.ListComp: ("comprehension", "comprehensions are not supported", "use a `for` loop"),
    ast.SetComp: ("comprehension", "comprehensions are not supported", "use a `for` loop"),
    ast.DictComp: ("comprehension", "comprehensions are not supported", "use a `for` loop"),
    ast.GeneratorExp: ("comprehension", "generators are not supported", "use a `for` loop"),
    ast.Delete: ("del", "`del` is not allowed", "names cannot be deleted"),
    ast.Starred: ("star-args", "`*` unpacking is not allowed", "pass arguments one by one"),
    ast.NamedExpr: ("walrus", "`:=` is not allowed", "assign on its own line"),
    ast.JoinedStr: ("f-string", "f-strings are not allowed", "use a plain string"),
    ast.Raise: ("forbidden-statement", "`raise` is not allowed", ""),
    ast.Assert: ("forbidden-statement", "`assert` is not allowed", ""),
    ast.Match: ("forbidden-statement", "`match` is not allowed", "use `if` on a constant"),
    ast.Break: ("forbidden-statement", "`break` is not allowed", "loops always run fully"),
    ast.Continue: ("forbidden-statement", "`continue` is not allowed", "use `if` on a constant"),
}
CONSTRUCTS[ast.TryStar] = CONSTRUCTS[ast.Try]


def is_main_guard(stmt: ast.stmt) -> bool:
    """``if __name__ == "__main__":`` without ``else`` (the local-run block)."""
    if not isinstance(stmt, ast.If) or stmt.orelse:
        return False
    t = stmt.test
    return (
        isinstance(t, ast.Compare)
        and isinstance(t.left, ast.Name)
        and t.left.id == "__name__"
        and len(t.ops) == 1
        and isinstance(t.ops[0], ast.Eq)
        and isinstance(t.comparators[0], ast.Constant)
        and t.comparators[0].value == "__main__"
    )


def is_dunder(name: str) -> bool:
    """``__name__``-shaped (at least one character between the underscores)."""
    return name.startswith("__") and name.endswith("__") and len(name) > 4
