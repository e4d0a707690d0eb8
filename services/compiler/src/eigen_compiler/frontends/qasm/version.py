"""Which OpenQASM a program is: the request's version, the ``OPENQASM x[.y];`` header, or a guess.

Without a header (optional in OpenQASM 3; some QASMBench files omit it in OpenQASM 2 too) the
program is OpenQASM 2 if it includes ``qelib1.inc`` or declares ``qreg``/``creg``, else
OpenQASM 3.
"""

from __future__ import annotations

import re

from eigen_common.errors import FieldViolation, UnsupportedFormatError

_HEADER = re.compile(
    r"\A(?:\s+|//[^\n]*(?:\n|\Z)|/\*.*?\*/)*OPENQASM[ \t]+([0-9]+)(?:\.([0-9]+))?[ \t]*;",
    re.DOTALL,
)
COMMENTS = re.compile(r"//[^\n]*|/\*.*?\*/", re.DOTALL)
_QASM2_MARKERS = re.compile(r'include\s+"qelib1\.inc"|^\s*(?:qreg|creg)\b', re.MULTILINE)


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
