"""Driver discovery and the device index (SPEC §8).

Drivers come from two places:

- ``*_driver.py`` files in the package's ``plugins/`` folder (and any extra folders configured),
  each loaded by file path with :mod:`importlib`; every concrete :class:`BaseDriver` subclass
  *defined* in the file is a driver (classes it merely imports are not);
- the ``eigen_os.drivers`` entry-point group; an entry point names a driver class or a module.

Nothing registers itself on import and there is no module-level registry: :func:`build` makes a
:class:`DriverRegistry` from settings and the drivers file (:mod:`.drivers_file`). Duplicate
driver names, device ids or target aliases are startup errors (:class:`DriverRegistryError`); a
plugin that fails to import, is incomplete (abstract methods left) or fails to initialise is
not: its devices are listed OFFLINE with the reason (:class:`~.offline.OfflineDriver`).
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
from eigen_driver_manager import drivers_file
from eigen_driver_manager.base import DRIVER_NAME_RE, BaseDriver, DeviceInfo
from eigen_driver_manager.offline import OfflineDriver
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
    """A discovered driver class and where it came from (for error messages).

    ``broken`` is set (with a stand-in ``cls``) when the plugin could not be loaded or is
    incomplete: the driver is then OFFLINE with that reason.
    """

    cls: type[BaseDriver]
    origin: str
    broken: str = ""


def _incomplete(module: ModuleType) -> list[DriverSource]:
    """Abstract BaseDriver subclasses defined in ``module`` that declare a name: incomplete."""
    out = []
    for _, obj in inspect.getmembers(module, inspect.isclass):
        if (
            issubclass(obj, BaseDriver)
            and inspect.isabstract(obj)
            and obj.__module__ == module.__name__
            and isinstance(getattr(obj, "name", ""), str)
            and DRIVER_NAME_RE.match(obj.name or "")
        ):
            missing = ", ".join(sorted(getattr(obj, "__abstractmethods__", ())))
            out.append(
                DriverSource(
                    OfflineDriver.make(obj.name, "", ()).__class__,
                    f"plugin class {obj.__qualname__}",
                    f"driver {obj.name!r} is incomplete: it does not implement {missing}",
                )
            )
    return out


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
        try:
            module = load_plugin_file(path)
        except DriverRegistryError as exc:
            name = path.stem.removesuffix("_driver")
            log.error("driver plugin failed to import", file=path.name, error=str(exc))
            if DRIVER_NAME_RE.match(name):
                stand_in = OfflineDriver.make(name, "", ()).__class__
                sources.append(DriverSource(stand_in, f"plugin file {path.name}", str(exc)))
            continue
        classes = driver_classes(module)
        broken = _incomplete(module)
        if not classes and not broken:
            log.warning("plugin file defines no driver", file=path.name)
        sources.extend(DriverSource(c, f"plugin file {path.name}") for c in classes)
        sources.extend(broken)
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

    def __init__(
        self,
        drivers: Sequence[BaseDriver],
        tables: Mapping[str, drivers_file.DriverTable] | None = None,
    ):
        self._tables = dict(tables or {})
        self._drivers: dict[str, BaseDriver] = {}
        self._devices: dict[str, DeviceInfo] = {}
        self._device_driver: dict[str, str] = {}
        targets: dict[str, str] = {}
        for drv in drivers:
            if drv.name in self._drivers:
                raise DriverRegistryError(f"duplicate driver name {drv.name!r}")
            self._drivers[drv.name] = drv
            for info in self.offered(drv, drv.get_devices()):
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

    def offered(self, driver: BaseDriver, devices: Sequence[DeviceInfo]) -> list[DeviceInfo]:
        """``devices`` filtered by the driver's allowlist in the drivers file (if any)."""
        table = self._tables.get(driver.name)
        if table is None or not table.devices or isinstance(driver, OfflineDriver):
            return list(devices)
        return [d for d in devices if d.device_id in table.devices]

    def stamp(self, driver: BaseDriver, info: DeviceInfo) -> DeviceInfo:
        """Return ``info`` with ``driver``, ``allowed_options`` and ``slots`` filled in."""
        allowed = tuple(sorted(driver.device_options(info.device_id)))
        table = self._tables.get(driver.name)
        slots = table.slots if table is not None and table.slots else info.slots
        return replace(info, driver=driver.name, allowed_options=allowed, slots=slots)

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

    Config of a driver = its drivers-file table (``config`` plus ``credentials``) overlaid by
    ``settings.driver_config``. A driver disabled by ``settings.disabled_drivers`` or
    ``enabled = false`` is not loaded. A driver that fails to initialise (or whose table is
    invalid, or whose plugin failed to import) is replaced by an :class:`OfflineDriver`: its
    devices are OFFLINE with the (redacted) reason and the service starts anyway.

    Args:
        settings: plugin folders, entry-point switch, disabled drivers, per-driver config,
            drivers file.
        entry_points: source of entry points (tests inject fakes).
        extra_drivers: driver classes added explicitly (e.g. a test double).

    Returns:
        The registry with every enabled driver initialised or stood in for.

    Raises:
        DriverRegistryError: a discovery error, a duplicate, or an unreadable drivers file.
    """
    try:
        tables = drivers_file.load(settings.drivers_file)
    except drivers_file.DriversFileError as exc:
        raise DriverRegistryError(str(exc)) from None
    dirs = [PLUGIN_DIR, *(Path(d) for d in settings.plugin_dirs)]
    sources = discover(dirs, use_entry_points=settings.load_entry_points, entry_points=entry_points)
    sources.extend(DriverSource(c, "explicit") for c in extra_drivers)
    names = [s.cls.name for s in sources]
    dup = sorted({n for n in names if names.count(n) > 1})
    if dup:
        raise DriverRegistryError(f"duplicate driver name(s) {dup}")
    unknown_cfg = sorted((set(settings.driver_config) | set(tables)) - set(names))
    if unknown_cfg:
        log.warning("config for drivers that are not loaded", drivers=unknown_cfg)
    drivers: list[BaseDriver] = []
    for src in sources:
        name = src.cls.name
        table = tables.get(name, drivers_file.DriverTable())
        if name in settings.disabled_drivers or not table.enabled:
            log.info("driver disabled", driver_name=name)
            continue
        drivers.append(_initialised(src, table, settings.driver_config.get(name, {})))
    registry = DriverRegistry(drivers, tables)
    log.info(
        "drivers loaded",
        drivers=sorted(registry.drivers),
        devices=sorted(registry.devices),
        offline=sorted(n for n, d in registry.drivers.items() if isinstance(d, OfflineDriver)),
    )
    return registry


def _initialised(
    src: DriverSource, table: drivers_file.DriverTable, overrides: Mapping[str, str]
) -> BaseDriver:
    """The initialised driver of ``src``, or an OfflineDriver saying why it is not there."""
    name = src.cls.name
    config = {**table.driver_config(), **overrides}
    reason = src.broken or table.problem
    if not reason:
        driver = src.cls()
        try:
            driver.initialize(config)
            driver.get_devices()
            return driver
        except Exception as exc:
            reason = f"driver {name!r} failed to initialise: {type(exc).__name__}: {exc}"
            try:
                driver.close()
            except Exception:
                log.exception("close of a failed driver failed", driver_name=name)
    reason = drivers_file.redact(reason, drivers_file.secret_values(config))
    log.error("driver unavailable; its devices are OFFLINE", driver_name=name, reason=reason)
    try:
        declared = table.devices or src.cls.declared_devices(config)
    except Exception:
        declared = ()
    return OfflineDriver.make(name, reason, declared)
