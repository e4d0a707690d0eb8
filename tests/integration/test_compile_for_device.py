"""Compiling for a device (SPEC §13, issue 10 item 3) through the whole in-process stack.

``CompileCircuit`` with a target answers, besides the AQO, the circuit as that device runs it:
the system-api asks the kernel (target resolution), which asks the driver-manager offering
the device, whose driver transpiles with the pass manager its jobs run with. Checked here on
``ibm:fake_torino`` (a Heron snapshot: cz, rz, sx, x on a heavy-hex coupling map): the
mapped circuit has only that device's basis gates on coupled qubits, and a job of the same
circuit runs exactly it (the counts of the shown circuit, simulated as the driver simulates,
equal the job's counts for the same seed). Also the errors and the ``eigen compile`` CLI.
"""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import grpc
import pytest
import pytest_asyncio
from click.testing import CliRunner
from google.rpc import error_details_pb2
from grpc_status import rpc_status
from qiskit_aer import AerSimulator

from eigen.api.v1 import compilation_pb2, compilation_pb2_grpc, device_pb2
from eigen_common.errors import (
    DeviceOfflineError,
    FailedPreconditionError,
    TargetNotFoundError,
    UnimplementedError,
)
from eigen_common.logs import configure_logging
from eigen_driver_manager.ibm_fake import load_backend
from eigen_driver_manager.noisy_backend import noise_model_for, remove_idle_qubits
from eigen_ir.aqo import parse
from eigen_ir.aqo_qiskit import to_qiskit
from eigen_os.cli.main import cli
from eigen_os.client import AsyncEigenClient, compile_request
from eigen_os.config import ClientConfig
from tests.inprocess import ADMIN_TOKEN, InProcessStack, start_stack

pytestmark = [pytest.mark.asyncio(loop_scope="module"), pytest.mark.timeout(600)]

TORINO = "ibm:fake_torino"
#: An Eagle device: ECR-based (ecr, rz, sx, x), the default fake devices.
BRISBANE = "ibm:fake_brisbane"
BELL = (
    'OPENQASM 2.0;\ninclude "qelib1.inc";\nqreg q[2];\ncreg c[2];\n'
    "h q[0];\ncx q[0],q[1];\nmeasure q -> c;\n"
)
GHZ = (
    'OPENQASM 2.0;\ninclude "qelib1.inc";\nqreg q[4];\ncreg c[4];\n'
    "h q[0];\ncx q[0],q[1];\ncx q[1],q[2];\ncx q[0],q[3];\nmeasure q -> c;\n"
)
WIDE = 'OPENQASM 2.0;\ninclude "qelib1.inc";\nqreg q[134];\ncreg c[1];\nmeasure q[133] -> c[0];\n'


@dataclass
class Stack:
    stack: InProcessStack
    client: AsyncEigenClient


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def stack(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Stack]:
    """The stack with two IBM fake devices and a Braket driver that fails (devices OFFLINE).

    Service logs go to stderr (structlog's default is stdout, which ``CliRunner`` reads).
    """
    configure_logging("compile-for-device-tests", "WARNING")
    home = tmp_path_factory.mktemp("compile-for-device")
    (home / "drivers.toml").write_text("# none: the settings below configure the drivers\n")
    async with start_stack(
        home,
        driver_manager={
            "driver_config": {
                "ibm": {
                    "fake_backends": "fake_torino,fake_brisbane,fake_london",
                    "credentials": "none",
                },
                "braket": {"devices": "braket.nowhere"},
            },
            "drivers_file": str(home / "drivers.toml"),
        },
    ) as st:
        config = ClientConfig(st.api_address, ADMIN_TOKEN)
        client = AsyncEigenClient(config=config, compile_timeout=120)
        try:
            yield Stack(st, client)
        finally:
            await client.close()


async def compile_for(s: Stack, source: str, target: str) -> compilation_pb2.CompileCircuitResponse:
    return await s.client.compile(compile_request(source, "qasm2"), target=target)


@pytest.mark.parametrize("source", [BELL, GHZ], ids=["bell", "ghz4"])
async def test_the_mapped_circuit_has_only_the_devices_gates_on_coupled_qubits(
    stack: Stack, source: str
) -> None:
    resp = await compile_for(stack, source, TORINO)
    plain = await stack.client.compile(compile_request(source, "qasm2"))
    assert parse(resp.aqo_json).operations == parse(plain.aqo_json).operations
    assert not plain.HasField("isa")
    device: device_pb2.Device = await stack.client.device(TORINO)
    isa = resp.isa
    assert isa.device_id == device.device_id == "ibm.fake_torino"
    circuit = parse(isa.aqo_json)
    compiled = parse(resp.aqo_json)
    assert circuit.qubits == device.max_qubits == 133 and circuit.clbits == compiled.clbits
    gates = {o.op.lower() for o in circuit.operations} - {"measure"}
    assert gates <= set(device.basis_gates) and "cz" in gates
    edges = {(e.control, e.target) for e in device.coupling_map}
    two = [o for o in circuit.operations if len(o.q) == 2 and o.op != "MEASURE"]
    assert two and all(tuple(o.q) in edges for o in two)
    assert isa.two_qubit_gates == len(two) and isa.depth > compiled.qubits
    assert sum(isa.gate_counts.values()) == sum(
        len(o.q) if o.op == "MEASURE" else 1 for o in circuit.operations
    )
    assert len(isa.initial_layout) == compiled.qubits == len(set(isa.initial_layout))
    assert set(isa.initial_layout) <= set(isa.active_qubits)
    measured = {
        c: q for o in circuit.operations if o.op == "MEASURE" for q, c in zip(o.q, o.c, strict=True)
    }
    assert measured == dict(enumerate(isa.final_layout))
    assert isa.metadata["seed_transpiler"] == "1234"


@pytest.mark.parametrize("target", [TORINO, BRISBANE], ids=["cz", "ecr"])
async def test_a_job_on_the_device_runs_the_circuit_it_was_shown(stack: Stack, target: str) -> None:
    shown = (await compile_for(stack, GHZ, target)).isa
    job_id = await stack.client.submit(GHZ, target=target, shots=4000, seed=11, name="ghz")
    await stack.client.wait(job_id, timeout=120)
    result = await stack.client.results(job_id)
    assert result.metadata["physical_qubits"] == ",".join(map(str, shown.active_qubits))
    compact, physical = remove_idle_qubits(
        to_qiskit(parse(shown.aqo_json)), list(shown.final_layout)
    )
    noise = noise_model_for(load_backend(target.removeprefix("ibm:")).target, physical)
    sim = AerSimulator().run(compact, shots=4000, seed_simulator=11, noise_model=noise)
    assert sim.result().get_counts() == dict(result.counts)
    ghz = (result.counts.get("0000", 0) + result.counts.get("1111", 0)) / 4000
    assert 0.75 < ghz < 0.999  # that device's noise, still a GHZ state


async def test_an_ideal_simulator_runs_the_compiled_circuit_as_is(stack: Stack) -> None:
    resp = await compile_for(stack, BELL, "simulator")
    assert resp.isa.device_id == "aer.automatic"
    assert parse(resp.isa.aqo_json).operations == parse(resp.aqo_json).operations
    assert list(resp.isa.initial_layout) == list(resp.isa.final_layout) == [0, 1]
    assert dict(resp.isa.gate_counts) == {"cx": 1, "h": 1, "measure": 2}


async def test_a_hybrid_program_gets_no_mapped_circuit(stack: Stack) -> None:
    source = (Path(__file__).parents[2] / "examples" / "h2_vqe" / "program.eigen.py").read_text()
    resp = await stack.client.compile(compile_request(source), target=TORINO)
    assert resp.hybrid_plan_json and not resp.HasField("isa")


async def test_errors(stack: Stack) -> None:
    # unknown target: NOT_FOUND whose first detail is ErrorInfo (SPEC §3.3), targets listed
    async with grpc.aio.insecure_channel(stack.stack.api_address) as ch:
        with pytest.raises(grpc.aio.AioRpcError) as raw:
            await compilation_pb2_grpc.CompilationServiceStub(ch).CompileCircuit(
                compile_request(BELL, "qasm2", target="ibm:fake_nowhere"),
                metadata=[("authorization", f"Bearer {ADMIN_TOKEN}")],
                timeout=60,
            )
    assert raw.value.code() == grpc.StatusCode.NOT_FOUND
    status = rpc_status.from_call(raw.value)  # type: ignore[arg-type]
    assert status is not None and status.details[0].Is(error_details_pb2.ErrorInfo.DESCRIPTOR)
    info = error_details_pb2.ErrorInfo()
    status.details[0].Unpack(info)
    assert (info.reason, info.domain) == ("TARGET_NOT_FOUND", "eigen.os")
    assert "ibm:fake_torino" in (raw.value.details() or "")  # the available targets
    with pytest.raises(TargetNotFoundError):
        await compile_for(stack, BELL, "ibm:fake_nowhere")
    with pytest.raises(DeviceOfflineError) as offline:
        await compile_for(stack, BELL, "braket.local")
    assert offline.value.reason == "DEVICE_OFFLINE" and "braket.nowhere" in offline.value.message
    with pytest.raises(FailedPreconditionError) as wide:
        await compile_for(stack, WIDE, TORINO)
    assert wide.value.reason == "CIRCUIT_TOO_LARGE"
    assert "134 qubits" in wide.value.message and "at most 133" in wide.value.message


async def test_a_device_whose_isa_aqo_cannot_write_is_refused_by_name(stack: Stack) -> None:
    """London's ISA (u1, u2, u3, cx) has gates AQO lacks: UNIMPLEMENTED, naming them."""
    with pytest.raises(UnimplementedError) as exc:
        await compile_for(stack, BELL, "ibm:fake_london")
    assert exc.value.reason == "ISA_NOT_EXPRESSIBLE" and "(u2)" in exc.value.message


async def test_an_ecr_device_isa(stack: Stack) -> None:
    """Eagle (brisbane): the mapped circuit is written with ECR, on coupled qubits."""
    device: device_pb2.Device = await stack.client.device(BRISBANE)
    assert {"ecr", "rz", "sx", "x"} <= set(device.basis_gates)
    isa = (await compile_for(stack, GHZ, BRISBANE)).isa
    circuit = parse(isa.aqo_json)
    ops = {o.op.lower() for o in circuit.operations} - {"measure"}
    assert "ecr" in ops and ops <= {"ecr", "rz", "sx", "x"}
    edges = {(e.control, e.target) for e in device.coupling_map}
    ecrs = [o for o in circuit.operations if o.op == "ECR"]
    assert all(tuple(o.q) in edges for o in ecrs)
    assert isa.two_qubit_gates == isa.gate_counts["ecr"] == len(ecrs) >= 3
    bell = (await compile_for(stack, BELL, BRISBANE)).isa
    assert bell.two_qubit_gates == bell.gate_counts["ecr"] == 1


async def test_eigen_compile_target_shows_the_mapped_circuit(stack: Stack, tmp_path: Path) -> None:
    prog = tmp_path / "ghz.qasm"
    prog.write_text(GHZ)
    base = ["--endpoint", stack.stack.api_address, "--token", ADMIN_TOKEN, "compile", str(prog)]

    def run(*args: str) -> tuple[int, str, str]:
        r = CliRunner().invoke(cli, [*base, *args], env={"COLUMNS": "200"})
        return r.exit_code, r.stdout, r.stderr

    code, out, err = await asyncio.to_thread(run, "--target", TORINO)
    assert code == 0, err
    isa = (await compile_for(stack, GHZ, TORINO)).isa
    compiled, mapped = out.split("on ibm.fake_torino\n")
    assert "┤ H ├" in compiled  # the compiled circuit first, as without a target
    layout = "  ".join(f"q\\[{v}\\]→{p}" for v, p in enumerate(isa.initial_layout))
    assert re.search(rf"^layout +{layout} *$", mapped, re.MULTILINE), mapped
    assert re.search(rf"^two_qubit_gates +{isa.two_qubit_gates} *$", mapped, re.MULTILINE)
    assert re.search(r"^gates +cz 3, measure 4, rz \d+, sx \d+ *$", mapped, re.MULTILINE)
    # Qiskit's drawing on the physical qubits used (q_<physical>), not on all 133
    wires = re.findall(r"^ *q_(\d+): ", mapped, re.MULTILINE)
    assert [int(w) for w in wires] == list(isa.active_qubits)
    code, out, err = await asyncio.to_thread(run, "--target", TORINO, "--json")
    assert code == 0, err
    data = json.loads(out)
    assert data["isa"]["initial_layout"] == list(isa.initial_layout)
    assert data["isa"]["aqo_json"]["qubits"] == 133 and data["isa"]["depth"] == isa.depth
    code, out, err = await asyncio.to_thread(run, "--target", "ibm:fake_nowhere")
    assert code == 2 and "available targets" in err


async def test_eigen_compile_target_on_an_ecr_device(stack: Stack, tmp_path: Path) -> None:
    prog = tmp_path / "bell.qasm"
    prog.write_text(BELL)
    args = ["--endpoint", stack.stack.api_address, "--token", ADMIN_TOKEN, "compile", str(prog)]
    r = await asyncio.to_thread(
        CliRunner().invoke, cli, [*args, "--target", BRISBANE], env={"COLUMNS": "200"}
    )
    assert r.exit_code == 0, r.stderr
    mapped = r.stdout.split("on ibm.fake_brisbane\n")[1]
    assert re.search(r"^two_qubit_gates +1 *$", mapped, re.MULTILINE), mapped
    assert re.search(r"^gates +ecr 1, measure 2, rz \d+, sx \d+(, x \d+)? *$", mapped, re.M)
    assert "Ecr" in mapped  # Qiskit's drawing of the ECR box
