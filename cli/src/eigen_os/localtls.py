"""The local CA and service certificate of ``eigen up --tls`` (SPEC §11), via ``cryptography``.

Under ``$EIGEN_HOME/tls``::

    ca.pem, ca.key          a CA for this machine only (P-256, 10 years; key 0600)
    server.pem, server.key  one certificate for the four services, signed by the CA (P-256,
                            397 days; SAN localhost, 127.0.0.1, ::1 and the stack's host;
                            extended key usage serverAuth + clientAuth, so internal services
                            also present it as their client certificate for mTLS)

Existing files are kept while they are valid; the service certificate is re-issued when it
expires within 30 days, does not name a requested host, or was not signed by the current CA.
The CLI trusts ``ca.pem`` for the stack's endpoint (:func:`eigen_os.paths.stack_ca_file`).
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from eigen_os import paths

CA_DAYS = 3650
SERVER_DAYS = 397
RENEW_BEFORE = dt.timedelta(days=30)
DEFAULT_HOSTS = ("localhost", "127.0.0.1", "::1")


@dataclass(frozen=True)
class TlsFiles:
    """Paths of the local TLS material (PEM)."""

    ca: Path
    cert: Path
    key: Path


def _write(path: Path, data: bytes, mode: int) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def _key_pem(key: ec.EllipticCurvePrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


def _san(hosts: Iterable[str]) -> list[x509.GeneralName]:
    names: list[x509.GeneralName] = []
    for h in dict.fromkeys(h.strip("[]") for h in hosts if h):
        try:
            names.append(x509.IPAddress(ipaddress.ip_address(h)))
        except ValueError:
            names.append(x509.DNSName(h))
    return names


def _make_ca(now: dt.datetime) -> tuple[ec.EllipticCurvePrivateKey, x509.Certificate]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name(
        [
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Eigen OS local stack"),
            x509.NameAttribute(NameOID.COMMON_NAME, "Eigen OS local CA"),
        ]
    )
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=CA_DAYS))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    return key, cert


def _make_leaf(
    ca_key: ec.EllipticCurvePrivateKey,
    ca: x509.Certificate,
    hosts: list[str],
    now: dt.datetime,
) -> tuple[ec.EllipticCurvePrivateKey, x509.Certificate]:
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "eigen-os-local")]))
        .issuer_name(ca.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=SERVER_DAYS))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.SubjectAlternativeName(_san(hosts)), critical=False)
        .add_extension(
            x509.ExtendedKeyUsage(
                [ExtendedKeyUsageOID.SERVER_AUTH, ExtendedKeyUsageOID.CLIENT_AUTH]
            ),
            critical=False,
        )
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False
        )
        .sign(ca_key, hashes.SHA256())
    )
    return key, cert


def _load(
    cert_path: Path, key_path: Path
) -> tuple[ec.EllipticCurvePrivateKey, x509.Certificate] | None:
    try:
        cert = x509.load_pem_x509_certificate(cert_path.read_bytes())
        key = serialization.load_pem_private_key(key_path.read_bytes(), password=None)
    except (OSError, ValueError):
        return None
    if not isinstance(key, ec.EllipticCurvePrivateKey):
        return None
    return key, cert


def _leaf_ok(
    cert: x509.Certificate, ca: x509.Certificate, hosts: list[str], now: dt.datetime
) -> bool:
    if cert.not_valid_after_utc - now < RENEW_BEFORE:
        return False
    try:
        cert.verify_directly_issued_by(ca)
        san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except (ValueError, TypeError, InvalidSignature, x509.ExtensionNotFound):
        return False
    have = set(san)
    return all(name in have for name in _san(hosts))


def ensure_local_tls(home: Path, hosts: Iterable[str] = ()) -> TlsFiles:
    """Create (or keep) the local CA and the service certificate under ``home/tls``.

    Args:
        home: ``$EIGEN_HOME``.
        hosts: names/addresses the services are reached by, besides :data:`DEFAULT_HOSTS`.

    Returns:
        The CA, certificate and key paths.

    Raises:
        OSError: the directory or a file cannot be written.
    """
    tls = home / paths.TLS_DIR
    tls.mkdir(mode=0o700, exist_ok=True)
    files = TlsFiles(tls / paths.TLS_CA_FILE, tls / paths.TLS_CERT_FILE, tls / paths.TLS_KEY_FILE)
    ca_key_path = tls / "ca.key"
    now = dt.datetime.now(dt.UTC)
    wanted = [*DEFAULT_HOSTS, *hosts]
    loaded = _load(files.ca, ca_key_path)
    if loaded is None or loaded[1].not_valid_after_utc - now < RENEW_BEFORE:
        loaded = _make_ca(now)
        _write(ca_key_path, _key_pem(loaded[0]), 0o600)
        _write(files.ca, loaded[1].public_bytes(serialization.Encoding.PEM), 0o644)
    ca_key, ca = loaded
    leaf = _load(files.cert, files.key)
    if leaf is None or not _leaf_ok(leaf[1], ca, wanted, now):
        key, cert = _make_leaf(ca_key, ca, wanted, now)
        _write(files.key, _key_pem(key), 0o600)
        _write(files.cert, cert.public_bytes(serialization.Encoding.PEM), 0o644)
    return files
