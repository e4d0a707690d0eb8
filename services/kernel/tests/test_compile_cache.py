from eigen_kernel.domain import CompiledProgram, Submission
from eigen_kernel.scheduler import CompileCache, compile_key


def sub(**kw):
    base = dict(name="n", language="qasm", source="OPENQASM 2.0;", target="sim:local")
    base.update(kw)
    return Submission(**base)


def test_key_covers_everything_the_compiler_output_depends_on():
    k = compile_key(sub())
    assert compile_key(sub(name="other", shots=5, seed=3, priority=9)) == k  # not compiler inputs
    for changed in (
        sub(source="OPENQASM 3.0;"),
        sub(target="sim:mps"),
        sub(compiler_options={"optimization_level": "2"}),
        sub(inputs={"theta": 0.5}),
        sub(entrypoint="main"),
        sub(language="eigen-lang"),
    ):
        assert compile_key(changed) != k


def test_lru_is_bounded_and_size_zero_disables():
    c = CompileCache(2)
    progs = [CompiledProgram(b"{}", str(i), {}) for i in range(3)]
    c.put("a", progs[0])
    c.put("b", progs[1])
    assert c.get("a") is progs[0]  # a is now most recent
    c.put("c", progs[2])
    assert c.get("b") is None and c.get("a") is progs[0] and c.get("c") is progs[2]
    off = CompileCache(0)
    off.put("a", progs[0])
    assert off.get("a") is None
