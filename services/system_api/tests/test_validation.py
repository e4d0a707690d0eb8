import math

import pytest

from eigen.api.v1 import admin_pb2, common_pb2, device_pb2, job_pb2
from eigen.common.v1 import circuit_pb2
from eigen_common import errors
from eigen_system_api import validation as v
from eigen_system_api.scrub import scrub, scrub_text

LIMITS = v.Limits(max_program_bytes=1 << 20, max_shots=1000, max_sweep_rows=100)


def ok_request(**kw):
    r = job_pb2.SubmitJobRequest(
        name="bell", target="sim:local", qasm=common_pb2.QasmSource(source="OPENQASM 2.0;")
    )
    for k, val in kw.items():
        setattr(r, k, val)
    return r


def fields_of(exc: pytest.ExceptionInfo[errors.ValidationError]) -> set[str]:
    return {x.field for x in exc.value.violations}


def test_valid_request_passes():
    v.validate_submit(ok_request(shots=10, priority=0), LIMITS)


def test_all_violations_are_reported_at_once():
    r = job_pb2.SubmitJobRequest(name="bad name!", priority=101, shots=0, seed=-1)
    r.inputs["1x"] = float("nan")
    r.dependencies.append("../etc")
    with pytest.raises(errors.ValidationError) as exc:
        v.validate_submit(r, LIMITS)
    fields = fields_of(exc)
    assert {"name", "program", "target", "priority", "shots", "seed", "dependencies[0]"} <= fields
    assert any(f.startswith("inputs[") for f in fields)


def test_empty_program_and_bad_qasm_version():
    r = ok_request()
    r.qasm.source = "   "
    r.qasm.version = "4"
    with pytest.raises(errors.ValidationError) as exc:
        v.validate_submit(r, LIMITS)
    assert fields_of(exc) == {"program.qasm.source", "program.qasm.version"}


def test_oversized_program_is_resource_exhausted():
    r = ok_request()
    r.qasm.source = "x" * 2048
    with pytest.raises(errors.PayloadTooLargeError) as exc:
        v.validate_submit(r, v.Limits(max_program_bytes=1024))
    assert exc.value.code.name == "RESOURCE_EXHAUSTED"


def sweep(params, rows, shape=()):
    return circuit_pb2.ParameterSweep(
        parameters=params,
        bindings=[circuit_pb2.ParameterValues(values=row) for row in rows],
        shape=list(shape),
    )


def test_a_good_sweep_and_estimation_pass():
    r = ok_request(precision=0.01, save_state=job_pb2.SAVED_STATE_STATEVECTOR)
    r.sweep.CopyFrom(sweep(["a", "b"], [[0.1, 0.2], [0.3, 0.4]], shape=(2,)))
    r.observables.append(
        circuit_pb2.Observable(terms=[circuit_pb2.PauliTerm(label="ZZ", coefficient=0.5)])
    )
    v.validate_submit(r, LIMITS)
    assert v.submitted_shots(r) == 2 * 1024


def test_every_new_field_violation_at_once():
    r = ok_request(precision=-1.0, reservation_id="../../etc", save_state=7)
    r.sweep.CopyFrom(sweep(["a", "a", "1b"], [[0.1, 0.2], [math.nan, 1, 2]], shape=(3,)))
    r.observables.extend(
        [
            circuit_pb2.Observable(
                terms=[
                    circuit_pb2.PauliTerm(label="ZZ", coefficient=math.inf),
                    circuit_pb2.PauliTerm(label="ZQ", coefficient=1.0),
                    circuit_pb2.PauliTerm(label="XYZ", coefficient=1.0),
                ]
            ),
            circuit_pb2.Observable(),
        ]
    )
    with pytest.raises(errors.ValidationError) as exc:
        v.validate_submit(r, LIMITS)
    assert fields_of(exc) == {
        "precision",
        "reservation_id",
        "save_state",
        "sweep.parameters",
        "sweep.parameters[2]",
        "sweep.bindings[0]",
        "sweep.bindings[1]",
        "sweep.shape",
        "observables[0].terms[0].coefficient",
        "observables[0].terms[1].label",
        "observables",
        "observables[1].terms",
    }


def test_sweep_row_limit_stops_before_walking_the_table():
    r = ok_request()
    r.sweep.CopyFrom(sweep(["a"], [[0.0]] * 101))
    with pytest.raises(errors.ValidationError) as exc:
        v.validate_submit(r, LIMITS)
    assert fields_of(exc) == {"sweep.bindings"}


def test_observable_term_limit():
    r = ok_request()
    r.observables.append(
        circuit_pb2.Observable(terms=[circuit_pb2.PauliTerm(label="Z", coefficient=1)] * 11)
    )
    with pytest.raises(errors.ValidationError) as exc:
        v.validate_submit(r, v.Limits(max_observable_terms=10))
    assert fields_of(exc) == {"observables"}


@pytest.mark.parametrize(
    "name",
    [
        "results.json",
        "state.npy",
        "history-1.json",
        "input/job.yaml",  # nested names the kernel lists as artifacts
        "qfs://jobs/abc_1/results.json",
    ],
)
def test_artifact_names_accepted(name):
    v.get_artifact(job_pb2.GetJobArtifactRequest(job_id="j1", name=name), LIMITS)


@pytest.mark.parametrize(
    "name",
    [
        "",
        "../jobs.db",
        "..",
        ".hidden",
        "/etc/passwd",
        "qfs://jobs/../../etc/passwd",
        "qfs://jobs//x",
        "qfs://jobs/./x",
        "results.json\x00",
        "a\\..\\b",
        "x" * 200,
    ],
)
def test_artifact_names_that_could_leave_the_job_are_rejected(name):
    with pytest.raises(errors.ValidationError) as exc:
        v.get_artifact(job_pb2.GetJobArtifactRequest(job_id="j1", name=name), LIMITS)
    assert fields_of(exc) == {"name"}


def test_reservation_and_admin_validators():
    v.reservation_id(device_pb2.CancelReservationRequest(reservation_id="rsv_01H-x"), LIMITS)
    for bad in ("", "../x", "a b", "x" * 200):
        with pytest.raises(errors.ValidationError):
            v.reservation_id(device_pb2.CancelReservationRequest(reservation_id=bad), LIMITS)
    with pytest.raises(errors.ValidationError) as exc:
        v.create_api_key(
            admin_pb2.CreateApiKeyRequest(
                tenant="bad tenant", roles=["root"], expires_days=4000, subject="é"
            ),
            LIMITS,
        )
    assert fields_of(exc) == {"tenant", "roles[0]", "expires_days", "subject"}
    with pytest.raises(errors.ValidationError) as exc:
        v.create_api_key(admin_pb2.CreateApiKeyRequest(tenant="t"), LIMITS)
    assert fields_of(exc) == {"roles"}
    with pytest.raises(errors.ValidationError):
        v.revoke_api_key(admin_pb2.RevokeApiKeyRequest(key_id="../../x"), LIMITS)
    with pytest.raises(errors.ValidationError):
        v.collect_garbage(admin_pb2.CollectGarbageRequest(older_than_seconds=math.nan), LIMITS)


@pytest.mark.parametrize(
    ("text", "leak"),
    [
        (
            "failed to connect to all addresses; last error: UNKNOWN: "
            "ipv4:127.0.0.1:50052: Failed to connect to remote host: Connection refused",
            "127.0.0.1",
        ),
        ("peer ipv6:[::1]:50052 went away", "::1"),
        ("kernel at kernel.internal:50052 is down", "kernel.internal"),
        ("unix:/run/eigen/kernel.sock: no such file", "/run/eigen"),
        ("[Errno 28] No space left: '/home/u/.eigen/kernel/qfs/jobs/a/r.json'", "/home/u"),
        ("10.1.2.3 refused", "10.1.2.3"),
    ],
)
def test_scrub_removes_addresses_and_paths(text, leak):
    out = scrub_text(text)
    assert leak not in out, out


def test_scrub_keeps_public_text():
    for text in ("see qfs://jobs/abc/results.json", "must be in 1..86400", "ratio 0.5/1.0"):
        assert scrub_text(text) == text


def test_scrub_covers_metadata_violations_and_diagnostics():
    err = errors.ValidationError([errors.FieldViolation("x", "bad at /srv/eigen/qfs/x")])
    err.metadata["where"] = "localhost:50052"
    err.diagnostics = [errors.Diagnostic("r", "read /usr/lib/qelib1.inc", hint="10.0.0.1:1")]
    scrub(err)
    blob = repr((err.message, err.metadata, err.violations, err.diagnostics))
    for leak in ("/srv/eigen", "localhost:50052", "/usr/lib", "10.0.0.1"):
        assert leak not in blob


def test_artifact_names_may_be_nested_but_never_traverse() -> None:
    from eigen_system_api.validation import artifact_name_ok

    for ok in ("results.json", "input/job.yaml", "input/program.qasm", "qfs://jobs/j1/state.npy"):
        assert artifact_name_ok(ok), ok
    for bad in ("", "../x", "input/../../etc", "/etc/passwd", "a//b", "input/..", "qfs://../x"):
        assert not artifact_name_ok(bad), bad
