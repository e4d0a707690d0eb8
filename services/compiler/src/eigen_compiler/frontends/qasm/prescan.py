"""A lexical pre-scan of OpenQASM text: every size the parsers would allocate, bounded first.

Qiskit's importers do their work before they can be asked how big the result is: ``qreg
q[2147483647]`` allocates 2^31 qubits inside the OpenQASM 2 parser (tens of GB),
``qreg q[99999999999999999999999]`` panics in it, ``qubit[2147483647] q``, ``bit[...]`` and
``$2147483647`` exhaust the OpenQASM 3 importer, and that importer expands every custom gate
eagerly — a definition and each application of it cost its fully expanded size, so ``gate g_i
a { g_{i-1} a; g_{i-1} a; }`` doubles the work per line. :func:`check_sizes` reads the text once,
with comments and strings blanked, and rejects before any parser runs:

- bracket nesting deeper than ``Limits.max_nesting_depth`` (``too-deep``);
- OpenQASM 2 only: integer literals of 2**64 or more, which its lexer cannot hold
  (``qasm-syntax``);
- register sizes: ``qreg``/``creg`` (OpenQASM 2 and 3), ``qubit[n]``/``bit[n]`` and single
  ``qubit``/``bit`` declarations, physical qubits ``$n``; every designator must be an integer
  literal or a constant expression of literals and ``const`` integers (``non-constant-size``),
  each within the limit, and the program-level totals within ``max_qubits`` /
  ``Limits.max_clbits`` (``too-many-qubits``, ``too-many-clbits``);
- OpenQASM 3 only: the gate applications the importer performs when it expands custom gates —
  each definition's expanded size plus, for each application, the expanded size of the applied
  gate times its broadcast width (``pow(k) @`` counts k times) — within
  ``Limits.max_qasm3_expanded_gates`` (``too-many-operations``).

The checks after parsing (qubit count, expanded operation count) stay: this scan is the cheap
bound that makes the parse itself safe, not a second grammar.
"""

from __future__ import annotations

import ast
import bisect
import re
from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np

from eigen_common.errors import CompilationFailedError, Diagnostic
from eigen_compiler.model import Limits, fail

_BLANK = re.compile(r"//[^\n]*|/\*.*?\*/|\"[^\"\n]*\"|'[^'\n]*'", re.DOTALL)
_BRACES = re.compile(r"[{}]")
_IDENT = r"[A-Za-z_][A-Za-z0-9_]*"
_DECLARATION = re.compile(
    rf"\b(?:(?P<old>qreg|creg)\s+(?P<old_name>{_IDENT})\s*\[(?P<old_size>[^\]]*)\]"
    rf"|(?P<kind>qubit|bit)(?:\s*\[(?P<size>[^\]]*)\]\s*(?P<name>{_IDENT})?"
    rf"|\s+(?P<single>{_IDENT})\s*[;=]))"
)
_PHYSICAL = re.compile(r"\$([0-9]+)")
_LONG_INTEGER = re.compile(r"(?<![\w.])(?<![eE][-+])[0-9]{20,}(?![\w.])")
_CONST = re.compile(rf"\bconst\s+u?int\s*(?:\[[^\]]*\])?\s*({_IDENT})\s*=\s*([^;]*);")
_GATE = re.compile(rf"\bgate\s+({_IDENT})")
_MODIFIER = re.compile(r"\A\s*(inv|ctrl|negctrl|pow)\s*(?:\(([^)]*)\))?\s*@")
_STATEMENT = re.compile(r"[^;{}]+")
_CALL = re.compile(rf"\A\s*({_IDENT})\s*(?:\([^;]*?\))?\s*(.*)\Z", re.DOTALL)
_KEYWORDS = frozenset(
    [
        "OPENQASM", "include", "qreg", "creg", "qubit", "bit", "gate", "opaque", "measure",
        "reset", "barrier", "if", "else", "for", "while", "in", "def", "return", "const",
        "input", "output", "let", "box", "delay", "int", "uint", "float", "angle", "bool",
        "complex", "duration", "stretch", "break", "continue", "end", "extern", "defcal",
        "cal", "defcalgrammar", "array",
    ]
)  # fmt: skip
_NUMBER = r"(?:0[xX][0-9a-fA-F_]+|0[oO][0-7_]+|0[bB][01_]+|[0-9][0-9_]*)(?!\w)"
#: What :func:`_evaluate` reads: integer literals, names, operators (no words run together).
_EXPRESSION = re.compile(rf"\s*(?:(?:{_NUMBER}|[A-Za-z_]\w*|\*\*|<<|>>|[-+*/%()])\s*)*")
_FOR_RANGE = re.compile(
    rf"\bfor\s+(?:[A-Za-z_]\w*(?:\s*\[[^\]]*\])?\s+)?{_IDENT}\s+in\s*\[([^\]]*)\]"
)
#: Designators longer than this are not evaluated (``non-constant-size``).
_MAX_EXPRESSION = 200
_HUGE = 1 << 64


@dataclass
class _Text:
    """The program with comments and strings blanked (same offsets), and its brace depths."""

    source: str
    clean: str
    opens: list[int] = field(default_factory=list)  # offsets of "{" and "}" in order
    depths: list[int] = field(default_factory=list)  # brace depth just after each of them
    closing: dict[int, int] = field(default_factory=dict)  # offset of "{" → its "}"

    def depth_at(self, pos: int) -> int:
        """Brace depth at offset ``pos`` (0 = program level)."""
        i = bisect.bisect_right(self.opens, pos)
        return self.depths[i - 1] if i else 0

    def position(self, pos: int) -> tuple[int, int]:
        """1-based ``(line, column)`` of offset ``pos``."""
        line_start = self.source.rfind("\n", 0, pos) + 1
        return self.source.count("\n", 0, pos) + 1, pos - line_start + 1


def check_sizes(source: str, major: str, limits: Limits) -> None:
    """Bound every size in ``source`` (OpenQASM ``major`` "2" or "3") before it is parsed.

    Raises:
        CompilationFailedError: ``too-deep``, ``non-constant-size``, ``too-many-qubits``,
            ``too-many-clbits`` or ``too-many-operations`` (see the module docstring).
    """
    clean = _BLANK.sub(lambda m: re.sub(r"[^\n]", " ", m.group()), source)
    text = _Text(source, clean)
    _nesting(text, limits)
    consts = _constants(text)
    registers = _registers(text, consts, limits)
    if major == "2":
        _integer_literals(text)
    if major == "3":
        _loops(text, consts, limits)
        _expansion(text, registers, limits)


def _fail(text: _Text, pos: int, rule: str, message: str, hint: str = "") -> CompilationFailedError:
    line, column = text.position(pos)
    return fail([Diagnostic(rule, message, line, column, hint)])


def _nesting(text: _Text, limits: Limits) -> None:
    """Reject brackets nested past the limit; record the ``{ }`` pairs and their depths.

    The depth of every character is computed with numpy (a 4 MiB program has about a million
    brackets): the running sum of +1/-1, reflected at zero as a stray closer resets the depth.
    """
    codes = np.frombuffer(text.clean.encode("utf-32-le"), dtype=np.uint32)
    opening = (codes == ord("(")) | (codes == ord("[")) | (codes == ord("{"))
    closing = (codes == ord(")")) | (codes == ord("]")) | (codes == ord("}"))
    where = np.flatnonzero(opening | closing)
    total = np.cumsum(np.where(opening[where], 1, -1).astype(np.int32), dtype=np.int32)
    depth = total - np.minimum(np.minimum.accumulate(total), 0)
    too_deep = np.flatnonzero(depth > limits.max_nesting_depth)
    if too_deep.size:
        message = f"brackets nested deeper than {limits.max_nesting_depth} levels"
        pos = int(where[too_deep[0]])
        raise _fail(text, pos, "too-deep", message, "simplify the nesting")
    pending: list[int] = []  # offsets of the open "{"
    for m in _BRACES.finditer(text.clean):
        pos = m.start()
        if m.group() == "{":
            pending.append(pos)
        elif pending:
            text.closing[pending.pop()] = pos
        else:
            continue
        text.opens.append(pos)
        text.depths.append(len(pending))


def _integer_literals(text: _Text) -> None:
    """OpenQASM 2's lexer reads integers into 64 bits and panics beyond: refuse them first."""
    for m in _LONG_INTEGER.finditer(text.clean):
        digits = m.group()
        if len(digits) > 20 or int(digits) >= 2**64:
            message = (
                f"integer literal {digits[:24]}{'...' if len(digits) > 24 else ''} is too large"
            )
            raise _fail(text, m.start(), "qasm-syntax", message, "integers must be below 2**64")


def _constants(text: _Text) -> dict[str, int]:
    """Program-level ``const int``/``const uint`` values that evaluate to integers."""
    consts: dict[str, int] = {}
    for m in _CONST.finditer(text.clean) if "const" in text.clean else ():
        if text.depth_at(m.start()) == 0:
            value = _evaluate(m.group(2), consts)
            if value is not None:
                consts[m.group(1)] = value
    return consts


def _registers(text: _Text, consts: Mapping[str, int], limits: Limits) -> dict[str, int]:
    """Check every register size; return the sizes of the program-level registers by name."""
    totals = {"qubit": 0, "bit": 0}
    named: dict[str, int] = {}
    caps = {"qubit": limits.max_qubits, "bit": limits.max_clbits}
    for m in _DECLARATION.finditer(text.clean):
        pos = m.start()
        if m.group("old"):
            kind = "qubit" if m.group("old") == "qreg" else "bit"
            size_text, name = m.group("old_size"), m.group("old_name")
        elif m.group("single"):
            kind, size_text, name = m.group("kind"), "1", m.group("single")
        else:
            kind, size_text, name = m.group("kind"), m.group("size"), m.group("name")
        size = _evaluate(size_text, consts)
        what = "qubits" if kind == "qubit" else "clbits"
        if size is None:
            message = f"the size of {name or kind!r} must be an integer constant, got {size_text!r}"
            raise _fail(text, pos, "non-constant-size", message[:300], "write the size as a number")
        if size > caps[kind]:
            message = f"{name or kind!r} declares {_shown(size)} {what}; the limit is {caps[kind]}"
            raise _fail(text, pos, f"too-many-{what}", message)
        if name is not None and text.depth_at(pos) == 0:
            totals[kind] += size
            named[name] = size
            if totals[kind] > caps[kind]:
                message = f"the program declares {totals[kind]} {what}; the limit is {caps[kind]}"
                raise _fail(text, pos, f"too-many-{what}", message)
    for m in _PHYSICAL.finditer(text.clean) if "$" in text.clean else ():
        digits = m.group(1)
        if len(digits) > 18 or int(digits) >= limits.max_qubits:
            message = f"physical qubit ${digits[:20]} is beyond the limit of {limits.max_qubits}"
            raise _fail(text, m.start(), "too-many-qubits", message)
    return named


def _loops(text: _Text, consts: Mapping[str, int], limits: Limits) -> None:
    """``for ... in [a:b]`` / ``[a:s:b]`` with constant bounds: at most ``max_operations`` runs.

    The importer materialises the range (a billion iterations exhaust memory in native code);
    bounds it cannot evaluate either are rejected by it.
    """
    for m in _FOR_RANGE.finditer(text.clean) if "for" in text.clean else ():
        parts = [_evaluate(p, consts) if p.strip() else None for p in m.group(1).split(":")]
        if len(parts) not in (2, 3) or any(p is None for p in parts):
            continue
        start, stop = parts[0], parts[-1]
        step = parts[1] if len(parts) == 3 else 1
        assert start is not None and stop is not None and step is not None
        runs = 0 if step == 0 else max(0, (stop - start) // step + 1)
        if runs > limits.max_operations:
            message = f"the loop runs {_shown(runs)} times; the limit is {limits.max_operations}"
            raise _fail(text, m.start(), "too-many-operations", message, "use fewer iterations")


def _expansion(text: _Text, registers: Mapping[str, int], limits: Limits) -> None:
    """Bound the gate applications the OpenQASM 3 importer performs while expanding gates."""
    budget = min(limits.max_qasm3_expanded_gates, limits.max_operations)
    costs: dict[str, int] = {}
    program = list(text.clean)
    total = 0
    for m in _GATE.finditer(text.clean):
        if text.depth_at(m.start()) != 0:
            continue
        start = text.clean.find("{", m.end())
        end = text.closing.get(start, -1)
        if end < 0:
            return  # malformed: the parser reports it
        cost, _ = _body_cost(text.clean, start + 1, end, costs, {}, budget - total)
        costs[m.group(1)] = cost
        program[m.start() : end + 1] = " " * (end + 1 - m.start())
        total += cost
        if total > budget:
            raise _fail(text, m.start(), "too-many-operations", _expansion_message(budget))
    rest = "".join(program)
    cost, where = _body_cost(rest, 0, len(rest), costs, registers, budget - total)
    if total + cost > budget:
        raise _fail(text, where, "too-many-operations", _expansion_message(budget))


def _expansion_message(budget: int) -> str:
    return (
        f"expanding the custom gates takes more than {budget} gate applications, the OpenQASM 3 "
        "importer's limit"
    )


def _body_cost(
    text: str,
    start: int,
    end: int,
    costs: Mapping[str, int],
    registers: Mapping[str, int],
    budget: int,
) -> tuple[int, int]:
    """Gate applications of ``text[start:end]`` after expanding known gates.

    Returns the count (it stops just past ``budget``) and the offset of the statement that
    passed it (``start`` when none did).
    """
    total = 0
    for statement in _STATEMENT.finditer(text, start, end):
        times = 1
        rest = statement.group()
        while (modifier := _MODIFIER.match(rest)) is not None:
            if modifier.group(1) == "pow":
                exponent = _evaluate(modifier.group(2) or "1", {})
                times *= abs(exponent) if exponent is not None else 1
            rest = rest[modifier.end() :]
        call = _CALL.match(rest)
        if call is None or call.group(1) in _KEYWORDS:
            continue
        width = max((registers.get(a.strip(), 1) for a in call.group(2).split(",")), default=1)
        total += costs.get(call.group(1), 1) * max(times, 1) * width
        if total > budget:
            return total, statement.start() + len(statement.group()) - len(
                statement.group().lstrip()
            )
    return total, start


def _evaluate(expression: str, consts: Mapping[str, int]) -> int | None:
    """An integer constant expression (literals, ``const`` names, ``+ - * / % **``, ``<< >>``).

    Values beyond 2**64 come back as 2**64 (larger than any limit); None when not constant.
    """
    if len(expression) > _MAX_EXPRESSION or not _EXPRESSION.fullmatch(expression):
        return None
    try:
        tree = ast.parse(expression.strip(), mode="eval")
    except (SyntaxError, ValueError):
        return None
    return _value(tree.body, consts)


def _value(node: ast.expr, consts: Mapping[str, int]) -> int | None:
    if isinstance(node, ast.Constant):
        v = node.value
        return min(v, _HUGE) if isinstance(v, int) and not isinstance(v, bool) else None
    if isinstance(node, ast.Name):
        return consts.get(node.id)
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub | ast.UAdd):
        v = _value(node.operand, consts)
        return None if v is None else (-v if isinstance(node.op, ast.USub) else v)
    if isinstance(node, ast.BinOp):
        a, b = _value(node.left, consts), _value(node.right, consts)
        if a is None or b is None:
            return None
        return _binary(node.op, a, b)
    return None


def _binary(op: ast.operator, a: int, b: int) -> int | None:
    if isinstance(op, ast.Add):
        out = a + b
    elif isinstance(op, ast.Sub):
        out = a - b
    elif isinstance(op, ast.Mult):
        out = a * b
    elif isinstance(op, ast.Div | ast.FloorDiv | ast.Mod):
        if b == 0:
            return None
        out = a % b if isinstance(op, ast.Mod) else int(a / b)
    elif isinstance(op, ast.Pow):
        if b < 0:
            return None
        out = _HUGE if abs(a) > 1 and b >= 64 else a**b
    elif isinstance(op, ast.LShift):
        out = _HUGE if b >= 64 or b < 0 else a << b
    elif isinstance(op, ast.RShift):
        out = a >> min(max(b, 0), 64)
    else:
        return None
    return max(min(out, _HUGE), -_HUGE)


def _shown(n: int) -> str:
    return "more than 2**64" if n >= _HUGE else str(n)
