"""The Grafana dashboard queries metrics the services really export, from the provisioned source."""

from __future__ import annotations

import json
import re

import yaml
from deploy_support import DEPLOY
from prometheus_client import REGISTRY

GRAFANA = DEPLOY / "grafana"
SERVICES = ("system-api", "kernel", "compiler", "driver-manager")


def exported_series() -> set[str]:
    """Series names in the registry, with the metrics made as each service makes them."""
    import eigen_driver_manager.metrics  # noqa: F401  (module-level metrics)
    import eigen_kernel.metrics  # noqa: F401
    from eigen_common.server import request_metrics
    from eigen_compiler.metrics import CompilerMetrics

    CompilerMetrics.shared()
    for service in SERVICES:
        request_metrics(service)
    names: set[str] = set()
    for family in REGISTRY.collect():
        if family.type == "counter":
            names.add(family.name + "_total")
        elif family.type == "histogram":
            names |= {family.name + s for s in ("_bucket", "_sum", "_count")}
        else:
            names.add(family.name)
    return names


def dashboard() -> dict:
    return json.loads((GRAFANA / "dashboards" / "eigen-os.json").read_text(encoding="utf-8"))


def exprs() -> list[str]:
    return [t["expr"] for p in dashboard()["panels"] for t in p.get("targets", [])]


def test_every_metric_in_the_dashboard_is_exported_by_a_service():
    series = exported_series()
    used = {m for e in exprs() for m in re.findall(r"\beigen_[a-z0-9_]+", e)}
    assert used, "the dashboard queries nothing"
    assert not used - series, f"not exported by any service: {sorted(used - series)}"


def test_the_dashboard_covers_what_issue_12_asks_for():
    text = "\n".join(exprs())
    for needed in (
        "eigen_kernel_job_state_transitions_total",  # throughput and state transitions
        "eigen_kernel_queue_depth",
        "eigen_kernel_stage_duration_seconds_bucket",
        "eigen_api_request_duration_seconds_bucket",  # request latency per service ...
        "eigen_kernel_request_duration_seconds_bucket",
        "eigen_compiler_request_duration_seconds_bucket",
        "eigen_driver_manager_request_duration_seconds_bucket",
        "eigen_api_request_errors_total",  # ... and errors per service
        "eigen_kernel_request_errors_total",
        "eigen_compiler_request_errors_total",
        "eigen_driver_manager_request_errors_total",
        "eigen_driver_requests_total",
    ):
        assert needed in text, needed


def test_panels_use_the_provisioned_data_source_and_the_dashboard_is_provisioned():
    sources = yaml.safe_load(
        (GRAFANA / "provisioning" / "datasources" / "prometheus.yml").read_text(encoding="utf-8")
    )["datasources"]
    (source,) = sources
    assert source["url"] == "http://prometheus:9090" and source["isDefault"]
    for panel in dashboard()["panels"]:
        if panel["type"] == "row":
            continue
        assert panel["datasource"]["uid"] == source["uid"], panel["title"]
        assert panel["targets"], panel["title"]
        for t in panel["targets"]:
            assert t["datasource"]["uid"] == source["uid"]
    providers = yaml.safe_load(
        (GRAFANA / "provisioning" / "dashboards" / "eigen-os.yml").read_text(encoding="utf-8")
    )["providers"]
    assert providers[0]["options"]["path"] == "/etc/grafana/dashboards"
