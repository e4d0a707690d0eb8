"""QFS level 3 blobs on the local filesystem (the embedded default; SPEC §7, §14).

Every write is atomic (temp file + ``os.replace``), so a reader sees a whole blob or none.
Keys are ``/``-separated segments of ``[A-Za-z0-9._-]`` (no ``..``): no path can escape the root.
"""

from __future__ import annotations

import itertools
import os
import re
import shutil
from collections.abc import Iterator
from pathlib import Path

_SEGMENT = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9._-]{0,127}$")


def check_key(key: str) -> list[str]:
    """The key's segments.

    Raises:
        ValueError: an empty, absolute, traversing or otherwise unsafe key.
    """
    parts = key.split("/")
    if not parts or not all(_SEGMENT.fullmatch(p) and ".." not in p for p in parts):
        raise ValueError(f"invalid blob key {key!r}")
    return parts


class LocalBlobStore:
    """:class:`eigen_kernel.ports.BlobStore` rooted at a directory (created if missing)."""

    def __init__(self, root: Path):
        self.root = root
        root.mkdir(parents=True, exist_ok=True)
        self._seq = itertools.count()

    def _path(self, key: str) -> Path:
        return self.root.joinpath(*check_key(key))

    def put(self, key: str, data: bytes) -> None:
        """Store ``data`` under ``key`` atomically.

        Raises:
            OSError: the disk is full or read-only (callers map it to an error status).
        """
        path = self._path(key)
        tmp = path.with_name(f".{path.name}.{os.getpid()}.{next(self._seq)}.tmp")
        try:
            f = open(tmp, "xb")  # noqa: SIM115 (closed below; retried after mkdir)
        except FileNotFoundError:
            path.parent.mkdir(parents=True, exist_ok=True)
            f = open(tmp, "xb")  # noqa: SIM115
        try:
            with f:
                f.write(data)
            os.replace(tmp, path)
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise

    def get(self, key: str) -> bytes | None:
        """The blob's bytes, or None when absent."""
        try:
            return self._path(key).read_bytes()
        except FileNotFoundError:
            return None

    def exists(self, key: str) -> bool:
        """True when the blob exists."""
        return self._path(key).is_file()

    def size(self, key: str) -> int | None:
        """Size in bytes, or None when absent."""
        try:
            return self._path(key).stat().st_size
        except FileNotFoundError:
            return None

    def open(self, key: str, chunk_bytes: int) -> Iterator[bytes] | None:
        """The blob in chunks of at most ``chunk_bytes`` bytes, or None when absent."""
        path = self._path(key)
        try:
            f = open(path, "rb")  # noqa: SIM115 (closed by the generator)
        except FileNotFoundError:
            return None

        def chunks() -> Iterator[bytes]:
            with f:
                while block := f.read(chunk_bytes):
                    yield block

        return chunks()

    def delete_prefix(self, prefix: str) -> int:
        """Delete the blob or directory at ``prefix``; returns bytes freed."""
        path = self._path(prefix)
        if path.is_file():
            n = path.stat().st_size
            path.unlink(missing_ok=True)
            return n
        if not path.is_dir():
            return 0
        freed = sum(p.stat().st_size for p in path.rglob("*") if p.is_file())
        shutil.rmtree(path, ignore_errors=True)
        return freed
