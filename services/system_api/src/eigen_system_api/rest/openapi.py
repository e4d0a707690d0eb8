"""The OpenAPI 3.1 document of the REST gateway, generated from the protos (SPEC §15).

Input: a ``FileDescriptorSet`` of ``proto/`` with source info (comments become descriptions);
``services/system_api/scripts/gen_openapi.py`` compiles it with protoc and writes
``eigen_system_api/rest/openapi.json``, which the service serves at ``/openapi.json`` and a test
regenerates and compares. Paths are the ``google.api.http`` annotations of the public RPCs;
schemas follow the proto3 JSON mapping the gateway speaks (proto field names, enums by name,
64-bit integers as strings, ``Timestamp`` as RFC 3339).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from google.api import annotations_pb2
from google.protobuf import descriptor_pb2

F = descriptor_pb2.FieldDescriptorProto
_VAR = re.compile(r"\{([^{}]*)\}")
_VERBS = ("get", "post", "put", "delete", "patch")
_INT32 = {F.TYPE_INT32: "int32", F.TYPE_SINT32: "int32", F.TYPE_SFIXED32: "int32"}
_UINT32 = {F.TYPE_UINT32: "uint32", F.TYPE_FIXED32: "uint32"}
_INT64 = {
    F.TYPE_INT64: "int64",
    F.TYPE_SINT64: "int64",
    F.TYPE_SFIXED64: "int64",
    F.TYPE_UINT64: "uint64",
    F.TYPE_FIXED64: "uint64",
}
_WELL_KNOWN: dict[str, dict[str, Any]] = {
    "google.protobuf.Timestamp": {"type": "string", "format": "date-time"},
    "google.protobuf.Duration": {"type": "string", "pattern": r"^-?\d+(\.\d+)?s$"},
    "google.protobuf.Struct": {"type": "object", "additionalProperties": True},
    "google.protobuf.Value": {},
    "google.protobuf.ListValue": {"type": "array", "items": {}},
    "google.protobuf.Empty": {"type": "object"},
    "google.protobuf.FieldMask": {"type": "string"},
    "google.protobuf.Any": {
        "type": "object",
        "properties": {"@type": {"type": "string"}},
        "required": ["@type"],
        "additionalProperties": True,
    },
}
#: Error details a ``google.rpc.Status`` may carry (SPEC §3.3), documented as components.
ERROR_DETAILS = (
    "google.rpc.ErrorInfo",
    "google.rpc.BadRequest",
    "google.rpc.PreconditionFailure",
    "google.rpc.QuotaFailure",
    "google.rpc.RetryInfo",
    "eigen.api.v1.DiagnosticList",
)
_INFO = {
    "title": "Eigen OS public API",
    "version": "v1",
    "description": (
        "The public API of Eigen OS over HTTP/1.1 + JSON, mapped from the gRPC API "
        "(eigen.api.v1) by its google.api.http annotations. Authenticate with "
        "`Authorization: Bearer <API key or JWT>` (the same credentials as gRPC). Field names "
        "are the proto field names; enums are strings; 64-bit integers are strings. Errors "
        "are google.rpc.Status JSON (ErrorInfo first) under the HTTP status of their gRPC "
        "code. Job events stream as server-sent events."
    ),
}


@dataclass
class _Index:
    """Messages and enums of a descriptor set by full name, with their comments."""

    messages: dict[str, descriptor_pb2.DescriptorProto] = field(default_factory=dict)
    enums: dict[str, descriptor_pb2.EnumDescriptorProto] = field(default_factory=dict)
    comments: dict[tuple[str, ...], str] = field(default_factory=dict)

    def doc(self, *key: str) -> str:
        return self.comments.get(tuple(key), "")


def _comment_map(fd: descriptor_pb2.FileDescriptorProto) -> dict[tuple[int, ...], str]:
    out = {}
    for loc in fd.source_code_info.location:
        text = loc.leading_comments.strip()
        if text:
            out[tuple(loc.path)] = " ".join(line.strip() for line in text.splitlines())
    return out


def _index(files: Iterable[descriptor_pb2.FileDescriptorProto]) -> _Index:
    ix = _Index()

    def enum(
        e: descriptor_pb2.EnumDescriptorProto,
        name: str,
        path: tuple[int, ...],
        c: dict[tuple[int, ...], str],
    ) -> None:
        ix.enums[name] = e
        ix.comments[(name,)] = c.get(path, "")
        for i, v in enumerate(e.value):
            ix.comments[(name, v.name)] = c.get((*path, 2, i), "")

    def message(
        m: descriptor_pb2.DescriptorProto,
        name: str,
        path: tuple[int, ...],
        c: dict[tuple[int, ...], str],
    ) -> None:
        ix.messages[name] = m
        ix.comments[(name,)] = c.get(path, "")
        for i, f in enumerate(m.field):
            ix.comments[(name, f.name)] = c.get((*path, 2, i), "")
        for i, n in enumerate(m.nested_type):
            message(n, f"{name}.{n.name}", (*path, 3, i), c)
        for i, e in enumerate(m.enum_type):
            enum(e, f"{name}.{e.name}", (*path, 4, i), c)

    for fd in files:
        c = _comment_map(fd)
        pkg = f"{fd.package}." if fd.package else ""
        for i, m in enumerate(fd.message_type):
            message(m, pkg + m.name, (4, i), c)
        for i, e in enumerate(fd.enum_type):
            enum(e, pkg + e.name, (5, i), c)
        for i, s in enumerate(fd.service):
            ix.comments[(pkg + s.name,)] = c.get((6, i), "")
            for j, meth in enumerate(s.method):
                ix.comments[(pkg + s.name, meth.name)] = c.get((6, i, 2, j), "")
    return ix


class _Schemas:
    """Component schemas, added as operations reference them."""

    def __init__(self, ix: _Index):
        self.ix = ix
        self.out: dict[str, dict[str, Any]] = {}

    def ref(self, type_name: str) -> dict[str, Any]:
        name = type_name.lstrip(".")
        if name in _WELL_KNOWN:
            return dict(_WELL_KNOWN[name])
        if name not in self.out:
            self.out[name] = {}  # placeholder: recursive messages terminate
            self.out[name] = self._enum(name) if name in self.ix.enums else self._message(name)
        return {"$ref": f"#/components/schemas/{name}"}

    def _enum(self, name: str) -> dict[str, Any]:
        values = [v.name for v in self.ix.enums[name].value]
        described = "; ".join(
            f"{v}: {self.ix.doc(name, v)}" for v in values if self.ix.doc(name, v)
        )
        doc = " ".join(x for x in (self.ix.doc(name), described) if x)
        return {"type": "string", "enum": values, **({"description": doc} if doc else {})}

    def field(self, f: descriptor_pb2.FieldDescriptorProto) -> dict[str, Any]:
        """The schema of one field's JSON value."""
        entry = self.ix.messages.get(f.type_name.lstrip(".")) if f.type_name else None
        if entry is not None and entry.options.map_entry:
            return {"type": "object", "additionalProperties": self.field(entry.field[1])}
        one = self._single(f)
        if f.label == F.LABEL_REPEATED:
            return {"type": "array", "items": one}
        return one

    def _single(self, f: descriptor_pb2.FieldDescriptorProto) -> dict[str, Any]:
        t = f.type
        if t in (F.TYPE_MESSAGE, F.TYPE_ENUM):
            return self.ref(f.type_name)
        if t in (F.TYPE_DOUBLE, F.TYPE_FLOAT):
            return {"type": "number", "format": "double" if t == F.TYPE_DOUBLE else "float"}
        if t in _INT32 or t in _UINT32:
            return {"type": "integer", "format": _INT32.get(t) or _UINT32[t]}
        if t in _INT64:
            return {"type": "string", "format": _INT64[t]}
        if t == F.TYPE_BOOL:
            return {"type": "boolean"}
        if t == F.TYPE_BYTES:
            return {"type": "string", "format": "byte"}
        return {"type": "string"}

    def _message(self, name: str) -> dict[str, Any]:
        m = self.ix.messages[name]
        props: dict[str, Any] = {}
        for f in m.field:
            schema = self.field(f)
            doc = self.ix.doc(name, f.name)
            if doc:
                schema = {**schema, "description": doc}  # 3.1: $ref may have siblings
            props[f.name] = schema
        doc = self.ix.doc(name)
        groups: dict[int, list[str]] = {}
        for f in m.field:
            if f.HasField("oneof_index") and not f.proto3_optional:
                groups.setdefault(f.oneof_index, []).append(f.name)
        for i, names in groups.items():
            doc += f" At most one of {', '.join(names)} (oneof {m.oneof_decl[i].name})."
        out: dict[str, Any] = {"type": "object", "properties": props}
        if doc.strip():
            out["description"] = doc.strip()
        return out


def _rules(
    ix: _Index, files: Iterable[descriptor_pb2.FileDescriptorProto], services: Iterable[str]
) -> Iterator[tuple[str, Any, Any]]:
    wanted = list(services)
    by_name = {f"{fd.package}.{s.name}": s for fd in files for s in fd.service}
    for sname in wanted:
        for meth in by_name[sname].method:
            if not meth.options.HasExtension(annotations_pb2.http):
                continue
            rule = meth.options.Extensions[annotations_pb2.http]
            for r in (rule, *rule.additional_bindings):
                yield sname, meth, r


def _operation(
    ix: _Index, schemas: _Schemas, sname: str, meth: Any, rule: Any, template: str
) -> dict[str, Any]:
    short = sname.rsplit(".", 1)[-1]
    in_name = meth.input_type.lstrip(".")
    req = ix.messages[in_name]
    path_fields = _VAR.findall(template)
    params: list[dict[str, Any]] = [
        {
            "name": p,
            "in": "path",
            "required": True,
            "schema": {"type": "string"},
            "description": ix.doc(in_name, p),
        }
        for p in path_fields
    ]
    op: dict[str, Any] = {
        "operationId": f"{short}_{meth.name}",
        "tags": [short],
        "summary": f"{short}.{meth.name}",
        "description": ix.doc(sname, meth.name),
    }
    if rule.body == "*":
        op["requestBody"] = {
            "required": False,
            "content": {"application/json": {"schema": schemas.ref(meth.input_type)}},
            "description": "The request message (fields bound from the path are taken from it).",
        }
    else:
        for f in req.field:
            if f.name in path_fields or f.type == F.TYPE_MESSAGE:
                continue
            params.append(
                {
                    "name": f.name,
                    "in": "query",
                    "required": False,
                    "schema": schemas.field(f),
                    "description": ix.doc(in_name, f.name),
                }
            )
    out_ref = schemas.ref(meth.output_type)
    if not meth.server_streaming:
        ok = {"description": "OK", "content": {"application/json": {"schema": out_ref}}}
    elif meth.output_type.endswith("StreamJobUpdatesResponse"):
        params.append(
            {
                "name": "Last-Event-ID",
                "in": "header",
                "required": False,
                "schema": {"type": "string"},
                "description": "Resume after this event_seq (what EventSource sends).",
            }
        )
        ok = {
            "description": "Server-sent events: one `data:` per message (id: event_seq; "
            "none on heartbeats), ending after the terminal event; an error after the "
            "stream started is one `event: error` with a google.rpc.Status.",
            "content": {"text/event-stream": {"schema": out_ref}},
        }
    else:
        ok = {
            "description": "The bytes, with their media type.",
            "content": {
                "application/octet-stream": {"schema": {"type": "string", "format": "binary"}}
            },
        }
    op["parameters"] = params
    op["responses"] = {
        "200": ok,
        "default": {
            "description": "An error: google.rpc.Status under the HTTP status of its code.",
            "content": {"application/json": {"schema": schemas.ref("google.rpc.Status")}},
        },
    }
    return op


def build_document(
    files: Iterable[descriptor_pb2.FileDescriptorProto], services: Iterable[str]
) -> dict[str, Any]:
    """The OpenAPI document of ``services``' annotated RPCs.

    Args:
        files: the descriptor set of ``proto/`` (with source info, imports included).
        services: full names of the public services, in serving order.

    Raises:
        KeyError: a service or a referenced type is not in ``files``.
    """
    files = list(files)
    ix = _index(files)
    schemas = _Schemas(ix)
    paths: dict[str, dict[str, Any]] = {}
    for sname, meth, rule in _rules(ix, files, services):
        verb = rule.WhichOneof("pattern")
        if verb not in _VERBS:
            continue
        template = getattr(rule, verb)
        paths.setdefault(template, {})[verb] = _operation(ix, schemas, sname, meth, rule, template)
    for name in ERROR_DETAILS:
        schemas.ref(name)
    return {
        "openapi": "3.1.0",
        "info": _INFO,
        "security": [{"bearer": []}],
        "paths": paths,
        "components": {
            "securitySchemes": {
                "bearer": {
                    "type": "http",
                    "scheme": "bearer",
                    "description": "An API key (eig_...) or a JWT.",
                }
            },
            "schemas": dict(sorted(schemas.out.items())),
        },
    }
