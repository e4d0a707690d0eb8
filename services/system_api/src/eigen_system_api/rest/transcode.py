"""HTTP/JSON ↔ protobuf for the REST gateway (the proto3 JSON mapping, SPEC §15).

- Requests: a ``body: "*"`` route parses its JSON body as the request message; other routes
  build it from the query string (``?states=JOB_STATUS_DONE&states=JOB_STATUS_ERROR``,
  ``?last_event_seq=4``; nested fields as ``a.b``); path variables are set last and win.
  Unknown fields, wrong types and malformed JSON are INVALID_ARGUMENT with a ``BadRequest``
  naming every problem (``body`` or the query parameter), never a guess.
- Responses: ``json_format`` with the proto field names and every field present (enums by
  name, 64-bit integers as strings, timestamps as RFC 3339).
- Errors: the ``google.rpc.Status`` of the error as JSON, under the HTTP status the gRPC code
  maps to (the standard mapping of ``google/rpc/code.proto``); 401 adds
  ``WWW-Authenticate: Bearer``, a ``RetryInfo`` adds ``Retry-After``.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Mapping
from typing import Any

from google.protobuf import descriptor, json_format, message, message_factory

from eigen_common import errors
from eigen_common.errors import Code, FieldViolation
from eigen_common.status import to_status

#: gRPC code → HTTP status (google/rpc/code.proto; grpc-gateway's table).
HTTP_STATUS: dict[Code, int] = {
    Code.OK: 200,
    Code.CANCELLED: 499,
    Code.UNKNOWN: 500,
    Code.INVALID_ARGUMENT: 400,
    Code.DEADLINE_EXCEEDED: 504,
    Code.NOT_FOUND: 404,
    Code.ALREADY_EXISTS: 409,
    Code.PERMISSION_DENIED: 403,
    Code.RESOURCE_EXHAUSTED: 429,
    Code.FAILED_PRECONDITION: 400,
    Code.ABORTED: 409,
    Code.OUT_OF_RANGE: 400,
    Code.UNIMPLEMENTED: 501,
    Code.INTERNAL: 500,
    Code.UNAVAILABLE: 503,
    Code.DATA_LOSS: 500,
    Code.UNAUTHENTICATED: 401,
}
_MAX_DETAIL = 300  # characters of a parser message echoed back
_MAX_DEPTH = 64  # nesting of a JSON body (json_format's own limit is 100)
_FD = descriptor.FieldDescriptor


def _short(text: str) -> str:
    return text if len(text) <= _MAX_DETAIL else text[:_MAX_DETAIL] + "…"


def to_json(msg: message.Message) -> dict[str, Any]:
    """The proto3 JSON object of ``msg`` (proto field names, unset fields included)."""
    return json_format.MessageToDict(
        msg, preserving_proto_field_name=True, always_print_fields_with_no_presence=True
    )


def dumps(obj: Any) -> bytes:
    """Compact UTF-8 JSON (what every REST response body is)."""
    return json.dumps(obj, ensure_ascii=False, allow_nan=False, separators=(",", ":")).encode()


def error_body(err: errors.EigenError) -> tuple[int, dict[str, str], bytes]:
    """HTTP status, extra headers and the ``google.rpc.Status`` JSON body of ``err``."""
    status = to_status(err)
    body = json_format.MessageToDict(status, preserving_proto_field_name=True)
    headers: dict[str, str] = {}
    if err.code is Code.UNAUTHENTICATED:
        headers["WWW-Authenticate"] = 'Bearer realm="eigen"'
    if err.retry_after is not None:
        headers["Retry-After"] = str(max(1, math.ceil(err.retry_after)))
    return HTTP_STATUS.get(err.code, 500), headers, dumps(body)


def _message_class(md: descriptor.Descriptor) -> type[message.Message]:
    return message_factory.GetMessageClass(md)


def _json_object(body: bytes) -> dict[str, Any]:
    if not body.strip():
        return {}
    try:
        data = json.loads(body)
    except (ValueError, RecursionError) as exc:
        msg = str(exc) if isinstance(exc, ValueError) else "nested too deeply"
        bad = FieldViolation("body", f"not valid JSON: {_short(msg)}")
        raise errors.ValidationError([bad]) from None
    if not isinstance(data, dict):
        raise errors.ValidationError([FieldViolation("body", "must be a JSON object")])
    return data


def _field(md: descriptor.Descriptor, name: str) -> _FD | None:
    fd = md.fields_by_name.get(name)
    if fd is None:
        fd = next((f for f in md.fields if f.json_name == name), None)
    return fd


def _query_value(fd: _FD, raw: str) -> Any:
    if fd.type == _FD.TYPE_BOOL:
        low = raw.strip().lower()
        if low in ("true", "1"):
            return True
        if low in ("false", "0"):
            return False
        raise ValueError("expected true or false")
    return raw  # json_format converts numbers, enums (name or number) and bytes from strings


def query_object(
    md: descriptor.Descriptor, query: Iterable[tuple[str, str]], skip: Iterable[str] = ()
) -> dict[str, Any]:
    """The JSON object the query parameters describe (``a.b=1`` → ``{"a": {"b": "1"}}``).

    Raises:
        ValidationError: every unknown, duplicated, non-scalar or ill-typed parameter.
    """
    out: dict[str, Any] = {}
    bad: list[FieldViolation] = []
    skipped = set(skip)
    for key, raw in query:
        if key in skipped:
            bad.append(FieldViolation(key, "is set by the path"))
            continue
        parts, cur_md, node = key.split("."), md, out
        for i, part in enumerate(parts):
            fd = _field(cur_md, part)
            if fd is None:
                bad.append(FieldViolation(key, "no such field"))
                break
            last = i == len(parts) - 1
            is_msg = fd.type == _FD.TYPE_MESSAGE
            if not last:
                if not is_msg or fd.is_repeated:
                    bad.append(FieldViolation(key, f"{part} is not a message field"))
                    break
                node = node.setdefault(fd.name, {})
                cur_md = fd.message_type  # type: ignore[assignment]  # set: TYPE_MESSAGE
                continue
            if is_msg:
                bad.append(FieldViolation(key, "a message or map cannot be set in the query"))
                break
            try:
                value = _query_value(fd, raw)
            except ValueError as exc:
                bad.append(FieldViolation(key, str(exc)))
                break
            if fd.is_repeated:
                node.setdefault(fd.name, []).append(value)
            elif fd.name in node:
                bad.append(FieldViolation(key, "given more than once"))
            else:
                node[fd.name] = value
    if bad:
        raise errors.ValidationError(bad)
    return out


def build_request(
    md: descriptor.Descriptor,
    *,
    body_is_request: bool,
    path: Mapping[str, str],
    query: Iterable[tuple[str, str]],
    body: bytes,
) -> message.Message:
    """The request message of one HTTP call.

    Args:
        md: the request message type.
        body_is_request: ``body: "*"`` (JSON body) rather than query parameters.
        path: path variables (percent-decoded), set last.
        query: query parameters in order (repeated keys allowed).
        body: the raw request body.

    Raises:
        ValidationError: malformed JSON, unknown fields, wrong types, a body where none is
            taken or query parameters where the body is the request.
    """
    pairs = list(query)
    if body_is_request:
        if pairs:
            raise errors.ValidationError(
                [FieldViolation(k, "put request fields in the JSON body") for k, _ in pairs]
            )
        data = _json_object(body)
        where = "body"
    else:
        if body.strip():
            raise errors.ValidationError([FieldViolation("body", "this route takes no body")])
        data = query_object(md, pairs, skip=path)
        where = "query"
    for name, value in path.items():
        data.pop(md.fields_by_name[name].json_name, None)  # the path wins over the body
        data[name] = value
    msg = _message_class(md)()
    try:
        json_format.ParseDict(data, msg, max_recursion_depth=_MAX_DEPTH)
    except (json_format.ParseError, RecursionError) as exc:
        raise errors.ValidationError([FieldViolation(where, _short(str(exc)))]) from None
    return msg
