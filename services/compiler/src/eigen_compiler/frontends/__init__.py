"""The compiler's front ends: program text → an unoptimised circuit, with positioned diagnostics.

- :mod:`eigen_compiler.frontends.eigen_lang`: Eigen-Lang (SPEC §6) by AST analysis only;
- :mod:`eigen_compiler.frontends.qasm`: OpenQASM 2 and 3 through Qiskit's importers.

Both check every size limit before the work it bounds (SPEC §11).
"""
