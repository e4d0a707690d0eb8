"""``python /app/tools/stack_init.py COMMAND``: the secrets a deployed Eigen OS stack starts with.

What ``eigen up`` does for the embedded stack, for a stack in containers (SPEC §11):

``compose``
    The ``init`` service of ``deploy/docker-compose.yml``: creates, once, and keeps
    (idempotent; run at every ``docker compose up``)

    - ``SHARED/internal_token``: the per-stack secret (``token_urlsafe(32)``, 0600);
    - ``SHARED/tls/{ca.pem,server.pem,server.key}``: one certificate for the four services
      (``eigen_os.localtls``: P-256, SAN = the service names, ``localhost``, ``127.0.0.1``, the
      ``--host`` names, and :data:`INTERNAL_NAME`; serverAuth + clientAuth, so the internal
      services also present it for mTLS). The CA key stays in ``PRIVATE/tls``;
    - ``KEYS`` (the system-api's API key file): a first admin key (tenant ``--admin-tenant``),
      made by the system-api's own ``KeyStore``; its token (``eig_...``) goes to
      ``PRIVATE/admin_token`` (0600), shown by ``print-admin-token``, never logged. It is made
      only while no ``PRIVATE/admin_token`` exists, so a revoked bootstrap key stays revoked;
    - for the scaled shape: ``SHARED/postgres_password`` and ``pgpass`` (libpq's password
      file), ``s3_access_key``/``s3_secret_key`` and ``aws_credentials``/``aws_config``
      (botocore's files: credentials, path-style addressing). All 0600, owned by the image's
      user: the services run as that user, PostgreSQL's and MinIO's entrypoints read as root.

``k8s --out DIR``
    The same material as plain files for the ``secretGenerator`` of a kustomize overlay under
    ``deploy/k8s/overlays/*/secrets/``: ``internal_token``, ``api_keys.json`` (hashes only),
    ``tls/{ca.crt,tls.crt,tls.key}`` (SAN: the Service names, ``<name>.<namespace>.svc`` and
    ``.svc.cluster.local``, :data:`INTERNAL_NAME`, ``--host`` names), ``postgres_password``,
    ``s3_access_key``, ``s3_secret_key``; plus ``admin_token`` and ``ca.key`` for the operator
    (no manifest reads them). Existing files are kept.

``seed-keys --from SEED --to KEYS``
    Kubernetes init container of the system-api: adds to the writable key file on its volume
    every entry of the (read-only) seed whose hash it lacks; revocations made since stay.

``create-bucket [BUCKET]``
    Creates the S3 bucket (default: the one named by ``EIGEN_KERNEL_QFS_URL=s3://bucket/...``)
    unless it exists, with boto3 and the standard ``AWS_*`` variables.

``print-admin-token`` / ``print-ca``
    Print ``PRIVATE/admin_token`` / ``SHARED/tls/ca.pem`` for the operator
    (``docker compose run --rm -T init print-admin-token``).

Exit status 0 on success, 1 on failure with one line on stderr.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import secrets
import sys
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

#: Services whose names the one service certificate carries.
SERVICES = ("system-api", "kernel", "compiler", "driver-manager")
#: Extra compose names (scaled shape) the certificate carries.
COMPOSE_EXTRA = ("driver-manager-2",)
#: Name every internal client checks in the certificate (``EIGEN_*_TLS_SERVER_NAME``), so the
#: check does not depend on how an address was written (name, replica IP, headless DNS).
INTERNAL_NAME = "eigen-internal"
DB_USER = "eigen"
DB_NAME = "eigen"


class InitError(RuntimeError):
    """The stack's secrets cannot be made or read (message: one line, no secret)."""


def write_private(path: Path, data: bytes | str, mode: int = 0o600) -> None:
    """Atomically write ``data`` to ``path`` with ``mode`` (parents created, 0700).

    Raises:
        OSError: the file cannot be written.
    """
    raw = data.encode() if isinstance(data, str) else data
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(raw)
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise


def ensure_file(path: Path, make: Callable[[], str], mode: int = 0o600) -> str:
    """The content of ``path``, written first from ``make()`` when it is missing or empty."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        text = ""
    if not text.strip():
        text = make()
        write_private(path, text, mode)
    return text.strip()


def _token() -> str:
    return secrets.token_urlsafe(32) + "\n"


def _copy_if_changed(src: Path, dst: Path, mode: int) -> None:
    data = src.read_bytes()
    try:
        if dst.read_bytes() == data:
            return
    except FileNotFoundError:
        pass
    write_private(dst, data, mode)


def ensure_tls(ca_home: Path, out: Path, hosts: Iterable[str], names: tuple[str, str, str]) -> None:
    """Make (or keep) the CA and the service certificate, copy the public part to ``out``.

    Args:
        ca_home: private directory: ``ca_home/tls`` keeps the CA key (never copied).
        out: directory that receives the CA certificate, the certificate and its key.
        hosts: names and addresses the certificate carries besides localhost/127.0.0.1/::1.
        names: file names in ``out`` for (CA certificate, certificate, key).

    Raises:
        OSError: a file cannot be written.
    """
    from eigen_os.localtls import ensure_local_tls  # the CLI's own CA code (cryptography)

    ca_home.mkdir(parents=True, exist_ok=True, mode=0o700)
    files = ensure_local_tls(ca_home, [*hosts, INTERNAL_NAME])
    _copy_if_changed(files.ca, out / names[0], 0o644)
    _copy_if_changed(files.cert, out / names[1], 0o644)
    _copy_if_changed(files.key, out / names[2], 0o600)


def ensure_admin_key(keys_file: Path, token_file: Path, tenant: str) -> bool:
    """Create the bootstrap admin key unless one was made before; True when made now.

    The key is stored (hash only) by the system-api's ``KeyStore``, exactly like
    ``eigen admin keys create``; the token goes to ``token_file`` (0600).

    Raises:
        OSError: a file cannot be written.
        KeyStoreError: ``keys_file`` exists and is not a key document.
    """
    if token_file.exists():
        return False
    from eigen_system_api.keys import KeyStore

    keys_file.parent.mkdir(parents=True, exist_ok=True)
    _rec, token = KeyStore(keys_file).create(
        tenant, ("admin",), name="bootstrap-admin", subject="bootstrap-admin"
    )
    write_private(token_file, token + "\n")
    return True


def ensure_backing_secrets(out: Path, db_host: str = "*") -> None:
    """PostgreSQL and S3 credentials, plus libpq's and botocore's files that carry them.

    Raises:
        OSError: a file cannot be written.
    """
    # No trailing newline: Kubernetes passes these files' bytes as environment values.
    password = ensure_file(out / "postgres_password", lambda: secrets.token_hex(24))
    ensure_file(out / "pgpass", lambda: f"{db_host}:*:{DB_NAME}:{DB_USER}:{password}\n")
    access = ensure_file(out / "s3_access_key", lambda: "eigen" + secrets.token_hex(8))
    secret = ensure_file(out / "s3_secret_key", lambda: secrets.token_hex(24))
    ensure_file(
        out / "aws_credentials",
        lambda: f"[default]\naws_access_key_id = {access}\naws_secret_access_key = {secret}\n",
    )
    ensure_file(
        out / "aws_config",
        lambda: "[default]\nregion = us-east-1\ns3 =\n    addressing_style = path\n",
    )


def compose(private: Path, shared: Path, keys: Path, hosts: list[str], tenant: str) -> None:
    """Everything the compose stack needs (see the module docstring); idempotent."""
    ensure_file(shared / "internal_token", _token)
    ensure_tls(
        private,
        shared / "tls",
        [*SERVICES, *COMPOSE_EXTRA, *hosts],
        ("ca.pem", "server.pem", "server.key"),
    )
    if ensure_admin_key(keys, private / "admin_token", tenant):
        print("bootstrap admin key created: `... run --rm -T init print-admin-token` shows it")
    ensure_backing_secrets(shared)
    print(f"stack secrets ready in {shared}")


def k8s_hosts(namespace: str, hosts: Iterable[str]) -> list[str]:
    """Certificate names of the Kubernetes Services in ``namespace`` plus ``hosts``."""
    names = [*SERVICES, "driver-manager-pods", "kernel-pods"]
    out: list[str] = []
    for n in names:
        out += [n, f"{n}.{namespace}", f"{n}.{namespace}.svc", f"{n}.{namespace}.svc.cluster.local"]
    return [*out, *hosts]


def k8s(out: Path, namespace: str, hosts: list[str], tenant: str) -> None:
    """Files for the overlay's ``secretGenerator`` (see the module docstring); idempotent."""
    out.mkdir(parents=True, exist_ok=True, mode=0o700)
    ensure_file(out / "internal_token", _token)
    ensure_tls(
        out / "ca", out / "tls", k8s_hosts(namespace, hosts), ("ca.crt", "tls.crt", "tls.key")
    )
    ensure_admin_key(out / "api_keys.json", out / "admin_token", tenant)
    ensure_backing_secrets(out)
    print(f"secrets for kustomize written to {out}; keep {out / 'admin_token'} (the first admin")
    print("token) and remove it from the directory once stored elsewhere")


def seed_keys(seed: Path, keys: Path) -> int:
    """Add to ``keys`` the entries of ``seed`` whose sha256 it lacks; the number added.

    Raises:
        InitError: ``seed`` or ``keys`` is not a key document.
        OSError: a file cannot be read or written.
    """

    def entries(path: Path) -> list[Any]:
        try:
            doc = json.loads(path.read_text(encoding="utf-8") or "{}")
        except FileNotFoundError:
            return []
        except ValueError:
            raise InitError(f"{path} is not valid JSON") from None
        got = doc.get("keys", []) if isinstance(doc, dict) else None
        if not isinstance(got, list):
            raise InitError(f"{path}: expected {{'keys': [...]}}")
        return got

    have = entries(keys)
    known = {str(e.get("sha256", "")).lower() for e in have if isinstance(e, dict)}
    new = [e for e in entries(seed) if isinstance(e, dict) and e.get("sha256") not in known]
    if new or not keys.exists():
        write_private(keys, json.dumps({"keys": have + new}, indent=2) + "\n")
    return len(new)


def create_bucket(bucket: str) -> bool:
    """Create ``bucket`` unless it exists (boto3, ``AWS_*`` environment); True when created.

    Raises:
        InitError: the bucket can be neither found nor created.
    """
    import boto3
    from botocore.exceptions import BotoCoreError, ClientError

    s3 = boto3.client("s3")
    try:
        s3.head_bucket(Bucket=bucket)
        return False
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") not in ("404", "NoSuchBucket", "NotFound"):
            raise InitError(f"cannot look up bucket {bucket}: {exc}") from None
    except BotoCoreError as exc:
        raise InitError(f"cannot reach the S3 server: {exc}") from None
    try:
        s3.create_bucket(Bucket=bucket)
    except (ClientError, BotoCoreError) as exc:
        raise InitError(f"cannot create bucket {bucket}: {exc}") from None
    return True


def bucket_of(url: str) -> str:
    """``s3://bucket/prefix`` → ``bucket``.

    Raises:
        InitError: not an ``s3://`` URL with a bucket.
    """
    parts = urlsplit(url)
    if parts.scheme != "s3" or not parts.netloc:
        raise InitError(f"not an s3://bucket/prefix URL: {url!r}")
    return parts.netloc


def _print_file(path: Path) -> None:
    try:
        sys.stdout.write(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InitError(f"{path} does not exist (has the init service run?)") from None


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    p.add_argument("--private", type=Path, default=Path("/eigen/init"))
    p.add_argument("--shared", type=Path, default=Path("/eigen/secrets"))
    p.add_argument("--keys", type=Path, default=Path("/eigen/keys/api_keys.json"))
    sub = p.add_subparsers(dest="command", required=True)
    for name in ("compose", "k8s"):
        c = sub.add_parser(name)
        c.add_argument("--host", action="append", default=[], help="extra certificate name")
        c.add_argument("--admin-tenant", default="default")
        if name == "k8s":
            c.add_argument("--out", type=Path, required=True)
            c.add_argument("--namespace", default="eigen")
    s = sub.add_parser("seed-keys")
    s.add_argument("--from", dest="seed", type=Path, required=True)
    s.add_argument("--to", dest="to", type=Path, required=True)
    b = sub.add_parser("create-bucket")
    b.add_argument("bucket", nargs="?", default="")
    sub.add_parser("print-admin-token")
    sub.add_parser("print-ca")
    return p


def main(argv: list[str] | None = None) -> int:
    """Run one command; the exit status."""
    args = _parser().parse_args(argv)
    extra = [h for h in os.environ.get("EIGEN_PUBLIC_HOSTS", "").split(",") if h.strip()]
    try:
        if args.command == "compose":
            compose(args.private, args.shared, args.keys, [*args.host, *extra], args.admin_tenant)
        elif args.command == "k8s":
            k8s(args.out, args.namespace, [*args.host, *extra], args.admin_tenant)
        elif args.command == "seed-keys":
            print(f"{seed_keys(args.seed, args.to)} key(s) added to {args.to}")
        elif args.command == "create-bucket":
            bucket = args.bucket or bucket_of(os.environ.get("EIGEN_KERNEL_QFS_URL", ""))
            made = create_bucket(bucket)
            print(f"bucket {bucket} {'created' if made else 'already exists'}")
        elif args.command == "print-admin-token":
            _print_file(args.private / "admin_token")
        else:
            _print_file(args.shared / "tls" / "ca.pem")
    except (InitError, OSError, ValueError) as exc:
        print(f"stack_init {args.command}: {exc}".splitlines()[0], file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
