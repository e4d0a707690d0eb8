"""The quantum model of Eigen OS, shared by the user package and the services.

``aqo`` (AQO v0.1, SPEC §5), ``aqo_qiskit`` (AQO ↔ Qiskit), ``hybrid`` (hybrid plan v0.1),
``pauli`` (Pauli-sum estimation), ``optimize`` (the optimisers both the kernel and a local run
use), ``observable`` and ``ansatz`` (the library values a program builds), ``gates`` (the
Eigen-Lang name tables). Depends on numpy, SciPy and Qiskit only — never on gRPC.
"""
