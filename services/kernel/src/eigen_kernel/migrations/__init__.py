"""Versioned SQL schemas of the job store, one directory per dialect."""
