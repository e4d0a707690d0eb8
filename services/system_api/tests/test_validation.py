import hashlib
import json

import pytest

from eigen.api.v1 import common_pb2, job_pb2
from eigen_common import errors
from eigen_system_api.auth import ApiKeyAuthenticator
from eigen_system_api.validation import validate_submit


def ok_request(**kw):
    r = job_pb2.SubmitJobRequest(
        name="bell", target="sim:local", qasm=common_pb2.QasmSource(source="OPENQASM 2.0;")
    )
    for k, v in kw.items():
        setattr(r, k, v)
    return r


def test_valid_request_passes():
    validate_submit(ok_request(shots=10, priority=0), 1 << 20, 1000)


def test_all_violations_are_reported_at_once():
    r = job_pb2.SubmitJobRequest(name="bad name!", priority=101, shots=0, seed=-1)
    r.inputs["1x"] = float("nan")
    r.dependencies.append("../etc")
    with pytest.raises(errors.ValidationError) as exc:
        validate_submit(r, 1 << 20, 1000)
    fields = {v.field for v in exc.value.violations}
    assert {"name", "program", "target", "priority", "shots", "seed", "dependencies[0]"} <= fields
    assert any(f.startswith("inputs[") for f in fields)


def test_empty_program_and_bad_qasm_version():
    r = ok_request()
    r.qasm.source = "   "
    r.qasm.version = "4"
    with pytest.raises(errors.ValidationError) as exc:
        validate_submit(r, 1 << 20, 1000)
    assert {v.field for v in exc.value.violations} == {
        "program.qasm.source",
        "program.qasm.version",
    }


def test_oversized_program_is_resource_exhausted():
    r = ok_request()
    r.qasm.source = "x" * 2048
    with pytest.raises(errors.PayloadTooLargeError) as exc:
        validate_submit(r, 1024, 1000)
    assert exc.value.code.name == "RESOURCE_EXHAUSTED"


def test_api_keys_roles(tmp_path):
    f = tmp_path / "keys.json"
    keys = [
        {
            "sha256": hashlib.sha256(b"admin-tok").hexdigest(),
            "subject": "a",
            "roles": ["admin"],
            "tenant": "t1",
        },
        {
            "sha256": hashlib.sha256(b"ro-tok").hexdigest(),
            "subject": "r",
            "roles": ["readonly"],
            "tenant": "t1",
        },
    ]
    f.write_text(json.dumps({"keys": keys}))
    auth = ApiKeyAuthenticator.from_file(f)
    ctx = auth.authenticate([("authorization", "Bearer admin-tok")], "jobs:submit")
    assert (ctx.subject, ctx.tenant, ctx.roles) == ("a", "t1", ("admin",))
    assert auth.authenticate([("authorization", "bearer ro-tok")], "jobs:read").subject == "r"
    with pytest.raises(errors.PermissionDeniedError):
        auth.authenticate([("authorization", "Bearer ro-tok")], "jobs:submit")
    with pytest.raises(errors.UnauthenticatedError):
        auth.authenticate([("authorization", "Bearer nope")], "jobs:read")
    with pytest.raises(errors.UnauthenticatedError):
        auth.authenticate([], "jobs:read")
