"""OpenQASM text → Qiskit ``QuantumCircuit``, with parser errors turned into diagnostics.

- OpenQASM 2: ``qiskit.qasm2.loads`` with ``LEGACY_CUSTOM_INSTRUCTIONS`` (QASMBench files use
  ``sx``/``swap``/``cswap`` without defining them) less the names the program defines itself
  (:mod:`.owngates`) and an empty include path, so only the built-in ``qelib1.inc`` can be
  included — a program can never read files of the server.
- OpenQASM 3: parsed by ``openqasm3`` (the reference parser), converted by qiskit-qasm3-import
  where it can, else lowered by :mod:`eigen_compiler.frontends.qasm.oq3` (``const``, ``uint``,
  casts, subroutines, loops, run-time conditions); only ``stdgates.inc`` is includable. A
  program's gates with standard names are checked and renamed first (:mod:`.owngates`). What
  neither can run is rejected with rule ``qasm3-unsupported`` and the construct's line.

Diagnostic lines and columns are 1-based.
"""

from __future__ import annotations

import contextlib
import io
import os
import re
import traceback

import openqasm3
import qiskit_qasm3_import
from qiskit import qasm2
from qiskit.circuit import ControlFlowOp, IfElseOp, QuantumCircuit

from eigen_common.errors import Diagnostic
from eigen_compiler.frontends.qasm.oq3 import lower
from eigen_compiler.frontends.qasm.owngates import qasm2_instructions, rename_oq3
from eigen_compiler.model import Limits, fail

_QASM2_POS = re.compile(r"\A<input>:(\d+),(\d+):\s*(.*)\Z", re.DOTALL)
_QASM3_PARSE_POS = re.compile(r"\AL(\d+):C(\d+):\s*(.*)\Z", re.DOTALL)
_QASM3_HINT = "see docs/openqasm3.md for the OpenQASM 3 this platform runs"


def parse2(source: str) -> QuantumCircuit:
    """Parse OpenQASM 2 ``source``.

    Raises:
        CompilationFailedError: ``qasm-syntax`` or ``too-complex``.
    """
    try:
        return qasm2.loads(
            source,
            include_path=(),
            custom_instructions=qasm2_instructions(source),
        )
    except qasm2.QASM2ParseError as exc:
        line, col, text = _position(_QASM2_POS, _message(exc))
        raise fail([Diagnostic("qasm-syntax", text, line, col, _qasm2_hint(text))]) from None
    except (RecursionError, MemoryError) as exc:
        raise fail([_too_complex(exc)]) from None
    except Exception as exc:  # the parser's contract is QASM2ParseError; be safe on junk
        raise fail(
            [Diagnostic("qasm-syntax", _printable(f"cannot parse OpenQASM 2: {exc}"))]
        ) from None
    except BaseException as exc:
        if not is_panic(exc):
            raise
        raise fail([_panicked("2")]) from None


def _qasm2_hint(message: str) -> str:
    if "include" in message:
        return 'only `include "qelib1.inc";` is available'
    if "before definition" in message:
        return 'standard gates need `include "qelib1.inc";` after the header'
    if "not defined" in message:
        return "declare registers with qreg/creg and gates with `gate` before use"
    return ""


def parse3(source: str, limits: Limits | None = None) -> tuple[QuantumCircuit, list[Diagnostic]]:
    """Parse OpenQASM 3 ``source`` (parsed once by the ``openqasm3`` reference parser).

    Qiskit's importer (qiskit-qasm3-import) converts the program when it can and its circuit
    has no loops; otherwise :func:`eigen_compiler.frontends.qasm.oq3.lower` lowers the same AST
    (classical types, ``const``, ``def``, casts, loops, run-time conditions). The ANTLR parser
    prints each syntax error to ``sys.stderr`` as well; that text is dropped (the error comes
    back as a diagnostic), so junk programs cannot fill the service's log with lines that are
    not JSON.

    Returns:
        The circuit and warnings of the lowering.

    Raises:
        CompilationFailedError: ``qasm-syntax``, ``qasm3-unsupported``, ``too-complex`` or a
            rule of :func:`~eigen_compiler.frontends.qasm.oq3.lower`.
    """
    try:
        with contextlib.redirect_stderr(io.StringIO()):
            program = openqasm3.parse(source)
    except (RecursionError, MemoryError) as exc:
        raise fail([_too_complex(exc)]) from None
    except Exception as exc:  # openqasm3.QASM3ParsingError, or an ANTLR fault on odd input
        raise fail([_qasm3_parse_diagnostic(exc)]) from None
    except BaseException as exc:
        if not is_panic(exc):
            raise
        raise fail([_panicked("3")]) from None
    rename_oq3(program, source)
    try:
        circuit = qiskit_qasm3_import.convert(program)
    except (RecursionError, MemoryError) as exc:
        raise fail([_too_complex(exc)]) from None
    except Exception:  # the importer stops here (ConversionError, or a fault on odd input)
        circuit = None
    if circuit is not None and not _beyond_aqo(circuit):
        return circuit, []
    lowered = lower(program, source, limits or Limits())
    return lowered.circuit, lowered.warnings


def _beyond_aqo(circuit: QuantumCircuit) -> bool:
    """Whether the importer's circuit has what AQO cannot write.

    That is control flow other than ``if_else``, classical variables and stores, ``delay``. The
    lowering then takes the program (it runs loops when compiling and names a construct it
    refuses with its line).
    """
    if circuit.num_vars:
        return True
    for inst in circuit.data:
        op = inst.operation
        if isinstance(op, ControlFlowOp):
            if not isinstance(op, IfElseOp) or any(_beyond_aqo(b) for b in op.blocks):
                return True
        elif op.name in ("store", "delay"):
            return True
    return False


def is_panic(exc: BaseException) -> bool:
    """True for a Rust panic surfaced by PyO3 (``pyo3_runtime.PanicException``).

    It derives from ``BaseException``, so ``except Exception`` does not stop it.
    """
    return type(exc).__name__ == "PanicException"


def _panicked(version: str) -> Diagnostic:
    return Diagnostic(
        "qasm-syntax",
        f"the OpenQASM {version} parser failed on this program",
        hint="check register sizes and numeric literals",
    )


def _too_complex(exc: BaseException) -> Diagnostic:
    if isinstance(exc, MemoryError):
        return Diagnostic("too-complex", "the program needs more memory to parse than allowed")
    return Diagnostic("too-complex", "the program is too deeply nested")


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
