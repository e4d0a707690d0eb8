"""The driver conformance kit: a pytest plugin (entry point ``pytest11``) for driver authors.

Loading it only registers a command-line option and a marker; nothing heavy is imported until
a conformance test runs.
"""

from __future__ import annotations

import pytest


def pytest_addoption(parser: pytest.Parser) -> None:
    """Register ``--eigen-driver`` (a ``module:Class`` to check)."""
    group = parser.getgroup("eigen-driver", "Eigen OS driver conformance kit")
    group.addoption(
        "--eigen-driver",
        action="store",
        default=None,
        metavar="MODULE:CLASS",
        help="driver class checked by the conformance suite run with --pyargs",
    )


def pytest_configure(config: pytest.Config) -> None:
    """Register the ``conformance`` marker."""
    config.addinivalue_line("markers", "conformance: Eigen OS driver conformance check")
    config.addinivalue_line("markers", "slow: the full QASMBench sweep of the conformance kit")
