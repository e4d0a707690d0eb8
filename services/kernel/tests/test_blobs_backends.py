"""The blob store's contract (QFS level 3), run against each backend: local directory and S3.

S3 is moto's server on a loopback port (a real HTTP S3 endpoint; boto3 talks to it as to AWS).
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from eigen_kernel.artifacts import Artifacts
from eigen_kernel.blobs import LocalBlobStore
from eigen_kernel.blobs_s3 import S3BlobStore, parse_s3_url
from eigen_kernel.domain import CompiledProgram
from eigen_kernel.ports import BlobStore
from eigen_kernel.store import SqliteJobStore
from tests.backends import s3


@pytest.fixture(params=["local", "s3"])
def blobs(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[BlobStore]:
    if request.param == "local":
        yield LocalBlobStore(tmp_path / "qfs")
    else:
        server = s3()
        yield S3BlobStore(f"s3://{server.new_bucket()}/qfs", server.client())


def test_put_get_replace_and_absent(blobs: BlobStore) -> None:
    assert blobs.get("aqo/x.json") is None and not blobs.exists("aqo/x.json")
    assert blobs.size("aqo/x.json") is None and blobs.open("aqo/x.json", 4) is None
    blobs.put("aqo/x.json", b"first")
    blobs.put("aqo/x.json", b"second!")
    assert blobs.get("aqo/x.json") == b"second!"
    assert blobs.exists("aqo/x.json") and blobs.size("aqo/x.json") == 7


def test_empty_and_binary_blobs_round_trip(blobs: BlobStore) -> None:
    data = bytes(range(256)) * 1000
    blobs.put("jobs/j1/state.npy", data)
    blobs.put("jobs/j1/empty.bin", b"")
    assert blobs.get("jobs/j1/state.npy") == data
    assert blobs.get("jobs/j1/empty.bin") == b"" and blobs.size("jobs/j1/empty.bin") == 0


def test_open_streams_in_bounded_chunks(blobs: BlobStore) -> None:
    data = b"0123456789" * 1000
    blobs.put("jobs/j1/history.json", data)
    chunks = list(blobs.open("jobs/j1/history.json", 4096) or [])
    assert b"".join(chunks) == data
    assert all(0 < len(c) <= 4096 for c in chunks) and len(chunks) >= 3


@pytest.mark.parametrize(
    "key",
    ["", "/abs", "a//b", "../x", "jobs/../x", "a/..", "a b", "jobs/j1/", ".hidden", "x" * 200],
)
def test_unsafe_keys_are_refused_and_write_nothing(blobs: BlobStore, key: str) -> None:
    with pytest.raises(ValueError):
        blobs.put(key, b"x")
    with pytest.raises(ValueError):
        blobs.get(key)
    with pytest.raises(ValueError):
        blobs.delete_prefix(key)


def test_delete_prefix_removes_a_job_and_reports_bytes(blobs: BlobStore) -> None:
    blobs.put("jobs/j1/history.json", b"12345")
    blobs.put("jobs/j1/state.npy", b"123")
    blobs.put("jobs/j10/history.json", b"keep")  # a sibling whose name starts alike
    blobs.put("aqo/a.json", b"ab")
    assert blobs.delete_prefix("jobs/j1") == 8
    assert not blobs.exists("jobs/j1/history.json") and not blobs.exists("jobs/j1/state.npy")
    assert blobs.get("jobs/j10/history.json") == b"keep"
    assert blobs.delete_prefix("aqo/a.json") == 2 and not blobs.exists("aqo/a.json")
    assert blobs.delete_prefix("jobs/none") == 0


def test_a_reader_never_sees_half_a_blob(blobs: BlobStore) -> None:
    small, large = b"a" * 10, b"b" * 2_000_000
    blobs.put("k/blob", small)
    seen: set[int] = set()
    stop = threading.Event()

    def read() -> None:
        while not stop.is_set():
            got = blobs.get("k/blob")
            assert got is not None
            seen.add(len(got))

    reader = threading.Thread(target=read)
    reader.start()
    try:
        for _ in range(5):
            blobs.put("k/blob", large)
            blobs.put("k/blob", small)
    finally:
        stop.set()
        reader.join(30)
    assert seen <= {len(small), len(large)} and seen


def test_artifacts_store_compiled_programs_once_per_hash(blobs: BlobStore, tmp_path: Path) -> None:
    """The typed artifact store over either backend (what the kernel actually uses)."""
    store = SqliteJobStore(tmp_path / "jobs.db")
    arts = Artifacts(store, blobs)
    aqo = b'{"qubits": 1}'
    program = CompiledProgram(aqo, hashlib.sha256(aqo).hexdigest(), {}, b'{"plan": 1}')
    first = arts.put_compiled(program)
    assert arts.put_compiled(program) == first
    assert blobs.get(f"aqo/{first.aqo_sha256}.json") == aqo
    assert blobs.get(f"plans/{first.plan_sha256}.json") == b'{"plan": 1}'
    assert arts.put_history("j1", {"values": [1.0]}) == "qfs://jobs/j1/history.json"
    assert arts.delete("j1", first) > 0  # no job references the program any more
    assert not blobs.exists(f"aqo/{first.aqo_sha256}.json")
    assert not blobs.exists("jobs/j1/history.json")
    store.close()


def test_s3_url_parsing() -> None:
    assert parse_s3_url("s3://bucket/a/b/") == ("bucket", "a/b")
    assert parse_s3_url("s3://bucket") == ("bucket", "")
    for bad in ("http://b/p", "s3:///p", "s3://b/../x", "s3://b/p?x=1"):
        with pytest.raises(ValueError):
            parse_s3_url(bad)


def test_an_unreachable_bucket_is_a_storage_error_at_start() -> None:
    server = s3()
    with pytest.raises(OSError, match="bucket"):
        S3BlobStore("s3://no-such-bucket-eigen/p", server.client())


def test_without_a_prefix_keys_are_the_object_names() -> None:
    server = s3()
    bucket = server.new_bucket()
    S3BlobStore(f"s3://{bucket}", server.client()).put("aqo/z.json", b"z")
    got = server.client().get_object(Bucket=bucket, Key="aqo/z.json")["Body"].read()
    assert got == b"z"


def test_content_addressed_blobs_are_read_from_s3_once() -> None:
    server = s3()
    calls: list[str] = []
    client = server.client()
    client.meta.events.register("before-call.s3", lambda model, **kw: calls.append(model.name))
    blobs = S3BlobStore(f"s3://{server.new_bucket()}/qfs", client)
    sha = "ab" * 32
    blobs.put(f"aqo/{sha}.json", b"program")
    blobs.put("jobs/j1/history.json", b"h1")
    calls.clear()
    for _ in range(3):
        assert blobs.get(f"aqo/{sha}.json") == b"program"  # from the cache
        assert blobs.get("jobs/j1/history.json") == b"h1"  # may change: always asked
    assert calls == ["GetObject"] * 3
    assert blobs.exists(f"aqo/{sha}.json") and calls[-1] == "HeadObject"  # never cached
    blobs.delete_prefix(f"aqo/{sha}.json")
    assert blobs.get(f"aqo/{sha}.json") is None
