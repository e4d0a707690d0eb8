"""Eigen-Lang → AQO by AST analysis only (SPEC §6; the straight-line subset of v0.1).

The program is parsed with :func:`ast.parse` and walked by :class:`Lowerer`; nothing in it is
imported, executed or evaluated by Python. Constant expressions are folded by
:mod:`eigen_compiler.eigen_values` (``+ - * / // % **``, unary ``+ -``, allowlisted ``math`` /
``numpy`` constants and pure functions).

Accepted:

- module level: docstring, imports of ``eigen_lang``/``Eigen_lang``, ``math``, ``numpy``,
  ``typing`` (and ``__future__``), numeric constants, exactly one ``@hybrid_program`` function
  (or the one named by ``entrypoint``), a final ``if __name__ == "__main__":`` block (ignored);
- in the program function: assignments of registers, qubits and numbers, gate calls,
  ``measure``/``measure_all``/``reset``/``barrier``, docstrings, ``pass``, a final bare
  ``return``. Function parameters need numeric defaults or a value in ``inputs``.

Every violation becomes a :class:`~eigen_common.errors.Diagnostic` (rule, 1-based line and
column, hint); all are collected before :class:`CompilationFailedError` is raised. Statements
and expressions dispatch on the node type (``_stmt_<Node>`` / ``_expr_<Node>``): loops,
parameters and hybrid constructs extend the lowering by adding handlers.
"""

from __future__ import annotations

import ast
import math
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, NoReturn

from eigen_common.aqo import Circuit
from eigen_common.errors import Diagnostic
from eigen_compiler import eigen_values as ev
from eigen_compiler.model import Limits, fail, source_lines
from eigen_lang import __all__ as LIBRARY_NAMES
from eigen_lang.gates import DECORATOR_OPTIONS, GATE_ARITY, INSTRUCTIONS, MODULE_NAMES

#: Modules a program may import (spelling → canonical module).
ALLOWED_MODULES: dict[str, str] = {
    **{m: "eigen_lang" for m in MODULE_NAMES},
    "math": "math",
    "numpy": "numpy",
    "typing": "typing",
    "__future__": "__future__",
}
#: Builtins that are always rejected (SPEC §6), reported as ``forbidden-call``.
FORBIDDEN_BUILTINS = frozenset(
    [
        "eval",
        "exec",
        "open",
        "compile",
        "__import__",
        "getattr",
        "setattr",
        "delattr",
        "globals",
        "locals",
        "vars",
        "input",
        "breakpoint",
        "exit",
        "quit",
        "help",
        "memoryview",
    ]
)
_IMPORT_HINT = "allowed imports: eigen_lang, math, numpy, typing"
_STATEMENT_HINTS: dict[str, str] = {
    "For": "loops are not supported in straight-line programs yet; write the gates out",
    "While": "the circuit must be known at compile time",
    "If": "conditions are not supported in straight-line programs",
    "Try": "exception handling is not allowed in Eigen-Lang programs",
    "With": "context managers are not allowed in Eigen-Lang programs",
    "Global": "pass values as function parameters",
    "Import": "imports belong at module level",
    "ImportFrom": "imports belong at module level",
}
_DECORATOR_CHECKS: dict[str, tuple[str, Any]] = {
    "target": ("a string", lambda v: isinstance(v, str)),
    "compiler": ("a string", lambda v: isinstance(v, str)),
    "shots": ("an integer >= 1", lambda v: ev.is_int(v) and v >= 1),
    "seed": ("an integer >= 0", lambda v: ev.is_int(v) and v >= 0),
    "optimization_level": ("0, 1, 2 or 3", lambda v: ev.is_int(v) and v in (0, 1, 2, 3)),
}
_UNBOUND = object()

Candidate = tuple[ast.FunctionDef, dict[str, int | str]]


class _Reject(Exception):
    """Abort the current statement with one positioned diagnostic."""

    def __init__(self, diag: Diagnostic):
        super().__init__(diag.message)
        self.diag = diag


@dataclass
class LoweredProgram:
    """The lowered program: an unoptimised AQO circuit plus program facts.

    ``options`` holds the decorator arguments that were given (``shots``, ``target``,
    ``optimization_level``, ``seed``, ``compiler``); ``warnings`` are non-fatal diagnostics.
    """

    circuit: Circuit
    entrypoint: str
    options: dict[str, int | str] = field(default_factory=dict)
    warnings: list[Diagnostic] = field(default_factory=list)


def lower_program(
    source: str,
    *,
    entrypoint: str = "",
    inputs: Mapping[str, float] | None = None,
    limits: Limits | None = None,
) -> LoweredProgram:
    """Compile Eigen-Lang ``source`` to an unoptimised AQO circuit by AST analysis.

    Args:
        source: the program text.
        entrypoint: name of the ``@hybrid_program`` function; '' = the only one.
        inputs: values for the program function's parameters (override their defaults).
        limits: source bytes, AST nodes, nesting depth, qubits and operations.

    Returns:
        The lowered program.

    Raises:
        CompilationFailedError: with every violation found (rule, line, column, hint).
    """
    return Lowerer(source, inputs or {}, limits or Limits()).run(entrypoint)


class Lowerer:
    """Walks one module: resolves imports and constants, then lowers the program function."""

    def __init__(self, source: str, inputs: Mapping[str, float], limits: Limits) -> None:
        self.source = source
        self.inputs = dict(inputs)
        self.limits = limits
        self.lines = source_lines(source)
        self.diags: list[Diagnostic] = []
        self.globals: dict[str, Any] = {}
        self.locals: dict[str, Any] | None = None
        self.local_names: set[str] = set()
        self.builder: ev.CircuitBuilder | None = None

    # --- diagnostics -------------------------------------------------------------------

    def _diag(
        self,
        rule: str,
        message: str,
        node: ast.AST | None = None,
        hint: str = "",
        severity: str = "error",
    ) -> Diagnostic:
        """A diagnostic at ``node`` (1-based column in characters, not UTF-8 bytes)."""
        line = getattr(node, "lineno", 0) or 0
        column = 0
        if line:
            text = self.lines[line - 1] if line <= len(self.lines) else ""
            offset = getattr(node, "col_offset", 0) or 0
            column = len(text.encode("utf-8")[:offset].decode("utf-8", "replace")) + 1
        return Diagnostic(rule, message, line, column, hint, severity)

    def _error(self, rule: str, message: str, node: ast.AST | None, hint: str = "") -> None:
        self.diags.append(self._diag(rule, message, node, hint))

    def _warn(self, rule: str, message: str, node: ast.AST | None = None) -> None:
        self.diags.append(self._diag(rule, message, node, severity="warning"))

    def _reject(self, rule: str, message: str, node: ast.AST, hint: str = "") -> NoReturn:
        raise _Reject(self._diag(rule, message, node, hint))

    @contextmanager
    def _at(self, node: ast.AST) -> Iterator[None]:
        """Position any :class:`eigen_values.Problem` raised inside at ``node``."""
        try:
            yield
        except ev.Problem as p:
            raise _Reject(self._diag(p.rule, p.message, node, p.hint)) from None

    def _collect(self, stmt: ast.stmt, action: Any) -> None:
        """Run ``action(stmt)``; a rejection becomes a diagnostic and lowering continues."""
        try:
            action(stmt)
        except _Reject as rej:
            self.diags.append(rej.diag)

    # --- entry -------------------------------------------------------------------------

    def run(self, entrypoint: str) -> LoweredProgram:
        """Lower the module; raise :class:`CompilationFailedError` on any error diagnostic."""
        size = len(self.source.encode("utf-8"))
        if size > self.limits.max_source_bytes:
            limit = self.limits.max_source_bytes
            message = f"program is {size} bytes; the limit is {limit}"
            raise fail([Diagnostic("source-too-large", message, hint="split the program")])
        if not self.source.strip():
            hint = "write a @hybrid_program function"
            raise fail([Diagnostic("empty-source", "the program is empty", hint=hint)])
        tree = self._parse()
        self._check_size(tree)
        lowered = self._program(self._module(tree), entrypoint)
        if lowered is None or any(d.severity == "error" for d in self.diags):
            raise fail(self.diags)
        lowered.warnings = list(self.diags)
        return lowered

    def _parse(self) -> ast.Module:
        if "\x00" in self.source:
            before = source_lines(self.source[: self.source.index("\x00")])
            d = Diagnostic("syntax", "source contains a NUL character", len(before))
            raise fail([d])
        try:
            return ast.parse(self.source, filename="<program>", mode="exec")
        except SyntaxError as exc:
            hint = "Eigen-Lang programs use Python syntax"
            d = Diagnostic(
                "syntax", exc.msg or "invalid syntax", exc.lineno or 0, exc.offset or 0, hint
            )
            raise fail([d]) from None
        except (RecursionError, MemoryError, ValueError) as exc:
            rule = "syntax" if isinstance(exc, ValueError) else "too-complex"
            raise fail([Diagnostic(rule, f"cannot parse the program: {exc}"[:300])]) from None

    def _check_size(self, tree: ast.Module) -> None:
        """Enforce the AST node and nesting limits without recursion."""
        count = 0
        stack: list[tuple[ast.AST, int]] = [(tree, 0)]
        while stack:
            node, depth = stack.pop()
            count += 1
            if count > self.limits.max_ast_nodes:
                message = f"the program has more than {self.limits.max_ast_nodes} syntax nodes"
                raise fail([self._diag("too-complex", message, node, "split the program")])
            if depth > self.limits.max_nesting_depth:
                message = f"nesting deeper than {self.limits.max_nesting_depth} levels"
                raise fail([self._diag("too-complex", message, node, "simplify the expression")])
            stack.extend((child, depth + 1) for child in ast.iter_child_nodes(node))

    # --- module level ------------------------------------------------------------------

    def _module(self, tree: ast.Module) -> list[Candidate]:
        candidates: list[Candidate] = []
        last = len(tree.body) - 1

        def visit(stmt: ast.stmt, index: int) -> None:
            if _is_docstring(stmt):
                return
            if isinstance(stmt, ast.Import | ast.ImportFrom):
                self._import(stmt)
            elif isinstance(stmt, ast.Assign | ast.AnnAssign | ast.AugAssign):
                self._statement(stmt)
            elif isinstance(stmt, ast.FunctionDef):
                options = self._hybrid_decorator(stmt)
                if options is None:
                    hint = "helper functions are not supported yet"
                    message = f"function {stmt.name!r} is not a @hybrid_program"
                    self._reject("unsupported-function", message, stmt, hint)
                candidates.append((stmt, options))
            elif isinstance(stmt, ast.If) and _is_main_guard(stmt):
                if index != last:
                    message = '`if __name__ == "__main__":` must be the last statement'
                    self._reject("forbidden-statement", message, stmt)
            else:
                self._forbidden_statement(stmt, module_level=True)

        for i, stmt in enumerate(tree.body):
            self._collect(stmt, lambda s, i=i: visit(s, i))
        return candidates

    def _import(self, stmt: ast.Import | ast.ImportFrom) -> None:
        if isinstance(stmt, ast.Import):
            for alias in stmt.names:
                if alias.name not in ALLOWED_MODULES:
                    message = f"import of {alias.name!r} is not allowed"
                    self._error("forbidden-import", message, stmt, _IMPORT_HINT)
                    continue
                module = ev.ModuleRef(ALLOWED_MODULES[alias.name])
                self._bind_global(alias.asname or alias.name, module, stmt)
            return
        name = stmt.module or ""
        if stmt.level or name not in ALLOWED_MODULES:
            message = f"import from {'.' * stmt.level}{name!r} is not allowed"
            self._reject("forbidden-import", message, stmt, _IMPORT_HINT)
        module = ev.ModuleRef(ALLOWED_MODULES[name])
        if module.name == "__future__":
            return
        for alias in stmt.names:
            if alias.name != "*":
                with self._at(stmt):
                    value = self._member(module, alias.name)
                self._bind_global(alias.asname or alias.name, value, stmt)
            elif module.name == "eigen_lang":
                for lib_name in LIBRARY_NAMES:
                    self.globals[lib_name] = ev.LibRef(lib_name)
            else:
                message = f"`from {name} import *` is not allowed"
                self._reject("forbidden-import", message, stmt, "import names explicitly")

    def _bind_global(self, name: str, value: Any, node: ast.AST) -> None:
        self._check_name(name, node)
        self.globals[name] = value

    def _member(self, module: ev.ModuleRef, name: str) -> Any:
        """``module.name`` as a compile-time value. Raises :class:`eigen_values.Problem`."""
        if name.startswith("_"):
            raise ev.Problem("forbidden-name", f"{name!r} is not allowed")
        if module.name == "eigen_lang":
            if name not in LIBRARY_NAMES:
                raise ev.Problem("unknown-name", f"eigen_lang has no {name!r}")
            return ev.LibRef(name)
        if module.name == "typing":
            return ev.AnnotationOnly(f"typing.{name}")
        if module.name == "__future__":
            raise ev.Problem("forbidden-name", f"__future__.{name} is not a value")
        return ev.module_member(module.name, name)

    def _hybrid_decorator(self, fn: ast.FunctionDef) -> dict[str, int | str] | None:
        """Decorator options if ``fn`` is a ``@hybrid_program``, else ``None``."""
        found: dict[str, int | str] | None = None
        for dec in fn.decorator_list:
            call = dec if isinstance(dec, ast.Call) else None
            target = call.func if call else dec
            try:
                resolved = self._eval(target)
            except _Reject:
                resolved = None
            if resolved != ev.LibRef("hybrid_program"):
                message = f"decorator {_snippet(target)!r} is not allowed"
                self._reject("forbidden-decorator", message, dec, "use @hybrid_program")
            found = self._decorator_options(call) if call else {}
        return found

    def _decorator_options(self, call: ast.Call) -> dict[str, int | str]:
        out: dict[str, int | str] = {}
        if call.args:
            message = "hybrid_program takes keyword arguments only"
            self._error("invalid-decorator-argument", message, call.args[0])
        for kw in call.keywords:
            if kw.arg is None or kw.arg not in DECORATOR_OPTIONS:
                message = f"hybrid_program argument {kw.arg or '**'!r} is ignored"
                self._warn("unknown-decorator-argument", message, kw.value)
                continue
            try:
                value = self._eval(kw.value)
            except _Reject as rej:
                self.diags.append(rej.diag)
                continue
            expected, valid = _DECORATOR_CHECKS[kw.arg]
            if not valid(value):
                message = f"hybrid_program({kw.arg}=...) must be {expected}"
                self._error("invalid-decorator-argument", message, kw.value)
                continue
            out[kw.arg] = value
        return out

    # --- the program function ----------------------------------------------------------

    def _select(self, candidates: list[Candidate], entrypoint: str) -> Candidate | None:
        names = [fn.name for fn, _ in candidates]
        chosen = [c for c in candidates if c[0].name == entrypoint] if entrypoint else candidates
        if entrypoint and not chosen:
            message = f"no @hybrid_program function named {entrypoint!r}"
            hint = f"available: {', '.join(names) or 'none'}"
            self.diags.append(Diagnostic("unknown-entrypoint", message, hint=hint))
        elif not chosen:
            hint = "decorate the program function with @hybrid_program(...)"
            message = "the program has no @hybrid_program function"
            self.diags.append(Diagnostic("missing-entrypoint", message, hint=hint))
        elif len(chosen) > 1:
            message = f"more than one @hybrid_program function: {names}"
            hint = "keep one, or name it as the job's entrypoint"
            self._error("multiple-entrypoints", message, chosen[1][0], hint)
        else:
            return chosen[0]
        return None

    def _program(self, candidates: list[Candidate], entrypoint: str) -> LoweredProgram | None:
        selected = self._select(candidates, entrypoint)
        if selected is None:
            return None
        fn, options = selected
        builder = self.builder = ev.CircuitBuilder(
            self.limits.max_qubits, self.limits.max_operations
        )
        self.locals = {}
        self.local_names = _assigned_names(fn)
        self._parameters(fn)
        last = len(fn.body) - 1
        for i, stmt in enumerate(fn.body):
            if isinstance(stmt, ast.Return):
                self._collect(stmt, lambda s, i=i: self._return(s, last=i == last))
            else:
                self._collect(stmt, self._statement)
            if self.diags and self.diags[-1].rule == "too-many-operations":
                break
        if not builder.ops:
            self._warn("empty-program", f"{fn.name!r} applies no operations", fn)
        circuit = Circuit(builder.num_qubits, builder.num_clbits, tuple(builder.ops))
        return LoweredProgram(circuit, fn.name, options)

    def _parameters(self, fn: ast.FunctionDef) -> None:
        """Bind the function's parameters from ``inputs`` or their numeric defaults."""
        a = fn.args
        assert self.locals is not None
        for star in (a.vararg, a.kwarg):
            if star is not None:
                message = f"*{star.arg} parameters are not supported"
                self._error("unsupported-parameter", message, star)
        positional = [*a.posonlyargs, *a.args]
        defaults: list[ast.expr | None] = [None] * (len(positional) - len(a.defaults))
        defaults += a.defaults
        params = [*zip(positional, defaults, strict=True)]
        params += zip(a.kwonlyargs, a.kw_defaults, strict=True)
        for arg, default in params:
            try:
                self.locals[arg.arg] = self._parameter(arg, default)
            except _Reject as rej:
                self.diags.append(rej.diag)
                self.locals[arg.arg] = 0.0  # placeholder: no follow-up "unknown-name" errors
        for name in sorted(set(self.inputs) - {arg.arg for arg, _ in params}):
            self._warn("unused-input", f"input {name!r} is not a parameter of {fn.name!r}")

    def _parameter(self, arg: ast.arg, default: ast.expr | None) -> Any:
        self._check_name(arg.arg, arg)
        value: Any = _UNBOUND
        if default is not None:
            value = self._eval(default)
            if not ev.is_number(value):
                message = f"parameter {arg.arg!r} must default to a number"
                self._reject("unsupported-parameter", message, default)
        if arg.arg in self.inputs:
            given = float(self.inputs[arg.arg])
            if not math.isfinite(given):
                self._reject("invalid-input", f"input {arg.arg!r} is not finite", arg)
            value = int(given) if ev.is_int(value) and given.is_integer() else given
        if value is _UNBOUND:
            message = f"parameter {arg.arg!r} has no default and no input value"
            hint = f"pass it in the job inputs: {arg.arg}: <number>"
            self._reject("missing-input", message, arg, hint)
        return value

    def _return(self, stmt: ast.Return, *, last: bool) -> None:
        value = stmt.value
        if value is not None and not (isinstance(value, ast.Constant) and value.value is None):
            hint = "measurement counts are the program's result"
            self._reject("unsupported-statement", "programs return nothing yet", stmt, hint)
        if not last:
            self._reject("unsupported-statement", "`return` must be the last statement", stmt)

    # --- statements --------------------------------------------------------------------

    def _statement(self, stmt: ast.stmt) -> None:
        handler = getattr(self, f"_stmt_{type(stmt).__name__}", None)
        if handler is None:
            self._forbidden_statement(stmt, module_level=False)
        handler(stmt)

    def _forbidden_statement(self, stmt: ast.stmt, *, module_level: bool) -> NoReturn:
        kind = type(stmt).__name__
        hint = _STATEMENT_HINTS.get(kind, "")
        if isinstance(stmt, ast.AsyncFunctionDef | ast.AsyncFor | ast.AsyncWith):
            message = "async code is not allowed"
        elif isinstance(stmt, ast.FunctionDef):
            message = "nested functions are not allowed"
        elif module_level and isinstance(stmt, ast.Expr):
            message = "module-level expressions are not allowed"
            hint = 'put local runs under `if __name__ == "__main__":`'
        else:
            word = {"ClassDef": "class", "ImportFrom": "from-import"}.get(kind, kind.lower())
            message = f"`{word}` statements are not allowed here"
        self._reject("forbidden-statement", message, stmt, hint)

    def _stmt_Expr(self, stmt: ast.Expr) -> None:
        if not _is_docstring(stmt):
            self._eval(stmt.value)

    def _stmt_Pass(self, stmt: ast.Pass) -> None:
        return

    def _stmt_Assign(self, stmt: ast.Assign) -> None:
        value = self._eval(stmt.value)
        for target in stmt.targets:
            self._assign(target, value)

    def _stmt_AnnAssign(self, stmt: ast.AnnAssign) -> None:
        if stmt.value is not None:  # the annotation itself is never evaluated
            self._assign(stmt.target, self._eval(stmt.value))

    def _stmt_AugAssign(self, stmt: ast.AugAssign) -> None:
        target = stmt.target
        if not isinstance(target, ast.Name):
            self._reject("unsupported-assignment", "only names can be assigned", target)
        current, operand = self._lookup(target.id, target), self._eval(stmt.value)
        with self._at(stmt):
            value = ev.binary(type(stmt.op).__name__, current, operand)
        self._assign(target, value)

    def _assign(self, target: ast.expr, value: Any) -> None:
        if not isinstance(target, ast.Name):
            message = f"cannot assign to {_snippet(target)!r}; only to simple names"
            self._reject("unsupported-assignment", message, target)
        self._check_name(target.id, target)
        if not isinstance(value, int | float | ev.QReg | ev.CReg | ev.QubitRef | ev.ClbitRef):
            message = f"{target.id!r} must be a number, a register or a qubit, not {ev.kind(value)}"
            self._reject("unsupported-assignment", message, target)
        scope = self.globals if self.locals is None else self.locals
        scope[target.id] = value

    # --- expressions -------------------------------------------------------------------

    def _eval(self, node: ast.expr) -> Any:
        handler = getattr(self, f"_expr_{type(node).__name__}", None)
        if handler is None:
            message = f"{_describe(node)} is not supported in Eigen-Lang v0.1"
            hint = "use numbers, registers, qubits and library calls"
            self._reject("unsupported-expression", message, node, hint)
        with self._at(node):
            return handler(node)

    def _expr_Constant(self, node: ast.Constant) -> Any:
        v = node.value
        if isinstance(v, bool) or not (v is None or isinstance(v, int | float | str)):
            self._reject("unsupported-expression", f"constant {v!r} is not supported", node)
        return ev.checked(v) if isinstance(v, int | float) else v

    def _expr_Name(self, node: ast.Name) -> Any:
        return self._lookup(node.id, node)

    def _lookup(self, name: str, node: ast.AST) -> Any:
        self._check_name(name, node)
        if self.locals is not None and (name in self.locals or name in self.local_names):
            if name not in self.locals:
                self._reject("unbound-name", f"{name!r} is used before it is assigned", node)
            return self.locals[name]
        if name in self.globals:
            return self.globals[name]
        if name in ev.BUILTINS:
            return ev.PureFunction(name, ev.BUILTINS[name])
        if name == "len":
            return ev.PureFunction("len", len)
        hint = "define it before use, or import it from eigen_lang"
        self._reject("unknown-name", f"name {name!r} is not defined", node, hint)

    def _check_name(self, name: str, node: ast.AST) -> None:
        if name in FORBIDDEN_BUILTINS:
            self._reject("forbidden-call", f"{name!r} is not allowed in Eigen-Lang programs", node)
        if name.startswith("__") and name.endswith("__"):
            self._reject("forbidden-name", f"dunder name {name!r} is not allowed", node)

    def _expr_Attribute(self, node: ast.Attribute) -> Any:
        if node.attr.startswith("_"):
            self._reject("forbidden-name", f"attribute {node.attr!r} is not allowed", node)
        base = self._eval(node.value)
        if not isinstance(base, ev.ModuleRef):
            message = f"attribute access {_snippet(node)!r} is not supported"
            self._reject("unsupported-expression", message, node)
        return self._member(base, node.attr)

    def _expr_Subscript(self, node: ast.Subscript) -> Any:
        reg = self._eval(node.value)
        if not isinstance(reg, ev.QReg | ev.CReg):
            self._reject("unsupported-expression", "only registers can be indexed", node)
        if isinstance(node.slice, ast.Slice):
            hint = "index single qubits, or pass the whole register"
            self._reject("unsupported-expression", "register slices are not supported", node, hint)
        index = self._eval(node.slice)
        if not ev.is_int(index):
            message = f"register index must be an integer, got {ev.kind(index)}"
            self._reject("bad-argument", message, node.slice)
        i = index + reg.size if index < 0 else index
        if not 0 <= i < reg.size:
            rule = "qubit-out-of-range" if isinstance(reg, ev.QReg) else "clbit-out-of-range"
            message = f"index {index} is out of range for a register of size {reg.size}"
            self._reject(rule, message, node.slice)
        return (
            ev.QubitRef(reg.offset + i) if isinstance(reg, ev.QReg) else ev.ClbitRef(reg.offset + i)
        )

    def _expr_UnaryOp(self, node: ast.UnaryOp) -> ev.Number:
        value = ev.number(self._eval(node.operand))
        if isinstance(node.op, ast.USub):
            return -value
        if isinstance(node.op, ast.UAdd):
            return +value
        self._reject("unsupported-expression", f"{_describe(node.op)} is not supported", node)

    def _expr_BinOp(self, node: ast.BinOp) -> ev.Number:
        left, right = self._eval(node.left), self._eval(node.right)
        return ev.binary(type(node.op).__name__, left, right)

    def _expr_Call(self, node: ast.Call) -> Any:
        callee = self._eval(node.func)
        if any(isinstance(a, ast.Starred) for a in node.args) or any(
            kw.arg is None for kw in node.keywords
        ):
            self._reject("unsupported-expression", "*args / **kwargs are not supported", node)
        if isinstance(callee, ev.PureFunction):
            if node.keywords:
                message = f"{callee.qualname}() takes positional arguments only"
                self._reject("bad-argument", message, node)
            return ev.call_pure(callee, [self._eval(a) for a in node.args])
        if isinstance(callee, ev.LibRef):
            return self._call_library(callee.name, node)
        hint = "only Eigen-Lang library functions and math functions can be called"
        message = f"{_snippet(node.func)!r} cannot be called"
        self._reject("forbidden-call", message, node, hint)

    # --- library calls (registers, gates, instructions) --------------------------------

    def _call_library(self, name: str, node: ast.Call) -> Any:
        if self.builder is None:
            message = f"{name}() can only be used inside the @hybrid_program function"
            self._reject("forbidden-call", message, node)
        if name in ("QubitRegister", "ClassicalRegister"):
            return self._register(self.builder, name, node)
        if name not in GATE_ARITY and name not in INSTRUCTIONS:
            self._reject("forbidden-call", f"eigen_lang.{name} cannot be called here", node)
        if node.keywords:
            self._reject("bad-argument", f"{name}() takes positional arguments only", node)
        if name in GATE_ARITY:
            self._gate(self.builder, name, node)
        else:
            getattr(self, f"_instr_{name}")(self.builder, node)
        return None

    def _register(self, b: ev.CircuitBuilder, name: str, node: ast.Call) -> ev.QReg | ev.CReg:
        bound: dict[str, Any] = {}
        for pname, arg in zip(("size", "name"), node.args, strict=False):
            bound[pname] = self._eval(arg)
        for kw in node.keywords:
            if kw.arg not in ("size", "name") or kw.arg in bound or len(node.args) > 2:
                self._reject("bad-argument", f"{name}(size, name=None): bad arguments", node)
            bound[kw.arg] = self._eval(kw.value)
        if len(node.args) > 2 or "size" not in bound:
            self._reject("bad-argument", f"{name}(size, name=None): bad arguments", node)
        if not isinstance(bound.get("name"), str | None):
            self._reject("bad-argument", f"{name} name must be a string", node)
        return b.allocate(name == "QubitRegister", bound["size"])

    def _qubit_args(self, b: ev.CircuitBuilder, args: list[ast.expr]) -> list[list[int]]:
        out = []
        for arg in args:
            value = self._eval(arg)
            with self._at(arg):
                out.append(b.qubits(value))
        return out

    def _clbit_arg(self, b: ev.CircuitBuilder, arg: ast.expr) -> list[int]:
        value = self._eval(arg)
        with self._at(arg):
            return b.clbits(value)

    def _gate(self, b: ev.CircuitBuilder, name: str, node: ast.Call) -> None:
        spec = GATE_ARITY[name]
        expected = spec.num_params + spec.num_qubits
        if len(node.args) != expected:
            shape = f"{spec.num_params} angle(s) then {spec.num_qubits} qubit(s)"
            message = f"{name}() takes {expected} arguments ({shape}), got {len(node.args)}"
            self._reject("bad-argument", message, node)
        params = []
        for arg in node.args[: spec.num_params]:
            value = self._eval(arg)
            with self._at(arg):
                params.append(float(ev.number(value)))
        b.gate(name, params, self._qubit_args(b, node.args[spec.num_params :]))

    def _instr_measure(self, b: ev.CircuitBuilder, node: ast.Call) -> None:
        if len(node.args) != 2:
            self._reject("bad-argument", "measure(qubits, clbits) takes 2 arguments", node)
        (qs,) = self._qubit_args(b, node.args[:1])
        b.measure(qs, self._clbit_arg(b, node.args[1]))

    def _instr_measure_all(self, b: ev.CircuitBuilder, node: ast.Call) -> None:
        qubits = self._qubit_args(b, node.args)
        b.measure_all([q for qs in qubits for q in qs] if node.args else b.all_qubits())

    def _instr_reset(self, b: ev.CircuitBuilder, node: ast.Call) -> None:
        if not node.args:
            self._reject("bad-argument", "reset() needs at least one qubit", node)
        b.reset([q for qs in self._qubit_args(b, node.args) for q in qs])

    def _instr_barrier(self, b: ev.CircuitBuilder, node: ast.Call) -> None:
        qubits = self._qubit_args(b, node.args)
        b.barrier([q for qs in qubits for q in qs] if node.args else b.all_qubits())


# --- helpers --------------------------------------------------------------------------------


def _is_docstring(stmt: ast.stmt) -> bool:
    return (
        isinstance(stmt, ast.Expr)
        and isinstance(stmt.value, ast.Constant)
        and isinstance(stmt.value.value, str)
    )


def _is_main_guard(stmt: ast.If) -> bool:
    """``if __name__ == "__main__":`` without ``else`` (the local-run block)."""
    t = stmt.test
    return (
        not stmt.orelse
        and isinstance(t, ast.Compare)
        and isinstance(t.left, ast.Name)
        and t.left.id == "__name__"
        and len(t.ops) == 1
        and isinstance(t.ops[0], ast.Eq)
        and isinstance(t.comparators[0], ast.Constant)
        and t.comparators[0].value == "__main__"
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


def _snippet(node: ast.AST) -> str:
    """Source text of ``node`` for a message, shortened."""
    text = ast.unparse(node)
    return text if len(text) <= 60 else text[:57] + "..."


def _describe(node: ast.AST) -> str:
    kind = type(node).__name__
    return _DESCRIPTIONS.get(kind, kind)


def _assigned_names(fn: ast.FunctionDef) -> set[str]:
    """Names assigned anywhere in ``fn``'s body (Python's local-scope rule)."""
    return {
        node.id
        for stmt in fn.body
        for node in ast.walk(stmt)
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store)
    }
