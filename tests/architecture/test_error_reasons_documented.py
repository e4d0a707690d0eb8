"""Every error reason and job error code in the code has its row in docs/errors.md, and no more.

The sources are read with ``ast`` (nothing is imported):

- a **reason** is a ``reason = "X"`` class attribute of an ``EigenError`` subclass, or a
  ``reason=`` argument of a call (a string, or a module-level string constant); its gRPC code is
  the ``code = Code.X`` of the class (or of the called class), inherited along the bases;
- a **job error code** is the third argument of a ``….fail(job_id, state, code, summary)``
  call or the first of ``ErrorRecord(code, …)`` — a string, both branches of ``a if c else b``,
  or a local variable assigned such strings in the same function.

The doc's reason tables (``## Reasons…``: reason | gRPC code | HTTP | …) must list each reason
once with its code and the HTTP status ``rest/transcode.py`` maps the code to (``—`` for reasons
only the CLI/SDK raise); the job table (``## Job error codes``) each job error code.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.conftest import ROOT

DOC = ROOT / "docs" / "errors.md"
SOURCES = (
    ROOT / "libs/eigen_common/src",
    ROOT / "libs/eigen_ir/src",
    ROOT / "libs/eigen_lang/src",
    *sorted((ROOT / "services").glob("*/src")),
    ROOT / "cli/src",
)
CLIENT_SOURCES = ROOT / "cli/src"
TRANSCODE = ROOT / "services/system_api/src/eigen_system_api/rest/transcode.py"
_NAME = re.compile(r"^[A-Z][A-Z0-9_]+$")
_CELL = re.compile(r"^`([A-Z][A-Z0-9_]*)`$")


@dataclass(frozen=True)
class Use:
    """One place a reason is defined or raised, with the gRPC code it goes with."""

    code: str | None
    where: str


def _modules() -> dict[Path, ast.Module]:
    files = [
        p
        for src in SOURCES
        for p in sorted(src.rglob("*.py"))
        if not p.name.endswith(("_pb2.py", "_pb2_grpc.py"))
    ]
    assert len(files) > 100, f"found only {len(files)} source files under {SOURCES}"
    return {p: ast.parse(p.read_text(encoding="utf-8"), str(p)) for p in files}


def _where(path: Path, node: ast.AST) -> str:
    return f"{path.relative_to(ROOT)}:{getattr(node, 'lineno', 0)}"


def _name(node: ast.expr) -> str | None:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    return None


def _assigned(stmt: ast.stmt) -> tuple[str, ast.expr] | None:
    """``(target, value)`` of ``x = v`` / ``x: T = v`` with one plain-name target."""
    if isinstance(stmt, ast.Assign) and len(stmt.targets) == 1:
        target = _name(stmt.targets[0]) if isinstance(stmt.targets[0], ast.Name) else None
        return (target, stmt.value) if target else None
    if isinstance(stmt, ast.AnnAssign) and isinstance(stmt.target, ast.Name) and stmt.value:
        return stmt.target.id, stmt.value
    return None


@dataclass
class _Class:
    bases: tuple[str, ...]
    code: str | None
    reason: str | None
    where: str


class Codebase:
    """The classes, constants and call sites of the sources."""

    def __init__(self) -> None:
        self.modules = _modules()
        self.classes: dict[str, _Class] = {}
        self.constants: dict[tuple[Path, str], str] = {}
        for path, tree in self.modules.items():
            for stmt in tree.body:
                pair = _assigned(stmt)
                if pair and isinstance(pair[1], ast.Constant) and isinstance(pair[1].value, str):
                    self.constants[(path, pair[0])] = pair[1].value
            for node in ast.walk(tree):
                if isinstance(node, ast.ClassDef):
                    self.classes[node.name] = self._class(path, node)

    def _class(self, path: Path, node: ast.ClassDef) -> _Class:
        code = reason = None
        for stmt in node.body:
            pair = _assigned(stmt)
            if pair is None:
                continue
            target, value = pair
            if target == "code" and isinstance(value, ast.Attribute):
                code = value.attr
            elif target == "reason" and isinstance(value, ast.Constant):
                reason = str(value.value)
        bases = tuple(b for b in map(_name, node.bases) if b)
        return _Class(bases, code, reason, _where(path, node))

    def code_of(self, cls: str | None, seen: frozenset[str] = frozenset()) -> str | None:
        """The gRPC code of class ``cls``, inherited along its bases; None if not an error."""
        info = self.classes.get(cls or "")
        if info is None or cls in seen:
            return None
        if info.code:
            return info.code
        for base in info.bases:
            code = self.code_of(base, seen | {cls or ""})
            if code:
                return code
        return None

    def is_error(self, cls: str, seen: frozenset[str] = frozenset()) -> bool:
        """Whether ``cls`` derives from ``EigenError``."""
        if cls == "EigenError":
            return True
        info = self.classes.get(cls)
        if info is None or cls in seen:
            return False
        return any(self.is_error(b, seen | {cls}) for b in info.bases)

    def _string(self, path: Path, node: ast.expr) -> str | None:
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            return node.value
        if isinstance(node, ast.Name):
            return self.constants.get((path, node.id))
        return None

    def reasons(self) -> dict[str, list[Use]]:
        """Reason → every place it is defined or raised."""
        out: dict[str, list[Use]] = {}
        for name, info in self.classes.items():
            if info.reason and self.is_error(name):
                out.setdefault(info.reason, []).append(Use(self.code_of(name), info.where))
        for path, tree in self.modules.items():
            for node in ast.walk(tree):
                if not isinstance(node, ast.Call):
                    continue
                for kw in node.keywords:
                    value = self._string(path, kw.value) if kw.arg == "reason" else None
                    if value and _NAME.match(value):
                        use = Use(self.code_of(_name(node.func)), _where(path, node))
                        out.setdefault(value, []).append(use)
        return out

    def job_codes(self) -> dict[str, list[str]]:
        """Job error code → the places a job is ended with it."""
        out: dict[str, list[str]] = {}
        for path, tree in self.modules.items():
            for func in ast.walk(tree):
                if isinstance(func, ast.FunctionDef | ast.AsyncFunctionDef):
                    for code, node in self._ended_with(path, func):
                        out.setdefault(code, []).append(_where(path, node))
        return out

    def _ended_with(
        self, path: Path, func: ast.FunctionDef | ast.AsyncFunctionDef
    ) -> Iterator[tuple[str, ast.AST]]:
        local: dict[str, list[ast.expr]] = {}
        for node in ast.walk(func):
            pair = _assigned(node) if isinstance(node, ast.stmt) else None
            if pair:
                local.setdefault(pair[0], []).append(pair[1])
        for node in ast.walk(func):
            if not isinstance(node, ast.Call):
                continue
            callee = _name(node.func)
            arg: ast.expr | None = None
            if callee == "fail" and isinstance(node.func, ast.Attribute) and len(node.args) >= 3:
                arg = node.args[2]
            elif callee == "ErrorRecord" and node.args:
                arg = node.args[0]
            if arg is None:
                continue
            exprs = local.get(arg.id, []) if isinstance(arg, ast.Name) else [arg]
            for expr in exprs:
                for leaf in (expr.body, expr.orelse) if isinstance(expr, ast.IfExp) else (expr,):
                    value = self._string(path, leaf)
                    if value and _NAME.match(value):
                        yield value, node


@dataclass(frozen=True)
class Row:
    """One row of a reason table (cells without the backticks)."""

    reason: str
    codes: frozenset[str]
    http: str
    line: int


def _tables(text: str) -> tuple[list[Row], dict[str, int]]:
    """The rows of the ``## Reasons…`` tables and the codes of the ``## Job error codes`` table."""
    rows: list[Row] = []
    jobs: dict[str, int] = {}
    section = ""
    for n, line in enumerate(text.splitlines(), 1):
        if line.startswith("## "):
            section = line[3:].strip()
            continue
        cells = (
            [c.strip() for c in line.strip().strip("|").split("|")] if line.startswith("|") else []
        )
        first = _CELL.match(cells[0]) if cells else None
        if first is None:
            continue
        if section.startswith("Reasons"):
            codes = frozenset(c.strip("` ") for c in cells[1].split(","))
            rows.append(Row(first.group(1), codes, cells[2], n))
        elif section == "Job error codes":
            jobs[first.group(1)] = n
    return rows, jobs


def _http_status() -> dict[str, int]:
    """gRPC code name → HTTP status, from ``HTTP_STATUS`` in the REST gateway."""
    tree = ast.parse(TRANSCODE.read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        pair = _assigned(node) if isinstance(node, ast.stmt) else None
        if pair and pair[0] == "HTTP_STATUS" and isinstance(pair[1], ast.Dict):
            return {
                str(_name(k)): v.value
                for k, v in zip(pair[1].keys, pair[1].values, strict=True)
                if k is not None and isinstance(v, ast.Constant) and isinstance(v.value, int)
            }
    raise AssertionError(f"no HTTP_STATUS table in {TRANSCODE}")


@pytest.fixture(scope="module")
def codebase() -> Codebase:
    return Codebase()


@pytest.fixture(scope="module")
def doc() -> tuple[list[Row], dict[str, int]]:
    return _tables(DOC.read_text(encoding="utf-8"))


def test_the_extraction_finds_every_kind_of_definition(codebase: Codebase) -> None:
    # one of each way a reason or job code is written, so a broken extractor cannot pass
    reasons = codebase.reasons()
    assert "JOB_ALREADY_TERMINAL" in reasons  # class attribute in eigen_common.errors
    assert "INTERNAL_CREDENTIALS_MISSING" in reasons  # class attribute elsewhere
    assert "RESERVATION_NOT_FOUND" in reasons  # reason="..." argument
    assert "CIRCUIT_TOO_LARGE" in reasons  # reason=<module constant>
    assert {u.code for u in reasons["QUOTA_EXCEEDED"]} == {"RESOURCE_EXHAUSTED"}
    jobs = codebase.job_codes()
    assert {"TIMEOUT", "DEPENDENCY_FAILED", "CANCELLED"} <= set(jobs)  # fail(...), ErrorRecord
    assert {"STORAGE_FULL", "STORAGE_ERROR"} <= set(jobs)  # a local: one code per branch


def test_every_reason_has_a_row_with_its_code_and_http_status(
    codebase: Codebase, doc: tuple[list[Row], dict[str, int]]
) -> None:
    rows, _ = doc
    by_reason: dict[str, list[Row]] = {}
    for r in rows:
        by_reason.setdefault(r.reason, []).append(r)
    twice = {r: [x.line for x in rs] for r, rs in by_reason.items() if len(rs) > 1}
    assert not twice, f"reasons with more than one row in {DOC.name} (lines): {twice}"
    http = _http_status()
    problems: list[str] = []
    for reason, uses in sorted(codebase.reasons().items()):
        where = ", ".join(u.where for u in uses)
        codes = {u.code for u in uses if u.code is not None}
        if len(codes) < len({u.code for u in uses}) or not codes:
            problems.append(f"{reason}: cannot tell its gRPC code ({where})")
            continue
        if reason not in by_reason:
            problems.append(f"{reason} ({where}) has no row in {DOC.name}")
            continue
        row = by_reason[reason][0]
        if row.codes != codes:
            problems.append(f"{reason}: the doc says {sorted(row.codes)}, the code {sorted(codes)}")
        client_only = all(u.where.startswith(str(CLIENT_SOURCES.relative_to(ROOT))) for u in uses)
        want = "—" if client_only else ", ".join(sorted({str(http[c]) for c in codes}))
        if row.http != want:
            problems.append(
                f"{reason}: HTTP {row.http!r} in the doc, expected {want!r} "
                "(HTTP_STATUS of its code; — when only the CLI/SDK raise it)"
            )
    assert not problems, "\n".join(problems)


def test_no_row_names_a_reason_the_code_does_not_have(
    codebase: Codebase, doc: tuple[list[Row], dict[str, int]]
) -> None:
    rows, _ = doc
    known = codebase.reasons()
    stale = [f"{r.reason} (line {r.line})" for r in rows if r.reason not in known]
    assert not stale, f"rows of {DOC.name} for reasons no code raises: {', '.join(stale)}"


def test_every_job_error_code_has_a_row(
    codebase: Codebase, doc: tuple[list[Row], dict[str, int]]
) -> None:
    _, jobs = doc
    codes = codebase.job_codes()
    missing = [f"{c} ({', '.join(w)})" for c, w in sorted(codes.items()) if c not in jobs]
    assert not missing, f"job error codes without a row in {DOC.name}: {'; '.join(missing)}"
    stale = [f"{c} (line {n})" for c, n in jobs.items() if c not in codes]
    assert not stale, f"job error codes in {DOC.name} that no job ends with: {', '.join(stale)}"
