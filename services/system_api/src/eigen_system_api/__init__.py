"""Eigen OS package."""
