from __future__ import annotations

import textwrap
from collections.abc import Mapping
from importlib.metadata import EntryPoint
from pathlib import Path
from typing import ClassVar

import pytest

from eigen_common.errors import DeviceNotFoundError
from eigen_driver_manager.base import DeviceStatus
from eigen_driver_manager.plugins.aer_driver import AerDriver
from eigen_driver_manager.plugins.braket_driver import BraketDriver
from eigen_driver_manager.plugins.ibm_driver import IbmDriver
from eigen_driver_manager.registry import (
    ENTRY_POINT_GROUP,
    PLUGIN_DIR,
    DriverRegistry,
    DriverRegistryError,
    build,
    discover,
    discover_plugin_dir,
)
from eigen_driver_manager.settings import DriverManagerSettings
from eigen_driver_manager.testing import FakeDriver

ALT_PLUGIN = """
from typing import ClassVar
from eigen_driver_manager.testing import FakeDriver   # imported: must not be discovered itself
from eigen_driver_manager.base import BaseDriver

class AltDriver(FakeDriver):
    name: ClassVar[str] = "{name}"

class _Base(BaseDriver):   # abstract and unnamed: a base class, ignored
    pass
"""


def write_plugin(directory: Path, filename: str, name: str) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / filename
    path.write_text(textwrap.dedent(ALT_PLUGIN.format(name=name)))
    return path


def no_entry_points(group: str) -> list[EntryPoint]:
    return []


#: The vendor drivers, disabled where a test is about registry mechanics only.
VENDORS = ["ibm", "braket"]


def settings(**kw: object) -> DriverManagerSettings:
    return DriverManagerSettings(port=0, metrics_port=0, **kw)  # type: ignore[arg-type]


def test_package_plugins_folder_yields_the_built_in_drivers() -> None:
    sources = discover([PLUGIN_DIR], use_entry_points=False)
    by_name = {s.cls.name: s for s in sources}
    assert sorted(by_name) == ["aer", "braket", "ibm"]
    assert by_name["aer"].cls is AerDriver  # same class object as a normal import
    assert by_name["ibm"].cls is IbmDriver and by_name["braket"].cls is BraketDriver
    assert "aer_driver.py" in by_name["aer"].origin


def test_plugin_dir_discovery_only_defined_concrete_classes(tmp_path: Path) -> None:
    write_plugin(tmp_path, "alt_driver.py", "alt")
    write_plugin(tmp_path, "notaplugin.py", "ignored")  # wrong file name pattern
    sources = discover_plugin_dir(tmp_path)
    assert [(s.cls.__name__, s.cls.name) for s in sources] == [("AltDriver", "alt")]


def test_build_with_extra_plugin_dir_and_disabled_aer(tmp_path: Path) -> None:
    write_plugin(tmp_path, "alt_driver.py", "alt")
    reg = build(
        settings(
            plugin_dirs=[str(tmp_path)],
            disabled_drivers=["aer", *VENDORS],
            driver_config={"alt": {"devices": "alt.one,alt.two"}},
        ),
        entry_points=no_entry_points,
    )
    assert sorted(reg.drivers) == ["alt"]
    assert sorted(reg.devices) == ["alt.one", "alt.two"]
    driver, info = reg.device("alt.two")
    assert driver.name == "alt" and info.driver == "alt" and info.allowed_options == ("verbose",)
    with pytest.raises(DeviceNotFoundError, match=r"alt\.one"):
        reg.device("missing")
    assert reg.resolve_target("fake:alt.one") is not None
    assert reg.resolve_target("alt.two") is not None
    assert reg.resolve_target("sim:nowhere") is None


def test_build_is_not_a_singleton() -> None:
    s = settings(disabled_drivers=["aer"])
    a = build(s, entry_points=no_entry_points, extra_drivers=[FakeDriver])
    b = build(s, entry_points=no_entry_points, extra_drivers=[FakeDriver])
    assert a.drivers["fake"] is not b.drivers["fake"]


def test_duplicate_driver_name_is_a_startup_error(tmp_path: Path) -> None:
    write_plugin(tmp_path, "impostor_driver.py", "aer")
    with pytest.raises(DriverRegistryError, match="duplicate driver name 'aer'"):
        build(settings(plugin_dirs=[str(tmp_path)]), entry_points=no_entry_points)


def test_duplicate_name_across_two_plugin_dirs(tmp_path: Path) -> None:
    write_plugin(tmp_path / "a", "x_driver.py", "twin")
    write_plugin(tmp_path / "b", "y_driver.py", "twin")
    with pytest.raises(DriverRegistryError, match="twin"):
        discover([tmp_path / "a", tmp_path / "b"], use_entry_points=False)


def test_duplicate_device_id_is_a_startup_error(tmp_path: Path) -> None:
    write_plugin(tmp_path, "alt_driver.py", "alt")
    cfg = {"alt": {"devices": "shared.dev"}, "fake": {"devices": "shared.dev"}}
    with pytest.raises(DriverRegistryError, match=r"duplicate device id 'shared\.dev'"):
        build(
            settings(plugin_dirs=[str(tmp_path)], disabled_drivers=["aer"], driver_config=cfg),
            entry_points=no_entry_points,
            extra_drivers=[FakeDriver],
        )


def test_duplicate_target_is_a_startup_error(tmp_path: Path) -> None:
    (tmp_path / "local_driver.py").write_text(
        textwrap.dedent(
            """
            from dataclasses import replace
            from typing import ClassVar
            from eigen_driver_manager.testing import FakeDriver

            class LocalClash(FakeDriver):
                name: ClassVar[str] = "clash"

                def get_devices(self):
                    return [replace(d, targets=("sim:local",)) for d in super().get_devices()]
            """
        )
    )
    with pytest.raises(DriverRegistryError, match="duplicate target 'sim:local'"):
        build(
            settings(
                plugin_dirs=[str(tmp_path)], driver_config={"aer": {"devices": "aer.automatic"}}
            ),
            entry_points=no_entry_points,
        )


def test_entry_points_class_and_module() -> None:
    eps = {
        ENTRY_POINT_GROUP: [
            EntryPoint("fake", "eigen_driver_manager.testing:FakeDriver", ENTRY_POINT_GROUP),
            # the Aer plugin also declared as an entry point: the same class counts once
            EntryPoint("aer", "eigen_driver_manager.plugins.aer_driver", ENTRY_POINT_GROUP),
        ]
    }
    sources = discover([PLUGIN_DIR], entry_points=lambda g: eps.get(g, []))
    assert sorted(s.cls.name for s in sources) == ["aer", "braket", "fake", "ibm"]
    reg = build(settings(disabled_drivers=["aer", *VENDORS]), entry_points=lambda g: eps.get(g, []))
    assert list(reg.drivers) == ["fake"]


def test_entry_point_duplicate_of_plugin_name(tmp_path: Path) -> None:
    write_plugin(tmp_path, "alt_driver.py", "fake")
    eps = [EntryPoint("fake", "eigen_driver_manager.testing:FakeDriver", ENTRY_POINT_GROUP)]
    with pytest.raises(DriverRegistryError, match="duplicate driver name 'fake'"):
        discover([tmp_path], entry_points=lambda g: eps)


@pytest.mark.parametrize(
    ("value", "match"),
    [
        ("eigen_driver_manager.testing:aqo_circuit", "neither a BaseDriver"),
        ("eigen_driver_manager.no_such_module:Driver", "failed to load"),
    ],
)
def test_bad_entry_points(value: str, match: str) -> None:
    eps = [EntryPoint("bad", value, ENTRY_POINT_GROUP)]
    with pytest.raises(DriverRegistryError, match=match):
        discover([], entry_points=lambda g: eps)


def test_broken_plugin_file_makes_its_driver_offline(tmp_path: Path) -> None:
    (tmp_path / "broken_driver.py").write_text("raise ImportError('vendor SDK missing')\n")
    reg = build(
        settings(plugin_dirs=[str(tmp_path)], disabled_drivers=["aer"]),
        entry_points=no_entry_points,
    )
    info = reg.devices["broken.unavailable"]
    assert info.status is DeviceStatus.OFFLINE
    assert "broken_driver.py" in info.status_message
    assert "vendor SDK missing" in info.status_message


INCOMPLETE_PLUGIN = """
from typing import ClassVar
from eigen_driver_manager.base import BaseDriver

class HalfDriver(BaseDriver):
    name: ClassVar[str] = "half"

    def initialize(self, config):
        pass
"""


def test_incomplete_plugin_is_offline_with_the_missing_methods(tmp_path: Path) -> None:
    (tmp_path / "half_driver.py").write_text(INCOMPLETE_PLUGIN)
    reg = build(
        settings(plugin_dirs=[str(tmp_path)], disabled_drivers=["aer"]),
        entry_points=no_entry_points,
    )
    info = reg.devices["half.unavailable"]
    assert info.status is DeviceStatus.OFFLINE
    assert "incomplete" in info.status_message
    for method in ("execute_circuit", "get_device_status", "get_devices"):
        assert method in info.status_message


def test_missing_plugin_dir(tmp_path: Path) -> None:
    with pytest.raises(DriverRegistryError, match="does not exist"):
        discover([tmp_path / "nope"], use_entry_points=False)


def test_invalid_driver_name(tmp_path: Path) -> None:
    write_plugin(tmp_path, "bad_driver.py", "Bad Name")
    with pytest.raises(DriverRegistryError, match="invalid name"):
        discover([tmp_path], use_entry_points=False)


def test_initialize_failure_makes_the_devices_offline_not_a_startup_error() -> None:
    reg = build(
        settings(driver_config={"fake": {"bogus": "1"}}),
        entry_points=no_entry_points,
        extra_drivers=[FakeDriver],
    )
    info = reg.devices["fake.unavailable"]
    assert info.status is DeviceStatus.OFFLINE
    assert "'fake' failed to initialise" in info.status_message
    assert "bogus" in info.status_message
    assert reg.devices["aer.automatic"].status is DeviceStatus.ONLINE  # the others still run


class LeakyDriver(FakeDriver):
    """Echoes its config in the error, as a careless vendor SDK might."""

    name: ClassVar[str] = "leaky"

    def initialize(self, config: Mapping[str, str]) -> None:
        raise RuntimeError(f"login failed with {dict(config)}")


def test_secrets_are_redacted_from_the_reason() -> None:
    token = "s3cr3t-" + "x" * 40
    reg = build(
        settings(disabled_drivers=["aer"], driver_config={"leaky": {"api_token": token}}),
        entry_points=no_entry_points,
        extra_drivers=[LeakyDriver],
    )
    message = reg.devices["leaky.unavailable"].status_message
    assert "login failed" in message
    assert token not in message and "s3cr3t" not in message
    assert "***" in message


def test_registry_rejects_duplicate_instances() -> None:
    a, b = FakeDriver(), FakeDriver()
    a.initialize({"devices": "x"})
    b.initialize({"devices": "y"})
    with pytest.raises(DriverRegistryError, match="duplicate driver name"):
        DriverRegistry([a, b])
