"""Probe: N submissions in S seconds against the four services as real processes.

Reruns issue 11's probe ("1,000 submits in 3 s all accepted") against the per-tenant
submission rate limit::

    python3 -m uv run --frozen python services/system_api/scripts/submit_burst.py
    python3 -m uv run --frozen python services/system_api/scripts/submit_burst.py --rate 20/second

Prints accepted/rejected counts, the QuotaFailure subjects seen, the RetryInfo range and the
number of jobs the kernel holds (must equal the accepted count: nothing half-created). The load
is paced in waves over ``--seconds``; each wave's calls run concurrently.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import secrets
import sys
import tempfile
import time
from pathlib import Path

import grpc
from google.rpc import error_details_pb2
from grpc_status import rpc_status

sys.path.insert(0, str(Path(__file__).resolve().parents[3]))

from eigen.api.v1 import common_pb2, job_pb2, job_pb2_grpc
from tests.conftest import ProcessStack

BELL = 'OPENQASM 2.0;\ninclude "qelib1.inc";\nqreg q[2];\ncreg c[2];\nh q[0];\ncx q[0],q[1];\n'
BELL += "measure q -> c;\n"


async def burst(endpoint: str, token: str, n: int, seconds: float, waves: int) -> None:
    """Submit ``n`` jobs in ``waves`` over ``seconds``; print what was accepted and why not."""
    md = [("authorization", f"Bearer {token}")]
    req = job_pb2.SubmitJobRequest(
        name="burst", target="sim:local", qasm=common_pb2.QasmSource(source=BELL), shots=1
    )
    async with grpc.aio.insecure_channel(endpoint) as ch:
        jobs = job_pb2_grpc.JobServiceStub(ch)
        accepted, rejected, other = 0, 0, 0
        subjects: set[str] = set()
        retries: list[float] = []
        t0 = time.perf_counter()
        for w in range(waves):
            await asyncio.sleep(max(0.0, t0 + w * seconds / waves - time.perf_counter()))
            size = n // waves + (1 if w < n % waves else 0)
            out = await asyncio.gather(
                *[jobs.SubmitJob(req, metadata=md, timeout=60) for _ in range(size)],
                return_exceptions=True,
            )
            for o in out:
                if not isinstance(o, grpc.aio.AioRpcError):
                    accepted += 1
                    continue
                if o.code() != grpc.StatusCode.RESOURCE_EXHAUSTED:
                    other += 1
                    continue
                rejected += 1
                st = rpc_status.from_call(o)  # type: ignore[arg-type]
                for d in st.details if st else ():
                    if d.Is(error_details_pb2.QuotaFailure.DESCRIPTOR):
                        qf = error_details_pb2.QuotaFailure()
                        d.Unpack(qf)
                        subjects.add(qf.violations[0].subject)
                    elif d.Is(error_details_pb2.RetryInfo.DESCRIPTOR):
                        ri = error_details_pb2.RetryInfo()
                        d.Unpack(ri)
                        retries.append(ri.retry_delay.ToNanoseconds() / 1e9)
        elapsed = time.perf_counter() - t0
        held, tok = 0, ""
        while True:
            page = await jobs.ListJobs(
                job_pb2.ListJobsRequest(page_size=1000, page_token=tok), metadata=md
            )
            held += len(page.jobs)
            tok = page.next_page_token
            if not tok:
                break
    print(f"{n} submits in {elapsed:.2f} s: {accepted} accepted, {rejected} rejected, {other} else")
    print(f"QuotaFailure subjects: {sorted(subjects)}")
    if retries:
        print(f"RetryInfo: {min(retries):.3f}..{max(retries):.3f} s")
    print(f"jobs held by the kernel: {held} (accepted: {accepted})")


def main() -> None:
    """Start the four services as processes (port 0), run the burst, stop them."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--rate", default="", help="quota_submit_rate (default: the service default)")
    ap.add_argument("-n", type=int, default=1000)
    ap.add_argument("--seconds", type=float, default=3.0)
    ap.add_argument("--waves", type=int, default=30)
    args = ap.parse_args()
    if args.rate:
        os.environ["EIGEN_SYSTEM_API_QUOTA_SUBMIT_RATE"] = args.rate
    with tempfile.TemporaryDirectory() as home:
        stack = ProcessStack(Path(home), secrets.token_urlsafe(24))
        try:
            stack.start()
            asyncio.run(burst(stack.endpoint, stack.token, args.n, args.seconds, args.waves))
        finally:
            stack.stop()


if __name__ == "__main__":
    main()
