"""Prometheus metrics of the compiler (created by the composition root, not at import time)."""

from __future__ import annotations

from collections.abc import Iterable

from prometheus_client import REGISTRY, CollectorRegistry, Counter, Histogram

_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120)


class CompilerMetrics:
    """Compile time, failures by rule and sandbox worker replacements.

    ``eigen_compiler_compile_seconds{language}``, ``eigen_compiler_failures_total{rule}`` and
    ``eigen_compiler_worker_replacements_total{cause}``.

    Args:
        registry: where to register (tests pass a fresh ``CollectorRegistry``).
    """

    def __init__(self, registry: CollectorRegistry = REGISTRY) -> None:
        self.compile_seconds = Histogram(
            "eigen_compiler_compile_seconds",
            "Time to compile one program (compiled or rejected), in seconds, by source family "
            "(eigen-lang, qasm, aqo)",
            ["language"],
            buckets=_BUCKETS,
            registry=registry,
        )
        self.failures = Counter(
            "eigen_compiler_failures",
            "Compilations rejected, by diagnostic rule (one count per rule per compilation)",
            ["rule"],
            registry=registry,
        )
        self.replacements = Counter(
            "eigen_compiler_worker_replacements",
            "Sandbox worker processes replaced, by cause (time-limit, memory-limit, "
            "compiler-crashed, retired, start-failed)",
            ["cause"],
            registry=registry,
        )

    @classmethod
    def shared(cls, registry: CollectorRegistry = REGISTRY) -> CompilerMetrics:
        """The one instance registered in ``registry`` (created on first use).

        Building the service twice in one process (tests) must not register the metrics twice.
        """
        found = _SHARED.get(registry)
        if found is None:
            found = _SHARED[registry] = cls(registry)
        return found

    def observe(self, language: str, seconds: float) -> None:
        """Record one compilation of ``language`` that took ``seconds``, compiled or rejected.

        The label is :func:`source_family` of ``language``, so a program is counted under the
        same label whether it compiled or failed (a QASM version is known only once parsed).
        """
        self.compile_seconds.labels(source_family(language)).observe(seconds)

    def failed(self, rules: Iterable[str]) -> None:
        """Count one failed compilation under each distinct rule."""
        for rule in sorted(set(rules)):
            self.failures.labels(rule).inc()

    def worker_replaced(self, cause: str) -> None:
        """Count one sandbox worker replaced because of ``cause``."""
        self.replacements.labels(cause).inc()


_SHARED: dict[CollectorRegistry, CompilerMetrics] = {}


def source_family(language: str) -> str:
    """The ``language`` label of a compilation: ``qasm2``/``qasm3``/``qasm`` are ``qasm``."""
    return "qasm" if language.startswith("qasm") else language
