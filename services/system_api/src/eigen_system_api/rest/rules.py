"""The REST bindings of the public API, read from the ``google.api.http`` annotations.

Each public RPC whose method carries an ``HttpRule`` (``proto/eigen/api/v1/*.proto``) is one
:class:`Binding` (plus one per ``additional_bindings``): HTTP verb, path template, which
request fields come from the path and whether the body is the request (``body: "*"``).
Templates use single-segment variables only (``/v1/jobs/{job_id}:cancel``); anything else in
an annotation is refused at start with a clear error rather than served half-right.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from google.api import annotations_pb2, http_pb2
from google.protobuf import descriptor, descriptor_pool

from eigen_system_api.routes import PublicService, Route

_VAR = re.compile(r"\{([^{}]*)\}")
_FIELD = re.compile(r"^[a-z_][a-z0-9_]*$")
_VERBS = ("get", "post", "put", "delete", "patch")


class HttpRuleError(ValueError):
    """An ``google.api.http`` annotation this gateway cannot serve."""


@dataclass(frozen=True)
class Binding:
    """One REST route of one public RPC.

    Attributes:
        service: the public service (``eigen.api.v1.JobService``).
        route: its routing-table row (permission, validator, backend).
        method: the RPC's descriptor (input/output types, streaming).
        verb: HTTP method, upper case (``POST``).
        template: path template with ``{field}`` variables (also Starlette's syntax).
        path_fields: request fields bound from the path, in template order.
        body: ``"*"`` (the JSON body is the request) or ``""`` (fields from the query).
    """

    service: PublicService
    route: Route
    method: descriptor.MethodDescriptor
    verb: str
    template: str
    path_fields: tuple[str, ...]
    body: str

    @property
    def name(self) -> str:
        """``JobService/SubmitJob`` (the audit log's and metrics' name of the RPC)."""
        return f"{self.service.name.rsplit('.', 1)[-1]}/{self.route.rpc}"

    @property
    def streaming(self) -> bool:
        """Server-streaming RPC."""
        return bool(self.method.server_streaming)


def _binding(
    service: PublicService, route: Route, m: descriptor.MethodDescriptor, rule: http_pb2.HttpRule
) -> Binding:
    pattern = rule.WhichOneof("pattern")
    if pattern not in _VERBS:
        raise HttpRuleError(f"{m.full_name}: unsupported HTTP pattern {pattern!r}")
    template = getattr(rule, pattern)
    if rule.body not in ("", "*"):
        raise HttpRuleError(f'{m.full_name}: only body "*" or none is supported')
    if rule.response_body:
        raise HttpRuleError(f"{m.full_name}: response_body is not supported")
    fields = tuple(_VAR.findall(template))
    for f in fields:
        fd = m.input_type.fields_by_name.get(f)
        if not _FIELD.match(f) or fd is None:
            raise HttpRuleError(f"{m.full_name}: path variable {{{f}}} is not a request field")
        if fd.type != descriptor.FieldDescriptor.TYPE_STRING or fd.is_repeated:
            raise HttpRuleError(f"{m.full_name}: path variable {{{f}}} must be a string field")
    if not template.startswith("/") or len(set(fields)) != len(fields):
        raise HttpRuleError(f"{m.full_name}: bad path template {template!r}")
    return Binding(service, route, m, pattern.upper(), template, fields, rule.body)


def bindings(services: Iterable[PublicService]) -> list[Binding]:
    """Every REST binding of ``services``' annotated RPCs, in table order.

    Raises:
        HttpRuleError: an annotation uses a form this gateway does not serve, or two
            bindings share a verb and path.
    """
    pool = descriptor_pool.Default()
    out: list[Binding] = []
    for service in services:
        sd = pool.FindServiceByName(service.name)
        for route in service.routes:
            m = sd.methods_by_name[route.rpc]
            opts = m.GetOptions()
            if not opts.HasExtension(annotations_pb2.http):
                continue
            rule = opts.Extensions[annotations_pb2.http]
            for r in (rule, *rule.additional_bindings):
                out.append(_binding(service, route, m, r))
    seen: set[tuple[str, str]] = set()
    for b in out:
        key = (b.verb, _VAR.sub("{}", b.template))
        if key in seen:
            raise HttpRuleError(f"two RPCs are bound to {b.verb} {b.template}")
        seen.add(key)
    return out
