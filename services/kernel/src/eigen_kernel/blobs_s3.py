"""QFS level 3 blobs in S3-compatible object storage (SPEC §14; boto3).

``EIGEN_KERNEL_QFS_URL=s3://bucket/prefix`` with the standard ``AWS_*`` variables
(``AWS_ENDPOINT_URL`` for a non-AWS server: MinIO, SeaweedFS, moto). A blob ``key`` is the
object ``<prefix>/<key>``; keys are checked like the local store's (``check_key``), so both
backends accept and refuse the same names. A PUT is atomic in S3: a reader sees the whole
object or none. Content-addressed blobs (a key naming its bytes' SHA-256, ``aqo/<sha>.json``)
never change, so reads of them are kept in a small in-process cache (``cache_bytes``): a
kernel fetches a compiled program once, not once per job (``exists`` always asks S3: another
kernel's retention may have deleted it). Storage faults (unreachable endpoint, refused
credentials, a missing bucket) are raised as ``OSError`` — what the kernel maps to
``STORAGE_ERROR`` for the local disk too.
"""

from __future__ import annotations

import errno
import re
from collections import OrderedDict
from collections.abc import Iterator
from typing import Any, cast
from urllib.parse import urlparse

import boto3
import botocore.config
import botocore.exceptions

from eigen_kernel.blobs import check_key

_ABSENT = {"404", "NoSuchKey", "NotFound"}
#: A key whose last segment names its content's SHA-256 (``aqo/<sha>.json``): never changes.
_CONTENT_ADDRESSED = re.compile(r"(^|/)[0-9a-f]{64}(\.[a-z]+)?$")


def parse_s3_url(url: str) -> tuple[str, str]:
    """``(bucket, prefix)`` of ``s3://bucket[/prefix]`` (prefix without slashes at its ends).

    Raises:
        ValueError: not an ``s3://`` URL with a bucket, or an unsafe prefix.
    """
    u = urlparse(url)
    if u.scheme != "s3" or not u.netloc or u.query or u.fragment:
        raise ValueError(f"not an s3://bucket/prefix URL: {url!r}")
    prefix = u.path.strip("/")
    if prefix:
        check_key(prefix)
    return u.netloc, prefix


def _storage_error(exc: Exception, what: str) -> OSError:
    return OSError(errno.EIO, f"S3 {what} failed: {exc}")


class S3BlobStore:
    """:class:`eigen_kernel.ports.BlobStore` in one bucket under a prefix.

    Args:
        url: ``s3://bucket/prefix``.
        client: a boto3 S3 client (default: from the environment's ``AWS_*`` variables).
        cache_bytes: most bytes of content-addressed blobs kept in memory (0 = none).

    Raises:
        ValueError: a malformed URL.
        OSError: the bucket cannot be reached (checked once, at construction).
    """

    def __init__(self, url: str, client: Any = None, cache_bytes: int = 32 * 1024 * 1024):
        self.bucket, self.prefix = parse_s3_url(url)
        self._cache: OrderedDict[str, bytes] = OrderedDict()
        self._cache_bytes = cache_bytes
        self._cached = 0
        self._s3 = client or boto3.client(
            "s3",
            config=botocore.config.Config(
                retries={"max_attempts": 3, "mode": "standard"},
                connect_timeout=5,
                read_timeout=60,
            ),
        )
        try:
            self._s3.head_bucket(Bucket=self.bucket)
        except (botocore.exceptions.BotoCoreError, botocore.exceptions.ClientError) as exc:
            raise _storage_error(exc, f"access to bucket {self.bucket!r}") from exc

    def _remember(self, key: str, data: bytes) -> None:
        if not _CONTENT_ADDRESSED.search(key) or len(data) > self._cache_bytes // 4:
            return
        if key in self._cache:
            self._cache.move_to_end(key)
            return
        self._cache[key] = data
        self._cached += len(data)
        while self._cached > self._cache_bytes:
            _, old = self._cache.popitem(last=False)
            self._cached -= len(old)

    def _forget(self, prefix: str) -> None:
        for k in [k for k in self._cache if k == prefix or k.startswith(prefix + "/")]:
            self._cached -= len(self._cache.pop(k))

    def _key(self, key: str) -> str:
        check_key(key)
        return f"{self.prefix}/{key}" if self.prefix else key

    def _head(self, key: str) -> dict[str, Any] | None:
        try:
            return cast(dict[str, Any], self._s3.head_object(Bucket=self.bucket, Key=key))
        except botocore.exceptions.ClientError as exc:
            if str(exc.response.get("Error", {}).get("Code")) in _ABSENT:
                return None
            raise _storage_error(exc, "head") from exc
        except botocore.exceptions.BotoCoreError as exc:
            raise _storage_error(exc, "head") from exc

    def _body(self, key: str) -> Any:
        try:
            return self._s3.get_object(Bucket=self.bucket, Key=self._key(key))["Body"]
        except botocore.exceptions.ClientError as exc:
            if str(exc.response.get("Error", {}).get("Code")) in _ABSENT:
                return None
            raise _storage_error(exc, "get") from exc
        except botocore.exceptions.BotoCoreError as exc:
            raise _storage_error(exc, "get") from exc

    def put(self, key: str, data: bytes) -> None:
        """Store ``data`` under ``key`` (one PUT: atomic).

        Raises:
            ValueError: an unsafe key.
            OSError: the object could not be written.
        """
        try:
            self._s3.put_object(Bucket=self.bucket, Key=self._key(key), Body=data)
        except (botocore.exceptions.BotoCoreError, botocore.exceptions.ClientError) as exc:
            raise _storage_error(exc, "put") from exc
        self._remember(key, data)

    def get(self, key: str) -> bytes | None:
        """The blob's bytes, or None when absent."""
        hit = self._cache.get(key)
        if hit is not None:
            return hit
        body = self._body(key)
        if body is None:
            return None
        with body:
            data = cast(bytes, body.read())
        self._remember(key, data)
        return data

    def exists(self, key: str) -> bool:
        """True when the blob exists."""
        return self._head(self._key(key)) is not None

    def size(self, key: str) -> int | None:
        """Size in bytes, or None when absent."""
        head = self._head(self._key(key))
        return None if head is None else int(head["ContentLength"])

    def open(self, key: str, chunk_bytes: int) -> Iterator[bytes] | None:
        """The blob in chunks of at most ``chunk_bytes`` bytes (streamed), or None when absent."""
        body = self._body(key)
        if body is None:
            return None

        def chunks() -> Iterator[bytes]:
            with body:
                yield from body.iter_chunks(chunk_bytes)

        return chunks()

    def delete_prefix(self, prefix: str) -> int:
        """Delete the blob at ``prefix`` or every blob under ``prefix/``; returns bytes freed.

        Raises:
            OSError: listing or deleting failed (what was deleted stays deleted).
        """
        full = self._key(prefix)
        self._forget(prefix)
        freed = 0
        head = self._head(full)
        try:
            if head is not None:
                self._s3.delete_object(Bucket=self.bucket, Key=full)
                freed += int(head["ContentLength"])
            pages = self._s3.get_paginator("list_objects_v2").paginate(
                Bucket=self.bucket, Prefix=full + "/"
            )
            for page in pages:
                objects = page.get("Contents", [])
                if not objects:
                    continue
                self._s3.delete_objects(
                    Bucket=self.bucket,
                    Delete={"Objects": [{"Key": o["Key"]} for o in objects], "Quiet": True},
                )
                freed += sum(int(o["Size"]) for o in objects)
        except (botocore.exceptions.BotoCoreError, botocore.exceptions.ClientError) as exc:
            raise _storage_error(exc, "delete") from exc
        return freed
