"""Name resolution while lowering: module globals, the current function's locals, builtins.

Python's rule applies: a name assigned anywhere in a function is local to it for the whole body
(using it before its assignment is ``unbound-name``). A name whose assignment was rejected holds
:data:`POISON`; using it abandons the statement silently (the cause is already reported).
"""

from __future__ import annotations

import ast
from collections.abc import Collection, Iterator
from contextlib import contextmanager
from typing import Any

from eigen_compiler.frontends.eigen_lang.diagnostics import Diagnostics, Silent
from eigen_compiler.frontends.eigen_lang.library import builtin
from eigen_compiler.frontends.eigen_lang.rules import FORBIDDEN_BUILTINS, LIBRARY

#: The value of a name whose assignment (or import) failed.
POISON = object()
_UNBOUND = object()


class Scope:
    """Globals, the active locals (``None`` at module level) and the local-name set.

    Args:
        diagnostics: where rejections are positioned.
    """

    def __init__(self, diagnostics: Diagnostics) -> None:
        self.diagnostics = diagnostics
        self.globals: dict[str, Any] = {}
        self.locals: dict[str, Any] | None = None
        self.local_names: Collection[str] = frozenset()
        self._checked: set[str] = set()  # names already accepted by :meth:`check_name`
        self._unresolved: set[str] = set()  # names already reported as not defined

    def check_name(self, name: str, node: ast.AST) -> None:
        """Reject a forbidden builtin or a dunder as a name (``forbidden-call``, ``dunder``)."""
        if name in self._checked:
            return
        if name in FORBIDDEN_BUILTINS:
            message = f"{name!r} is not allowed in Eigen-Lang programs"
            self.diagnostics.reject("forbidden-call", message, node)
        if name.startswith("__") and name.endswith("__"):
            self.diagnostics.reject("dunder", f"dunder name {name!r} is not allowed", node)
        self._checked.add(name)

    def lookup(self, name: str, node: ast.AST) -> Any:
        """The value of ``name`` (locals, then globals, then allowlisted builtins).

        Raises:
            Reject: ``unbound-name``, ``unknown-name``, ``missing-import`` (an eigen_lang name
                used without its import) or a :meth:`check_name` rule.
            Silent: the name is poisoned, or was already reported as not defined.
        """
        if name not in self._checked:
            self.check_name(name, node)
        locals_ = self.locals
        if locals_ is not None and (name in locals_ or name in self.local_names):
            if name not in locals_:
                message = f"{name!r} is used before it is assigned"
                self.diagnostics.reject("unbound-name", message, node)
            value = locals_[name]
        else:
            value = self.globals.get(name, _UNBOUND)
        if value is POISON:
            raise Silent
        if value is not _UNBOUND:
            return value
        found = builtin(name)
        if found is not None:
            return found
        if name in self._unresolved:
            raise Silent  # reported at its first use
        self._unresolved.add(name)
        if name in LIBRARY:
            message = f"{name!r} is an eigen_lang name that this program does not import"
            hint = f"add it to the imports: `from eigen_lang import {name}`"
            self.diagnostics.reject("missing-import", message, node, hint)
        hint = "define it before use, or import it from eigen_lang"
        self.diagnostics.reject("unknown-name", f"name {name!r} is not defined", node, hint)

    def poisoned(self, name: str) -> bool:
        """True when ``name`` holds :data:`POISON` or was already reported as not defined."""
        locals_ = self.locals
        if locals_ is not None and name in locals_:
            return locals_[name] is POISON
        return self.globals.get(name) is POISON or name in self._unresolved

    def current(self) -> dict[str, Any]:
        """The dict assignments go to (locals in a function, else globals)."""
        return self.globals if self.locals is None else self.locals

    def store(self, name: str, value: Any) -> None:
        """Bind ``name`` in the current scope."""
        self.current()[name] = value

    def poison(self, names: Collection[str]) -> None:
        """Mark ``names`` in the current scope as failed (see :data:`POISON`)."""
        scope = self.current()
        for name in names:
            scope[name] = POISON

    @contextmanager
    def frame(
        self, locals_: dict[str, Any] | None, local_names: Collection[str] = frozenset()
    ) -> Iterator[None]:
        """Run the block with other locals (``None``: module scope), then restore them."""
        saved = (self.locals, self.local_names)
        self.locals, self.local_names = locals_, local_names
        try:
            yield
        finally:
            self.locals, self.local_names = saved
