"""What a service pulls in at start-up (issue 9: idle RSS ≤ 150 MiB per service).

The kernel and the system-api never build a circuit: importing their composition root must not
import Qiskit (≈ 50 MiB of RSS and a second of start-up). Checked in a fresh interpreter.
"""

from __future__ import annotations

import subprocess
import sys

import pytest

CHECK = (
    "import importlib, sys; importlib.import_module(sys.argv[1]); print('qiskit' in sys.modules)"
)


@pytest.mark.parametrize("module", ["eigen_kernel.app", "eigen_system_api.app"])
def test_service_start_up_does_not_import_qiskit(module: str) -> None:
    out = subprocess.run(
        [sys.executable, "-c", CHECK, module], capture_output=True, text=True, timeout=120
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "False", f"{module} imports qiskit at start-up"
