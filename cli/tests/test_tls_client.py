"""The SDK and the CLI over TLS (SPEC §11): the CA of ``eigen up --tls`` is trusted for the
stack's own address without flags; a remote server's CA comes from ``--ca-file``,
``EIGEN_CA_FILE`` or ``ca_file`` in the config file. Against the real in-process stack whose
system-api serves TLS with a certificate of :mod:`eigen_os.localtls`."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from cli.tests.conftest import ADMIN_TOKEN, Api, running_stack
from eigen.api.v1 import admin_pb2
from eigen_os import paths
from eigen_os.cli.main import cli
from eigen_os.client import EigenClient
from eigen_os.config import ConfigError, resolve_config
from eigen_os.localtls import TlsFiles, ensure_local_tls
from eigen_os.stack import StackState


@pytest.fixture(scope="module")
def tls_files(tmp_path_factory: pytest.TempPathFactory) -> TlsFiles:
    return ensure_local_tls(tmp_path_factory.mktemp("ca"))


@pytest.fixture(scope="module")
def tls_api(tmp_path_factory: pytest.TempPathFactory, tls_files: TlsFiles) -> Iterator[Api]:
    settings = {"tls_cert_file": tls_files.cert, "tls_key_file": tls_files.key}
    with running_stack(tmp_path_factory.mktemp("tls-stack"), system_api=settings) as a:
        yield a


def record_stack(home: Path, endpoint: str, ca: Path) -> None:
    """``$EIGEN_HOME/stack.json`` as ``eigen up --tls`` writes it (the CA under home/tls)."""
    (home / paths.TLS_DIR).mkdir(parents=True, exist_ok=True)
    shutil.copy(ca, home / paths.TLS_DIR / paths.TLS_CA_FILE)
    state = StackState(
        endpoint, "127.0.0.1", "now", (), tls_ca=str(home / paths.TLS_DIR / paths.TLS_CA_FILE)
    )
    (home / paths.STACK_FILE).write_text(json.dumps(state.to_json()))


def eigen(*args: str) -> Result:
    return CliRunner().invoke(cli, ["--token", ADMIN_TOKEN, *args])


def eigen_home() -> Path:
    home = paths.eigen_home()  # points into tmp_path (isolated_env)
    home.mkdir(parents=True, exist_ok=True)
    return home


def test_the_local_tls_stack_is_trusted_without_flags(tls_api: Api, tls_files: TlsFiles) -> None:
    address = tls_api.endpoint  # 127.0.0.1:<port>
    record_stack(eigen_home(), f"grpcs://{address}", tls_files.ca)
    cfg = resolve_config()
    assert cfg.endpoint == f"grpcs://{address}" and cfg.tls
    assert cfg.ca_file == eigen_home() / "tls" / "ca.pem" and cfg.ca_source.endswith("stack.json")
    r = eigen("devices", "--json")
    assert r.exit_code == 0, r.output
    assert "aer.automatic" in [d["device_id"] for d in json.loads(r.stdout)["devices"]]
    # the stack's address without a scheme: still TLS, still its CA
    r = eigen("--endpoint", address, "list")
    assert r.exit_code == 0, r.output
    # the admin commands go through the SDK's channel (TLS too)
    r = eigen("admin", "keys", "list", "--json")
    assert r.exit_code == 0, r.output
    with EigenClient(token=ADMIN_TOKEN) as c:
        keys = c.admin_stub().ListApiKeys(
            admin_pb2.ListApiKeysRequest(), metadata=c.call_metadata, timeout=10
        )
        assert keys.keys and c.channel is not None


def test_a_remote_server_ca_from_flag_env_or_config(
    tls_api: Api, tls_files: TlsFiles, monkeypatch: pytest.MonkeyPatch, isolated_env: Path
) -> None:
    address = tls_api.endpoint
    r = eigen("--endpoint", f"https://{address}", "--ca-file", str(tls_files.ca), "list")
    assert r.exit_code == 0, r.output
    monkeypatch.setenv("EIGEN_ENDPOINT", f"grpcs://{address}")
    monkeypatch.setenv("EIGEN_CA_FILE", str(tls_files.ca))
    r = eigen("list")
    assert r.exit_code == 0, r.output
    monkeypatch.delenv("EIGEN_ENDPOINT")
    monkeypatch.delenv("EIGEN_CA_FILE")
    cfg_dir = isolated_env / ".config" / "eigen"
    cfg_dir.mkdir(parents=True)
    shutil.copy(tls_files.ca, cfg_dir / "lab-ca.pem")
    (cfg_dir / "config.toml").write_text(
        f'endpoint = "{address}"\ntls = true\nca_file = "lab-ca.pem"\n'
    )
    cfg = resolve_config()
    assert cfg.tls and cfg.ca_file == cfg_dir / "lab-ca.pem"
    r = eigen("devices")
    assert r.exit_code == 0, r.output


def test_an_untrusted_or_plaintext_channel_fails_clearly(
    tls_api: Api, tmp_path: Path, unused_port: int
) -> None:
    address = tls_api.endpoint
    r = eigen("--endpoint", f"https://{address}", "list", "--json")  # the system's roots
    assert r.exit_code == 3, r.output
    err = json.loads(r.stderr)["error"]
    assert err["code"] == "UNAVAILABLE" and err["metadata"]["tls"] == "true"
    assert "--ca-file" in err["hint"] and "EIGEN_CA_FILE" in err["hint"]
    r = eigen("--endpoint", f"http://{address}", "list")  # plaintext to a TLS server
    assert r.exit_code == 3, r.output
    bad = tmp_path / "bad.pem"
    bad.write_text("not a certificate\n")
    r = eigen("--endpoint", f"https://{address}", "--ca-file", str(bad), "list")
    assert r.exit_code == 2 and "holds no PEM certificate" in r.stderr, r.output
    r = eigen("--endpoint", f"https://{address}", "--ca-file", str(tmp_path / "gone.pem"), "list")
    assert r.exit_code == 2 and "cannot read the CA file" in r.stderr, r.output
    # nothing listens: the ordinary hint, not the TLS one
    r = eigen("--endpoint", f"https://127.0.0.1:{unused_port}", "list", "--json")
    assert r.exit_code == 3 and "eigen up" in json.loads(r.stderr)["error"]["hint"]


def test_trust_rules_without_a_server(isolated_env: Path, tmp_path: Path) -> None:
    home = eigen_home()
    ca = ensure_local_tls(tmp_path).ca
    record_stack(home, "grpcs://127.0.0.1:6001", ca)
    env = {"EIGEN_HOME": str(home), "HOME": str(isolated_env)}
    other = resolve_config("127.0.0.1:7001", env=env)  # not the stack's address
    assert not other.tls and other.ca_file is None
    plain = resolve_config("http://127.0.0.1:6001", env=env)  # an explicit scheme wins
    assert not plain.tls and plain.target == "127.0.0.1:6001"
    bare = resolve_config("127.0.0.1:6001", env=env)
    assert bare.tls and bare.ca_file == home / "tls" / "ca.pem"
    flag = resolve_config("127.0.0.1:6001", ca_file=str(ca), env=env)
    assert flag.ca_file == ca and flag.ca_source == "--ca-file"
    (home / "tls" / "ca.pem").unlink()  # `eigen down` keeps it; a deleted CA is not trusted
    assert resolve_config(env=env).ca_file is None
    cfg = isolated_env / ".config" / "eigen"
    cfg.mkdir(parents=True)
    (cfg / "config.toml").write_text('tls = "yes"\n')
    with pytest.raises(ConfigError, match="`tls` must be true or false"):
        resolve_config(env=env)
    (cfg / "config.toml").write_text("ca_file = 3\n")
    with pytest.raises(ConfigError, match="`ca_file` must be a string"):
        resolve_config(env=env)
