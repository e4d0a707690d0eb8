"""IBM Quantum driver (SPEC §13) on qiskit-ibm-runtime.

Devices:

- ``ibm.fake_<name>`` (targets ``ibm:fake_<name>``): the SDK's offline fake backends
  (``qiskit_ibm_runtime.fake_provider``; config ``fake_backends``, default
  ``fake_brisbane,fake_sherbrooke,fake_kyiv``) run on Qiskit Aer with that device's noise model,
  circuits transpiled to the backend's ``Target`` (ISA) by a seeded pass manager. Their details
  carry the real device's calibration snapshot (per-qubit T1/T2/readout error, per-gate error and
  duration, coupling map, basis gates, ``calibrated_at``). Synchronous, like every Aer device:
  batches, sweeps, saved states and estimates as in
  :class:`~eigen_driver_manager.aer_backed.AerBackedDriver`.
- ``ibm.<backend>`` (targets ``ibm:<backend>``): real backends from ``QiskitRuntimeService``
  when an account is configured the SDK's usual way (``QISKIT_IBM_TOKEN``/``_INSTANCE``/
  ``_CHANNEL`` or the saved account in ``~/.qiskit``; nothing is printed). Asynchronous
  (StartExecution / AwaitExecution, re-attached by vendor job id after a restart), executed with
  ``SamplerV2``; estimates with ``EstimatorV2`` (:mod:`eigen_driver_manager.ibm_runtime`).
  Without an account only the fake devices are offered; an account the vendor refuses shows as
  an OFFLINE ``ibm.cloud`` device with the reason (``DEVICE_AUTH_FAILED``).

Config keys: ``credentials`` (``auto`` = use an account when one is configured, the default;
``none`` = fake devices only), ``fake_backends``, ``cloud_backends`` (comma-separated allowlist
of cloud backend names; empty = every operational one), ``seed_transpiler`` (default 1234).
"""

from __future__ import annotations

import threading
from collections.abc import Mapping, Sequence
from typing import Any, ClassVar

import qiskit_aer
from qiskit.transpiler import PassManager, generate_preset_pass_manager
from qiskit_aer import AerSimulator

from eigen_common.errors import DeviceNotFoundError
from eigen_driver_manager.aer_backed import AerBackedDriver
from eigen_driver_manager.aer_engine import (
    AerDevice,
    calibration_from_target,
    calibration_summary,
    supported_saves,
)
from eigen_driver_manager.base import (
    DeviceInfo,
    DeviceStatus,
    DeviceStatusReport,
    EstimateOutcome,
    ExecutionItem,
    ExecutionProgress,
    ExecutionResult,
    StartedExecution,
)
from eigen_driver_manager.ibm_runtime import RuntimeDevices, map_error
from eigen_driver_manager.offline import OfflineDriver
from eigen_driver_manager.options import OptionSpec
from eigen_driver_manager.plugins.aer_driver import AER_RUN_OPTION, COMMON_OPTIONS
from eigen_ir.aqo import GATES, Circuit

DEFAULT_FAKES = ("fake_brisbane", "fake_sherbrooke", "fake_kyiv")
_CONFIG_KEYS = frozenset({"credentials", "fake_backends", "cloud_backends", "seed_transpiler"})
_CLOUD_PLACEHOLDER = "ibm.cloud"
_NOT_GATES = frozenset(
    {"measure", "delay", "reset", "if_else", "for_loop", "switch_case", "while_loop"}
)


class IbmDriver(AerBackedDriver):
    """IBM Quantum: offline fake backends on Aer and, with an account, the real backends."""

    name: ClassVar[str] = "ibm"
    allowed_options: ClassVar[Mapping[str, OptionSpec]] = COMMON_OPTIONS
    run_option_names: ClassVar[Mapping[str, str]] = AER_RUN_OPTION

    def __init__(self) -> None:
        super().__init__()
        self._cloud: RuntimeDevices | None = None
        self._cloud_problem: OfflineDriver | None = None

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
        for name in _names(config.get("fake_backends"), DEFAULT_FAKES):
            dev = _fake_device(name, seed)
            self._devices[dev.info.device_id] = dev
            threading.Thread(target=dev.warm_up, name=f"ibm-{name}-warm-up", daemon=True).start()
        mode = config.get("credentials", "auto") or "auto"
        if mode not in ("auto", "saved", "none"):
            raise ValueError("ibm config credentials must be auto, saved or none")
        if mode != "none":
            self._connect(_names(config.get("cloud_backends"), ()), seed)

    def use_service(self, service: Any, backends: Sequence[Any], seed: int = 1234) -> None:
        """Serve ``backends`` of a runtime ``service`` as asynchronous devices.

        ``initialize`` calls it with ``QiskitRuntimeService``; tests pass the SDK's local
        testing mode (``QiskitRuntimeLocalService``).
        """
        self._cloud = RuntimeDevices(service, backends, seed)

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
        """Cancel the vendor job of a cloud execution (fake devices: nothing to stop)."""
        if self._is_cloud(device_id) and execution_id:
            assert self._cloud is not None
            return self._cloud.cancel(device_id, execution_id)
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
                from eigen_common.errors import UnimplementedError

                raise UnimplementedError(f"{device_id!r} is synchronous; use ExecuteCircuit")
            raise DeviceNotFoundError(f"no ibm device {device_id!r}")


def _names(raw: str | None, default: Sequence[str]) -> list[str]:
    if raw is None:
        return list(default)
    return [n.strip() for n in raw.split(",") if n.strip()]


def _fake_backend(name: str) -> Any:
    from qiskit_ibm_runtime import fake_provider

    cls_name = "Fake" + "".join(p.capitalize() for p in name.removeprefix("fake_").split("_"))
    cls = getattr(fake_provider, cls_name, None)
    if cls is None:
        raise ValueError(f"unknown IBM fake backend {name!r} (qiskit_ibm_runtime.fake_provider)")
    return cls()


def _fake_device(name: str, seed: int) -> AerDevice:
    """An ``ibm.fake_<name>`` device: Aer with the backend's noise, ISA transpilation."""
    backend = _fake_backend(name)
    target = backend.target
    props = backend.properties()
    stamp = getattr(props, "last_update_date", None)
    details = calibration_from_target(target, stamp.timestamp() if stamp is not None else None)
    coupling = tuple(sorted(tuple(e) for e in target.build_coupling_map().get_edges()))
    basis = tuple(
        sorted(
            n
            for n in target.operation_names
            if n
            not in ("measure", "delay", "reset", "if_else", "for_loop", "switch_case", "while_loop")
        )
    )
    info = DeviceInfo(
        device_id=f"ibm.{name}",
        name=f"IBM {backend.name} (offline fake backend on Qiskit Aer, real calibration)",
        backend_type="ibmq_fake",
        status=DeviceStatus.ONLINE,
        max_qubits=int(backend.num_qubits),
        targets=(f"ibm:{name}",),
        capabilities={
            "method": "automatic",
            "basis_gates": ",".join(sorted(GATES)),
            "native_gates": ",".join(basis),
            "noise": f"qiskit_ibm_runtime.fake_provider.{type(backend).__name__}",
            "seedable": "true",
            "conditional": "true",
            "simulator": f"qiskit-aer {qiskit_aer.__version__}",
            "transpiled": "ISA (the backend's Target), optimization level 1",
        },
        basis_gates=basis,
        coupling_map=coupling,
        calibration=details,
    )
    summary = calibration_summary(details)
    summary["source"] = f"qiskit-ibm-runtime fake backend {backend.name}"
    holder: dict[str, AerSimulator] = {}

    def make_pass_manager() -> PassManager:
        holder["sim"] = AerSimulator.from_backend(backend)  # seconds for 127 qubits: warm-up
        return generate_preset_pass_manager(
            optimization_level=1, backend=backend, seed_transpiler=seed
        )

    dev = _LazyAerDevice(
        info,
        AerSimulator(),  # replaced by the noisy simulator on warm-up
        dict(COMMON_OPTIONS),
        make_pass_manager=make_pass_manager,
        calibration=summary,
        details=details,
        save_kinds=supported_saves("automatic"),
    )
    dev.holder = holder
    return dev


class _LazyAerDevice(AerDevice):
    """An AerDevice whose noisy simulator is built on warm-up (3-4 s for 127 qubits)."""

    holder: dict[str, AerSimulator]

    def warm_up(self) -> None:
        """Build the pass manager and the noisy simulator once."""
        super().warm_up()
        sim = self.holder.get("sim")
        if sim is not None:
            self.simulator = sim
