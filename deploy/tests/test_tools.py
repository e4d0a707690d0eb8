"""deploy/image: the stack-secrets tool and the container health check, on real files, real
certificates, a real gRPC server (eigen_common's bootstrap) and moto's S3 server."""

from __future__ import annotations

import asyncio
import json
import os
import stat
from pathlib import Path

import healthcheck
import pytest
import stack_init
from cryptography import x509
from grpc_health.v1 import health_pb2

from eigen_common.security import ServerSecurity
from eigen_common.server import create_server
from eigen_compiler.settings import CompilerSettings
from eigen_system_api.keys import KeyStore


def _compose(tmp: Path) -> tuple[Path, Path, Path]:
    private, shared, keys = tmp / "init", tmp / "secrets", tmp / "keys" / "api_keys.json"
    stack_init.compose(private, shared, keys, ["eigen.example.org"], "default")
    return private, shared, keys


def _mode(p: Path) -> int:
    return stat.S_IMODE(p.stat().st_mode)


def test_compose_init_makes_every_secret_once_private_and_usable(tmp_path):
    private, shared, keys = _compose(tmp_path)
    token = (private / "admin_token").read_text().strip()
    rec = KeyStore(keys).lookup(token)
    assert rec is not None and rec.roles == ("admin",) and rec.tenant == "default"
    assert len((shared / "internal_token").read_text().strip()) >= 32
    for name in ("internal_token", "tls/server.key", "postgres_password", "pgpass",
                 "s3_secret_key", "aws_credentials"):  # fmt: skip
        assert _mode(shared / name) == 0o600, name
    assert not (shared / "tls" / "ca.key").exists(), "the CA key must stay private"
    cert = x509.load_pem_x509_certificate((shared / "tls" / "server.pem").read_bytes())
    san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    names = set(san.get_values_for_type(x509.DNSName))
    assert {"kernel", "compiler", "driver-manager", "driver-manager-2", "system-api",
            "localhost", "eigen-internal", "eigen.example.org"} <= names  # fmt: skip
    password = (shared / "postgres_password").read_text()
    assert (shared / "pgpass").read_text() == f"*:*:eigen:eigen:{password}\n"
    assert "\n" not in password
    creds = (shared / "aws_credentials").read_text()
    assert (shared / "s3_access_key").read_text() in creds
    assert "addressing_style = path" in (shared / "aws_config").read_text()

    before = {p: p.read_bytes() for p in tmp_path.rglob("*") if p.is_file()}
    _compose(tmp_path)  # every `docker compose up` runs it again: nothing changes
    after = {p: p.read_bytes() for p in tmp_path.rglob("*") if p.is_file()}
    assert before == after


def test_a_revoked_bootstrap_key_stays_revoked_and_no_second_one_appears(tmp_path):
    private, _, keys = _compose(tmp_path)
    store = KeyStore(keys)
    (rec,) = store.records()
    store.revoke(rec.key_id)
    _compose(tmp_path)
    (again,) = KeyStore(keys).records()
    assert again.revoked
    assert KeyStore(keys).lookup((private / "admin_token").read_text().strip()) is None


def test_print_commands_show_the_admin_token_and_the_ca(tmp_path, capsys):
    private, shared, _ = _compose(tmp_path)
    capsys.readouterr()
    assert stack_init.main(["--private", str(private), "print-admin-token"]) == 0
    assert capsys.readouterr().out.startswith("eig_")
    assert stack_init.main(["--shared", str(shared), "print-ca"]) == 0
    assert "BEGIN CERTIFICATE" in capsys.readouterr().out
    assert stack_init.main(["--private", str(tmp_path / "none"), "print-admin-token"]) == 1
    assert "does not exist" in capsys.readouterr().err


def test_k8s_files_for_the_secret_generators(tmp_path):
    out = tmp_path / "secrets"
    assert (
        stack_init.main(["k8s", "--out", str(out), "--namespace", "lab", "--host", "q.example"])
        == 0
    )
    files = ["internal_token", "api_keys.json", "admin_token", "postgres_password"]
    files += ["s3_access_key", "s3_secret_key", "tls/ca.crt", "tls/tls.crt", "tls/tls.key"]
    for name in files:
        assert (out / name).read_text().strip(), name
    assert not (out / "tls" / "ca.key").exists()
    cert = x509.load_pem_x509_certificate((out / "tls" / "tls.crt").read_bytes())
    names = set(
        cert.extensions.get_extension_for_class(
            x509.SubjectAlternativeName
        ).value.get_values_for_type(x509.DNSName)
    )
    assert {"kernel.lab.svc", "system-api.lab.svc.cluster.local", "driver-manager-pods",
            "eigen-internal", "q.example"} <= names  # fmt: skip
    token = (out / "admin_token").read_text().strip()
    assert KeyStore(out / "api_keys.json").lookup(token) is not None


def test_seed_keys_adds_what_is_missing_and_keeps_revocations(tmp_path):
    seed = tmp_path / "seed.json"
    keys = tmp_path / "vol" / "api_keys.json"
    KeyStore(seed).create("default", ("admin",), name="boot")
    assert stack_init.seed_keys(seed, keys) == 1
    store = KeyStore(keys)
    (rec,) = store.records()
    store.revoke(rec.key_id)
    KeyStore(seed).create("acme", ("user",), name="ci")
    assert stack_init.seed_keys(seed, keys) == 1
    got = {r.name: r.revoked for r in KeyStore(keys).records()}
    assert got == {"boot": True, "ci": False}
    seed.write_text("{not json")
    before = keys.read_bytes()
    assert stack_init.main(["seed-keys", "--from", str(seed), "--to", str(keys)]) == 1
    assert keys.read_bytes() == before


def test_create_bucket_on_a_real_s3_server(monkeypatch):
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    try:
        host, port = server.get_host_and_port()
        monkeypatch.setenv("AWS_ENDPOINT_URL", f"http://{host}:{port}")
        monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
        monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
        monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
        monkeypatch.setenv("EIGEN_KERNEL_QFS_URL", "s3://eigen-qfs/artifacts")
        assert stack_init.main(["create-bucket"]) == 0
        assert stack_init.create_bucket("eigen-qfs") is False  # exists now
        import boto3

        assert "eigen-qfs" in [b["Name"] for b in boto3.client("s3").list_buckets()["Buckets"]]
    finally:
        server.stop()
    with pytest.raises(stack_init.InitError):
        stack_init.bucket_of("file:///tmp/qfs")


# --- healthcheck ------------------------------------------------------------------------


def _env(monkeypatch, prefix: str, values: dict[str, object]) -> None:
    for k in [k for k in os.environ if k.startswith(prefix)]:
        monkeypatch.delenv(k)
    for k, v in values.items():
        monkeypatch.setenv(prefix + k, str(v))


async def _check(*args: str) -> int:
    return await asyncio.to_thread(healthcheck.main, list(args))


async def test_healthcheck_plaintext_serving_and_not_serving(monkeypatch):
    from eigen_common.security import ServerSecurity as S

    running = await create_server("compiler", [], "127.0.0.1:0", server_security=S())
    try:
        _env(monkeypatch, "EIGEN_COMPILER_", {"HOST": "0.0.0.0", "PORT": running.port})
        assert await _check("compiler") == 0
        await running.health.set("", health_pb2.HealthCheckResponse.NOT_SERVING)
        assert await _check("compiler") == 1
    finally:
        await running.server.stop(None)
    assert await _check("compiler", "--timeout", "1") == 1  # nobody listens any more


async def test_healthcheck_speaks_mtls_like_the_service(monkeypatch, tmp_path, capsys):
    _, shared, _ = _compose(tmp_path)
    tls = shared / "tls"
    served = {
        "HOST": "127.0.0.1",
        "TLS_CERT_FILE": tls / "server.pem",
        "TLS_KEY_FILE": tls / "server.key",
        "TLS_CLIENT_CA_FILE": tls / "ca.pem",
        "INTERNAL_TOKEN_FILE": shared / "internal_token",
    }
    settings = CompilerSettings(port=0, **{k.lower(): v for k, v in served.items()})
    running = await create_server(
        "compiler", [], "127.0.0.1:0", server_security=ServerSecurity.from_settings(settings)
    )
    try:
        _env(monkeypatch, "EIGEN_COMPILER_", {**served, "PORT": running.port})
        assert await _check("compiler") == 0  # mTLS, name localhost, no internal token needed
        monkeypatch.setenv("EIGEN_COMPILER_TLS_SERVER_NAME", "eigen-internal")
        assert await _check("compiler") == 0
        assert await _check("compiler", "--server-name", "elsewhere.example") == 1
        assert "Hostname" in capsys.readouterr().err
        _env(monkeypatch, "EIGEN_COMPILER_", {"PORT": running.port})  # plaintext vs TLS
        assert await _check("compiler", "--timeout", "2") == 1
        other = tmp_path / "other"
        stack_init.compose(other / "i", other / "s", other / "k.json", [], "default")
        _env(monkeypatch, "EIGEN_COMPILER_", {  # a certificate of another stack's CA
            **served, "PORT": running.port, "TLS_CERT_FILE": other / "s/tls/server.pem",
            "TLS_KEY_FILE": other / "s/tls/server.key", "TLS_CA_FILE": tls / "ca.pem",
        })  # fmt: skip
        assert await _check("compiler", "--timeout", "2") == 1
    finally:
        await running.server.stop(None)


def test_healthcheck_rejects_unusable_settings(monkeypatch, capsys):
    _env(monkeypatch, "EIGEN_KERNEL_", {"PORT": "not-a-port"})
    assert healthcheck.main(["kernel"]) == 2
    assert "unusable settings" in capsys.readouterr().err
    _env(monkeypatch, "EIGEN_KERNEL_", {"TLS_CERT_FILE": "/nonexistent.pem", "TLS_KEY_FILE": "/x"})
    assert healthcheck.main(["kernel"]) == 2
    with pytest.raises(SystemExit):
        healthcheck.main(["no-such-service"])


def test_k8s_admin_token_json_has_no_secret_on_disk_but_its_hash(tmp_path):
    out = tmp_path / "s"
    stack_init.k8s(out, "eigen", [], "default")
    doc = json.loads((out / "api_keys.json").read_text())
    token = (out / "admin_token").read_text().strip()
    assert token not in (out / "api_keys.json").read_text()
    assert len(doc["keys"]) == 1 and doc["keys"][0]["roles"] == ["admin"]
