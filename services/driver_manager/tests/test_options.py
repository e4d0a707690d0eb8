from __future__ import annotations

import pytest

from eigen_common.errors import InvalidOptionError
from eigen_driver_manager.options import boolean, choice, integer, number, validate_options

SPECS = {
    "precision": choice("p", "single", "double"),
    "threads": integer("t", 0, 8),
    "fusion": boolean("f"),
    "threshold": number("x", 0.0, 1.0),
}


def test_parses_values() -> None:
    parsed = validate_options(
        SPECS, {"precision": "single", "threads": "8", "fusion": "FALSE", "threshold": "1e-3"}
    )
    assert parsed == {"precision": "single", "threads": 8, "fusion": False, "threshold": 1e-3}
    assert validate_options(SPECS, {}) == {}


def test_all_violations_reported_at_once_and_allowed_listed() -> None:
    with pytest.raises(InvalidOptionError) as exc:
        validate_options(
            SPECS,
            {"precision": "half", "threads": "9", "fusion": "yes", "threshold": "nan", "evil": "1"},
            device_id="dev",
        )
    err = exc.value
    assert [v.field for v in err.violations] == [
        "options.evil",
        "options.fusion",
        "options.precision",
        "options.threads",
        "options.threshold",
    ]
    assert "dev" in err.message
    for name in SPECS:
        assert name in err.message
    assert err.metadata["allowed_options"] == "fusion,precision,threads,threshold"
    assert err.reason == "INVALID_OPTION"


@pytest.mark.parametrize("raw", ["-1", "1.5", "", "0x3"])
def test_integer_rejects(raw: str) -> None:
    with pytest.raises(ValueError):
        SPECS["threads"].parse(raw)


@pytest.mark.parametrize("raw", ["inf", "-0.1", "2", "abc"])
def test_number_rejects(raw: str) -> None:
    with pytest.raises(ValueError):
        SPECS["threshold"].parse(raw)


def test_no_allowlist_rejects_everything() -> None:
    with pytest.raises(InvalidOptionError, match="Allowed options: none"):
        validate_options({}, {"x": "1"})
