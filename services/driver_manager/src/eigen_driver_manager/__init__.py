"""Eigen OS driver-manager service.

The QDriver API (:mod:`.base`), driver discovery (:mod:`.registry`), the Qiskit Aer reference
driver (``plugins/aer_driver.py``) and the ``DriverManagerService`` (:mod:`.servicer`).
"""
