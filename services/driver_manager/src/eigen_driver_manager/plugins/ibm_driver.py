"""IBM Quantum driver (SPEC §13) on qiskit-ibm-runtime.

Devices:

- ``ibm.fake_<name>`` (targets ``ibm:fake_<name>``): the SDK's offline fake backends
  (``qiskit_ibm_runtime.fake_provider``; config ``fake_backends``, default
  ``fake_brisbane,fake_sherbrooke,fake_kyiv``) run on Qiskit Aer with that device's noise,
  circuits transpiled to the backend's ``Target`` (ISA) by a seeded pass manager and run on
  their active qubits only (:mod:`eigen_driver_manager.noisy_backend`). Their details carry the
  real device's calibration snapshot (per-qubit T1/T2/readout error, per-gate error and
  duration, coupling map, basis gates, ``calibrated_at``), read at start-up without importing
  the SDK (:mod:`eigen_driver_manager.ibm_fake`); the backend loads on first use (config
  ``preload = "true"``: in the background at start-up). Synchronous, like every Aer device:
  batches, sweeps, saved states and estimates as in
  :class:`~eigen_driver_manager.aer_backed.AerBackedDriver`.
- ``ibm.<backend>`` (targets ``ibm:<backend>``): real backends from ``QiskitRuntimeService``
  when an account is configured the SDK's usual way (``QISKIT_IBM_TOKEN``/``_INSTANCE``/
  ``_CHANNEL`` or the saved account in ``~/.qiskit``; nothing is printed). Asynchronous
  (StartExecution / AwaitExecution, re-attached by vendor job id after a restart), executed with
  ``SamplerV2``; estimates with ``EstimatorV2`` (:mod:`eigen_driver_manager.ibm_runtime`).
  Without an account only the fake devices are offered (and the SDK is not even imported when
  neither ``QISKIT_IBM_TOKEN`` nor the saved-account file exists); an account the vendor
  refuses shows as an OFFLINE ``ibm.cloud`` device with the reason (``DEVICE_AUTH_FAILED``).

Config keys: ``credentials`` (``auto`` = use an account when one is configured, the default;
``none`` = fake devices only), ``fake_backends``, ``cloud_backends`` (comma-separated allowlist
of cloud backend names; empty = every operational one), ``seed_transpiler`` (default 1234),
``poll_seconds`` (first poll interval of a vendor job, doubling to 10 s; default 0.5),
``preload`` (``true``: load the fake backends in the background at start-up; default
``false``: on first use), ``hybrid_mode`` (``batch``, ``session`` or ``none``: the
qiskit-ibm-runtime execution mode that groups the jobs of one Eigen OS job on a cloud
backend, see :mod:`eigen_driver_manager.ibm_runtime`; default ``batch``, which every IBM
Quantum plan allows — ``session`` keeps the QPU for the loop but the Open plan refuses it).
"""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, ClassVar

from eigen_common.errors import DeviceNotFoundError, UnimplementedError
from eigen_driver_manager.aer_backed import AerBackedDriver
from eigen_driver_manager.base import (
    DeviceInfo,
    DeviceStatusReport,
    EstimateOutcome,
    ExecutionItem,
    ExecutionProgress,
    ExecutionResult,
    StartedExecution,
    TranspiledCircuit,
)
from eigen_driver_manager.ibm_fake import fake_device
from eigen_driver_manager.ibm_runtime import HYBRID_MODES, RuntimeDevices, map_error
from eigen_driver_manager.offline import OfflineDriver
from eigen_driver_manager.options import OptionSpec
from eigen_driver_manager.plugins.aer_driver import AER_RUN_OPTION, COMMON_OPTIONS
from eigen_ir.aqo import Circuit

DEFAULT_FAKES = ("fake_brisbane", "fake_sherbrooke", "fake_kyiv")
_CONFIG_KEYS = frozenset(
    {
        "credentials",
        "fake_backends",
        "cloud_backends",
        "seed_transpiler",
        "preload",
        "hybrid_mode",
        "poll_seconds",
    }
)
_CLOUD_PLACEHOLDER = "ibm.cloud"
#: Where qiskit-ibm-runtime looks for an account besides ``QISKIT_IBM_TOKEN``.
SAVED_ACCOUNT_FILE = Path("~/.qiskit/qiskit-ibm.json")


class IbmDriver(AerBackedDriver):
    """IBM Quantum: offline fake backends on Aer and, with an account, the real backends."""

    name: ClassVar[str] = "ibm"
    allowed_options: ClassVar[Mapping[str, OptionSpec]] = COMMON_OPTIONS
    run_option_names: ClassVar[Mapping[str, str]] = AER_RUN_OPTION

    def __init__(self) -> None:
        super().__init__()
        self._cloud: RuntimeDevices | None = None
        self._cloud_problem: OfflineDriver | None = None
        self._hybrid_mode = "batch"
        self._poll_first = 0.5

    @classmethod
    def declared_devices(cls, config: Mapping[str, str]) -> tuple[str, ...]:
        """The fake device ids the config names."""
        return tuple(f"ibm.{n}" for n in _names(config.get("fake_backends"), DEFAULT_FAKES))

    def initialize(self, config: Mapping[str, str]) -> None:
        """Build the fake devices; connect to IBM Quantum when an account is configured.

        Raises:
            ValueError: unknown config key or fake backend name.
        """
        unknown = sorted(set(config) - _CONFIG_KEYS)
        if unknown:
            raise ValueError(f"unknown ibm config key(s) {unknown}; allowed {sorted(_CONFIG_KEYS)}")
        seed = int(config.get("seed_transpiler", "1234"))
        preload = config.get("preload", "false").lower()
        if preload not in ("true", "false"):
            raise ValueError("ibm config preload must be true or false")
        self._poll_first = float(config.get("poll_seconds", "0.5"))
        if not 0.001 <= self._poll_first <= 60:
            raise ValueError("ibm config poll_seconds must be in 0.001..60")
        self._hybrid_mode = config.get("hybrid_mode", "batch") or "batch"
        if self._hybrid_mode not in HYBRID_MODES:
            raise ValueError(f"ibm config hybrid_mode must be one of {sorted(HYBRID_MODES)}")
        for name in _names(config.get("fake_backends"), DEFAULT_FAKES):
            dev = fake_device(name, seed)
            self._devices[dev.info.device_id] = dev
            if preload == "true":
                threading.Thread(target=dev.warm_up, name=f"ibm-{name}-load", daemon=True).start()
        mode = config.get("credentials", "auto") or "auto"
        if mode not in ("auto", "saved", "none"):
            raise ValueError("ibm config credentials must be auto, saved or none")
        if mode != "none" and account_configured():
            self._connect(_names(config.get("cloud_backends"), ()), seed)

    def use_service(self, service: Any, backends: Sequence[Any], seed: int = 1234) -> None:
        """Serve ``backends`` of a runtime ``service`` as asynchronous devices.

        ``initialize`` calls it with ``QiskitRuntimeService``; tests pass the SDK's local
        testing mode (``QiskitRuntimeLocalService``) or a service whose HTTP is replayed.
        """
        self._cloud = RuntimeDevices(
            service, backends, seed, hybrid_mode=self._hybrid_mode, poll_first=self._poll_first
        )

    def _connect(self, allow: Sequence[str], seed: int) -> None:
        from qiskit_ibm_runtime import QiskitRuntimeService
        from qiskit_ibm_runtime.accounts import AccountManager
        from qiskit_ibm_runtime.accounts.exceptions import AccountNotFoundError

        try:
            AccountManager.get()
        except AccountNotFoundError:
            return  # no account: fake devices only
        except Exception as exc:  # an unreadable account file
            self._cloud_problem = OfflineDriver.make(
                self.name, f"IBM Quantum account unusable: {map_error(exc, 'ibm').message}", ()
            )
            return
        try:
            service = QiskitRuntimeService()
            backends = [
                b for b in service.backends(operational=True) if not allow or b.name in allow
            ]
        except Exception as exc:
            err = map_error(exc, _CLOUD_PLACEHOLDER)
            self._cloud_problem = OfflineDriver.make(
                self.name, f"{err.reason}: {err.message}", (_CLOUD_PLACEHOLDER,)
            )
            return
        self.use_service(service, backends, seed)

    def get_devices(self) -> list[DeviceInfo]:
        """Fake devices, then cloud devices (or the OFFLINE placeholder saying why not)."""
        out = super().get_devices()
        if self._cloud is not None:
            out.extend(self._cloud.devices())
        if self._cloud_problem is not None:
            out.extend(self._cloud_problem.get_devices())
        return out

    def get_device_status(self, device_id: str) -> DeviceStatusReport:
        """Status; for cloud devices with the vendor's queue length."""
        if self._is_cloud(device_id):
            assert self._cloud is not None
            status, message, pending = self._cloud.status(device_id)
            return DeviceStatusReport(
                device_id, status, message=message, vendor_queue_length=pending
            )
        if self._cloud_problem is not None and device_id == _CLOUD_PLACEHOLDER:
            return self._cloud_problem.get_device_status(device_id)
        return super().get_device_status(device_id)

    def execute_circuit(
        self,
        device_id: str,
        circuit: Circuit,
        shots: int,
        options: Mapping[str, str],
        *,
        seed: int | None = None,
        parameter_values: Mapping[str, float] | None = None,
    ) -> ExecutionResult:
        """Fake devices run on Aer; cloud devices are asynchronous (start, then await)."""
        if self._is_cloud(device_id):
            started = self.start_execution(
                ExecutionItem("", device_id, circuit, shots, options, seed, parameter_values or {})
            )
            while True:
                progress = self.await_execution(device_id, started.execution_id, 60.0)
                if progress.done and progress.result is not None:
                    return progress.result
        if self._cloud_problem is not None and device_id == _CLOUD_PLACEHOLDER:
            return self._cloud_problem.execute_circuit(device_id, circuit, shots, options)
        return super().execute_circuit(
            device_id, circuit, shots, options, seed=seed, parameter_values=parameter_values
        )

    def transpile_circuit(self, device_id: str, circuit: Circuit) -> TranspiledCircuit:
        """The ISA circuit: of a cloud backend (nothing submitted) or a fake device's."""
        if self._is_cloud(device_id):
            assert self._cloud is not None
            return self._cloud.transpile(device_id, circuit)
        if self._cloud_problem is not None and device_id == _CLOUD_PLACEHOLDER:
            return self._cloud_problem.transpile_circuit(device_id, circuit)
        return super().transpile_circuit(device_id, circuit)

    def start_execution(self, item: ExecutionItem) -> StartedExecution:
        """Submit to an IBM Quantum backend with SamplerV2 (cloud devices only)."""
        self._require_cloud(item.device_id)
        assert self._cloud is not None
        self.parse_options(item.device_id, item.options)
        return self._cloud.start(item)

    def await_execution(
        self, device_id: str, execution_id: str, wait_seconds: float
    ) -> ExecutionProgress:
        """Poll the vendor job (backoff) for up to ``wait_seconds``."""
        self._require_cloud(device_id)
        assert self._cloud is not None
        return self._cloud.await_(device_id, execution_id, wait_seconds)

    def cancel_execution(self, device_id: str, job_id: str, execution_id: str) -> bool:
        """Cancel a cloud execution's vendor job and the job's session (fakes: nothing to stop)."""
        if self._is_cloud(device_id):
            assert self._cloud is not None
            return self._cloud.cancel(device_id, execution_id, job_id)
        return False

    def estimate_expectation_values(
        self,
        device_id: str,
        circuit: Circuit,
        observable: Sequence[tuple[str, float]],
        bindings: Sequence[Mapping[str, float]],
        shots: int | None,
        options: Mapping[str, str],
        *,
        seed: int | None = None,
    ) -> EstimateOutcome:
        """EstimatorV2 on cloud devices; the Aer path (exact or sampled) on fake devices."""
        if self._is_cloud(device_id):
            assert self._cloud is not None
            self.parse_options(device_id, options)
            return self._cloud.estimate(device_id, circuit, observable, bindings, shots, seed)
        return super().estimate_expectation_values(
            device_id, circuit, observable, bindings, shots, options, seed=seed
        )

    def device_options(self, device_id: str) -> Mapping[str, OptionSpec]:
        """Aer options on fake devices; none on cloud devices."""
        return {} if self._is_cloud(device_id) else super().device_options(device_id)

    def close(self) -> None:
        """Stop waits on vendor jobs."""
        if self._cloud is not None:
            self._cloud.close()

    def _is_cloud(self, device_id: str) -> bool:
        return self._cloud is not None and device_id in self._cloud.device_ids

    def _require_cloud(self, device_id: str) -> None:
        if not self._is_cloud(device_id):
            if device_id in self._devices:
                raise UnimplementedError(f"{device_id!r} is synchronous; use ExecuteCircuit")
            raise DeviceNotFoundError(f"no ibm device {device_id!r}")


def _names(raw: str | None, default: Sequence[str]) -> list[str]:
    if raw is None:
        return list(default)
    return [n.strip() for n in raw.split(",") if n.strip()]


def account_configured() -> bool:
    """True when qiskit-ibm-runtime could find an account: its env token or a saved one.

    A cheap check before importing the SDK (4-7 s), which then decides itself. The SDK
    leaves ``{}`` in its account file when it has none, so the file must hold an entry.
    """
    if os.environ.get("QISKIT_IBM_TOKEN"):
        return True
    try:
        saved = json.loads(SAVED_ACCOUNT_FILE.expanduser().read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return isinstance(saved, dict) and bool(saved)
