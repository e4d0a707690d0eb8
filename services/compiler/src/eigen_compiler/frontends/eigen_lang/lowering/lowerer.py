"""One lowering, end to end: parse, the one scan, then the parts wired around shared state."""

from __future__ import annotations

import ast
from collections.abc import Mapping

from eigen_common.errors import Diagnostic
from eigen_compiler.frontends.eigen_lang.diagnostics import Diagnostics
from eigen_compiler.frontends.eigen_lang.folding import element_budget
from eigen_compiler.frontends.eigen_lang.lowering.budget import Budget
from eigen_compiler.frontends.eigen_lang.lowering.calls import CallDispatch
from eigen_compiler.frontends.eigen_lang.lowering.circuit_calls import CircuitLibrary
from eigen_compiler.frontends.eigen_lang.lowering.context import LoweringState, Parts
from eigen_compiler.frontends.eigen_lang.lowering.declarations import ModuleLevel
from eigen_compiler.frontends.eigen_lang.lowering.expressions import Evaluator
from eigen_compiler.frontends.eigen_lang.lowering.hybrid_calls import HybridLibrary
from eigen_compiler.frontends.eigen_lang.lowering.hybrid_values import HybridFunctions
from eigen_compiler.frontends.eigen_lang.lowering.program import LoweredProgram, ProgramFunction
from eigen_compiler.frontends.eigen_lang.lowering.qml_calls import QmlCalls
from eigen_compiler.frontends.eigen_lang.lowering.statements import Runner
from eigen_compiler.frontends.eigen_lang.scan import ModuleScan
from eigen_compiler.frontends.eigen_lang.scope import Scope
from eigen_compiler.frontends.eigen_lang.syntax import looks_like_entrypoint
from eigen_compiler.model import Limits, fail, source_lines


def lower_module(
    text: str, inputs: Mapping[str, float], limits: Limits, entrypoint: str
) -> LoweredProgram:
    """Parse, scan and lower the program ``text`` (already size- and encoding-checked).

    Raises:
        CompilationFailedError: with every violation found (rule, line, column, hint).
    """
    if not text.strip():
        hint = "write a @hybrid_program function"
        raise fail([Diagnostic("empty-source", "the program is empty", hint=hint)])
    tree = parse(text)
    diagnostics = Diagnostics(text)
    scan = ModuleScan(tree, limits, diagnostics)
    facts = scan.run()
    if scan.violations:
        diags = list(scan.violations)
        if not any(looks_like_entrypoint(stmt) for stmt in tree.body):
            hint = "decorate the program function with @hybrid_program(...)"
            message = "the program has no @hybrid_program function"
            diags.append(Diagnostic("missing-entrypoint", message, hint=hint))
        raise fail(diags)
    parts = wire(diagnostics, LoweringState(limits, dict(inputs), facts))
    with element_budget(limits.max_sequence_elements):
        candidates = parts.declarations.module(tree)
        lowered = ProgramFunction(parts).lower(candidates, entrypoint)
    if lowered is None or diagnostics.has_errors():
        raise fail(diagnostics.items)
    lowered.warnings = list(diagnostics.items)
    return lowered


def wire(diagnostics: Diagnostics, state: LoweringState) -> Parts:
    """Create the parts of one lowering around ``state`` (the only place that knows them all)."""
    parts = Parts()
    parts.diagnostics = diagnostics
    parts.scope = Scope(diagnostics)
    parts.state = state
    parts.budget = Budget(parts)
    parts.expressions = Evaluator(parts)
    parts.statements = Runner(parts)
    parts.calls = CallDispatch(parts)
    parts.circuit = CircuitLibrary(parts)
    parts.hybrid_values = HybridFunctions(parts)
    parts.hybrid_calls = HybridLibrary(parts)
    parts.qml = QmlCalls(parts)
    parts.declarations = ModuleLevel(parts)
    return parts


def parse(text: str) -> ast.Module:
    """``ast.parse`` with every failure as a diagnostic.

    Raises:
        CompilationFailedError: ``syntax`` (also a NUL character) or ``too-deep`` (the parser's
            own nesting limits, or a recursion/memory error while parsing).
    """
    if "\x00" in text:
        before = source_lines(text[: text.index("\x00")])
        message = "source contains a NUL character"
        raise fail([Diagnostic("syntax", message, len(before), len(before[-1]) + 1)])
    try:
        return ast.parse(text, filename="<program>", mode="exec")
    except SyntaxError as exc:
        msg = exc.msg or "invalid syntax"
        deep = "too many" in msg and ("nested" in msg or "indentation" in msg)
        hint = "simplify the nesting" if deep else "Eigen-Lang programs use Python syntax"
        rule = "too-deep" if deep else "syntax"
        raise fail([Diagnostic(rule, msg, exc.lineno or 0, exc.offset or 0, hint)]) from None
    except (RecursionError, MemoryError) as exc:
        message = f"the program is nested too deeply to parse ({type(exc).__name__})"
        raise fail([Diagnostic("too-deep", message, hint="simplify the nesting")]) from None
    except ValueError as exc:
        raise fail([Diagnostic("syntax", f"cannot parse the program: {exc}"[:300])]) from None
