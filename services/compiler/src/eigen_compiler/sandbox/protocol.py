"""Messages between the compiler service and its sandboxed workers (pickled over a pipe).

Errors travel as serialised ``google.rpc.Status`` bytes — the same mapping the service puts on
the wire — so every typed error (with its diagnostics and ErrorInfo) comes back exactly.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from eigen_compiler.model import CompiledArtifact, Limits, ValidationReport

Kind = Literal["compile", "validate", "optimize"]


@dataclass(frozen=True)
class WorkerConfig:
    """How a worker builds its compiler and bounds itself.

    ``memory_mib`` is the memory one compilation may use on top of the warm worker's own
    address space (enforced with ``RLIMIT_AS``); ``cpu_seconds`` the CPU time of one
    compilation (``RLIMIT_CPU``, raised before each job).
    """

    limits: Limits
    seed_transpiler: int
    default_level: int
    memory_mib: int
    cpu_seconds: float
    service: str = "compiler"
    log_level: str = "INFO"
    log_json: bool = True


@dataclass(frozen=True)
class Ready:
    """Sent once by a worker when it can take jobs; sizes in bytes."""

    pid: int
    baseline_bytes: int
    address_space_limit: int


@dataclass(frozen=True)
class Job:
    """One call: ``kind`` and the positional arguments of the matching ``Compiler`` method."""

    kind: Kind
    args: tuple[Any, ...]


@dataclass
class Reply:
    """The outcome of a :class:`Job`.

    Exactly one of ``value`` (a :class:`CompiledArtifact` or :class:`ValidationReport`) and
    ``status`` (``google.rpc.Status`` bytes) is set. ``events`` are the compiler's metric calls
    to replay (``("observe", language, seconds)``, ``("failed", rules)``); ``retire`` asks the
    pool to replace the worker after this reply.
    """

    value: CompiledArtifact | ValidationReport | None = None
    status: bytes | None = None
    events: list[tuple[Any, ...]] = field(default_factory=list)
    retire: bool = False
