"""The compile cache: identical programs compile once (seed 000 §7, determinism invariant)."""

from __future__ import annotations

import hashlib
import json
from collections import OrderedDict
from dataclasses import replace

from eigen_kernel.domain import CompiledProgram, Submission


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
    """Bounded LRU of compiled programs (``size`` 0 disables it).

    Keyed by :func:`compile_key` without the inputs that bind symbolic parameters: the cache
    remembers, per program (the key without any inputs), which parameter names its AQO has.
    So a Pattern A loop that only changes parameter values compiles once.
    """

    def __init__(self, size: int):
        self._size = size
        self._items: OrderedDict[str, CompiledProgram] = OrderedDict()
        self._params: OrderedDict[str, frozenset[str]] = OrderedDict()

    def _key(self, sub: Submission, device_id: str) -> str:
        base = compile_key(replace(sub, inputs={}), device_id)
        return compile_key(sub, device_id, self._params.get(base, frozenset()))

    def get(self, sub: Submission, device_id: str = "") -> CompiledProgram | None:
        """The cached program for ``sub`` on ``device_id``, refreshed as most recently used."""
        key = self._key(sub, device_id)
        item = self._items.get(key)
        if item is not None:
            self._items.move_to_end(key)
        return item

    def put(self, sub: Submission, item: CompiledProgram, device_id: str = "") -> None:
        """Insert, evicting the least recently used beyond ``size``."""
        if self._size <= 0:
            return
        base = compile_key(replace(sub, inputs={}), device_id)
        self._params[base] = frozenset(item.parameters)
        self._params.move_to_end(base)
        key = compile_key(sub, device_id, self._params[base])
        self._items[key] = item
        self._items.move_to_end(key)
        while len(self._items) > self._size:
            self._items.popitem(last=False)
        while len(self._params) > self._size:
            self._params.popitem(last=False)
