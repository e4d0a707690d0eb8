"""Eigen OS compiler service: Eigen-Lang / OpenQASM / AQO → canonical AQO (SPEC §5-6)."""
