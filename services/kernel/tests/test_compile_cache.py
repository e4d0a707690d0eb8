from eigen_kernel.compile_cache import CompileCache, compile_key
from eigen_kernel.domain import CompiledProgram, Submission


def sub(**kw):
    base = dict(name="n", language="qasm", source="OPENQASM 2.0;", target="sim:local")
    base.update(kw)
    return Submission(**base)


def test_key_covers_everything_the_compiler_output_depends_on():
    k = compile_key(sub(), "aer")
    assert (
        compile_key(sub(name="other", shots=5, seed=3, priority=9), "aer") == k
    )  # not compiler inputs
    for changed in (
        sub(source="OPENQASM 3.0;"),
        sub(target="sim:mps"),
        sub(compiler_options={"optimization_level": "2"}),
        sub(inputs={"theta": 0.5}),
        sub(entrypoint="main"),
        sub(language="eigen-lang"),
    ):
        assert compile_key(changed, "aer") != k
    assert compile_key(sub(), "ibm.fake_kyiv") != k  # compiled for another device's ISA


def test_inputs_that_bind_parameters_are_not_part_of_the_key():
    bound = frozenset({"theta"})
    a = compile_key(sub(inputs={"theta": 0.1, "n": 3}), "aer", bound)
    assert compile_key(sub(inputs={"theta": 0.9, "n": 3}), "aer", bound) == a
    assert compile_key(sub(inputs={"theta": 0.1, "n": 4}), "aer", bound) != a


def test_parameter_values_hit_the_cache_after_the_first_compile():
    c = CompileCache(8)
    prog = CompiledProgram(b"{}", "x", {}, parameters=("theta",))
    first = sub(inputs={"theta": 0.1, "n": 3})
    assert c.get(first) is None
    c.put(first, prog)
    assert c.get(sub(inputs={"theta": 2.5, "n": 3})) is prog  # new value: no recompile
    assert c.get(sub(inputs={"theta": 0.1, "n": 4})) is None  # a real input changed
    plain = CompileCache(8)
    plain.put(first, CompiledProgram(b"{}", "y", {}))  # no parameters: every input counts
    assert plain.get(sub(inputs={"theta": 2.5, "n": 3})) is None


def test_lru_is_bounded_and_size_zero_disables():
    c = CompileCache(2)
    progs = [CompiledProgram(b"{}", str(i), {}) for i in range(3)]
    subs = [sub(source=f"s{i}") for i in range(3)]
    c.put(subs[0], progs[0])
    c.put(subs[1], progs[1])
    assert c.get(subs[0]) is progs[0]  # 0 is now most recent
    c.put(subs[2], progs[2])
    assert c.get(subs[1]) is None and c.get(subs[0]) is progs[0] and c.get(subs[2]) is progs[2]
    off = CompileCache(0)
    off.put(subs[0], progs[0])
    assert off.get(subs[0]) is None


def test_the_knowledge_base_outlives_the_memory_level(tmp_path):
    from eigen_kernel.artifacts import Artifacts
    from eigen_kernel.blobs import LocalBlobStore
    from eigen_kernel.store import SqliteJobStore

    store = SqliteJobStore(tmp_path / "db")
    artifacts = Artifacts(store, LocalBlobStore(tmp_path / "qfs"))
    prog = CompiledProgram(b'{"version": "0.1"}', "a" * 64, {"depth": "1"}, parameters=("theta",))
    first = CompileCache(8, store, artifacts.load_compiled)
    artifacts.put_compiled(prog)
    first.put(sub(inputs={"theta": 0.1}), prog, "aer")
    # a new kernel (empty memory) finds it, also for another value of the symbolic parameter
    second = CompileCache(
        8, store, Artifacts(store, LocalBlobStore(tmp_path / "qfs")).load_compiled
    )
    found = second.get(sub(inputs={"theta": 0.7}), "aer")
    assert found == prog
    assert second.get(sub(source="other"), "aer") is None
    # pruned as unused (retention): a miss, and the program is compiled again
    store.prune_compile_cache(unused_since=float("inf"))
    assert (
        CompileCache(8, store, artifacts.load_compiled).get(sub(inputs={"theta": 0.7}), "aer")
        is None
    )
