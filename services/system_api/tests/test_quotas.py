"""Per-tenant quotas through the real in-process stack: RESOURCE_EXHAUSTED with QuotaFailure
(+ RetryInfo where waiting helps), other tenants unaffected, nothing half-created.

The queued-jobs cap needs jobs that stay queued for as long as the test wants, which the real
stack cannot promise (a blocker job may finish under it): it is tested against a kernel at the
gRPC boundary in test_forwarding.py.
"""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import grpc
import pytest
from google.rpc import error_details_pb2
from grpc_status import rpc_status

from eigen.api.v1 import job_pb2
from eigen_system_api.quotas import QuotaGuard
from eigen_system_api.settings import SystemApiSettings, TenantQuota
from services.system_api.tests.support import USER, USER_B, Client, Edge, bell, md


def quota_failure(exc: grpc.aio.AioRpcError) -> tuple[str, float | None]:
    """(QuotaFailure subject, RetryInfo seconds or None); asserts the detail layout."""
    assert exc.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
    status = rpc_status.from_call(exc)  # type: ignore[arg-type]
    assert status is not None and status.details[0].Is(error_details_pb2.ErrorInfo.DESCRIPTOR)
    info = error_details_pb2.ErrorInfo()
    status.details[0].Unpack(info)
    assert info.reason == "QUOTA_EXCEEDED"
    subject, retry = "", None
    for d in status.details:
        if d.Is(error_details_pb2.QuotaFailure.DESCRIPTOR):
            qf = error_details_pb2.QuotaFailure()
            d.Unpack(qf)
            subject = qf.violations[0].subject
        elif d.Is(error_details_pb2.RetryInfo.DESCRIPTOR):
            ri = error_details_pb2.RetryInfo()
            d.Unpack(ri)
            retry = ri.retry_delay.ToNanoseconds() / 1e9
    return subject, retry


async def count_jobs(c: Client, token: str) -> int:
    n, tok = 0, ""
    while True:
        page = await c.jobs.ListJobs(
            job_pb2.ListJobsRequest(page_size=1000, page_token=tok), metadata=md(token)
        )
        n += len(page.jobs)
        tok = page.next_page_token
        if not tok:
            return n


async def burst(c: Client, n: int, seconds: float, token: str = USER) -> tuple[int, list, float]:
    """Fire ``n`` submissions evenly over ``seconds`` (10 waves); (accepted, errors, elapsed)."""
    t0 = time.perf_counter()
    accepted, errs = 0, []
    waves = 10
    for w in range(waves):
        target = t0 + w * seconds / waves
        await asyncio.sleep(max(0.0, target - time.perf_counter()))  # pacing the load generator
        out = await asyncio.gather(
            *[
                c.jobs.SubmitJob(bell(shots=1), metadata=md(token), timeout=60)
                for _ in range(n // waves)
            ],
            return_exceptions=True,
        )
        for o in out:
            if isinstance(o, grpc.aio.AioRpcError):
                errs.append(o)
            elif isinstance(o, BaseException):
                raise o
            else:
                accepted += 1
    return accepted, errs, time.perf_counter() - t0


async def test_submission_rate_limit_1000_submits_in_3_seconds(edge: Edge) -> None:
    c = await edge.replica(quota_submit_rate="20/second")
    accepted, errs, elapsed = await burst(c, 1000, 3.0)
    print(
        f"\n20/s limit: 1000 submits in {elapsed:.2f}s: {accepted} accepted, {len(errs)} rejected"
    )
    assert accepted + len(errs) == 1000
    assert 20 <= accepted <= 20 * (int(elapsed) + 2)  # a burst of 20, then 20 per second
    subjects = set()
    for e in errs:
        subject, retry = quota_failure(e)
        subjects.add(subject)
        assert retry is not None and 0 < retry <= 1.0
    assert subjects == {"tenant:a/submit_rate"}
    assert await count_jobs(c, USER) == accepted  # nothing half-created
    # another tenant has its own bucket
    assert (await c.jobs.SubmitJob(bell(shots=1), metadata=md(USER_B))).job_id


async def test_a_per_second_limit_on_the_same_burst(edge: Edge) -> None:
    c = await edge.replica(quota_submit_rate="100/second")
    accepted, errs, elapsed = await burst(c, 1000, 3.0)
    print(
        f"\nlimit 100/second: 1000 submits in {elapsed:.2f}s: "
        f"{accepted} accepted, {len(errs)} rejected"
    )
    assert errs and all(quota_failure(e)[0] == "tenant:a/submit_rate" for e in errs)
    assert accepted <= 100 * (int(elapsed) + 2)
    assert await count_jobs(c, USER) == accepted


async def test_shots_per_day(edge: Edge) -> None:
    c = await edge.replica(quota_shots_per_day=3000)
    for key in ("k1", "k2", "k1"):  # the repeated key is deduplicated: charged once
        await c.jobs.SubmitJob(bell(shots=1000, idempotency_key=key), metadata=md(USER))
    await c.jobs.SubmitJob(bell(shots=1000), metadata=md(USER))
    with pytest.raises(grpc.aio.AioRpcError) as exc:
        await c.jobs.SubmitJob(bell(shots=1), metadata=md(USER))
    subject, retry = quota_failure(exc.value)
    assert subject == "tenant:a/shots_per_day" and retry is not None and retry > 3600
    with pytest.raises(grpc.aio.AioRpcError) as exc:  # more than a day's worth: waiting won't help
        await c.jobs.SubmitJob(bell(shots=5000), metadata=md(USER_B))
    assert quota_failure(exc.value) == ("tenant:b/shots_per_day", None)
    assert await count_jobs(c, USER) == 3
    await c.jobs.SubmitJob(bell(shots=3000), metadata=md(USER_B))


async def test_sweep_rows_count_as_shots(edge: Edge) -> None:
    c = await edge.replica(quota_shots_per_day=1000)
    r = bell(shots=400)
    r.sweep.parameters.append("theta")
    for x in (0.1, 0.2, 0.3):
        r.sweep.bindings.add().values.append(x)
    with pytest.raises(grpc.aio.AioRpcError) as exc:
        await c.jobs.SubmitJob(r, metadata=md(USER))  # 3 rows × 400 shots > 1000
    assert quota_failure(exc.value)[0] == "tenant:a/shots_per_day"


async def test_queue_count_is_cached_and_recounted_at_the_cap(tmp_path: Path) -> None:
    now = [0.0]
    guard = QuotaGuard(
        SystemApiSettings(
            api_keys_file=tmp_path / "k.json",
            quota_max_queued_jobs=3,
            quota_queue_recount_seconds=5,
            quota_overrides={"vip": TenantQuota(max_queued_jobs=0, submit_rate="")},
        ),
        clock=lambda: now[0],
    )
    kernel_count = [1]
    asked: list[int] = []

    async def count(cap: int) -> int:
        asked.append(cap)
        return kernel_count[0]

    await guard.admit("t", 1, count)  # first use: counted (1)
    await guard.charge("t", 1)  # 2
    await guard.admit("t", 1, count)
    await guard.charge("t", 1)  # 3
    assert asked == [3]
    with pytest.raises(Exception, match="queued jobs"):
        await guard.admit("t", 1, count)  # at the cap by its own count, counted <1 s ago
    assert asked == [3]
    now[0] += 1.5
    kernel_count[0] = 3  # meanwhile another replica queued one as well
    with pytest.raises(Exception, match="queued jobs"):
        await guard.admit("t", 1, count)  # at the cap: recounted, still full
    with pytest.raises(Exception, match="queued jobs"):
        await guard.admit("t", 1, count)  # ...and not asked again within the second
    assert asked == [3, 3]
    kernel_count[0] = 0
    now[0] += 1.5
    await guard.admit("t", 1, count)  # jobs left the queue: admitted after a recount
    assert asked == [3, 3, 3]
    now[0] += 6  # a recount period, but far below the cap (0 of 3): no need to ask
    await guard.admit("t", 1, count)
    assert asked == [3, 3, 3]
    now[0] += 60  # ...until a minute has passed
    await guard.admit("t", 1, count)
    for _ in range(50):
        await guard.admit("vip", 10**9, count)  # override: no limits at all
    assert asked == [3, 3, 3, 3]


def test_bad_rate_notation_fails_at_start(tmp_path: Path) -> None:
    with pytest.raises(ValueError):
        QuotaGuard(SystemApiSettings(api_keys_file=tmp_path / "k", quota_submit_rate="lots"))
