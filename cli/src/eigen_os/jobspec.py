"""``job.yaml`` (SPEC §4) → validated :class:`JobSpec` → ``eigen.api.v1.SubmitJobRequest``.

A job file looks like::

    apiVersion: eigen.os/v0.1
    kind: QuantumJob
    metadata:
      name: bell
    spec:
      program_path: program.eigen.py   # or `program: |` with the source inline
      target: sim:local
      shots: 1024
      seed: 1234

Parsing is defensive (SPEC §11): the file is capped at :data:`MAX_JOBSPEC_BYTES` before YAML
sees it, YAML aliases (the "billion laughs" vector) and deep nesting are refused by the loader,
``program_path`` is checked (no absolute paths, no ``..``, no symlink escape) before any program
file is opened, and every violation is collected and raised at once as :class:`JobSpecError`
with its field path (``spec.shots: must be ≥ 1``). An unknown key is an error too, named with
the closest valid key (``spec.shot: unknown key; did you mean 'shots'?``), so a typo never runs
a job with defaults; free-form data goes into ``spec.metadata`` (a string map returned with the
job) or under a key starting with ``x-`` (ignored, at any level).

Option precedence is CLI flags > job.yaml > the program's decorator defaults. The CLI applies its
flags with :class:`Overrides`; options that neither set (e.g. ``shots``) stay unset in the
request so that the compiler can apply the decorator's value (the server's default is 1024).
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath, PureWindowsPath
from typing import Annotated, Any, Literal, cast

import yaml
from pydantic import BaseModel, ConfigDict, Field, Strict, ValidationError, model_validator
from pydantic_core import ErrorDetails

from eigen.api.v1 import common_pb2, compilation_pb2, job_pb2
from eigen_common.errors import FieldViolation
from eigen_common.errors import ValidationError as EigenValidationError

API_VERSION = "eigen.os/v0.1"
KIND = "QuantumJob"
NAME_PATTERN = r"^[a-zA-Z0-9._-]{1,128}$"
DEFAULT_PROGRAM_PATH = "program.eigen.py"
#: Shots the server uses when neither the CLI, the job.yaml nor the program's decorator sets them.
DEFAULT_SHOTS = 1024
DEFAULT_PRIORITY = 50
#: job.yaml files larger than this are refused before parsing (bytes).
MAX_JOBSPEC_BYTES = 1024 * 1024
#: Program files larger than this are refused before reading (bytes); the server's own limit
#: (256 KiB for Eigen-Lang) is stricter and reported by the server.
MAX_PROGRAM_BYTES = 1024 * 1024
#: Deepest YAML nesting accepted (mappings/sequences inside each other).
MAX_YAML_DEPTH = 32

_INT32_MAX = 2**31 - 1
_INT64_MAX = 2**63 - 1

Language = Literal["eigen-lang", "qasm2", "qasm3"]
LANGUAGES: tuple[str, ...] = ("eigen-lang", "qasm2", "qasm3")

JobName = Annotated[str, Strict(), Field(pattern=NAME_PATTERN)]
Target = Annotated[str, Strict(), Field(min_length=1, max_length=256)]
Shots = Annotated[int, Strict(), Field(ge=1, le=_INT32_MAX)]
Seed = Annotated[int, Strict(), Field(ge=0, le=_INT64_MAX)]
Priority = Annotated[int, Strict(), Field(ge=0, le=100)]
Number = Annotated[float, Strict(), Field(allow_inf_nan=False)]
TimeoutSeconds = Annotated[float, Strict(), Field(gt=0, allow_inf_nan=False)]
NonEmptyStr = Annotated[str, Strict(), Field(min_length=1)]
StrMap = dict[Annotated[str, Strict()], Annotated[str, Strict()]]
InputMap = dict[Annotated[str, Strict(), Field(min_length=1)], Number]
#: Final simulator state kept as ``state.npy`` (``SubmitJobRequest.save_state``); "" = none.
SaveState = Literal["", "statevector", "density_matrix", "matrix_product_state"]


class JobSpecError(EigenValidationError):
    """The job description is invalid; ``violations`` lists every problem with its field path.

    A ``ValidationError`` (INVALID_ARGUMENT), so the CLI maps it like a server-side validation
    failure (exit code 2). ``source`` names the file (or ``<job>``).
    """

    def __init__(self, violations: Iterable[FieldViolation], source: str = "job.yaml") -> None:
        vs = list(violations)
        self.source = source
        lines = "\n".join(f"  {v.field}: {v.description}" for v in vs)
        super().__init__(vs, f"{source} is invalid ({len(vs)} problem(s)):\n{lines}")


def _scalar_to_str(value: Any) -> Any:
    """YAML scalar → str (``true`` → ``"true"``, ``1`` → ``"1"``); other values pass through."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    return value


def _stringify_map(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {_scalar_to_str(k): _scalar_to_str(v) for k, v in value.items()}
    return value


class _StrMapsModel(BaseModel):
    """Base of the models with ``compiler_options`` and ``metadata`` string maps.

    YAML scalars in those maps are turned into strings before validation (``1`` → ``"1"``).
    """

    @model_validator(mode="before")
    @classmethod
    def _coerce_maps(cls, data: Any) -> Any:
        if isinstance(data, dict):
            data = dict(data)
            for key in ("compiler_options", "metadata"):
                if key in data:
                    data[key] = _stringify_map(data[key])
        return data


_ProgramRequest = (
    job_pb2.SubmitJobRequest
    | compilation_pb2.CompileCircuitRequest
    | compilation_pb2.ValidateCircuitRequest
)


def _set_program(
    req: _ProgramRequest, program: common_pb2.EigenLangSource | common_pb2.QasmSource
) -> None:
    """Put ``program`` into the ``program`` oneof of ``req`` (``eigen_lang`` or ``qasm``)."""
    if isinstance(program, common_pb2.EigenLangSource):
        req.eigen_lang.CopyFrom(program)
    else:
        req.qasm.CopyFrom(program)


def validate_request_from_compile(
    c: compilation_pb2.CompileCircuitRequest,
) -> compilation_pb2.ValidateCircuitRequest:
    """Build the ``ValidateCircuitRequest`` for a ``CompileCircuitRequest``.

    Program, target and compiler options carry over; ``inputs`` are not part of validation.
    """
    req = compilation_pb2.ValidateCircuitRequest(target=c.target, options=c.options)
    _set_program(req, c.eigen_lang if c.HasField("eigen_lang") else c.qasm)
    return req


class JobSpec(_StrMapsModel):
    """A validated, self-contained job: what :meth:`to_submit_request` sends.

    Attributes:
        name: job name matching :data:`NAME_PATTERN`.
        program: program source text (UTF-8).
        language: ``eigen-lang``, ``qasm2`` or ``qasm3``.
        entrypoint: ``@hybrid_program`` function name; empty = the only one.
        target: target name (``sim:local``) or device id.
        shots: shots per circuit, 1..2^31-1; ``None`` = decorator default, else 1024.
        seed: simulator seed, 0..2^63-1; ``None`` = random.
        priority: scheduling priority 0..100.
        compiler_options: compiler options as strings (``optimization_level: "1"``).
        inputs: parameter bindings, name → finite number.
        metadata: free-form user metadata (strings).
        dependencies: ids of jobs that must be DONE first.
        timeout_seconds: wall-clock limit in seconds (> 0); ``None`` = none.
        reservation_id: run in this reservation's slot (``eigen reserve``); empty = none.
        save_state: keep the simulator's final state as the ``state.npy`` artifact (QFS level
            2): ``statevector``, ``density_matrix`` or ``matrix_product_state``; empty = none.
        program_path: where the source came from (informational, relative to the job.yaml).

    Raises:
        pydantic.ValidationError: on construction with invalid values.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: JobName
    program: Annotated[str, Strict()]
    language: Language = "eigen-lang"
    entrypoint: Annotated[str, Strict()] = ""
    target: Target
    shots: Shots | None = None
    seed: Seed | None = None
    priority: Priority = DEFAULT_PRIORITY
    compiler_options: StrMap = Field(default_factory=dict)
    inputs: InputMap = Field(default_factory=dict)
    metadata: StrMap = Field(default_factory=dict)
    dependencies: list[NonEmptyStr] = Field(default_factory=list)
    timeout_seconds: TimeoutSeconds | None = None
    reservation_id: Annotated[str, Strict(), Field(max_length=128)] = ""
    save_state: SaveState = ""
    program_path: str | None = None

    @property
    def effective_shots(self) -> int:
        """Shots as far as the client knows (the decorator may still override an unset value)."""
        return self.shots if self.shots is not None else DEFAULT_SHOTS

    def program_message(self) -> common_pb2.EigenLangSource | common_pb2.QasmSource:
        """Return the ``EigenLangSource`` or ``QasmSource`` message for the program."""
        if self.language == "eigen-lang":
            return common_pb2.EigenLangSource(source=self.program, entrypoint=self.entrypoint)
        return common_pb2.QasmSource(source=self.program, version=self.language[-1])

    def to_submit_request(
        self, *, idempotency_key: str = "", reservation_id: str = ""
    ) -> job_pb2.SubmitJobRequest:
        """Build the ``eigen.api.v1.SubmitJobRequest``; unset optional fields stay unset.

        ``reservation_id`` (when given) wins over the spec's.
        """
        req = job_pb2.SubmitJobRequest(
            name=self.name,
            target=self.target,
            priority=self.priority,
            compiler_options=self.compiler_options,
            metadata=self.metadata,
            dependencies=self.dependencies,
            inputs=self.inputs,
            idempotency_key=idempotency_key,
            reservation_id=reservation_id or self.reservation_id,
        )
        _set_program(req, self.program_message())
        if self.shots is not None:
            req.shots = self.shots
        if self.seed is not None:
            req.seed = self.seed
        if self.timeout_seconds is not None:
            req.timeout_seconds = self.timeout_seconds
        if self.save_state:
            req.save_state = cast(
                job_pb2.SavedState,
                job_pb2.SavedState.Value(f"SAVED_STATE_{self.save_state.upper()}"),
            )
        return req

    def to_compile_request(self) -> compilation_pb2.CompileCircuitRequest:
        """Build the ``CompileCircuitRequest`` (program, target, compiler options, inputs)."""
        req = compilation_pb2.CompileCircuitRequest(
            target=self.target, options=self.compiler_options, inputs=self.inputs
        )
        _set_program(req, self.program_message())
        return req

    def to_validate_request(self) -> compilation_pb2.ValidateCircuitRequest:
        """Build the ``ValidateCircuitRequest`` (program, target, compiler options)."""
        return validate_request_from_compile(self.to_compile_request())


@dataclass(frozen=True)
class Overrides:
    """Values given on the command line; they win over the job.yaml (``None`` = not given)."""

    name: str | None = None
    target: str | None = None
    shots: int | None = None
    seed: int | None = None
    priority: int | None = None


@dataclass(frozen=True)
class ParsedJob:
    """Result of :func:`load_jobspec` / :func:`parse_jobspec`: the spec and non-fatal warnings."""

    spec: JobSpec
    warnings: list[str] = field(default_factory=list)


# --- the YAML document as written (structure + constraints; cross-field rules are below) ----


class _DocModel(BaseModel):
    model_config = ConfigDict(extra="ignore")


class _MetadataDoc(_DocModel):
    name: JobName


class _SpecDoc(_DocModel, _StrMapsModel):
    program: Annotated[str, Strict()] | None = None
    program_path: Annotated[str, Strict()] | None = None
    language: Language | None = None
    entrypoint: Annotated[str, Strict()] | None = None
    target: Target
    shots: Shots | None = None
    seed: Seed | None = None
    priority: Priority = DEFAULT_PRIORITY
    compiler_options: StrMap = Field(default_factory=dict)
    inputs: InputMap = Field(default_factory=dict)
    metadata: StrMap = Field(default_factory=dict)
    dependencies: list[NonEmptyStr] = Field(default_factory=list)
    timeout_seconds: TimeoutSeconds | None = None
    reservation_id: Annotated[str, Strict(), Field(min_length=1, max_length=128)] | None = None
    save_state: SaveState = ""


class _JobDoc(_DocModel):
    apiVersion: Literal["eigen.os/v0.1"]
    kind: Literal["QuantumJob"]
    metadata: _MetadataDoc
    spec: _SpecDoc


_KNOWN_KEYS: dict[str, set[str]] = {
    "": set(_JobDoc.model_fields),
    "metadata": set(_MetadataDoc.model_fields),
    "spec": set(_SpecDoc.model_fields),
}


# --- YAML loading with bomb protection ------------------------------------------------------


class _GuardedLoader(yaml.SafeLoader):
    """``SafeLoader`` that refuses aliases, deep nesting and duplicate mapping keys."""

    _depth = 0

    def compose_node(self, parent: yaml.Node | None, index: Any) -> yaml.Node | None:
        if self.check_event(yaml.AliasEvent):
            event = self.peek_event()
            raise yaml.composer.ComposerError(
                None, None, "YAML aliases (*name) are not allowed in job files", event.start_mark
            )
        self._depth += 1
        try:
            if self._depth > MAX_YAML_DEPTH:
                event = self.peek_event()
                raise yaml.composer.ComposerError(
                    None, None, f"nesting deeper than {MAX_YAML_DEPTH} levels", event.start_mark
                )
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: set[Any] = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=True)
            try:
                duplicate = key in seen
            except TypeError:
                continue  # unhashable: the base class reports it
            if duplicate:
                raise yaml.constructor.ConstructorError(
                    None, None, f"duplicate key {key!r}", key_node.start_mark
                )
            seen.add(key)
        return super().construct_mapping(node, deep=deep)


def _load_yaml(text: str) -> tuple[Any, list[FieldViolation]]:
    try:
        return yaml.load(text, Loader=_GuardedLoader), []
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = exc.problem or exc.context or "malformed YAML"
        return None, [FieldViolation("$", f"invalid YAML{where}: {problem}")]
    except (yaml.YAMLError, RecursionError) as exc:
        return None, [FieldViolation("$", f"invalid YAML: {type(exc).__name__}")]


# --- error formatting -----------------------------------------------------------------------


def _format_loc(loc: tuple[int | str, ...]) -> str:
    out = ""
    for part in loc:
        if part == "[key]":
            out += " (key)"
        elif isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out or "$"


def _num(x: Any) -> str:
    return f"{x:g}" if isinstance(x, float) else str(x)


def _describe(err: ErrorDetails) -> str:
    ctx = err.get("ctx") or {}
    kind = err["type"]
    if kind == "missing":
        return "is required"
    if kind == "greater_than_equal":
        return f"must be ≥ {_num(ctx['ge'])}"
    if kind == "less_than_equal":
        return f"must be ≤ {_num(ctx['le'])}"
    if kind == "greater_than":
        return f"must be > {_num(ctx['gt'])}"
    if kind == "string_pattern_mismatch":
        return f"must match {ctx['pattern']}"
    if kind == "string_too_short":
        return "must not be empty"
    if kind == "string_too_long":
        return f"must be at most {ctx['max_length']} characters"
    if kind in ("int_type", "int_parsing", "int_from_float"):
        return "must be an integer"
    if kind in ("float_type", "float_parsing"):
        return "must be a number"
    if kind == "finite_number":
        return "must be a finite number"
    if kind == "string_type":
        return "must be a string"
    if kind in ("dict_type", "model_type", "model_attributes_type"):
        return "must be a mapping"
    if kind == "list_type":
        return "must be a list"
    if kind == "literal_error":
        return f"must be {ctx['expected']}"
    return str(err["msg"])


def _pydantic_violations(exc: ValidationError, prefix: str = "") -> list[FieldViolation]:
    out = []
    for err in exc.errors():
        loc = tuple(err["loc"])
        path = _format_loc(loc)
        if prefix:
            path = prefix if path == "$" else f"{prefix}.{path}"
        desc = _describe(err)
        if err["type"] == "string_type" and loc[1:2] in (("compiler_options",), ("metadata",)):
            desc = "must be a string, number or boolean"
        out.append(FieldViolation(path, desc))
    return out


# --- cross-field rules ----------------------------------------------------------------------

_QASM_HEADER = re.compile(r"OPENQASM\s+([0-9]+)(?:\.[0-9]+)?\s*;")
_COMMENTS = re.compile(r"//[^\n]*|/\*.*?\*/", re.DOTALL)


def qasm_header_version(source: str) -> str | None:
    """Return the major version of a leading ``OPENQASM x[.y];`` statement, else ``None``.

    Comments and blank lines before the header are skipped; a header anywhere else is ignored.
    """
    text = _COMMENTS.sub("", source[:4096]).lstrip()
    m = _QASM_HEADER.match(text)
    return m.group(1) if m else None


def _program_path_problem(raw: str) -> str | None:
    """Why ``raw`` is not a safe relative path inside the job directory, else ``None``."""
    if raw == "" or raw.strip() == "":
        return "must not be empty"
    if "\x00" in raw:
        return "must not contain NUL characters"
    if (
        PurePosixPath(raw).is_absolute()
        or PureWindowsPath(raw).is_absolute()
        or raw.startswith(("\\", "~"))
        or PureWindowsPath(raw).drive
    ):
        return "must be a relative path (absolute paths are not allowed)"
    if ".." in re.split(r"[\\/]", raw):
        return "must not contain '..' (the program must live in the job's directory)"
    return None


def _read_program(base_dir: Path, raw: str) -> tuple[str | None, FieldViolation | None]:
    """Read ``base_dir/raw`` after checking it stays inside ``base_dir`` (symlinks resolved)."""
    where = "spec.program_path"
    try:
        root = base_dir.resolve()
        target = (root / raw).resolve()
    except (OSError, RuntimeError) as exc:
        return None, FieldViolation(where, f"cannot resolve {raw!r}: {exc.__class__.__name__}")
    if not target.is_relative_to(root):
        return None, FieldViolation(where, f"{raw!r} resolves outside the job directory")
    try:
        st = target.stat()
    except FileNotFoundError:
        return None, FieldViolation(where, f"file {raw!r} not found next to the job file")
    except OSError as exc:
        return None, FieldViolation(where, f"cannot read {raw!r}: {exc.strerror}")
    if not target.is_file():
        return None, FieldViolation(where, f"{raw!r} is not a regular file")
    if st.st_size > MAX_PROGRAM_BYTES:
        return None, FieldViolation(
            where, f"{raw!r} is {st.st_size} bytes; the limit is {MAX_PROGRAM_BYTES}"
        )
    try:
        with target.open("rb") as fh:
            data = fh.read(MAX_PROGRAM_BYTES + 1)
    except OSError as exc:
        return None, FieldViolation(where, f"cannot read {raw!r}: {exc.strerror}")
    if len(data) > MAX_PROGRAM_BYTES:
        return None, FieldViolation(where, f"{raw!r} is larger than {MAX_PROGRAM_BYTES} bytes")
    try:
        return data.decode("utf-8-sig"), None
    except UnicodeDecodeError:
        return None, FieldViolation(where, f"{raw!r} is not valid UTF-8")


#: Keys starting with this are free-form at any level of a job file (ignored).
EXTENSION_PREFIX = "x-"


def _suggestion(key: str, section: str) -> str:
    """``; did you mean 'shots'?`` for a mistyped key, or the valid keys when nothing is close.

    A key that belongs to another section is pointed there (``target`` at the top level →
    ``spec.target``).
    """
    here = sorted(_KNOWN_KEYS[section])
    by_lower = {k.lower(): k for k in here}
    close = difflib.get_close_matches(key.lower(), list(by_lower), n=1, cutoff=0.6)
    if close:
        return f"; did you mean '{by_lower[close[0]]}'?"
    for other, keys in _KNOWN_KEYS.items():
        if other != section and key in keys:
            return f"; did you mean '{other + '.' if other else ''}{key}'?"
    where = f"{section} keys" if section else "top-level keys"
    return (
        f" ({where}: {', '.join(here)}; free-form data goes into spec.metadata or a key "
        f"starting with '{EXTENSION_PREFIX}')"
    )


def _unknown_key_violations(doc: Mapping[Any, Any]) -> list[FieldViolation]:
    """One violation per unknown key of the document, its ``metadata`` and its ``spec``."""
    out: list[FieldViolation] = []
    sections: list[tuple[str, Any]] = [("", doc), ("metadata", doc.get("metadata"))]
    sections.append(("spec", doc.get("spec")))
    for section, mapping in sections:
        if not isinstance(mapping, Mapping):
            continue
        for k in mapping:
            key = str(k)
            if key in _KNOWN_KEYS[section] or key.startswith(EXTENSION_PREFIX):
                continue
            path = f"{section}.{key}" if section else key
            out.append(FieldViolation(path, "unknown key" + _suggestion(key, section)))
    return out


def _apply_overrides(doc: dict[Any, Any], ov: Overrides) -> None:
    if ov.name is not None:
        meta = doc.get("metadata")
        if not isinstance(meta, dict):
            meta = doc["metadata"] = {}
        meta["name"] = ov.name
    spec_over = {
        k: v
        for k, v in (
            ("target", ov.target),
            ("shots", ov.shots),
            ("seed", ov.seed),
            ("priority", ov.priority),
        )
        if v is not None
    }
    if spec_over:
        spec = doc.get("spec")
        if spec is None:
            spec = doc["spec"] = {}
        if isinstance(spec, dict):
            spec.update(spec_over)


def _shots_from_metadata(spec: Mapping[Any, Any]) -> tuple[Any, list[FieldViolation], list[str]]:
    """Apply ``spec.metadata.shots`` when ``spec.shots`` is absent (SPEC §4)."""
    meta = spec.get("metadata")
    if not isinstance(meta, Mapping) or "shots" not in meta:
        return spec.get("shots"), [], []
    raw = meta["shots"]
    value: int | None = None
    if isinstance(raw, int) and not isinstance(raw, bool):
        value = raw
    elif isinstance(raw, str) and raw.strip().isdigit():
        value = int(raw.strip())
    if value is None or not 1 <= value <= _INT32_MAX:
        return (
            spec.get("shots"),
            [FieldViolation("spec.metadata.shots", "must be an integer ≥ 1")],
            [],
        )
    if "shots" in spec:
        if spec["shots"] != value:
            return spec["shots"], [], ["spec.metadata.shots ignored: spec.shots is set"]
        return spec["shots"], [], []
    return value, [], []


def _check_size(data: bytes, source: str) -> None:
    if len(data) > MAX_JOBSPEC_BYTES:
        raise JobSpecError(
            [FieldViolation("$", f"the job file is larger than {MAX_JOBSPEC_BYTES} bytes")], source
        )


def parse_jobspec(
    text: str | bytes,
    base_dir: Path | str = ".",
    *,
    source: str = "job.yaml",
    overrides: Overrides | None = None,
) -> ParsedJob:
    """Parse and validate a job description.

    Args:
        text: the YAML document (at most :data:`MAX_JOBSPEC_BYTES` bytes).
        base_dir: directory that ``spec.program_path`` is relative to.
        source: name used in messages (usually the file path).
        overrides: CLI values that win over the document.

    Returns:
        The validated :class:`JobSpec` (program source loaded) and warnings (e.g. an ignored
        ``spec.metadata.shots``).

    Raises:
        JobSpecError: with every violation and its field path (``spec.shots: must be ≥ 1``,
            ``spec.shot: unknown key; did you mean 'shots'?``).
    """
    raw_bytes = text.encode("utf-8") if isinstance(text, str) else text
    _check_size(raw_bytes, source)
    try:
        decoded = raw_bytes.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise JobSpecError(
            [FieldViolation("$", "the job file is not valid UTF-8")], source
        ) from None
    doc, violations = _load_yaml(decoded)
    if violations:
        raise JobSpecError(violations, source)
    if not isinstance(doc, dict):
        kind = "empty" if doc is None else f"a {type(doc).__name__}"
        raise JobSpecError(
            [FieldViolation("$", f"the job file must be a YAML mapping, got {kind}")], source
        )
    if overrides is not None:
        _apply_overrides(doc, overrides)
    warnings: list[str] = []
    violations += _unknown_key_violations(doc)

    spec_raw = doc.get("spec")
    if isinstance(spec_raw, dict):
        spec_raw = dict(spec_raw)
        shots, shot_violations, shot_warnings = _shots_from_metadata(spec_raw)
        violations += shot_violations
        warnings += shot_warnings
        if shots is not None:
            spec_raw["shots"] = shots
        doc = {**doc, "spec": spec_raw}

    parsed: _JobDoc | None = None
    try:
        parsed = _JobDoc.model_validate(doc)
    except ValidationError as exc:
        violations += _pydantic_violations(exc)

    # Program: inline or from a checked path (checked before anything is opened).
    spec_map: Mapping[Any, Any] = spec_raw if isinstance(spec_raw, Mapping) else {}
    inline = spec_map.get("program")
    path_raw = spec_map.get("program_path")
    source_text: str | None = inline if isinstance(inline, str) else None
    program_path: str | None = None
    if inline is not None and path_raw is not None:
        violations.append(
            FieldViolation("spec.program", "set either spec.program or spec.program_path, not both")
        )
    elif inline is None and isinstance(spec_raw, Mapping):
        if path_raw is None:
            path_raw = DEFAULT_PROGRAM_PATH
        if isinstance(path_raw, str):
            problem = _program_path_problem(path_raw)
            if problem is not None:
                violations.append(FieldViolation("spec.program_path", problem))
            else:
                program_path = path_raw
                source_text, v = _read_program(Path(base_dir), path_raw)
                if v is not None:
                    violations.append(v)
        # a non-string program_path is already reported by the model
    elif isinstance(inline, str) and not inline.strip():
        violations.append(FieldViolation("spec.program", "must not be empty"))

    entry = spec_map.get("entrypoint")
    if isinstance(entry, str) and entry and not entry.isidentifier():
        violations.append(FieldViolation("spec.entrypoint", "must be a Python identifier"))

    # Language: explicit, or inferred from a `.qasm` suffix and the OPENQASM header.
    language: str = "eigen-lang"
    declared = spec_map.get("language")
    if source_text is not None:
        header = qasm_header_version(source_text)
        is_qasm_file = program_path is not None and program_path.lower().endswith(".qasm")
        if declared in LANGUAGES:
            language = str(declared)
            if language == "eigen-lang" and header is not None:
                violations.append(
                    FieldViolation(
                        "spec.language",
                        f"is eigen-lang but the program starts with OPENQASM {header}",
                    )
                )
            elif language != "eigen-lang" and header is not None and header != language[-1]:
                violations.append(
                    FieldViolation(
                        "spec.language",
                        f"is {language} but the program header says OPENQASM {header}",
                    )
                )
        elif declared is None and (is_qasm_file or header is not None):
            if header is None:
                language = "qasm3"  # the version statement is optional in OpenQASM 3 only
            elif header in ("2", "3"):
                language = f"qasm{header}"
            else:
                violations.append(
                    FieldViolation("spec.language", f"OpenQASM {header} is not supported")
                )

    if violations or parsed is None or source_text is None:
        raise JobSpecError(violations, source)

    s = parsed.spec
    spec = JobSpec(
        name=parsed.metadata.name,
        program=source_text,
        language=language,  # type: ignore[arg-type]
        entrypoint=s.entrypoint or "",
        target=s.target,
        shots=s.shots,
        seed=s.seed,
        priority=s.priority,
        compiler_options=s.compiler_options,
        inputs=s.inputs,
        metadata=s.metadata,
        dependencies=s.dependencies,
        timeout_seconds=s.timeout_seconds,
        reservation_id=s.reservation_id or "",
        save_state=s.save_state,
        program_path=program_path,
    )
    return ParsedJob(spec, warnings)


def make_spec(source: str = "job", **fields: Any) -> JobSpec:
    """Build a :class:`JobSpec` from keyword fields, reporting every invalid one at once.

    Raises:
        JobSpecError: invalid fields (``violations`` name them, e.g. ``shots: must be ≥ 1``);
            ``source`` names what they came from in the message.
    """
    try:
        return JobSpec(**fields)
    except ValidationError as exc:
        raise JobSpecError(_pydantic_violations(exc), source) from None


def load_jobspec(path: Path | str, *, overrides: Overrides | None = None) -> ParsedJob:
    """Read ``path`` (at most :data:`MAX_JOBSPEC_BYTES`) and :func:`parse_jobspec` it.

    ``spec.program_path`` is resolved relative to the file's directory.

    Raises:
        JobSpecError: the file cannot be read or is invalid (all violations at once).
    """
    p = Path(path)
    try:
        with p.open("rb") as fh:
            data = fh.read(MAX_JOBSPEC_BYTES + 1)
    except OSError as exc:
        raise JobSpecError(
            [FieldViolation("$", f"cannot read {p}: {exc.strerror or exc}")], str(p)
        ) from None
    _check_size(data, str(p))
    return parse_jobspec(data, p.parent, source=str(p), overrides=overrides)


def program_from_file(path: Path | str, *, language: str | None = None) -> tuple[str, str]:
    """Read a standalone program file and infer its language (for ``eigen compile PROGRAM``).

    Returns:
        ``(source, language)``; the language is ``language`` if given, else ``qasm2``/``qasm3``
        for a ``.qasm`` file or an ``OPENQASM`` header, else ``eigen-lang``.

    Raises:
        JobSpecError: the file cannot be read, is too large, is not UTF-8, or the language is bad.
    """
    p = Path(path)
    src, v = _read_program(p.parent, p.name)
    if v is not None or src is None:
        raise JobSpecError([v] if v else [], str(p))
    header = qasm_header_version(src)
    if language is not None:
        if language not in LANGUAGES:
            raise JobSpecError(
                [FieldViolation("language", f"must be one of {', '.join(LANGUAGES)}")], str(p)
            )
        return src, language
    if header in ("2", "3"):
        return src, f"qasm{header}"
    if p.suffix.lower() == ".qasm":
        return src, "qasm3"
    return src, "eigen-lang"


__all__ = [
    "API_VERSION",
    "DEFAULT_PRIORITY",
    "DEFAULT_PROGRAM_PATH",
    "DEFAULT_SHOTS",
    "EXTENSION_PREFIX",
    "KIND",
    "LANGUAGES",
    "MAX_JOBSPEC_BYTES",
    "MAX_PROGRAM_BYTES",
    "JobSpec",
    "JobSpecError",
    "Overrides",
    "ParsedJob",
    "load_jobspec",
    "make_spec",
    "parse_jobspec",
    "program_from_file",
    "qasm_header_version",
]
