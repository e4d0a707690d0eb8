"""Helpers of the system-api tests: tokens, requests, clients and edge replicas.

:class:`Edge` holds the real in-process stack (tests/inprocess.py) and the extra system-api
replicas a test starts on it — each built by ``app.build(settings)`` like production, against
the same kernel and compiler and key file, with the settings the test asks for (quotas, JWT).
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import grpc
import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from jwt.algorithms import ECAlgorithm, OKPAlgorithm, RSAAlgorithm

from eigen.api.v1 import (
    admin_pb2_grpc,
    common_pb2,
    compilation_pb2_grpc,
    device_pb2_grpc,
    job_pb2,
    job_pb2_grpc,
)
from eigen_common.server import App, RunningServer
from eigen_system_api.app import build
from eigen_system_api.settings import SystemApiSettings

if TYPE_CHECKING:
    from tests.inprocess import InProcessStack

ADMIN = "tok-admin-a"
USER = "tok-user-a"
READONLY = "tok-readonly-a"
USER_B = "tok-user-b"
KEYS: dict[str, tuple[str, tuple[str, ...], str]] = {
    ADMIN: ("alice-admin", ("admin",), "a"),
    USER: ("alice", ("user",), "a"),
    READONLY: ("viewer", ("readonly",), "a"),
    USER_B: ("bob", ("user",), "b"),
}
BELL = (
    'OPENQASM 2.0;\ninclude "qelib1.inc";\nqreg q[2];\ncreg c[2];\n'
    "h q[0];\ncx q[0],q[1];\nmeasure q -> c;\n"
)


def md(token: str) -> list[tuple[str, str]]:
    return [("authorization", f"Bearer {token}")]


def bell(**kw: Any) -> job_pb2.SubmitJobRequest:
    r = job_pb2.SubmitJobRequest(
        name="edge", target="sim:local", qasm=common_pb2.QasmSource(source=BELL)
    )
    for k, v in kw.items():
        if k == "dependencies":
            r.dependencies.extend(v)
        else:
            setattr(r, k, v)
    return r


@dataclass
class Client:
    """Public stubs on one channel."""

    channel: grpc.aio.Channel
    jobs: job_pb2_grpc.JobServiceStub = field(init=False)
    devices: device_pb2_grpc.DeviceServiceStub = field(init=False)
    compiler: compilation_pb2_grpc.CompilationServiceStub = field(init=False)
    admin: admin_pb2_grpc.AdminServiceStub = field(init=False)

    def __post_init__(self) -> None:
        self.jobs = job_pb2_grpc.JobServiceStub(self.channel)
        self.devices = device_pb2_grpc.DeviceServiceStub(self.channel)
        self.compiler = compilation_pb2_grpc.CompilationServiceStub(self.channel)
        self.admin = admin_pb2_grpc.AdminServiceStub(self.channel)


@dataclass
class Edge:
    """The stack and the replicas started on it; ``replica(**settings)`` starts another."""

    stack: InProcessStack
    keys_file: Path
    started: list[tuple[App, RunningServer, grpc.aio.Channel]] = field(default_factory=list)

    def settings(self, **overrides: Any) -> SystemApiSettings:
        return SystemApiSettings(
            port=0,
            metrics_port=0,
            kernel_address=self.stack.address("kernel"),
            compiler_address=self.stack.address("compiler"),
            api_keys_file=self.keys_file,
            **overrides,
        )

    async def replica(self, **overrides: Any) -> Client:
        app = build(self.settings(**overrides))
        server = await app.start()
        ch = grpc.aio.insecure_channel(f"127.0.0.1:{server.port}")
        self.started.append((app, server, ch))
        return Client(ch)

    async def close(self) -> None:
        for app, server, ch in reversed(self.started):
            await ch.close()
            await server.stop(0)
            await app.close()


def write_keys(path: Path, keys: dict[str, tuple[str, tuple[str, ...], str]]) -> Path:
    """The pre-existing key file format (sha256, subject, roles, tenant)."""
    path.write_text(
        json.dumps(
            {
                "keys": [
                    {
                        "sha256": hashlib.sha256(t.encode()).hexdigest(),
                        "subject": s,
                        "roles": list(r),
                        "tenant": ten,
                    }
                    for t, (s, r, ten) in keys.items()
                ]
            }
        )
    )
    return path


async def wait_terminal(c: Client, job_id: str, token: str = ADMIN) -> job_pb2.JobUpdate:
    """The job's terminal event (streams until the server closes the stream)."""
    last = None
    async for m in c.jobs.StreamJobUpdates(
        job_pb2.StreamJobUpdatesRequest(job_id=job_id), metadata=md(token), timeout=120
    ):
        last = m.update
    assert last is not None and last.terminal
    return last


Call = Callable[..., Awaitable[Any]]


ISS = "https://idp.example.test/"
AUD = "eigen-api"


class Signer:
    """A private key with its ``kid`` and public JWK."""

    def __init__(self, alg: str, kid: str):
        self.alg, self.kid = alg, kid
        if alg.startswith(("RS", "PS")):
            self.key: Any = rsa.generate_private_key(public_exponent=65537, key_size=2048)
            self.jwk = json.loads(RSAAlgorithm.to_jwk(self.key.public_key()))
        elif alg == "ES256":
            self.key = ec.generate_private_key(ec.SECP256R1())
            self.jwk = json.loads(ECAlgorithm.to_jwk(self.key.public_key()))
        else:
            self.key = ed25519.Ed25519PrivateKey.generate()
            self.jwk = json.loads(OKPAlgorithm.to_jwk(self.key.public_key()))
        self.jwk["kid"] = kid

    def token(self, **claims: Any) -> str:
        now = int(time.time())
        body = {"iss": ISS, "aud": AUD, "sub": "carol", "tenant": "acme", "roles": ["user"]}
        body.update(exp=now + 300, iat=now)
        body.update(claims)
        body = {k: v for k, v in body.items() if v is not None}
        return jwt.encode(body, self.key, algorithm=self.alg, headers={"kid": self.kid})

    def public_pem(self) -> bytes:
        return bytes(
            self.key.public_key().public_bytes(
                serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
            )
        )
