"""IBM driver: fake devices on Aer with real calibration; the runtime path in the SDK's local
testing mode (QiskitRuntimeLocalService: SamplerV2/EstimatorV2 jobs on a fake backend)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from eigen_common.errors import FailedPreconditionError, NotFoundError
from eigen_driver_manager.base import DeviceStatus, ExecutionItem
from eigen_driver_manager.execution import for_job
from eigen_driver_manager.ibm_runtime import RuntimeDevices
from eigen_driver_manager.plugins.ibm_driver import IbmDriver
from eigen_driver_manager.testing import BELL_OPERATIONS, aqo_circuit

BELL = aqo_circuit(2, 2, BELL_OPERATIONS)
FAKES = ("ibm.fake_brisbane", "ibm.fake_kyiv")


@pytest.fixture(scope="module")
def ibm() -> Iterator[IbmDriver]:
    drv = IbmDriver()
    drv.initialize({"fake_backends": "fake_brisbane,fake_kyiv", "credentials": "none"})
    yield drv
    drv.close()


def fidelity_bell(counts: dict[str, int]) -> float:
    """Hellinger fidelity with the ideal Bell distribution (½ 00, ½ 11)."""
    total = sum(counts.values())
    bc = sum((0.5 * counts.get(k, 0) / total) ** 0.5 for k in ("00", "11"))
    return bc**2


def test_fake_devices_carry_the_real_calibration(ibm: IbmDriver) -> None:
    devices = {d.device_id: d for d in ibm.get_devices()}
    assert set(devices) == set(FAKES)
    dev = devices["ibm.fake_brisbane"]
    assert dev.max_qubits == 127 and dev.targets == ("ibm:fake_brisbane",)
    assert set(dev.basis_gates) >= {"ecr", "rz", "sx", "x"}
    assert (1, 0) in dev.coupling_map
    cal = dev.calibration
    assert cal is not None and cal.calibrated_at is not None
    assert len(cal.qubits) == 127
    q0 = cal.qubits[0]
    assert q0.t1_us is not None and 10 < q0.t1_us < 1000
    assert q0.readout_error is not None and 0 < q0.readout_error < 0.5
    ecr = [g for g in cal.gates if g.gate == "ecr"]
    assert ecr and all(g.duration_ns and g.error is not None for g in ecr[:5])
    result = ibm.calibrate_device("ibm.fake_brisbane")
    assert result.details == cal
    assert float(result.calibration["t1_us"]) > 0


@pytest.mark.parametrize("device_id", FAKES)
def test_bell_shows_the_device_noise(ibm: IbmDriver, device_id: str) -> None:
    result = ibm.execute_circuit(device_id, BELL, 4000, {}, seed=5)
    assert sum(result.counts.values()) == 4000
    f = fidelity_bell(result.counts)
    assert 0.8 < f < 0.999, result.counts  # noisy, yet a Bell state
    assert ibm.execute_circuit(device_id, BELL, 4000, {}, seed=5).counts == result.counts
    assert "transpile_time_sec" in result.metadata


def test_estimate_on_a_fake_device(ibm: IbmDriver) -> None:
    ansatz = aqo_circuit(
        2, 0, [{"op": "RY", "q": [0], "params": ["t"]}, {"op": "CX", "q": [0, 1]}], ["t"]
    )
    obs = [("ZZ", 1.0), ("XX", 0.5)]
    ideal = [1 + 0.5 * 0.29552020666133955, 1 + 0.5 * 0.9320390859672263]
    sampled = ibm.estimate_expectation_values(
        "ibm.fake_brisbane", ansatz, obs, [{"t": 0.3}, {"t": 1.2}], 2000, {}, seed=1
    )
    assert sampled.metadata["mode"] == "sampled"
    for value, err, want in zip(sampled.values, sampled.std_errors, ideal, strict=True):
        assert 0 < err < 0.05
        assert want - 0.3 < value < want  # the device's noise pulls the value down
    exact = ibm.estimate_expectation_values(
        "ibm.fake_brisbane", ansatz, obs, [{"t": 0.3}], None, {}
    )
    assert exact.std_errors == [0.0] and exact.values[0] < ideal[0]


def test_too_wide_for_the_device(ibm: IbmDriver) -> None:
    wide = aqo_circuit(130, 1, [{"op": "MEASURE", "q": [0], "c": [0]}])
    with pytest.raises(FailedPreconditionError) as exc:
        ibm.execute_circuit("ibm.fake_kyiv", wide, 10, {})
    assert exc.value.reason == "CIRCUIT_TOO_LARGE"


def test_runtime_path_in_the_sdks_local_testing_mode() -> None:
    """SamplerV2 submit → status → result and EstimatorV2 through the driver's cloud code,
    on the SDK's local service (a fake backend stands in for the cloud)."""
    from qiskit_ibm_runtime.fake_provider import FakeManilaV2
    from qiskit_ibm_runtime.fake_provider.local_service import QiskitRuntimeLocalService

    drv = IbmDriver()
    drv.initialize({"fake_backends": "", "credentials": "none"})
    drv.use_service(QiskitRuntimeLocalService(), [FakeManilaV2()])
    (dev,) = drv.get_devices()
    assert dev.device_id == "ibm.fake_manila" and dev.asynchronous
    assert dev.status is DeviceStatus.ONLINE
    started = drv.start_execution(ExecutionItem("job-1", dev.device_id, BELL, 2000))
    assert started.execution_id == f"ibm:fake_manila:{started.vendor_job_id}"
    progress = drv.await_execution(dev.device_id, started.execution_id, 60)
    assert progress.done and progress.vendor_status == "DONE"
    assert progress.result is not None
    counts = progress.result.counts
    assert sum(counts.values()) == 2000 and all(len(k) == 2 for k in counts)
    assert 0.8 < fidelity_bell(counts) < 1.0
    assert progress.result.metadata["vendor_job_id"] == started.vendor_job_id
    with pytest.raises(NotFoundError):
        drv.await_execution(dev.device_id, "ibm:fake_manila:not-a-job", 0)
    ansatz = aqo_circuit(2, 0, [{"op": "H", "q": [0]}, {"op": "CX", "q": [0, 1]}])
    out = drv.estimate_expectation_values(
        dev.device_id, ansatz, [("ZZ", 1.0)], [{}], 4000, {}, seed=3
    )
    assert out.metadata["primitive"] == "EstimatorV2"
    assert 0.7 < out.values[0] < 1.0 and out.std_errors[0] > 0


@pytest.mark.parametrize(("mode", "kind"), [("session", "Session"), ("batch", "Batch")])
def test_a_jobs_executions_share_one_session_or_batch(mode: str, kind: str) -> None:
    """In the SDK's local testing mode: a hybrid loop's samples and estimates (one Eigen OS
    job) go through one Session/Batch, other jobs get their own, cancel closes it."""
    from qiskit_ibm_runtime.fake_provider import FakeManilaV2
    from qiskit_ibm_runtime.fake_provider.local_service import QiskitRuntimeLocalService

    cloud = RuntimeDevices(QiskitRuntimeLocalService(), [FakeManilaV2()], hybrid_mode=mode)
    dev = "ibm.fake_manila"
    ansatz = aqo_circuit(2, 0, [{"op": "H", "q": [0]}, {"op": "CX", "q": [0, 1]}])
    first = cloud.start(ExecutionItem("job-7", dev, BELL, 300))
    with for_job("job-7"):
        est = cloud.estimate(dev, ansatz, [("ZZ", 1.0)], [{}], 2000, seed=1)
    second = cloud.start(ExecutionItem("job-7", dev, BELL, 300))
    cloud.start(ExecutionItem("job-8", dev, BELL, 300))
    cloud.start(ExecutionItem("", dev, BELL, 300))  # no job: a lone vendor job
    modes = cloud.open_modes
    assert sorted(modes) == [("fake_manila", "job-7"), ("fake_manila", "job-8")]
    assert type(modes[("fake_manila", "job-7")]).__name__ == kind
    for started in (first, second):
        progress = cloud.await_(dev, started.execution_id, 60)
        assert progress.done and progress.result is not None
    assert 0.7 < est.values[0] <= 1.0
    assert cloud.cancel(dev, "", "job-7") is True
    assert sorted(cloud.open_modes) == [("fake_manila", "job-8")]
    cloud.close()
    assert cloud.open_modes == {}


def test_hybrid_mode_none_sends_lone_jobs() -> None:
    from qiskit_ibm_runtime.fake_provider import FakeManilaV2
    from qiskit_ibm_runtime.fake_provider.local_service import QiskitRuntimeLocalService

    cloud = RuntimeDevices(QiskitRuntimeLocalService(), [FakeManilaV2()], hybrid_mode="none")
    cloud.start(ExecutionItem("job-9", "ibm.fake_manila", BELL, 100))
    assert cloud.open_modes == {}
    with pytest.raises(ValueError, match="hybrid_mode"):
        IbmDriver().initialize({"fake_backends": "", "credentials": "none", "hybrid_mode": "x"})
