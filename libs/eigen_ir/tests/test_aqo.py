import pytest

from eigen_ir import aqo


def bell_json():
    return {
        "version": "0.1",
        "qubits": 2,
        "clbits": 2,
        "parameters": ["theta"],
        "operations": [
            {"op": "RY", "q": [0], "params": ["theta"]},
            {"op": "CX", "q": [0, 1]},
            {"op": "MEASURE", "q": [0, 1], "c": [0, 1]},
        ],
    }


def test_canonical_bytes_are_sorted_compact_and_stable():
    c = aqo.parse(bell_json())
    b = c.canonical_bytes()
    assert b.startswith(b'{"clbits":2,"operations":[{"op":"RY","params":["theta"],"q":[0]}')
    assert aqo.parse(b).canonical_bytes() == b
    assert len(c.sha256()) == 64


def test_all_violations_are_collected():
    bad = bell_json()
    bad["operations"] = [
        {"op": "FOO", "q": [0]},
        {"op": "CX", "q": [0, 0]},
        {"op": "RX", "q": [5], "params": [float("nan")]},
        {"op": "MEASURE", "q": [0], "c": []},
    ]
    with pytest.raises(aqo.AqoError) as exc:
        aqo.parse(bad)
    paths = {p for p, _ in exc.value.violations}
    assert {
        "operations[0].op",
        "operations[1].q",
        "operations[2].q[0]",
        "operations[2].params[0]",
        "operations[3].c",
    } <= paths


def test_limits_and_garbage():
    with pytest.raises(aqo.AqoError):
        aqo.parse(b"\xff\xfe not json")
    with pytest.raises(aqo.AqoError):
        aqo.parse(b"[" * 100000)
    big = bell_json()
    big["qubits"] = 10**9
    with pytest.raises(aqo.AqoError):
        aqo.parse(big)
    many = bell_json()
    many["operations"] = [{"op": "H", "q": [0]}] * 11
    with pytest.raises(aqo.AqoError, match="exceed"):
        aqo.parse(many, max_operations=10)


def test_bind_replaces_symbols():
    c = aqo.bind(aqo.parse(bell_json()), {"theta": 0.5})
    assert c.parameters == () and c.operations[0].params == (0.5,)
    with pytest.raises(aqo.AqoError):
        aqo.bind(aqo.parse(bell_json()), {"theta": float("inf")})


def test_cond_roundtrip_through_qiskit():
    from qiskit_aer import AerSimulator

    from eigen_ir import aqo_qiskit

    doc = {
        "version": "0.1",
        "qubits": 2,
        "clbits": 2,
        "parameters": [],
        "operations": [
            {"op": "X", "q": [0]},
            {"op": "MEASURE", "q": [0], "c": [0]},
            {"op": "X", "q": [1], "cond": {"c": [0], "value": 1}},
            {"op": "MEASURE", "q": [1], "c": [1]},
        ],
    }
    c = aqo.parse(doc)
    counts = AerSimulator().run(aqo_qiskit.to_qiskit(c), shots=50, seed_simulator=1).result()
    assert counts.get_counts() == {"11": 50}
