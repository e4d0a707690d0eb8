"""Driver discovery and the device index (SPEC §8).

Drivers come from two places:

- ``*_driver.py`` files in the package's ``plugins/`` folder (and any extra folders configured),
  each loaded by file path with :mod:`importlib`; every concrete :class:`BaseDriver` subclass
  *defined* in the file is a driver (classes it merely imports are not);
- the ``eigen_os.drivers`` entry-point group; an entry point names a driver class or a module.

Nothing registers itself on import and there is no module-level registry: :func:`build` makes a
:class:`DriverRegistry` from settings. Duplicate driver names, device ids or target aliases are
startup errors (:class:`DriverRegistryError`).
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import importlib.util
import inspect
import sys
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from types import ModuleType
from typing import Any

from eigen_common.errors import DeviceNotFoundError
from eigen_common.logs import get_logger
from eigen_driver_manager.base import DRIVER_NAME_RE, BaseDriver, DeviceInfo
from eigen_driver_manager.settings import DriverManagerSettings

log = get_logger("eigen.driver_manager.registry")

#: Entry-point group third-party driver packages declare.
ENTRY_POINT_GROUP = "eigen_os.drivers"
#: The folder of drivers shipped with the package.
PLUGIN_DIR = Path(__file__).resolve().parent / "plugins"
_PACKAGE_PLUGINS = "eigen_driver_manager.plugins"

EntryPointsFn = Callable[[str], Iterable[Any]]


class DriverRegistryError(RuntimeError):
    """Drivers cannot be loaded consistently (a startup error, never an RPC error)."""


@dataclass(frozen=True)
class DriverSource:
    """A discovered driver class and where it came from (for error messages)."""

    cls: type[BaseDriver]
    origin: str


def driver_classes(module: ModuleType) -> list[type[BaseDriver]]:
    """Return the concrete :class:`BaseDriver` subclasses defined in ``module``, by name."""
    found = [
        obj
        for _, obj in inspect.getmembers(module, inspect.isclass)
        if issubclass(obj, BaseDriver)
        and obj is not BaseDriver
        and not inspect.isabstract(obj)
        and obj.__module__ == module.__name__
    ]
    return sorted(found, key=lambda c: c.__qualname__)


def _module_name(path: Path) -> str:
    if path.parent == PLUGIN_DIR:
        return f"{_PACKAGE_PLUGINS}.{path.stem}"
    digest = hashlib.sha256(str(path.parent).encode()).hexdigest()[:10]
    return f"eigen_driver_plugin_{digest}_{path.stem}"


def load_plugin_file(path: Path) -> ModuleType:
    """Import one plugin file by path (re-using the module if it is already imported).

    Raises:
        DriverRegistryError: the file cannot be imported.
    """
    path = path.resolve()
    name = _module_name(path)
    existing = sys.modules.get(name)
    if existing is not None and Path(getattr(existing, "__file__", "") or "").resolve() == path:
        return existing
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        raise DriverRegistryError(f"cannot load driver plugin {path.name}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # dataclasses and pickling look modules up here
    try:
        spec.loader.exec_module(module)
    except Exception as exc:
        sys.modules.pop(name, None)
        raise DriverRegistryError(
            f"driver plugin {path.name} failed to import: {type(exc).__name__}: {exc}"
        ) from exc
    return module


def discover_plugin_dir(directory: Path) -> list[DriverSource]:
    """Load every ``*_driver.py`` in ``directory`` (sorted) and return the drivers they define.

    Raises:
        DriverRegistryError: the folder does not exist or a file fails to import.
    """
    if not directory.is_dir():
        raise DriverRegistryError(f"driver plugin folder {directory} does not exist")
    sources: list[DriverSource] = []
    for path in sorted(directory.glob("*_driver.py")):
        classes = driver_classes(load_plugin_file(path))
        if not classes:
            log.warning("plugin file defines no driver", file=path.name)
        sources.extend(DriverSource(c, f"plugin file {path.name}") for c in classes)
    return sources


def _default_entry_points(group: str) -> Iterable[Any]:
    return importlib.metadata.entry_points(group=group)


def discover_entry_points(
    group: str = ENTRY_POINT_GROUP, *, entry_points: EntryPointsFn = _default_entry_points
) -> list[DriverSource]:
    """Load the drivers declared in the entry-point ``group``.

    Each entry point's object is a :class:`BaseDriver` subclass or a module defining some.

    Raises:
        DriverRegistryError: an entry point fails to load or names something else.
    """
    sources: list[DriverSource] = []
    for ep in sorted(entry_points(group), key=lambda e: str(e.name)):
        origin = f"entry point {ep.name} ({ep.value})"
        try:
            obj = ep.load()
        except Exception as exc:
            raise DriverRegistryError(
                f"{origin} failed to load: {type(exc).__name__}: {exc}"
            ) from exc
        if isinstance(obj, ModuleType):
            classes = driver_classes(obj)
        elif inspect.isclass(obj) and issubclass(obj, BaseDriver) and not inspect.isabstract(obj):
            classes = [obj]
        else:
            raise DriverRegistryError(f"{origin} is neither a BaseDriver subclass nor a module")
        sources.extend(DriverSource(c, origin) for c in classes)
    return sources


def discover(
    plugin_dirs: Sequence[Path],
    *,
    use_entry_points: bool = True,
    entry_points: EntryPointsFn = _default_entry_points,
) -> list[DriverSource]:
    """Find driver classes in ``plugin_dirs`` then in the entry-point group.

    The same class object found twice (a plugin also declared as an entry point) counts once.

    Raises:
        DriverRegistryError: two different classes share a driver name, a name is invalid, or
            loading fails.
    """
    found: list[DriverSource] = []
    for directory in plugin_dirs:
        found.extend(discover_plugin_dir(directory))
    if use_entry_points:
        found.extend(discover_entry_points(entry_points=entry_points))
    by_name: dict[str, DriverSource] = {}
    for src in found:
        name = src.cls.name
        if not isinstance(name, str) or not DRIVER_NAME_RE.match(name):
            raise DriverRegistryError(
                f"driver class {src.cls.__qualname__} from {src.origin} has an invalid name "
                f"{name!r} (expected {DRIVER_NAME_RE.pattern})"
            )
        seen = by_name.get(name)
        if seen is None:
            by_name[name] = src
        elif seen.cls is not src.cls:
            raise DriverRegistryError(
                f"duplicate driver name {name!r}: {seen.cls.__qualname__} from {seen.origin} and "
                f"{src.cls.__qualname__} from {src.origin}"
            )
    return list(by_name.values())


class DriverRegistry:
    """Initialised drivers and the index of their devices.

    The set of devices is fixed when the registry is built; their status is asked afresh.

    Raises:
        DriverRegistryError: (constructor) duplicate driver names, device ids or targets, or a
            device with an empty id or ``max_qubits`` < 1.
    """

    def __init__(self, drivers: Sequence[BaseDriver]):
        self._drivers: dict[str, BaseDriver] = {}
        self._devices: dict[str, DeviceInfo] = {}
        self._device_driver: dict[str, str] = {}
        targets: dict[str, str] = {}
        for drv in drivers:
            if drv.name in self._drivers:
                raise DriverRegistryError(f"duplicate driver name {drv.name!r}")
            self._drivers[drv.name] = drv
            for info in drv.get_devices():
                if not info.device_id or info.max_qubits < 1:
                    raise DriverRegistryError(
                        f"driver {drv.name!r} offers an invalid device {info.device_id!r} "
                        "(empty id or max_qubits < 1)"
                    )
                owner = self._device_driver.get(info.device_id)
                if owner is not None:
                    raise DriverRegistryError(
                        f"duplicate device id {info.device_id!r} (drivers {owner!r} and "
                        f"{drv.name!r})"
                    )
                for t in info.targets:
                    if t in targets:
                        raise DriverRegistryError(
                            f"duplicate target {t!r} (devices {targets[t]!r} and "
                            f"{info.device_id!r})"
                        )
                    targets[t] = info.device_id
                self._device_driver[info.device_id] = drv.name
                self._devices[info.device_id] = self.stamp(drv, info)
        self._targets = targets

    @staticmethod
    def stamp(driver: BaseDriver, info: DeviceInfo) -> DeviceInfo:
        """Return ``info`` with ``driver`` and ``allowed_options`` filled in."""
        allowed = tuple(sorted(driver.device_options(info.device_id)))
        return replace(info, driver=driver.name, allowed_options=allowed)

    @property
    def drivers(self) -> Mapping[str, BaseDriver]:
        """Driver name → initialised driver."""
        return dict(self._drivers)

    @property
    def devices(self) -> Mapping[str, DeviceInfo]:
        """Device id → device info as indexed at startup."""
        return dict(self._devices)

    def device(self, device_id: str) -> tuple[BaseDriver, DeviceInfo]:
        """Return the driver and indexed info of ``device_id``.

        Raises:
            DeviceNotFoundError: unknown id (the message lists the available ones).
        """
        info = self._devices.get(device_id)
        if info is None:
            raise DeviceNotFoundError(
                f"no device {device_id!r}; available: {', '.join(sorted(self._devices))}",
                metadata={"device_id": device_id},
            )
        return self._drivers[self._device_driver[device_id]], info

    def resolve_target(self, target: str) -> DeviceInfo | None:
        """Return the device a target alias (or a device id) names, if any."""
        device_id = self._targets.get(target, target)
        return self._devices.get(device_id)

    def close(self) -> None:
        """Close every driver (errors are logged, not raised)."""
        for drv in self._drivers.values():
            try:
                drv.close()
            except Exception:
                log.exception("driver close failed", driver_name=drv.name)


def build(
    settings: DriverManagerSettings,
    *,
    entry_points: EntryPointsFn = _default_entry_points,
    extra_drivers: Iterable[type[BaseDriver]] = (),
) -> DriverRegistry:
    """Discover, instantiate and initialise the drivers (the service's composition root).

    Args:
        settings: plugin folders, entry-point switch, disabled drivers, per-driver config.
        entry_points: source of entry points (tests inject fakes).
        extra_drivers: driver classes added explicitly (e.g. a test double).

    Returns:
        The registry with every enabled driver initialised.

    Raises:
        DriverRegistryError: a discovery error, a duplicate, or a driver failing to initialise.
    """
    dirs = [PLUGIN_DIR, *(Path(d) for d in settings.plugin_dirs)]
    sources = discover(dirs, use_entry_points=settings.load_entry_points, entry_points=entry_points)
    sources.extend(DriverSource(c, "explicit") for c in extra_drivers)
    names = [s.cls.name for s in sources]
    dup = sorted({n for n in names if names.count(n) > 1})
    if dup:
        raise DriverRegistryError(f"duplicate driver name(s) {dup}")
    unknown_cfg = sorted(set(settings.driver_config) - set(names))
    if unknown_cfg:
        log.warning("config for drivers that are not loaded", drivers=unknown_cfg)
    drivers: list[BaseDriver] = []
    for src in sources:
        name = src.cls.name
        if name in settings.disabled_drivers:
            log.info("driver disabled", driver_name=name)
            continue
        driver = src.cls()
        try:
            driver.initialize(settings.driver_config.get(name, {}))
        except Exception as exc:
            raise DriverRegistryError(
                f"driver {name!r} ({src.origin}) failed to initialise: {exc}"
            ) from exc
        drivers.append(driver)
    registry = DriverRegistry(drivers)
    log.info(
        "drivers loaded",
        drivers=sorted(registry.drivers),
        devices=sorted(registry.devices),
    )
    return registry
