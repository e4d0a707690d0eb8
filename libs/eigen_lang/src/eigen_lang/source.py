"""``get_program_ast``: the syntax tree the compiler analyses for a program.

The platform compiles a program from its source text by AST analysis only (SPEC §6); this
returns the same ``ast.Module`` locally, with the same line numbers, for inspection.
"""

from __future__ import annotations

import ast
import inspect
import os
import textwrap
from collections.abc import Callable
from pathlib import Path
from typing import Any

from eigen_lang.program import HybridProgram


def _function_source(func: Callable[..., Any]) -> str:
    """The whole file that defines ``func``, else the function's own (dedented) source."""
    target = inspect.unwrap(func)
    filename = inspect.getsourcefile(target)
    if filename is not None and os.path.isfile(filename):
        return Path(filename).read_text(encoding="utf-8")
    return textwrap.dedent(inspect.getsource(target))


def get_program_ast(
    program: HybridProgram | Callable[..., Any] | str | os.PathLike[str],
) -> ast.Module:
    """Parse a program's source into the ``ast.Module`` the compiler analyses.

    Args:
        program: one of

            - a ``@hybrid_program`` object or a plain function: the source file that defines
              it (the program module, so line numbers match compiler messages), or the
              function's own source when the file is not available (e.g. a notebook cell);
            - a ``pathlib.Path``/``os.PathLike``, or a one-line ``str`` naming an existing
              file or ending in ``.py``: that file (UTF-8);
            - any other ``str``: the program source text itself.

    Returns:
        The parsed module (``ast.parse``), with line and column numbers.

    Raises:
        FileNotFoundError: a path that does not exist.
        OSError: the source of a function cannot be read.
        SyntaxError: the source does not parse.
        TypeError: an unsupported argument type.
    """
    filename = "<program>"
    if isinstance(program, HybridProgram):
        source = _function_source(program.func)
        filename = inspect.getsourcefile(inspect.unwrap(program.func)) or filename
    elif isinstance(program, os.PathLike) or (
        isinstance(program, str)
        and "\n" not in program
        and (program.endswith(".py") or os.path.isfile(program))
    ):
        path = Path(os.fspath(program))
        source = path.read_text(encoding="utf-8")
        filename = str(path)
    elif isinstance(program, str):
        source = program
    elif callable(program):
        source = _function_source(program)
        filename = inspect.getsourcefile(inspect.unwrap(program)) or filename
    else:
        raise TypeError(
            "get_program_ast expects a @hybrid_program, a function, a path or source text, "
            f"got {program!r}"
        )
    return ast.parse(source, filename=filename)
