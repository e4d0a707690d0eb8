"""Eigen-Lang → AQO or a hybrid plan, by AST analysis only (SPEC §6, v0.1).

The program is parsed with :func:`ast.parse`, checked against the closed allowlist of
:mod:`eigen_compiler.eigen_check` (every violation is collected), then walked by
:class:`Lowerer`; nothing in it is imported, executed or evaluated by Python. Constants are
folded by :mod:`eigen_compiler.eigen_values`.

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
- hybrid constructs (seed 004), evaluated with our own library (:mod:`eigen_compiler.eigen_hybrid`
  bounds every argument first): ``Param("name")`` as a gate angle (a symbolic AQO parameter;
  job inputs with that name are bound by the kernel, not here), ``Observable`` values and
  ``create_ising_model_hamiltonian`` (``+ - * /``, ``.n_qubits``), ``create_hea_ansatz``;
  ``@ansatz`` functions (one argument, the parameter vector: ``theta[k]`` is the parameter
  ``theta[k]``; lowered once, at first use) and ``@cost_function`` functions (one argument; the
  body is ``return ExpectationValue(...)``, evaluated when ``minimize`` runs, with closure
  semantics), module level or nested in the program function; exactly one
  ``minimize(objective, initial_guess, method, max_iter, tolerance)`` whose result fields the
  program's final ``return {...}`` may name. Such a program lowers to a
  :class:`~eigen_ir.hybrid.HybridPlan` (``LoweredProgram.plan``) around its ansatz circuit.

Before a loop is unrolled or a function inlined, its work is estimated (iterations × statically
counted statements) and the program is rejected at once when it would exceed
``Limits.max_operations``; executed statements are counted too, so no program can run long.
Every violation becomes a :class:`~eigen_common.errors.Diagnostic` (rule, 1-based line and
column, hint); all are collected before :class:`CompilationFailedError` is raised.
"""

from __future__ import annotations

import ast
import math
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, NoReturn

import numpy as np

from eigen_common.errors import Diagnostic
from eigen_compiler import eigen_hybrid as hy
from eigen_compiler import eigen_values as ev
from eigen_compiler.eigen_check import (
    ALLOWED_MODULES,
    FORBIDDEN_BUILTINS,
    IMPORT_HINT,
    check_module,
    is_main_guard,
    library_names,
)
from eigen_compiler.model import Limits, fail, source_lines
from eigen_ir.aqo import Circuit
from eigen_ir.gates import DECORATOR_OPTIONS, GATE_ARITY, INSTRUCTIONS
from eigen_ir.hybrid import MAX_PARAMETERS, HybridPlan, OptimizerSpec

LIBRARY_NAMES = frozenset(library_names())
_IMPORT_HINT = IMPORT_HINT
#: Library functions evaluated by :meth:`Lowerer._call_hybrid` (compile-time values).
_HYBRID_CALLS = frozenset(
    [
        "Param", "Observable", "create_ising_model_hamiltonian", "create_hea_ansatz",
        "ExpectationValue", "minimize", "get_program_ast", "visualize_circuit", "Ansatz",
        "ansatz", "cost_function",
    ]
)  # fmt: skip
#: ``(parameter names, number required)`` of the hybrid library calls (Python signatures).
_SIGNATURES: dict[str, tuple[tuple[str, ...], int]] = {
    "Param": (("name",), 1),
    "Observable": (("terms", "coeff"), 1),
    "create_ising_model_hamiltonian": (("n_spins", "J", "h", "periodic"), 1),
    "create_hea_ansatz": (("n_qubits", "depth", "entanglement", "rotations"), 1),
    "ExpectationValue": (("circuit_or_ansatz", "observable", "shots"), 2),
    "minimize": (("objective", "initial_guess", "method", "max_iter", "tolerance"), 2),
}
_DEFAULTS: dict[str, Any] = {
    "coeff": None, "J": 1.0, "h": 0.0, "periodic": False, "depth": 1,
    "entanglement": "linear", "rotations": "ry", "shots": None, "method": "cobyla",
    "max_iter": 100, "tolerance": None,
}  # fmt: skip
_SCALABLE = (ev.Array, ev.ObservableValue)
_TOLIST = ("optimal_parameters", "tolist")
_HYBRID_HINT = "see SPEC §6: @ansatz, @cost_function, ExpectationValue, minimize"
_STATEMENT_HINTS: dict[str, str] = {
    "While": "the circuit must be known at compile time",
    "If": "module-level code runs once; put conditions in a function",
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
    "seed": (
        "an integer in 0..4294967295 (it also seeds numpy's random initial guesses)",
        lambda v: ev.is_int(v) and 0 <= v < 2**32,
    ),
    "optimization_level": ("0, 1, 2 or 3", lambda v: ev.is_int(v) and v in (0, 1, 2, 3)),
}
_UNBOUND = object()
#: Decorators that mark helper functions inlined by the compiler.
_HELPER_DECORATORS = ("quantum_circuit", "ansatz", "cost_function")
#: Seed of ``np.random`` when the program gives none (the local runtime uses the same).
DEFAULT_RANDOM_SEED = 0

Candidate = tuple[ast.FunctionDef, dict[str, int | str]]
_STORABLE = (
    ev.QReg, ev.CReg, ev.QubitRef, ev.ClbitRef, ev.ParamRef, ev.ObservableValue,
    ev.AnsatzValue, ev.AnsatzFunction, ev.CostFunction, ev.MinimizeResult, ev.ResultField,
    ev.DictValue, ev.Expectation,
)  # fmt: skip


class _Silent(Exception):
    """Abandon a statement that uses a name whose assignment already failed (reported)."""


_POISON = object()


class _Reject(Exception):
    """Abort the current statement with one positioned diagnostic."""

    def __init__(self, diag: Diagnostic):
        super().__init__(diag.message)
        self.diag = diag


@dataclass
class _HybridState:
    """Lowering state of hybrid constructs (``@ansatz``, ``@cost_function``, ``minimize``)."""

    program_locals: dict[str, Any] | None = None
    in_ansatz: bool = False
    in_cost: bool = False
    vector_uses: dict[str, set[int]] = field(default_factory=dict)  # active vector → indices
    ansatz_cache: dict[int, ev.AnsatzValue | None] = field(default_factory=dict)  # id(def)
    minimize: tuple[ev.Expectation, OptimizerSpec] | None = None
    minimize_failed: bool = False  # a minimize() call was rejected (its result is unknown)
    budget: ev.TermBudget = field(default_factory=lambda: ev.TermBudget(hy.TERM_WORK))
    returns: dict[str, dict[str, Any]] = field(default_factory=dict)
    param_names: set[str] = field(default_factory=set)  # Param angles outside ansätze


@dataclass
class LoweredProgram:
    """The lowered program: an unoptimised AQO circuit plus program facts.

    ``options`` holds the decorator arguments that were given (``shots``, ``target``,
    ``optimization_level``, ``seed``, ``compiler``); ``warnings`` are non-fatal diagnostics.
    ``plan`` is set for a program that calls ``minimize``: then ``circuit`` is the plan's
    ansatz circuit. ``circuit.parameters`` are the symbolic AQO parameters (``Param`` names,
    bound by the kernel at execution, or the plan's ``theta[k]``).
    """

    circuit: Circuit
    entrypoint: str
    options: dict[str, int | str] = field(default_factory=dict)
    warnings: list[Diagnostic] = field(default_factory=list)
    plan: HybridPlan | None = None


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
    return Lowerer(text, inputs or {}, limits).run(entrypoint)


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
        self.helpers: dict[str, ast.FunctionDef] = {}
        self.inlining: list[str] = []
        self.steps = 0
        self.costs: dict[str, int] = {}
        self._cost_depth = 0
        self._loop_costs: dict[int, int] = {}
        self.rng: np.random.RandomState | None = None
        # Hot-path caches (lowering evaluates the same nodes once per unrolled iteration):
        # handler per AST node type, and names already accepted by ``_check_name``.
        self._expr_handlers: dict[type, Any] = {}
        self._stmt_handlers: dict[type, Any] = {}
        self._checked_names: set[str] = set()
        self._starred: dict[int, bool] = {}  # id(ast.Call) → has *args/**kwargs (tree is alive)
        # Hybrid programs (seed 004): one attribute, so the hot attributes above stay few
        # (CPython keeps at most 30 attributes in an instance's fast shared-key layout).
        self.options: dict[str, int | str] = {}
        self.hybrid = _HybridState()

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
        """Run ``action(stmt)``; a rejection becomes a diagnostic and lowering continues.

        Names the failed statement would have assigned are poisoned: a later use of them
        abandons that statement silently (the cause is already reported).
        """
        try:
            action(stmt)
            return
        except _Silent:
            pass
        except _Reject as rej:
            self.diags.append(rej.diag)
        targets = stmt.targets if isinstance(stmt, ast.Assign) else []
        if isinstance(stmt, ast.AnnAssign | ast.AugAssign):
            targets = [stmt.target]
        scope = self.globals if self.locals is None else self.locals
        if isinstance(stmt, ast.FunctionDef):  # a rejected @ansatz / @cost_function
            scope[stmt.name] = _POISON
        for target in targets:
            for node in ast.walk(target):
                if isinstance(node, ast.Name):
                    scope[node.id] = _POISON

    # --- entry -------------------------------------------------------------------------

    def run(self, entrypoint: str) -> LoweredProgram:
        """Lower the module; raise :class:`CompilationFailedError` on any error diagnostic."""
        if not self.source.strip():
            hint = "write a @hybrid_program function"
            raise fail([Diagnostic("empty-source", "the program is empty", hint=hint)])
        tree = self._parse()
        self._check_size(tree)
        violations = check_module(tree)
        if violations:
            diags = [self._diag(r, m, n, h) for r, m, n, h in violations]
            if not any(_looks_like_entrypoint(stmt) for stmt in tree.body):
                hint = "decorate the program function with @hybrid_program(...)"
                message = "the program has no @hybrid_program function"
                diags.append(Diagnostic("missing-entrypoint", message, hint=hint))
            raise fail(diags)
        lowered = self._program(self._module(tree), entrypoint)
        if lowered is None or any(d.severity == "error" for d in self.diags):
            raise fail(self.diags)
        lowered.warnings = list(self.diags)
        return lowered

    def _parse(self) -> ast.Module:
        if "\x00" in self.source:
            before = source_lines(self.source[: self.source.index("\x00")])
            message = "source contains a NUL character"
            d = Diagnostic("syntax", message, len(before), len(before[-1]) + 1)
            raise fail([d])
        try:
            return ast.parse(self.source, filename="<program>", mode="exec")
        except SyntaxError as exc:
            msg = exc.msg or "invalid syntax"
            deep = "too many" in msg and ("nested" in msg or "indentation" in msg)
            hint = "simplify the nesting" if deep else "Eigen-Lang programs use Python syntax"
            d = Diagnostic(
                "too-deep" if deep else "syntax", msg, exc.lineno or 0, exc.offset or 0, hint
            )
            raise fail([d]) from None
        except (RecursionError, MemoryError) as exc:
            message = f"the program is nested too deeply to parse ({type(exc).__name__})"
            raise fail([Diagnostic("too-deep", message, hint="simplify the nesting")]) from None
        except ValueError as exc:
            raise fail([Diagnostic("syntax", f"cannot parse the program: {exc}"[:300])]) from None

    def _check_size(self, tree: ast.Module) -> None:
        """Enforce the AST node and nesting limits without recursion."""
        count = 0
        stack: list[tuple[ast.AST, int]] = [(tree, 0)]
        while stack:
            node, depth = stack.pop()
            count += 1
            if count > self.limits.max_ast_nodes:
                message = f"the program has more than {self.limits.max_ast_nodes} syntax nodes"
                raise fail([self._diag("too-many-nodes", message, node, "split the program")])
            if depth > self.limits.max_nesting_depth:
                message = f"nesting deeper than {self.limits.max_nesting_depth} levels"
                raise fail([self._diag("too-deep", message, node, "simplify the nesting")])
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
                options = self._function_decorator(stmt)
                if isinstance(options, dict):
                    candidates.append((stmt, options))
                elif options == "quantum_circuit":
                    self.helpers[stmt.name] = stmt
                    self.globals[stmt.name] = ev.HelperRef(stmt.name)
                else:
                    self.globals[stmt.name] = self._hybrid_function(stmt, options, None)
            elif isinstance(stmt, ast.If) and is_main_guard(stmt):
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

    def _function_decorator(self, fn: ast.FunctionDef) -> dict[str, int | str] | str:
        """Options of a ``@hybrid_program``, else the name of the helper decorator.

        The helper decorators are ``quantum_circuit``, ``ansatz`` and ``cost_function``.

        Raises:
            _Reject: ``unsupported-function`` (no decorator), ``forbidden-decorator``, or
                ``invalid-decorator-argument``.
        """
        if not fn.decorator_list:
            hint = "decorate it with @quantum_circuit (or @hybrid_program for the entrypoint)"
            message = f"function {fn.name!r} has no Eigen-Lang decorator"
            self._reject("unsupported-function", message, fn, hint)
        if len(fn.decorator_list) > 1:
            self._reject("forbidden-decorator", "use exactly one decorator", fn.decorator_list[1])
        (dec,) = fn.decorator_list
        call = dec if isinstance(dec, ast.Call) else None
        target = call.func if call else dec
        try:
            resolved = self._eval(target)
        except _Reject:
            resolved = None
        if resolved == ev.LibRef("hybrid_program"):
            return self._decorator_options(call) if call else {}
        if isinstance(resolved, ev.LibRef) and resolved.name in _HELPER_DECORATORS:
            if call is not None and (call.args or call.keywords):
                message = f"@{resolved.name} takes no arguments"
                self._reject("invalid-decorator-argument", message, call)
            return resolved.name
        message = f"decorator {_snippet(target)!r} is not allowed"
        hint = "use @hybrid_program, @quantum_circuit, @ansatz or @cost_function"
        self._reject("forbidden-decorator", message, dec, hint)

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
        seed = options.get("seed")
        self.rng = np.random.RandomState(seed if isinstance(seed, int) else DEFAULT_RANDOM_SEED)
        self.options = options
        self.locals = self.hybrid.program_locals = {}
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
        plan = self._plan(fn, builder)
        if plan is not None:
            circuit = plan.circuit
        else:
            if not builder.ops:
                self._warn("empty-program", f"{fn.name!r} applies no operations", fn)
            names = tuple(sorted(self.hybrid.param_names))
            circuit = Circuit(builder.num_qubits, builder.num_clbits, tuple(builder.ops), names)
        entry = {arg.arg for arg, _ in _signature(fn)}
        for name in sorted(set(self.inputs) - entry - set(circuit.parameters)):
            self._warn("unused-input", f"input {name!r} is not a parameter of {fn.name!r}")
        return LoweredProgram(circuit, fn.name, options, plan=plan)

    def _plan(self, fn: ast.FunctionDef, builder: ev.CircuitBuilder) -> HybridPlan | None:
        """The hybrid plan of a program that called ``minimize`` (else None)."""
        if self.hybrid.minimize is None:
            return None
        if builder.ops or builder.num_qubits or builder.num_clbits:
            message = "a program that calls minimize() runs its @ansatz only"
            hint = "apply the gates inside the @ansatz function"
            self._error("mixed-program", message, fn, hint)
        objective, spec = self.hybrid.minimize
        returns = tuple(sorted(self.hybrid.returns.items()))
        ansatz = objective.ansatz
        return HybridPlan(
            ansatz.circuit, ansatz.parameters, objective.terms, objective.shots, spec, returns
        )

    def _parameters(self, fn: ast.FunctionDef) -> None:
        """Bind the function's parameters from ``inputs`` or their constant defaults."""
        a = fn.args
        assert self.locals is not None
        for star in (a.vararg, a.kwarg):
            if star is not None:
                message = f"*{star.arg} parameters are not supported"
                self._error("unsupported-parameter", message, star)
        params = _signature(fn)
        for arg, default in params:
            try:
                self.locals[arg.arg] = self._parameter(arg, default)
            except _Silent:
                self.locals[arg.arg] = _POISON
            except _Reject as rej:
                self.diags.append(rej.diag)
                self.locals[arg.arg] = _POISON  # no follow-up errors from its uses

    def _parameter(self, arg: ast.arg, default: ast.expr | None) -> Any:
        self._check_name(arg.arg, arg)
        value: Any = _UNBOUND
        if default is not None:
            value = self._eval(default)
            if not ev.is_constant(value):
                message = f"parameter {arg.arg!r} must default to a constant"
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
        if not last:
            self._reject("unsupported-statement", "`return` must be the last statement", stmt)
        if value is None or (isinstance(value, ast.Constant) and value.value is None):
            return
        if self.hybrid.minimize is None and self.hybrid.minimize_failed:
            raise _Silent  # minimize() was rejected (reported): its result has no fields
        if self.hybrid.minimize is None:
            hint = "measurement counts are the program's result; only programs that call "
            hint += "minimize() return a dict"
            self._reject("unsupported-statement", "this program returns nothing", stmt, hint)
        if not isinstance(value, ast.Dict):
            message = "a hybrid program returns a dict literal {'key': result.<field>, ...}"
            self._reject("unsupported-return", message, value)
        for key_node, value_node in zip(value.keys, value.values, strict=True):
            if key_node is None:
                self._reject("star-args", "`**` unpacking is not allowed", value_node)
            key = self._eval(key_node)
            if not isinstance(key, str):
                self._reject("unsupported-return", "returned dict keys must be strings", key_node)
            try:
                entry = hy.return_entry(self._eval(value_node))
            except ev.Problem as p:
                self._error(p.rule, p.message, value_node, p.hint)
                continue
            except _Reject as rej:
                self.diags.append(rej.diag)
                continue
            self.hybrid.returns[key] = entry

    # --- statements --------------------------------------------------------------------

    def _statement(self, stmt: ast.stmt) -> None:
        handler = self._stmt_handlers.get(type(stmt))
        if handler is None:
            handler = getattr(self, f"_stmt_{type(stmt).__name__}", None)
            if handler is None:
                self._forbidden_statement(stmt, module_level=False)
            self._stmt_handlers[type(stmt)] = handler
        if self.builder is not None:
            self.steps += 1
            if self.steps > self.limits.max_operations:
                message = f"the program executes more than {self.limits.max_operations} statements"
                self._reject("too-many-operations", message, stmt, "use smaller loops")
        handler(stmt)

    def _block(self, body: list[ast.stmt]) -> None:
        for stmt in body:
            self._statement(stmt)

    def _forbidden_statement(self, stmt: ast.stmt, *, module_level: bool) -> NoReturn:
        kind = type(stmt).__name__
        hint = _STATEMENT_HINTS.get(kind, "")
        if isinstance(stmt, ast.AsyncFunctionDef | ast.AsyncFor | ast.AsyncWith):
            message = "async code is not allowed"
        elif isinstance(stmt, ast.FunctionDef):
            message = f"nested function {stmt.name!r} is not yet supported"
            self._reject("unsupported-construct", message, stmt, "define it at module level")
        elif module_level and isinstance(stmt, ast.Expr):
            message = "module-level expressions are not allowed"
            hint = 'put local runs under `if __name__ == "__main__":`'
        else:
            word = {"ClassDef": "class", "ImportFrom": "from-import"}.get(kind, kind.lower())
            message = f"`{word}` statements are not allowed here"
        self._reject("forbidden-statement", message, stmt, hint)

    def _stmt_Expr(self, stmt: ast.Expr) -> None:
        if _is_docstring(stmt):
            return
        if not isinstance(stmt.value, ast.Call):
            message = f"{_describe(stmt.value)} has no effect"
            self._reject("unsupported-statement", message, stmt, "call a gate or a function")
        self._eval(stmt.value)

    def _stmt_Pass(self, stmt: ast.Pass) -> None:
        return

    def _stmt_Return(self, stmt: ast.Return) -> None:
        message = "`return` is only allowed as the last statement of a function"
        self._reject("unsupported-statement", message, stmt)

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

    def _stmt_For(self, stmt: ast.For) -> None:
        if stmt.orelse:
            self._reject("unsupported-construct", "`for ... else` is not supported", stmt)
        iterable = self._eval(stmt.iter)
        with self._at(stmt.iter):
            items = self._iteration(iterable)
        if id(stmt) not in self._loop_costs:
            self._loop_costs[id(stmt)] = self._static_cost(stmt.body)
        work = len(items) * self._loop_costs[id(stmt)]
        if self.steps + work > self.limits.max_operations:
            message = (
                f"the loop unrolls to at least {work} statements; "
                f"the limit is {self.limits.max_operations}"
            )
            self._reject("too-many-operations", message, stmt, "use fewer iterations")
        for item in items:
            self._assign(stmt.target, item)
            self._block(stmt.body)

    def _iteration(self, v: Any) -> Sequence[Any]:
        """The items a ``for`` loop runs over (ranges are not materialised)."""
        if isinstance(v, ev.QReg):
            return [ev.QubitRef(v.offset + i) for i in range(v.size)]
        if isinstance(v, ev.CReg):
            return [ev.ClbitRef(v.offset + i) for i in range(v.size)]
        if isinstance(v, tuple | range | ev.Array):
            return ev.sequence(v)
        raise ev.Problem(
            "bad-argument",
            f"a loop runs over range(...), a tuple, an array or a register, not {ev.kind(v)}",
        )

    def _stmt_If(self, stmt: ast.If) -> None:
        test = self._eval(stmt.test)
        if not ev.is_constant(test):
            message = f"the condition is {ev.kind(test)}, not a compile-time constant"
            hint = "branch only on constants, parameters and loop indices"
            self._reject("non-constant-if", message, stmt.test, hint)
        with self._at(stmt.test):
            self._block(stmt.body if ev.truth(test) else stmt.orelse)

    def _assign(self, target: ast.expr, value: Any) -> None:
        if isinstance(target, ast.Tuple | ast.List):
            with self._at(target):
                items = ev.sequence(value) if ev.is_constant(value) else None
            if items is None or len(items) != len(target.elts):
                message = f"cannot unpack {ev.kind(value)} into {len(target.elts)} names"
                self._reject("unsupported-assignment", message, target)
            for elt, item in zip(target.elts, items, strict=True):
                self._assign(elt, item)
            return
        if not isinstance(target, ast.Name):
            message = f"cannot assign to {_snippet(target)!r}; only to simple names"
            self._reject("unsupported-assignment", message, target)
        self._check_name(target.id, target)
        if not (ev.is_constant(value) or isinstance(value, _STORABLE)):
            what = ev.kind(value)
            message = f"{target.id!r} must be a constant, a register or a qubit, not {what}"
            self._reject("unsupported-assignment", message, target)
        scope = self.globals if self.locals is None else self.locals
        scope[target.id] = value

    # --- work estimates ----------------------------------------------------------------

    def _static_cost(self, body: list[ast.stmt]) -> int:
        """A lower bound of the statements ``body`` executes.

        Loops with literal bounds and inlined functions are counted; anything else counts
        once. Raises ``_Reject`` for recursion.
        """
        total = 0
        for stmt in body:
            total += 1
            for node in ast.walk(stmt):
                if (
                    isinstance(node, ast.Call)
                    and isinstance(node.func, ast.Name)
                    and node.func.id in self.helpers
                ):
                    total += self._helper_cost(node.func.id, node)
            if isinstance(stmt, ast.For):
                n = _literal_length(stmt.iter)
                total += max(n - 1, 0) * self._static_cost(stmt.body)
        return total

    def _helper_cost(self, name: str, node: ast.AST) -> int:
        if self.costs.get(name) == -1:
            self._reject("recursion", f"function {name!r} calls itself", node)
        if name in self.costs:
            return self.costs[name]
        if len(self.inlining) + self._cost_depth >= self.limits.max_nesting_depth:
            self._reject("too-deep", "functions call each other too deeply", node)
        self.costs[name] = -1
        self._cost_depth += 1
        try:
            cost = self._static_cost(self.helpers[name].body)
        finally:
            self._cost_depth -= 1
        self.costs[name] = cost
        return cost

    # --- expressions -------------------------------------------------------------------

    def _eval(self, node: ast.expr) -> Any:
        handler = self._expr_handlers.get(type(node))
        if handler is None:
            handler = getattr(self, f"_expr_{type(node).__name__}", None)
            if handler is None:
                message = f"{_describe(node)} is not supported in Eigen-Lang v0.1"
                hint = "use numbers, tuples, registers, qubits and library calls"
                self._reject("unsupported-expression", message, node, hint)
            self._expr_handlers[type(node)] = handler
        try:  # inline ``self._at(node)``: this is the hottest call of the lowering
            return handler(node)
        except ev.Problem as p:
            raise _Reject(self._diag(p.rule, p.message, node, p.hint)) from None

    def _expr_Constant(self, node: ast.Constant) -> Any:
        v = node.value
        if type(v) is float or type(v) is int:  # fast path; bool and subclasses fall through
            return ev.checked(v)
        if not (v is None or isinstance(v, bool | int | float | str)):
            self._reject("unsupported-expression", f"constant {v!r} is not supported", node)
        if isinstance(v, str) and len(v) > ev.MAX_SEQUENCE:
            self._reject("unsupported-expression", "string constant is too long", node)
        return ev.checked(v) if ev.is_number(v) else v

    def _expr_Tuple(self, node: ast.Tuple) -> tuple[Any, ...]:
        return tuple(self._eval(e) for e in node.elts)

    def _expr_List(self, node: ast.List) -> tuple[Any, ...]:
        return tuple(self._eval(e) for e in node.elts)

    def _expr_Name(self, node: ast.Name) -> Any:
        return self._lookup(node.id, node)

    def _lookup(self, name: str, node: ast.AST) -> Any:
        if name not in self._checked_names:
            self._check_name(name, node)
        if self.locals is not None and (name in self.locals or name in self.local_names):
            if name not in self.locals:
                self._reject("unbound-name", f"{name!r} is used before it is assigned", node)
            value = self.locals[name]
        elif name in self.globals:
            value = self.globals[name]
        else:
            value = _UNBOUND
        if value is _POISON:
            raise _Silent
        if value is not _UNBOUND:
            return value
        if name in ev.BUILTINS:
            return ev.PureFunction(name, ev.BUILTINS[name])
        if name in ("len", "list", "tuple"):
            return ev.PureFunction(name, len)
        if name == "range":
            return ev.PureFunction("range", range)
        hint = "define it before use, or import it from eigen_lang"
        self._reject("unknown-name", f"name {name!r} is not defined", node, hint)

    def _check_name(self, name: str, node: ast.AST) -> None:
        if name in self._checked_names:
            return
        if name in FORBIDDEN_BUILTINS:
            self._reject("forbidden-call", f"{name!r} is not allowed in Eigen-Lang programs", node)
        if name.startswith("__") and name.endswith("__"):
            self._reject("dunder", f"dunder name {name!r} is not allowed", node)
        self._checked_names.add(name)

    def _expr_Attribute(self, node: ast.Attribute) -> Any:
        if node.attr.startswith("_"):
            self._reject("dunder", f"attribute {node.attr!r} is not allowed", node)
        base = self._eval(node.value)
        if type(base) is ev.ModuleRef:
            return self._member(base, node.attr)
        if isinstance(base, ev.NumpyRandom):
            return ev.random_member(node.attr)
        return self._hybrid_attribute(base, node)

    def _expr_Subscript(self, node: ast.Subscript) -> Any:
        base = self._eval(node.value)
        if isinstance(node.slice, ast.Slice):
            if isinstance(base, ev.QReg | ev.CReg):
                hint = "index single qubits, or pass the whole register"
                message = "register slices are not supported"
                self._reject("unsupported-expression", message, node, hint)
            bounds = [None if b is None else self._eval(b) for b in _slice_parts(node.slice)]
            if any(b is not None and not ev.is_int(b) for b in bounds):
                self._reject("bad-argument", "slice bounds must be integers", node.slice)
            if bounds[2] == 0:
                self._reject("bad-argument", "slice step must not be zero", node.slice)
            cut = slice(*bounds)
            if isinstance(base, ev.Array):
                return ev.Array(base.values[cut])
            if isinstance(base, tuple | range):
                return base[cut]
            self._reject("bad-argument", f"{ev.kind(base)} cannot be sliced", node)
        index = self._eval(node.slice)
        if not ev.is_int(index):
            message = f"index must be an integer, got {ev.kind(index)}"
            self._reject("bad-argument", message, node.slice)
        if isinstance(base, ev.QReg | ev.CReg):
            i = index + base.size if index < 0 else index
            if not 0 <= i < base.size:
                rule = "qubit-out-of-range" if isinstance(base, ev.QReg) else "clbit-out-of-range"
                message = f"index {index} is out of range for a register of size {base.size}"
                self._reject(rule, message, node.slice)
            if isinstance(base, ev.QReg):
                return ev.QubitRef(base.offset + i)
            return ev.ClbitRef(base.offset + i)
        if isinstance(base, ev.ParamVector):
            return self._vector_item(base, index, node)
        if isinstance(base, tuple | range | ev.Array | str):
            items = ev.sequence(base)
            if not -len(items) <= index < len(items):
                message = f"index {index} is out of range for length {len(items)}"
                self._reject("index-out-of-range", message, node.slice)
            return items[index]
        self._reject("bad-argument", f"{ev.kind(base)} cannot be indexed", node)

    def _expr_UnaryOp(self, node: ast.UnaryOp) -> Any:
        value = self._eval(node.operand)
        if isinstance(node.op, ast.Not):
            return not ev.truth(value)
        if isinstance(node.op, ast.USub | ast.UAdd):
            if isinstance(value, _SCALABLE):  # arrays and observables: times ±1.0, as numpy
                sign = -1.0 if isinstance(node.op, ast.USub) else 1.0
                return ev.binary("Mult", value, sign)
            num = ev.number(value)
            return -num if isinstance(node.op, ast.USub) else +num
        self._reject("unsupported-expression", f"{_describe(node.op)} is not supported", node)

    def _expr_BinOp(self, node: ast.BinOp) -> Any:
        left, right = self._eval(node.left), self._eval(node.right)
        return ev.binary(type(node.op).__name__, left, right)

    def _expr_Compare(self, node: ast.Compare) -> bool:
        left = self._eval(node.left)
        for op, comparator in zip(node.ops, node.comparators, strict=True):
            right = self._eval(comparator)
            if not ev.compare(type(op).__name__, left, right):
                return False
            left = right
        return True

    def _expr_BoolOp(self, node: ast.BoolOp) -> Any:
        is_and = isinstance(node.op, ast.And)
        value: Any = None
        for operand in node.values:
            value = self._eval(operand)
            if ev.truth(value) != is_and:
                return value
        return value

    def _expr_IfExp(self, node: ast.IfExp) -> Any:
        test = self._eval(node.test)
        if not ev.is_constant(test):
            message = f"the condition is {ev.kind(test)}, not a compile-time constant"
            self._reject("non-constant-if", message, node.test)
        return self._eval(node.body if ev.truth(test) else node.orelse)

    def _expr_Call(self, node: ast.Call) -> Any:
        callee = self._eval(node.func)
        starred = self._starred.get(id(node))
        if starred is None:  # a static fact of the node: computed once, not per iteration
            starred = any(isinstance(a, ast.Starred) for a in node.args) or any(
                kw.arg is None for kw in node.keywords
            )
            self._starred[id(node)] = starred
        if starred:
            self._reject("star-args", "*args / **kwargs are not supported", node)
        if isinstance(callee, ev.HelperRef):
            return self._inline(callee.name, node)
        if isinstance(callee, ev.PureFunction | ev.RandomFunction):
            if node.keywords:
                message = f"{_snippet(node.func)}() takes positional arguments only"
                self._reject("bad-argument", message, node)
            args = [self._eval(a) for a in node.args]
            if isinstance(callee, ev.RandomFunction):
                if self.rng is None:
                    self._reject("forbidden-call", "np.random is only usable in functions", node)
                return ev.call_random(self.rng, callee, args)
            if callee.qualname == "range":
                return _range(args)
            return ev.call_pure(callee, args)
        if isinstance(callee, ev.LibRef):
            if callee.name in _HYBRID_CALLS:
                return self._call_hybrid(callee.name, node)
            return self._call_library(callee.name, node)
        if isinstance(callee, ev.ResultMethod):
            if node.args or node.keywords:
                self._reject("bad-argument", "tolist() takes no arguments", node)
            return ev.ResultField(callee.field)
        if isinstance(callee, ev.AnsatzFunction | ev.CostFunction):
            message = f"{callee.name}() is not called in a program: pass it as a value"
            hint = "ExpectationValue(<@ansatz>, observable), minimize(<@cost_function>, x0)"
            self._reject("unknown-call", message, node, hint)
        hint = "only Eigen-Lang library functions and math functions can be called"
        message = f"{_snippet(node.func)!r} cannot be called"
        self._reject("unknown-call", message, node, hint)

    def _inline(self, name: str, node: ast.Call) -> Any:
        """Inline a ``@quantum_circuit`` call: bind arguments, run the body, return its value."""
        fn = self.helpers[name]
        if self.builder is None:
            self._reject("forbidden-call", f"{name}() can only be called inside a function", node)
        if name in self.inlining:
            self._reject("recursion", f"function {name!r} calls itself", node)
        if len(self.inlining) >= self.limits.max_nesting_depth:
            self._reject("too-deep", "functions call each other too deeply", node)
        work = self._helper_cost(name, node)
        if self.steps + work > self.limits.max_operations:
            message = f"{name}() runs at least {work} statements; the limit is "
            self._reject("too-many-operations", message + str(self.limits.max_operations), node)
        scope = self._bind_arguments(fn, node)
        saved = (self.locals, self.local_names)
        self.locals, self.local_names = scope, _assigned_names(fn) | set(scope)
        self.inlining.append(name)
        try:
            body = fn.body
            result: Any = None
            if body and isinstance(body[-1], ast.Return):
                self._block(body[:-1])
                ret = body[-1].value
                result = None if ret is None else self._eval(ret)
            else:
                self._block(body)
        finally:
            self.inlining.pop()
            self.locals, self.local_names = saved
        return result

    def _bind_arguments(self, fn: ast.FunctionDef, node: ast.Call) -> dict[str, Any]:
        a = fn.args
        if a.vararg is not None or a.kwarg is not None:
            self._reject("unsupported-parameter", f"{fn.name}(): *args are not supported", fn)
        params = _signature(fn)
        names = [arg.arg for arg, _ in params]
        positional = [*a.posonlyargs, *a.args]
        if len(node.args) > len(positional):
            message = f"{fn.name}() takes {len(positional)} positional arguments"
            self._reject("bad-argument", message + f", got {len(node.args)}", node)
        scope: dict[str, Any] = {}
        for arg, value in zip(positional, node.args, strict=False):
            scope[arg.arg] = self._eval(value)
        for kw in node.keywords:
            if kw.arg not in names or kw.arg in scope:
                self._reject("bad-argument", f"{fn.name}(): bad argument {kw.arg!r}", kw.value)
            scope[kw.arg] = self._eval(kw.value)
        saved = self.locals
        self.locals = None  # defaults are evaluated in the module scope
        try:
            for arg, default in params:
                if arg.arg not in scope:
                    if default is None:
                        self._reject("bad-argument", f"{fn.name}(): missing {arg.arg!r}", node)
                    scope[arg.arg] = self._eval(default)
        finally:
            self.locals = saved
        return scope

    # --- hybrid programs (seed 004) ----------------------------------------------------

    def _stmt_FunctionDef(self, stmt: ast.FunctionDef) -> None:
        """A nested ``@ansatz`` / ``@cost_function``: a value whose names resolve later."""
        top = self.hybrid.program_locals is not None and self.locals is self.hybrid.program_locals
        if not top or self.inlining or self.hybrid.in_ansatz:
            message = f"nested function {stmt.name!r} must be in the @hybrid_program function"
            self._reject("unsupported-construct", message, stmt, "define it at module level")
        if not stmt.decorator_list:
            message = f"nested function {stmt.name!r} must be an @ansatz or a @cost_function"
            self._reject("unsupported-construct", message, stmt, "define helpers at module level")
        kind = self._function_decorator(stmt)
        if not isinstance(kind, str) or kind == "quantum_circuit":
            message = f"nested function {stmt.name!r} must be an @ansatz or a @cost_function"
            self._reject("unsupported-construct", message, stmt, "define it at module level")
        self._check_name(stmt.name, stmt)
        scope = self.hybrid.program_locals
        assert scope is not None
        scope[stmt.name] = self._hybrid_function(stmt, kind, scope)

    def _hybrid_function(
        self, fn: ast.FunctionDef, kind: str, closure: dict[str, Any] | None
    ) -> ev.AnsatzFunction | ev.CostFunction:
        """Check the shape of an ``@ansatz`` / ``@cost_function`` and wrap it as a value."""
        rule = "invalid-ansatz" if kind == "ansatz" else "invalid-cost-function"
        a = fn.args
        if a.vararg or a.kwarg or a.kwonlyargs or a.defaults or len(a.posonlyargs + a.args) != 1:
            what = "the parameter vector" if kind == "ansatz" else "the point"
            message = f"@{kind} {fn.name!r} takes exactly one argument ({what})"
            self._reject(rule, message, fn)
        if kind == "ansatz":
            return ev.AnsatzFunction(fn.name, fn, closure)
        body = fn.body[1:] if fn.body and _is_docstring(fn.body[0]) else fn.body
        if len(body) != 1 or not isinstance(body[0], ast.Return) or body[0].value is None:
            where = body[0] if body else fn
            message = f"@cost_function {fn.name!r} must be `return ExpectationValue(...)` only"
            self._reject(rule, message, where, "an optional docstring, then one return")
        return ev.CostFunction(fn.name, fn, closure)

    def _expr_Dict(self, node: ast.Dict) -> ev.DictValue:
        items = []
        for key, value in zip(node.keys, node.values, strict=True):
            if key is None:
                self._reject("star-args", "`**` unpacking is not allowed", value)
            k = self._eval(key)
            if not ev.is_constant(k) or isinstance(k, ev.Array):
                self._reject("bad-argument", f"dict keys must be constants, not {ev.kind(k)}", key)
            items.append((k, self._eval(value)))
        return ev.DictValue(tuple(items))

    def _hybrid_attribute(self, base: Any, node: ast.Attribute) -> Any:
        """Readable attributes of hybrid values (``ansatz.num_params``, ``result.success``)."""
        name = node.attr
        if isinstance(base, ev.AnsatzFunction):
            base = self._lower_ansatz(base, node)
        if isinstance(base, ev.AnsatzValue):
            return hy.ansatz_attribute(base, name)
        if isinstance(base, ev.ObservableValue):
            return hy.observable_attribute(base, name)
        if isinstance(base, ev.MinimizeResult) and name in hy.RESULT_FIELDS:
            return ev.ResultField(name)
        if isinstance(base, ev.ResultField) and (base.field, name) == _TOLIST:
            return ev.ResultMethod(base.field)
        if isinstance(base, ev.MinimizeResult):
            hint = f"readable: {', '.join(hy.RESULT_FIELDS)}"
            self._reject("unknown-name", f"the minimize() result has no {name!r}", node, hint)
        message = f"attribute access {_snippet(node)!r} is not supported"
        self._reject("unsupported-expression", message, node)

    def _vector_item(self, vector: ev.ParamVector, index: int, node: ast.Subscript) -> Any:
        """``theta[k]`` inside an ``@ansatz``: the AQO parameter ``theta[k]``."""
        if not 0 <= index < MAX_PARAMETERS:
            message = f"parameter index {index} must be in 0..{MAX_PARAMETERS - 1}"
            self._reject("bad-argument", message, node.slice)
        uses = self.hybrid.vector_uses.get(vector.name)
        if uses is None:
            message = f"{vector.name!r} is only usable inside its @ansatz"
            self._reject("invalid-ansatz", message, node)
        uses.add(index)
        return ev.ParamRef(f"{vector.name}[{index}]")

    def _ansatz_rejects(self, what: str, node: ast.AST) -> NoReturn:
        message = f"{what} is not allowed in an @ansatz (the observable defines the measurement)"
        if what.startswith("Param"):
            message = "Param() is not allowed in an @ansatz; use its parameter vector"
        self._reject("invalid-ansatz", message, node, "apply unitary gates only")

    def _arguments(self, name: str, node: ast.Call) -> dict[str, Any]:
        """Evaluate a hybrid library call's arguments (positional or keyword, Python rules)."""
        names, required = _SIGNATURES[name]
        if len(node.args) > len(names):
            message = f"{name}() takes at most {len(names)} arguments ({', '.join(names)})"
            self._reject("bad-argument", message, node)
        bound = {n: self._eval(a) for n, a in zip(names, node.args, strict=False)}
        for kw in node.keywords:
            if kw.arg not in names or kw.arg in bound:
                message = f"{name}() got an unexpected or repeated argument {kw.arg!r}"
                self._reject("bad-argument", message, kw.value, f"arguments: {', '.join(names)}")
            bound[kw.arg] = self._eval(kw.value)
        for n in names[:required]:
            if n not in bound:
                self._reject("bad-argument", f"{name}() is missing {n!r}", node)
        return {n: bound.get(n, _DEFAULTS.get(n)) for n in names}

    def _call_hybrid(self, name: str, node: ast.Call) -> Any:
        """Evaluate a call of the hybrid library to a compile-time value."""
        if name in ("get_program_ast", "visualize_circuit"):
            message = f"{name}() is a local-only utility and cannot run in a program"
            hint = 'call it outside the program, e.g. under `if __name__ == "__main__":`'
            self._reject("local-only", message, node, hint)
        if name not in _SIGNATURES:
            message = f"{name}() cannot be called in a program"
            hint = "use it as a decorator" if name in ("ansatz", "cost_function") else ""
            self._reject("forbidden-call", message, node, hint or _HYBRID_HINT)
        if name == "Param" and self.hybrid.in_ansatz:
            self._ansatz_rejects("Param()", node)
        if name == "minimize":
            self.hybrid.minimize_failed = True  # until the plan's objective and optimiser are known
        args = self._arguments(name, node)
        with self._at(node):
            if name == "Param":
                return hy.param(args["name"])
            if name == "Observable":
                return hy.observable(
                    args["terms"], args["coeff"], self.hybrid.budget, self._qubits()
                )
            if name == "create_ising_model_hamiltonian":
                values = (args["n_spins"], args["J"], args["h"], args["periodic"])
                return hy.ising(*values, self.hybrid.budget, self._qubits())
            if name == "create_hea_ansatz":
                values = (args["n_qubits"], args["depth"], args["entanglement"], args["rotations"])
                return hy.hea(*values, self._qubits(), self.limits.max_operations)
        if name == "ExpectationValue":
            if not self.hybrid.in_cost:
                message = "ExpectationValue(...) is only allowed as a @cost_function's return"
                self._reject("misplaced-hybrid", message, node, _HYBRID_HINT)
            ansatz = self._as_ansatz(args["circuit_or_ansatz"], node)
            with self._at(node):
                return hy.expectation(ansatz, args["observable"], args["shots"])
        return self._minimize_call(args, node)

    def _qubits(self) -> int:
        return self.limits.max_qubits

    def _as_ansatz(self, value: Any, node: ast.AST) -> ev.AnsatzValue:
        if isinstance(value, ev.AnsatzFunction):
            return self._lower_ansatz(value, node)
        if isinstance(value, ev.AnsatzValue):
            return value
        message = (
            f"circuit_or_ansatz must be an Ansatz or an @ansatz function, not {ev.kind(value)}"
        )
        self._reject("bad-argument", message, node, "create_hea_ansatz(...) or an @ansatz")

    def _lower_ansatz(self, value: ev.AnsatzFunction, node: ast.AST) -> ev.AnsatzValue:
        """Lower an ``@ansatz`` body once, at its first use (names resolve at that time).

        Its statements run in a fresh circuit with the parameter vector bound; errors in the
        body are collected once, then every use of the ansatz is abandoned silently.
        """
        if self.hybrid.in_ansatz or self.builder is None:
            message = f"@ansatz {value.name!r} can only be used in the program function"
            self._reject("misplaced-hybrid", message, node)
        key = id(value.fn)
        if key in self.hybrid.ansatz_cache:
            cached = self.hybrid.ansatz_cache[key]
            if cached is None:
                raise _Silent
            return cached
        self.hybrid.ansatz_cache[key] = None
        fn = value.fn
        vector = [*fn.args.posonlyargs, *fn.args.args][0].arg
        assigned = _assigned_names(fn)
        scope = {k: v for k, v in (value.closure or {}).items() if k not in assigned}
        scope[vector] = ev.ParamVector(vector)
        state = self.hybrid
        saved = (self.builder, self.locals, self.local_names, state.vector_uses, state.in_cost)
        builder = ev.CircuitBuilder(self.limits.max_qubits, self.limits.max_operations)
        self.builder, self.locals, self.local_names = builder, scope, assigned | {vector}
        state.vector_uses, state.in_ansatz, state.in_cost = {vector: set()}, True, False
        errors = sum(d.severity == "error" for d in self.diags)
        try:
            for stmt in fn.body:
                if isinstance(stmt, ast.Return) and stmt.value is None:
                    continue
                if isinstance(stmt, ast.Return):
                    self._error("invalid-ansatz", "an @ansatz returns nothing", stmt)
                    continue
                self._collect(stmt, self._statement)
            uses = state.vector_uses[vector]
        finally:
            self.builder, self.locals, self.local_names, state.vector_uses, state.in_cost = saved
            state.in_ansatz = False
        if sum(d.severity == "error" for d in self.diags) > errors:
            raise _Silent
        try:
            lowered = hy.ansatz_from_ops(builder.num_qubits, builder.ops, vector, uses)
        except ev.Problem as p:
            message = f"@ansatz {value.name!r}: {p.message}"
            raise _Reject(self._diag(p.rule, message, fn, p.hint)) from None
        self.hybrid.ansatz_cache[key] = lowered
        return lowered

    def _objective(self, cost: ev.CostFunction, node: ast.AST) -> ev.Expectation:
        """Evaluate a ``@cost_function``'s return expression now (closure semantics)."""
        fn = cost.fn
        ret = fn.body[-1]
        assert isinstance(ret, ast.Return) and ret.value is not None
        point = [*fn.args.posonlyargs, *fn.args.args][0].arg
        assigned = _assigned_names(fn)
        scope: dict[str, Any] = {k: v for k, v in (cost.closure or {}).items() if k not in assigned}
        scope[point] = ev.CostPoint(point)
        saved = (self.locals, self.local_names)
        self.locals, self.local_names, self.hybrid.in_cost = scope, assigned | {point}, True
        try:
            value = self._eval(ret.value)
        finally:
            self.locals, self.local_names = saved
            self.hybrid.in_cost = False
        if not isinstance(value, ev.Expectation):
            message = f"@cost_function {cost.name!r} must return ExpectationValue(...)"
            self._reject("invalid-cost-function", message, ret.value, f"got {ev.kind(value)}")
        return value

    def _minimize_call(self, args: dict[str, Any], node: ast.Call) -> ev.MinimizeResult:
        """``minimize(objective, initial_guess, method, max_iter, tolerance)`` → the plan."""
        top = self.hybrid.program_locals is not None and self.locals is self.hybrid.program_locals
        if not top or self.inlining or self.hybrid.in_cost or self.hybrid.in_ansatz:
            message = "minimize() can only be called in the @hybrid_program function"
            self._reject("misplaced-hybrid", message, node)
        if self.hybrid.minimize is not None:
            message = "a program calls minimize() once (one plan per program)"
            self._reject("multiple-minimize", message, node, "combine the objectives")
        objective = args["objective"]
        if not isinstance(objective, ev.CostFunction):
            message = f"objective must be a @cost_function, not {ev.kind(objective)}"
            self._reject("invalid-objective", message, node, "decorate it with @cost_function")
        expectation = self._objective(objective, node)
        seed = self.options.get("seed")
        with self._at(node):
            spec = hy.optimizer(
                len(expectation.ansatz.parameters),
                args["initial_guess"],
                args["method"],
                args["max_iter"],
                args["tolerance"],
                seed if isinstance(seed, int) else None,
            )
        self.hybrid.minimize, self.hybrid.minimize_failed = (expectation, spec), False
        return ev.MinimizeResult()

    # --- library calls (registers, gates, instructions) --------------------------------

    def _call_library(self, name: str, node: ast.Call) -> Any:
        if self.builder is None:
            message = f"{name}() can only be used inside the @hybrid_program function"
            self._reject("forbidden-call", message, node)
        if name in ("QubitRegister", "ClassicalRegister"):
            if self.hybrid.in_ansatz and name == "ClassicalRegister":
                self._ansatz_rejects("ClassicalRegister()", node)
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
            if type(value) is ev.QubitRef:  # fast path of ``b.qubits``
                out.append([value.index])
                continue
            try:  # inline ``self._at(arg)`` (hot)
                out.append(b.qubits(value))
            except ev.Problem as p:
                raise _Reject(self._diag(p.rule, p.message, arg, p.hint)) from None
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
        params: list[float | str] = []
        for arg in node.args[: spec.num_params]:
            value = self._eval(arg)
            if type(value) is float or type(value) is int:  # fast path of ``ev.number``
                params.append(float(value))
                continue
            if type(value) is ev.ParamRef:  # a symbolic AQO parameter
                params.append(value.name)
                if not self.hybrid.in_ansatz:
                    self.hybrid.param_names.add(value.name)
                continue
            try:  # inline ``self._at(arg)`` (hot)
                params.append(float(ev.number(value)))
            except ev.Problem as p:
                raise _Reject(self._diag(p.rule, p.message, arg, p.hint)) from None
        b.gate(name, params, self._qubit_args(b, node.args[spec.num_params :]))

    def _instr_measure(self, b: ev.CircuitBuilder, node: ast.Call) -> None:
        if self.hybrid.in_ansatz:
            self._ansatz_rejects("measure()", node)
        if len(node.args) != 2:
            self._reject("bad-argument", "measure(qubits, clbits) takes 2 arguments", node)
        (qs,) = self._qubit_args(b, node.args[:1])
        b.measure(qs, self._clbit_arg(b, node.args[1]))

    def _instr_measure_all(self, b: ev.CircuitBuilder, node: ast.Call) -> None:
        if self.hybrid.in_ansatz:
            self._ansatz_rejects("measure_all()", node)
        qubits = self._qubit_args(b, node.args)
        b.measure_all([q for qs in qubits for q in qs] if node.args else b.all_qubits())

    def _instr_reset(self, b: ev.CircuitBuilder, node: ast.Call) -> None:
        if self.hybrid.in_ansatz:
            self._ansatz_rejects("reset()", node)
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


def _signature(fn: ast.FunctionDef) -> list[tuple[ast.arg, ast.expr | None]]:
    """``(parameter, default)`` pairs of ``fn`` (positional first, then keyword-only)."""
    a = fn.args
    positional = [*a.posonlyargs, *a.args]
    defaults: list[ast.expr | None] = [None] * (len(positional) - len(a.defaults))
    defaults += a.defaults
    params = [*zip(positional, defaults, strict=True)]
    params += zip(a.kwonlyargs, a.kw_defaults, strict=True)
    return params


def _slice_parts(s: ast.Slice) -> list[ast.expr | None]:
    return [s.lower, s.upper, s.step]


def _range(args: list[Any]) -> range:
    if not 1 <= len(args) <= 3 or not all(ev.is_int(a) for a in args):
        raise ev.Problem("bad-argument", "range() takes 1 to 3 integers")
    if len(args) == 3 and args[2] == 0:
        raise ev.Problem("bad-argument", "range() step must not be zero")
    return range(*args)


def _literal_length(node: ast.expr) -> int:
    """Iterations of ``range(<literal ints>)`` or a literal tuple/list; 1 when not literal."""
    if isinstance(node, ast.Tuple | ast.List):
        return len(node.elts)
    if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)):
        return 1
    if node.func.id != "range" or node.keywords:
        return 1
    try:
        args = [_literal_int(a) for a in node.args]
        return len(_range(args))
    except (ev.Problem, ValueError, OverflowError):
        return 1


def _literal_int(node: ast.expr) -> int:
    if isinstance(node, ast.Constant) and isinstance(node.value, int):
        return int(node.value)
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        return -_literal_int(node.operand)
    if isinstance(node, ast.BinOp):
        value = ev.binary(type(node.op).__name__, _literal_int(node.left), _literal_int(node.right))
        if ev.is_int(value):
            return int(value)
    raise ValueError("not a literal integer")


def _looks_like_entrypoint(stmt: ast.stmt) -> bool:
    """Syntactically a function decorated ``@hybrid_program`` (or ``@x.hybrid_program``)."""
    if not isinstance(stmt, ast.FunctionDef):
        return False
    for dec in stmt.decorator_list:
        target = dec.func if isinstance(dec, ast.Call) else dec
        name = target.attr if isinstance(target, ast.Attribute) else getattr(target, "id", "")
        if name == "hybrid_program":
            return True
    return False
