"""Execution-option allowlists.

Each driver declares which option names it accepts and how a value is checked (seed RFC 0006:
"options/config must be validated to avoid injecting arbitrary code paths"). Values arrive as
strings (proto ``map<string,string>``) and leave parsed.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from eigen_common.errors import FieldViolation, InvalidOptionError


@dataclass(frozen=True)
class OptionSpec:
    """One allowed option.

    Attributes:
        description: what the option does, for error messages and docs.
        accepts: short form of the accepted values (``single|double``, ``int >= 0``).
        parse: converts the string value; raises :class:`ValueError` when it is not acceptable.
    """

    description: str
    accepts: str
    parse: Callable[[str], object]


def choice(description: str, *values: str) -> OptionSpec:
    """An option whose value is one of ``values`` (case-sensitive)."""

    def parse(raw: str) -> object:
        if raw not in values:
            raise ValueError(f"must be one of {'|'.join(values)}")
        return raw

    return OptionSpec(description, "|".join(values), parse)


def boolean(description: str) -> OptionSpec:
    """An option ``true``/``false`` (also ``1``/``0``), parsed to :class:`bool`."""
    table = {"true": True, "1": True, "false": False, "0": False}

    def parse(raw: str) -> object:
        try:
            return table[raw.strip().lower()]
        except KeyError:
            raise ValueError("must be true or false") from None

    return OptionSpec(description, "true|false", parse)


def integer(description: str, minimum: int | None = None, maximum: int | None = None) -> OptionSpec:
    """A decimal integer option within ``[minimum, maximum]`` (either bound may be open)."""
    accepts = _range_text("int", minimum, maximum)

    def parse(raw: str) -> object:
        try:
            value = int(raw.strip(), 10)
        except ValueError:
            raise ValueError(f"must be an integer ({accepts})") from None
        if (minimum is not None and value < minimum) or (maximum is not None and value > maximum):
            raise ValueError(f"must be {accepts}")
        return value

    return OptionSpec(description, accepts, parse)


def number(
    description: str, minimum: float | None = None, maximum: float | None = None
) -> OptionSpec:
    """A finite float option within ``[minimum, maximum]`` (either bound may be open)."""
    accepts = _range_text("float", minimum, maximum)

    def parse(raw: str) -> object:
        try:
            value = float(raw.strip())
        except ValueError:
            raise ValueError(f"must be a number ({accepts})") from None
        if not math.isfinite(value):
            raise ValueError("must be finite")
        if (minimum is not None and value < minimum) or (maximum is not None and value > maximum):
            raise ValueError(f"must be {accepts}")
        return value

    return OptionSpec(description, accepts, parse)


def _range_text(kind: str, lo: float | None, hi: float | None) -> str:
    if lo is not None and hi is not None:
        return f"{kind} in {lo}..{hi}"
    if lo is not None:
        return f"{kind} >= {lo}"
    if hi is not None:
        return f"{kind} <= {hi}"
    return kind


def validate_options(
    specs: Mapping[str, OptionSpec], options: Mapping[str, str], *, device_id: str = ""
) -> dict[str, object]:
    """Check ``options`` against the allowlist ``specs`` and parse every value.

    Args:
        specs: the allowlist (option name → spec).
        options: the request's options (name → string value).
        device_id: for the error message.

    Returns:
        Option name → parsed value, for the options present.

    Raises:
        InvalidOptionError: one :class:`FieldViolation` (``options.<name>``) per unknown option or
            bad value, all at once; the message names the allowed options.
    """
    parsed: dict[str, object] = {}
    violations: list[FieldViolation] = []
    allowed = ", ".join(f"{n} ({s.accepts})" for n, s in sorted(specs.items())) or "none"
    for key in sorted(options):
        spec = specs.get(key)
        if spec is None:
            violations.append(FieldViolation(f"options.{key}", "unknown option"))
            continue
        try:
            parsed[key] = spec.parse(options[key])
        except ValueError as exc:
            violations.append(FieldViolation(f"options.{key}", str(exc)))
    if violations:
        where = f" for device {device_id!r}" if device_id else ""
        problems = "; ".join(f"{v.field}: {v.description}" for v in violations)
        raise InvalidOptionError(
            f"invalid option(s){where}: {problems}. Allowed options: {allowed}",
            violations=violations,
            metadata={"allowed_options": ",".join(sorted(specs))},
        )
    return parsed
