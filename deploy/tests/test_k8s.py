"""The Kubernetes overlays, rendered by kustomize with throwaway secrets (conftest ``rendered``).

Schema validity is checked by ``kubernetes-validate --strict`` in ``make deploy-check``; these
tests check what the schema cannot: probes, resources, budgets, who may connect, Secrets, and
that every variable reaches a service that reads it.
"""

from __future__ import annotations

from typing import Any

from deploy_support import CLASSES, settings_from, unknown

from eigen_kernel.driver_pool import parse_addresses

COMPONENTS = {
    "system-api": ("EIGEN_SYSTEM_API_", 50051),
    "kernel": ("EIGEN_KERNEL_", 50052),
    "compiler": ("EIGEN_COMPILER_", 50053),
    "driver-manager": ("EIGEN_DRIVER_MANAGER_", 50054),
}
PROBES = ("startupProbe", "readinessProbe", "livenessProbe")


def kinds(objs: list[dict[str, Any]], kind: str) -> dict[str, dict[str, Any]]:
    return {o["metadata"]["name"]: o for o in objs if o["kind"] == kind}


def selects(selector: dict[str, Any], labels: dict[str, str]) -> bool:
    return all(labels.get(k) == v for k, v in selector.get("matchLabels", {}).items())


def test_every_overlay_has_the_four_services_with_probes_resources_and_no_root(rendered):
    assert set(rendered) == {"embedded", "scaled"}
    for overlay, objs in rendered.items():
        deployments = kinds(objs, "Deployment")
        assert set(deployments) == set(COMPONENTS), overlay
        for name, dep in deployments.items():
            spec = dep["spec"]["template"]["spec"]
            assert spec["automountServiceAccountToken"] is False
            assert spec["securityContext"]["runAsNonRoot"] is True
            (c,) = spec["containers"]
            assert c["command"][:2] == ["python", "-m"], name
            assert c["resources"]["requests"]["cpu"] and c["resources"]["limits"]["memory"]
            assert c["securityContext"]["readOnlyRootFilesystem"] is True
            assert c["securityContext"]["capabilities"]["drop"] == ["ALL"]
            for init in spec.get("initContainers", []):
                assert init["resources"]["limits"]["memory"], (name, init["name"])
            port = COMPONENTS[name][1]
            for probe in PROBES:
                p = c[probe]
                if overlay == "embedded":  # plaintext inside: the kubelet's own gRPC probe
                    assert p["grpc"]["port"] == port, (overlay, name, probe)
                    assert "exec" not in p
                else:  # TLS: the image's health check, configured like the service
                    assert p["exec"]["command"] == [
                        "python",
                        "/app/tools/healthcheck.py",
                        name,
                    ], (overlay, name, probe)
                    assert "grpc" not in p


def test_each_deployment_has_a_service_and_a_disruption_budget(rendered):
    for overlay, objs in rendered.items():
        services = kinds(objs, "Service")
        pdbs = kinds(objs, "PodDisruptionBudget")
        for name, dep in kinds(objs, "Deployment").items():
            labels = dep["spec"]["template"]["metadata"]["labels"]
            assert name in services and selects(
                {"matchLabels": services[name]["spec"]["selector"]}, labels
            )
            budget = [p for p in pdbs.values() if selects(p["spec"]["selector"], labels)]
            assert len(budget) == 1, (overlay, name)
            assert budget[0]["spec"]["maxUnavailable"] == 1
        exposed = {
            n for n, s in services.items() if s["spec"].get("type") in ("LoadBalancer", "NodePort")
        }
        assert exposed <= {"system-api"}, (overlay, exposed)


def _admitted(objs: list[dict[str, Any]], labels: dict[str, str], port: int) -> list[Any]:
    """The ``from`` lists of every rule admitting ``port`` to pods with ``labels``."""
    out = []
    for pol in kinds(objs, "NetworkPolicy").values():
        if not selects(pol["spec"]["podSelector"], labels):
            continue
        for rule in pol["spec"].get("ingress", []):
            ports = [p["port"] for p in rule.get("ports", [])]
            if not ports or port in ports:
                out.append(rule.get("from"))
    return out


def _from_components(froms: list[Any]) -> set[str]:
    got = set()
    for peers in froms:
        assert peers is not None, "open to anyone"
        for peer in peers:
            sel = peer.get("podSelector", {}).get("matchLabels", {})
            got.add(sel.get("app.kubernetes.io/component", "?"))
    return got


def test_only_the_system_api_is_reachable_from_outside(rendered):
    callers = {"kernel": {"system-api"}, "compiler": {"kernel", "system-api"},
               "driver-manager": {"kernel"}}  # fmt: skip
    for overlay, objs in rendered.items():
        deny = [
            p for p in kinds(objs, "NetworkPolicy").values()
            if p["spec"]["podSelector"] == {} and p["spec"]["policyTypes"] == ["Ingress"]
            and not p["spec"].get("ingress")
        ]  # fmt: skip
        assert deny, f"{overlay}: no default-deny ingress policy"
        pods = {
            n: d["spec"]["template"]["metadata"]["labels"]
            for n, d in kinds(objs, "Deployment").items()
        }
        api = _admitted(objs, pods["system-api"], 50051)
        assert None in api, "the system-api must be open to clients"
        assert None in _admitted(objs, pods["system-api"], 8080)
        for name, wanted in callers.items():
            froms = _admitted(objs, pods[name], COMPONENTS[name][1])
            assert _from_components(froms) == wanted, (overlay, name)
        for name, labels in pods.items():  # /metrics only from the monitoring namespace
            for froms in _admitted(objs, labels, 9101 + list(COMPONENTS).index(name)):
                assert froms is not None
                for peer in froms:
                    assert "namespaceSelector" in peer or "podSelector" in peer
        for store in kinds(objs, "StatefulSet").values():
            labels = store["spec"]["template"]["metadata"]["labels"]
            port = store["spec"]["template"]["spec"]["containers"][0]["ports"][0]["containerPort"]
            assert _from_components(_admitted(objs, labels, port)) == {"kernel"}, overlay


def test_every_secret_a_pod_uses_is_generated_and_holds_the_keys_it_is_read_by(rendered):
    wanted = {
        "embedded": {"eigen-internal", "eigen-api-keys-seed"},
        "scaled": {
            "eigen-internal",
            "eigen-api-keys-seed",
            "eigen-tls",
            "eigen-postgres",
            "eigen-s3",
        },
    }
    for overlay, objs in rendered.items():
        secrets = kinds(objs, "Secret")
        base = {n.rsplit("-", 1)[0] for n in secrets}
        assert base == wanted[overlay], overlay
        used: list[tuple[str, str | None]] = []
        for o in objs:
            if o["kind"] not in ("Deployment", "StatefulSet"):
                continue
            spec = o["spec"]["template"]["spec"]
            for v in spec.get("volumes", []):
                if "secret" in v:
                    used.append((v["secret"]["secretName"], None))
            for c in spec["containers"] + spec.get("initContainers", []):
                for e in c.get("env", []):
                    ref = e.get("valueFrom", {}).get("secretKeyRef")
                    if ref:
                        used.append((ref["name"], ref["key"]))
        for name, key in used:
            assert name in secrets, (overlay, name)
            if key:
                assert key in secrets[name]["data"], (overlay, name, key)
        assert not wanted[overlay] - {n.rsplit("-", 1)[0] for n, _ in used}, "unused Secret"


def test_every_eigen_variable_is_read_by_the_service_it_is_given_to(rendered):
    for overlay, objs in rendered.items():
        for name, dep in kinds(objs, "Deployment").items():
            (c,) = dep["spec"]["template"]["spec"]["containers"]
            env = [e["name"] for e in c["env"]]
            assert len(env) == len(set(env)), (overlay, name, "duplicate variables")
            assert not unknown(env, COMPONENTS[name][0]), (overlay, name, unknown(env))


def test_the_scaled_overlay_runs_two_kernels_and_two_driver_managers_on_postgres_and_s3(rendered):
    objs = rendered["scaled"]
    deps = kinds(objs, "Deployment")
    assert deps["kernel"]["spec"]["replicas"] == 2
    assert deps["driver-manager"]["spec"]["replicas"] == 2
    env = {e["name"]: e for e in deps["kernel"]["spec"]["template"]["spec"]["containers"][0]["env"]}
    assert env["EIGEN_KERNEL_STORE_URL"]["value"].startswith("postgresql://")
    assert env["EIGEN_KERNEL_QFS_URL"]["value"].startswith("s3://")
    assert "EIGEN_KERNEL_DRIVER_MANAGER_ADDRESS" not in env
    assert env["EIGEN_KERNEL_DRIVER_MANAGER_ADDRESSES"]["value"] == "dns:driver-manager-pods:50054"
    assert env["EIGEN_KERNEL_TLS_SERVER_NAME"]["value"] == "eigen-internal"  # pods dialled by IP
    assert kinds(objs, "Service")["driver-manager-pods"]["spec"]["clusterIP"] == "None"
    # the system-api spreads its calls over every kernel pod (round_robin), not one ClusterIP
    assert kinds(objs, "Service")["kernel-pods"]["spec"]["clusterIP"] == "None"
    (api,) = deps["system-api"]["spec"]["template"]["spec"]["containers"]
    api_env = {e["name"]: e.get("value") for e in api["env"]}
    assert api_env["EIGEN_SYSTEM_API_KERNEL_ADDRESS"] == "dns:///kernel-pods:50052"
    assert set(kinds(objs, "StatefulSet")) == {"postgres", "minio"}
    embedded = kinds(rendered["embedded"], "Deployment")
    assert embedded["kernel"]["spec"]["strategy"]["type"] == "Recreate"
    (data,) = [
        v for v in embedded["kernel"]["spec"]["template"]["spec"]["volumes"] if v["name"] == "data"
    ]
    assert data == {"name": "data", "persistentVolumeClaim": {"claimName": "kernel-data"}}


def test_each_service_accepts_its_settings(rendered):
    for overlay, objs in rendered.items():
        for name, dep in kinds(objs, "Deployment").items():
            (c,) = dep["spec"]["template"]["spec"]["containers"]
            env = {e["name"]: e["value"] for e in c["env"] if "value" in e}
            settings = settings_from(CLASSES[COMPONENTS[name][0]], env)
            if name == "kernel" and overlay == "scaled":
                assert parse_addresses(settings.driver_manager_addresses) == [
                    "dns:driver-manager-pods:50054"
                ]
