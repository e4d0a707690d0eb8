"""Command-line ``KEY=VALUE`` parameters shared by ``eigen compile`` and ``eigen submit``."""

from __future__ import annotations

import math

from eigen_common.errors import FieldViolation
from eigen_os.jobspec import JobSpecError


def parse_pairs(values: tuple[str, ...], what: str) -> dict[str, str]:
    """``("a=1", "b = x")`` → ``{"a": "1", "b": "x"}`` (keys and values stripped).

    Raises:
        JobSpecError: an item without ``=`` or with an empty key (all of them, named
            ``--<what>``).
    """
    out: dict[str, str] = {}
    bad: list[FieldViolation] = []
    for v in values:
        key, sep, val = v.partition("=")
        if not sep or not key.strip():
            bad.append(FieldViolation(f"--{what}", f"{v!r} is not KEY=VALUE"))
        else:
            out[key.strip()] = val.strip()
    if bad:
        raise JobSpecError(bad, "command line")
    return out


def parse_inputs(values: tuple[str, ...]) -> dict[str, float]:
    """``--input NAME=NUMBER`` items → parameter bindings (radians for angles).

    Raises:
        JobSpecError: an item that is not ``NAME=NUMBER`` or a value that is not finite.
    """
    out: dict[str, float] = {}
    bad: list[FieldViolation] = []
    for k, v in parse_pairs(values, "input").items():
        try:
            x = float(v)
        except ValueError:
            x = math.nan
        if not math.isfinite(x):
            bad.append(FieldViolation(f"--input {k}", f"{v!r} is not a finite number"))
        out[k] = x
    if bad:
        raise JobSpecError(bad, "command line")
    return out
