"""`eigen up` with the real four services (SPEC §11): the kernel, compiler and driver-manager
answer only the stack itself; a job still runs end to end through the public API. Once in
plaintext (the per-stack secret) and once with `--tls` (mTLS plus the secret)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import grpc
import pytest
from google.rpc import error_details_pb2
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_status import rpc_status

from cli.tests.stackkit import free_ports
from eigen.api.v1 import common_pb2, job_pb2, job_pb2_grpc
from eigen.compiler.v1 import compiler_pb2, compiler_pb2_grpc
from eigen.driver.v1 import driver_pb2, driver_pb2_grpc
from eigen.kernel.v1 import kernel_pb2, kernel_pb2_grpc
from eigen_common.context import AuthContext
from eigen_common.security import INTERNAL_TOKEN_KEY
from eigen_os import paths, stack

BELL = (
    'OPENQASM 2.0;\ninclude "qelib1.inc";\n'
    "qreg q[2];\ncreg c[2];\nh q[0];\ncx q[0],q[1];\nmeasure q -> c;\n"
)
#: A caller forging the system-api's auth headers for another tenant, as admin.
FORGED = AuthContext("mallory", ("admin",), "local").to_metadata()


@dataclass
class RealStack:
    home: Path
    state: stack.StackState
    tls: bool

    def port(self, name: str) -> int:
        return next(s.port for s in self.state.services if s.name == name)

    @property
    def secret(self) -> str:
        return (self.home / paths.INTERNAL_TOKEN_FILE).read_text().strip()

    @property
    def admin_token(self) -> str:
        return (self.home / paths.TOKEN_FILE).read_text().strip()

    def channel(self, name: str, *, client_cert: bool = True) -> grpc.Channel:
        target = f"127.0.0.1:{self.port(name)}"
        if not self.tls:
            return grpc.insecure_channel(target)
        tls = self.home / paths.TLS_DIR
        ca = (tls / paths.TLS_CA_FILE).read_bytes()
        if client_cert and name != "system-api":
            key = (tls / paths.TLS_KEY_FILE).read_bytes()
            chain = (tls / paths.TLS_CERT_FILE).read_bytes()
            return grpc.secure_channel(target, grpc.ssl_channel_credentials(ca, key, chain))
        return grpc.secure_channel(target, grpc.ssl_channel_credentials(ca))


@pytest.fixture(scope="module", params=["plaintext", pytest.param("tls", marks=pytest.mark.slow)])
def real_stack(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[RealStack]:
    home = tmp_path_factory.mktemp("eigen-home")
    ports = free_ports(4)
    cfg = stack.StackConfig.build(
        home,
        ports=dict(zip(["system-api", "kernel", "compiler", "driver-manager"], ports, strict=True)),
        metrics_port_base=0,
        start_timeout=120,
        tls=request.param == "tls",
    )
    result = stack.up(cfg)
    try:
        yield RealStack(home, result.state, cfg.tls)
    finally:
        stack.down(home)


def _reject(call: object, request: object, metadata: list[tuple[str, str]]) -> grpc.RpcError:
    with pytest.raises(grpc.RpcError) as exc:
        call(request, metadata=metadata, timeout=30)  # type: ignore[operator]
    return exc.value


def _reason(err: grpc.RpcError) -> str:
    status = rpc_status.from_call(err)  # type: ignore[arg-type]
    assert status is not None, err
    info = error_details_pb2.ErrorInfo()
    assert status.details[0].Unpack(info)
    return info.reason


def _internal_calls(s: RealStack) -> dict[str, tuple[object, object, list[tuple[str, str]]]]:
    """One cheap call per internal service: (method, request, the metadata it needs)."""
    compiler = compiler_pb2_grpc.CompilationServiceStub(s.channel("compiler"))
    dm = driver_pb2_grpc.DriverManagerServiceStub(s.channel("driver-manager"))
    kernel = kernel_pb2_grpc.KernelGatewayServiceStub(s.channel("kernel"))
    return {
        "compiler": (
            compiler.ValidateCircuit,
            compiler_pb2.ValidateCircuitRequest(qasm=common_pb2.QasmSource(source=BELL)),
            [],
        ),
        "driver-manager": (dm.ListDevices, driver_pb2.ListDevicesRequest(), []),
        "kernel": (kernel.ListJobs, kernel_pb2.ListJobsRequest(page_size=10), FORGED),
    }


def test_internal_services_refuse_callers_without_the_stack_credentials(real_stack: RealStack):
    secret = real_stack.secret
    for name, (call, request, md) in _internal_calls(real_stack).items():
        missing = _reject(call, request, md)
        assert missing.code() == grpc.StatusCode.UNAUTHENTICATED, name
        assert _reason(missing) == "INTERNAL_CREDENTIALS_MISSING", name
        wrong = _reject(call, request, [*md, (INTERNAL_TOKEN_KEY, "x" * len(secret))])
        assert wrong.code() == grpc.StatusCode.UNAUTHENTICATED, name
        assert _reason(wrong) == "INTERNAL_CREDENTIALS_INVALID", name
        ok = call(request, metadata=[*md, (INTERNAL_TOKEN_KEY, secret)], timeout=60)  # type: ignore[operator]
        assert ok is not None, name
        with real_stack.channel(name) as ch:  # health stays open
            resp = health_pb2_grpc.HealthStub(ch).Check(health_pb2.HealthCheckRequest(), timeout=10)
            assert resp.status == health_pb2.HealthCheckResponse.SERVING
        if real_stack.tls:  # mTLS: without the stack's certificate there is no connection
            with real_stack.channel(name, client_cert=False) as ch:
                with pytest.raises(grpc.RpcError) as exc:
                    health_pb2_grpc.HealthStub(ch).Check(
                        health_pb2.HealthCheckRequest(), timeout=10
                    )
                assert exc.value.code() == grpc.StatusCode.UNAVAILABLE, name


def test_a_job_runs_end_to_end_and_forged_headers_get_nothing(real_stack: RealStack):
    with real_stack.channel("system-api") as ch:
        jobs = job_pb2_grpc.JobServiceStub(ch)
        forged = _reject(jobs.ListJobs, job_pb2.ListJobsRequest(), FORGED)
        assert forged.code() == grpc.StatusCode.UNAUTHENTICATED

        bearer = [("authorization", f"Bearer {real_stack.admin_token}")]
        submitted = jobs.SubmitJob(
            job_pb2.SubmitJobRequest(
                name="bell", qasm=common_pb2.QasmSource(source=BELL), target="sim:local",
                shots=256, seed=7,
            ),
            metadata=bearer,
            timeout=60,
        )  # fmt: skip
        final = None
        for msg in jobs.StreamJobUpdates(
            job_pb2.StreamJobUpdatesRequest(job_id=submitted.job_id, include_results=True),
            metadata=bearer,
            timeout=180,
        ):
            final = msg
        assert final is not None
        assert final.update.state == job_pb2.JOB_STATUS_DONE, final
        counts = dict(final.results.counts)
        assert sum(counts.values()) == 256 and set(counts) <= {"00", "11"}

    secret = real_stack.secret
    for log in (real_stack.home / "logs").glob("*.log"):
        assert secret not in log.read_text(errors="replace"), log
