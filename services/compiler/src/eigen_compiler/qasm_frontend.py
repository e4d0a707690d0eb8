"""OpenQASM 2 / 3 → Qiskit ``QuantumCircuit``, with parse errors turned into diagnostics.

- OpenQASM 2: ``qiskit.qasm2.loads`` with ``LEGACY_CUSTOM_INSTRUCTIONS`` (QASMBench files use
  ``sx``/``swap``/``cswap`` without defining them) and an empty include path, so only the built-in
  ``qelib1.inc`` can be included — a program can never read files of the server.
- OpenQASM 3: ``qiskit.qasm3.loads`` (qiskit-qasm3-import); only ``stdgates.inc`` is includable.
  Constructs the importer does not handle (subroutines, ``const``, ``uint``, casts, ...) are
  rejected with rule ``qasm3-unsupported``.

The version comes from the request or, when empty, from the ``OPENQASM x[.y];`` header. Without
a header (optional in OpenQASM 3; some QASMBench files omit it in OpenQASM 2 too) the program is
OpenQASM 2 if it includes ``qelib1.inc`` or declares ``qreg``/``creg``, else OpenQASM 3.
Diagnostic lines and columns are 1-based.
"""

from __future__ import annotations

import os
import re
import traceback
from dataclasses import dataclass, field

from qiskit import qasm2, qasm3
from qiskit.circuit import ControlFlowOp, Instruction, QuantumCircuit

from eigen_common.errors import Diagnostic, FieldViolation, UnsupportedFormatError
from eigen_compiler.model import Limits, fail, source_lines
from eigen_ir.aqo_qiskit import BASIS_GATES

_HEADER = re.compile(
    r"\A(?:\s+|//[^\n]*(?:\n|\Z)|/\*.*?\*/)*OPENQASM[ \t]+([0-9]+)(?:\.([0-9]+))?[ \t]*;",
    re.DOTALL,
)
_COMMENTS = re.compile(r"//[^\n]*|/\*.*?\*/", re.DOTALL)
_QASM2_MARKERS = re.compile(r'include\s+"qelib1\.inc"|^\s*(?:qreg|creg)\b', re.MULTILINE)
_QASM2_POS = re.compile(r"\A<input>:(\d+),(\d+):\s*(.*)\Z", re.DOTALL)
_QASM3_CONVERT_POS = re.compile(r"\A(\d+),(\d+):\s*(.*)\Z", re.DOTALL)
_QASM3_PARSE_POS = re.compile(r"\AL(\d+):C(\d+):\s*(.*)\Z", re.DOTALL)
_UNSUPPORTED_MARKERS = (
    "not supported",
    "not currently supported",
    "cannot be resolved",
    "conditions must be",
    "unsupported",
    "not handled",
)
_QASM3_HINT = (
    "the OpenQASM 3 importer handles gates, registers, measurement, `input float` parameters "
    "and `if` on bits/registers; rewrite the construct or use OpenQASM 2"
)
_DIRECT = frozenset({"measure", "reset", "barrier", "delay", *BASIS_GATES})


@dataclass
class LoadedQasm:
    """A parsed OpenQASM program: the circuit and its major ``version`` ("2" or "3")."""

    circuit: QuantumCircuit
    version: str
    warnings: list[Diagnostic] = field(default_factory=list)


def normalise_version(version: str) -> str:
    """Map a request's ``version`` ("2", "2.0", "3", "3.0", '') to "2", "3" or ''.

    Raises:
        UnsupportedFormatError: any other value (field ``qasm.version``).
    """
    v = version.strip()
    if v in ("", "2", "2.0", "3", "3.0"):
        return v[:1]
    raise UnsupportedFormatError(
        f"OpenQASM version {version!r} is not supported; use 2 or 3",
        violations=[FieldViolation("qasm.version", 'must be "2", "3" or empty')],
    )


def header_version(source: str) -> tuple[str, int] | None:
    """Return ``(major, line)`` of the ``OPENQASM`` header, or ``None`` when there is none."""
    m = _HEADER.match(source[: 64 * 1024])
    if m is None:
        return None
    line = source.count("\n", 0, m.start(1)) + 1
    return m.group(1), line


def guess_version(source: str) -> str:
    """Major version of a program without header: "2" for qelib1.inc / qreg / creg, else "3"."""
    return "2" if _QASM2_MARKERS.search(source) else "3"


def load_qasm(source: str, version: str = "", limits: Limits | None = None) -> LoadedQasm:
    """Parse OpenQASM ``source`` into a Qiskit circuit.

    Args:
        source: program text.
        version: "2", "3" (also "2.0"/"3.0") or '' to use the header.
        limits: byte, qubit and operation limits.

    Returns:
        The circuit (custom gates not yet expanded) and the version used.

    Raises:
        UnsupportedFormatError: ``version`` is not 2 or 3.
        CompilationFailedError: rules ``source-too-large``, ``empty-source``,
            ``unsupported-version``, ``qasm-version-mismatch``, ``qasm-syntax``,
            ``qasm3-unsupported``, ``too-many-qubits``, ``too-many-operations``, ``too-complex``.
    """
    lim = limits or Limits()
    requested = normalise_version(version)
    size = len(source.encode("utf-8"))
    if size > lim.max_qasm_bytes:
        raise fail([_too_large(size, lim.max_qasm_bytes)])
    if not _COMMENTS.sub("", source).strip():
        raise fail([Diagnostic("empty-source", "the OpenQASM program is empty")])
    header = header_version(source)
    if header is not None and header[0] not in ("2", "3"):
        raise fail(
            [
                Diagnostic(
                    "unsupported-version",
                    f"OpenQASM {header[0]} is not supported",
                    header[1],
                    1,
                    "use OpenQASM 2.0 or 3",
                )
            ]
        )
    if header is not None and requested and header[0] != requested:
        raise fail(
            [
                Diagnostic(
                    "qasm-version-mismatch",
                    f"the request says OpenQASM {requested} but the header says "
                    f"OpenQASM {header[0]}",
                    header[1],
                    1,
                    "leave the version empty to use the header",
                )
            ]
        )
    major = requested or (header[0] if header else guess_version(source))
    if major == "3" and size > lim.max_qasm3_bytes:
        raise fail([_too_large(size, lim.max_qasm3_bytes, qasm3_parser=True)])
    circuit = _parse2(source) if major == "2" else _parse3(source)
    if circuit.num_qubits > lim.max_qubits:
        raise fail(
            [
                Diagnostic(
                    "too-many-qubits",
                    f"the program uses {circuit.num_qubits} qubits; the limit is {lim.max_qubits}",
                )
            ]
        )
    check_expanded_size(circuit, lim.max_operations)
    loaded = LoadedQasm(circuit, major)
    if not circuit.data:
        message = "the program has no operations"
        loaded.warnings.append(Diagnostic("empty-program", message, severity="warning"))
    return loaded


def _too_large(size: int, limit: int, *, qasm3_parser: bool = False) -> Diagnostic:
    what = "OpenQASM 3 programs are limited to" if qasm3_parser else "the limit is"
    return Diagnostic(
        "source-too-large",
        f"program is {size} bytes; {what} {limit} bytes",
        hint="split the circuit or use OpenQASM 2 for very large circuits",
    )


def _parse2(source: str) -> QuantumCircuit:
    try:
        return qasm2.loads(
            source,
            include_path=(),
            custom_instructions=qasm2.LEGACY_CUSTOM_INSTRUCTIONS,
        )
    except qasm2.QASM2ParseError as exc:
        line, col, text = _position(_QASM2_POS, _message(exc))
        raise fail([Diagnostic("qasm-syntax", text, line, col, _qasm2_hint(text))]) from None
    except (RecursionError, MemoryError):
        raise fail([Diagnostic("too-complex", "the program is too deeply nested")]) from None
    except Exception as exc:  # the parser's contract is QASM2ParseError; be safe on junk
        raise fail(
            [Diagnostic("qasm-syntax", _printable(f"cannot parse OpenQASM 2: {exc}"))]
        ) from None


def _qasm2_hint(message: str) -> str:
    if "include" in message:
        return 'only `include "qelib1.inc";` is available'
    if "before definition" in message:
        return 'standard gates need `include "qelib1.inc";` after the header'
    if "not defined" in message:
        return "declare registers with qreg/creg and gates with `gate` before use"
    return ""


def _parse3(source: str) -> QuantumCircuit:
    try:
        return qasm3.loads(source)
    except qasm3.QASM3ImporterError as exc:
        line, col, text = _position(_QASM3_CONVERT_POS, _message(exc))
        unsupported = any(m in text for m in _UNSUPPORTED_MARKERS)
        rule, hint = ("qasm3-unsupported", _QASM3_HINT) if unsupported else ("qasm-syntax", "")
        raise fail([Diagnostic(rule, text, line, col, hint)]) from None
    except (RecursionError, MemoryError):
        raise fail([Diagnostic("too-complex", "the program is too deeply nested")]) from None
    except Exception as exc:  # openqasm3.QASM3ParsingError, or an importer fault on odd input
        raise fail([_qasm3_parse_diagnostic(exc)]) from None


def _qasm3_parse_diagnostic(exc: BaseException) -> Diagnostic:
    """Find the most precise position in an OpenQASM 3 parser exception chain."""
    seen: set[int] = set()
    cur: BaseException | None = exc
    while cur is not None and id(cur) not in seen:
        seen.add(id(cur))
        token = getattr(cur, "offendingToken", None)
        if token is not None and getattr(token, "line", None) is not None:
            text = getattr(token, "text", None)
            what = "end of input" if text in (None, "<EOF>") else _printable(repr(text))
            return Diagnostic(
                "qasm-syntax",
                f"unexpected {what}",
                int(token.line),
                int(token.column) + 1,
                "check for a missing `;` or bracket",
            )
        m = _QASM3_PARSE_POS.match(str(cur))
        if m:
            return Diagnostic(
                "qasm-syntax", _printable(m.group(3)), int(m.group(1)), int(m.group(2)) + 1
            )
        nxt = cur.__cause__ or cur.__context__
        if nxt is None and cur.args and isinstance(cur.args[0], BaseException):
            nxt = cur.args[0]
        cur = nxt
    if _is_parser_error(exc):
        hint = "check the program against the OpenQASM 3 grammar"
        return Diagnostic("qasm-syntax", "cannot parse the OpenQASM 3 program", hint=hint)
    message = _printable(f"the OpenQASM 3 importer cannot convert this program: {exc}")
    return Diagnostic("qasm3-unsupported", message, hint=_QASM3_HINT)


def _is_parser_error(exc: BaseException) -> bool:
    """True when ``exc`` (or a cause) was raised inside the ``openqasm3`` parser package."""
    cur: BaseException | None = exc
    for _ in range(10):
        if cur is None:
            return False
        if type(cur).__module__.startswith(("openqasm3", "antlr4")):
            return True
        frames = traceback.extract_tb(cur.__traceback__)
        if frames and f"{os.sep}openqasm3{os.sep}" in frames[-1].filename:
            return True
        cur = cur.__cause__ or cur.__context__
    return False


def _message(exc: BaseException) -> str:
    """The plain message of a Qiskit error (its ``str`` is the quoted ``repr``)."""
    message = getattr(exc, "message", None)
    return message if isinstance(message, str) else str(exc)


def _printable(text: str) -> str:
    """Escape control characters so junk input cannot put raw bytes into a message."""
    return "".join(ch if ch.isprintable() or ch in "\t" else f"\\x{ord(ch):02x}" for ch in text)[
        :300
    ]


def _position(pattern: re.Pattern[str], message: str) -> tuple[int, int, str]:
    """Split ``line,col: text`` (0-based column) into a 1-based position and the text."""
    m = pattern.match(message.strip())
    if m is None:
        return 0, 0, _printable(message.strip())
    return int(m.group(1)), int(m.group(2)) + 1, _printable(m.group(3).strip())


def check_expanded_size(circuit: QuantumCircuit, limit: int) -> int:
    """Count operations after expanding gate definitions, stopping past ``limit``.

    Custom ``gate`` definitions can nest exponentially (each calling the previous one twice);
    this catches that before the transpiler tries to expand them.

    Returns:
        The expanded operation count (<= ``limit``).

    Raises:
        CompilationFailedError: rule ``too-many-operations`` or ``too-complex``.
    """
    memo: dict[tuple[str, int, int], int] = {}

    def op_size(op: Instruction) -> int:
        if isinstance(op, ControlFlowOp):
            return 1 + sum(block_size(b) for b in op.blocks)
        if op.name in _DIRECT or op.definition is None:
            return 1
        key = (op.name, op.num_qubits, op.num_clbits)
        if key not in memo:
            memo[key] = block_size(op.definition)
        return memo[key]

    def block_size(qc: QuantumCircuit) -> int:
        total = 0
        for inst in qc.data:
            total += op_size(inst.operation)
            if total > limit:
                break
        return total

    try:
        total = block_size(circuit)
    except RecursionError:
        raise fail([Diagnostic("too-complex", "gate definitions are nested too deeply")]) from None
    if total > limit:
        raise fail(
            [
                Diagnostic(
                    "too-many-operations",
                    f"the expanded circuit has more than {limit} operations",
                    hint="reduce the circuit size",
                )
            ]
        )
    return total


def unbound_parameter_positions(source: str, names: list[str]) -> dict[str, tuple[int, int]]:
    """Locate ``input <type> <name>;`` declarations (OpenQASM 3) for diagnostics."""
    out: dict[str, tuple[int, int]] = {}
    for i, line in enumerate(source_lines(source), start=1):
        for name in names:
            m = re.search(rf"\binput\b[^;]*?\b{re.escape(name)}\s*;", line)
            if m and name not in out:
                out[name] = (i, m.start() + 1)
    return out
