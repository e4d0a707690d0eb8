from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import pytest

from eigen.api.v1 import job_pb2
from eigen_os import jobspec
from eigen_os.jobspec import JobSpec, JobSpecError, Overrides, load_jobspec, parse_jobspec

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"

BELL = """\
from eigen_lang import QubitRegister, cx, h, hybrid_program, measure_all

@hybrid_program(target="sim:local", shots=1024)
def bell():
    q = QubitRegister(2)
    h(q[0])
    cx(q[0], q[1])
    measure_all(q)
"""


def write_job(tmp_path: Path, text: str, program: str | None = BELL) -> Path:
    if program is not None:
        (tmp_path / "program.eigen.py").write_text(program)
    p = tmp_path / "job.yaml"
    p.write_text(text)
    return p


#: A job document up to its ``spec`` (job name ``x``).
HEAD = "apiVersion: eigen.os/v0.1\nkind: QuantumJob\nmetadata: {name: x}\n"


def fields(err: JobSpecError) -> dict[str, str]:
    return {v.field: v.description for v in err.violations}


def violations(load: Callable[..., object], *args: object) -> dict[str, str]:
    """``{field: description}`` of the JobSpecError that ``load(*args)`` raises."""
    with pytest.raises(JobSpecError) as ei:
        load(*args)
    return fields(ei.value)


def test_valid_job_with_all_fields(tmp_path: Path) -> None:
    p = write_job(
        tmp_path,
        """
apiVersion: eigen.os/v0.1
kind: QuantumJob
metadata:
  name: bell-1
spec:
  target: sim:local
  entrypoint: bell
  shots: 2000
  seed: 7
  priority: 80
  compiler_options:
    optimization_level: 1
    approximate: true
    layout: dense
  inputs: {theta: 0.5, n: 3}
  metadata: {owner: me, run: 4}
  dependencies: [job-a, job-b]
  timeout_seconds: 30
""",
    )
    parsed = load_jobspec(p)
    assert parsed.warnings == []
    s = parsed.spec
    assert s.program == BELL
    assert s.language == "eigen-lang"
    assert s.program_path == "program.eigen.py"
    req = s.to_submit_request(idempotency_key="k1")
    assert req.name == "bell-1"
    assert req.WhichOneof("program") == "eigen_lang"
    assert req.eigen_lang.source == BELL
    assert req.eigen_lang.entrypoint == "bell"
    assert req.target == "sim:local"
    assert req.shots == 2000 and req.seed == 7 and req.priority == 80
    assert dict(req.compiler_options) == {
        "optimization_level": "1",
        "approximate": "true",
        "layout": "dense",
    }
    assert dict(req.inputs) == {"theta": 0.5, "n": 3.0}
    assert dict(req.metadata) == {"owner": "me", "run": "4"}
    assert list(req.dependencies) == ["job-a", "job-b"]
    assert req.timeout_seconds == 30.0
    assert req.idempotency_key == "k1"


def test_defaults_leave_decorator_options_unset(tmp_path: Path) -> None:
    p = write_job(
        tmp_path,
        HEAD + "spec: {target: sim:local}\n",
    )
    s = load_jobspec(p).spec
    req = s.to_submit_request()
    # unset → the program's decorator (or the server default 1024) decides
    assert not req.HasField("shots") and not req.HasField("seed")
    assert not req.HasField("timeout_seconds")
    assert s.effective_shots == jobspec.DEFAULT_SHOTS == 1024
    assert req.priority == 50


def test_metadata_shots_is_accepted(tmp_path: Path) -> None:
    p = write_job(
        tmp_path,
        HEAD + "spec: {target: sim:local, metadata: {shots: 512}}\n",
    )
    assert load_jobspec(p).spec.shots == 512


def test_spec_shots_wins_over_metadata_shots_with_warning(tmp_path: Path) -> None:
    p = write_job(
        tmp_path,
        HEAD + "spec: {target: sim:local, shots: 100, metadata: {shots: 512}}\n",
    )
    parsed = load_jobspec(p)
    assert parsed.spec.shots == 100
    assert any("metadata.shots" in w for w in parsed.warnings)


def test_cli_overrides_win(tmp_path: Path) -> None:
    p = write_job(
        tmp_path,
        HEAD + "spec: {target: sim:local, shots: 100, seed: 1, priority: 10}\n",
    )
    s = load_jobspec(
        p, overrides=Overrides(name="y", target="aer.statevector", shots=7, seed=9, priority=99)
    ).spec
    assert (s.name, s.target, s.shots, s.seed, s.priority) == ("y", "aer.statevector", 7, 9, 99)


def test_override_supplies_missing_target(tmp_path: Path) -> None:
    p = write_job(tmp_path, HEAD)
    with pytest.raises(JobSpecError):
        load_jobspec(p)
    assert load_jobspec(p, overrides=Overrides(target="sim:local")).spec.target == "sim:local"


def test_all_violations_reported_at_once_with_paths(tmp_path: Path) -> None:
    p = write_job(
        tmp_path,
        """
apiVersion: eigen.os/v9
kind: ClassicalJob
metadata:
  name: "bad name!"
spec:
  shots: 0
  seed: -1
  priority: 101
  language: cobol
  entrypoint: "not an identifier"
  compiler_options: {optimization_level: [1, 2]}
  inputs: {theta: abc, phi: .nan}
  metadata: {k: {nested: 1}}
  dependencies: ["", 3]
  timeout_seconds: -5
""",
    )
    with pytest.raises(JobSpecError) as ei:
        load_jobspec(p)
    f = fields(ei.value)
    assert f["apiVersion"] == "must be 'eigen.os/v0.1'"
    assert f["kind"] == "must be 'QuantumJob'"
    assert f["metadata.name"].startswith("must match")
    assert f["spec.target"] == "is required"
    assert f["spec.shots"] == "must be ≥ 1"
    assert f["spec.seed"] == "must be ≥ 0"
    assert f["spec.priority"] == "must be ≤ 100"
    assert f["spec.language"].startswith("must be 'eigen-lang'")
    assert f["spec.entrypoint"] == "must be a Python identifier"
    assert f["spec.compiler_options.optimization_level"] == "must be a string, number or boolean"
    assert f["spec.inputs.theta"] == "must be a number"
    assert f["spec.inputs.phi"] == "must be a finite number"
    assert f["spec.metadata.k"] == "must be a string, number or boolean"
    assert f["spec.dependencies[0]"] == "must not be empty"
    assert f["spec.dependencies[1]"] == "must be a string"
    assert f["spec.timeout_seconds"] == "must be > 0"
    assert len(ei.value.violations) == 16
    # the message lists every violation with its path
    assert "spec.shots: must be ≥ 1" in str(ei.value)
    assert ei.value.code.name == "INVALID_ARGUMENT"


@pytest.mark.parametrize(
    ("program_path", "expected"),
    [
        ("/etc/passwd", "absolute"),
        ("../secret.py", ".."),
        ("sub/../../x.py", ".."),
        ("..\\x.qasm", ".."),
        ("C:\\x.py", "absolute"),
        ("~/x.py", "absolute"),
        ("", "empty"),
    ],
)
def test_unsafe_program_path_rejected_without_reading(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, program_path: str, expected: str
) -> None:
    opened: list[Path] = []
    real = jobspec._read_program

    def spy(base: Path, raw: str) -> object:
        opened.append(base / raw)
        return real(base, raw)

    monkeypatch.setattr(jobspec, "_read_program", spy)
    text = HEAD + f"spec: {{target: sim:local, program_path: {program_path!r}}}\n"
    assert expected in violations(parse_jobspec, text, tmp_path)["spec.program_path"]
    assert opened == []


def test_symlink_escape_rejected(tmp_path: Path) -> None:
    outside = tmp_path / "outside.py"
    outside.write_text(BELL)
    job_dir = tmp_path / "job"
    job_dir.mkdir()
    (job_dir / "link.py").symlink_to(outside)
    p = write_job(
        job_dir,
        HEAD + "spec: {target: sim:local, program_path: link.py}\n",
        program=None,
    )
    assert "outside the job directory" in violations(load_jobspec, p)["spec.program_path"]


def test_missing_program_file_and_other_violations_together(tmp_path: Path) -> None:
    p = write_job(
        tmp_path,
        HEAD + "spec: {target: sim:local, shots: -1}\n",
        program=None,
    )
    f = violations(load_jobspec, p)
    assert "not found" in f["spec.program_path"]
    assert f["spec.shots"] == "must be ≥ 1"


def test_program_and_program_path_are_exclusive(tmp_path: Path) -> None:
    p = write_job(
        tmp_path,
        HEAD + "spec: {target: sim:local, program: 'h(0)', program_path: program.eigen.py}\n",
    )
    assert "not both" in violations(load_jobspec, p)["spec.program"]


def test_inline_program(tmp_path: Path) -> None:
    text = (
        "apiVersion: eigen.os/v0.1\nkind: QuantumJob\nmetadata: {name: inline}\n"
        "spec:\n  target: sim:local\n  program: |\n"
        + "".join(f"    {line}\n" for line in BELL.splitlines())
    )
    s = parse_jobspec(text, tmp_path / "does-not-exist").spec
    assert s.program == BELL
    assert s.program_path is None


QFT_HEADER = '// comment first\nOPENQASM 2.0;\ninclude "qelib1.inc";\nqreg q[1];\nh q[0];\n'


@pytest.mark.parametrize(
    ("filename", "source", "declared", "language"),
    [
        ("c.qasm", QFT_HEADER, None, "qasm2"),
        ("c.qasm", "/* x */ OPENQASM 3.0;\nqubit q;\n", None, "qasm3"),
        ("c.qasm", "qubit q;\nh q;\n", None, "qasm3"),  # the header is optional in QASM 3
        ("c.txt", QFT_HEADER, None, "qasm2"),  # header without the suffix
        ("c.qasm", QFT_HEADER, "qasm2", "qasm2"),
        ("prog.py", BELL, None, "eigen-lang"),
    ],
)
def test_language_inference(
    tmp_path: Path, filename: str, source: str, declared: str | None, language: str
) -> None:
    (tmp_path / filename).write_text(source)
    lang = f"  language: {declared}\n" if declared else ""
    text = (
        "apiVersion: eigen.os/v0.1\nkind: QuantumJob\nmetadata: {name: q}\n"
        f"spec:\n  target: sim:local\n  program_path: {filename}\n{lang}"
    )
    s = parse_jobspec(text, tmp_path).spec
    assert s.language == language
    req = s.to_submit_request()
    if language == "eigen-lang":
        assert req.WhichOneof("program") == "eigen_lang"
    else:
        assert req.WhichOneof("program") == "qasm"
        assert req.qasm.version == language[-1]
        assert req.qasm.source == source


def test_declared_language_conflicting_with_header(tmp_path: Path) -> None:
    (tmp_path / "c.qasm").write_text(QFT_HEADER)
    text = (
        "apiVersion: eigen.os/v0.1\nkind: QuantumJob\nmetadata: {name: q}\n"
        "spec: {target: sim:local, program_path: c.qasm, language: qasm3}\n"
    )
    assert "OPENQASM 2" in violations(parse_jobspec, text, tmp_path)["spec.language"]


def test_unknown_keys_are_errors_naming_the_closest_key(tmp_path: Path) -> None:
    """A typo never runs a job with defaults: every unknown key at once, with a suggestion."""
    p = write_job(
        tmp_path,
        "apiVersion: eigen.os/v0.1\nkind: QuantumJob\nstatus: {}\ntarget: sim:local\n"
        "metadata: {name: x, labels: {a: b}}\n"
        "spec: {target: sim:local, shot: 5, seeed: 3, Priority: 7, name: y, shots: 0}\n",
    )
    with pytest.raises(JobSpecError) as ei:
        load_jobspec(p)
    f = fields(ei.value)
    assert f["spec.shot"] == "unknown key; did you mean 'shots'?"
    assert f["spec.seeed"] == "unknown key; did you mean 'seed'?"
    assert f["spec.Priority"] == "unknown key; did you mean 'priority'?"
    assert f["spec.name"] == "unknown key; did you mean 'metadata.name'?"  # another section's
    assert f["target"] == "unknown key; did you mean 'spec.target'?"
    assert f["status"].startswith("unknown key (top-level keys: apiVersion, kind, metadata, spec;")
    assert "spec.metadata" in f["status"] and "'x-'" in f["status"]
    assert f["metadata.labels"].startswith("unknown key (metadata keys: name;")
    assert f["spec.shots"] == "must be ≥ 1"  # reported together with the other problems
    assert len(f) == 8
    assert "spec.shot: unknown key; did you mean 'shots'?" in str(ei.value)


def test_x_keys_and_spec_metadata_are_free_form(tmp_path: Path) -> None:
    p = write_job(
        tmp_path,
        "apiVersion: eigen.os/v0.1\nkind: QuantumJob\nx-team: {owner: lab}\n"
        "metadata: {name: x, x-labels: {a: b}}\n"
        "spec: {target: sim:local, x-note: anything, metadata: {shot: '5', run: nightly}}\n",
    )
    parsed = load_jobspec(p)
    assert parsed.warnings == []
    assert dict(parsed.spec.metadata) == {"shot": "5", "run": "nightly"}
    assert parsed.spec.shots is None


def test_reservation_id_in_the_job_file(tmp_path: Path) -> None:
    p = write_job(tmp_path, HEAD + "spec: {target: sim:local, reservation_id: r0123}\n")
    spec = load_jobspec(p).spec
    assert spec.reservation_id == "r0123"
    assert spec.to_submit_request().reservation_id == "r0123"
    assert spec.to_submit_request(reservation_id="r9").reservation_id == "r9"  # CLI flag wins
    p = write_job(tmp_path, HEAD + "spec: {target: sim:local, reservation_id: ''}\n")
    assert violations(load_jobspec, p)["spec.reservation_id"] == "must not be empty"


BOMB = """\
a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]
b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]
c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]
d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]
e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]
f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]
g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]
h: &h [*g,*g,*g,*g,*g,*g,*g,*g,*g]
i: &i [*h,*h,*h,*h,*h,*h,*h,*h,*h]
"""


def test_yaml_bomb_rejected_fast(tmp_path: Path) -> None:
    t0 = time.perf_counter()
    with pytest.raises(JobSpecError) as ei:
        parse_jobspec(BOMB, tmp_path)
    assert time.perf_counter() - t0 < 0.5
    assert "aliases" in fields(ei.value)["$"]


def test_deep_nesting_and_size_limit_rejected(tmp_path: Path) -> None:
    assert "nesting" in violations(parse_jobspec, "a: " + "[" * 5000 + "]" * 5000, tmp_path)["$"]
    big = "a: " + "x" * (jobspec.MAX_JOBSPEC_BYTES + 1)
    p = tmp_path / "big.yaml"
    p.write_text(big)
    assert "larger than" in violations(load_jobspec, p)["$"]


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        ("- a\n- b\n", "mapping, got a list"),
        ("", "mapping, got empty"),
        ("just a string", "mapping, got a str"),
        ("a: 1\na: 2\n", "duplicate key"),
        ("a: [1, 2\n", "invalid YAML at line"),
        ("---\na: 1\n---\nb: 2\n", "invalid YAML"),
        ("!!python/object:os.system {}", "invalid YAML"),
    ],
)
def test_bad_documents(tmp_path: Path, text: str, needle: str) -> None:
    assert needle in violations(parse_jobspec, text, tmp_path)["$"]


def test_examples_parse() -> None:
    bell = load_jobspec(EXAMPLES / "bell" / "job.yaml").spec
    assert (bell.target, bell.shots, bell.seed, bell.language) == (
        "sim:local",
        1024,
        1234,
        "eigen-lang",
    )
    assert "@hybrid_program" in bell.program
    qasm = load_jobspec(EXAMPLES / "qasm" / "job.yaml").spec
    assert qasm.language == "qasm2"
    assert qasm.program.lstrip().startswith("// quantum Fourier transform")
    assert qasm.compiler_options == {"optimization_level": "1"}
    assert (EXAMPLES / "qasm" / "QASMBENCH-LICENSE").read_text().count("Battelle") >= 1


def test_jobspec_model_validates_programmatic_use() -> None:
    s = JobSpec(name="sdk", program="OPENQASM 2.0;", language="qasm2", target="sim:local")
    assert s.to_submit_request().qasm.version == "2"
    with pytest.raises(ValueError):
        JobSpec(name="bad name", program="x", target="sim:local")


def test_compile_request_from_spec() -> None:
    s = JobSpec(
        name="c",
        program=BELL,
        target="sim:local",
        compiler_options={"optimization_level": 2},  # type: ignore[dict-item]
        inputs={"t": 1.0},
    )
    c = s.to_compile_request()
    assert c.eigen_lang.source == BELL and c.target == "sim:local"
    assert dict(c.options) == {"optimization_level": "2"} and dict(c.inputs) == {"t": 1.0}
    v = s.to_validate_request()
    assert v.eigen_lang.source == BELL and dict(v.options) == {"optimization_level": "2"}
    assert isinstance(s.to_submit_request(), job_pb2.SubmitJobRequest)
