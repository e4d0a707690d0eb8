"""The dependency graph between packages (docs/architecture.md § "Packages"), enforced.

Every import statement of every hand-written module is read with ``ast`` (nothing is imported)
and checked against the allowed edges; a forbidden import fails with the file and line.
"""

from __future__ import annotations

import ast
import importlib.metadata as md
import re
from pathlib import Path

import pytest

from tests.conftest import ROOT

#: First-party top-level packages and where their sources live.
PACKAGES: dict[str, Path] = {
    "eigen_ir": ROOT / "libs/eigen_ir/src/eigen_ir",
    "eigen_common": ROOT / "libs/eigen_common/src/eigen_common",
    "eigen_lang": ROOT / "libs/eigen_lang/src/eigen_lang",
    "eigen_compiler": ROOT / "services/compiler/src/eigen_compiler",
    "eigen_driver_manager": ROOT / "services/driver_manager/src/eigen_driver_manager",
    "eigen_kernel": ROOT / "services/kernel/src/eigen_kernel",
    "eigen_system_api": ROOT / "services/system_api/src/eigen_system_api",
    "eigen_os": ROOT / "cli/src/eigen_os",
}
FIRST_PARTY = {*PACKAGES, "eigen", "Eigen_lang"}
SERVICES = {"eigen_compiler", "eigen_driver_manager", "eigen_kernel", "eigen_system_api"}

#: package → first-party packages it may import (``eigen`` is the generated protobuf code).
ALLOWED: dict[str, set[str]] = {
    "eigen_ir": set(),
    "eigen_common": {"eigen"},
    "eigen_lang": {"eigen_ir"},
    "eigen_compiler": {"eigen", "eigen_common", "eigen_ir"},
    "eigen_driver_manager": {"eigen", "eigen_common", "eigen_ir"},
    "eigen_kernel": {"eigen", "eigen_common", "eigen_ir"},
    "eigen_system_api": {"eigen", "eigen_common"},
    "eigen_os": {"eigen", "eigen_common", "eigen_ir"},
}

#: Third-party modules a package must never import (transport or server code in a model layer).
FORBIDDEN_THIRD_PARTY: dict[str, set[str]] = {
    "eigen_ir": {
        "grpc",
        "grpc_status",
        "google",
        "prometheus_client",
        "opentelemetry",
        "structlog",
    },
    "eigen_lang": {"grpc", "grpc_status", "google", "prometheus_client", "opentelemetry"},
}

#: Modules that must stay free of transports and generated code (pure domain layers).
PURE_MODULES: dict[Path, set[str]] = {
    ROOT / "libs/eigen_common/src/eigen_common/errors.py": {"grpc", "google", "eigen"},
    ROOT / "libs/eigen_common/src/eigen_common/devices.py": {"grpc", "google", "eigen"},
    ROOT / "services/driver_manager/src/eigen_driver_manager/base.py": {"grpc", "google", "eigen"},
}


def _imports(path: Path) -> list[tuple[str, int]]:
    """Top-level module names imported by ``path`` with their line numbers (absolute only)."""
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    out: list[tuple[str, int]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out.extend((a.name.split(".")[0], node.lineno) for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            out.append((node.module.split(".")[0], node.lineno))
    return out


def _modules(pkg: str) -> list[Path]:
    return sorted(PACKAGES[pkg].rglob("*.py"))


@pytest.mark.parametrize("pkg", sorted(PACKAGES))
def test_first_party_imports_follow_the_graph(pkg: str) -> None:
    bad = []
    for path in _modules(pkg):
        for mod, line in _imports(path):
            if mod in FIRST_PARTY and mod != pkg and mod not in ALLOWED[pkg]:
                bad.append(f"{path.relative_to(ROOT)}:{line} imports {mod}")
            if mod in FORBIDDEN_THIRD_PARTY.get(pkg, set()):
                bad.append(f"{path.relative_to(ROOT)}:{line} imports {mod}")
    assert not bad, "forbidden imports:\n" + "\n".join(bad)


def test_no_service_imports_another_service() -> None:
    for pkg in SERVICES:
        assert not (ALLOWED[pkg] & SERVICES), pkg


@pytest.mark.parametrize("path", sorted(PURE_MODULES), ids=lambda p: p.name)
def test_pure_modules_import_no_transport(path: Path) -> None:
    bad = [f"line {line}: {mod}" for mod, line in _imports(path) if mod in PURE_MODULES[path]]
    assert not bad, f"{path.relative_to(ROOT)} imports " + ", ".join(bad)


def test_the_checker_sees_a_forbidden_import(tmp_path: Path) -> None:
    probe = tmp_path / "probe.py"
    probe.write_text("import grpc\nfrom eigen_common.errors import EigenError\n")
    assert [m for m, _ in _imports(probe)] == ["grpc", "eigen_common"]


def _closure(dist: str) -> set[str]:
    """Names of the distributions ``dist`` needs when installed (extras not requested)."""
    seen: set[str] = set()
    todo = [dist]
    while todo:
        name = re.sub(r"[-_.]+", "-", todo.pop()).lower()
        if name in seen:
            continue
        seen.add(name)
        for req in md.requires(name) or []:
            spec, _, marker = req.partition(";")
            if "extra ==" in marker or "extra==" in marker:
                continue
            if marker.strip() and not _marker_holds(marker):
                continue
            todo.append(re.split(r"[\s<>=!~\[(]", spec.strip(), maxsplit=1)[0])
    return seen


def _marker_holds(marker: str) -> bool:
    from packaging.markers import Marker

    return Marker(marker.strip()).evaluate()


def test_the_user_package_pulls_in_no_grpc() -> None:
    closure = _closure("eigen-lang")
    assert "eigen-ir" in closure and "qiskit" in closure  # the walk sees real dependencies
    server_side = {"grpcio", "grpcio-status", "eigen-common", "eigen-proto", "prometheus-client"}
    assert not closure & server_side, sorted(closure & server_side)


def test_the_compiler_does_not_depend_on_the_user_package() -> None:
    closure = _closure("eigen-compiler")
    assert "eigen-ir" in closure
    assert (
        "eigen-lang" not in closure and "matplotlib" not in closure and "qiskit-aer" not in closure
    )
