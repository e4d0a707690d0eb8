"""The compile cache: identical programs compile once (seed 000 §7, determinism invariant)."""

from __future__ import annotations

import hashlib
import json
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import replace

from eigen_kernel import metrics
from eigen_kernel.domain import CompiledProgram, Submission
from eigen_kernel.ports import CompiledRef, JobStore


def compile_key(sub: Submission, device_id: str, bound: frozenset[str] = frozenset()) -> str:
    """Cache key of a compilation: everything the compiler's output depends on.

    By the determinism invariant identical source + options + inputs (+ target, device and
    entrypoint) give byte-identical AQO, so a cached result is exactly what a recompile returns.
    Inputs named in ``bound`` are values of the AQO's symbolic parameters: the compiler leaves
    them symbolic (they are bound at execution), so they are not part of the key.
    """
    material = json.dumps(
        [
            sub.language,
            sub.source,
            sub.entrypoint,
            sub.qasm_version,
            sub.target,
            device_id,
            sorted(sub.compiler_options.items()),
            sorted((k, v) for k, v in sub.inputs.items() if k not in bound),
        ]
    )
    return hashlib.sha256(material.encode()).hexdigest()


class CompileCache:
    """Compiled programs by :func:`compile_key`, in two levels.

    A bounded LRU in memory (``size`` 0 disables it) in front of the knowledge base in the job
    store (kept across restarts and shared by kernels on one store; ``store`` None keeps the
    memory level only).

    The key leaves out the inputs that bind symbolic parameters: the cache remembers, per
    program (the key without any inputs), which parameter names its AQO has. So a Pattern A
    loop that only changes parameter values compiles once. ``load`` turns a stored reference
    back into the program (it reads the compiled blobs; None when they are gone).
    """

    def __init__(
        self,
        size: int,
        store: JobStore | None = None,
        load: Callable[[CompiledRef], CompiledProgram | None] | None = None,
    ):
        self._size = size
        self._store = store
        self._load = load
        self._items: OrderedDict[str, CompiledProgram] = OrderedDict()
        self._params: OrderedDict[str, frozenset[str]] = OrderedDict()

    def _parameters(self, base: str) -> frozenset[str]:
        known = self._params.get(base)
        if known is None and self._store is not None:
            stored = self._store.cached_parameters(base)
            if stored is not None:
                known = self._params[base] = frozenset(stored)
        return known or frozenset()

    def get(self, sub: Submission, device_id: str = "") -> CompiledProgram | None:
        """The cached program for ``sub`` on ``device_id`` (memory first, then the store)."""
        base = compile_key(replace(sub, inputs={}), device_id)
        key = compile_key(sub, device_id, self._parameters(base))
        item = self._items.get(key)
        if item is not None:
            self._items.move_to_end(key)
            return item
        if self._store is not None and self._load is not None:
            ref = self._store.cached_compile(key)
            item = None if ref is None else self._load(ref)
            metrics.KNOWLEDGE_BASE.labels("hit" if item is not None else "miss").inc()
            if item is not None:
                self._remember(key, item)
        return item

    def put(self, sub: Submission, item: CompiledProgram, device_id: str = "") -> None:
        """Insert, in memory and in the knowledge base.

        The knowledge base refers to the program's blobs by content hash
        (:meth:`eigen_kernel.artifacts.Artifacts.put_compiled` stores them).
        """
        base = compile_key(replace(sub, inputs={}), device_id)
        self._params[base] = frozenset(item.parameters)
        self._params.move_to_end(base)
        key = compile_key(sub, device_id, self._params[base])
        self._remember(key, item)
        if self._store is not None:
            plan = item.hybrid_plan_json
            ref = CompiledRef(
                item.aqo_sha256,
                hashlib.sha256(plan).hexdigest() if plan else "",
                dict(item.metrics),
                item.parameters,
            )
            self._store.cache_compile(key, base, ref)

    def _remember(self, key: str, item: CompiledProgram) -> None:
        if self._size <= 0:
            return
        self._items[key] = item
        self._items.move_to_end(key)
        while len(self._items) > self._size:
            self._items.popitem(last=False)
        while len(self._params) > self._size:
            self._params.popitem(last=False)
